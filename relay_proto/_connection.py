"""The client side of a RELAY session, sans I/O.

:class:`RelayConnection` composes the three parts of the core (docs/design/architecture.md):
the :class:`~relay_proto._session.Session` (transport, JSON-RPC, session state machine), the
:class:`~relay_proto._domain.Domain` (calls, actions, dials, messages) and the command
builders of :mod:`relay_proto.commands` (argument checking). The session knows JSON-RPC; the
domain knows calls; this module carries requests from one to the other: every request the
domain prepares goes out through the session with its ``purpose``, and every outcome of such a
request is handed back to the domain before it is reported.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from . import commands
from ._actions import CommandPurpose
from ._conn_events import Event, RequestFailed, RequestSucceeded, RequestTimedOut
from ._constants import (
    AGENT_STRING,
    DEAD_LINK_TIMEOUT,
    DEFAULT_DIAL_TIMEOUT,
    DEFAULT_MAX_ACTIVE_CALLS,
    DEFAULT_RELAY_HOST,
    DEFAULT_REQUEST_TIMEOUT,
    MAX_MESSAGE_SIZE,
    MAX_MISSED_PINGS,
    MAX_OFFLINE_QUEUE,
    PING_INTERVAL,
)
from ._dials import DialPurpose
from ._domain import Domain, Outgoing, dial_timeout_message
from ._errors import InvalidCommandError, RelayProtoError
from ._ids import IdFactory, SupportsRandom, counter_ids
from ._requests import PendingRequest, RequestKind, check_seconds
from ._session import Session, SessionState
from ._session_parts import (
    MSG_CANCELLED,
    MSG_SESSION_REPLACED,
    SessionConfig,
    check_dead_link_timeout,
)
from ._transport import is_valid_host
from ._types import CallCommand, CallInfo, Started

__all__ = ["FrameObserver", "RelayConnection", "SessionState", "check_dead_link_timeout"]

FrameObserver = Callable[[str, str], None]
"""Called as ``observer("in" | "out", frame_text)`` for every JSON-RPC frame, when set."""


class _Glue:
    """The session's hooks: carries request outcomes and events between session and domain.

    After every domain call it drains ``Domain.take_outgoing()`` into new requests, so that a
    ``calling.pass`` or orphan ``calling.end`` the domain decided on goes out at once.
    """

    __slots__ = ("_domain", "_emit", "_outgoing", "session")

    session: Session  # set by RelayConnection right after the session is built

    def __init__(self, domain: Domain, emit: Callable[[Event], None]) -> None:
        self._domain = domain
        self._emit = emit
        self._outgoing = domain.outgoing  # the same list, for a check without a call

    def drain(self, now: float) -> None:
        if self._outgoing:
            for outgoing in self._domain.take_outgoing():
                self.issue(outgoing, now, None)

    def issue(self, outgoing: Outgoing, now: float, timeout: float | None) -> str:
        """Send a request the domain prepared. If it cannot even be issued, the domain is told
        (so that it forgets the action or dial it registered) and the error propagates."""
        try:
            return self.session.request(
                outgoing.method, outgoing.params, now, timeout, RequestKind.USER, outgoing.purpose
            )
        except RelayProtoError as exc:
            if outgoing.purpose is not None:
                self._domain.request_failed(outgoing.purpose, -1, str(exc), now)
            raise

    # ---------------------------------------------------------------- SessionHooks
    def relay_event(self, envelope: dict[str, Any], now: float) -> None:
        self._domain.handle_event(envelope, now)
        if self._outgoing:  # almost always empty: no call to drain
            self.drain(now)

    def request_succeeded(
        self, request: PendingRequest, result: dict[str, Any], now: float
    ) -> None:
        call_gone = False
        if request.purpose is not None:
            result, call_gone = self._domain.request_succeeded(request.purpose, result, now)
            self.drain(now)
        self._emit(
            RequestSucceeded(
                request_id=request.id, method=request.method, result=result, call_gone=call_gone
            )
        )

    def request_failed(
        self, request: PendingRequest, code: int, message: str, data: Any, now: float
    ) -> None:
        if request.purpose is not None:
            instead = self._domain.request_failed(request.purpose, code, message, now)
            self.drain(now)
            if instead is not None:
                # 404/410 on a call command: the call is gone, which the SDK reports as success.
                self._emit(
                    RequestSucceeded(
                        request_id=request.id,
                        method=request.method,
                        result=instead[0],
                        call_gone=instead[1],
                    )
                )
                return
        self._emit(
            RequestFailed(
                request_id=request.id, method=request.method, code=code, message=message, data=data
            )
        )

    def request_timed_out(self, request: PendingRequest, now: float) -> None:
        if request.purpose is not None:
            self._domain.request_timed_out(request.purpose, now)
            self.drain(now)
        self._emit(RequestTimedOut(request_id=request.id, method=request.method))

    def request_withdrawn(self, request: PendingRequest, now: float) -> None:
        if request.purpose is not None:
            # As for a failed request: the action or dial registered for it is forgotten.
            self._domain.request_failed(request.purpose, -1, MSG_CANCELLED, now)
            self.drain(now)

    def protocol_changed(self, protocol: str) -> None:
        self._domain.relay_protocol = protocol

    def session_replaced(self, previous_protocol: str, now: float) -> None:
        lost = self._domain.session_replaced(self.session.protocol, previous_protocol, now)
        if lost:
            # Call commands queued for calls of the old session must not reach the new one.
            def stale(request: PendingRequest) -> bool:
                purpose = request.purpose
                return isinstance(purpose, CommandPurpose) and purpose.call_id in lost

            self.session.withdraw_queued(stale, MSG_SESSION_REPLACED, now)
        self.drain(now)

    def session_ready(self, resumed: bool, now: float) -> None:
        self._domain.session_ready(resumed, now)
        self.drain(now)

    def transport_lost(self, now: float) -> None:
        self._domain.transport_lost(now)
        self.drain(now)

    def closed(self, now: float) -> None:
        self._domain.closed(now)
        self.drain(now)


def _check_credential(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidCommandError(f"{name} must be a string")
    return value


class RelayConnection:
    """One RELAY client session, across any number of transports (reconnects).

    Args:
        project: project id (ignored when ``jwt_token`` is given). The core does not insist on
            credentials: empty ones are sent and the server rejects them (the adapters check
            their environment fallbacks first).
        token: API token (ignored when ``jwt_token`` is given).
        jwt_token: JWT credentials; takes precedence over project/token.
        host: the ``Host`` header / authority for the WebSocket handshake
            (``"example.signalwire.com"`` or ``"127.0.0.1:8080"``). The path is always ``/``.
        contexts: initial inbound contexts (sent in ``signalwire.connect``).
        max_active_calls: tracked-call limit; an inbound call over it is passed back.
        agent: agent string sent in ``signalwire.connect`` (default ``AGENT_STRING``).
        request_timeout: default per-request deadline in seconds (10).
        ping_interval: seconds between client ``signalwire.ping`` requests once ready (30).
        max_missed_pings: consecutive failed/unanswered pings that close the transport (3).
        dead_link_timeout: once the server has pinged on the current transport, seconds
            without any frame from it after which the link counts as dead (half-open): the
            transport is dropped (``TransportLost(reason="dead link: ...")``) and a reconnect
            scheduled. Default 20; ``None`` turns the watchdog off. The client's own pings
            (``ping_interval``) run either way, for servers that never ping.
        max_offline_queue: requests kept while not ready (500).
        max_message_size: largest inbound WebSocket message accepted (10 MiB); larger ones are
            dropped with ``FrameDropped`` and the connection keeps going.
        id_factory: source of request ids, control ids and dial tags. The default is a counter,
            fine for tests; real clients inject UUIDs (control ids and tags must be unique
            across reconnects and across every client of a project).
        rng: source of backoff jitter (``random()``); ``None`` means no jitter.
        frame_observer: optional callback for tracing frames (see :data:`FrameObserver`).
        protocol: resume data an earlier connection of the same client learnt (its
            ``relay_protocol``), so that a client that disconnected on purpose and connects
            again resumes its session, as the official SDK does (official-behaviours item 12).
            Empty: a fresh session.
        authorization_state: the earlier connection's ``authorization_state``, sent with
            ``protocol`` when resuming.

    Raises:
        InvalidCommandError: an argument of the wrong type or out of range (a bare string as
            ``contexts``, an invalid host, a non-positive timeout...).
    """

    def __init__(
        self,
        *,
        project: str = "",
        token: str = "",
        jwt_token: str = "",
        host: str = DEFAULT_RELAY_HOST,
        contexts: Sequence[str] = (),
        max_active_calls: int = DEFAULT_MAX_ACTIVE_CALLS,
        agent: str = AGENT_STRING,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        ping_interval: float = PING_INTERVAL,
        max_missed_pings: int = MAX_MISSED_PINGS,
        dead_link_timeout: float | None = DEAD_LINK_TIMEOUT,
        max_offline_queue: int = MAX_OFFLINE_QUEUE,
        max_message_size: int = MAX_MESSAGE_SIZE,
        id_factory: IdFactory | None = None,
        rng: SupportsRandom | None = None,
        frame_observer: FrameObserver | None = None,
        protocol: str = "",
        authorization_state: str = "",
    ) -> None:
        project = _check_credential("project", project)
        token = _check_credential("token", token)
        jwt_token = _check_credential("jwt_token", jwt_token)
        if not is_valid_host(host):
            raise InvalidCommandError(f"host must be a bare host or host:port, got {host!r}")
        if type(max_active_calls) is not int or max_active_calls < 1:
            raise InvalidCommandError("max_active_calls must be an int >= 1")
        authentication = (
            {"jwt_token": jwt_token} if jwt_token else {"project": project, "token": token}
        )
        config = SessionConfig(
            authentication=authentication,
            host=host,
            agent=agent,
            request_timeout=request_timeout,
            ping_interval=ping_interval,
            max_missed_pings=max_missed_pings,
            dead_link_timeout=dead_link_timeout,
            max_offline_queue=max_offline_queue,
            max_message_size=max_message_size,
        )
        initial_contexts = commands.context_params(contexts)["contexts"]
        self._ids = id_factory or counter_ids("relay")
        self._events: deque[Event] = deque()
        emit = self._events.append
        self._domain = Domain(
            emit=emit,
            id_factory=self._ids,
            max_active_calls=max_active_calls,
            project_id=project,
        )
        self._glue = _Glue(self._domain, emit)
        self._session = Session(
            config,
            contexts=initial_contexts,
            id_factory=self._ids,
            rng=rng,
            emit=emit,
            hooks=self._glue,
            observer=frame_observer,
        )
        self._glue.session = self._session
        if not isinstance(protocol, str) or not isinstance(authorization_state, str):
            raise InvalidCommandError("protocol and authorization_state must be strings")
        self._session.restore(protocol, authorization_state)

    # ---------------------------------------------------------------- transport lifecycle
    def start(self, now: float) -> None:
        """Begin a new transport: the adapter has just opened a socket to the server.

        Queues the WebSocket upgrade request; after the handshake the core sends
        ``signalwire.connect`` by itself (with resume data when it has some). Allowed in
        ``IDLE`` and ``DISCONNECTED``.

        Raises:
            LocalProtocolError: in any other state.
        """
        self._session.start(now)

    def connect_failed(self, now: float, reason: str) -> None:
        """The adapter could not open a socket (refused, DNS, TLS...). Schedules the next attempt
        with backoff (emits ``TransportLost`` with ``reconnect_at``). Ignored once ``CLOSED``.

        Raises:
            LocalProtocolError: while ``AUTHENTICATING`` or ``READY`` (a transport is up: it
                ends through ``receive_data``).
        """
        self._session.connect_failed(now, reason)

    def receive_data(self, data: bytes | None, now: float) -> None:
        """Feed bytes read from the socket; ``None`` means the socket reached EOF.

        Data arriving when no transport is live (after ``TransportLost``) is ignored.

        Raises:
            RemoteProtocolError: only for a broken WebSocket stream (``TransportLost`` is
                emitted first). Everything else that is wrong is dropped with an event.
        """
        self._session.receive_data(data, now)

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket now (possibly ``b""``). Includes ACKs and pongs the core
        queued by itself."""
        return self._session.data_to_send()

    def next_event(self) -> Event | None:
        """Pop the next connection-level event, or ``None``."""
        return self._events.popleft() if self._events else None

    def next_deadline(self) -> float | None:
        """The earliest monotonic time at which ``handle_timeout`` has work, or ``None``."""
        deadline = self._session.next_deadline()
        dial = self._domain.next_deadline()
        if dial is not None and (deadline is None or dial < deadline):
            return dial
        return deadline

    def handle_timeout(self, now: float) -> None:
        """Do everything due at ``now``: request/dial timeouts, pings, reconnect, close timeout."""
        self._session.handle_timeout(now)
        for tag in self._domain.handle_timeout(now):
            # A dial that timed out while its request waited offline: the request must not go
            # out later (it would ring a phone nobody waits for).
            def stale(request: PendingRequest, tag: str = tag) -> bool:
                purpose = request.purpose
                return isinstance(purpose, DialPurpose) and purpose.tag == tag

            self._session.withdraw_queued(stale, dial_timeout_message(tag), now)
        self._glue.drain(now)

    def cancel_request(self, request_id: str, *, now: float) -> bool:
        """Withdraw a request the application gave up on (its task was cancelled, its own
        timeout passed). A request still in the offline queue is removed and never sent (an
        action or dial registered for it is forgotten); no outcome event follows for it.
        Returns whether it was withdrawn: ``False`` when it is already on the wire (its outcome
        will still arrive), settled or unknown."""
        withdrawn = self._session.cancel_request(request_id, now)
        self._glue.drain(now)
        return withdrawn

    def close(self, now: float) -> None:
        """Intentional shutdown: fail pending requests (``RequestFailed`` code -1, "Client
        disconnected") and pending dials, start the WebSocket close handshake, never reconnect.
        Ends with ``TransportLost(reason="closed by client", reconnect_at=None)`` and ``CLOSED``
        (at once when no WebSocket is open, else when the server answers the close or after a
        5 s close timeout). Closing again does nothing. Requests issued afterwards fail at once
        with "Client disconnected"."""
        self._session.close(now)

    def drain(self, *, now: float) -> Started:
        """Stop taking new work before a graceful shutdown: unsubscribe every context
        (``signalwire.unreceive``) and, from now on, hand every inbound call back with
        ``calling.pass`` (``CallOverflow(reason="draining")``) so another consumer takes it.
        Calls already tracked carry on; call :meth:`close` when they are done.

        The contexts stay remembered (:attr:`contexts` is unchanged), so a later connection of
        the same client subscribes them again. Returns the ``Started`` of the unreceive request
        (``request_id=None`` when there were no contexts).
        """
        self._domain.draining = True
        contexts = self.contexts
        if not contexts:
            return Started(request_id=None)
        params = {"contexts": list(contexts)}
        return Started(request_id=self._session.request("signalwire.unreceive", params, now=now))

    # ---------------------------------------------------------------- state
    @property
    def state(self) -> str:
        """One of the :class:`SessionState` strings."""
        return self._session.state

    @property
    def relay_protocol(self) -> str:
        """Protocol string of the current/last session (``""`` before the first, after restart)."""
        return self._session.protocol

    @property
    def authorization_state(self) -> str:
        """The current ``signalwire.authorization.state`` blob (``""`` when none): a secret,
        for :func:`~relay_proto.mask_frame` when tracing frames."""
        return self._session.authorization_state

    @property
    def contexts(self) -> tuple[str, ...]:
        """Contexts that the next ``signalwire.connect`` will send (initial plus receive()d)."""
        return self._session.contexts

    def get_call(self, call_id: str) -> CallInfo | None:
        """Snapshot of a tracked call, or ``None``."""
        return self._domain.get_call(call_id)

    # ---------------------------------------------------------------- commands
    def execute(
        self, method: str, params: Mapping[str, Any], *, now: float, timeout: float | None = None
    ) -> str:
        """Send any JSON-RPC request (queued while not ``READY``). Returns its request id; the
        outcome arrives as ``RequestSucceeded`` / ``RequestFailed`` / ``RequestTimedOut``.

        Raises:
            InvalidCommandError: an empty method, params that are not a JSON-serialisable
                mapping, or a non-positive timeout.
        """
        if type(params) is not dict:  # a plain dict (the usual) needs no ABC check, no copy
            if not isinstance(params, Mapping):
                raise InvalidCommandError(f"params must be a mapping, not {type(params).__name__}")
            params = dict(params)
        return self._session.request(method, params, now, timeout)

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
        * call ended, handed over by a successful ``calling.pass``, or unknown: nothing is sent;
          ``ActionCompleted(reason="not_started")`` (for an action) and
          ``RequestSucceeded(result={}, call_gone=True)`` are queued at once.

        Raises:
            InvalidCommandError: not a ``CallCommand``, an empty ``call_id``, a bad timeout or
                params that cannot be encoded.
            LocalProtocolError: the control id is already used by a pending action of the call.
        """
        if not isinstance(command, CallCommand):
            raise InvalidCommandError("command must be a CallCommand from relay_proto.commands")
        if not isinstance(call_id, str) or not call_id:
            raise InvalidCommandError("call_id must be a non-empty string")
        if timeout is not None:
            check_seconds("timeout", timeout)
        control_id = command.control_id
        if control_id is None and (command.uses_control_id or command.action is not None):
            control_id = self._ids()
        outgoing = self._domain.prepare_call_command(call_id, command, control_id)
        if outgoing is None:
            self._glue.drain(now)
            request_id = self._ids()
            self._events.append(
                RequestSucceeded(
                    request_id=request_id, method=command.method, result={}, call_gone=True
                )
            )
            return Started(request_id=request_id, control_id=control_id)
        request_id = self._glue.issue(outgoing, now, timeout)
        self._glue.drain(now)
        return Started(request_id=request_id, control_id=control_id)

    def dial(
        self,
        devices: Sequence[Sequence[Mapping[str, Any]]],
        *,
        now: float,
        tag: str | None = None,
        max_duration: int | None = None,
        dial_timeout: float = DEFAULT_DIAL_TIMEOUT,
        extra: Mapping[str, Any] | None = None,
    ) -> Started:
        """Start ``calling.dial``; the pending dial is registered before sending. Outcome:
        ``DialAnswered`` / ``DialFailed`` (the request itself may fail with ``RequestFailed``).

        ``tag`` defaults to a fresh id from the id factory; ``extra`` keys (``region``,
        ``max_price_per_minute``...) are added to the params (they cannot change the tag).

        Raises:
            InvalidCommandError: malformed ``devices``, an empty tag, a bad ``max_duration`` or
                ``dial_timeout``, or ``extra`` that is not a mapping.
            LocalProtocolError: a dial with this tag is already pending.
        """
        if extra is not None and not isinstance(extra, Mapping):
            raise InvalidCommandError("extra must be a mapping")
        check_seconds("dial_timeout", dial_timeout)
        tag = self._ids() if tag is None else tag
        params = commands.dial_params(devices, tag=tag, max_duration=max_duration)
        outgoing = self._domain.prepare_dial(
            tag=tag,
            devices=params["devices"],
            max_duration=max_duration,
            dial_timeout=dial_timeout,
            extra=dict(extra) if extra else None,
            now=now,
        )
        request_id = self._glue.issue(outgoing, now, None)
        self._glue.drain(now)
        return Started(request_id=request_id, tag=tag)

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
        its ``messaging.state`` events arrive as ``MessageStateChanged``.

        ``context`` defaults to the session protocol, else ``"default"`` (as the official SDK);
        ``Started.context`` reports the one used.

        Raises:
            InvalidCommandError: neither ``body`` nor ``media``, an empty number, or a value of
                the wrong type.
        """
        params = commands.send_message_params(
            to_number=to_number,
            from_number=from_number,
            context=context or self._session.protocol or "default",
            body=body,
            media=media,
            tags=tags,
            region=region,
        )
        outgoing = self._domain.prepare_send_message(params)
        request_id = self._glue.issue(outgoing, now, None)
        self._glue.drain(now)
        return Started(request_id=request_id, context=str(outgoing.params["context"]))

    def receive(self, contexts: Iterable[str], *, now: float) -> Started:
        """``signalwire.receive``; on success the contexts are remembered for reconnects (D8).
        An empty list sends nothing (``Started(request_id=None)``).

        Raises:
            InvalidCommandError: ``contexts`` is a bare string or holds a non-string or empty
                name.
        """
        return self._contexts_request("signalwire.receive", RequestKind.RECEIVE, contexts, now)

    def unreceive(self, contexts: Iterable[str], *, now: float) -> Started:
        """``signalwire.unreceive``; on success the contexts are forgotten (D8, D27).
        An empty list sends nothing (``Started(request_id=None)``).

        Raises:
            InvalidCommandError: as for :meth:`receive`.
        """
        return self._contexts_request("signalwire.unreceive", RequestKind.UNRECEIVE, contexts, now)

    def _contexts_request(
        self, method: str, kind: str, contexts: Iterable[str], now: float
    ) -> Started:
        params = commands.context_params(contexts)
        names = tuple(params["contexts"])
        if not names:
            return Started(request_id=None)
        request_id = self._session.request(method, params, now=now, kind=kind, contexts=names)
        return Started(request_id=request_id)
