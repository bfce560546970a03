"""Waiting and callback primitives shared by Call, the actions and Message.

``_call*.py``, ``_actions.py`` and ``_message.py`` use only the names defined here (plus
relay_proto, the errors module and the standard library), never anyio, asyncio or trio directly.
The blocking twin (relay_sync) is generated from those modules by a mechanical transformation
(``async def`` -> ``def``, ``await`` -> nothing, ``relay_anyio`` -> ``relay_sync``) and ships its
own ``_primitives.py`` with the same names, backed by threads.

* :class:`Waiter` is a one-shot result slot: ``set(value)`` or ``fail(exc)`` once, then any
  number of ``await wait(timeout)`` calls return it. A wait that times out raises
  :class:`TimeoutError` and changes nothing, so a later wait still gets the result (decision
  D20; the official SDK spoils ``wait_for_ended`` after a timeout).
* :func:`run_callback` runs a user callback (listener, ``on_completed``) so that it can never
  break the code that dispatches events: a plain function runs inline inside ``try``; when the
  callback returns an awaitable (an ``async def`` callback) the awaitable is handed to the
  client's task group (decision D23: never awaited on the reader task). Exceptions are logged.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio

if TYPE_CHECKING:
    import asyncio

__all__ = ["Spawner", "WaitTimeout", "Waiter", "lazy", "run_callback"]

logger = logging.getLogger("relay_anyio")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop, ``None`` on trio (cheaper than asking sniffio for every wait).

    Without importing asyncio: a process that has not imported it runs no asyncio loop.
    """
    aio = sys.modules.get("asyncio")
    return None if aio is None else aio._get_running_loop()


def _is_future(parked: object) -> bool:
    aio = sys.modules.get("asyncio")
    return aio is not None and isinstance(parked, aio.Future)


T = TypeVar("T")

Spawner = Callable[[Callable[[], Coroutine[Any, Any, Any]], str], bool]
"""``spawn(async_fn, name) -> bool``: run ``await async_fn()`` in the client's task group.

Returns ``False`` (and runs nothing) when the client is not running. The spawned coroutine
function must handle its own exceptions (``run_callback`` wraps it so that it does); ``name``
describes the task in logs.
"""


if sys.version_info >= (3, 11):  # asyncio.TimeoutError is TimeoutError
    WaitTimeout: type[TimeoutError] = TimeoutError
else:  # pragma: no cover - Python 3.10, where asyncio.TimeoutError is a distinct class
    import asyncio

    class _WaitTimeout(TimeoutError, asyncio.TimeoutError):
        """A timeout that both ``except TimeoutError`` and ``except asyncio.TimeoutError``
        catch, as code written for the official (asyncio) SDK expects."""

    WaitTimeout = _WaitTimeout


