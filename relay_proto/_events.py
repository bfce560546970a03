"""Typed RELAY events: what the server said about a call or a message.

:class:`RelayEvent` and its 23 subclasses mirror the official SDK's ``signalwire.relay.event``
classes (same names, fields, field order and defaults), as frozen slotted dataclasses. Every
class keeps the full inner ``params`` dict, so keys we do not model stay reachable. The events
of a call's actions and controls (play ... hold, and ``collect_result``) live in
:mod:`relay_proto._action_events` and are re-exported here; this module has the call, conference,
error and messaging events and the dispatch (``EVENT_CLASSES``, ``parse_event``).

The input is untrusted JSON, so building an event never raises: a missing key *or a value of
the wrong type* gives the field's default (``"device": 5`` gives ``device == {}``). This module
is on the hot path (one call per inbound event), so dispatch is a dict lookup and each class
reads its own keys directly: no reflection over dataclass fields.

Decision D17: ``timestamp`` is the inner ``params.timestamp`` when it is a number, else the
envelope's ``timestamp``, else ``0.0`` (servers put it on the envelope; the SDK reads only the
inner one, which is usually absent).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ._action_events import (
    CollectEvent,
    ConnectEvent,
    DenoiseEvent,
    DetectEvent,
    DialEvent,
    EchoEvent,
    FaxEvent,
    HoldEvent,
    PayEvent,
    PlayEvent,
    QueueEvent,
    RecordEvent,
    ReferEvent,
    SendDigitsEvent,
    StreamEvent,
    TapEvent,
    TranscribeEvent,
    collect_result,
)
from ._event_base import (
    RelayEvent,
    _code,
    _dict,
    _envelope,
    _int,
    _str,
    _strs,
)
from ._fastinit import dataclass

__all__ = [
    "EVENT_CLASSES",
    "CallReceiveEvent",
    "CallStateEvent",
    "CallingErrorEvent",
    "CollectEvent",
    "ConferenceEvent",
    "ConnectEvent",
    "DenoiseEvent",
    "DetectEvent",
    "DialEvent",
    "EchoEvent",
    "FaxEvent",
    "HoldEvent",
    "MessageReceiveEvent",
    "MessageStateEvent",
    "PayEvent",
    "PlayEvent",
    "QueueEvent",
    "RecordEvent",
    "ReferEvent",
    "RelayEvent",
    "SendDigitsEvent",
    "StreamEvent",
    "TapEvent",
    "TranscribeEvent",
    "build_event",
    "collect_result",
    "parse_event",
]


# --------------------------------------------------------------------------- calls


@dataclass(frozen=True, slots=True)
class CallStateEvent(RelayEvent):
    """``calling.call.state``: the call moved to ``call_state``."""

    call_state: str = ""
    end_reason: str = ""
    direction: str = ""
    device: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CallStateEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            call_state=_str(p, "call_state"),
            end_reason=_str(p, "end_reason"),
            direction=_str(p, "direction"),
            device=_dict(p, "device"),
        )


@dataclass(frozen=True, slots=True)
class CallReceiveEvent(RelayEvent):
    """``calling.call.receive``: an inbound call. ``context`` falls back to ``protocol``."""

    call_state: str = ""
    direction: str = ""
    device: dict[str, Any] = field(default_factory=dict)
    node_id: str = ""
    project_id: str = ""
    context: str = ""
    segment_id: str = ""
    tag: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CallReceiveEvent:
        b = _envelope(payload)
        p = b[1]
        # The SDK falls back to ``protocol`` only when ``context`` is absent; a context of the
        # wrong type is treated as absent too.
        context = p.get("context")
        if not isinstance(context, str):
            context = _str(p, "protocol")
        return cls(
            *b,
            call_state=_str(p, "call_state"),
            direction=_str(p, "direction"),
            device=_dict(p, "device"),
            node_id=_str(p, "node_id"),
            project_id=_str(p, "project_id"),
            context=context,
            segment_id=_str(p, "segment_id"),
            tag=_str(p, "tag"),
        )


@dataclass(frozen=True, slots=True)
class ConferenceEvent(RelayEvent):
    """``calling.conference``: conference or participant status."""

    conference_id: str = ""
    name: str = ""
    status: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ConferenceEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            conference_id=_str(p, "conference_id"),
            name=_str(p, "name"),
            status=_str(p, "status"),
        )


@dataclass(frozen=True, slots=True)
class CallingErrorEvent(RelayEvent):
    """``calling.error``: an asynchronous error; ``code`` is a string such as ``"5001"``."""

    code: str = ""
    message: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CallingErrorEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, code=_code(p, "code"), message=_str(p, "message"))


# --------------------------------------------------------------------------- messaging


@dataclass(frozen=True, slots=True)
class MessageReceiveEvent(RelayEvent):
    """``messaging.receive``: an inbound SMS/MMS."""

    message_id: str = ""
    context: str = ""
    direction: str = ""
    from_number: str = ""
    to_number: str = ""
    body: str = ""
    media: list[str] = field(default_factory=list)
    segments: int = 0
    message_state: str = ""
    tags: list[str] = field(default_factory=list)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> MessageReceiveEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            message_id=_str(p, "message_id"),
            context=_str(p, "context"),
            direction=_str(p, "direction"),
            from_number=_str(p, "from_number"),
            to_number=_str(p, "to_number"),
            body=_str(p, "body"),
            media=_strs(p, "media"),
            segments=_int(p, "segments"),
            message_state=_str(p, "message_state"),
            tags=_strs(p, "tags"),
        )


@dataclass(frozen=True, slots=True)
class MessageStateEvent(RelayEvent):
    """``messaging.state``: an outbound message changed state; ``reason`` on failures."""

    message_id: str = ""
    context: str = ""
    direction: str = ""
    from_number: str = ""
    to_number: str = ""
    body: str = ""
    media: list[str] = field(default_factory=list)
    segments: int = 0
    message_state: str = ""
    reason: str = ""
    tags: list[str] = field(default_factory=list)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> MessageStateEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            message_id=_str(p, "message_id"),
            context=_str(p, "context"),
            direction=_str(p, "direction"),
            from_number=_str(p, "from_number"),
            to_number=_str(p, "to_number"),
            body=_str(p, "body"),
            media=_strs(p, "media"),
            segments=_int(p, "segments"),
            message_state=_str(p, "message_state"),
            reason=_str(p, "reason"),
            tags=_strs(p, "tags"),
        )


# --------------------------------------------------------------------------- dispatch

#: ``event_type`` -> typed class. Types not listed parse as :class:`RelayEvent`.
EVENT_CLASSES: dict[str, type[RelayEvent]] = {
    "calling.call.state": CallStateEvent,
    "calling.call.receive": CallReceiveEvent,
    "calling.call.play": PlayEvent,
    "calling.call.record": RecordEvent,
    "calling.call.collect": CollectEvent,
    "calling.call.connect": ConnectEvent,
    "calling.call.detect": DetectEvent,
    "calling.call.fax": FaxEvent,
    "calling.call.tap": TapEvent,
    "calling.call.stream": StreamEvent,
    "calling.call.send_digits": SendDigitsEvent,
    "calling.call.dial": DialEvent,
    "calling.call.refer": ReferEvent,
    "calling.call.denoise": DenoiseEvent,
    "calling.call.pay": PayEvent,
    "calling.call.queue": QueueEvent,
    "calling.call.echo": EchoEvent,
    "calling.call.transcribe": TranscribeEvent,
    "calling.call.hold": HoldEvent,
    "calling.conference": ConferenceEvent,
    "calling.error": CallingErrorEvent,
    "messaging.receive": MessageReceiveEvent,
    "messaging.state": MessageStateEvent,
}

# The official SDK's name for the same mapping (module only, like the SDK's).
EVENT_CLASS_MAP = EVENT_CLASSES


def parse_event(payload: dict[str, Any]) -> RelayEvent:
    """Build the typed event for an envelope ``{"event_type": ..., "params": {...}}``.

    Unknown event types give a plain :class:`RelayEvent`; an empty or malformed envelope gives
    ``RelayEvent("", {}, "", 0.0)``. Never raises, whatever JSON it is given.
    """
    event_type = payload.get("event_type") if isinstance(payload, dict) else None
    cls = EVENT_CLASSES.get(event_type, RelayEvent) if isinstance(event_type, str) else RelayEvent
    return cls.from_payload(payload)


def build_event(event_type: str, params: dict[str, Any], timestamp: object) -> RelayEvent:
    """The typed event of an envelope known by its parts: what :func:`parse_event` gives for
    ``{"event_type": event_type, "params": params, "timestamp": timestamp}``."""
    cls = EVENT_CLASSES.get(event_type, RelayEvent)
    return cls.from_payload({"event_type": event_type, "params": params, "timestamp": timestamp})
