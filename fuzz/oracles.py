"""Oracles for the fuzz invariants: what a correct core must answer to a given inbound message,
and checks on what it emitted.

They are written independently of relay_proto's decoder (plain ``json``), mirroring only the
documented rules: NaN, Infinity and numbers that overflow to it are not JSON; a request's id is
echoed unless it nests deeper than 32 levels (then the reply's id is null); messages over the
size limit are dropped unanswered.
"""

from __future__ import annotations

import json
import math
from typing import Any

from relay_proto import Event, EventIgnored, FrameDropped

__all__ = [
    "UNKNOWN",
    "InvariantError",
    "canonical",
    "check_event",
    "expected_reply_id",
    "loads",
    "reply_id",
    "reply_to",
    "silence_allowed",
]


class InvariantError(AssertionError):
    """A fuzz invariant does not hold: a bug in relay_proto (or in the harness)."""


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, allow_nan=True)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def loads(text: str) -> Any:
    # RFC 8259 JSON: NaN, Infinity and numbers that overflow to it are not numbers a peer may
    # send (relay_proto drops such frames as invalid JSON; see the fuzz README).
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite)


def _depth(value: Any, limit: int) -> int:
    """How many arrays/objects nest in ``value`` (``5``: 0, ``[5]``: 1), counted up to ``limit``."""
    level, depth = [value], 0
    while depth < limit and any(isinstance(item, (list, dict)) for item in level):
        depth += 1
        level = [
            child
            for item in level
            if isinstance(item, (list, dict))
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return depth


class Unknown(str):
    """Either answer is right (see :func:`expected_reply_id`)."""


UNKNOWN = Unknown("either")

# The JSON decoder's nesting limit comes from the interpreter's recursion limit, so whether a
# frame nested this deep decodes depends on the stack depth of the caller: the oracle cannot
# tell, and accepts either outcome.
_DECODER_DEPTH_UNCERTAIN = 800
# relay_proto answers a request whose id nests deeper than this with a null id (JSON-RPC 2.0
# section 5), because such an id could not be echoed reliably.
_MAX_ECHOED_ID_DEPTH = 32


def expected_reply_id(text: str, max_size: int) -> str | None:
    """The canonical id a reply to this inbound message must carry, ``None`` when the message
    is not a request with an id (or is too large to be delivered), or :data:`UNKNOWN`."""
    if len(text.encode("utf-8", "surrogatepass")) > max_size:
        return None
    try:
        frame = loads(text)
    except RecursionError:
        return UNKNOWN
    except ValueError:
        return None
    if _depth(frame, _DECODER_DEPTH_UNCERTAIN) >= _DECODER_DEPTH_UNCERTAIN:
        return UNKNOWN
    if type(frame) is not dict or "id" not in frame:
        return None
    if "result" in frame or "error" in frame:
        return None
    if _depth(frame["id"], _MAX_ECHOED_ID_DEPTH + 1) > _MAX_ECHOED_ID_DEPTH:
        return canonical(None)
    return canonical(frame["id"])


def silence_allowed(text: str) -> bool:
    """Whether the client may consume this message without an event or a reply: a
    ``signalwire.ping`` notification (nothing to answer, it just proves the link is alive), or
    a ``signalwire.authorization.state`` notification (stored for the next connect)."""
    try:
        frame = loads(text)
    except (ValueError, RecursionError):
        return False
    if type(frame) is not dict or "id" in frame or "result" in frame or "error" in frame:
        return False
    params = frame.get("params", {})
    if frame.get("method") == "signalwire.ping":
        return type(params) is dict
    return (
        frame.get("method") == "signalwire.event"
        and type(params) is dict
        and params.get("event_type") == "signalwire.authorization.state"
    )


def reply_to(text: str) -> str | None:
    """The canonical id an inbound reply (``result``/``error`` frame) answers, else ``None``."""
    try:
        frame = loads(text)
    except (ValueError, RecursionError):
        return None
    if type(frame) is dict and "id" in frame and ("result" in frame or "error" in frame):
        return canonical(frame["id"])
    return None


def reply_id(text: str) -> str | None:
    """The canonical id of an outbound reply (``result``/``error`` frame), else ``None``.

    Raises:
        InvariantError: the frame the core sent is not a JSON object.
    """
    try:
        frame = loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvariantError(f"the core sent invalid JSON: {text[:200]!r}") from exc
    if type(frame) is not dict:
        raise InvariantError(f"the core sent a non-object frame: {text[:200]!r}")
    if "result" in frame or "error" in frame:
        return canonical(frame.get("id"))
    return None


def check_event(event: object) -> None:
    """Invariant 2: an event is a connection-level Event, and FrameDropped is bounded."""
    if not isinstance(event, Event):
        raise InvariantError(f"next_event() returned a non-event: {event!r}")
    if isinstance(event, FrameDropped) and (not event.reason or len(event.raw) > 200):
        raise InvariantError(f"bad FrameDropped: {event!r}")
    if isinstance(event, EventIgnored) and not event.reason:
        raise InvariantError(f"EventIgnored without a reason: {event!r}")
