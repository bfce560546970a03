"""The RELAY session state machine (client side): authentication, resumption, pings, requests,
the offline queue and reconnect backoff, over one :class:`~relay_proto._transport.Transport` at a
time.
"""

# Theory of operation
# ===================
#
# A Session outlives its transports. The adapter opens a socket and calls ``start``; the session
# queues the WebSocket upgrade, and once the handshake completes it sends ``signalwire.connect``
# by itself (with ``protocol`` and ``authorization_state`` when it has them, so the server can
# resume the previous session). The connect result makes the session READY: pings start, and the
# requests the application issued meanwhile (offline queue, D3/D4) are flushed in order.
#
# Lifecycle (the table ``_TRANSITIONS`` below is the whole truth; a missing pair is illegal):
#
#     IDLE --start--> CONNECTING --ws open--> AUTHENTICATING --connect ok--> READY
#       |                 |                      |      |                      |
#       |            lost/timeout       rejected/timeout  lost                lost (eof, peer
#       |                 v                      v      v                      v   close, pings)
#       +--connect_failed--> DISCONNECTED <---------------------------------------+
#                              |  ^   (TransportLost(reconnect_at); ReconnectDue at that time;
#                              +--+    the adapter then calls start or connect_failed)
#     any state --close--> CLOSING (when a WebSocket is open) --> CLOSED, or CLOSED at once
#     AUTHENTICATING --3rd rejection before any success--> CLOSED (AuthRejected(final=True))
#
# Requests. Every request gets an id from the id factory, is encoded once, and gets a deadline
# at issue (D1). While READY it goes straight to the wire; otherwise it waits in the offline
# queue (max 500; the next fails at once, D4). A reply settles it by id; an id we do not know
# (never sent, timed out, already answered) drops the reply with FrameDropped. When the
# transport is lost, requests in flight fail "Connection closed" and queued ones stay (D5).
# ``close`` fails everything "Client disconnected" (D19) and never reconnects. Issuing stays
# here (it depends on the state); writing frames, withdrawing queued requests and reporting
# outcomes are in the base class ``_session_requests.SessionRequests``.
#
# Server requests (answered by ``_session_inbound.ServerRequests``). Every ``signalwire.event``
# with an id is ACKed before anything else happens to it, exactly once per delivery. A
# redelivered id (last 1024 remembered) is ACKed again but not processed (D10); the ids are
# forgotten when a new session is not a resume. ``signalwire.authorization.state`` is consumed
# by the session; every other event goes to the domain. Server pings are answered ``{}``;
# ``signalwire.disconnect`` is answered, and with ``restart`` wipes the resume data. Any other
# method, or params that are not an object, is answered with a JSON-RPC error when it has an id
# (D9) and reported as FrameDropped.
#
# Time. The session never reads a clock: every input carries ``now`` and ``next_deadline``
# reports the earliest of: request deadlines (a heap), the handshake deadline, the next ping,
# the reconnect time and the close timeout. ``handle_timeout(now)`` does all that is due.
#
# Backoff (D6): 1 s, doubled after each wait, capped at 30 s, times a jitter factor in
# [0.8, 1.2) drawn from the injected rng; reset only by a successful authentication (not by a
# socket that opens and is then rejected). Pings (D2): every 30 s while READY; after the n-th
# consecutive failure (error reply, non-2xx code or timeout) the next follows after
# min(2^n, 30) s; 3 consecutive failures drop the transport ("ping timeout"). Dead links
# (D38): once the server has pinged on the current transport, a silence of
# ``dead_link_timeout`` seconds (no frame at all from it; default 20) drops the transport
# ("dead link: ..."); the client's own pings stay for servers that never ping.

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import _jsonrpc as rpc
from ._conn_events import (
    DROP_UNKNOWN_REPLY,
    AuthRejected,
    Event,
    FrameDropped,
    ReconnectDue,
    SessionReady,
    TransportLost,
)
from ._constants import RECONNECT_MAX_AUTH_ATTEMPTS
from ._errors import InvalidCommandError, LocalProtocolError, RemoteProtocolError
from ._ids import IdFactory, SupportsRandom
from ._requests import PendingRequest, RequestKind, RequestTable
from ._session_inbound import ServerRequests
from ._session_parts import (
    MSG_CLIENT_DISCONNECTED,
    MSG_CONNECTION_CLOSED,
    MSG_QUEUE_FULL,
    Backoff,
    EventIdMemory,
    PingSchedule,
    ResumeData,
    SessionConfig,
    SessionHooks,
)
from ._session_requests import SessionRequests
from ._transport import Closed, Dropped, Opened, Transport, TransportEvent

