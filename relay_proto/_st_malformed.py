"""Near-valid and malformed RELAY frames, with the answer each one must get (re-exported by
:mod:`relay_proto.strategies`; needs the ``fuzz`` extra).

A :class:`Malformed` is the payload of one WebSocket message plus ``expect``, what a correct
receiver does with it (the documented error). ``receiver`` says who gets it: ``"server"`` (a
client sent it) or ``"client"``. The answers, from the protocol reference (1.2, 1.6) and the
architecture decisions (D9: a frame with an id is never left unanswered):

==================  =========================================================================
``expect``          the receiver
==================  =========================================================================
``"error"``         answers a JSON-RPC error with ``code`` and the frame's id (``request_id``;
                    ``None`` when the id cannot be echoed), and keeps the connection open
``"answer"``        (server receiver, near-valid request) answers the request exactly once,
                    with an error or a result whose code is not 2xx, or accepts it; the
                    connection stays open
``"ack"``           (client receiver, near-valid event) ACKs it with ``{}`` and keeps going
``"ignored"``       sends nothing back (an error reply with a null id is tolerated) and keeps
                    the connection open: invalid JSON, non-objects, notifications, replies to
                    unknown ids, binary and oversized messages
``"close"``         closes the WebSocket with ``code`` (1007: a text message that is not UTF-8)
==================  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st

from . import _grammar as g

__all__ = ["Expect", "Malformed", "malformed_frames", "near_valid_frames"]

Expect = Literal["error", "answer", "ack", "ignored", "close"]
Receiver = Literal["client", "server"]

_INVALID_REQUEST, _METHOD_NOT_FOUND, _INVALID_PARAMS = -32600, -32601, -32602
#: The size of an oversized message: above a receiver's limit (the core's default is 10 MiB;
#: the strategy takes the limit, as a small one makes tests fast).
DEFAULT_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Malformed:
    """One bad WebSocket message and the answer it must get."""

    kind: str
    payload: bytes
    expect: Expect
    code: int | None = None
    request_id: Any = None
    binary: bool = False

    def __repr__(self) -> str:
        shown = self.payload[:120].decode("utf-8", "backslashreplace")
        more = f"...({len(self.payload)} bytes)" if len(self.payload) > 120 else ""
        return f"Malformed({self.kind}: {shown}{more} -> {self.expect} {self.code or ''})".rstrip()


def _json(value: Any) -> bytes:
    import json

    return json.dumps(value, separators=(",", ":")).encode()


def _valid(receiver: Receiver) -> st.SearchStrategy[dict[str, Any]]:
    from .strategies import events, requests

    if receiver == "server":
        methods = [m for m in g.REQUESTS if m != "signalwire.connect"]
        return requests(methods=methods)
    return events()


_WRONG_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [None, 12345, -1, True, "", "x" * 300, [], {}, [1, 2], 1.5]
)


@st.composite
def _one_field_wrong(draw: st.DrawFn, receiver: Receiver) -> Malformed:
    frame = draw(_valid(receiver))
    inner = frame["params"] if receiver == "server" else frame["params"]["params"]
    keys = sorted(inner)
    if keys:
        key = draw(st.sampled_from(keys))
        replaced = draw(_WRONG_VALUES.filter(lambda v: v != inner[key]))
        inner[key] = replaced
    else:
        inner["unexpected"] = draw(_WRONG_VALUES)
    expect: Expect = "answer" if receiver == "server" else "ack"
    return Malformed("one field wrong", _json(frame), expect, request_id=frame["id"])


@st.composite
def _unknown_type(draw: st.DrawFn, receiver: Receiver) -> Malformed:
    name = draw(st.sampled_from(["calling.nonsense", "signalwire.bogus", "x", ""]))
    if receiver == "client":
        if draw(st.booleans()):
            frame = {
                "jsonrpc": "2.0",
                "id": "evt-u1",
                "method": "signalwire.event",
                "params": {"event_type": name, "params": {}},
            }
            return Malformed("unknown event type", _json(frame), "ack", request_id="evt-u1")
        frame = {"jsonrpc": "2.0", "id": "srv-u1", "method": name, "params": {}}
        return Malformed("unknown method", _json(frame), "error", _METHOD_NOT_FOUND, "srv-u1")
    frame = {"jsonrpc": "2.0", "id": "req-u1", "method": name, "params": {}}
    return Malformed("unknown method", _json(frame), "error", _METHOD_NOT_FOUND, "req-u1")


# Envelopes that break JSON-RPC 2.0 itself: (kind, frame, expect, code, id).
_ENVELOPES: list[tuple[str, Any, Expect, int | None, Any]] = [
    ("no method", {"jsonrpc": "2.0", "id": "bad-1"}, "error", _INVALID_REQUEST, "bad-1"),
    (
        "method not a string",
        {"jsonrpc": "2.0", "id": "bad-2", "method": 7},
        "error",
        _INVALID_REQUEST,
        "bad-2",
    ),
    (
        "params not an object",
        {"jsonrpc": "2.0", "id": "bad-3", "method": "signalwire.ping", "params": [1]},
        "error",
        _INVALID_PARAMS,
        "bad-3",
    ),
    (
        "id nested too deeply",
        {
            "jsonrpc": "2.0",
            "id": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
            "method": "signalwire.ping",
        },
        "error",
        _INVALID_REQUEST,
        None,
    ),
    ("notification", {"jsonrpc": "2.0", "method": "signalwire.bogus"}, "ignored", None, None),
    (
        "reply to an unknown id",
        {"jsonrpc": "2.0", "id": "nobody", "result": {}},
        "ignored",
        None,
        None,
    ),
    (
        "error reply to an unknown id",
        {"jsonrpc": "2.0", "id": "nobody", "error": {"code": -32000, "message": "x"}},
        "ignored",
        None,
        None,
    ),
    (
        "not an object",
        [{"jsonrpc": "2.0", "id": "b", "method": "signalwire.ping"}],
        "ignored",
        None,
        None,
    ),
    ("not an object", "signalwire.ping", "ignored", None, None),
    ("not an object", 42, "ignored", None, None),
]


def _envelopes(receiver: Receiver) -> st.SearchStrategy[Malformed]:
    def build(item: tuple[str, Any, Expect, int | None, Any]) -> Malformed:
        kind, frame, expect, code, request_id = item
        if receiver == "server" and kind == "reply to an unknown id":
            kind = "reply to a request never sent"
        return Malformed(kind, _json(frame), expect, code, request_id)

    return st.sampled_from(_ENVELOPES).map(build)


_NOT_JSON = [b"{", b'{"id": "x", ', b"hello", b"", b'{"id": NaN, "method": "m"}', b"[1,]"]


def _not_json() -> st.SearchStrategy[Malformed]:
    return st.sampled_from(_NOT_JSON).map(lambda p: Malformed("not JSON", p, "ignored"))


def _deeply_nested() -> st.SearchStrategy[Malformed]:
    def build(depth: int) -> Malformed:
        nested = b"[" * depth + b"]" * depth
        payload = b'{"jsonrpc":"2.0","method":"signalwire.ping","params":{"x":' + nested + b"}}"
        return Malformed("deeply nested", payload, "ignored")

    return st.sampled_from([100_000, 5_000, 2_000]).map(build)


def _oversized(limit: int) -> st.SearchStrategy[Malformed]:
    def build(extra: int) -> Malformed:
        # A notification: whatever the receiver's real limit, nothing may answer it.
        body = b'{"jsonrpc":"2.0","method":"signalwire.bogus","params":{"pad":"'
        payload = body + b"x" * (limit + extra) + b'"}}'
        return Malformed("oversized", payload, "ignored")

    return st.sampled_from([1, 1000]).map(build)


def _invalid_utf8() -> st.SearchStrategy[Malformed]:
    payloads = [
        b'{"id":"u-1","method":"signalwire.ping","params":{"x":"\xff"}}',
        b"\xc3\x28",
        b'{"a":"\xed\xa0\x80"}',
    ]
    return st.sampled_from(payloads).map(lambda p: Malformed("invalid UTF-8", p, "close", 1007))


def _binary() -> st.SearchStrategy[Malformed]:
    frame = b'{"jsonrpc":"2.0","id":"bin-1","method":"signalwire.ping"}'
    return st.just(Malformed("binary message", frame, "ignored", binary=True))


def near_valid_frames(receiver: Receiver = "server") -> st.SearchStrategy[Malformed]:
    """Frames that are valid JSON-RPC but wrong for RELAY: a valid request (``receiver``
    ``"server"``) or event (``"client"``) with one field replaced by a value of the wrong type
    or range, an unknown method, an unknown event type."""
    return _one_field_wrong(receiver) | _unknown_type(receiver)


def malformed_frames(
    receiver: Receiver = "server", *, limit: int = DEFAULT_LIMIT
) -> st.SearchStrategy[Malformed]:
    """Frames that break JSON-RPC or the WebSocket message rules: wrong envelopes (no or a
    non-string method, params not an object, an id nested too deeply, notifications, replies
    to unknown ids, non-objects), text that is not JSON, deep nesting, messages over ``limit``
    bytes, text that is not UTF-8 and binary messages; plus the near-valid ones."""
    return st.one_of(
        near_valid_frames(receiver),
        _envelopes(receiver),
        _not_json(),
        _deeply_nested(),
        _oversized(limit),
        _binary(),
        _invalid_utf8(),
    )
