"""Outbound legs: ``calling.dial``, ``calling.begin``, ``calling.connect`` / ``calling.disconnect``.

A :class:`Ringer` rings a ``devices`` list the way the spec describes it: the outer array is
tried one group after another, the devices of a group ring in parallel, and the first leg to
answer wins (the other legs of its group end with ``cancel``). Each leg's behaviour comes from
the persona of the number it calls. Every leg reports tagged ``calling.call.state`` events to the
session that dialled; a dial then gets one ``calling.call.dial`` outcome, a connect one
``calling.call.connect`` outcome on the originating call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._media import MediaError, describe
from ._model import ResultCode, Session, SimCall, ok
from ._params import invalid, live_call, opt_number, opt_str, req_object, req_str
from ._personas import Persona
from ._routing import link_routed_leg, routes

if TYPE_CHECKING:
    from ._switch import Handler, Switch

__all__ = ["HANDLERS", "Ringer", "bridge", "on_call_end", "parse_devices"]

HANDLERS: dict[str, Handler] = {}

# A dial larger than this is a client bug, not a plan (and bounds the legs one request makes).
_MAX_GROUPS = 10
_MAX_PER_GROUP = 10
_E164 = re.compile(r"^\+?[1-9]\d{6,14}$")
_LEG_TYPES = ("phone", "sip", "webrtc", "agora")
_WHY = {
    "busy": "was busy",
    "noAnswer": "did not answer",
    "decline": "declined the call",
    "not_found": "is not a valid number",
    "error": "failed",
    "cancel": "stopped ringing (another leg answered)",
}
# Our persona outcomes that are not wire reasons, as a failed dial event reports them.
_WIRE_REASONS = {"not_found": "error"}


def parse_devices(
    params: dict[str, Any], key: str = "devices", types: tuple[str, ...] = _LEG_TYPES
) -> list[list[dict[str, Any]]]:
    """Validate an array of arrays of device objects.

    Raises:
        RequestError: the shape is wrong, a type is not allowed, or there are too many devices.
    """
    groups = params.get(key)
    if not isinstance(groups, list) or not groups:
        raise invalid(key, "must be a non-empty array of arrays of devices")
    if len(groups) > _MAX_GROUPS:
        raise invalid(key, f"has more than {_MAX_GROUPS} groups")
    for group in groups:
        if not isinstance(group, list) or not group or len(group) > _MAX_PER_GROUP:
            raise invalid(key, f"groups must hold 1 to {_MAX_PER_GROUP} devices")
        for device in group:
            if not isinstance(device, dict):
                raise invalid(key, "items must be device objects")
            req_str(device, "type", choices=types)
            opt_number(req_object(device, "params"), "timeout", 30.0)
    return groups


def device_target(device: dict[str, Any]) -> tuple[str, bool]:
    """``(address, valid)`` of the party a device reaches."""
    params = device["params"]
    if device["type"] == "phone":
        number = params.get("to_number")
        return (str(number or ""), isinstance(number, str) and bool(_E164.match(number)))
    key = "channel" if device["type"] == "agora" else "to"
    target = params.get(key)
    return (str(target or ""), isinstance(target, str) and bool(target))


class Ringer:
    """Rings groups of devices; reports the first answer, or failure once all groups failed."""

    def __init__(
        self,
        sw: Switch,
        *,
        owner: str | None,
        groups: list[list[dict[str, Any]]],
        tag: str,
        created_by: str,
        on_answer: Callable[[SimCall], None],
        on_fail: Callable[[], None],
        peer_ref: dict[str, Any] | None = None,
        max_minutes: float = 0.0,
    ) -> None:
        self.sw = sw
        self.owner = owner
        self.groups = groups
        self.tag = tag
        self.created_by = created_by
        self.peer_ref = peer_ref
        self.max_minutes = max_minutes
        self._on_answer = on_answer
        self._on_fail = on_fail
        self._index = 0
        self.legs: list[SimCall] = []
        self.done = False
        # Why the last leg that failed did not connect (the failed dial event's ``reason``).
        self.reason = ""

    def start(self) -> None:
        """Ring the first group."""
        self._ring_group()

    def _ring_group(self) -> None:
        if self.done:  # cancelled while the next group was due
            return
        if self._index == len(self.groups):
            self.done = True
            self._on_fail()
            return
        self.legs = [self._leg(device) for device in self.groups[self._index]]

    def _leg(self, device: dict[str, Any]) -> SimCall:
        sw = self.sw
        number, valid = device_target(device)
        persona = sw.persona_for(number) if valid else Persona.fails(reason="not_found", after=0.0)
        leg = sw.new_call(
            direction="outbound",
            device=device,
            number=number or "?",
            persona=persona,
            script=persona.script,
            tag=self.tag,
            created_by=self.created_by,
            owner=self.owner,
            peer_ref=self.peer_ref,
        )
        leg.leg_of = self
        sw.log(leg, f"dialling {number or '?'} ({device['type']})")
        sw.set_state(leg, "created")
        timeout = opt_number(device["params"], "timeout", 30.0) or 30.0
        if persona.kind == "fails":
            sw.later(persona.after, lambda: self._fail(leg, persona.end_reason), leg)
            return leg
        sw.set_state(leg, "ringing")
        context = routes(sw).get(number) if valid else None
        if context is not None:
            link_routed_leg(
                sw, leg, context, timeout=timeout,
                on_answer=lambda: self._answered(leg),
                on_reject=lambda reason: self._fail(leg, reason),
            )  # fmt: skip
            return leg
        if persona.picks_up and persona.after <= timeout:
            sw.later(persona.after, lambda: self._answered(leg), leg)
        elif persona.kind in ("busy", "declines") and persona.after <= timeout:
            sw.later(persona.after, lambda: self._fail(leg, persona.end_reason), leg)
        else:
            sw.later(timeout, lambda: self._fail(leg, "noAnswer"), leg)
        return leg

    def _fail(self, leg: SimCall, reason: str) -> None:
        self.sw.end_call(leg, reason, by="switch", text=f"{leg.label} {_WHY.get(reason, reason)}")

    def _answered(self, leg: SimCall) -> None:
        sw = self.sw
        self.done = True
        leg.leg_of = None
        sw.log(leg, f"{leg.label} answered")
        sw.answer(leg)
        for other in self.legs:
            if other is not leg and not other.ended:
                other.leg_of = None
                self._fail(other, "cancel")
        if self.max_minutes:
            sw.later(
                self.max_minutes * 60, lambda: sw.end_call(leg, "max_duration", by="switch"), leg
            )
        self._on_answer(leg)

    def leg_ended(self, leg: SimCall) -> None:
        """A ringing leg ended without answering: ring the next group once all failed."""
        leg.leg_of = None
        self.reason = leg.end_reason or self.reason
        if self.done or any(not other.ended for other in self.legs):
            return
        self._index += 1
        # After the failed leg's "ended" event, which its end_call() is about to send.
        self.sw.later(0.0, self._ring_group)

    def cancel(self) -> None:
        """Stop ringing (the originating call went away)."""
        self.done = True
        for leg in self.legs:
            if not leg.ended:
                leg.leg_of = None
                self._fail(leg, "cancel")


def _dial_common(params: dict[str, Any]) -> float:
    opt_str(params, "region")
    opt_number(params, "max_price_per_minute", 0.0, maximum=1e6)
    return opt_number(params, "max_duration", 0.0, maximum=24 * 60)


def _dial(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    tag = req_str(params, "tag")
    groups = parse_devices(params)
    minutes = _dial_common(params)
    sw.check_capacity(sum(len(group) for group in groups))
    owner = session.protocol

    def dial_event(state: str, **extra: Any) -> None:
        sw.emit_to(
            owner,
            "calling.call.dial",
            {"node_id": sw.node_id, "tag": tag, "dial_state": state, **extra},
        )

    def answered(leg: SimCall) -> None:
        sw.log(leg, f"dial {tag} answered by {leg.label}")
        # As the service sends it (spec 4.3 [js]): the winner's state and direction too (the
        # JS SDK takes this object as its call's state), and dial_winner as the string "true".
        winner = {
            **leg.ref(),
            "tag": tag,
            "device": leg.device,
            "call_state": leg.state,
            "direction": leg.direction,
            "dial_winner": "true",
        }
        dial_event("answered", call=winner)

    def failed() -> None:
        sw.log(None, f"dial {tag} failed: nobody answered")
        # As the service does (spec 4.3): why the last leg failed, and the dial's direction.
        dial_event("failed", reason=_WIRE_REASONS.get(ringer.reason, ringer.reason) or "error",
                   source="outbound")  # fmt: skip

    ringer = Ringer(
        sw, owner=owner, groups=groups, tag=tag, created_by="dial", on_answer=answered,
        on_fail=failed, max_minutes=minutes,
    )  # fmt: skip
    dial_event("dialing")
    ringer.start()
    return ok("Dialing")


def _begin(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    device = req_object(params, "device")
    groups = parse_devices({"devices": [[device]]})
    tag = opt_str(params, "tag")
    sw.check_capacity(1)
    ringer = Ringer(
        sw, owner=session.protocol, groups=groups, tag=tag, created_by="dial",
        on_answer=lambda leg: None, on_fail=lambda: None, max_minutes=_dial_common(params),
    )  # fmt: skip
    ringer.start()
    leg = ringer.legs[0]
    return ok("Call started", call_id=leg.call_id, node_id=leg.node_id)


def _connect_event(sw: Switch, call: SimCall, state: str, peer: SimCall | None) -> None:
    params: dict[str, Any] = {"connect_state": state}
    if peer is not None:
        params["peer"] = {**peer.ref(), "device": peer.device}
    sw.emit(call, "calling.call.connect", params)


def bridge(sw: Switch, call: SimCall, peer: SimCall) -> None:
    """Bridge two answered calls and tell both controllers."""
    call.connect_op = None
    call.bridged, peer.bridged = peer, call
    sw.log(call, f"connected to {peer.label}")
    _connect_event(sw, call, "connected", peer)
    _connect_event(sw, peer, "connected", call)


def _unbridge(sw: Switch, call: SimCall) -> SimCall | None:
    peer = call.bridged
    if peer is None:
        return None
    call.bridged = peer.bridged = None
    sw.log(call, f"disconnected from {peer.label}")
    _connect_event(sw, call, "disconnected", peer)
    _connect_event(sw, peer, "disconnected", call)
    return peer


def _connect_existing(sw: Switch, call: SimCall, device: dict[str, Any]) -> None:
    # Devices that reach something already there: another call, a queue, a media stream.
    from ._rooms import dequeue

    kind, params = device["type"], device["params"]
    if kind == "stream":
        req_str(params, "url")
        sw.log(call, f"connected to stream {params['url']}")
        sw.emit(
            call, "calling.call.connect", {"connect_state": "connected", "peer": {"device": device}}
        )
        return
    if kind == "call":
        peer = sw.calls.get(req_str(params, "call_id"))
    else:
        peer = dequeue(sw, req_str(params, "queue_name"))
    if peer is None or peer is call or peer.bridged is not None or peer.state != "answered":
        sw.log(call, f"connect to {kind} failed: nothing to connect to")
        _connect_event(sw, call, "failed", None)
        return
    bridge(sw, call, peer)


def _connect(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    groups = parse_devices(params, types=(*_LEG_TYPES, "call", "queue", "stream"))
    special = [d for g in groups for d in g if d["type"] not in _LEG_TYPES]
    if special and (len(groups) > 1 or len(groups[0]) > 1):
        raise invalid("devices", "call, queue and stream devices must be the only device")
    ringback = params.get("ringback")
    if ringback is not None:
        try:
            ringback = sw.media.validate(ringback if isinstance(ringback, list) else [ringback])
        except MediaError as exc:
            raise invalid("ringback", str(exc)) from None
    minutes = _dial_common(params)
    tag = opt_str(params, "tag")
    opt_str(params, "status_url")
    sw.check_capacity(sum(len(group) for group in groups))
    if call.bridged is not None or call.connect_op is not None:
        raise ResultCode("409", "Call is already connected")
    _connect_event(sw, call, "connecting", None)
    if special:
        _connect_existing(sw, call, special[0])
        return ok("Connecting")
    if ringback:
        sw.log(call, f"{call.who} hears ringback {describe(ringback[0][1])}")

    def failed() -> None:
        call.connect_op = None
        sw.log(call, "connect failed: nobody answered")
        _connect_event(sw, call, "failed", None)

    call.connect_op = Ringer(
        sw, owner=call.owner, groups=groups, tag=tag, created_by="connect",
        on_answer=lambda leg: bridge(sw, call, leg), on_fail=failed, peer_ref=call.ref(),
        max_minutes=minutes,
    )  # fmt: skip
    call.connect_op.start()
    return ok("Connecting")


def _disconnect(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    if _unbridge(sw, call) is None:
        raise ResultCode("409", "Call is not connected")
    return ok("Disconnecting")


HANDLERS.update(
    {
        "calling.dial": _dial,
        "calling.begin": _begin,
        "calling.connect": _connect,
        "calling.disconnect": _disconnect,
    }
)


def on_call_end(sw: Switch, call: SimCall) -> None:
    """Ringing legs report to their ringer; bridges break; a connect leg follows its caller."""
    if call.leg_of is not None:
        call.leg_of.leg_ended(call)
    if call.connect_op is not None:
        call.connect_op.cancel()
        call.connect_op = None
    peer = _unbridge(sw, call)
    if (
        peer is not None
        and peer.created_by in ("connect", "transfer")
        and peer.peer_ref == call.ref()
    ):
        sw.end_call(peer, "hangup", by="switch", text=f"{peer.label} hung up with its caller")
