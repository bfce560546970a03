"""Validation of request params for the simulated switch.

Structural mistakes (a missing required key, a wrong type, a value out of range) are answered
with JSON-RPC error -32602 naming the key, so a test sees exactly what its client got wrong.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from ._model import RequestError, Session, SimCall

if TYPE_CHECKING:
    from ._switch import Switch

__all__ = [
    "invalid",
    "live_call",
    "opt_bool",
    "opt_number",
    "opt_object",
    "opt_str",
    "req_control_id",
    "req_object",
    "req_str",
    "str_list",
]

_MISSING = object()


def invalid(key: str, what: str) -> RequestError:
    """The -32602 error for ``key``."""
    return RequestError(-32602, f"Invalid params: {key} {what}")


def req_str(params: dict[str, Any], key: str, *, choices: Collection[str] = ()) -> str:
    """A required non-empty string (optionally one of ``choices``)."""
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(key, "must be a non-empty string")
    if choices and value not in choices:
        raise invalid(key, f"must be one of {', '.join(sorted(choices))}")
    return value


def opt_str(
    params: dict[str, Any], key: str, default: str = "", *, choices: Collection[str] = ()
) -> str:
    """An optional string (``default`` when absent or null)."""
    value = params.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise invalid(key, "must be a string")
    if choices and value not in choices:
        raise invalid(key, f"must be one of {', '.join(sorted(choices))}")
    return value


def opt_number(
    params: dict[str, Any],
    key: str,
    default: float,
    *,
    minimum: float = 0.0,
    maximum: float = 86_400.0,
) -> float:
    """An optional number within ``[minimum, maximum]``; numeric strings are accepted too
    (the official SDK types some of these as strings)."""
    value = params.get(key, _MISSING)
    if value is _MISSING or value is None:
        return default
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise invalid(key, "must be a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(key, "must be a number")
    if not minimum <= value <= maximum:
        raise invalid(key, f"must be between {minimum:g} and {maximum:g}")
    return float(value)


def opt_bool(params: dict[str, Any], key: str, default: bool = False) -> bool:
    """An optional boolean."""
    value = params.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(key, "must be a boolean")
    return value


def req_object(params: dict[str, Any], key: str) -> dict[str, Any]:
    """A required JSON object."""
    value = params.get(key)
    if not isinstance(value, dict):
        raise invalid(key, "must be an object")
    return value


def opt_object(params: dict[str, Any], key: str) -> dict[str, Any]:
    """An optional JSON object (``{}`` when absent)."""
    value = params.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(key, "must be an object")
    return value


def str_list(params: dict[str, Any], key: str, *, required: bool = False) -> list[str]:
    """A list of non-empty strings (``[]`` when absent and not required)."""
    value = params.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise invalid(key, "must be a list of non-empty strings")
    if required and not value:
        raise invalid(key, "must not be empty")
    return list(value)


def req_control_id(params: dict[str, Any]) -> str:
    """The client's ``control_id``."""
    return req_str(params, "control_id")


def live_call(sw: Switch, session: Session, params: dict[str, Any]) -> SimCall:
    """The call a command names; the commanding session takes control if the owner is gone.

    Raises:
        RequestError: ``call_id`` missing or malformed.
        ResultCode: 404 (unknown call) or 410 (the call has ended).
    """
    call = sw.find_call(params)
    sw.control(session, call)
    return call
