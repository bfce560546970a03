"""Connection-level events: what ``RelayConnection.next_event()`` and
``RelayServerConnection.next_event()`` return.

These are distinct from the typed RELAY events in :mod:`relay_proto._events` (``PlayEvent``,
``CallStateEvent`` ...), which describe what the *server* said about a call or message and travel
inside some of these (``CallEvent.event``, ``ActionCompleted.event`` ...).

Every class is a frozen, slotted, keyword-only dataclass, never mutated after it is emitted.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ._events import RelayEvent, build_event
from ._fastinit import dataclass
from ._types import CallInfo, MessageInfo

__all__ = [
    "DROP_UNKNOWN_REPLY",
    "ActionCompleted",
    "AuthRejected",
    "CallEvent",
    "CallOverflow",
    "CallPassed",
    "CallReceived",
    "ClientClosed",
    "ClientConnected",
    "ClientRequest",
    "ClientResponse",
    "DialAnswered",
    "DialFailed",
    "DialLegCreated",
    "Event",
    "EventIgnored",
    "FrameDropped",
    "MessageReceived",
    "MessageStateChanged",
    "OrphanHungUp",
    "ReconnectDue",
    "RequestFailed",
    "RequestSucceeded",
    "RequestTimedOut",
    "ServerDisconnect",
    "SessionReady",
    "SessionReplaced",
    "TransportLost",
    "UnroutedEvent",
]


#: :attr:`FrameDropped.reason` of a reply whose request is unknown: never sent, already answered,
#: timed out or given up on. Both roles use it; it is a slow peer, not a malformed frame.
DROP_UNKNOWN_REPLY = "reply for unknown request id"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base class of every connection-level event."""


# --------------------------------------------------------------------------- session (client)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionReady(Event):
    """``signalwire.connect`` succeeded; queued requests are being flushed.

    ``resumed`` is true when the server kept the previous session: ``session_restored`` was
    true or, where the result has no ``session_restored``, it gave back the protocol we sent and
    that protocol carries the result's ``authorization.signature`` (spec 1.3). ``result`` is
    the raw connect result. A new session after an earlier one is followed by
    :class:`SessionReplaced`.
    """

    protocol: str
    identity: str = ""
    resumed: bool = False
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionReplaced(Event):
    """The server started a new session where an earlier one of this client existed: it did
    not resume it (``session_restored`` false, or a server restart) or it was wiped by
    ``signalwire.disconnect`` with ``restart``. Emitted right after ``SessionReady``, before
    the offline queue is flushed.

    Everything of the old session is over, and the core has already let go of it: the calls
    ``call_ids`` are no longer tracked (``ActionCompleted(reason="call_ended")`` follows for
    each action they left pending, its event a synthetic ``ended`` state event with
    ``end_reason: "session_replaced"``), the dials ``dial_tags`` fail (``DialFailed`` follows), the
    outbound messages ``message_ids`` get no more state events, and queued call commands for
    those calls are withdrawn (``RequestFailed`` with code -1 follows for each). Adapters
    settle every wait on them with an error saying so.
    """

    protocol: str
    previous_protocol: str
    call_ids: tuple[str, ...] = ()
    dial_tags: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthRejected(Event):
    """The server answered ``signalwire.connect`` with an error (or it timed out).

    ``final`` is true when the core gives up: 3 consecutive rejections before the first ever
    successful authentication. After ``final`` the connection is closed for good. Rejections
    after a successful authentication are never final: the core reconnects with backoff.
    """

    code: int
    message: str
    attempt: int
    final: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerDisconnect(Event):
    """The server sent ``signalwire.disconnect`` (already acknowledged by the core).

    With ``restart`` true the resume data was wiped: the next session starts fresh. The core does
    not close the transport itself; the server will.
    """

    restart: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportLost(Event):
    """The transport is finished: the adapter must close its socket (after writing any
    remaining ``data_to_send()``).

    ``reason`` says why (``"eof"``, ``"closed by peer"``, ``"ping timeout"``,
    ``"websocket error: ..."``, ``"closed by client"``, ``"auth rejected"`` ...).
    ``reconnect_at`` is the monotonic time at which the core wants a new transport (it will also
    emit :class:`ReconnectDue` then), or ``None`` when it will not reconnect (intentional close,
    final auth rejection). ``socket_opened`` is false when it follows
    ``RelayConnection.connect_failed`` (the adapter could not even open a socket: the adapter
    reports that failure itself).
    """

    reason: str
    code: int | None = None
    reconnect_at: float | None = None
    socket_opened: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconnectDue(Event):
    """Time to open a new transport and call ``RelayConnection.start(now)`` again.

    ``attempt`` counts reconnect attempts since the last successful authentication (1-based).
    """

    attempt: int


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSucceeded(Event):
    """A request got a successful reply (already code-checked).

    ``result`` is the result object; a non-object result arrives as ``{"raw": value}``. For a
    call command whose reply was 404/410 ("call gone") the core reports success with
    ``result == {}`` and ``call_gone`` true, as the official SDK's Call methods do.
    """

    request_id: str
    method: str
    result: dict[str, Any]
    call_gone: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestFailed(Event):
    """A request failed: JSON-RPC error, non-2xx result code, connection closed, queue full...

    ``code``/``message`` are what ``RelayError(code, message)`` carries: the server's values, or
    ``-1`` and one of the client-side messages (``"Connection closed"``,
    ``"Execute queue full — too many requests while disconnected"``, ``"Client disconnected"``).
    ``data`` is the JSON-RPC error's ``data`` member, if any.
    """

    request_id: str
    method: str
    code: int
    message: str
    data: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestTimedOut(Event):
    """No reply within the request's deadline (``RelayError(-1, "Request timeout for <method>")``).

    A late reply for it is ignored.
    """

    request_id: str
    method: str


