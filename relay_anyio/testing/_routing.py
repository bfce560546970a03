"""Numbers routed to contexts: RELAY programs calling and texting each other through the switch.

A routed number belongs to a *context* instead of a persona (``emu.route(number, context)``).
When a client dials it (``calling.dial``, ``calling.begin``), connects a call to it
(``calling.connect``) or transfers a call to it (``calling.transfer``), the switch makes two
legs of one telephone call:

* the *outbound* leg, controlled by the client that called (tagged states, dial / connect
  outcome as for any number), and
* an *inbound* leg on the number's context, offered to a client subscribed there like any
  incoming call (round robin, ``calling.pass`` to another one, parked while nobody listens).

The inbound leg rings until its client answers; then the outbound leg answers too. Rejecting it
(``calling.end`` before the answer) fails the outbound leg with the same reason, and a device
``timeout`` on the outbound side cancels the inbound one. Once up, hanging up either leg hangs up
the other. Each leg's remote party *is* the other side: what one client plays is recorded as
heard by the other leg's party, and keys one side sends with ``calling.send_digits`` are
pressed by the other leg's party, so a collect on the other side gets them. Prompts are not
turned into speech for the other side's recogniser.

A ``messaging.send`` to a routed number is delivered as usual and then arrives as
``messaging.receive`` on the number's context.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._model import SimCall
from ._personas import Persona
from ._script import Press

if TYPE_CHECKING:
    from ._scheduler import Timer
    from ._switch import Handler, Switch

__all__ = [
    "HANDLERS",
    "PHONE_NUMBER",
    "check_route",
    "link_routed_leg",
    "on_call_end",
    "pass_digits",
    "routes",
]

HANDLERS: dict[str, Handler] = {}

PHONE_NUMBER = re.compile(r"^\+[1-9]\d{6,14}$")
"""An E.164 number: ``+`` and 7 to 15 digits."""


def routes(sw: Switch) -> dict[str, str]:
    """Routed numbers: number -> context."""
    found: dict[str, str] = sw.extensions.setdefault("routes", {})
    return found


def check_route(number: str, context: str) -> None:
    """Validate a route.

    Raises:
        ValueError: ``number`` is not E.164 (``+`` and 7 to 15 digits) or ``context`` is empty.
    """
    if not isinstance(number, str) or not PHONE_NUMBER.match(number):
        raise ValueError(f"a routed number must be E.164 (+ and 7 to 15 digits), not {number!r}")
    if not isinstance(context, str) or not context.strip():
        raise ValueError("a route needs a non-empty context")


def link_routed_leg(
    sw: Switch,
    leg: SimCall,
    context: str,
    *,
    timeout: float,
    on_answer: Callable[[], None],
    on_reject: Callable[[str], None],
) -> SimCall:
    """Ring the context behind a routed number for the outbound ``leg``; return the inbound leg.

    ``on_answer`` runs when the inbound leg is answered, ``on_reject(reason)`` when it ends
    first, with ``noAnswer`` when nobody took the call within ``timeout`` simulated seconds.
    That timeout only runs while no client holds the offer: a client deciding what to do
    (answer, reject, pass) is never raced by a fast simulated clock.
    """
    params = leg.device.get("params", {})
    from_number = params.get("from_number") or params.get("from") or "+15550000000"
    expiry: list[Timer] = []

    def offered(to_a_client: bool) -> None:
        for timer in expiry:
            timer.cancel()
        expiry.clear()
        if not to_a_client:
            expiry.append(sw.later(timeout, lambda: on_reject("noAnswer"), leg))

    def answered() -> None:
        if not leg.ended and leg.answered_at is None:
            on_answer()

    inbound = sw.new_call(
        direction="inbound",
        device={"type": "phone", "params": {"from_number": from_number, "to_number": leg.label}},
        number=str(from_number),
        persona=Persona.human(after=0.0),
        context=context,
    )
    inbound.linked, leg.linked = leg, inbound
    inbound.on_answer.append(answered)
    inbound.on_reject = on_reject
    inbound.on_offer = offered
    sw.log(inbound, f"incoming call from {from_number} to {leg.label} on {context!r}")
    sw.log(leg, f"{leg.label} is routed to context {context!r} ({inbound.call_id})")
    sw.offer(inbound)
    return inbound


def pass_digits(sw: Switch, call: SimCall, digits: str) -> None:
    """Keys sent on ``call`` are pressed by the far end of its linked leg."""
    keys = "".join(k for k in digits if k not in "wW")
    other = call.linked
    if other is not None and keys and not other.ended:
        sw.push_intent(other, Press(keys))


def on_call_end(sw: Switch, call: SimCall) -> None:
    """A leg of a routed call ended: the other one follows (or fails, if it was ringing)."""
    other = call.linked
    if other is None or other.ended:
        return
    call.linked = other.linked = None
    if call.direction == "inbound" and call.answered_at is None and call.on_reject is not None:
        # Rejected (or abandoned) before the answer: the caller's leg fails the same way.
        reason = call.end_reason if call.end_reason != "hangup" else "decline"
        call.on_reject(reason)
    elif other.answered_at is None:
        sw.end_call(other, "cancel", by="switch", text=f"{other.label} stopped ringing")
    else:
        sw.end_call(other, "hangup", by="switch", text=f"{other.label} hung up (far end)")
