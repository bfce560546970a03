"""Calls, actions, dials and messages: what the core does with a ``signalwire.event`` once the
session has ACKed it, and the bookkeeping around call commands, dials and messages.

See docs/design/architecture.md, "Core ↔ domain interface", for how the connection drives it.
"""

# Theory of operation
# ===================
#
# The session (``_session.py``) owns JSON-RPC: it ACKs every event, drops duplicates and hands
# the envelope of each remaining ``signalwire.event`` to ``Domain.handle_event``. The domain owns
# everything about calls and messages and reports it through ``emit`` (connection-level events).
# It never raises on network input: a value of the wrong type counts as absent, and an event it
# cannot use becomes ``EventIgnored(reason)``.
#
# Call state machine (one record per tracked call_id)
# ---------------------------------------------------
#
#     (untracked) --calling.call.receive-------------------------> tracked   CallReceived
#                 --receive while max_active_calls are tracked---> (untracked) calling.pass +
#                                                                             CallOverflow
#                 --tagged calling.call.state, dial pending------> tracked   DialLegCreated
#                 --calling.call.dial answered, winner unknown---> tracked   DialAnswered
#     tracked     --calling.call.state (call_state)--------------> tracked   CallEvent
#                   created -> ringing -> answered -> ending; states may be skipped
#     tracked     --calling.call.state "ended"-------------------> ended     CallEvent, then
#                                                      ActionCompleted("call_ended") per action
#     tracked     --calling.pass request succeeded---------------> passed    ActionCompleted(
#                                                      "call_ended", RelayEvent("", {})) per action
#     ended       --any event----------------------------------> ended     EventIgnored
#     passed      --calling.call.receive-------------------------> as (untracked) above
#     passed      --any other event------------------------------> passed    EventIgnored
#
# "ended" is not a record in the registry: the call is moved to a FIFO memory of the last 1024
# ended calls (D15), which keeps its last snapshot and its ``ended`` event. An action started on
# a call that is ended or unknown sends nothing and completes at once with that event (D14),
# with ``reason="not_started"`` (so adapters skip its on_completed, as the SDK does).
# "passed" (D29) is the same memory with ``RelayEvent("", {})`` as the event: the server routes
# the call elsewhere and never tells this client that it ended; offered again, it is a new call.
#
# Actions: ``prepare_call_command`` registers (call_id, control_id) -> kind *before* the request
# is returned for sending, so an event racing the reply is not lost. An event whose control_id
# names a pending action of its call is offered to that kind's rule (``_actions.py``); if it
# completes, the action is unregistered and ``ActionCompleted`` follows the ``CallEvent``. The
# start request's outcome: ``{}`` or a 404/410 failure means the call is gone (the action
# completes with ``reason="call_gone"``); any other failure or a timeout unregisters it (the
# request error is its outcome). The call's end completes what is left.
#
# Routing (spec 2.2 with our fixes), for ``et`` = event_type and ``p`` = inner params:
#
#   1. ``et`` missing/empty or ``p`` not an object            -> EventIgnored
#   2. messaging.receive                                       -> MessageReceived
#   3. messaging.state                                         -> MessageStateChanged by message_id,
#                                                                 else EventIgnored
#   4. calling.call.receive                                    -> new inbound call (above)
#   5. calling.call.dial                                       -> dial outcome by ``p.tag``
#   6. calling.call.state with the tag of a pending dial and a new call_id -> track the leg,
#                                                                 then continue with 7
#   7. by ``p.call_id``: tracked -> CallEvent (+ action completion, + end of call);
#      calling.conference / calling.error not routable to a tracked call, and unknown event
#      types without call_id -> UnroutedEvent; recently ended -> EventIgnored("call ended");
#      otherwise -> EventIgnored("unknown call").
#
# Dials (spec 4, D5, D18): see ``_dials.py`` for what ends a pending dial, and
# ``_dial_events.py`` (DialEvents) for steps 5 and 6. The event that resolves a dial is reported
# as ``DialAnswered`` / ``DialFailed``, never as a ``CallEvent``. Progress (``dialing``) of a
# pending dial is an ``UnroutedEvent``. A dial event for a tag that is no longer pending goes to
# the call named in ``p.call.call_id`` if it is tracked, except an ``answered`` outcome for a
# dial that timed out: the core hangs that orphan winner up.
#
# Bounded memory: tracked inbound calls (max_active_calls), ended calls (1024), timed-out dial
# tags (256), tracked outbound messages (10,000). Dial legs are bounded by the dials the
# application makes, actions by the commands it sends; both go when their call ends.

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._actions import (
    ACTION_KINDS,
    CallRecord,
    CallRegistry,
    CommandPurpose,
    action_completes,
    dict_field,
    str_field,
)
from ._call_rules import kept_device
from ._conn_events import (
    ActionCompleted,
    CallEvent,
    CallOverflow,
    CallPassed,
    CallReceived,
    DialFailed,
    Event,
    EventIgnored,
    SessionReplaced,
    UnroutedEvent,
    lazy_call_event,
)
from ._dial_events import DialEvents
from ._dials import DialPurpose, DialTable, PassPurpose
from ._errors import LocalProtocolError
from ._events import EVENT_CLASSES, RelayEvent, parse_event
from ._fastinit import dataclass
from ._ids import IdFactory
from ._messages import MessageTable, SendMessagePurpose
from ._types import CallCommand, CallInfo

