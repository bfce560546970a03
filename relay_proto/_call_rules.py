"""Call-lifecycle rules that adapters apply to the events the core reports.

The core tracks every call's state and reports it on each ``CallEvent``; what an adapter's
``Call`` object does with it (``wait_for_answered`` & co.) follows the rules here, so that
relay_anyio and relay_sync (and any other adapter) cannot disagree on them.

State order: a call goes ``created < ringing < answered < ending < ended``
(:data:`~relay_proto.CALL_STATES`, spec 8.2). A wait for a state returns at once when the call
is already at or past it (:func:`call_state_reached`); a pending wait ends on the state event
that reaches exactly that state, or on the call's end (:func:`state_wait_finished`, D21).

Action callbacks: an action's ``on_completed`` runs when the core reports the action completed
(``ActionCompleted``), for every ``reason`` except ``"not_started"``: an action started on a
call that was already over was never sent, and comes back complete without its callback, as
with the official SDK (:func:`fires_on_completed`).

A handler that raises: when an ``on_call`` handler raises, the adapters log it with its
traceback and, by default, hang the call up so that the caller is not left in dead air, unless
the handler had handed the call on (:func:`decide_after_handler_error`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._constants import CALL_STATE_ANSWERED, CALL_STATE_ENDED, CALL_STATES
from ._errors import InvalidCommandError, LocalProtocolError
from ._events import CallStateEvent, RelayEvent, parse_event
from ._types import CallInfo

__all__ = [
    "ON_HANDLER_ERROR_CHOICES",
    "HandlerErrorDecision",
    "call_state_reached",
    "check_on_handler_error",
    "decide_after_handler_error",
    "fires_on_completed",
    "kept_device",
    "kept_state_event",
    "state_wait_finished",
]

# Position of each state in the lifecycle; a state not listed has reached nothing.
_ORDER = {state: index for index, state in enumerate(CALL_STATES)}


def _position(target: str) -> int:
    position = _ORDER.get(target) if isinstance(target, str) else None
    if position is None:
        raise LocalProtocolError(f"target must be one of {', '.join(CALL_STATES)}; got {target!r}")
    return position


def call_state_reached(current: str, target: str) -> bool:
    """Whether a call in state ``current`` is at or past ``target`` in the lifecycle order.

    ``call_state_reached("answered", "ringing")`` is true; an unknown ``current`` (such as
    ``""`` before the first state event) has reached no state.

    Raises:
        LocalProtocolError: ``target`` is not one of :data:`~relay_proto.CALL_STATES`.
    """
    position = _position(target)
    reached = _ORDER.get(current, -1) if isinstance(current, str) else -1
    return reached >= position


def state_wait_finished(target: str, *, event_state: object, call_state: str) -> bool:
    """Whether a ``calling.call.state`` event ends a pending wait for the call to reach
    ``target``.

    It does when the event reaches exactly ``target``, or when the call has ended (D21: a call
    that ends finishes every wait on it). A jump past ``target`` (an ``answered`` event for a
    ``ringing`` wait) does not: such a wait goes on until ``target`` or the end, as the
    official SDK's does.

    Args:
        target: the state waited for.
        event_state: the event's own ``call_state`` param (any JSON value).
        call_state: the call's state after the event, as the core reports it
            (``CallEvent.call_state``).

    Raises:
        LocalProtocolError: ``target`` is not one of :data:`~relay_proto.CALL_STATES`.
    """
    _position(target)
    return event_state == target or call_state == CALL_STATE_ENDED


# The one ActionCompleted reason for which no on_completed callback runs (see ActionCompleted).
_NOT_STARTED = "not_started"


def fires_on_completed(reason: str) -> bool:
    """Whether an action's ``on_completed`` callback runs for ``ActionCompleted(reason=...)``.

    True for ``"event"`` (its final event arrived), ``"call_gone"`` (404/410 on the start
    request) and ``"call_ended"`` (the call ended, or was handed over, while the action was
    pending); false for ``"not_started"`` (the call was already over when the action was
    started, so nothing was sent). Every completion, with or without the callback, finishes
    the action's waits.
    """
    return reason != _NOT_STARTED


# --------------------------------------------------------------------------- handler errors

#: The values of the clients' ``on_handler_error`` setting: ``"hangup"`` (the default) ends a
#: call whose ``on_call`` handler raised, unless the handler handed it on; ``"keep"`` leaves
#: every call as the handler left it (the official SDK's behaviour).
ON_HANDLER_ERROR_CHOICES = ("hangup", "keep")

# Bridge states in which the caller is (or is about to be) talking to someone else.
_BRIDGED = frozenset(("connecting", "connected"))


class HandlerErrorDecision(NamedTuple):
    """What to do with a call whose ``on_call`` handler raised.

    Attributes:
        hang_up: whether to end the call (``calling.end`` with reason ``hangup``).
        why: a short phrase for the log (``"hanging the call up"``, ``"the call was
            connected to another party: left up"``...).
    """

    hang_up: bool
    why: str


def check_on_handler_error(value: object) -> str:
    """Validate an ``on_handler_error`` setting; returns it.

    Raises:
        InvalidCommandError: not one of :data:`ON_HANDLER_ERROR_CHOICES`.
    """
    if not isinstance(value, str) or value not in ON_HANDLER_ERROR_CHOICES:
        choices = " or ".join(repr(choice) for choice in ON_HANDLER_ERROR_CHOICES)
        raise InvalidCommandError(f"on_handler_error must be {choices}; got {value!r}")
    return value


def decide_after_handler_error(policy: str, call: CallInfo | None) -> HandlerErrorDecision:
    """Whether to hang up a call whose ``on_call`` handler raised.

    The call is hung up unless the policy is ``"keep"``, or the call is no longer this
    client's to end: it ended or is ending, it was passed to another consumer (the core no
    longer tracks it: ``call`` is ``None``), it is bridged to another party (its last
    ``calling.call.connect`` state is ``connecting`` or ``connected``), or a transfer/refer of
    it succeeded. An inbound call not yet answered is hung up too (rejected), so it does not
    ring until the caller gives up.

    Args:
        policy: the client's ``on_handler_error`` (:data:`ON_HANDLER_ERROR_CHOICES`).
        call: ``RelayConnection.get_call(call_id)`` when the handler raised.

    Raises:
        InvalidCommandError: ``policy`` is not one of :data:`ON_HANDLER_ERROR_CHOICES`.
    """
    check_on_handler_error(policy)
    if policy == "keep":
        return HandlerErrorDecision(False, "left as it is (on_handler_error='keep')")
    if call is None:
        return HandlerErrorDecision(False, "the call is over or was passed on: nothing to end")
    if call_state_reached(call.state, "ending"):
        return HandlerErrorDecision(False, "the call is already ending")
    if call.connect_state in _BRIDGED:
        return HandlerErrorDecision(False, "the call is connected to another party: left up")
    if call.transferred:
        return HandlerErrorDecision(False, "the call was transferred: left up")
    if call.state == CALL_STATE_ANSWERED:
        return HandlerErrorDecision(True, "hanging the call up")
    return HandlerErrorDecision(True, "rejecting the unanswered call")


# The keys of a state event's params and of a phone/SIP device, one string object for every
# event kept (a decoded frame has its own copy of each key).
_KEYS = {
    key: key
    for key in (
        "call_id",
        "node_id",
        "tag",
        "call_state",
        "end_reason",
        "direction",
        "device",
        "segment_id",
        "peer",
        "timestamp",
        "type",
        "params",
        "from_number",
        "to_number",
        "from",
        "to",
    )
}
_STATE_NAMES = {state: state for state in CALL_STATES}
_DEVICE_TYPES = {kind: kind for kind in ("phone", "sip", "webrtc", "agora")}


def kept_device(device: dict[str, Any]) -> dict[str, Any]:
    """A copy of a decoded ``device`` object, equal to it, for keeping with a call.

    A decoded frame's objects each hold their own copy of every key; the device a call keeps
    for its whole life uses one string per known key (and device type) instead, at its two
    levels (``{"type", "params": {...}}``). Values are shared, not copied.
    """
    kept: dict[str, Any] = {}
    for decoded_key, value in device.items():
        key = _KEYS.get(decoded_key, decoded_key)
        if key == "params" and type(value) is dict:
            kept[key] = {_KEYS.get(k, k): v for k, v in value.items()}
        elif key == "type" and type(value) is str:
            kept[key] = _DEVICE_TYPES.get(value, value)
        else:
            kept[key] = value
    return kept


def kept_state_event(
    event: RelayEvent,
    *,
    call_id: str,
    node_id: str = "",
    direction: str = "",
    tag: str = "",
    segment_id: str = "",
    device: dict[str, Any] | None = None,
) -> RelayEvent:
    """An event equal to the ``calling.call.state`` event ``event``, for keeping.

    A call's latest state event (and the ``ended`` one of a call the core remembers) is kept as
    long as the call: built from a decoded frame, its params hold their own copy of every key,
    of the call's ids and of its whole device. The copy shares the call's strings (the keyword
    arguments), one string per key and state name, and, when its device equals ``device``, a
    shallow copy of that. It compares equal to ``event`` (same class, params and fields).
    Anything but a :class:`~relay_proto.CallStateEvent` is returned as it is.
    """
    if type(event) is not CallStateEvent:
        return event
    known = {call_id: call_id, node_id: node_id, direction: direction, tag: tag}
    if segment_id:
        known[segment_id] = segment_id
    params: dict[str, Any] = {}
    for decoded_key, value in event.params.items():
        key = _KEYS.get(decoded_key, decoded_key)
        if type(value) is str:
            params[key] = known.get(value) or _STATE_NAMES.get(value, value)
        elif key == "device" and device is not None and value == device:
            params[key] = dict(device)  # shares its parts with ``device``
        else:
            params[key] = value
    envelope = {"event_type": event.event_type, "params": params, "timestamp": event.timestamp}
    return parse_event(envelope)
