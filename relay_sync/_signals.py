"""Ctrl+C and SIGTERM for ``RelayClient.run()``, without ``KeyboardInterrupt``.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be, which may be the
middle of a lock's ``with`` block or between starting a thread and remembering it. ``run()``
therefore swaps in a handler that only counts the signal and wakes the main thread through a
socket pair (the self-pipe trick); the main thread, which does nothing but wait on that
socket, then decides what the signal means. Handlers are only swapped when ``run()`` is called
from the main thread and the application has not installed handlers of its own.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from types import FrameType, TracebackType

__all__ = ["Interrupts"]


class Interrupts:
    """A context manager counting SIGINT/SIGTERM and waking :meth:`wait` for each one, and
    for :meth:`finish` (called from another thread when the work is over)."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self.count = 0
        self.finished = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._install(signal.SIGINT, signal.default_int_handler)
            sigterm = getattr(signal, "SIGTERM", None)
            if sigterm is not None:
                self._install(sigterm, signal.SIG_DFL)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]  # what getsignal gave
        self._previous.clear()
        self._reader.close()
        self._writer.close()

    def _install(self, signum: int, expected: object) -> None:
        # Only replace the default behaviour: an application's own handler stays in charge.
        if signal.getsignal(signum) is expected:
            self._previous[signum] = expected
            signal.signal(signum, self._handler)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self._wake()

    def _wake(self) -> None:
        # A full buffer (BlockingIOError) means a wake-up is already pending.
        with contextlib.suppress(OSError):
            self._writer.send(b"\0")

    def finish(self) -> None:
        """The work is over: wake :meth:`wait` for good (any thread)."""
        self.finished = True
        self._wake()

    def wait(self) -> int:
        """Block until a signal arrives or :meth:`finish` is called; return the number of
        signals so far (check :attr:`finished` for the other case)."""
        if not self.finished:
            self._reader.recv(4096)
        return self.count
