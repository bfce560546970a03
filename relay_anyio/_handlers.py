"""The tasks that run the application's ``on_call`` / ``on_message`` handlers.

Each inbound call or message gets its own task, never the reader's task, so a slow handler
cannot delay pings or ACKs. A handler that raises is logged with what it was handling and hurts
nothing else; an ``on_call`` handler's error then goes to the call, which hangs itself up unless
the handler handed it on (``on_error``). The pool counts running handlers so that a graceful
stop can wait for them, up to a bound.

A held call costs its handler task, so the task carries as little as it can:

* on asyncio, an ``async def`` handler's coroutine *is* the task's coroutine: no wrapper
  coroutine, no closure. A done callback, shared by every handler task, does what the wrapper
  did after the handler (the pool's count; the error report, in a task of its own when it has
  to await ``on_error``);
* elsewhere (trio, a plain-function handler) the handler runs inside
  :meth:`HandlerPool._run`, started with its arguments (no closure either);
* every handler task runs in a copy of one context, made once, in which :func:`in_handler` is
  true (a copy shares its contents: nothing is built per task).
"""

from __future__ import annotations

import contextvars
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    import asyncio

    from ._aio_stream import AioTasks

__all__ = ["HandlerPool", "in_handler"]

logger = logging.getLogger("relay_anyio")

# True inside handler tasks (and tasks they start): stop() called from a handler must not wait
# for that handler to finish.
_IN_HANDLER: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "relay_anyio_in_handler", default=False
)

# spawn(fn, name, *args) -> bool: run ``await fn(*args)`` in the session (False: not running).
Spawn = Callable[..., bool]
# on_error(arg, error): the handler for ``arg`` raised ``error``.
OnError = Callable[[Any, Exception], Awaitable[Any]]


def in_handler() -> bool:
    """Whether the current task runs (or was started by) an application handler."""
    return _IN_HANDLER.get()


class HandlerPool:
    """Start handler tasks and know when none is running.

    Create it inside a running event loop (it holds an ``anyio.Event``); handlers see the
    context variables of that moment.

    Args:
        spawn: ``spawn(fn, name, *args)`` starts ``fn(*args)`` in the session's task group.
        aio: on asyncio, the session's plain tasks (handler tasks are started there directly).
    """

    def __init__(self, spawn: Spawn, aio: AioTasks | None = None) -> None:
        self._spawn = spawn
        self._aio = aio
        self._running = 0
        self._idle = anyio.Event()
        self._idle.set()
        # The context every handler task starts from (a copy each).
        context = contextvars.copy_context()
        context.run(_IN_HANDLER.set, True)
        self._context = context
        # The last handler seen and whether it is an ``async def`` (asked once per handler).
        self._checked: tuple[object, bool] = (None, False)
        self._task_done_callback = self._task_done  # one bound method for every task

    @property
    def running(self) -> int:
        """Handlers started and not finished."""
        return self._running

    def start(
        self, handler: Callable[[Any], Any], arg: Any, what: str, on_error: OnError | None = None
    ) -> None:
        """Run ``handler(arg)`` (sync, or awaited if it returns an awaitable) in a new task;
        ``what`` names it in logs and is the task's name ("on_call handler for call <id>"). If
        it raises, ``on_error(arg, error)`` (when given) is awaited and takes care of logging
        it; without ``on_error`` the exception is logged here."""
        self._running += 1
        if self._idle.is_set():
            self._idle = anyio.Event()
        aio = self._aio
        if aio is not None and self._is_async(handler):
            try:
                coro = handler(arg)  # an async def: this only binds the arguments
            except Exception:  # a signature that does not fit: report it as _run does
                pass
            else:
                done = self._task_done_callback
                aio.start(coro, what, self._context, done, (arg, on_error))
                return
        if not self._context.run(self._spawn, self._run, what, handler, arg, what, on_error):
            self._finished()
            logger.error("%s not run: the client is shutting down", what)

    def _is_async(self, handler: object) -> bool:
        checked, is_async = self._checked
        if checked is not handler:
            is_async = inspect.iscoroutinefunction(handler)
            self._checked = (handler, is_async)
        return is_async

    async def _run(
        self, handler: Callable[[Any], Any], arg: Any, what: str, on_error: OnError | None
    ) -> None:
        try:
            result = handler(arg)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            if on_error is None:
                logger.exception("%s raised", what)
            else:
                await _report(on_error, arg, exc, what)
        finally:
            self._finished()

    def _task_done(self, task: asyncio.Task[Any], payload: tuple[Any, OnError | None]) -> None:
        # Done callback of a direct handler task (asyncio): what _run does after the handler.
        error = None if task.cancelled() else task.exception()
        if isinstance(error, Exception):
            arg, on_error = payload
            what = task.get_name()
            if on_error is None:
                logger.error("%s raised", what, exc_info=error)
            elif self._aio is not None:
                report = self._report_then_finish(on_error, arg, error, what)
                self._aio.start(report, what, self._context)
                return
        self._finished()

    async def _report_then_finish(
        self, on_error: OnError, arg: Any, error: Exception, what: str
    ) -> None:
        try:
            await _report(on_error, arg, error, what)
        finally:
            self._finished()

    def _finished(self) -> None:
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no handler runs, at most ``timeout`` seconds; ``True`` if none runs."""
        with anyio.move_on_after(timeout):
            await self._idle.wait()
        return self._running == 0


async def _report(on_error: OnError, arg: Any, error: Exception, what: str) -> None:
    try:
        await on_error(arg, error)
    except Exception:  # a bug in the reporting itself: never lose the handler's error
        logger.error("%s raised", what, exc_info=error)
        logger.exception("handling the error of %s failed", what)