__all__ = ["Domain", "Outgoing", "dial_timeout_message"]

_Params = dict[str, Any]

# The call command that hands a call over to another consumer (spec 3.1).
_METHOD_PASS = "calling.pass"
# Call commands that, once they succeed, hand the call on to another destination.
_METHODS_TRANSFER = frozenset(("calling.transfer", "calling.refer"))

# Request failures that mean "the call does not exist (any more)" (spec 1.9 item 5).
_CALL_GONE_CODES = frozenset((404, 410))

# Event types about a call that the core knows; an event of another type and without a call_id
# is offered to the application as an UnroutedEvent (it might be a new server feature).
_CALL_EVENT_TYPES = frozenset(
    [et for et in EVENT_CLASSES if et.startswith("calling.call.")] + ["calling.call.ai"]
)
# Session-wide event types that may or may not name a call.
_MAYBE_CALL_EVENT_TYPES = frozenset(("calling.conference", "calling.error"))

_EMPTY_EVENT_PARAMS: _Params = {}


def dial_timeout_message(tag: str) -> str:
    """The message of a dial that timed out (D18)."""
    return f"Dial timed out waiting for answer (tag={tag})"


def _empty_event() -> RelayEvent:
    return RelayEvent("", {})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request the domain wants sent; ``purpose`` comes back with its outcome.

    ``purpose`` is opaque to the session: it hands it back to ``Domain.request_succeeded`` /
    ``request_failed`` / ``request_timed_out``.
    """

    method: str
    params: dict[str, Any]
    purpose: object | None = None


class Domain:
    """Calls, actions, dials and messages of one client, across reconnects.

    Args:
        emit: receives every connection-level event the domain produces, in order.
        id_factory: the connection's id factory (the domain itself needs no ids today: control
            ids and tags are chosen by the connection and passed in).
        max_active_calls: inbound calls accepted while this many calls are tracked are passed
            back with ``calling.pass`` (values below 1 mean 1, as in the official SDK).
        project_id: reported as a call's ``project_id`` when its event carries none.

    Raises:
        LocalProtocolError: ``max_active_calls`` is not an int.
    """

    def __init__(
        self,
        *,
        emit: Callable[[Event], None],
        id_factory: IdFactory,
        max_active_calls: int = 1000,
        project_id: str = "",
    ) -> None:
        if not isinstance(max_active_calls, int) or isinstance(max_active_calls, bool):
            raise LocalProtocolError("max_active_calls must be an int")
        self._emit = emit
        self._id_factory = id_factory
        self._project_id = project_id
        #: Protocol string of the current session, kept current by the connection.
        self.relay_protocol = ""
        # Set by RelayConnection.drain(): inbound calls are passed back from then on.
        self.draining = False
        self._calls = CallRegistry(max(1, max_active_calls))
        self._dials = DialTable()
        self._messages = MessageTable(emit)
        #: Requests the domain wants sent by itself, oldest first, until
        #: :meth:`take_outgoing` takes them (the connection checks this list first: it is
        #: almost always empty). Read only: never changed from outside.
        self.outgoing: list[Outgoing] = []
        self._command_seq = 0
        self._dial_events = DialEvents(
            calls=self._calls,
            dials=self._dials,
            emit=emit,
            send=self._send,
            route=self._route,
            project_id=project_id,
            protocol=lambda: self.relay_protocol,
        )

    # ---------------------------------------------------------------- queries
    def take_outgoing(self) -> list[Outgoing]:
        """Requests the domain wants sent by itself (``calling.pass``, orphan ``calling.end``)."""
        out = self.outgoing[:]
        self.outgoing.clear()  # the same list stays: the connection holds it
        return out

    def get_call(self, call_id: str) -> CallInfo | None:
        """Snapshot of a tracked call, or ``None`` (unknown, ended or passed)."""
        record = self._calls.get(call_id)
        return record.snapshot() if record is not None else None

    def next_deadline(self) -> float | None:
        """The earliest dial deadline, or ``None``."""
        return self._dials.next_deadline()

    # ---------------------------------------------------------------- inbound events
    def handle_event(self, envelope: dict[str, Any], now: float) -> None:
        """Process the envelope of one ACKed ``signalwire.event`` (never raises)."""
        # A deadline that passed before this event counts first: an outcome arriving after the
        # dial timed out is a late one, whether or not handle_timeout ran in between.
        if self._dials.pending:  # no pending dial, no deadline to pass
            self.handle_timeout(now)
        if not isinstance(envelope, dict):
            self._ignore("envelope is not an object", _empty_event())
            return
        # event_type, params and call_id are read as parse_event reads them; the typed event
        # itself is built only where it is reported at once (a CallEvent builds it on demand).
        event_type = envelope.get("event_type")
        params = envelope.get("params", _EMPTY_EVENT_PARAMS)
        if not event_type or not isinstance(event_type, str):
            self._ignore("empty event_type", parse_event(envelope))
        elif not isinstance(params, dict):
            self._ignore("params is not an object", parse_event(envelope))
        elif (special := _SPECIAL_EVENTS.get(event_type)) is not None:
            special(self, parse_event(envelope), params)
        else:
            if event_type == "calling.call.state" and self._dials.pending:
                self._dial_events.register_leg(params)
            call_id = params.get("call_id")
            if not isinstance(call_id, str):
                call_id = ""
            record = self._calls.get(call_id) if call_id else None
            if record is not None:
                self._dispatch(record, None, params, event_type, envelope)
            else:
                self._route(parse_event(envelope), params, call_id)

    def _on_call_receive(self, event: RelayEvent, params: _Params) -> None:
        call_id = str_field(params, "call_id")
        if not call_id:
            self._ignore("receive without call_id", event)
            return
        if self._calls.get(call_id) is not None:
            self._ignore("duplicate receive", event)
            return
        if self._calls.is_ended(call_id):
            if not self._calls.was_passed(call_id):
                self._ignore("call ended", event)
                return
            # A call this client passed is offered to it again: a new offer, not a late event.
            self._calls.forget(call_id)
        record = CallRecord(
            call_id=call_id,
            node_id=str_field(params, "node_id"),
            project_id=str_field(params, "project_id") or self._project_id,
            # D16: the call's real context (older servers name it "protocol").
            context=str_field(params, "context") or str_field(params, "protocol"),
            tag=str_field(params, "tag"),
            direction=str_field(params, "direction") or "inbound",
            # Kept for the call's life: without the decoded frame's own copies of the keys.
            device=kept_device(dict_field(params, "device")),
            state=str_field(params, "call_state") or "created",
            segment_id=str_field(params, "segment_id"),
        )
        if self.draining or self._calls.is_full():
            # D11: hand the call back so another consumer of the context can take it; a
            # draining client (graceful shutdown) takes no new calls either.
            self._send(
                "calling.pass",
                {"node_id": record.node_id, "call_id": call_id},
                PassPurpose(call_id),
            )
            reason = "draining" if self.draining else "max_active_calls"
            self._emit(CallOverflow(call=record.snapshot(), event=event, reason=reason))
            return
        self._calls.add(record)
        self._emit(CallReceived(call=record.snapshot(), event=event))
        if record.state == "ended":
            self._calls.archive(record, event)

    # ---------------------------------------------------------------- routing to calls
    def _route(self, event: RelayEvent, params: _Params, call_id: str) -> None:
        record = self._calls.get(call_id) if call_id else None
        if record is not None:
            self._dispatch(record, event, params, event.event_type, _EMPTY_EVENT_PARAMS)
            return
        event_type = event.event_type
        if event_type in _MAYBE_CALL_EVENT_TYPES or (
            not call_id and event_type not in _CALL_EVENT_TYPES
        ):
            self._emit(UnroutedEvent(event=event))
        elif call_id and self._calls.is_ended(call_id):
            self._ignore("call ended", event)
        else:
            self._ignore("unknown call", event)

    def _dispatch(
        self,
        record: CallRecord,
        event: RelayEvent | None,
        params: _Params,
        event_type: str,
        envelope: dict[str, Any],
    ) -> None:
        """Apply an event to a tracked call and emit what follows, in the documented order.

        ``event`` is the typed event, or ``None`` to let the ``CallEvent`` build it from
        ``envelope`` when it is read (it is built here if an action or the call's end needs it).
        """
        if event_type == "calling.call.state":
            record.state = str_field(params, "call_state") or record.state
            record.node_id = record.node_id or str_field(params, "node_id")
        elif event_type == "calling.call.connect":
            record.connect_state = str_field(params, "connect_state") or record.connect_state
        completed = False
        control_id = ""
        actions = record.actions
        if actions:  # most events (and floods of them) arrive while no action is pending
            control_id = str_field(params, "control_id")
            action = actions.get(control_id) if control_id else None
            completed = (
                action is not None
                and action.kind is not None
                and action_completes(action.kind, event_type, params)
            )
            if completed:
                del actions[control_id]
        state = record.state
        call_id = record.call_id
        if event is None:
            if not completed and state != "ended":
                # Nothing else reports this event: whoever reads CallEvent.event builds it.
                timestamp = envelope.get("timestamp")
                self._emit(lazy_call_event(call_id, state, event_type, params, timestamp))
                return
            event = parse_event(envelope)
        pending: list[str] | tuple[()] = ()
        if state == "ended":
            pending = self._calls.archive(record, event)
            # The archive keeps an equal copy of the event (sharing the call's strings): report
            # that one, so that the adapters keep the same object and not a second one.
            event = self._calls.ended_event(call_id, event)
        self._emit(CallEvent(call_id=call_id, event=event, call_state=state))
        if completed:
            self._emit(ActionCompleted(call_id=call_id, control_id=control_id, event=event))
        for pending_id in pending:
            self._emit(
                ActionCompleted(
                    call_id=call_id, control_id=pending_id, event=event, reason="call_ended"
                )
            )

    # ---------------------------------------------------------------- commands
    def prepare_call_command(
        self, call_id: str, command: CallCommand, control_id: str | None
    ) -> Outgoing | None:
        """Build the request of a call command, registering its action first.

        Adds ``node_id``/``call_id`` (and ``control_id`` when given). Returns ``None`` when the
        call is ended, passed or unknown: nothing is to be sent, and for an action
        ``ActionCompleted(reason="not_started")`` has been emitted.

        Raises:
            LocalProtocolError: an action without a control id, an unknown action kind, or a
                control id already used by a pending action of the same call.
        """
        kind = command.action
        if kind is not None and kind not in ACTION_KINDS:
            raise LocalProtocolError(f"unknown action kind {kind!r}")
        control: str | None = None
        if kind is not None or command.uses_control_id:
            if not control_id or not isinstance(control_id, str):
                raise LocalProtocolError(f"{command.method} needs a control_id")
            control = control_id
        record = self._calls.get(call_id)
        if record is None:
            if kind is not None:
                self._complete_unstartable(call_id, control or "")
            return None
        if kind is not None and control in record.actions:
            raise LocalProtocolError(
                f"control_id {control!r} is already used by a pending action of this call"
            )
        params: _Params = {"node_id": record.node_id, "call_id": call_id}
        params.update(command.params)
        self._command_seq += 1
        purpose = CommandPurpose(
            call_id,
            control,
            kind,
            self._command_seq,
            command.method == _METHOD_PASS,
            command.method in _METHODS_TRANSFER,
        )
        if control is not None:
            # The id the action is registered under must be the one on the wire.
            params["control_id"] = control
            if kind is not None:
                record.actions[control] = purpose
        return Outgoing(command.method, params, purpose)

    def _complete_unstartable(self, call_id: str, control_id: str) -> None:
        ended = self._calls.ended(call_id)
        event = ended[1] if ended is not None else _empty_event()
        self._emit(
            ActionCompleted(
                call_id=call_id, control_id=control_id, event=event, reason="not_started"
            )
        )

    def prepare_dial(
        self,
        *,
        tag: str,
        devices: list[Any],
        max_duration: int | None,
        dial_timeout: float,
        extra: dict[str, Any] | None,
        now: float,
    ) -> Outgoing:
        """Register a pending dial (deadline ``now + dial_timeout``) and build its request.

        ``max_duration`` is sent only when truthy (as the SDK); ``extra`` keys (``region``,
        ``max_price_per_minute`` ...) are merged last.

        Raises:
            LocalProtocolError: empty tag, or a dial with this tag is already pending.
        """
        if not isinstance(tag, str) or not tag:
            raise LocalProtocolError("a dial needs a non-empty tag")
        params: _Params = {"tag": tag, "devices": devices}
        if max_duration:
            params["max_duration"] = max_duration
        if extra:
            params.update(extra)
            params["tag"] = tag  # events are matched by this tag: it must be the one sent
        seq = self._dials.add(tag, now + dial_timeout)
        return Outgoing("calling.dial", params, DialPurpose(tag, seq))

    def prepare_send_message(self, params: dict[str, Any]) -> Outgoing:
        """Build a ``messaging.send`` request from params built by ``commands.send_message_params``.

        A missing or empty ``context`` becomes the session protocol, else ``"default"``.
        """
        method, out, purpose = self._messages.prepare(params, self.relay_protocol)
        return Outgoing(method, out, purpose)

    # ---------------------------------------------------------------- request outcomes
    def request_succeeded(
        self, purpose: object, result: dict[str, Any], now: float
    ) -> tuple[dict[str, Any], bool]:
        """A request with ``purpose`` succeeded; returns (result to report, call_gone).

        A successful ``calling.pass`` of a tracked call stops tracking it (D29).
        """
        if isinstance(purpose, CommandPurpose):
            if purpose.kind is not None and not result:
                # Spec 3.3 step 4 / A3: an empty result to an action start means "call gone".
                self._complete_gone(purpose)
                return {}, True
            if purpose.hands_over:
                self._release(purpose.call_id)
            elif purpose.transfers and (record := self._calls.get(purpose.call_id)) is not None:
                record.transferred = True
        elif isinstance(purpose, DialPurpose):
            self._dials.accept(purpose.tag, purpose.seq)
        elif isinstance(purpose, SendMessagePurpose):
            self._messages.accepted(result)
        return result, False

    def request_failed(
        self, purpose: object, code: int, message: str, now: float
    ) -> tuple[dict[str, Any], bool] | None:
        """A request failed. ``None``: report the failure; a tuple: report success instead."""
        if isinstance(purpose, CommandPurpose):
            if code in _CALL_GONE_CODES:
                # Spec 1.9 item 5: every call command treats 404/410 as "call gone".
                self._complete_gone(purpose)
                return {}, True
            self._unregister(purpose)
        elif isinstance(purpose, DialPurpose):
            self._dials.remove(purpose.tag, purpose.seq)
        return None

    def request_timed_out(self, purpose: object, now: float) -> None:
        """A request with ``purpose`` got no reply in time (reported as ``RequestTimedOut``)."""
        if isinstance(purpose, CommandPurpose):
            self._unregister(purpose)
        elif isinstance(purpose, DialPurpose):
            self._dials.remove(purpose.tag, purpose.seq)

    def _unregister(self, purpose: CommandPurpose) -> bool:
        """Forget the action of a command if it is still pending; returns whether it was."""
        record = self._calls.get(purpose.call_id)
        if purpose.kind is None or record is None or purpose.control_id is None:
            return False
        if record.actions.get(purpose.control_id) != purpose:
            return False  # completed already; the control id may belong to a newer action
        del record.actions[purpose.control_id]
        return True

    def _release(self, call_id: str) -> None:
        # The server routes a passed call to another consumer and tells this client nothing
        # more about it (no "ended"): kept tracked, it would count toward max_active_calls and
        # its actions would wait for ever. Its late events are ignored like an ended call's.
        record = self._calls.get(call_id)
        if record is None:
            return
        event = _empty_event()
        for control_id in self._calls.archive(record, event, passed=True):
            self._emit(
                ActionCompleted(
                    call_id=call_id, control_id=control_id, event=event, reason="call_ended"
                )
            )
        self._emit(CallPassed(call_id=call_id))

    def _complete_gone(self, purpose: CommandPurpose) -> None:
        if self._unregister(purpose):
            self._emit(
                ActionCompleted(
                    call_id=purpose.call_id,
                    control_id=purpose.control_id or "",
                    event=_empty_event(),
                    reason="call_gone",
                )
            )

    # ---------------------------------------------------------------- session lifecycle
    def session_ready(self, resumed: bool, now: float) -> None:
        """A session is ready. If it is not a resume, dials the last one accepted fail (D5)."""
        if resumed:
            self._dials.resume()
            return
        for tag in self._dials.take_interrupted():
            self._emit(DialFailed(tag=tag, code=-1, message="Connection closed during dial"))

    def session_replaced(self, protocol: str, previous_protocol: str, now: float) -> frozenset[str]:
        """A new session replaces the previous one: every tracked call is archived as ended
        (its pending actions dropped), the dials the old session had accepted fail, outbound
        messages are no longer tracked. ``SessionReplaced`` is emitted first, then
        ``ActionCompleted(reason="call_ended")`` per pending action (its event a synthetic
        ``ended`` state with ``end_reason: "session_replaced"``), then a ``DialFailed`` per
        dial. Returns the ids of the calls let go."""
        calls = self._calls.take_all()
        tags = self._dials.take_interrupted()
        message_ids = self._messages.take_all()
        self._emit(
            SessionReplaced(
                protocol=protocol,
                previous_protocol=previous_protocol,
                call_ids=tuple(call_id for call_id, _, _ in calls),
                dial_tags=tuple(tags),
                message_ids=tuple(message_ids),
            )
        )
        for call_id, event, pending in calls:
            for control_id in pending:  # D14: a call's end completes what it left pending
                self._emit(
                    ActionCompleted(
                        call_id=call_id, control_id=control_id, event=event, reason="call_ended"
                    )
                )
        for tag in tags:
            self._emit(DialFailed(tag=tag, code=-1, message="Connection closed during dial"))
        return frozenset(call_id for call_id, _, _ in calls)

    def transport_lost(self, now: float) -> None:
        """The transport is gone.

        Dials the server had accepted stay pending until the next session says whether it
        resumed. Dials whose request had not been answered are dropped when the session fails
        that request (``request_failed``); those still queued stay pending and go out with it.
        """
        self._dials.mark_interrupted()

    def closed(self, now: float) -> None:
        """Intentional close: every pending dial fails with "Client disconnected"."""
        for tag in self._dials.take_all():
            self._emit(DialFailed(tag=tag, code=-1, message="Client disconnected"))

    def handle_timeout(self, now: float) -> list[str]:
        """Fail the dials whose deadline is at or before ``now`` (D18); return their tags."""
        tags = self._dials.take_expired(now)
        for tag in tags:
            self._emit(
                DialFailed(tag=tag, code=-1, message=dial_timeout_message(tag), timed_out=True)
            )
        return tags

    # ---------------------------------------------------------------- helpers
    def _ignore(self, reason: str, event: RelayEvent) -> None:
        self._emit(EventIgnored(reason=reason, event=event))

    def _send(self, method: str, params: _Params, purpose: object) -> None:
        self.outgoing.append(Outgoing(method, params, purpose))


# Event types with their own handling; everything else is routed to a call by call_id.
_SPECIAL_EVENTS: dict[str, Callable[[Domain, RelayEvent, _Params], None]] = {
    "messaging.receive": lambda domain, event, params: domain._messages.on_receive(event, params),
    "messaging.state": lambda domain, event, params: domain._messages.on_state(event, params),
    "calling.call.receive": Domain._on_call_receive,
    "calling.call.dial": lambda domain, event, params: domain._dial_events.on_call_dial(
        event, params
    ),
}
