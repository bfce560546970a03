"""Ctrl+C and SIGTERM for ``RelayClient.run()``, without ``KeyboardInterrupt``.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be, which may be the
middle of a lock's ``with`` block or between starting a thread and remembering it. ``run()``
therefore swaps in handlers that raise nothing, and the signals wake the main thread through a
socket pair (the self-pipe trick); the main thread, which does nothing but wait on that
socket, counts them and decides what they mean. Handlers are only swapped when ``run()`` is
called from the main thread and the application has not installed handlers of its own.

The socket is also the process's wakeup fd (``signal.set_wakeup_fd``), unless the application
has one: the operating system may deliver a signal to any thread (the main thread blocks
signals for a moment each time it starts a thread), and a Python-level handler only runs once
the main thread executes bytecode, which it does not while it waits in ``recv``. The C-level
handler, on whichever thread the signal lands, writes the signal number to the wakeup fd and so
wakes the main thread in every case.
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
        self._wakeup_fd = False  # whether the writer is the process's wakeup fd

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._install(signal.SIGINT, signal.default_int_handler)
            sigterm = getattr(signal, "SIGTERM", None)
            if sigterm is not None:
                self._install(sigterm, signal.SIG_DFL)
            if self._previous:
                self._take_wakeup_fd()
        return self

    def _take_wakeup_fd(self) -> None:
        previous = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        if previous != -1:  # the application's own: leave it in place, wake from the handler
            signal.set_wakeup_fd(previous)
        else:
            self._wakeup_fd = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]  # what getsignal gave
        self._previous.clear()
        if self._wakeup_fd:  # before closing: the fd number could be reused meanwhile
            signal.set_wakeup_fd(-1)
            self._wakeup_fd = False
        self._reader.close()
        self._writer.close()

    def _install(self, signum: int, expected: object) -> None:
        # Only replace the default behaviour: an application's own handler stays in charge.
        if signal.getsignal(signum) is expected:
            self._previous[signum] = expected
            signal.signal(signum, self._handler)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        # Only replaces KeyboardInterrupt: the wakeup fd already carries the signal number.
        if not self._wakeup_fd:
            self._wake(signum)

    def _wake(self, code: int) -> None:
        # A full buffer (BlockingIOError) means wake-ups are already pending.
        with contextlib.suppress(OSError):
            self._writer.send(bytes((code,)))

    def finish(self) -> None:
        """The work is over: wake :meth:`wait` for good (any thread)."""
        self.finished = True
        self._wake(0)  # no signal has number 0

    def wait(self) -> int:
        """Block until a signal arrives or :meth:`finish` is called; return the number of
        signals so far (check :attr:`finished` for the other case)."""
        if not self.finished:
            data = self._reader.recv(4096)
            # Bytes of other signals with Python handlers of the application's are not ours.
            self.count += sum(code in self._previous for code in data)
        return self.count
