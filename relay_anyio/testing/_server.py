"""The emulator's network side: a WebSocket server speaking RELAY in front of the switch.

One task accepts connections; each connection has a reader (bytes into its
:class:`relay_proto._server.RelayServerConnection`, events out), a writer (drains
``data_to_send()``), a pinger and an ACK watchdog. One clock task fires the switch's timers,
re-armed from :meth:`Switch.next_deadline` through a ``CancelScope`` deadline.

Everything that changes state runs synchronously between awaits: advance the switch to the
current simulated time, act, then :meth:`EmulatorServer.pump` (deliver queued events, wake the
writers, re-arm the clock, wake waiters). So no lock is needed.

Delivery. Events for a session go through its mailbox: at most ``max_unacked`` are in flight
(sent, not yet ACKed); the rest wait. When a socket goes away, events in flight go back to the
front of the mailbox and are sent again, with the same ids, to the socket that resumes the
session; events for a session without a socket wait there (bounded). This part of the server
is its base class :class:`~._server_delivery.EventDelivery` (``_server_delivery``).

Time. The simulated world runs on ``anyio.current_time() × 1/time_scale``. Protocol timers
(server pings, ACK timeout, fault delays) are real seconds: they test the client's own timers.
Each client frame brings the world to the simulated time it arrived before it is journaled,
so what a request causes is never stamped earlier than the request.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from anyio.abc import SocketStream, TaskGroup

from relay_proto import (
    ClientClosed,
    ClientConnected,
    ClientRequest,
    ClientResponse,
    Event,
    FrameDropped,
    RemoteProtocolError,
)

from ._connections import (
    ClientInfo,
    ClientSocket,
    Credentials,
    Mailbox,
    PortListener,
)
from ._fault_actions import FaultActions
from ._faults import Faults
from ._journal import Journal, JournalEntry
from ._model import RequestError
from ._server_delivery import EventDelivery
from ._sessions import SessionDesk
from ._switch import Switch

__all__ = ["ClientInfo", "Credentials", "EmulatorServer", "EmulatorTimeout"]

T = TypeVar("T")

# Bounds.
_MAX_VIOLATIONS = 1_000
_CLOSE_WAIT = 1.0  # real seconds a closing socket waits for the client's EOF


class EmulatorTimeout(TimeoutError):
    """A wait on the emulator timed out; the message ends with the recent transcript (left
    out under the pytest fixture, whose failure report shows the whole transcript once)."""

    # Reported (repr, tracebacks, pytest) under the module it is imported from.
    __module__ = "relay_anyio.testing"


class EmulatorServer(EventDelivery):
    """Sockets, sessions' mailboxes and timers around a :class:`Switch`."""

    def __init__(
        self,
        switch: Switch,
        *,
        credentials: Credentials,
        time_scale: float,
        host: str,
        port: int,
        ping_interval: float,
        ack_timeout: float,
        max_unacked: int,
        max_missed_pings: int | None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if max_unacked < 1:
            raise ValueError("max_unacked must be at least 1")
        self.switch = switch
        self.journal = Journal()
        switch.journal_position = lambda: self.journal.next_index
        self.fault_actions = FaultActions(self)
        self.faults = Faults(self.fault_actions)
        self.credentials = credentials
        self.time_scale = time_scale
        self.host = host
        self.port = port
        self.ping_interval = ping_interval
        self.ack_timeout = ack_timeout
        self.max_unacked = max_unacked
        self.max_missed_pings = max_missed_pings
        self.violations: list[str] = []
        self.internal_errors: list[BaseException] = []
        # EmulatorTimeout messages end with the recent transcript, except under the pytest
        # fixture, whose failure report has a section with all of it (shown once, not twice).
        self.transcript_in_timeouts = True
        self._clients: dict[int, ClientSocket] = {}
        self._all_clients: list[ClientSocket] = []
        self.mailboxes: dict[str, Mailbox] = {}  # by session protocol
        self._desk = SessionDesk(self)
        # Replies the client owes to duplicated events and fault frames (id -> how many).
        self._expected_replies: OrderedDict[str, int] = OrderedDict()
        self._next_conn = 1
        self._event_seq = 0
        self._t0 = 0.0
        self._epoch = 0.0
        self._tg: TaskGroup | None = None
        self._clock_scope: anyio.CancelScope | None = None
        self._changed: anyio.Event | None = None
        self._ports = PortListener()
        self.frame_listeners: list[Callable[[JournalEntry], None]] = []  # load generator

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Listen and start the clock."""
        self._t0 = anyio.current_time()
        self._epoch = time.time()
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        try:
            await self.open_listener()
        except BaseException:
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)
            self._tg = None
            raise
        self._tg.start_soon(self._clock)

    @property
    def listening(self) -> bool:
        """Whether the port accepts connections."""
        return self._ports.listening

    async def open_listener(self) -> None:
        """Listen on ``host:port`` (the same port again after :meth:`close_listener`)."""
        if self._tg is not None:
            self.port = await self._ports.open(self.host, self.port, self._serve, self._tg)

    async def close_listener(self) -> None:
        """Stop accepting: connection attempts are refused until :meth:`open_listener`."""
        await self._ports.close()

    def spawn(self, fn: Callable[[], Any]) -> None:
        """Run the coroutine function ``fn`` in the server's task group (if running)."""
        if self._tg is not None:
            self._tg.start_soon(fn)

    async def aclose(self) -> None:
        """Close every connection (WebSocket close 1001) and stop."""
        if self._tg is None:
            return
        for client in list(self._clients.values()):
            await self._goodbye(client)
        await self.close_listener()
        self._tg.cancel_scope.cancel()
        tg, self._tg = self._tg, None
        await tg.__aexit__(None, None, None)

    async def _goodbye(self, client: ClientSocket) -> None:
        # The writer is the only task that sends on a socket: it sends the close frame (a
        # second sender here would race it: anyio refuses concurrent writes).
        if not client.dead:
            client.conn.close(1001, "emulator stopping")
            client.kill("flush")
        with anyio.move_on_after(0.5):
            await client.writer_done.wait()

    @property
    def epoch(self) -> float:
        """``time.time()`` at simulated time zero."""
        return self._epoch

    @property
    def url(self) -> str:
        """``ws://host:port``."""
        return f"ws://{self.host}:{self.port}"

    # ------------------------------------------------------------------ time
    def sim_now(self) -> float:
        """Simulated seconds since start."""
        return (anyio.current_time() - self._t0) / self.time_scale

    def _real(self, sim: float) -> float:
        return self._t0 + sim * self.time_scale

    def advance(self) -> None:
        """Bring the switch to the current simulated time (fires due timers)."""
        self.switch.run_due(self.sim_now())

    async def _clock(self) -> None:
        while True:
            deadline = self.switch.next_deadline()
            with anyio.CancelScope(
                deadline=self._real(deadline) if deadline is not None else math.inf
            ) as scope:
                self._clock_scope = scope
                await anyio.sleep_forever()
            self._clock_scope = None
            self._guarded(self.advance)
            self.pump()

    # ------------------------------------------------------------------ state changes
    def act(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` against the current switch state, then deliver what it caused."""
        self.advance()
        try:
            return fn()
        finally:
            self.pump()

    def pump(self) -> None:
        """Deliver queued events, wake writers, re-arm the clock, wake waiters."""
        for out in self.switch.take_outputs():
            self._enqueue(out.protocol, out.event_type, out.params, out.t)
        for protocol, box in list(self.mailboxes.items()):
            if protocol not in self.switch.sessions:
                del self.mailboxes[protocol]  # forgotten by a restart
            else:
                self._deliver(box)
        for client in self._clients.values():
            client.wake.set()
        self._rearm_clock()
        self._notify()

    def _notify(self) -> None:
        # Wake every wait_until(): its check runs again.
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _rearm_clock(self) -> None:
        scope = self._clock_scope
        deadline = self.switch.next_deadline()
        if scope is not None and deadline is not None:
            real = self._real(deadline)
            scope.deadline = min(scope.deadline, real)

    async def wait_until(
        self, check: Callable[[], T | None], *, timeout: float | None, what: str
    ) -> T:
        """Wait until ``check()`` returns something other than ``None``; return it.

        Raises:
            EmulatorTimeout: not within ``timeout`` real seconds.
        """
        with anyio.move_on_after(math.inf if timeout is None else timeout):
            while True:
                value = check()
                if value is not None:
                    return value
                if self._changed is None:
                    self._changed = anyio.Event()
                await self._changed.wait()
        message = f"timed out after {timeout} s waiting for {what}"
        if self.transcript_in_timeouts:
            tail = "\n".join(str(line) for line in self.switch.transcript[-25:])
            raise EmulatorTimeout(f"{message}\n{tail}")
        raise EmulatorTimeout(f"{message} (the transcript is in the test report)")

    def violation(self, text: str) -> None:
        """Record something a client did wrong (see ``emu.violations``)."""
        if len(self.violations) < _MAX_VIOLATIONS:
            self.violations.append(text)
        self.switch.log("emulator", f"client violation: {text}", t=self.sim_now())
        self._notify()

    def log_conn(self, client: ClientSocket, text: str) -> None:
        """Transcript line about a connection."""
        self.switch.log(f"conn{client.number}", text, t=self.sim_now())

    def _guarded(self, fn: Callable[[], object]) -> None:
        # A bug in the simulation must not take the whole emulator down mid-test: record it
        # (the pytest plugin fails the test with it) and carry on.
        try:
            fn()
        except Exception as exc:
            self.internal_errors.append(exc)
            self.switch.log("emulator", f"internal error: {exc!r}", t=self.sim_now())

    # ------------------------------------------------------------------ connections
    def forget_everything(self) -> None:
        """A restart: the switch loses its state, queued and unacknowledged events go."""
        self.switch.restart()
        self.mailboxes.clear()
        self._expected_replies.clear()
        self.pump()

    def live_sockets(self) -> list[ClientSocket]:
        """Open connections not being torn down."""
        return [c for c in self._clients.values() if not c.dead]

    def release(self, client: ClientSocket) -> None:
        """``client``'s socket is going away: its session's events in flight wait for a
        resume."""
        self._desk.release(client)

    @property
    def clients(self) -> list[ClientInfo]:
        """Every connection so far, open or not."""
        return [self._info(c) for c in self._all_clients]

    def _info(self, client: ClientSocket) -> ClientInfo:
        session = client.session
        return ClientInfo(
            conn=client.number,
            label=session.label if session else "",
            protocol=session.protocol if session else "",
            contexts=tuple(sorted(session.contexts)) if session else (),
            agent=client.agent,
            open=client.number in self._clients and not client.dead,
        )

    async def _serve(self, stream: SocketStream) -> None:
        client = ClientSocket(self._next_conn, stream, self._on_frame)
        client.stall = self.faults.stalling
        self._next_conn += 1
        self._clients[client.number] = client
        self._all_clients.append(client)
        if len(self._all_clients) > 10_000:
            del self._all_clients[0]
        self.log_conn(client, "socket opened")
        if client.stall == "handshake":
            self.log_conn(client, "stalling the WebSocket handshake (fault)")
        try:
            async with anyio.create_task_group() as tg:
                client.tg = tg
                tg.start_soon(self._writer, client, tg)
                tg.start_soon(self._pinger, client)
                tg.start_soon(self._ack_watch, client)
                await self._reader(client)
                tg.cancel_scope.cancel()
        finally:
            del self._clients[client.number]
            client.dead = True
            self.release(client)
            self.log_conn(client, "socket closed")
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(stream)
            self.pump()

    def _on_frame(self, client: ClientSocket, direction: str, text: str) -> None:
        # Every frame in either direction: journal it, and count it for the drop fault.
        now = self.sim_now()
        if direction == "in":
            # A client frame is handled at the simulated time it arrived: the world catches up
            # first (timers due before it fire before it is journaled), so what the frame causes
            # is never stamped earlier than the frame. (Parsing happens outside any handler.)
            self._guarded(functools.partial(self.switch.run_due, now))
        entry = self.journal.record(now, direction, client.number, text)
        for listener in self.frame_listeners:
            listener(entry)
        client.frames += 1
        if client.drop_after is not None and client.frames >= client.drop_after and not client.dead:
            self.log_conn(client, f"dropping the socket after {client.frames} frames (fault)")
            client.kill("flush")

    async def _reader(self, client: ClientSocket) -> None:
        # Reads until EOF; once the client is dead, input is read and thrown away so that the
        # socket can be closed cleanly (closing with unread input would reset it and could
        # destroy the last frames we sent).
        while True:
            try:
                data: bytes | None = await client.stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                data = None
            if not client.dead and not client.frozen and client.stall != "handshake":
                self._feed(client, data)
                self.pump()
            if data is None:
                client.eof.set()
                return

    def _feed(self, client: ClientSocket, data: bytes | None) -> None:
        self._guarded(self.advance)
        try:
            client.conn.receive_data(data)
        except RemoteProtocolError as exc:
            self.violation(f"conn{client.number}: broken WebSocket stream: {exc}")
            client.kill("now")
        except Exception as exc:
            # A bug handling one client's input (a frame observer, the journal) must not take
            # every connection and the listener down with it: record it, drop that client.
            self.internal_errors.append(exc)
            self.switch.log("emulator", f"internal error: {exc!r}", t=self.sim_now())
            client.kill("now")
        # Each event on its own: a bug handling one must not strand the ones after it.
        while (event := client.conn.next_event()) is not None and not client.dead:
            self._guarded(functools.partial(self._on_event, client, event))

    async def _writer(self, client: ClientSocket, tg: TaskGroup) -> None:
        try:
            while True:
                await client.wake.wait()
                client.wake = anyio.Event()
                data = client.conn.data_to_send()
                if data and client.abort != "now" and not client.frozen:
                    await client.stream.send(data)
                if client.abort == "now":
                    break
                if client.abort == "flush" or (client.closing and not client.conn.is_open):
                    # The last frames are out: end the stream (FIN) and let the client see it.
                    with contextlib.suppress(OSError):  # the client may be gone already
                        await client.stream.send_eof()
                    with anyio.move_on_after(_CLOSE_WAIT):
                        await client.eof.wait()
                    break
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        finally:
            client.writer_done.set()
        client.dead = True
        tg.cancel_scope.cancel()

    async def _pinger(self, client: ClientSocket) -> None:
        while not client.dead:
            await anyio.sleep(self.ping_interval)
            if client.session is None or client.dead or client.frozen:
                continue
            if client.ping_id is not None and client.ping_id in client.conn.unacked:
                client.missed_pings += 1
                self.violation(f"conn{client.number}: did not answer ping {client.ping_id}")
                if self.max_missed_pings and client.missed_pings >= self.max_missed_pings:
                    self.log_conn(client, f"closing: {client.missed_pings} pings unanswered")
                    client.kill("now")
                    return
            if self.faults.server_pings_stopped:
                self.log_conn(client, "server ping skipped (fault)")
                self._notify()
            else:
                client.ping_id = client.conn.send_ping()
                client.wake.set()

    async def _ack_watch(self, client: ClientSocket) -> None:
        while not client.dead:
            await anyio.sleep(self.ack_timeout / 2)
            box = self.mailboxes.get(client.session.protocol) if client.session else None
            if box is None or box.client is not client:
                continue
            now = anyio.current_time()
            for out in box.inflight.values():
                if not out.late and now - out.sent_at > self.ack_timeout:
                    out.late = True
                    self.violation(
                        f"conn{client.number}: event {out.event_id} ({out.event_type}) "
                        f"not acknowledged within {self.ack_timeout:g} s"
                    )

    # ------------------------------------------------------------------ inbound events
    def _on_event(self, client: ClientSocket, event: Event) -> None:
        if isinstance(event, ClientConnected):
            self.log_conn(client, f"WebSocket open (path {event.path!r})")
            if self.faults.drop_next is not None:
                client.drop_after = client.frames + self.faults.drop_next
                self.faults.drop_next = None
                if client.drop_after <= client.frames:
                    self.log_conn(client, "dropping the socket right after the handshake (fault)")
                    client.kill("flush")
        elif isinstance(event, ClientRequest):
            self._on_request(client, event)
        elif isinstance(event, ClientResponse):
            self._on_response(client, event)
        elif isinstance(event, FrameDropped):
            self._on_dropped(client, event)
        elif isinstance(event, ClientClosed):
            self.log_conn(client, f"client closed the WebSocket ({event.code})")
            client.closing = True
            client.dead = True
            client.abort = client.abort or "flush"

    def _on_request(self, client: ClientSocket, request: ClientRequest) -> None:
        method = request.method
        if method == "signalwire.connect" and client.stall == "connect":
            self.log_conn(client, "leaving signalwire.connect unanswered (fault: stall)")
            return
        if method in self.faults.ignored_methods:
            self.log_conn(client, f"ignoring {method} (fault)")
            return
        delay = self.faults.delays.get(method)
        if delay and client.tg is not None:
            self.log_conn(client, f"delaying {method} by {delay:g} s (fault)")
            client.tg.start_soon(self._delayed, client, request, delay)
            return
        self._handle(client, request)

    async def _delayed(self, client: ClientSocket, request: ClientRequest, delay: float) -> None:
        await anyio.sleep(delay)
        if not client.dead:
            self.advance()
            self._guarded(lambda: self._handle(client, request))
            self.pump()

    def _handle(self, client: ClientSocket, request: ClientRequest) -> None:
        try:
            result = self._desk.dispatch(client, request.method, request.params)
        except RequestError as exc:
            if not client.dead:
                client.conn.send_error(request.request_id, exc.code, exc.message, exc.data)
            return
        actions = self.fault_actions
        if actions.cut_before_reply(client, request.method):
            return
        if result is not None and not client.dead:
            client.conn.send_result(request.request_id, result)
        actions.after_reply(client, request.method)

    def _on_response(self, client: ClientSocket, response: ClientResponse) -> None:
        if response.method == "signalwire.event":
            box = self.mailboxes.get(client.session.protocol) if client.session else None
            if box is not None:
                box.inflight.pop(response.request_id, None)
            if response.error is not None:
                self.violation(
                    f"conn{client.number}: answered event {response.request_id} with an error"
                )
            elif response.result != {}:
                self.violation(f"conn{client.number}: ACK of {response.request_id} is not {{}}")
        elif response.method == "signalwire.ping":
            client.missed_pings = 0
        elif response.request_id in client.disconnect_ids:
            self.log_conn(client, "disconnect acknowledged: closing")
            client.conn.close(1012, "service restart")
            client.closing = True

    def _on_dropped(self, client: ClientSocket, dropped: FrameDropped) -> None:
        # Replies to a duplicated event or to a fault frame are expected; anything else the
        # client sent that the server could not use is a violation.
        # The core sets request_id for a reply it has no request for. Our ids are strings (and
        # the client's id might not even be hashable).
        rid = dropped.request_id
        if isinstance(rid, str) and self._expected_replies.get(rid, 0) > 0:
            self._expected_replies[rid] -= 1
            if not self._expected_replies[rid]:
                del self._expected_replies[rid]
            return
        self.violation(
            f"conn{client.number}: unusable frame ({dropped.reason}): {dropped.raw[:80]}"
        )
