"""DTMF from the application and digit bindings: ``calling.send_digits`` (the keys reach the
remote party, and whatever listens on a bridged leg, after 0.1 s a key, 0.5 s for ``w`` and 1 s
for ``W``), ``calling.bind_digit`` / ``calling.clear_digit_bindings``, and the idle listener that
gives a key press nobody collects to the call's bindings (each match runs the bound method as
the server's own request; a failure is reported as a ``calling.error`` event).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._model import RequestError, Session, SimCall, ok
from ._params import invalid, live_call, opt_number, opt_object, opt_str, req_control_id, req_str
from ._routing import pass_digits
from ._script import DTMF_KEYS, Intent, Press

if TYPE_CHECKING:
    from ._switch import Handler, Switch

__all__ = ["HANDLERS", "idle_listener"]

HANDLERS: dict[str, Handler] = {}

_SEND_KEYS = DTMF_KEYS | {"w", "W"}


def _send_digits(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    control_id = req_control_id(params)
    digits = req_str(params, "digits")
    if set(digits) - _SEND_KEYS:
        raise invalid("digits", "may only hold 0-9 * # A-D w W")
    seconds = sum(0.5 if k == "w" else 1.0 if k == "W" else 0.1 for k in digits)
    sw.log(call, f"sent digits {digits}")
    call.party.received_digits.append(digits)
    pass_digits(sw, call, digits)

    def sent() -> None:
        sw.emit(call, "calling.call.send_digits", {"control_id": control_id, "state": "finished"})

    sw.later(seconds, sent, call)
    return ok("Sending Digits", call_id=call.call_id, control_id=control_id)


def _bind_digit(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    digits = req_str(params, "digits")
    if set(digits) - DTMF_KEYS:
        raise invalid("digits", "may only hold 0-9 * # A-D")
    method = req_str(params, "bind_method")
    if not method.startswith("calling.") or method not in sw.handlers:
        raise invalid("bind_method", f"is not a calling method: {method}")
    binding = {
        "digits": digits,
        "method": method,
        "params": opt_object(params, "params"),
        "realm": opt_str(params, "realm"),
        "left": int(opt_number(params, "max_triggers", 0, maximum=1_000_000)) or None,
    }
    call.bindings.append(binding)
    sw.log(call, f"digits {digits} bound to {method}")
    return ok("Digit binding created")


def _clear_bindings(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    realm = opt_str(params, "realm")
    call.bindings = [b for b in call.bindings if realm and b["realm"] != realm]
    return ok("Digit bindings cleared")


HANDLERS.update(
    {
        "calling.send_digits": _send_digits,
        "calling.bind_digit": _bind_digit,
        "calling.clear_digit_bindings": _clear_bindings,
    }
)


class _BindingListener:
    """Keys nobody collects go to the call's digit bindings."""

    def __init__(self, sw: Switch, call: SimCall) -> None:
        self.sw = sw
        self.call = call

    def take(self, intent: Intent) -> None:
        if not isinstance(intent, Press):
            return
        for binding in list(self.call.bindings):
            if intent.digits.endswith(binding["digits"]):
                self._trigger(binding)

    def _trigger(self, binding: dict[str, Any]) -> None:
        sw, call = self.sw, self.call
        sw.log(call, f"{call.who} pressed {binding['digits']}: runs {binding['method']}")
        if binding["left"] is not None:
            binding["left"] -= 1
            if binding["left"] <= 0:
                call.bindings.remove(binding)
        session = sw.sessions.get(call.owner or "")
        if session is None:
            return
        params = {"control_id": sw.new_id("bound"), **binding["params"], **call.ref()}
        try:
            result = sw.request(session, binding["method"], params)
        except RequestError as exc:
            failure = exc.message
        else:
            code = str(result.get("code", "200"))
            if code.startswith("2"):
                return
            failure = f"{code} {result.get('message', '')}".strip()
        # Nobody is waiting for a reply to the server's own request: the service reports the
        # failure as a calling.error event on the call (spec 6).
        sw.calling_error("5001", f"bound {binding['method']} failed: {failure}", call)


def idle_listener(sw: Switch, call: SimCall, head: Intent) -> _BindingListener | None:
    """Offer a key press nobody asked for to the call's digit bindings."""
    if call.bindings and isinstance(head, Press):
        return _BindingListener(sw, call)
    return None
