"""Per-call state: call records, their action tables and the action completion rules.

A *call record* is the core's mutable view of one tracked call (the adapters only ever see frozen
:class:`~relay_proto.CallInfo` snapshots). Each record owns a small table of the actions started on
it, keyed by ``control_id`` and holding the action *kind* (``CallCommand.action``).

The :class:`CallRegistry` keeps the tracked calls plus a bounded memory of recently ended ones,
so a late event for an ended call is recognised (decision D15) and an action started on it can
complete with the call's ``ended`` event (D14).

Completion rules (spec 3.5 and 8.3 with decisions D12/D13): an event completes an action only if
its ``event_type`` is the action's own. Everything here reads untrusted JSON, so every field is
type-checked and a value of the wrong type counts as absent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import Any

from ._call_rules import kept_state_event
from ._constants import ENDED_CALL_MEMORY
from ._events import RelayEvent
from ._fastinit import dataclass
from ._types import CallInfo

__all__ = [
    "ACTION_KINDS",
    "CallRecord",
    "CallRegistry",
    "CommandPurpose",
    "action_completes",
    "dict_field",
    "str_field",
]

_Params = dict[str, Any]
_Rule = Callable[[str, _Params], bool]


# --------------------------------------------------------------------------- field readers


def str_field(params: _Params, key: str) -> str:
    """``params[key]`` when it is a string, else ``""`` (wrong types count as absent)."""
    value = params.get(key)
    return value if isinstance(value, str) else ""


def dict_field(params: _Params, key: str) -> _Params:
    """``params[key]`` when it is an object, else a new empty dict."""
    value = params.get(key)
    return value if isinstance(value, dict) else {}


# --------------------------------------------------------------------------- completion rules


def _on_state(event_type: str, *states: str) -> _Rule:
    """Rule: the action's own event type with a top-level ``state`` in ``states``."""
    terminal = frozenset(states)

    def rule(et: str, params: _Params) -> bool:
        return et == event_type and str_field(params, "state") in terminal

    return rule


def _detect(et: str, params: _Params) -> bool:
    # The first result completes a detect (spec 9.9): any non-empty ``detect`` object, whatever
    # it says; later detect events only reach listeners because the action is unregistered.
    if et != "calling.call.detect":
        return False
    return bool(dict_field(params, "detect")) or str_field(params, "state") in ("finished", "error")


_COLLECT_TERMINAL = frozenset(("finished", "error", "no_input", "no_match"))


def _collect(et: str, params: _Params) -> bool:
    # play_and_collect shares its control_id with the prompt's calling.call.play events: only
    # collect events count. ``final: false`` marks an interim result of partial_results /
    # continuous collection, which must not end the action (D12; the SDK ignores ``final``).
    if et != "calling.call.collect" or params.get("final") is False:
        return False
    return bool(dict_field(params, "result")) or str_field(params, "state") in _COLLECT_TERMINAL


def _fax(et: str, params: _Params) -> bool:
    # Real frames carry the outcome in ``fax.type``; the SDK only reads a top-level ``state``
    # and so never completes on them (D13). Accept either.
    if et != "calling.call.fax":
        return False
    if str_field(params, "state") in ("finished", "error"):
        return True
    return str_field(dict_field(params, "fax"), "type") in ("finished", "error")


_RULES: dict[str, _Rule] = {
    "play": _on_state("calling.call.play", "finished", "error"),
    "record": _on_state("calling.call.record", "finished", "no_input"),
    "detect": _detect,
    "play_and_collect": _collect,
    "collect": _collect,
    "send_fax": _fax,
    "receive_fax": _fax,
    "tap": _on_state("calling.call.tap", "finished"),
    # The SDK waits for "finished" only; a stream that fails reports "error" and would otherwise
    # wait until the call ends.
    "stream": _on_state("calling.call.stream", "finished", "error"),
    "pay": _on_state("calling.call.pay", "finished", "error"),
    "transcribe": _on_state("calling.call.transcribe", "finished"),
    "ai": _on_state("calling.call.ai", "finished", "error"),
}

#: Every action kind the core knows how to complete (``CallCommand.action`` values).
ACTION_KINDS = frozenset(_RULES)


def action_completes(kind: str, event_type: str, params: _Params) -> bool:
    """Whether an event with this type and inner params completes an action of ``kind``.

    The caller has already matched the event's ``control_id`` to the action. An unknown kind
    never completes (the domain refuses to register one).
    """
    rule = _RULES.get(kind)
    return rule is not None and rule(event_type, params)


# --------------------------------------------------------------------------- call records


@dataclass(frozen=True, slots=True)
class CommandPurpose:
    """``Outgoing.purpose`` of a call command: which call (and action, if any) it concerns.

    ``seq`` numbers the commands of a domain: a control id may be reused once its action is
    complete, and the late outcome of the earlier start must not touch the new action.
    ``hands_over`` marks a ``calling.pass``: once it succeeds the call is routed elsewhere.
    ``transfers`` marks a ``calling.transfer`` / ``calling.refer``: once it succeeds the call
    is marked ``transferred``.
    """

    call_id: str
    control_id: str | None
    kind: str | None
    seq: int = 0
    hands_over: bool = False
    transfers: bool = False


