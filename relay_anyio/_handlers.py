"""The tasks that run the application's ``on_call`` / ``on_message`` handlers.

Each inbound call or message gets its own task in the client's task group, never the reader's
task, so a slow handler cannot delay pings or ACKs. A handler that raises is logged with what
it was handling and hurts nothing else; an ``on_call`` handler's error then goes to the call,
which hangs itself up unless the handler handed it on (``on_error``). The pool counts running
handlers so that a graceful stop can wait for them, up to a bound.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anyio

__all__ = ["HandlerPool", "in_handler"]

logger = logging.getLogger("relay_anyio")

# True inside handler tasks (and tasks they start): stop() called from a handler must not wait
# for that handler to finish.
_IN_HANDLER: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "relay_anyio_in_handler", default=False
)

Spawn = Callable[[Callable[[], Coroutine[Any, Any, Any]], str], bool]
OnError = Callable[[Exception], Awaitable[Any]]


def in_handler() -> bool:
    """Whether the current task runs (or was started by) an application handler."""
    return _IN_HANDLER.get()


class HandlerPool:
    """Start handler tasks through ``spawn`` and know when none is running.

    Create it inside a running event loop (it holds an ``anyio.Event``).
    """

    def __init__(self, spawn: Spawn) -> None:
        self._spawn = spawn
        self._running = 0
        self._idle = anyio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        """Handlers started and not finished."""
        return self._running

    def start(
        self, handler: Callable[[Any], Any], arg: Any, what: str, on_error: OnError | None = None
    ) -> None:
        """Run ``handler(arg)`` (sync, or awaited if it returns an awaitable) in a new task;
        ``what`` names it in logs ("on_call handler for call <id>"). If it raises, ``on_error``
        (when given) is awaited with the exception, in the same task, and takes care of
        logging it; without ``on_error`` the exception is logged here."""

        async def run() -> None:
            _IN_HANDLER.set(True)
            try:
                result = handler(arg)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                if on_error is None:
                    logger.exception("%s raised", what)
                else:
                    await _report(on_error, exc, what)
            finally:
                self._finished()

        self._running += 1
        if self._idle.is_set():
            self._idle = anyio.Event()
        if not self._spawn(run, what):
            self._finished()
            logger.error("%s not run: the client is shutting down", what)

    def _finished(self) -> None:
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no handler runs, at most ``timeout`` seconds; ``True`` if none runs."""
        with anyio.move_on_after(timeout):
            await self._idle.wait()
        return self._running == 0


async def _report(on_error: OnError, error: Exception, what: str) -> None:
    try:
        await on_error(error)
    except Exception:  # a bug in the reporting itself: never lose the handler's error
        logger.error("%s raised", what, exc_info=error)
        logger.exception("handling the error of %s failed", what)
