"""Hypothesis strategies for RELAY JSON-RPC frames, in both directions.

The frames are *mostly* meaningful, so that the fuzzers get past the first ``if`` of every
handler and reach the domain code: event types come from :data:`relay_proto.EVENT_CLASSES` (plus
the ones without a typed class), ids name the calls, actions, dials, messages and requests that
:mod:`fuzz.world` sets up, and state values come from the wire-protocol reference. Every value
can also be replaced by something of the wrong type, any key can be missing, and whole frames can
be invalid JSON, non-objects, replies for unknown ids or requests for unknown methods.

The same strategies drive the hypothesis properties in the test suite and, through
``fuzz_one_input``, the structured atheris target.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from relay_proto import EVENT_CLASSES, strategies
from relay_proto import _grammar as g

from . import world as w

__all__ = [
    "CLIENT_METHODS",
    "DEFAULT_POOLS",
    "EVENT_TYPES",
    "Pools",
    "anything",
    "client_frame",
    "client_texts",
    "envelope",
    "error",
    "maybe",
    "result",
    "server_frame",
    "server_texts",
    "to_text",
]

# --------------------------------------------------------------------------- values

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)


def anything() -> st.SearchStrategy[Any]:
    """Any small JSON value (objects and arrays nest a few levels)."""
    return st.recursive(
        _scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``strategy``, sometimes a value of any type (wrong types everywhere)."""
    return st.one_of(strategy, strategy, strategy, anything())


def _pick(*values: Any) -> st.SearchStrategy[Any]:
    return maybe(st.sampled_from(values))


def _text(*values: str) -> st.SearchStrategy[Any]:
    # Known values, or any short string, or a wrong type.
    return maybe(st.sampled_from(values) | st.text(max_size=10))


#: The ids fuzzed frames name: those that exist in the world under test (plus a few that exist
#: nowhere). The structured target passes the ids of the moment.
Pools = strategies.Pools

DEFAULT_POOLS = Pools(
    call_ids=(*w.CALL_IDS, "call-404", ""),
    node_ids=w.NODE_IDS,
    control_ids=(*w.CONTROL_IDS, "ctl-unknown"),
    tags=(*w.TAGS, "tag-unknown"),
    message_ids=(*w.MESSAGE_IDS, "msg-unknown"),
    request_ids=w.PENDING_REQUEST_IDS,
    new_control_ids=("ctl-fuzz-new", *w.CONTROL_IDS[:2]),
    new_tags=("tag-fuzz-new", *w.TAGS),
)

_numbers = maybe(st.integers(min_value=-5, max_value=100_000) | st.floats(-1e6, 1e6))

#: Every event type the grammar knows (relay_proto's grammar: the typed ones, plus
#: ``calling.call.ai`` and ``signalwire.authorization.state``).
EVENT_TYPES: tuple[str, ...] = tuple(sorted(set(EVENT_CLASSES) | set(g.EVENTS)))

_COMMON: dict[str, g.Spec] = {
    "call_id": g.Ref("call_id"),
    "node_id": g.Ref("node_id"),
    "control_id": g.Ref("control_id"),
}


def _event_params(event_type: str, pools: Pools) -> st.SearchStrategy[Any]:
    """The event's params from relay_proto's grammar, fuzzed: any key may be missing, any
    value of the wrong type; unknown types get the common ids."""
    spec = g.EVENTS.get(event_type)
    if spec is None:
        spec = g.Obj((), tuple(_COMMON.items()))
    fuzzed: st.SearchStrategy[Any] = strategies.from_spec(spec, pools, wrong=True)
    return fuzzed


@st.composite
def envelope(draw: st.DrawFn, pools: Pools = DEFAULT_POOLS) -> Any:
    """The ``params`` of a ``signalwire.event``: mostly a well-typed envelope."""
    event_type = draw(st.sampled_from(EVENT_TYPES) | st.text(max_size=12) | anything())
    known = event_type if isinstance(event_type, str) else ""
    params = draw(maybe(_event_params(known, pools)))
    env: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "timestamp": _numbers,
                "event_channel": _text(w.PROTOCOL),
                "project_id": _text(w.PROJECT),
            },
        )
    )
    if draw(st.integers(0, 9)):
        env["event_type"] = event_type
    if draw(st.integers(0, 9)):
        env["params"] = params
    return draw(maybe(st.just(env)))


# --------------------------------------------------------------------------- server frames

_server_request_ids = maybe(st.text(max_size=8).map(lambda s: "srv-" + s) | st.integers())

# Codes are strings on the wire; servers may send numbers. A digit string longer than Python's
# int() conversion limit (4300 digits) is included on purpose.
_long_digits = st.integers(4000, 4400).map(lambda n: "9" * n)
_result_codes = maybe(
    st.sampled_from(["200", "201", "299", "404", "410", "409", "500", "2000", "bad_code", "", "-1"])
    | st.integers(-1000, 1000)
    | _long_digits
)


def result(pools: Pools = DEFAULT_POOLS) -> st.SearchStrategy[Any]:
    """A reply's ``result``: mostly an object with a code, sometimes anything."""
    obj = st.fixed_dictionaries(
        {},
        optional={
            "code": _result_codes,
            "message": anything(),
            "message_id": _text(*pools.message_ids),
            "control_id": _text(*pools.control_ids),
            "call_id": _text(*pools.call_ids),
            "protocol": _text(w.PROTOCOL, "signalwire_other"),
            "identity": anything(),
            "session_restored": maybe(st.booleans()),
        },
    )
    return maybe(obj)


