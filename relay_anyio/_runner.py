"""The I/O loop around one :class:`relay_proto.RelayConnection`: sockets, reader, timer, writes.

This is the "driving loop" of docs/design/architecture.md and nothing more: it makes no
protocol decision. Three pieces run in the client's task group:

* :meth:`SessionRunner.serve_transports` opens a socket whenever the core wants one (at start
  and on each ``ReconnectDue``), calls ``conn.start(now)`` and reads: every chunk goes to
  ``conn.receive_data``; EOF or a broken socket is ``receive_data(None)``. When the core reports
  ``TransportLost`` the reader stops, the remaining output is written and the socket closed.
* :meth:`SessionRunner.run_timer` sleeps in a ``CancelScope`` whose deadline is the core's
  ``next_deadline()``, re-armed after every change, and calls ``handle_timeout``.
* :meth:`SessionRunner.flush` writes ``data_to_send()`` under a lock, so output leaves in the
  order the core produced it whichever task triggered it.

On asyncio the socket is an :class:`asyncio.Protocol` (:mod:`relay_anyio._aio_stream`): the
loop hands each chunk to :meth:`SessionRunner._on_bytes`, which feeds the core and writes its
answer at once; the reader "task" then only waits for the connection to end. Trio reads an anyio
byte stream in the reader task. ``RELAY_ANYIO_TRANSPORT=stream`` makes asyncio use the anyio
stream as well (for comparisons).

After every core call the runner drains ``next_event()`` (:meth:`pump`) and hands each event to
the client's dispatcher. Time is the event loop's clock (``anyio.current_time()``, the clock
cancel scopes use), looked up once per runner.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import anyio.lowlevel
import sniffio

from relay_proto import (
    Endpoint,
    Event,
    LocalProtocolError,
    ReconnectDue,
    RelayConnection,
    RemoteProtocolError,
    TransportLost,
    mask_frame,
)

from ._config import connect_error, describe_error, report_open_failure
from ._transport import OPEN_ERRORS, open_stream

if TYPE_CHECKING:
    import asyncio

    from ._aio_stream import AioStream

__all__ = ["SessionRunner", "backend_clock", "frame_tracer", "serve_until_signal", "spawn_detached"]

# "stream": read through anyio's byte stream on asyncio too (the protocol path is the default).
_TRANSPORT_ENV = "RELAY_ANYIO_TRANSPORT"

logger = logging.getLogger("relay_anyio")
frame_logger = logging.getLogger("relay_anyio.frames")

# Bytes asked from the socket per read; larger messages arrive in several reads.
_READ_SIZE = 65536
# A TCP/TLS open that has not completed by then counts as failed (the core then backs off).
OPEN_TIMEOUT = 10.0
# Bound on writing the last bytes (a WebSocket close frame) and closing a socket that is going
# away: a peer that stopped reading must not hold the shutdown.
_CLOSE_TIMEOUT = 2.0
# Errors that mean the socket is gone (EOF excepted, which is reported as such).
_SOCKET_ERRORS = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError, ssl.SSLError)


class SessionRunner:
    """Drive one RelayConnection over successive sockets.

    Args:
        conn: the core.
        endpoint: where to connect.
        ssl_context: TLS context for ``wss`` (``None`` for ``ws``).
        on_event: the client's dispatcher, called with every event the core emits (after the
            runner has reacted to ``TransportLost`` / ``ReconnectDue`` itself). It must not
            raise; if it does, the error is logged.
        on_open_error: called with a :class:`RelayConnectError` (naming the host and the
            cause) when a socket cannot be opened; returning ``True`` means "give up"
            (``connect()`` raising at the first failure); ``False`` lets the core back off and
            retry.
    """

    def __init__(
        self,
        conn: RelayConnection,
        endpoint: Endpoint,
        ssl_context: ssl.SSLContext | None,
        on_event: Callable[[Event], None],
        on_open_error: Callable[[BaseException], bool],
    ) -> None:
        self._conn = conn
        self._endpoint = endpoint
        self._ssl_context = ssl_context
        self._on_event = on_event
        self._on_open_error = on_open_error
        #: The loop's clock, read for every request and every read (see backend_clock).
        self.now = backend_clock()
        # fast_acquire: taking the free lock is not a checkpoint (no extra event-loop round per
        # write); the send under it still is.
        self._write_lock = anyio.Lock(fast_acquire=True)
        self._stream: anyio.abc.ByteStream | None = None
        self._aio: AioStream | None = None  # the socket, on asyncio's protocol path
        self._burst: asyncio.Handle | None = None  # a coalesced write is due (protocol path)
        self._use_protocol = (
            sniffio.current_async_library() == "asyncio"
            and os.environ.get(_TRANSPORT_ENV, "") != "stream"
        )
        self._lost = True  # no transport yet
        self._reader_scope: anyio.CancelScope | None = None
        self._timer_scope: anyio.CancelScope | None = None
        self._want_transport = anyio.Event()
        self._want_transport.set()  # the first transport
        self._pumping = False
        self._open_failures = 0  # consecutive sockets that could not be opened

    @property
    def connected(self) -> bool:
        """Whether a socket is open (the session may still be authenticating)."""
        return (self._stream is not None or self._aio is not None) and not self._lost

    # ---------------------------------------------------------------- core plumbing

    def pump(self) -> None:
        """Dispatch every pending core event, then re-arm the timer."""
        if self._pumping:
            return  # re-entered from a dispatch: the outer loop picks the new events up
        self._pumping = True
        try:
            while (event := self._conn.next_event()) is not None:
                if isinstance(event, TransportLost):
                    self._transport_lost()
                elif isinstance(event, ReconnectDue):
                    self._want_transport.set()
                try:
                    self._on_event(event)
                except Exception:
                    logger.exception("error while dispatching %s", type(event).__name__)
        finally:
            self._pumping = False
        scope = self._timer_scope
        if scope is not None:
            # Re-arming costs a timer handle on asyncio, and almost every request moves the
            # deadline (each has its own 10 s timeout): only an earlier deadline re-arms now. A
            # later one is taken when the timer wakes at the current one and finds nothing due.
            deadline = self._conn.next_deadline()
            if deadline is not None and deadline < scope.deadline:
                scope.deadline = deadline

    async def flush(self) -> None:
        """Write what the core has queued; a failed write is reported to the core as EOF."""
        aio = self._aio
        if aio is not None:
            # Protocol path: transport.write is synchronous, so no lock keeps the order; wait
            # only while the socket's buffer is full.
            self._write_soon(aio)
            await aio.drain()
            return
        try:
            failed = await self._write_all()
        except BaseException:
            # Cancelled: other tasks may have left their bytes to this one (write_nowait) and
            # they wait for replies to them; another task writes them.
            if self._stream is not None:
                # (A run that is ending may refuse new tasks: the cancellation goes on as is.)
                with contextlib.suppress(RuntimeError):
                    spawn_detached(self._write_handed_off, "relay-anyio-write")
            raise
        if failed and not self._lost:
            self._feed(None)

    async def _write_all(self) -> bool:
        # Stream path. True when a write failed.
        async with self._write_lock:
            # Whatever other tasks queue while this one sends goes out in the same loop: they
            # do not wait for the lock (write_nowait), this task writes for them. A cancelled
            # task takes nothing more out of the core (its send would raise before writing it).
            while True:
                await anyio.lowlevel.checkpoint_if_cancelled()
                data = self._conn.data_to_send()
                if not data or (stream := self._stream) is None:
                    # (No socket: bytes produced between transports belong to the dead one;
                    # the core replays what matters after the next start().)
                    return False
                try:
                    await stream.send(data)
                except _SOCKET_ERRORS as exc:
                    logger.debug("write failed: %s", describe_error(exc))
                    return True

    async def _write_handed_off(self) -> None:
        # A detached task (it must not raise): what a cancelled writer left in the core. When
        # this task is cancelled in turn (the run ends), nothing is handed on again.
        with contextlib.suppress(Exception):
            if await self._write_all() and not self._lost:
                self._feed(None)

    def write_nowait(self) -> bool:
        """Write what the core has queued if that needs no waiting; ``False`` when the caller
        must ``await`` :meth:`flush` instead.

        On asyncio the write is synchronous (or coalesced, see ``_write_soon``), and only a full
        socket buffer makes a caller wait. On the stream path, while another task is sending,
        its loop sends this too: a request need not queue on the lock behind it (on trio that
        was a park and a wake-up per request while any write was in flight).
        """
        aio = self._aio
        if aio is not None:
            self._write_soon(aio)
            return not aio.paused
        return self._write_lock.locked()

    def _write_soon(self, aio: AioStream) -> None:
        if self._burst is None:
            # The first write of this event-loop iteration leaves at once (no added latency);
            # later ones in the same iteration (hundreds of handlers each sending a request)
            # are coalesced into one write when the iteration's callbacks run.
            self._write_aio(aio)
            self._burst = aio.call_soon(self._end_burst)

    def _end_burst(self) -> None:
        self._burst = None
        aio = self._aio
        if aio is not None:
            self._write_aio(aio)

    def _write_aio(self, aio: AioStream) -> None:
        data = self._conn.data_to_send()
        if data and not aio.write(data) and not self._lost:
            logger.debug("write failed: the connection is closing")
            self._feed(None)

    def _on_bytes(self, data: bytes | None) -> None:
        # Protocol path: called by the event loop with every chunk (None at the end).
        self._feed(data)
        aio = self._aio
        if aio is not None:
            self._write_aio(aio)

    def _feed(self, data: bytes | None) -> None:
        try:
            self._conn.receive_data(data, self.now())
        except RemoteProtocolError as exc:
            # The core has already emitted TransportLost for it.
            logger.debug("broken WebSocket stream: %s", exc)
        self.pump()

    def _transport_lost(self) -> None:
        self._lost = True
        if self._reader_scope is not None:
            self._reader_scope.cancel()

    # ---------------------------------------------------------------- tasks

    async def run_timer(self) -> None:
        """Call ``handle_timeout`` whenever the core's next deadline passes (runs for ever)."""
        while True:
            # Always yield once per round, even when the next deadline has already passed.
            await anyio.lowlevel.checkpoint()
            deadline = self._conn.next_deadline()
            with anyio.CancelScope(deadline=math.inf if deadline is None else deadline) as scope:
                self._timer_scope = scope
                await anyio.sleep_forever()
            self._timer_scope = None
            now = self.now()
            deadline = self._conn.next_deadline()
            if deadline is not None and deadline <= now:
                self._conn.handle_timeout(now)
                self.pump()
                await self.flush()

    async def serve_transports(self) -> None:
        """Open a socket each time the core wants one and read it until it is lost (for ever,
        or until ``on_open_error`` says to give up)."""
        while True:
            await self._want_transport.wait()
            self._want_transport = anyio.Event()
            try:
                if self._use_protocol:
                    # Imported here: a process on trio never imports asyncio.
                    from ._aio_stream import open_protocol

                    aio = await open_protocol(
                        self._endpoint, self._ssl_context, OPEN_TIMEOUT, self._on_bytes
                    )
                else:
                    stream = await open_stream(self._endpoint, self._ssl_context, OPEN_TIMEOUT)
            except OPEN_ERRORS as exc:
                failure = connect_error(exc, self._endpoint)
                self._open_failures += 1
                report_open_failure(logger, failure, self._open_failures)
                if self._on_open_error(failure):
                    return
                self._conn.connect_failed(self.now(), str(failure))
                self.pump()
                continue
            self._open_failures = 0
            if self._use_protocol:
                await self._run_protocol(aio)
            else:
                await self._run_transport(stream)

    async def _begin(self, scope: anyio.CancelScope) -> bool:
        # Both transports' start: the reader scope, the core's start and its first frames.
        # False when the client was closed meanwhile (disconnect() during the open).
        self._reader_scope = scope
        try:
            self._conn.start(self.now())
        except LocalProtocolError:
            return False
        self.pump()
        await self.flush()
        return True

    async def _run_protocol(self, aio: AioStream) -> None:
        self._aio = aio
        self._lost = False
        try:
            with anyio.CancelScope() as scope:
                if not await self._begin(scope):
                    return
                # The loop feeds the core from data_received; this only waits for the end.
                await aio.wait_closed()
        finally:
            self._reader_scope = None
            await self._close_protocol()

    async def _close_protocol(self) -> None:
        # As _close_stream: shielded and bounded.
        with anyio.CancelScope(shield=True):
            aio = self._aio
            if aio is not None:
                self._write_aio(aio)
            self._aio = None
            self._lost = True
            if aio is not None:
                await aio.aclose(_CLOSE_TIMEOUT)

    async def _run_transport(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream
        self._lost = False
        try:
            with anyio.CancelScope() as scope:
                if not await self._begin(scope):
                    return
                while not self._lost:
                    try:
                        data: bytes | None = await stream.receive(_READ_SIZE)
                    except anyio.EndOfStream:
                        data = None
                    except _SOCKET_ERRORS as exc:
                        logger.debug("read failed: %s", describe_error(exc))
                        data = None
                    self._feed(data)
                    if not self.write_nowait():
                        await self.flush()
        finally:
            self._reader_scope = None
            await self._close_stream()

    async def _close_stream(self) -> None:
        # Runs on the way out, possibly under cancellation: shield the last write and the close,
        # but bound them.
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(_CLOSE_TIMEOUT):
                await self.flush()
            stream, self._stream = self._stream, None
            self._lost = True
            if stream is not None:
                with anyio.move_on_after(_CLOSE_TIMEOUT) as scope:
                    await stream.aclose()
                if scope.cancelled_caught:
                    await anyio.aclose_forcefully(stream)

    # ---------------------------------------------------------------- commands

    def close(self) -> None:
        """Start the core's intentional close (idempotent)."""
        with contextlib.suppress(LocalProtocolError):  # already closing or closed
            self._conn.close(self.now())
        self.pump()


async def serve_until_signal(
    serve: Callable[[], Awaitable[None]], on_signal: Callable[[], bool]
) -> None:
    """Run ``serve()`` until it returns; on SIGINT/SIGTERM call ``on_signal()`` (start a
    graceful stop; ``False`` means nothing to stop, so cancel at once), and on a second signal
    cancel ``serve()``. Without signal support (not the main thread...) just run ``serve()``.

    Raises:
        Exception: what ``serve()`` raised (never wrapped in an exception group).
    """
    error: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(_watch_signals, on_signal, tg.cancel_scope)
        try:
            await serve()
        except Exception as exc:  # re-raised outside the task group: no exception group
            error = exc
        tg.cancel_scope.cancel()
    if error is not None:
        raise error


async def _watch_signals(on_signal: Callable[[], bool], scope: anyio.CancelScope) -> None:
    wanted = [signal.SIGINT]
    if hasattr(signal, "SIGTERM"):
        wanted.append(signal.SIGTERM)
    try:
        receiver = anyio.open_signal_receiver(*wanted)
        signals = receiver.__enter__()
    except (NotImplementedError, RuntimeError, ValueError) as exc:
        logger.debug("no signal handling (not the main thread?): %s", exc)
        return
    try:
        stopping = False
        async for signum in signals:
            if stopping:
                logger.warning("second signal %s: stopping now", signum)
                scope.cancel()
                return
            logger.info("signal %s: stopping gracefully", signum)
            stopping = True
            if not on_signal():
                scope.cancel()
    finally:
        receiver.__exit__(None, None, None)


def frame_tracer(secrets: Callable[[], list[str]]) -> Callable[[str, str], None] | None:
    """A frame observer for the core that logs every frame at DEBUG on ``relay_anyio.frames``,
    masked with :func:`relay_proto.mask_frame` and the live ``secrets()`` (project, token, JWT,
    authorization state); ``None`` (no tracing cost) unless that logger is enabled for DEBUG."""
    if not frame_logger.isEnabledFor(logging.DEBUG):
        return None

    def observe(direction: str, text: str) -> None:
        arrow = "<<" if direction == "in" else ">>"
        frame_logger.debug("%s %s", arrow, mask_frame(text, [s for s in secrets() if s]))

    return observe


def backend_clock() -> Callable[[], float]:
    """The running event loop's clock: what ``anyio.current_time()`` returns, without finding
    the backend again on every call (that lookup costs more than the clock read itself).

    Must be called inside the running loop.
    """
    if sniffio.current_async_library() == "trio":
        import trio

        return trio.current_time
    import asyncio

    return asyncio.get_running_loop().time


def spawn_detached(fn: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
    """Run ``await fn()`` in a task that outlives the caller's scope.

    ``RelayClient.connect()`` must return while the connection keeps running, which structured
    concurrency has no portable way to express; this is the one backend-specific line of the
    adapter. On trio the task is a system task (cancelled when the main task ends); on asyncio a
    plain task kept alive by a strong reference. ``fn`` must not raise.
    """
    if sniffio.current_async_library() == "trio":
        import trio

        trio.lowlevel.spawn_system_task(fn, name=name)
        return
    import asyncio

    task = asyncio.get_running_loop().create_task(fn(), name=name)
    _DETACHED.add(task)
    task.add_done_callback(_DETACHED.discard)


# Strong references to detached asyncio tasks (the loop keeps only weak ones).
_DETACHED: set[asyncio.Task[None]] = set()
