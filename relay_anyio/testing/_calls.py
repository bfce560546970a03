"""Call lifecycle and the plain (non-action) call commands of the simulated switch.

``answer``, ``end``, ``pass``, ``transfer``, ``accept``, ``hold``/``unhold``, ``refer``, ``echo``,
``denoise``, and the commands whose effect happens elsewhere (AI, live transcription, rooms, user
events): each validates its params, changes the simulated call and answers like the service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._model import ResultCode, Session, SimCall, ok
from ._params import (
    invalid,
    live_call,
    opt_number,
    opt_object,
    opt_str,
    req_object,
    req_str,
    str_list,
)
from ._routing import PHONE_NUMBER, routes

if TYPE_CHECKING:
    from ._switch import Handler, Switch

__all__ = ["END_REASONS", "HANDLERS"]

# Reasons a client may give calling.end (spec 3.5 A).
END_REASONS = frozenset({"hangup", "cancel", "busy", "noAnswer", "decline", "error"})

HANDLERS: dict[str, Handler] = {}


def _handler(method: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[method] = func
        return func

    return register


@_handler("calling.answer")
def _answer(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    str_list(params, "codecs")
    minutes = opt_number(params, "max_duration", 0.0, maximum=24 * 60)
    if call.state != "answered":
        sw.log(call, f"answered by {session.label}")
        sw.answer(call)
        if minutes:
            sw.later(minutes * 60, lambda: sw.end_call(call, "max_duration", by="switch"), call)
    return ok("Answered")


@_handler("calling.end")
def _end(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    reason = opt_str(params, "reason", "hangup", choices=END_REASONS)
    sw.end_call(call, reason, by=session.label)
    return ok("Disconnecting call")


@_handler("calling.pass")
def _pass(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    if call.state == "answered":
        raise ResultCode("409", "Call is already answered")
    call.passed_by.add(session.protocol)
    sw.log(call, f"passed by {session.label}")
    sw.offer(call)
    return ok("Passing call")


@_handler("calling.transfer")
def _transfer(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    dest = req_str(params, "dest")
    number = dest.removeprefix("tel:")
    context = routes(sw).get(number)
    if dest.startswith("context:"):
        context = dest.removeprefix("context:")
        if not context:
            raise invalid("dest", "names an empty context")
    sw.log(call, f"transferred to {dest}")
    if context is not None:
        # The call leaves this client and is offered afresh on the other context.
        call.context = context
        call.passed_by.clear()
        sw.offer(call)
    elif PHONE_NUMBER.match(number):
        _transfer_to_number(sw, call, number)
    else:
        # Handed to a URL or SWML script: no RELAY client controls it any more.
        call.owner = None
    return ok("Transferring")


def _transfer_to_number(sw: Switch, call: SimCall, number: str) -> None:
    # The switch rings the number's persona for the call, which no client controls any more.
    from ._dialing import Ringer, bridge

    call.owner = None
    device = {"type": "phone", "params": {"from_number": call.party.number, "to_number": number}}

    def failed() -> None:
        sw.end_call(call, "hangup", by="switch", text=f"transfer to {number} failed")

    ringer = Ringer(
        sw, owner=None, groups=[[device]], tag="", created_by="transfer",
        on_answer=lambda leg: bridge(sw, call, leg), on_fail=failed, peer_ref=call.ref(),
    )  # fmt: skip
    call.connect_op = ringer
    ringer.start()


@_handler("calling.accept")
def _accept(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    if call.state == "created":
        sw.set_state(call, "ringing")
    return ok("Accepted")


def _hold(held: bool) -> Handler:
    def handler(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
        call = live_call(sw, session, params)
        call.held = held
        sw.log(call, "put on hold" if held else "taken off hold")
        sw.emit(call, "calling.call.hold", {"state": "hold" if held else "unhold"})
        return ok("Call on hold" if held else "Call off hold")

    return handler


HANDLERS["calling.hold"] = _hold(True)
HANDLERS["calling.unhold"] = _hold(False)


@_handler("calling.refer")
def _refer(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    device = req_object(params, "device")
    to = req_str(opt_object(device, "params"), "to")
    opt_str(params, "status_url")
    persona = sw.persona_for(to)
    outcome = {"busy": "busy", "no_answer": "noAnswer", "declines": "cancel", "fails": "error"}
    final = "success" if persona.picks_up else outcome.get(persona.kind, "error")
    base = {"sip_refer_to": to}
    sw.emit(call, "calling.call.refer", {**base, "state": "inProgress"})

    def done() -> None:
        codes = {"sip_refer_response_code": "202", "sip_notify_response_code": "200"}
        if final != "success":
            codes["sip_notify_response_code"] = {"busy": "486", "noAnswer": "408"}.get(final, "500")
        sw.emit(call, "calling.call.refer", {**base, **codes, "state": final})
        sw.log(call, f"referred to {to}: {final}")
        if final == "success":
            sw.end_call(call, "hangup", by="refer")

    sw.later(max(persona.after, 0.1), done, call)
    return ok("Starting SIP REFER")


@_handler("calling.echo")
def _echo(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    timeout = opt_number(params, "timeout", 0.0)
    opt_str(params, "status_url")
    sw.emit(call, "calling.call.echo", {"state": "echoing"})
    sw.log(call, "echo started")
    if timeout:
        sw.later(timeout, lambda: sw.emit(call, "calling.call.echo", {"state": "finished"}), call)
    return ok("Echo started")


def _denoise(on: bool) -> Handler:
    def handler(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
        call = live_call(sw, session, params)
        sw.emit(call, "calling.call.denoise", {"denoised": on})
        return ok("Denoiser on" if on else "Denoiser off")

    return handler


HANDLERS["calling.denoise"] = _denoise(True)
HANDLERS["calling.denoise.stop"] = _denoise(False)


def _acknowledged(message: str, *, required: tuple[str, ...] = ()) -> Handler:
    # Commands whose effect happens outside RELAY events: validate, log, answer.
    def handler(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
        call = live_call(sw, session, params)
        for key in required:
            req_str(params, key)
        sw.log(call, message.lower())
        return ok(message)

    return handler


HANDLERS.update(
    {
        "calling.amazon_bedrock": _acknowledged("AI started"),
        "calling.ai_message": _acknowledged("Message sent"),
        "calling.ai_hold": _acknowledged("AI on hold"),
        "calling.ai_unhold": _acknowledged("AI resumed"),
    }
)


@_handler("calling.user_event")
def _user_event(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    sw.log(call, f"user event {params.get('event')!r}")
    return ok("Event sent")


@_handler("calling.receive")
def _calling_receive(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    contexts = str_list(params, "contexts")
    context = opt_str(params, "context")
    if context:
        contexts.append(context)
    if not contexts:
        raise invalid("contexts", "must name at least one context")
    sw.subscribe(session, contexts)
    return ok("Receiving events")
