"""Typed events of a call's actions and controls (``calling.call.play`` ... ``calling.call.hold``).

Part of :mod:`relay_proto._events` (which re-exports every name here and owns the dispatch table
and the module's contract: frozen slotted dataclasses, never raising on untrusted JSON, each
class reading its own keys directly). ``collect_result`` lives beside :class:`CollectEvent`.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ._event_base import (
    RelayEvent,
    _code,
    _dict,
    _envelope,
    _float,
    _int,
    _number,
    _str,
    _whole,
)
from ._fastinit import dataclass

__all__ = [
    "CollectEvent",
    "ConnectEvent",
    "DenoiseEvent",
    "DetectEvent",
    "DialEvent",
    "EchoEvent",
    "FaxEvent",
    "HoldEvent",
    "PayEvent",
    "PlayEvent",
    "QueueEvent",
    "RecordEvent",
    "ReferEvent",
    "SendDigitsEvent",
    "StreamEvent",
    "TapEvent",
    "TranscribeEvent",
    "collect_result",
]


@dataclass(frozen=True, slots=True)
class PlayEvent(RelayEvent):
    """``calling.call.play``: playback progress (``playing``, ``paused``, ``finished``...)."""

    control_id: str = ""
    state: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> PlayEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, control_id=_str(p, "control_id"), state=_str(p, "state"))


@dataclass(frozen=True, slots=True)
class RecordEvent(RelayEvent):
    """``calling.call.record``: ``url``/``duration``/``size`` prefer the nested ``record``."""

    control_id: str = ""
    state: str = ""
    url: str = ""
    duration: float = 0.0
    size: int = 0
    record: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> RecordEvent:
        b = _envelope(payload)
        p = b[1]
        rec = _dict(p, "record")
        # Nested value when valid, else the top-level one (servers use either place).
        url = rec.get("url")
        if not isinstance(url, str):
            url = _str(p, "url")
        duration = _number(rec.get("duration"))
        size = _whole(rec.get("size"))
        return cls(
            *b,
            control_id=_str(p, "control_id"),
            state=_str(p, "state"),
            url=url,
            duration=_float(p, "duration") if duration is None else duration,
            size=_int(p, "size") if size is None else size,
            record=rec,
        )


def collect_result(result: dict[str, Any]) -> dict[str, Any]:
    """A collect ``result`` readable both ways: nested (``result["params"]["digits"]``, the
    wire shape) and flat (``result["digits"]``, as SignalWire's public docs read it).

    The keys of ``result["params"]`` are added next to ``type``/``params`` (a key the result
    already has is never replaced); a flat result from a server gets a ``params`` copy of its
    keys. Returns ``result`` itself when there is nothing to add; never modifies it.
    """
    inner = result.get("params")
    if isinstance(inner, dict):
        missing = {key: value for key, value in inner.items() if key not in result}
        return {**result, **missing} if missing else result
    if inner is None:
        flat = {key: value for key, value in result.items() if key != "type"}
        if flat:
            return {**result, "params": flat}
    return result


@dataclass(frozen=True, slots=True)
class CollectEvent(RelayEvent):
    """``calling.call.collect``: ``final`` is ``None`` when absent (absent is not ``False``).

    ``result`` (also ``params["result"]``) reads both ways: ``result["params"]["digits"]`` as
    on the wire, and ``result["digits"]`` (``text``/``confidence`` for speech) as the public
    docs write it (see :func:`collect_result`). When that adds keys, ``params`` is a copy of
    the inner params; the frame's own dicts are never modified.
    """

    control_id: str = ""
    state: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    final: bool | None = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CollectEvent:
        event_type, p, call_id, timestamp = _envelope(payload)
        raw = _dict(p, "result")
        result = collect_result(raw)
        if result is not raw:
            p = {**p, "result": result}
        final = p.get("final")
        return cls(
            event_type,
            p,
            call_id,
            timestamp,
            control_id=_str(p, "control_id"),
            state=_str(p, "state"),
            result=result,
            final=final if isinstance(final, bool) else None,
        )


@dataclass(frozen=True, slots=True)
class ConnectEvent(RelayEvent):
    """``calling.call.connect``: bridging progress; ``peer`` describes the other leg."""

    connect_state: str = ""
    peer: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ConnectEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, connect_state=_str(p, "connect_state"), peer=_dict(p, "peer"))


@dataclass(frozen=True, slots=True)
class DetectEvent(RelayEvent):
    """``calling.call.detect``: ``detect`` is ``{"type": ..., "params": {"event": ...}}``."""

    control_id: str = ""
    detect: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DetectEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, control_id=_str(p, "control_id"), detect=_dict(p, "detect"))


@dataclass(frozen=True, slots=True)
class FaxEvent(RelayEvent):
    """``calling.call.fax``: ``fax`` is ``{"type": "page"|"finished"|"error", "params": ...}``."""

    control_id: str = ""
    fax: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> FaxEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, control_id=_str(p, "control_id"), fax=_dict(p, "fax"))


@dataclass(frozen=True, slots=True)
class TapEvent(RelayEvent):
    """``calling.call.tap``: media tap progress."""

    control_id: str = ""
    state: str = ""
    tap: dict[str, Any] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TapEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            control_id=_str(p, "control_id"),
            state=_str(p, "state"),
            tap=_dict(p, "tap"),
            device=_dict(p, "device"),
        )


@dataclass(frozen=True, slots=True)
class StreamEvent(RelayEvent):
    """``calling.call.stream``: media stream progress."""

    control_id: str = ""
    state: str = ""
    url: str = ""
    name: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> StreamEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            control_id=_str(p, "control_id"),
            state=_str(p, "state"),
            url=_str(p, "url"),
            name=_str(p, "name"),
        )


@dataclass(frozen=True, slots=True)
class SendDigitsEvent(RelayEvent):
    """``calling.call.send_digits``: DTMF sending progress."""

    control_id: str = ""
    state: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SendDigitsEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, control_id=_str(p, "control_id"), state=_str(p, "state"))


@dataclass(frozen=True, slots=True)
class DialEvent(RelayEvent):
    """``calling.call.dial``: the dial's outcome. The call id is nested in ``call``."""

    tag: str = ""
    dial_state: str = ""
    call: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DialEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, tag=_str(p, "tag"), dial_state=_str(p, "dial_state"), call=_dict(p, "call"))