__all__ = ["Session", "SessionState"]


class SessionState:
    """String constants for ``RelayConnection.state``."""

    IDLE = "idle"  # never started
    CONNECTING = "connecting"  # WebSocket handshake in progress
    AUTHENTICATING = "authenticating"  # signalwire.connect sent, no result yet
    READY = "ready"  # authenticated; requests go straight out
    DISCONNECTED = "disconnected"  # transport lost; waiting for ReconnectDue / start()
    CLOSING = "closing"  # close() called, WebSocket close handshake in progress
    CLOSED = "closed"  # final: closed by the client, or auth rejected for good


_S = SessionState

# Inputs of the lifecycle table.
_START = "start"
_CONNECT_FAILED = "connect_failed"
_OPENED = "ws_open"
_AUTH_OK = "auth_ok"
_AUTH_REJECTED = "auth_rejected"
_AUTH_REJECTED_FINAL = "auth_rejected_final"
_LOST = "transport_lost"
_CLOSE = "close"

_TRANSITIONS: dict[tuple[str, str], str] = {
    (_S.IDLE, _START): _S.CONNECTING,
    (_S.DISCONNECTED, _START): _S.CONNECTING,
    (_S.IDLE, _CONNECT_FAILED): _S.DISCONNECTED,
    (_S.DISCONNECTED, _CONNECT_FAILED): _S.DISCONNECTED,
    (_S.CONNECTING, _CONNECT_FAILED): _S.DISCONNECTED,
    (_S.CONNECTING, _OPENED): _S.AUTHENTICATING,
    (_S.AUTHENTICATING, _AUTH_OK): _S.READY,
    (_S.AUTHENTICATING, _AUTH_REJECTED): _S.DISCONNECTED,
    (_S.AUTHENTICATING, _AUTH_REJECTED_FINAL): _S.CLOSED,
    (_S.CONNECTING, _LOST): _S.DISCONNECTED,
    (_S.AUTHENTICATING, _LOST): _S.DISCONNECTED,
    (_S.READY, _LOST): _S.DISCONNECTED,
    (_S.CLOSING, _LOST): _S.CLOSED,
    (_S.IDLE, _CLOSE): _S.CLOSED,
    (_S.DISCONNECTED, _CLOSE): _S.CLOSED,
    (_S.CONNECTING, _CLOSE): _S.CLOSED,  # no WebSocket yet: nothing to close politely
    (_S.AUTHENTICATING, _CLOSE): _S.CLOSING,
    (_S.READY, _CLOSE): _S.CLOSING,
}

_METHOD_CONNECT = "signalwire.connect"
_METHOD_PING = "signalwire.ping"

# Seconds to wait for the server's close frame after ours before giving up on the socket.
CLOSE_TIMEOUT = 5.0


