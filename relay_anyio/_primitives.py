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
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
import sniffio

if TYPE_CHECKING:
    import asyncio

__all__ = ["Spawner", "WaitTimeout", "Waiter", "run_callback"]

logger = logging.getLogger("relay_anyio")

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
    no running event loop (the underlying event is made on first use), so objects holding one
    (a ``Message`` built by hand, say) can be created anywhere.
    """

    __slots__ = ("_done", "_error", "_event", "_futures", "_value")

    def __init__(self) -> None:
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None
        self._event: anyio.Event | None = None  # trio: made by the first wait
        # asyncio: one bare future per waiting task (an anyio.Event wraps an asyncio.Event,
        # which holds a deque and makes a future per wait anyway: about 0.6 KB more per wait).
        self._futures: list[asyncio.Future[None]] | None = None

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
        event, self._event = self._event, None
        if event is not None:
            # Tasks already waiting hold the event; later waits see _done and need none. A
            # finished Waiter (every call keeps a few) must not keep an event alive.
            event.set()
        futures, self._futures = self._futures, None
        if futures is not None:
            for future in futures:
                if not future.done():
                    future.set_result(None)

    async def wait(self, timeout: float | None = None) -> T:
        """Wait for the result.

        Args:
            timeout: seconds to wait at most; ``None`` waits for ever.

        Returns:
            The value given to :meth:`set`.

        Raises:
            TimeoutError: ``timeout`` elapsed first. Nothing is spoiled: a later wait still
                gets the result.
            Exception: the error given to :meth:`fail`.
        """
        if not self._done:
            if sniffio.current_async_library() == "asyncio":
                await self._wait_future(timeout)
            else:
                if self._event is None:
                    self._event = anyio.Event()
                if timeout is None:
                    await self._event.wait()
                else:
                    with anyio.move_on_after(max(timeout, 0.0)):
                        await self._event.wait()
            if not self._done:
                raise WaitTimeout(f"no result within {timeout} s")
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set() stored a T

    async def _wait_future(self, timeout: float | None) -> None:
        import asyncio  # loaded: this runs on asyncio (a trio process never imports it)

        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        futures = self._futures
        if futures is None:
            futures = self._futures = []
        futures.append(future)
        try:
            if timeout is None:
                await future
            else:
                with anyio.move_on_after(max(timeout, 0.0)):
                    await future
        finally:
            if not self._done:  # timed out or cancelled: forget this waiter's future
                with contextlib.suppress(ValueError):
                    futures.remove(future)


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