@dataclass(frozen=True, slots=True)
class ReferEvent(RelayEvent):
    """``calling.call.refer``: SIP REFER progress; the SIP codes are strings."""

    state: str = ""
    sip_refer_to: str = ""
    sip_refer_response_code: str = ""
    sip_notify_response_code: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ReferEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            state=_str(p, "state"),
            sip_refer_to=_str(p, "sip_refer_to"),
            sip_refer_response_code=_code(p, "sip_refer_response_code"),
            sip_notify_response_code=_code(p, "sip_notify_response_code"),
        )


@dataclass(frozen=True, slots=True)
class DenoiseEvent(RelayEvent):
    """``calling.call.denoise``: whether noise reduction is on."""

    denoised: bool = False

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DenoiseEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, denoised=p.get("denoised") is True)


@dataclass(frozen=True, slots=True)
class PayEvent(RelayEvent):
    """``calling.call.pay``: payment collection progress."""

    control_id: str = ""
    state: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> PayEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, control_id=_str(p, "control_id"), state=_str(p, "state"))


@dataclass(frozen=True, slots=True)
class QueueEvent(RelayEvent):
    """``calling.call.queue``: ``queue_id`` is the wire ``id``, ``queue_name`` the ``name``."""

    control_id: str = ""
    status: str = ""
    queue_id: str = ""
    queue_name: str = ""
    position: int = 0
    size: int = 0

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> QueueEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            control_id=_str(p, "control_id"),
            status=_str(p, "status"),
            queue_id=_str(p, "id"),
            queue_name=_str(p, "name"),
            position=_int(p, "position"),
            size=_int(p, "size"),
        )


@dataclass(frozen=True, slots=True)
class EchoEvent(RelayEvent):
    """``calling.call.echo``: echo test progress."""

    state: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> EchoEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, state=_str(p, "state"))


@dataclass(frozen=True, slots=True)
class TranscribeEvent(RelayEvent):
    """``calling.call.transcribe``: transcription progress and result location."""

    control_id: str = ""
    state: str = ""
    url: str = ""
    recording_id: str = ""
    duration: float = 0.0
    size: int = 0

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TranscribeEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(
            *b,
            control_id=_str(p, "control_id"),
            state=_str(p, "state"),
            url=_str(p, "url"),
            recording_id=_str(p, "recording_id"),
            duration=_float(p, "duration"),
            size=_int(p, "size"),
        )


@dataclass(frozen=True, slots=True)
class HoldEvent(RelayEvent):
    """``calling.call.hold``: hold state."""

    state: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> HoldEvent:
        b = _envelope(payload)
        p = b[1]
        return cls(*b, state=_str(p, "state"))
