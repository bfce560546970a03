"""SMS/MMS bookkeeping: outbound messages tracked by ``message_id``, inbound messages decoded.

Outbound (spec 5.1, 5.2): ``messaging.send`` goes out with a ``context`` (the caller's, else the
session protocol, else ``"default"``). Once the server accepts it with a non-empty
``message_id``, the message is tracked and each ``messaging.state`` for that id becomes a
:class:`~relay_proto.MessageStateChanged`. A terminal state (``delivered``, ``undelivered``,
``failed``) untracks it; ids that are not tracked are ignored.

Inbound (spec 5.3): ``messaging.receive`` becomes a :class:`~relay_proto.MessageInfo` in a
:class:`~relay_proto.MessageReceived`. Inbound messages are never tracked.

Every field comes from the network: a value of the wrong type falls back to its default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._actions import str_field
from ._conn_events import Event, EventIgnored, MessageReceived, MessageStateChanged
from ._constants import MESSAGE_TERMINAL_STATES
from ._events import RelayEvent
from ._fastinit import dataclass
from ._types import MessageInfo

__all__ = [
    "MAX_TRACKED_MESSAGES",
    "MessageTable",
    "SendMessagePurpose",
    "message_info",
]

# States after which the server sends nothing more about a message.
_TERMINAL_STATES = frozenset(MESSAGE_TERMINAL_STATES)

# Outbound messages tracked at once. A message whose terminal state never arrives (a carrier
# that never reports, an event lost with a non-resumed session) would otherwise be kept forever;
# once the cap is reached the oldest tracked message is forgotten. 10,000 is far above the number
# of messages a client has in flight (delivery reports arrive within minutes), so in practice only
# such abandoned entries are dropped.
MAX_TRACKED_MESSAGES = 10_000

_Params = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SendMessagePurpose:
    """``Outgoing.purpose`` of a ``messaging.send`` request."""

    context: str


@dataclass(slots=True)
class _Tracked:
    state: str
    reason: str


def _strs(params: _Params, key: str) -> list[str]:
    value = params.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _segments(params: _Params) -> int:
    value = params.get("segments")
    # bool is an int in Python but ``true`` is not a segment count.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return 0


def message_info(params: _Params) -> MessageInfo:
    """Build the :class:`MessageInfo` of an inbound ``messaging.receive`` (spec 5.3 defaults)."""
    return MessageInfo(
        message_id=str_field(params, "message_id"),
        context=str_field(params, "context"),
        direction=str_field(params, "direction") or "inbound",
        from_number=str_field(params, "from_number"),
        to_number=str_field(params, "to_number"),
        body=str_field(params, "body"),
        media=_strs(params, "media"),
        segments=_segments(params),
        state=str_field(params, "message_state") or "received",
        reason=str_field(params, "reason"),
        tags=_strs(params, "tags"),
    )


class MessageTable:
    """Tracked outbound messages (bounded, oldest dropped first) and messaging event handling."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        # message_id -> state; insertion order is the order the server accepted them.
        self._tracked: dict[str, _Tracked] = {}

    def __len__(self) -> int:
        return len(self._tracked)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._tracked

    def prepare(
        self, params: _Params, relay_protocol: str
    ) -> tuple[str, _Params, SendMessagePurpose]:
        """(method, params, purpose) of a ``messaging.send`` for already validated params."""
        out = dict(params)
        context = out.get("context")
        if not isinstance(context, str) or not context:
            # Spec 5.1: the caller's context, else the session protocol, else "default".
            context = relay_protocol or "default"
            out["context"] = context
        return "messaging.send", out, SendMessagePurpose(context)

    def accepted(self, result: _Params) -> None:
        """The server accepted a message: track its ``message_id`` (if it gave a non-empty one)."""
        message_id = str_field(result, "message_id")
        if not message_id:
            return
        self._tracked.pop(message_id, None)
        self._tracked[message_id] = _Tracked("queued", "")
        while len(self._tracked) > MAX_TRACKED_MESSAGES:
            del self._tracked[next(iter(self._tracked))]

    def take_all(self) -> list[str]:
        """Stop tracking every message (their session is gone); return their ids."""
        ids = list(self._tracked)
        self._tracked.clear()
        return ids

    def on_state(self, event: RelayEvent, params: _Params) -> None:
        """Handle ``messaging.state``."""
        message_id = str_field(params, "message_id")
        tracked = self._tracked.get(message_id) if message_id else None
        if tracked is None:
            self._emit(EventIgnored(reason="unknown message", event=event))
            return
        new_state = str_field(params, "message_state")
        if new_state:
            tracked.state = new_state
        # As the SDK: ``reason`` is replaced whenever the key is present.
        if "reason" in params:
            tracked.reason = str_field(params, "reason")
        terminal = new_state in _TERMINAL_STATES
        if terminal:
            del self._tracked[message_id]
        # Message listeners get the base RelayEvent, as in the official SDK.
        base = RelayEvent(event.event_type, event.params, event.call_id, event.timestamp)
        self._emit(
            MessageStateChanged(
                message_id=message_id,
                state=tracked.state,
                reason=tracked.reason,
                terminal=terminal,
                event=base,
            )
        )

    def on_receive(self, event: RelayEvent, params: _Params) -> None:
        """Handle ``messaging.receive``."""
        self._emit(MessageReceived(message=message_info(params), event=event))