class Waiter(Generic[T]):
    """A one-shot result that any number of tasks can wait for.

    The first :meth:`set` or :meth:`fail` wins; later calls are ignored. Creating a Waiter needs
    no running event loop and allocates nothing for the waits: what a waiting task parks on is
    made by its :meth:`wait` (so objects holding one, a ``Message`` built by hand say, can be
    created anywhere, and a Waiter nobody waits on costs its four slots).
    """

    __slots__ = ("_done", "_error", "_value", "_waiting")

    def __init__(self) -> None:
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None
        # What the waiting tasks park on, made by wait(): on asyncio one bare future per waiting
        # task (a future awaited by a task is cancelled with it, so waits cannot share one); on
        # trio the parked tasks themselves. A single one is stored as is, several in a list.
        self._waiting: Any = None

    def is_set(self) -> bool:
        """Whether a value or an error has been stored."""
        return self._done

    @property
    def value(self) -> T | None:
        """The stored value (``None`` before :meth:`set`, or after :meth:`fail`)."""
        return self._value

    def set(self, value: T) -> None:
        """Store ``value`` and wake every waiter (ignored when already done)."""
        if self._done:
            return
        self._value = value
        self._finish()

    def fail(self, error: BaseException) -> None:
        """Make every current and future :meth:`wait` raise ``error`` (ignored when done)."""
        if self._done:
            return
        self._error = error
        self._finish()

    def _finish(self) -> None:
        self._done = True
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            return
        for parked in waiting if type(waiting) is list else (waiting,):
            if _is_future(parked):
                _wake_future(parked, self._value, self._error)
            else:
                _wake_trio_task(parked)

    def wait(self, timeout: float | None = None) -> Awaitable[T]:
        """Wait for the result (``await waiter.wait()``).

        Args:
            timeout: seconds to wait at most; ``None`` waits for ever.

        Returns:
            The value given to :meth:`set`.

        Raises:
            TimeoutError: ``timeout`` elapsed first. Nothing is spoiled: a later wait still
                gets the result.
            Exception: the error given to :meth:`fail`.
        """
        if self._done:
            return self._wait(None)  # returns (or raises) at once
        loop = _running_loop()
        if loop is None:  # not asyncio: trio
            return self._wait_trio(timeout)
        if timeout is not None:
            return self._wait(timeout)
        # The common case on asyncio (a task waiting for a reply, an action, the end of a
        # call) awaits a bare future that set()/fail() resolves with the outcome: no
        # coroutine, no event object. A task cancelled while awaiting it cancels the future,
        # which set() then skips and the next wait() forgets.
        future: asyncio.Future[T] = loop.create_future()
        self._park(future)
        return future

    def _outcome(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set() stored a T

    async def _wait(self, timeout: float | None) -> T:
        # asyncio, with a timeout (or already done).
        if not self._done:
            loop = _running_loop()
            assert loop is not None
            future: asyncio.Future[Any] = loop.create_future()
            self._park(future)
            try:
                with anyio.move_on_after(math.inf if timeout is None else max(timeout, 0.0)):
                    await future  # raises the error fail() stores, as _outcome would
            finally:
                if not self._done:  # timed out or cancelled: forget this waiter's future
                    self._unpark(future)
            if not self._done:
                raise WaitTimeout(f"no result within {timeout} s")
        return self._outcome()

    async def _wait_trio(self, timeout: float | None) -> T:
        # trio: the task parks itself until set()/fail() reschedules it (one coroutine, no
        # event object).
        import trio

        if self._done:  # set between wait() and this coroutine's start
            return self._outcome()
        task = trio.lowlevel.current_task()

        def abort(_: Any) -> trio.lowlevel.Abort:
            self._unpark(task)  # cancelled (or timed out): never reschedule it
            return trio.lowlevel.Abort.SUCCEEDED

        self._park(task)
        if timeout is None:
            await trio.lowlevel.wait_task_rescheduled(abort)
        else:
            with trio.move_on_after(max(timeout, 0.0)):
                await trio.lowlevel.wait_task_rescheduled(abort)
            if not self._done:
                raise WaitTimeout(f"no result within {timeout} s")
        return self._outcome()

    def _park(self, parked: object) -> None:
        waiting = self._waiting
        if waiting is None:
            self._waiting = parked
        elif type(waiting) is list:
            # Bare futures of cancelled waits stay until a new wait comes along: drop them now.
            waiting[:] = [w for w in waiting if not _cancelled(w)]
            waiting.append(parked)
        elif _cancelled(waiting):
            self._waiting = parked
        else:
            self._waiting = [waiting, parked]

    def _unpark(self, parked: object) -> None:
        waiting = self._waiting
        if waiting is parked:
            self._waiting = None
        elif type(waiting) is list:
            with contextlib.suppress(ValueError):
                waiting.remove(parked)


def _cancelled(parked: object) -> bool:
    return _is_future(parked) and parked.cancelled()  # type: ignore[attr-defined]


def _wake_future(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # its task was cancelled
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)
        # Retrieved here: a future whose task went away without awaiting it must not log
        # "exception was never retrieved" (the task that awaits it still gets the error).
        future.exception()


def _wake_trio_task(task: Any) -> None:
    import trio

    trio.lowlevel.reschedule(task)


def lazy(owner: Any, name: str, factory: Callable[[], T]) -> T:
    """``owner.<name>``, made with ``factory()`` and stored there the first time (it is
    ``None`` until then): the tables of a call that most calls never use cost nothing.

    The blocking twin makes the first one under a lock (threads may race for it)."""
    value: T | None = getattr(owner, name)
    if value is None:
        value = factory()
        setattr(owner, name, value)
    return value


def run_callback(
    spawn: Spawner | None, callback: Callable[[Any], Any], arg: Any, what: str
) -> None:
    """Run a user callback with one argument without letting it hurt the caller.

    A plain function runs inline; an exception is logged (with ``what``) and swallowed. If it
    returns an awaitable (an ``async def`` callback), the awaitable runs in a task of the
    client's task group through ``spawn``; its exception is logged there too. Without a
    ``spawn`` (no running client) the awaitable is closed and the problem logged.
    """
    try:
        result = callback(arg)
    except Exception:
        logger.exception("%s raised", what)
        return
    if not inspect.isawaitable(result):
        return
    awaitable: Awaitable[Any] = result

    async def guarded() -> None:
        try:
            await awaitable
        except Exception:
            logger.exception("%s raised", what)

    if spawn is None or not spawn(guarded, what):
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never awaited: close it rather than leak a warning
        logger.error("%s is async but no client is running to schedule it", what)