class Session(SessionRequests):
    """The client session across transports (see the theory of operation above).

    Args:
        config: validated settings.
        contexts: initial contexts (validated by the caller).
        id_factory: request ids.
        rng: backoff jitter source, or ``None`` for no jitter.
        emit: receives the session's connection-level events.
        hooks: the owner's callbacks (requests with reported outcomes, events for the domain,
            lifecycle).
        observer: ``observer("in" | "out", text)`` for every JSON-RPC frame, or ``None``.
    """

    def __init__(
        self,
        config: SessionConfig,
        *,
        contexts: Iterable[str],
        id_factory: IdFactory,
        rng: SupportsRandom | None,
        emit: Callable[[Event], None],
        hooks: SessionHooks,
        observer: Callable[[str, str], None] | None,
    ) -> None:
        self._config = config
        self._emit = emit
        self._hooks = hooks
        self._observer = observer
        self._state = _S.IDLE
        self._transport: Transport | None = None
        self._leftover = b""  # output of a finished transport, not yet written by the adapter
        self._requests = RequestTable(
            id_factory, config.request_timeout, max_queued=config.max_offline_queue
        )
        self._resume = ResumeData(contexts)
        # Authentication and reconnection (D6, D7).
        self._authenticated_once = False
        self._auth_failures = 0
        self._backoff = Backoff(rng)
        self._reconnect_at: float | None = None
        self._reconnect_attempt = 0
        # Timers other than request deadlines; None when not armed.
        self._handshake_deadline: float | None = None
        self._close_deadline: float | None = None
        self._pings = PingSchedule(
            config.ping_interval, config.max_missed_pings, config.dead_link_timeout
        )
        self._seen_events = EventIdMemory()
        self._server_requests = ServerRequests(
            write=self._write,
            emit=emit,
            hooks=hooks,
            resume=self._resume,
            pings=self._pings,
            seen_events=self._seen_events,
        )

    # ---------------------------------------------------------------- state
    @property
    def state(self) -> str:
        """One of the :class:`SessionState` strings."""
        return self._state

    @property
    def protocol(self) -> str:
        """Protocol string of the current/last session (``""`` before the first, after restart)."""
        return self._resume.protocol

    @property
    def authorization_state(self) -> str:
        """The last ``signalwire.authorization.state`` blob (``""`` when none, after restart)."""
        return self._resume.authorization_state

    @property
    def contexts(self) -> tuple[str, ...]:
        """Contexts the next ``signalwire.connect`` will send."""
        return self._resume.contexts

    def restore(self, protocol: str, authorization_state: str) -> None:
        """Seed the resume data with what an earlier connection of the same client learnt, so
        the first ``signalwire.connect`` asks the server to resume that session (spec 1.4)."""
        self._resume.protocol = protocol
        self._resume.authorization_state = authorization_state

    def _next(self, event: str) -> str:
        try:
            return _TRANSITIONS[(self._state, event)]
        except KeyError:
            raise LocalProtocolError(f"cannot {event} in state {self._state}") from None

    def _move(self, event: str) -> None:
        self._state = self._next(event)

    # ---------------------------------------------------------------- transport lifecycle
    def start(self, now: float) -> None:
        """A socket is open: queue the WebSocket upgrade (``IDLE`` / ``DISCONNECTED`` only).

        Raises:
            LocalProtocolError: in any other state.
        """
        self._next(_START)
        transport = Transport(client=True, max_message_size=self._config.max_message_size)
        transport.start(self._config.host)
        self._move(_START)
        self._transport = transport
        self._leftover = b""  # it belonged to the previous socket
        self._reconnect_at = None
        self._seen_events.transport_started()
        self._handshake_deadline = now + self._config.request_timeout

    def connect_failed(self, now: float, reason: str) -> None:
        """The adapter could not open a socket: schedule the next attempt. Ignored once closed.

        Raises:
            LocalProtocolError: while authenticating or ready (a transport is up).
        """
        if self._state is _S.CLOSED:
            return
        had_transport = self._state is _S.CONNECTING
        self._move(_CONNECT_FAILED)
        self._abandon_transport()
        self._timers_off()
        if had_transport:
            self._hooks.transport_lost(now)
        reconnect_at = self._schedule_reconnect(now)
        self._emit(
            TransportLost(reason=str(reason), reconnect_at=reconnect_at, socket_opened=False)
        )

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket now."""
        out = self._leftover
        if out:
            self._leftover = b""
        if self._transport is not None:
            data = self._transport.data_to_send()
            out = out + data if out else data
        return out

    def receive_data(self, data: bytes | None, now: float) -> None:
        """Feed socket bytes (``None`` = EOF). Ignored when no transport is live.

        Raises:
            RemoteProtocolError: the WebSocket stream is broken (after ``TransportLost``).
        """
        transport = self._transport
        if transport is None:
            return
        broke = False

        def handle(item: TransportEvent) -> None:
            nonlocal broke
            if self._transport is not transport:
                return  # the session gave this transport up: the rest of its input is moot
            if isinstance(item, str):
                self._on_text(item, now)
            else:
                broke = isinstance(item, Closed) and item.broken
                self._on_transport_event(item, now)

        try:
            transport.receive_data(data, handle)
        except RemoteProtocolError:
            if broke:
                raise  # TransportLost is out; now the adapter hears of the broken stream

    def _on_transport_event(self, item: Opened | Dropped | Closed, now: float) -> None:
        if isinstance(item, Opened):
            self._move(_OPENED)
            self._handshake_deadline = None
            self._send_connect(now)
        elif isinstance(item, Dropped):
            self._emit(FrameDropped(reason=item.reason, raw=item.raw))
        elif self._state is _S.CLOSING:
            self._finish_close(item.code)
        else:
            self._lose(now, item.reason, item.code)

    def _abandon_transport(self) -> None:
        transport = self._transport
        if transport is not None:
            self._leftover += transport.data_to_send()
            self._transport = None

    def _timers_off(self) -> None:
        self._handshake_deadline = None
        self._close_deadline = None
        self._pings.stop()

    def _lose(self, now: float, reason: str, code: int | None = None, how: str = _LOST) -> None:
        """The transport is finished without an intentional close: reconnect later."""
        if self._transport is not None:
            self._transport.close()
        self._abandon_transport()
        self._move(how)
        self._timers_off()
        for request in self._requests.take_inflight():
            self._abort(request, MSG_CONNECTION_CLOSED, now)
        self._hooks.transport_lost(now)
        reconnect_at = self._schedule_reconnect(now)
        self._emit(TransportLost(reason=reason, code=code, reconnect_at=reconnect_at))

    def _schedule_reconnect(self, now: float) -> float:
        self._reconnect_at = now + self._backoff.next_delay()
        return self._reconnect_at

    # ---------------------------------------------------------------- authentication
    def _send_connect(self, now: float) -> None:
        params = self._resume.connect_params(self._config)
        request = self._requests.create(_METHOD_CONNECT, params, now, None, RequestKind.CONNECT)
        self._write(request.text)
        self._requests.add_sent(request)

    def _on_connect_result(self, result: dict[str, Any], now: float) -> None:
        resume = self._resume
        previous = resume.protocol
        # An earlier session of this client existed (or one was handed to restore()): if this
        # one is not its resume, what belonged to it is gone.
        replaces = self._authenticated_once or bool(resume.sent_protocol)
        resumed = resume.connected(result)
        if not resumed:
            # Event ids are unique within one server session only: the new session's first
            # ids must not be taken for redeliveries of the old one's (and dropped).
            self._seen_events.forget_earlier_transports()
        self._move(_AUTH_OK)
        self._authenticated_once = True
        self._auth_failures = 0
        self._backoff.reset()  # D6: only a successful auth resets the backoff
        self._reconnect_attempt = 0
        self._pings.start(now)
        self._hooks.protocol_changed(resume.protocol)
        ready = SessionReady(
            protocol=resume.protocol, identity=resume.identity, resumed=resumed, result=result
        )
        self._emit(ready)
        if replaces and not resumed:
            self._hooks.session_replaced(previous, now)
        self._flush(now)
        self._hooks.session_ready(resumed, now)

    def _auth_rejected(self, code: int, message: str, now: float) -> None:
        self._auth_failures += 1
        final = not self._authenticated_once and self._auth_failures >= RECONNECT_MAX_AUTH_ATTEMPTS
        self._emit(
            AuthRejected(code=code, message=message, attempt=self._auth_failures, final=final)
        )
        if not final:
            self._lose(now, "auth rejected", None, _AUTH_REJECTED)
            return
        # D7: credentials that failed three times before any success will not start working.
        if self._transport is not None:
            self._transport.close()
        self._abandon_transport()
        self._move(_AUTH_REJECTED_FINAL)
        self._shut_down(MSG_CONNECTION_CLOSED, now)
        self._emit(TransportLost(reason="auth rejected", reconnect_at=None))

    def _shut_down(self, message: str, now: float) -> None:
        """No more transports: fail every request, stop every timer."""
        self._timers_off()
        self._reconnect_at = None
        for request in self._requests.take_all():
            self._abort(request, message, now)
        self._hooks.closed(now)

    # ---------------------------------------------------------------- requests
    def request(
        self,
        method: str,
        params: dict[str, Any],
        now: float,
        timeout: float | None = None,
        kind: str = RequestKind.USER,
        purpose: object | None = None,
        contexts: tuple[str, ...] = (),
    ) -> str:
        """Issue a request: sent now when ready, else queued; its outcome is reported through
        the hooks (at once for a full queue or a closed session). Returns its id.

        Raises:
            InvalidCommandError: empty method, bad timeout, params not JSON-serialisable.
            LocalProtocolError: the id factory returned a used or non-string id.
        """
        if not isinstance(method, str) or not method:
            raise InvalidCommandError("method must be a non-empty string")
        request = self._requests.create(method, params, now, timeout, kind, purpose, contexts)
        state = self._state
        if state is _S.CLOSED or state is _S.CLOSING:
            self._abort(request, MSG_CLIENT_DISCONNECTED, now)
        elif state is _S.READY and self._write(request.text):
            self._requests.add_sent(request)
        elif self._requests.queue_full():
            self._abort(request, MSG_QUEUE_FULL, now)
        else:
            self._requests.add_queued(request)
        return request.id

    def _flush(self, now: float) -> None:
        # Requests whose deadline already passed are reported as timed out, not sent.
        self._expire(now)
        for request in self._requests.take_queued():
            self._write(request.text)
            self._requests.mark_sent(request)

    def _failed(
        self, request: PendingRequest, code: int, message: str, now: float, data: Any = None
    ) -> None:
        """The server refused ``request`` (error reply or non-2xx code)."""
        kind = request.kind
        if kind is RequestKind.CONNECT:
            self._auth_rejected(code, message, now)
        elif kind is RequestKind.PING:
            self._ping_failed(now)
        else:
            self._hooks.request_failed(request, code, message, data, now)

    # ---------------------------------------------------------------- inbound frames
    def _on_text(self, text: str, now: float) -> None:
        pings = self._pings
        if pings.server_pings_seen:
            pings.heard(now)
        if self._observer is not None:
            self._observer("in", text)
        if self._state is _S.CLOSING:
            return  # everything was settled by close(); nothing can be answered any more
        frame = rpc.decode_frame(text)
        if isinstance(frame, rpc.Request):
            self._server_requests.handle(frame, text, now)
        elif isinstance(frame, rpc.Reply):
            self._on_reply(frame, text, now)
        elif isinstance(frame, rpc.ErrorReply):
            self._on_error_reply(frame, text, now)
        else:
            self._server_requests.invalid(frame, text)

    def _on_reply(self, frame: rpc.Reply, text: str, now: float) -> None:
        request = self._requests.take_reply(frame.id)
        if request is None:
            self._server_requests.drop(DROP_UNKNOWN_REPLY, text)
            return
        result = frame.result
        kind = request.kind
        if type(result) is not dict:
            result = {"raw": result}
        elif kind is RequestKind.CONNECT:
            pass  # connect results are never code-checked (spec 1.9.3)
        elif (code := result.get("code")) is not None and not (
            type(code) is str and code in rpc.SUCCESS_CODES  # "200": no call to find out
        ):
            failure = rpc.result_failure(result)
            if failure is not None:
                self._failed(request, failure[0], failure[1], now)
                return
        if kind is RequestKind.USER:
            self._hooks.request_succeeded(request, result, now)
        elif kind is RequestKind.CONNECT:
            self._on_connect_result(result, now)
        else:
            self._succeeded(request, result, now)

    def _on_error_reply(self, frame: rpc.ErrorReply, text: str, now: float) -> None:
        request = self._requests.take_reply(frame.id)
        if request is None:
            self._server_requests.drop(DROP_UNKNOWN_REPLY, text)
        else:
            self._failed(request, frame.code, frame.message, now, frame.data)

    # ---------------------------------------------------------------- time
    def next_deadline(self) -> float | None:
        """The earliest time at which :meth:`handle_timeout` has work, or ``None``."""
        deadline = self._requests.next_deadline()
        for timer in (
            self._handshake_deadline,
            self._pings.due,
            self._pings.silence_due,
            self._reconnect_at,
            self._close_deadline,
        ):
            if timer is not None and (deadline is None or timer < deadline):
                deadline = timer
        return deadline

    def handle_timeout(self, now: float) -> None:
        """Do everything due at ``now``."""
        self._expire(now)
        if self._handshake_deadline is not None and self._handshake_deadline <= now:
            self._lose(now, "websocket handshake timeout")
        silence_due = self._pings.silence_due
        if silence_due is not None and silence_due <= now and self._state is _S.READY:
            self._lose(
                now, f"dead link: nothing from the server for {self._config.dead_link_timeout:g} s"
            )
        if self._pings.due is not None and self._pings.due <= now:
            self._send_ping(now)
        if self._reconnect_at is not None and self._reconnect_at <= now:
            self._reconnect_at = None
            self._reconnect_attempt += 1
            self._emit(ReconnectDue(attempt=self._reconnect_attempt))
        if self._close_deadline is not None and self._close_deadline <= now:
            self._finish_close(None)

    def _expire(self, now: float) -> None:
        for request in self._requests.take_expired(now):
            kind = request.kind
            if kind is RequestKind.CONNECT:
                self._auth_rejected(-1, f"Request timeout for {request.method}", now)
            elif kind is RequestKind.PING:
                self._ping_failed(now)
            else:
                self._hooks.request_timed_out(request, now)

    def _send_ping(self, now: float) -> None:
        self._pings.sent()
        request = self._requests.create(_METHOD_PING, {}, now, None, RequestKind.PING)
        self._write(request.text)
        self._requests.add_sent(request)

    def _ping_failed(self, now: float) -> None:
        if self._pings.failed(now):
            self._lose(now, "ping timeout")

    # ---------------------------------------------------------------- close
    def close(self, now: float) -> None:
        """Intentional shutdown (see ``RelayConnection.close``). Idempotent."""
        if self._state is _S.CLOSED or self._state is _S.CLOSING:
            return
        self._move(_CLOSE)
        self._shut_down(MSG_CLIENT_DISCONNECTED, now)
        if self._state is _S.CLOSING:
            self._transport.close()  # type: ignore[union-attr]  # open in this state
            self._close_deadline = now + CLOSE_TIMEOUT
        else:
            if self._transport is not None:
                self._transport.close()
            self._abandon_transport()
            self._emit(TransportLost(reason="closed by client", reconnect_at=None))

    def _finish_close(self, code: int | None) -> None:
        self._abandon_transport()
        self._close_deadline = None
        self._move(_LOST)
        self._emit(TransportLost(reason="closed by client", code=code, reconnect_at=None))
