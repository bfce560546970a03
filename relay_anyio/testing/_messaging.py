"""SMS/MMS in the simulated switch: ``messaging.send`` outcomes and inbound messages.

An accepted outbound message goes ``queued`` → ``initiated`` → ``sent`` → ``delivered`` (a fraction
of a simulated second apart), reported as ``messaging.state`` events to the session that sent it.
The outcome per recipient can be set (:meth:`Messaging.set_outcome`): ``undelivered`` stops after
``sent``, ``failed`` right after ``queued``, both with a ``reason``. Inbound messages are routed
like calls: to one session subscribed to their context, round robin.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._model import Session, ok
from ._params import invalid, opt_str, req_str, str_list
from ._routing import routes

if TYPE_CHECKING:
    from ._switch import Handler, Switch

__all__ = [
    "HANDLERS",
    "InboundMessage",
    "Messaging",
    "OutboundMessage",
    "inject",
    "messaging",
    "segments",
]

HANDLERS: dict[str, Handler] = {}

OUTCOMES = ("delivered", "undelivered", "failed")
_DEFAULT_REASONS = {"undelivered": "carrier_blocked", "failed": "invalid_number"}
# Step times (simulated seconds) of an outbound message's life.
_STEPS = {
    "queued": 0.05,
    "initiated": 0.2,
    "sent": 0.5,
    "delivered": 1.0,
    "undelivered": 1.5,
    "failed": 0.3,
}
# GSM-7 basic characters: anything else needs UCS-2 and shorter segments.
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_MAX_KEPT = 10_000  # messages remembered for assertions


def segments(body: str) -> int:
    """SMS segments needed for ``body`` (160/153 GSM-7 characters, 70/67 UCS-2)."""
    if not body:
        return 1
    single, multi = (160, 153) if set(body) <= _GSM else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


@dataclass(eq=False)
class OutboundMessage:
    """A message a client sent, with the states it went through."""

    message_id: str
    protocol: str
    params: dict[str, Any]
    states: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def to_number(self) -> str:
        """Recipient."""
        return str(self.params["to_number"])


@dataclass(eq=False)
class InboundMessage:
    """A message injected by a test, delivered (or waiting) to a subscribed session."""

    message_id: str
    context: str
    params: dict[str, Any]
    protocol: str | None = None

    def route(self, sw: Switch) -> None:
        """Deliver to a subscribed session, or wait for one."""
        session = sw.pick_session(self.context)
        if session is None:
            sw.park(self)
            return
        self.protocol = session.protocol
        sw.log(self.message_id, f"inbound message delivered to {session.label}")
        sw.emit_to(session.protocol, "messaging.receive", dict(self.params))


class Messaging:
    """Per-switch messaging state: outcomes by recipient, and every message seen."""

    def __init__(self) -> None:
        self.outcomes: dict[str, tuple[str, str]] = {}
        self.sent: list[OutboundMessage] = []
        self.received: list[InboundMessage] = []

    def set_outcome(self, number: str, outcome: str, reason: str = "") -> None:
        """Decide what happens to messages sent to ``number``.

        Raises:
            ValueError: ``outcome`` is not delivered / undelivered / failed.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        self.outcomes[number] = (outcome, reason or _DEFAULT_REASONS.get(outcome, ""))

    def keep(self, items: list[Any], item: Any) -> None:
        items.append(item)
        if len(items) > _MAX_KEPT:
            del items[0]


def messaging(sw: Switch) -> Messaging:
    """The switch's messaging state."""
    found: Messaging = sw.extensions.setdefault("messaging", Messaging())
    return found


def _send(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    to_number = req_str(params, "to_number")
    from_number = req_str(params, "from_number")
    context = opt_str(params, "context", "default")
    body = opt_str(params, "body")
    media = str_list(params, "media")
    tags = str_list(params, "tags")
    opt_str(params, "region")
    if not body and not media:
        raise invalid("body", "or media is required")
    state = messaging(sw)
    msg = OutboundMessage(sw.new_id("msg"), session.protocol, dict(params))
    state.keep(state.sent, msg)
    outcome, reason = state.outcomes.get(to_number, ("delivered", ""))
    path = {
        "delivered": ("queued", "initiated", "sent", "delivered"),
        "undelivered": ("queued", "initiated", "sent", "undelivered"),
        "failed": ("queued", "failed"),
    }[outcome]
    event = {
        "message_id": msg.message_id,
        "context": context,
        "direction": "outbound",
        "from_number": from_number,
        "to_number": to_number,
        "body": body,
        "media": media,
        "segments": segments(body),
        "tags": tags,
    }
    sw.log(msg.message_id, f"message from {from_number} to {to_number} accepted: {body!r}")
    for step in path:
        sw.later(_STEPS[step], functools.partial(_advance, sw, msg, event, step, reason))
    return ok("Message accepted", message_id=msg.message_id)


def _advance(
    sw: Switch, msg: OutboundMessage, event: dict[str, Any], step: str, reason: str
) -> None:
    msg.states.append(step)
    params = {**event, "message_state": step}
    if step in ("undelivered", "failed"):
        params["reason"] = msg.reason = reason
    if step in OUTCOMES:
        why = f" ({reason})" if step != "delivered" and reason else ""
        sw.log(msg.message_id, f"message to {msg.to_number} {step}{why}")
    sw.emit_to(msg.protocol, "messaging.state", params)
    context = routes(sw).get(msg.to_number)
    if step == "delivered" and context is not None:
        # The recipient is a RELAY program: the message arrives on its context.
        media = msg.params.get("media")
        inject(
            sw,
            context=context,
            from_number=str(msg.params["from_number"]),
            to_number=msg.to_number,
            body=str(msg.params.get("body") or ""),
            media=[str(m) for m in media] if isinstance(media, list) else None,
        )


HANDLERS["messaging.send"] = _send


def inject(
    sw: Switch,
    *,
    context: str,
    from_number: str,
    to_number: str,
    body: str = "",
    media: list[str] | None = None,
    tags: list[str] | None = None,
) -> InboundMessage:
    """An SMS/MMS arriving from ``from_number`` on ``context``."""
    message_id = sw.new_id("msg-in")
    params = {
        "message_id": message_id,
        "context": context,
        "direction": "inbound",
        "from_number": from_number,
        "to_number": to_number,
        "body": body,
        "media": list(media or []),
        "segments": segments(body),
        "message_state": "received",
        "tags": list(tags or []),
    }
    msg = InboundMessage(message_id, context, params)
    state = messaging(sw)
    state.keep(state.received, msg)
    sw.log(
        message_id, f"inbound message from {from_number} to {to_number} on {context!r}: {body!r}"
    )
    msg.route(sw)
    return msg