# --------------------------------------------------------------------------- calls and actions


@dataclass(frozen=True, slots=True, kw_only=True)
class CallReceived(Event):
    """A new inbound call was registered (``calling.call.receive``); run the ``on_call`` handler."""

    call: CallInfo
    event: RelayEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOverflow(Event):
    """An inbound call the client will not take: ``max_active_calls`` calls were tracked
    (``reason="max_active_calls"``), or the connection is draining before a shutdown
    (``reason="draining"``, see ``RelayConnection.drain``).

    The core already queued ``calling.pass`` for it so another consumer can take it; it is not
    tracked.
    """

    call: CallInfo
    event: RelayEvent
    reason: str = "max_active_calls"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent(Event):
    """A RELAY event routed to a tracked call (deliver to ``call.on`` listeners / waiters).

    ``call_state`` is the call's state after the event was applied. When it is ``"ended"`` the
    call has been moved to the core's memory of recently ended calls; later events for it are
    ignored.

    ``event`` is the typed event (:class:`~relay_proto.PlayEvent`, ``CallStateEvent``...). The
    core builds it when it is first read, not when the frame arrives: most events of a flood
    (playback progress nobody waits for) are routed, counted and dropped without one. Reading
    ``event`` always gives the same object, equal to what
    :func:`~relay_proto.parse_event` gives for the envelope. ``event_type`` is there to route
    without building it. Everything else is a plain frozen dataclass: built by hand with
    ``CallEvent(call_id=..., event=..., call_state=...)``, compared, printed, copied with
    :func:`dataclasses.replace` or pickled, a ``CallEvent`` is the same whether or not its event
    was built yet.
    """

    call_id: str
    event: RelayEvent
    call_state: str

    @property
    def event_type(self) -> str:
        """The event's ``event_type`` (``"calling.call.play"``...), read without building
        :attr:`event`."""
        event = _get_event(self)
        if type(event) is list and event and event[0] is _UNBUILT:
            return event[1]  # type: ignore[no-any-return]
        return event.event_type  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallPassed(Event):
    """A ``calling.pass`` of a tracked call succeeded (D29): the server hands the call to another
    consumer and will tell this client nothing more about it. The core no longer tracks it (its
    pending actions completed just before, with ``reason="call_ended"``); the
    ``RequestSucceeded`` of the pass follows. Adapters fail every wait on the call, pending and
    later, with ``RelayError(-1, MSG_CALL_PASSED)``.
    """

    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionCompleted(Event):
    """An action (play, record, collect, ...) finished.

    ``reason`` is one of:

    * ``"event"``: a terminal event for its ``control_id`` arrived (``event`` is it);
    * ``"call_gone"``: the start request was answered 404/410 or with an empty result
      (``event`` is ``RelayEvent("", {})``);
    * ``"call_ended"``: the call ended while the action was pending (``event`` is the call's
      ``ended`` state event), or was handed over by a successful ``calling.pass`` while the
      action was pending (``event`` is ``RelayEvent("", {})``);
    * ``"not_started"``: nothing was sent, because the call had already ended, been handed over
      or was unknown when the action was started (``event`` is the call's ``ended`` state event,
      or ``RelayEvent("", {})`` when none is known).

    :func:`~relay_proto.fires_on_completed` says for which reasons an adapter runs the action's
    ``on_completed`` callback: all but ``"not_started"`` (the official SDK, too, skips it for an
    action started on a call that had already ended).
    """

    call_id: str
    control_id: str
    event: RelayEvent
    reason: str = "event"


