"""The threads around one :class:`relay_proto.RelayConnection`: reader, timer, writes.

This is the "driving loop" of docs/design/architecture.md with threads, and nothing more: it
makes no protocol decision.

* The core is used only under one lock (:meth:`SessionRunner.core`). Leaving that block
  dispatches every event the core queued (to the client, still under the lock: dispatch only
  resolves waiters and hands user code to other threads) and then writes the core's output.
* The **reader thread** opens a socket whenever the core wants one (at start and on each
  ``ReconnectDue``), calls ``conn.start(now)`` and feeds everything it reads to
  ``conn.receive_data``; EOF or a broken socket is ``receive_data(None)``. On ``TransportLost``
  the last output is written and the socket closed.
* The **timer thread** sleeps on a condition of the core's lock until ``next_deadline()``, and
  calls ``handle_timeout``. A use of the core that moves the deadline *earlier* wakes it to
  re-arm; a later deadline (every request's own 10 s timeout) wakes nobody: the timer finds it
  when it wakes at the one it sleeps until.
* **Writes** may come from any thread (a command, the reader's ACKs, the timer's pings). The
  thread that takes the write lock writes everything queued, including what others queued
  while it was writing; the others do not wait for it. Output therefore leaves in the order
  the core produced it, and only one thread is ever blocked on a slow socket.

Lock order: write lock, then core lock; socket I/O never happens under the core lock. Time is
``time.monotonic()``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from relay_proto import (
    Endpoint,
    Event,
    LocalProtocolError,
    ReconnectDue,
    RemoteProtocolError,
    TransportLost,
)
from relay_proto._connection import RelayConnection

from ._config import connect_error, describe_error, report_open_failure
from ._primitives import hold_wakeups, release_wakeups
from ._transport import OPEN_ERRORS, Stream, open_stream

__all__ = ["SessionRunner"]

logger = logging.getLogger("relay_sync")

# A TCP/TLS open that has not completed by then counts as failed (the core then backs off).
OPEN_TIMEOUT = 10.0
# A write the peer has not taken within this many seconds means the peer is gone; it also
# bounds how long the reader blocks in one recv before it looks around.
IO_TIMEOUT = 20.0
# Bound on joining the reader and timer threads at shutdown (an open in progress may take up
# to OPEN_TIMEOUT; the threads are daemons, so a late one never blocks the process).
_JOIN_TIMEOUT = OPEN_TIMEOUT + 2.0


def now() -> float:
    """The runner's clock (monotonic seconds), the one the core's deadlines refer to."""
    return time.monotonic()


class SessionRunner:
    """Drive one RelayConnection over successive sockets, with a reader and a timer thread.

    Args:
        conn: the core.
        endpoint: where to connect.
        ssl_context: TLS context for ``wss`` (``None`` for ``ws``).
        on_event: the client's dispatcher, called under the core lock with every event the
            core emits (after the runner reacted to ``TransportLost`` / ``ReconnectDue``). It
            must not block; an exception it raises is logged.
        on_open_error: called (without the lock) when a socket cannot be opened; returning
            ``True`` means "give up" (``connect()`` raising at the first failure), ``False``
            lets the core back off and retry.
        on_crash: called with the exception if the reader or timer thread dies of one (a bug:
            the core raises nothing else on purpose). The session cannot go on without them.
    """

    def __init__(
        self,
        conn: RelayConnection,
        endpoint: Endpoint,
        ssl_context: ssl.SSLContext | None,
        on_event: Callable[[Event], None],
        on_open_error: Callable[[BaseException], bool],
        on_crash: Callable[[BaseException], None],
    ) -> None:
        self._conn = conn
        self._endpoint = endpoint
        self._ssl_context = ssl_context
        self._on_event = on_event
        self._on_open_error = on_open_error
        self._on_crash = on_crash
        # Reentrant: a dispatch may issue a command (passing a call back while stopping).
        self._lock = threading.RLock()
        self._open_failures = 0  # consecutive sockets that could not be opened (reader thread)
        # Set (under the lock) to wake the timer thread early; it sleeps without the lock.
        self._timer_alarm = threading.Event()
        # While the timer thread sleeps: the deadline it sleeps until (inf: none). None while it
        # is awake (it reads next_deadline() again before it sleeps).
        self._timer_until: float | None = None
        # Set (under the lock) when the reader should open a socket or stop.
        self._transport_wanted = threading.Event()
        # Work handed to whichever thread holds the lock (see submit()).
        self._queued: deque[Callable[[RelayConnection], None]] = deque()
        self._write_lock = threading.Lock()
        self._write_wanted = False
        self._depth = 0  # nesting of core()/locked() in the thread holding the lock
        self._pumping = False
        self._stream: Stream | None = None
        self._lost = True  # no transport yet
        self._want_transport = True  # the first one
        self._stopping = False
        self._to_interrupt: Stream | None = None
        self._reader: threading.Thread | None = None
        self._timer: threading.Thread | None = None

    def core(self) -> AbstractContextManager[RelayConnection]:
        """Use the core under its lock. On the way out (also after an exception) the work
        queued by :meth:`submit` runs, the core's events are dispatched and its output
        written."""
        return _CoreUse(self)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the core's lock without using the core (the client's registries): no dispatch
        and no write on the way out, only the work :meth:`submit` queued meanwhile."""
        self._lock.acquire()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            outermost = not self._depth
            self._lock.release()
            if outermost and self._queued:
                self._drain()

    def submit(self, work: Callable[[RelayConnection], None]) -> None:
        """Run ``work(conn)`` under the core's lock, as :meth:`core` would, without waiting for
        the lock: at once when it is free, else by the thread that holds it, before it lets go
        (or right after). ``work`` reports its outcome itself (through a Waiter) and must not
        raise.

        A thread that found the lock taken would otherwise sleep on it, and be woken again
        when it is free: two thread switches, for a command that the thread holding the lock
        (the reader, busy with a chunk of frames, or another handler) sends as fast.
        """
        self._queued.append(work)
        self._drain()

    def _drain(self) -> None:
        # Run the queued work if the lock is free. Every thread that lets go of the lock comes
        # here afterwards when work is queued, so none is left behind: whoever appended it
        # either got the lock itself or failed while another thread held it.
        while self._queued and self._lock.acquire(blocking=False):
            if self._depth:  # re-entered by the holder: its outer use runs the queue
                self._lock.release()
                return
            self._depth = 1
            self._leave(drain=False)

    def _run_queued(self) -> None:
        # Lock held.
        queued, conn = self._queued, self._conn
        while queued:
            work = queued.popleft()
            work(conn)

    def _leave(self, *, drain: bool = True) -> None:
        # The end of a use of the core by the thread holding the lock (depth >= 1).
        held = False
        try:
            try:
                if self._depth == 1:
                    if self._queued:
                        self._run_queued()
                    held = hold_wakeups()
                    self._pump()
            finally:
                self._depth -= 1
                outermost = not self._depth
                self._lock.release()
            if outermost:
                self.flush()
                self._interrupt_lost_stream()
                if drain and self._queued:
                    self._drain()
        finally:
            if held:
                # The threads the dispatch woke start once the lock is free and the output out.
                release_wakeups()

    def _pump(self) -> None:
        # Lock held. A dispatch that uses core() again lands here with _pumping set: the loop
        # below picks up the events it caused.
        if self._pumping:
            return
        self._pumping = True
        try:
            while (event := self._conn.next_event()) is not None:
                if isinstance(event, TransportLost):
                    self._transport_lost()
                elif isinstance(event, ReconnectDue):
                    self._want_transport = True
                    self._transport_wanted.set()
                try:
                    self._on_event(event)
                except Exception:
                    logger.exception("error while dispatching %s", type(event).__name__)
        finally:
            self._pumping = False
        until = self._timer_until
        if until is not None:
            # Waking the timer costs a thread switch, and almost every request moves the
            # deadline (each has its own 10 s timeout): only an earlier deadline wakes it now. A
            # later one is taken when it wakes at the current one and finds nothing due.
            deadline = self._conn.next_deadline()
            if deadline is not None and deadline < until:
                self._timer_until = None
                self._timer_alarm.set()

    def _transport_lost(self) -> None:
        self._lost = True
        if threading.current_thread() is not self._reader:
            # The reader is blocked in recv on the dead socket: wake it (after the last write).
            self._to_interrupt = self._stream

    def _interrupt_lost_stream(self) -> None:
        if self._to_interrupt is None:  # the common case, without taking the lock again
            return
        with self.locked():
            stream, self._to_interrupt = self._to_interrupt, None
        if stream is not None:
            stream.interrupt()

    def flush(self) -> None:
        """Write what the core has queued. Never blocks on another writer: if one is busy it
        writes this output too. A failed write is reported to the core as EOF."""
        self._write_wanted = True
        while self._write_wanted:
            if not self._write_lock.acquire(blocking=False):
                return  # the thread holding it sees _write_wanted and loops
            failed: Stream | None = None
            try:
                self._write_wanted = False
                with self.locked():
                    data = self._conn.data_to_send()
                    # Still the lost transport's stream until the reader lets go of it: its
                    # last bytes (a close frame) go out before the socket is closed.
                    stream = self._stream
                if data and stream is not None:
                    try:
                        stream.send(data)
                    except OSError as exc:
                        logger.debug("write failed: %s", describe_error(exc))
                        failed = stream
                # Bytes made while no socket is open belong to a dead transport: the core
                # replays what matters after the next start().
            finally:
                self._write_lock.release()
            if failed is not None:
                self._feed(failed, None)

    def _feed(self, stream: Stream, data: bytes | None) -> None:
        with self.core() as conn:
            if self._stream is not stream or self._lost:
                return  # a late read or write failure of a transport already given up
            try:
                conn.receive_data(data, now())
            except RemoteProtocolError as exc:
                # The core has already emitted TransportLost for it.
                logger.debug("broken WebSocket stream: %s", exc)

    # ---------------------------------------------------------------- threads

    def start(self) -> None:
        """Start the reader and timer threads (the reader opens the first socket)."""
        self._reader = threading.Thread(
            target=self._guarded, args=(self._read_main,), name="relay-sync-reader"
        )
        self._timer = threading.Thread(
            target=self._guarded, args=(self._timer_main,), name="relay-sync-timer"
        )
        self._reader.daemon = self._timer.daemon = True
        self._reader.start()
        self._timer.start()

    def shutdown(self) -> None:
        """Stop both threads and close the socket; waits (bounded) for the threads to end."""
        with self.locked():
            self._stopping = True
            stream = self._stream
            self._transport_wanted.set()
            self._timer_alarm.set()
        if stream is not None:
            stream.interrupt()
        for thread in (self._reader, self._timer):
            if thread is not None and thread is not threading.current_thread():
                thread.join(_JOIN_TIMEOUT)

    @property
    def reading(self) -> bool:
        """Whether the reader thread is alive (a close handshake needs it to finish)."""
        return self._reader is not None and self._reader.is_alive()

    def close(self) -> None:
        """Start the core's intentional close (idempotent)."""
        # LocalProtocolError: already closing or closed.
        with self.core() as conn, contextlib.suppress(LocalProtocolError):
            conn.close(now())

    def _guarded(self, main: Callable[[], None]) -> None:
        try:
            main()
        except BaseException as exc:
            logger.exception("%s died", threading.current_thread().name)
            self._on_crash(exc)

    def _timer_main(self) -> None:
        alarm = self._timer_alarm
        while True:
            with self.locked():
                if self._stopping:
                    return
                deadline = self._conn.next_deadline()
                due = deadline is not None and deadline <= now()
                if not due:
                    # From here on, a use of the core that moves the deadline earlier sets the
                    # alarm (see _pump), also before this thread sleeps on it.
                    alarm.clear()
                    self._timer_until = math.inf if deadline is None else deadline
            if due:
                with self.core() as conn:
                    conn.handle_timeout(now())
                continue
            alarm.wait(None if deadline is None else max(deadline - now(), 0.0))
            with self.locked():
                self._timer_until = None

    def _read_main(self) -> None:
        wanted = self._transport_wanted
        while True:
            with self.locked():
                stopping, want = self._stopping, self._want_transport
                if not stopping and not want:
                    wanted.clear()  # set again (under the lock) by ReconnectDue or shutdown()
                self._want_transport = False
            if stopping:
                return
            if not want:
                wanted.wait()
                continue
            try:
                stream = open_stream(self._endpoint, self._ssl_context, OPEN_TIMEOUT, IO_TIMEOUT)
            except OPEN_ERRORS as exc:
                failure = connect_error(exc, self._endpoint)
                self._open_failures += 1
                report_open_failure(logger, failure, self._open_failures)
                if self._on_open_error(failure):
                    return
                with self.core() as conn:
                    conn.connect_failed(now(), str(failure))
                continue
            self._open_failures = 0
            try:
                self._run_transport(stream)
            finally:
                with self.locked():
                    if self._stream is stream:
                        self._stream = None
                    self._lost = True
                stream.close()

    def _run_transport(self, stream: Stream) -> None:
        with self.core() as conn:
            if self._stopping:
                return
            self._stream = stream
            self._lost = False
            try:
                conn.start(now())
            except LocalProtocolError:
                self._lost = True  # closed meanwhile (disconnect() during the open)
                return
        while not self._lost:
            try:
                data = stream.recv()
            except OSError as exc:
                logger.debug("read failed: %s", describe_error(exc))
                data = None
            if data == b"":
                continue  # nothing for IO_TIMEOUT seconds: the core's pings watch the link
            self._feed(stream, data)
            if data is None:
                return


class _CoreUse:
    """``with runner.core() as conn``: the lock and the core; see :meth:`SessionRunner.core`."""

    __slots__ = ("_runner",)

    def __init__(self, runner: SessionRunner) -> None:
        self._runner = runner

    def __enter__(self) -> RelayConnection:
        runner = self._runner
        runner._lock.acquire()
        runner._depth += 1
        return runner._conn

    def __exit__(self, *exc_info: object) -> None:
        self._runner._leave()
