"""The base of the typed RELAY events: :class:`RelayEvent` and the readers that pull typed
fields out of untrusted JSON (a value of the wrong type gives the field's default, never an
exception). The 23 typed subclasses and the dispatch table are in :mod:`relay_proto._events`.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ._fastinit import dataclass

__all__ = ["RelayEvent"]

_Params = dict[str, Any]


# --------------------------------------------------------------------------- field readers
# Each reader returns the value when it has the right type and the default otherwise. bool is
# excluded from the numeric readers because JSON ``true`` is a Python int.


def _str(p: _Params, key: str) -> str:
    v = p.get(key)
    return v if isinstance(v, str) else ""


def _code(p: _Params, key: str) -> str:
    # SIP and RELAY error codes are strings on the wire, but a server may send a number.
    v = p.get(key)
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        try:
            return str(v)
        except ValueError:  # more digits than int->str conversion allows
            return ""
    return ""


def _number(v: object) -> float | None:
    if isinstance(v, float):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        try:
            return float(v)
        except OverflowError:  # an int too large for a float
            return None
    return None


def _float(p: _Params, key: str) -> float:
    v = _number(p.get(key))
    return 0.0 if v is None else v


def _whole(v: object) -> int | None:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer():  # 4096.0 is a size; nan/inf are not
        return int(v)
    return None


def _int(p: _Params, key: str) -> int:
    v = _whole(p.get(key))
    return 0 if v is None else v


def _dict(p: _Params, key: str) -> _Params:
    v = p.get(key)
    return v if isinstance(v, dict) else {}


def _strs(p: _Params, key: str) -> list[str]:
    # A copy holding only the strings: the event must not alias a list the caller may reuse.
    v = p.get(key)
    if not isinstance(v, list):
        return []
    return [item for item in v if isinstance(item, str)]


def _envelope(payload: object) -> tuple[str, _Params, str, float]:
    """(event_type, params, call_id, timestamp) of an envelope, never raising."""
    if not isinstance(payload, dict):
        return ("", {}, "", 0.0)
    event_type = payload.get("event_type")
    if not isinstance(event_type, str):
        event_type = ""
    p = payload.get("params")
    if not isinstance(p, dict):
        p = {}
    call_id = p.get("call_id")
    if not isinstance(call_id, str):
        call_id = ""
    # A float timestamp, where servers put it (the envelope), is the common case.
    ts = p.get("timestamp")
    if type(ts) is not float:
        ts = None if ts is None else _number(ts)
        if ts is None:
            ts = payload.get("timestamp")
            if type(ts) is not float:
                ts = _number(ts)
                if ts is None:
                    ts = 0.0
    return (event_type, p, call_id, ts)


# --------------------------------------------------------------------------- base class


@dataclass(frozen=True, slots=True)
class RelayEvent:
    """A RELAY event: ``event_type``, the inner ``params`` and the common fields.

    Event types without a typed class are delivered as this base class.
    """

    event_type: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    call_id: str = ""
    timestamp: float = 0.0

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> RelayEvent:
        """Build the event from an envelope ``{"event_type": ..., "params": {...}}``.

        Never raises: missing keys and values of the wrong type give the defaults.
        """
        return cls(*_envelope(payload))