def error() -> st.SearchStrategy[Any]:
    """A reply's ``error``: mostly a JSON-RPC error object, sometimes anything."""
    obj = st.fixed_dictionaries(
        {},
        optional={
            "code": maybe(
                st.sampled_from([-32000, -32600, 404, 410, "404", "-32000", "x"]) | _long_digits
            ),
            "message": anything(),
            "data": anything(),
        },
    )
    return maybe(obj)


def _request(
    method: st.SearchStrategy[Any], params: st.SearchStrategy[Any], ids: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        frame: dict[str, Any] = {"jsonrpc": "2.0"}
        if draw(st.integers(0, 9)):
            frame["id"] = draw(ids)
        if draw(st.integers(0, 19)):
            frame["method"] = draw(method)
        if draw(st.integers(0, 9)):
            frame["params"] = draw(params)
        return frame

    return build()


def _reply(ids: st.SearchStrategy[Any], pools: Pools = DEFAULT_POOLS) -> st.SearchStrategy[Any]:
    ok = result(pools)
    success = st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "id": ids, "result": ok})
    failure = st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "id": ids, "error": error()})
    both = st.fixed_dictionaries({"id": ids, "result": ok, "error": error()})
    return success | success | failure | both


def _garbage() -> st.SearchStrategy[Any]:
    # Returned as text (see to_text): broken JSON and non-objects.
    return (
        st.text(max_size=30)
        | anything().map(lambda v: json.dumps([v]))
        | st.sampled_from(
            [
                "{",
                '{"id":',
                "[]",
                "null",
                '{"id": NaN, "method": "signalwire.ping"}',
                '{"id": 1e999, "method": "x"}',
                '{"id": "a", "id": "b", "result": {}}',
            ]
        )
    ).map(_Raw)


class _Raw(str):
    """Text to send as is (not JSON-encoded again)."""


def server_frame(pools: Pools = DEFAULT_POOLS) -> st.SearchStrategy[Any]:
    """One server-to-client frame (a JSON-ready object, or raw text) naming ``pools``' ids."""
    server_methods = _pick(
        "signalwire.event",
        "signalwire.ping",
        "signalwire.disconnect",
        "signalwire.reauthenticate",
        "",
    )
    reply_ids = maybe(st.sampled_from(pools.request_ids) | st.text(max_size=6))
    return st.one_of(
        _request(st.just("signalwire.event"), envelope(pools), _server_request_ids),
        _request(st.just("signalwire.event"), envelope(pools), _server_request_ids),
        _request(
            st.just("signalwire.ping"),
            maybe(
                st.fixed_dictionaries({}, optional={"payload": anything(), "timestamp": _numbers})
            ),
            _server_request_ids,
        ),
        _request(
            st.just("signalwire.disconnect"),
            maybe(st.fixed_dictionaries({}, optional={"restart": maybe(st.booleans())})),
            _server_request_ids,
        ),
        _request(server_methods, anything(), _server_request_ids),
        _reply(reply_ids, pools),
        _garbage(),
    )


# --------------------------------------------------------------------------- client frames

#: Methods a client sends (requests), for the server-role fuzzers: every request of
#: relay_proto's grammar.
CLIENT_METHODS: tuple[str, ...] = tuple(g.REQUESTS)


@st.composite
def _client_request(draw: st.DrawFn, ids: st.SearchStrategy[Any]) -> dict[str, Any]:
    """A client request: a method of the grammar (or anything), its params from the grammar
    fuzzed (keys missing, wrong types), sometimes no id or no method."""
    method = draw(_pick(*CLIENT_METHODS))
    spec = g.REQUESTS.get(method) if isinstance(method, str) else None
    params = strategies.from_spec(spec, DEFAULT_POOLS, wrong=True) if spec else anything()
    return draw(_request(st.just(method), params, ids))


def client_frame(server_ids: tuple[str, ...] = w.SERVER_UNACKED_IDS) -> st.SearchStrategy[Any]:
    """One client-to-server frame (a JSON-ready object, or raw text)."""
    ids = maybe(st.text(max_size=8) | st.integers())
    reply_ids = maybe(st.sampled_from(server_ids) | st.text(max_size=6))
    return st.one_of(
        _client_request(ids),
        _client_request(ids),
        _reply(reply_ids),
        _garbage(),
    )


# --------------------------------------------------------------------------- to text


def to_text(frame: Any, ascii_only: bool = False) -> str:
    """Encode a frame from the strategies above as the text of one WebSocket message."""
    if isinstance(frame, _Raw):
        return str(frame)
    return json.dumps(frame, ensure_ascii=ascii_only)


def server_texts(max_size: int = 8) -> st.SearchStrategy[list[str]]:
    """A short list of server-to-client message texts."""
    return st.lists(st.tuples(server_frame(), st.booleans()), max_size=max_size).map(
        lambda items: [to_text(frame, flag) for frame, flag in items]
    )


def client_texts(max_size: int = 8) -> st.SearchStrategy[list[str]]:
    """A short list of client-to-server message texts."""
    return st.lists(st.tuples(client_frame(), st.booleans()), max_size=max_size).map(
        lambda items: [to_text(frame, flag) for frame, flag in items]
    )