@dataclass(slots=True, kw_only=True)
class CallRecord:
    """The core's mutable state of one tracked call."""

    call_id: str
    node_id: str
    project_id: str = ""
    context: str = ""
    tag: str = ""
    direction: str = ""
    device: _Params = field(default_factory=dict)
    state: str = ""
    segment_id: str = ""
    # The last connect_state of its calling.call.connect events ("" before any), and whether a
    # calling.transfer / calling.refer of it succeeded: the call was handed on.
    connect_state: str = ""
    transferred: bool = False
    # control_id -> the start command's purpose (kind and start number), in registration order
    # (call_ended completions follow it).
    actions: dict[str, CommandPurpose] = field(default_factory=dict)

    def snapshot(self) -> CallInfo:
        """A frozen :class:`CallInfo` of the record as it is now."""
        return CallInfo(
            call_id=self.call_id,
            node_id=self.node_id,
            project_id=self.project_id,
            context=self.context,
            tag=self.tag,
            direction=self.direction,
            device=dict(self.device),
            state=self.state,
            segment_id=self.segment_id,
            connect_state=self.connect_state,
            transferred=self.transferred,
        )


class CallRegistry:
    """Tracked calls by ``call_id`` plus a FIFO memory of recently ended ones.

    ``max_active_calls`` is only consulted by :meth:`is_full`: the domain applies it to inbound
    calls, never to dial legs or winners (spec 4.4 step 8).
    """

    def __init__(self, max_active_calls: int) -> None:
        self.max_active_calls = max_active_calls
        self._tracked: dict[str, CallRecord] = {}
        #: The tracked record for a call_id, or ``None`` (the table's own ``get``: every event
        #: and every command looks a call up, and this costs no Python call).
        self.get: Callable[[str], CallRecord | None] = self._tracked.get
        # call_id -> (last snapshot, the event that ended it); insertion order is FIFO order.
        self._ended: dict[str, tuple[CallInfo, RelayEvent]] = {}
        # The ids in _ended of calls handed over with calling.pass rather than ended.
        self._passed: set[str] = set()

    def __len__(self) -> int:
        return len(self._tracked)

    def is_full(self) -> bool:
        """True when ``max_active_calls`` calls are tracked (inbound, outbound and legs)."""
        return len(self._tracked) >= self.max_active_calls

    def add(self, record: CallRecord) -> None:
        """Start tracking ``record``."""
        self._tracked[record.call_id] = record

    def is_ended(self, call_id: str) -> bool:
        """True when ``call_id`` is in the memory of recently ended calls."""
        return call_id in self._ended

    def ended(self, call_id: str) -> tuple[CallInfo, RelayEvent] | None:
        """(last snapshot, ended event) of a recently ended call, or ``None``."""
        return self._ended.get(call_id)

    def ended_event(self, call_id: str, default: RelayEvent) -> RelayEvent:
        """The event kept for the ended call ``call_id``, or ``default``."""
        ended = self._ended.get(call_id)
        return default if ended is None else ended[1]

    def was_passed(self, call_id: str) -> bool:
        """True when ``call_id`` is remembered because it was handed over, not because it ended."""
        return call_id in self._passed

    def forget(self, call_id: str) -> None:
        """Drop ``call_id`` from the memory of ended calls."""
        self._ended.pop(call_id, None)
        self._passed.discard(call_id)

    def take_all(self) -> list[tuple[str, RelayEvent, list[str]]]:
        """Archive every tracked call as ended (their session is gone), each with a synthetic
        ``ended`` state event (``end_reason: "session_replaced"``); return, per call, its id,
        that event and its still-pending control ids."""
        out = []
        for call_id, record in list(self._tracked.items()):
            record.state = "ended"
            params = {"call_id": call_id, "call_state": "ended", "end_reason": "session_replaced"}
            event = RelayEvent("calling.call.state", params, call_id)
            out.append((call_id, event, self.archive(record, event)))
        return out

    def archive(self, record: CallRecord, event: RelayEvent, *, passed: bool = False) -> list[str]:
        """Stop tracking an ended call (or, with ``passed``, one handed over with
        ``calling.pass``) and remember it; return its still-pending control ids."""
        call_id = record.call_id
        self._tracked.pop(call_id, None)
        self.forget(call_id)
        snapshot = record.snapshot()
        # Kept for up to ENDED_CALL_MEMORY calls: an equal event sharing the snapshot's strings
        # and device instead of holding the decoded frame's copies (see kept_state_event).
        kept = kept_state_event(
            event,
            call_id=call_id,
            node_id=snapshot.node_id,
            direction=snapshot.direction,
            tag=snapshot.tag,
            segment_id=snapshot.segment_id,
            device=snapshot.device,
        )
        self._ended[call_id] = (snapshot, kept)
        if passed:
            self._passed.add(call_id)
        # Bounded FIFO (D15): the server stops talking about a call soon after it ends, so the
        # last ENDED_CALL_MEMORY ids are enough to recognise its late events.
        while len(self._ended) > ENDED_CALL_MEMORY:
            self.forget(next(iter(self._ended)))
        pending = list(record.actions)
        record.actions.clear()
        return pending
