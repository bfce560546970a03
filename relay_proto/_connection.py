"""The client side of a RELAY session, sans I/O.

(SKELETON — the interface below is the contract adapters are written against. Bodies are being
implemented; see docs/design/architecture.md.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ._conn_events import Event
from ._ids import IdFactory, SupportsRandom
from ._types import CallCommand, CallInfo, Started

__all__ = ["RelayConnection", "SessionState"]

FrameObserver = Callable[[str, str], None]
"""Called as ``observer("in" | "out", frame_text)`` for every JSON-RPC frame, when set."""


class SessionState:
    """String constants for ``RelayConnection.state``."""

    IDLE = "idle"  # never started
    CONNECTING = "connecting"  # WebSocket handshake in progress
    AUTHENTICATING = "authenticating"  # signalwire.connect sent, no result yet
    READY = "ready"  # authenticated; requests go straight out
    DISCONNECTED = "disconnected"  # transport lost; waiting for ReconnectDue / start()
    CLOSING = "closing"  # close() called, WebSocket close handshake in progress
    CLOSED = "closed"  # final: closed by the client, or auth rejected for good


class RelayConnection:
    """One RELAY client session, across any number of transports (reconnects).

    Args:
        project, token: project id and API token (ignored when ``jwt_token`` is given).
        jwt_token: JWT credentials; takes precedence over project/token.
        host: the ``Host`` header / authority for the WebSocket handshake (``"example.signalwire.com"``
            or ``"127.0.0.1:8080"``). The path is always ``/``.
        contexts: initial inbound contexts (sent in ``signalwire.connect``).
        max_active_calls: tracked-call limit; an inbound call over it is passed back.
        agent: agent string sent in ``signalwire.connect``.
        request_timeout: default per-request deadline in seconds (10).
        ping_interval: seconds between client ``signalwire.ping`` requests once ready (30).
        max_missed_pings: consecutive failed/unanswered pings that close the transport (3).
        max_offline_queue: requests kept while not ready (500).
        max_message_size: largest inbound WebSocket message accepted (10 MiB); larger ones are
            dropped with ``FrameDropped`` and the connection keeps going.
        id_factory: source of request ids, control ids and dial tags.
        rng: source of backoff jitter (``random()``); ``None`` means no jitter.
        frame_observer: optional callback for tracing frames (see :data:`FrameObserver`).
    """

    def __init__(
        self,
        *,
        project: str = "",
        token: str = "",
        jwt_token: str = "",
        host: str = "relay.signalwire.com",
        contexts: Sequence[str] = (),
        max_active_calls: int = 1000,
        agent: str = "relay-sansio/0.1",
        request_timeout: float = 10.0,
        ping_interval: float = 30.0,
        max_missed_pings: int = 3,
        max_offline_queue: int = 500,
        max_message_size: int = 10 * 1024 * 1024,
        id_factory: IdFactory | None = None,
        rng: SupportsRandom | None = None,
        frame_observer: FrameObserver | None = None,
    ) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- transport lifecycle
    def start(self, now: float) -> None:
        """Begin a new transport: the adapter has just opened a socket to the server.

        Queues the WebSocket upgrade request; after the handshake the core sends
        ``signalwire.connect`` by itself (with resume data when it has some). Allowed in
        ``IDLE`` and ``DISCONNECTED``; raises ``LocalProtocolError`` otherwise.
        """
        raise NotImplementedError

    def connect_failed(self, now: float, reason: str) -> None:
        """The adapter could not open a socket (refused, DNS, TLS...). Schedules the next attempt
        with backoff (emits ``TransportLost`` with ``reconnect_at``)."""
        raise NotImplementedError

    def receive_data(self, data: bytes | None, now: float) -> None:
        """Feed bytes read from the socket; ``None`` means the socket reached EOF.

        Raises ``RemoteProtocolError`` only for a broken WebSocket stream (and then also emits
        ``TransportLost``). Everything else that is wrong is dropped with an event.
        """
        raise NotImplementedError

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket now (possibly ``b""``). Includes ACKs and pongs the core
        queued by itself."""
        raise NotImplementedError

    def next_event(self) -> Event | None:
        """Pop the next connection-level event, or ``None``."""
        raise NotImplementedError

    def next_deadline(self) -> float | None:
        """The earliest monotonic time at which ``handle_timeout`` has work, or ``None``."""
        raise NotImplementedError

    def handle_timeout(self, now: float) -> None:
        """Do everything due at ``now``: request/dial timeouts, pings, reconnect, close timeout."""
        raise NotImplementedError

    def close(self, now: float) -> None:
        """Intentional shutdown: fail pending requests (``RequestFailed`` code -1, "Client
        disconnected") and pending dials, start the WebSocket close handshake, never reconnect.
        Ends with ``TransportLost(reason="closed by client", reconnect_at=None)`` and ``CLOSED``."""
        raise NotImplementedError

    # ---------------------------------------------------------------- state
    @property
    def state(self) -> str:
        """One of the :class:`SessionState` strings."""
        raise NotImplementedError

    @property
    def relay_protocol(self) -> str:
        """Protocol string of the current/last session (``""`` before the first, after restart)."""
        raise NotImplementedError

    @property
    def contexts(self) -> tuple[str, ...]:
        """Contexts that the next ``signalwire.connect`` will send (initial plus receive()d)."""
        raise NotImplementedError

    def get_call(self, call_id: str) -> CallInfo | None:
        """Snapshot of a tracked call, or ``None``."""
        raise NotImplementedError

    # ---------------------------------------------------------------- commands
    def execute(
        self, method: str, params: Mapping[str, Any], *, now: float, timeout: float | None = None
    ) -> str:
        """Send any JSON-RPC request (queued while not ``READY``). Returns its request id; the
        outcome arrives as ``RequestSucceeded`` / ``RequestFailed`` / ``RequestTimedOut``."""
        raise NotImplementedError

    def call_command(
        self, call_id: str, command: CallCommand, *, now: float, timeout: float | None = None
    ) -> Started:
        """Send a call-scoped command built by :mod:`relay_proto.commands`.

        Adds ``node_id``/``call_id`` (and ``control_id``, generated when the command has none).
        For an action, registers it before the request goes out. A request id is always
        allocated and its outcome always arrives as an event, so adapters wait the same way in
        every case:

        * call tracked: the request is sent (or queued while not ready). A 404/410 reply, or an
          empty result for an action, becomes ``RequestSucceeded(result={}, call_gone=True)``
          (plus ``ActionCompleted(reason="call_gone")`` for an action). Any other failure
          unregisters the action and arrives as ``RequestFailed`` / ``RequestTimedOut``.
        * call ended or unknown: nothing is sent; ``ActionCompleted(reason="call_ended")`` (for an
          action) and ``RequestSucceeded(result={}, call_gone=True)`` are queued at once.
        """
        raise NotImplementedError

    def dial(
        self,
        devices: Sequence[Sequence[Mapping[str, Any]]],
        *,
        now: float,
        tag: str | None = None,
        max_duration: int | None = None,
        dial_timeout: float = 120.0,
        extra: Mapping[str, Any] | None = None,
    ) -> Started:
        """Start ``calling.dial``; the pending dial is registered before sending. Outcome:
        ``DialAnswered`` / ``DialFailed`` (the request itself may fail with ``RequestFailed``)."""
        raise NotImplementedError

    def send_message(
        self,
        *,
        now: float,
        to_number: str,
        from_number: str,
        context: str | None = None,
        body: str | None = None,
        media: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        region: str | None = None,
    ) -> Started:
        """Send ``messaging.send``; once accepted, the ``message_id`` from the result is tracked and
        its ``messaging.state`` events arrive as ``MessageStateChanged``."""
        raise NotImplementedError

    def receive(self, contexts: Iterable[str], *, now: float) -> Started:
        """``signalwire.receive``; on success the contexts are remembered for reconnects.
        An empty list sends nothing (``Started(request_id=None)``)."""
        raise NotImplementedError

    def unreceive(self, contexts: Iterable[str], *, now: float) -> Started:
        """``signalwire.unreceive``; on success the contexts are forgotten."""
        raise NotImplementedError