@dataclass(frozen=True, slots=True, kw_only=True)
class DialLegCreated(Event):
    """A leg of a pending dial appeared (first tagged ``calling.call.state``); it is now tracked."""

    tag: str
    call: CallInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class DialAnswered(Event):
    """A dial resolved with a winner (``calling.call.dial`` answered). ``call`` is tracked."""

    tag: str
    call: CallInfo
    event: RelayEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class DialFailed(Event):
    """A dial resolved without a winner.

    ``code``/``message`` are what ``RelayError`` carries: ``"Dial failed (tag=<tag>)"``
    (followed by ``": <reason>"`` when the service gave one), ``"Dial timed out waiting for
    answer (tag=<tag>)"`` or ``"Connection closed during dial"``. ``timed_out`` marks the
    dial_timeout case. ``reason`` is the failed ``calling.call.dial`` event's ``reason``
    (``busy``, ``noAnswer``, ``error`` ... spec 4.3), ``""`` when absent. ``event`` is the
    failing ``calling.call.dial`` event when there was one.
    """

    tag: str
    code: int
    message: str
    timed_out: bool = False
    event: RelayEvent | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrphanHungUp(Event):
    """A dial that had already timed out answered later; the core hung the winner up."""

    tag: str
    call_id: str


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived(Event):
    """An inbound SMS/MMS (``messaging.receive``); run the ``on_message`` handler."""

    message: MessageInfo
    event: RelayEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageStateChanged(Event):
    """A ``messaging.state`` event for a tracked outbound message.

    ``terminal`` is true for ``delivered``, ``undelivered`` and ``failed``; the message is no
    longer tracked after that. ``event`` is the base :class:`RelayEvent` (as the official SDK
    hands to message listeners).
    """

    message_id: str
    state: str
    reason: str
    terminal: bool
    event: RelayEvent


