"""What the domain does with the events of its dials: ``calling.call.dial`` outcomes and the
tagged ``calling.call.state`` events of dial legs (spec 4.3, 4.4; decisions D5, D18).

:mod:`relay_proto._dials` keeps the pending dials; :class:`DialEvents` turns the events about
them into connection events and tracks legs and winners in the domain's call registry. The event
that resolves a dial is reported as ``DialAnswered`` / ``DialFailed``, never as a ``CallEvent``;
progress (``dialing``) of a pending dial is an ``UnroutedEvent``. A dial event for a tag that is
no longer pending goes to the call named in ``p.call.call_id`` if it is tracked, except an
``answered`` outcome for a dial that timed out: that orphan winner is hung up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._actions import CallRecord, CallRegistry, dict_field, str_field
from ._conn_events import (
    DialAnswered,
    DialFailed,
    DialLegCreated,
    Event,
    EventIgnored,
    OrphanHungUp,
    UnroutedEvent,
)
from ._dials import DialTable, HangupPurpose
from ._events import RelayEvent
from ._types import CallInfo

__all__ = ["DialEvents"]

_Params = dict[str, Any]


class DialEvents:
    """Dial-event handling for one :class:`~relay_proto._domain.Domain`.

    Args:
        calls: the domain's call registry (legs and winners are tracked there).
        dials: the domain's pending dials.
        emit: the domain's event sink.
        send: queues a request the domain sends by itself (``method, params, purpose``).
        route: routes an event to a call by id, as the domain does for any call event.
        project_id: a call's ``project_id`` when its event carries none.
        protocol: returns the current session protocol (an outbound call's default context).
    """

    __slots__ = ("_calls", "_dials", "_emit", "_project_id", "_protocol", "_route", "_send")

    def __init__(
        self,
        *,
        calls: CallRegistry,
        dials: DialTable,
        emit: Callable[[Event], None],
        send: Callable[[str, _Params, object], None],
        route: Callable[[RelayEvent, _Params, str], None],
        project_id: str,
        protocol: Callable[[], str],
    ) -> None:
        self._calls = calls
        self._dials = dials
        self._emit = emit
        self._send = send
        self._route = route
        self._project_id = project_id
        self._protocol = protocol

    def register_leg(self, params: _Params) -> None:
        """Track a leg of a pending dial on its first tagged ``calling.call.state`` event."""
        tag = str_field(params, "tag")
        call_id = str_field(params, "call_id")
        if not tag or not call_id or tag not in self._dials:
            return
        if self._calls.get(call_id) is not None or self._calls.is_ended(call_id):
            return
        # Legs are ours (we dialled them): never refused by max_active_calls (spec 4.4 step 8).
        record = CallRecord(
            call_id=call_id,
            node_id=str_field(params, "node_id"),
            project_id=str_field(params, "project_id") or self._project_id,
            context=self._outbound_context(params),
            tag=tag,
            direction="outbound",
            device=dict_field(params, "device"),
            state=str_field(params, "call_state") or "created",
            segment_id=str_field(params, "segment_id"),
        )
        self._calls.add(record)
        self._emit(DialLegCreated(tag=tag, call=record.snapshot()))

    def _outbound_context(self, params: _Params) -> str:
        # An outbound call has no context of its own; report the event's if it names one, else
        # the session protocol (what the official SDK reports for every call).
        return str_field(params, "context") or self._protocol()

    def on_call_dial(self, event: RelayEvent, params: _Params) -> None:
        """Handle a ``calling.call.dial`` event (the outcome or progress of a dial)."""
        tag = str_field(params, "tag")
        dial_state = str_field(params, "dial_state")
        winner = dict_field(params, "call")
        winner_id = str_field(winner, "call_id")
        if not tag or tag not in self._dials:
            self._on_unpending_dial(event, params, tag, dial_state, winner_id)
        elif dial_state == "answered":
            if not winner_id:
                # Malformed outcome: keep waiting (a well-formed one or the deadline ends it).
                self._emit_ignored("dial answered without call.call_id", event)
                return
            self._dials.remove(tag)
            info = self._dial_winner(tag, params, winner, winner_id)
            self._emit(DialAnswered(tag=tag, call=info, event=event))
        elif dial_state == "failed":
            self._dials.remove(tag)
            # The service says why (busy, noAnswer...; spec 4.3): the error carries it.
            reason = str_field(params, "reason")
            message = f"Dial failed (tag={tag}): {reason}" if reason else f"Dial failed (tag={tag})"
            self._emit(DialFailed(tag=tag, code=-1, message=message, event=event, reason=reason))
        else:
            # "dialing" or a state we do not know: progress only.
            self._emit(UnroutedEvent(event=event))

    def _dial_winner(self, tag: str, params: _Params, winner: _Params, winner_id: str) -> CallInfo:
        node_id = str_field(winner, "node_id") or str_field(params, "node_id")
        record = self._calls.get(winner_id)
        if record is not None:
            # The leg tracked from its state events is the winner; its state is left as the
            # last calling.call.state said (spec 4.4 step 4).
            record.node_id = record.node_id or node_id
            return record.snapshot()
        ended = self._calls.ended(winner_id)
        if ended is not None:
            # The winning leg already ended (events out of order): report it as it ended.
            return ended[0]
        record = CallRecord(
            call_id=winner_id,
            node_id=node_id,
            project_id=str_field(winner, "project_id") or self._project_id,
            context=self._outbound_context(winner),
            tag=tag,
            direction="outbound",
            device=dict_field(winner, "device"),
            state="answered",
        )
        self._calls.add(record)
        return record.snapshot()

    def _on_unpending_dial(
        self, event: RelayEvent, params: _Params, tag: str, dial_state: str, winner_id: str
    ) -> None:
        if tag and self._dials.is_timed_out(tag):
            if dial_state == "answered" and winner_id:
                self._dials.forget_timed_out(tag)
                self._hang_up_orphan(tag, params, winner_id)
                return
            if dial_state == "failed":
                self._dials.forget_timed_out(tag)
            self._emit_ignored("dial timed out", event)
        elif winner_id:
            self._route(event, params, winner_id)
        else:
            self._emit_ignored("dial event for an unknown tag", event)

    def _hang_up_orphan(self, tag: str, params: _Params, winner_id: str) -> None:
        # D18: nobody waits for this dial any more; a winner left up would be billed and stay
        # connected to no one.
        record = self._calls.get(winner_id)
        node_id = str_field(dict_field(params, "call"), "node_id") or str_field(params, "node_id")
        if not node_id and record is not None:
            node_id = record.node_id
        self._send(
            "calling.end",
            {"node_id": node_id, "call_id": winner_id, "reason": "hangup"},
            HangupPurpose(tag, winner_id),
        )
        self._emit(OrphanHungUp(tag=tag, call_id=winner_id))

    def _emit_ignored(self, reason: str, event: RelayEvent) -> None:
        self._emit(EventIgnored(reason=reason, event=event))
