"""Waiting and callback primitives of the blocking client, backed by threads.

The generated modules (``_call*.py``, ``_actions.py``, ``_message.py``, see
``scripts/unasync.py``) use only the names defined here; relay_anyio's ``_primitives.py``
defines the same names on top of anyio.

* :class:`Waiter` is a one-shot result slot: ``set(value)`` or ``fail(exc)`` once, from any
  thread, then any number of threads may ``wait(timeout)`` for it. A wait that times out raises
  :class:`TimeoutError` and changes nothing, so a later wait still gets the result (decision
  D20). A blocked thread sleeps on a bare lock of its own, released by the result;
  :func:`hold_wakeups` lets the client's dispatch hold those releases back until it has let go
  of the core's lock.
* :func:`run_callback` hands a user callback (listener, ``on_completed``) to the client's
  callback threads through a :data:`Spawner`, keyed by the call (or message) the event is
  about: one call's callbacks run in order, different calls' in parallel. User code never
  runs on the thread that reads the socket, nor while the client holds the core's lock: a
  listener may therefore call blocking client methods (``call.play(...).wait()``) without
  deadlocking the connection.
"""

from __future__ import annotations

import _thread
import inspect
import logging
import threading
from _thread import LockType
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["Spawner", "WaitTimeout", "Waiter", "lazy", "order_key", "run_callback"]

logger = logging.getLogger("relay_sync")

T = TypeVar("T")

Spawner = Callable[[Callable[[], Any], str, str], object]
"""``spawn(fn, name, key)``: run ``fn()`` later on one of the client's threads (never the
reader), after the earlier work of the same ``key`` and in parallel with other keys.

``fn`` must handle its own exceptions (``run_callback`` wraps user code so that it does);
``name`` describes the work in logs. The result (whether the work was accepted) is ignored.
"""

WaitTimeout: type[TimeoutError] = TimeoutError
"""What a timed-out wait raises: the built-in :class:`TimeoutError`."""

# Guards the first-set-wins check and the list of waiting threads of every Waiter. One lock for
# all of them is enough: the critical sections are a few attribute writes, never a blocking call.
_SET_LOCK = threading.Lock()
_allocate_lock = _thread.allocate_lock


class _HeldWakeups(threading.local):
    # Per thread: the sleepers of Waiters set while this thread holds wake-ups back.
    locks: list[LockType] | None = None


_HELD = _HeldWakeups()


def hold_wakeups() -> bool:
    """Hold back, on this thread, the wake-ups of the threads blocked on Waiters that it sets
    from now on, until :func:`release_wakeups`. Returns ``False`` (and changes nothing) when
    they are already held by an outer caller, who will release them.

    The client's dispatch sets waiters under the core's lock: a thread woken there would
    first run into that lock (and the GIL the dispatching thread holds), and sleep again.
    """
    if _HELD.locks is not None:
        return False
    _HELD.locks = []
    return True


def release_wakeups() -> None:
    """Wake the threads whose wake-ups this thread held back (see :func:`hold_wakeups`)."""
    locks = _HELD.locks
    _HELD.locks = None
    if locks:
        for lock in locks:
            lock.release()


def _wake(sleepers: list[LockType]) -> None:
    held = _HELD.locks
    if held is not None:
        held.extend(sleepers)
    else:
        for lock in sleepers:
            lock.release()


# Guards the first creation of a lazily made table (see lazy).
_LAZY_LOCK = threading.Lock()