# --------------------------------------------------------------------------- dropped input


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameDropped(Event):
    """A malformed or unusable frame was dropped (bad JSON, not an object, wrong types, oversized,
    reply for an unknown request id...). The session keeps working. ``raw`` is at most the first
    200 characters of the frame.

    ``request_id`` is the parsed ``id`` of a reply whose request is unknown (never sent, or
    already answered), as :class:`RelayServerConnection` reports it with the reason ``"reply for
    unknown request id"``: a server can tell an expected extra reply (the second ACK of an
    event it sent twice) from a stray one without parsing ``raw``. It is ``None`` for every
    other drop (and for a reply whose id was ``null``).
    """

    reason: str
    raw: str = ""
    request_id: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventIgnored(Event):
    """A well-formed RELAY event that routes nowhere was dropped (already ACKed): unknown or
    recently ended call, unknown message, duplicate delivery, empty event type..."""

    reason: str
    event: RelayEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class UnroutedEvent(Event):
    """A RELAY event that is not about a tracked call or message but may interest the application
    (``calling.conference`` without ``call_id``, ``calling.error`` without ``call_id``, an unknown
    event type with no call). Adapters may offer these to session-level listeners."""

    event: RelayEvent


# --------------------------------------------------------------------------- server role


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConnected(Event):
    """(server role) The WebSocket handshake completed. ``path`` is the request target."""

    path: str
    host: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientRequest(Event):
    """(server role) A JSON-RPC request from the client (``signalwire.connect``, ``calling.*`` ...).

    Answer it with ``send_result`` or ``send_error``. ``params`` is always a dict (a request whose
    params were not an object is answered -32602 by the core and not reported).
    """

    request_id: Any
    method: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientResponse(Event):
    """(server role) The client answered a server request (event ACK, pong, disconnect ack).

    ``method`` is the method of the server request it answers; ``error`` is the error object
    when the client replied with one.
    """

    request_id: str
    method: str
    result: Any = None
    error: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientClosed(Event):
    """(server role) The client closed the WebSocket or the stream ended."""

    code: int | None = None
    reason: str = ""


# --------------------------------------------------------------------------- lazy CallEvent
# CallEvent.event is a slot; from here on the class's ``event`` is a property over it that builds
# the typed event on first read and keeps it. Until then the slot holds the event's source,
# ``[_UNBUILT, event_type, params, timestamp]``: a list, which no typed event is, whose first
# item no caller can pass.
_UNBUILT: Any = object()
_event_slot: Any = vars(CallEvent)["event"]
_get_event = _event_slot.__get__
_set_event = _event_slot.__set__
_set_call_id: Any = vars(CallEvent)["call_id"].__set__
_set_call_state: Any = vars(CallEvent)["call_state"].__set__
_new_object = object.__new__


def _read_event(self: CallEvent) -> RelayEvent:
    source = _get_event(self)
    if type(source) is not list or not source or source[0] is not _UNBUILT:
        return source  # type: ignore[no-any-return]  # built, or given to the constructor
    # Threads reading it for the first time at once may each build an event: each appends its
    # own to the source (list.append is atomic) and all keep the first one appended, so every
    # read gives the same object whatever the thread switches in between.
    source.append(build_event(source[1], source[2], source[3]))
    event = source[4]
    _set_event(self, event)
    return event  # type: ignore[no-any-return]


# Only object.__setattr__ (unpickling, copying) reaches the setter: the frozen class's
# __setattr__ refuses assignment before the property is looked at. The class's constructor
# (fast_init) stores through the slot's own setter, captured when the class was built.
CallEvent.event = property(  # type: ignore[assignment,misc]
    _read_event, _set_event, doc="The typed RELAY event (built on first read, then kept)."
)


def lazy_call_event(
    call_id: str,
    call_state: str,
    event_type: str,
    params: dict[str, Any],
    timestamp: object,
) -> CallEvent:
    """A :class:`CallEvent` whose typed event is built from ``event_type``, the inner
    ``params`` and the envelope's ``timestamp`` (its raw value) when first read.

    The result is the one :func:`~relay_proto.parse_event` gives for the envelope
    ``{"event_type": event_type, "params": params, "timestamp": timestamp}`` (``event_type``
    a non-empty string, ``params`` a dict).
    """
    call_event = _new_object(CallEvent)
    _set_call_id(call_event, call_id)
    _set_event(call_event, [_UNBUILT, event_type, params, timestamp])
    _set_call_state(call_event, call_state)
    return call_event
