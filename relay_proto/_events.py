"""Typed RELAY events (PLACEHOLDER: base class only; the catalogue is being written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RelayEvent", "parse_event"]


@dataclass(frozen=True, slots=True)
class RelayEvent:
    """A RELAY event as the server sent it."""

    event_type: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    call_id: str = ""
    timestamp: float = 0.0


def parse_event(payload: dict[str, Any]) -> RelayEvent:
    """Build the typed event for an envelope ``{"event_type": ..., "params": {...}}``."""
    params = payload.get("params")
    if not isinstance(params, dict):
        params = {}
    return RelayEvent(str(payload.get("event_type") or ""), params, str(params.get("call_id", "")))