class Waiter(Generic[T]):
    """A one-shot result that any number of threads can wait for.

    The first :meth:`set` or :meth:`fail` wins (whichever thread calls it); later calls are
    ignored. Thread-safe.

    A thread that has to block hands the Waiter a bare lock it holds, and sleeps acquiring it a
    second time; :meth:`set` releases each such lock once, which wakes exactly that thread and
    nothing else (no condition, no shared lock to take again on wake-up). A Waiter nobody
    blocks on holds no lock at all.
    """

    __slots__ = ("_done", "_error", "_sleepers", "_value")

    def __init__(self) -> None:
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None
        self._sleepers: list[LockType] | None = None  # one held lock per blocked thread

    def is_set(self) -> bool:
        """Whether a value or an error has been stored."""
        return self._done

    @property
    def value(self) -> T | None:
        """The stored value (``None`` before :meth:`set`, or after :meth:`fail`)."""
        return self._value

    def set(self, value: T) -> None:
        """Store ``value`` and wake every waiter (ignored when already done)."""
        with _SET_LOCK:
            if self._done:
                return
            self._value = value
            self._done = True
            sleepers, self._sleepers = self._sleepers, None
        if sleepers is not None:
            _wake(sleepers)

    def fail(self, error: BaseException) -> None:
        """Make every current and future :meth:`wait` raise ``error`` (ignored when done)."""
        with _SET_LOCK:
            if self._done:
                return
            self._error = error
            self._done = True
            sleepers, self._sleepers = self._sleepers, None
        if sleepers is not None:
            _wake(sleepers)

    def wait(self, timeout: float | None = None) -> T:
        """Block until the result is there.

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
            self._sleep(None if timeout is None else max(timeout, 0.0))
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set() stored a T

    def _sleep(self, timeout: float | None) -> None:
        lock = _allocate_lock()
        lock.acquire()
        with _SET_LOCK:
            if self._done:
                return
            if self._sleepers is None:
                self._sleepers = [lock]
            else:
                self._sleepers.append(lock)
        woken = False
        try:
            if timeout is None:
                woken = lock.acquire()
            else:
                woken = lock.acquire(True, min(timeout, threading.TIMEOUT_MAX))
        finally:
            if not woken:  # timed out, or interrupted (KeyboardInterrupt...)
                with _SET_LOCK:
                    sleepers = self._sleepers
                    if sleepers is not None:  # else set() came first: the result is in
                        sleepers.remove(lock)
                        if not sleepers:
                            self._sleepers = None
        if not self._done:
            raise WaitTimeout(f"no result within {timeout} s")


def lazy(owner: Any, name: str, factory: Callable[[], T]) -> T:
    """``owner.<name>``, made with ``factory()`` and stored there the first time (it is
    ``None`` until then): the tables of a call that most calls never use cost nothing.

    Thread-safe: threads racing for the first one all get the same object."""
    value: T | None = getattr(owner, name)
    if value is None:
        with _LAZY_LOCK:
            value = getattr(owner, name)
            if value is None:
                value = factory()
                setattr(owner, name, value)
    return value


def run_callback(
    spawn: Spawner | None, callback: Callable[[Any], Any], arg: Any, what: str
) -> None:
    """Run ``callback(arg)`` without letting it hurt the caller.

    With a ``spawn`` (a running client) the call happens on one of the client's callback
    threads, after the callbacks scheduled earlier for the same call or message; without one
    (an object no client drives) it happens inline. Either way an exception is logged with
    ``what`` and swallowed. An ``async def`` callback cannot run in the blocking client: its
    coroutine is closed and an error logged.
    """

    def guarded() -> None:
        try:
            result = callback(arg)
        except Exception:
            logger.exception("%s raised", what)
            return
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never awaited: close it so Python does not warn later
            logger.error("%s is async; relay_sync runs plain functions only", what)

    if spawn is None:
        guarded()
    else:
        spawn(guarded, what, order_key(arg))


def order_key(event: Any) -> str:
    """What a callback's order is kept within: the event's call, else its message."""
    call_id = getattr(event, "call_id", "")
    if isinstance(call_id, str) and call_id:
        return f"call:{call_id}"
    params = getattr(event, "params", None)
    if isinstance(params, dict):
        message_id = params.get("message_id")
        if isinstance(message_id, str) and message_id:
            return f"message:{message_id}"
    return ""
