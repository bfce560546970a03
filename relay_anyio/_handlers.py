"""The tasks that run the application's ``on_call`` / ``on_message`` handlers.

Each inbound call or message gets its own task in the client's task group, never the reader's
task, so a slow handler cannot delay pings or ACKs. A handler that raises is logged with what
it was handling and hurts nothing else. The pool counts running handlers so that a graceful
stop can wait for them, up to a bound.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
from collections.abc import Callable, Coroutine
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

    def start(self, handler: Callable[[Any], Any], arg: Any, what: str) -> None:
        """Run ``handler(arg)`` (sync, or awaited if it returns an awaitable) in a new task;
        ``what`` names it in logs ("on_call handler for call <id>")."""

        async def run() -> None:
            _IN_HANDLER.set(True)
            try:
                result = handler(arg)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("%s raised", what)
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
