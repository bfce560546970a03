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

import functools
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from hypothesis import strategies as st

from relay_proto import EVENT_CLASSES

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


@dataclass(frozen=True)
class Pools:
    """The ids frames should name: those that exist in the world under test (plus a few that
    exist nowhere). The structured target passes the ids of the moment."""

    call_ids: tuple[str, ...] = (*w.CALL_IDS, "call-404", "")
    node_ids: tuple[str, ...] = w.NODE_IDS
    control_ids: tuple[str, ...] = (*w.CONTROL_IDS, "ctl-unknown")
    tags: tuple[str, ...] = (*w.TAGS, "tag-unknown")
    message_ids: tuple[str, ...] = (*w.MESSAGE_IDS, "msg-unknown")
    request_ids: tuple[str, ...] = w.PENDING_REQUEST_IDS


DEFAULT_POOLS = Pools()


class _Ids(NamedTuple):
    call: st.SearchStrategy[Any]
    node: st.SearchStrategy[Any]
    control: st.SearchStrategy[Any]
    tag: st.SearchStrategy[Any]
    message: st.SearchStrategy[Any]


@functools.lru_cache(maxsize=64)
def _ids(pools: Pools) -> _Ids:
    return _Ids(
        _text(*pools.call_ids),
        _text(*pools.node_ids),
        _text(*pools.control_ids),
        _text(*pools.tags),
        _text(*pools.message_ids),
    )


_numbers = maybe(st.integers(min_value=-5, max_value=100_000) | st.floats(-1e6, 1e6))

_DEVICES = [
    {"type": "phone", "params": {"from_number": "+15551230001", "to_number": "+15551230002"}},
    {"type": "sip", "params": {"from": "sip:a@fuzz.example", "to": "sip:b@fuzz.example"}},
    {"type": "webrtc", "params": {"from": "+15551230001", "to": "res-1"}},
]
_device = maybe(
    st.sampled_from(_DEVICES) | st.fixed_dictionaries({"type": anything(), "params": anything()})
)


def _nested(kind_values: tuple[str, ...], inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``{"type": ..., "params": {...}}`` objects (detect, fax, collect results)."""
    body = st.fixed_dictionaries({}, optional={"type": _text(*kind_values), "params": maybe(inner)})
    return maybe(body)


# --------------------------------------------------------------------------- event params

_ACTION_STATES = (
    "playing",
    "paused",
    "finished",
    "error",
    "recording",
    "no_input",
    "no_match",
    "tapping",
    "streaming",
    "collecting",
    "started",
)


def _call_fields(ids: _Ids) -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """Call lifecycle and dial events, which name calls, nodes and tags."""
    calls, nodes, tags = ids.call, ids.node, ids.tag
    return {
        "calling.call.state": {
            "call_state": _text("created", "ringing", "answered", "ending", "ended"),
            "end_reason": _text("hangup", "cancel", "busy", "noAnswer", "error"),
            "direction": _text("inbound", "outbound"),
            "device": _device,
            "tag": tags,
            "peer": maybe(st.fixed_dictionaries({"call_id": calls, "node_id": nodes})),
            "created_by": _text("dial"),
        },
        "calling.call.receive": {
            "call_state": _text("created", "ringing", "answered", "ended"),
            "direction": _text("inbound"),
            "device": _device,
            "context": _text("office", "support"),
            "protocol": _text("office"),
            "tag": tags,
            "project_id": _text(w.PROJECT),
            "segment_id": _text("seg-1"),
        },
        "calling.call.dial": {
            "tag": tags,
            "dial_state": _text("dialing", "answered", "failed"),
            "call": maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "call_id": calls,
                        "node_id": nodes,
                        "tag": tags,
                        "device": _device,
                        "dial_winner": maybe(st.booleans()),
                    },
                )
            ),
        },
        "calling.call.connect": {
            "connect_state": _text("connecting", "connected", "disconnected", "failed"),
            "peer": maybe(
                st.fixed_dictionaries(
                    {}, optional={"call_id": calls, "node_id": nodes, "device": _device}
                )
            ),
        },
    }


def _action_fields() -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """Events about actions and other call features (their ids are the common keys)."""
    return {
        "calling.call.play": {"state": _text(*_ACTION_STATES)},
        "calling.call.record": {
            "state": _text(*_ACTION_STATES),
            "url": _text("https://media.fuzz.example/r.mp3"),
            "duration": _numbers,
            "size": _numbers,
            "record": maybe(
                st.fixed_dictionaries(
                    {}, optional={"url": anything(), "duration": _numbers, "size": _numbers}
                )
            ),
        },
        "calling.call.collect": {
            "state": _text(*_ACTION_STATES),
            "final": maybe(st.booleans()),
            "result": _nested(("digit", "speech", "no_input", "no_match", "error"), anything()),
        },
        "calling.call.detect": {
            "state": _text("finished", "error"),
            "detect": _nested(
                ("machine", "fax", "digit"),
                st.fixed_dictionaries(
                    {"event": _text("HUMAN", "MACHINE", "CED", "1#", "finished", "error")}
                ),
            ),
        },
        "calling.call.fax": {
            "state": _text("finished", "error"),
            "fax": _nested(("page", "finished", "error"), anything()),
        },
        "calling.call.tap": {
            "state": _text("tapping", "finished"),
            "tap": anything(),
            "device": _device,
        },
        "calling.call.stream": {
            "state": _text("streaming", "finished"),
            "url": _text("wss://s.fuzz.example"),
            "name": _text("s1"),
        },
        "calling.call.send_digits": {"state": _text("finished")},
        "calling.call.refer": {
            "state": _text("inProgress", "success", "error"),
            "sip_refer_to": _text("sip:c@fuzz.example"),
            "sip_refer_response_code": _text("202", "603"),
            "sip_notify_response_code": _text("200"),
        },
        "calling.call.denoise": {"denoised": maybe(st.booleans())},
        "calling.call.pay": {"state": _text("collecting", "finished", "error")},
        "calling.call.queue": {
            "status": _text("enqueue", "dequeue"),
            "id": _text("q-1"),
            "name": _text("support"),
            "position": _numbers,
            "size": _numbers,
        },
        "calling.call.echo": {"state": _text("echoing", "finished")},
        "calling.call.transcribe": {
            "state": _text("finished"),
            "url": anything(),
            "recording_id": _text("rec-1"),
            "duration": _numbers,
            "size": _numbers,
        },
        "calling.call.hold": {"state": _text("hold", "unhold")},
        "calling.call.ai": {"state": _text("finished", "error")},
    }


def _other_fields(ids: _Ids) -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """Conference, error, messaging and authorization-state events."""
    messages = ids.message
    return {
        "calling.conference": {
            "conference_id": _text("conf-1"),
            "name": _text("standup"),
            "status": _text("conference-start"),
        },
        "calling.error": {
            "code": maybe(st.sampled_from(["5001", "5002"]) | st.integers()),
            "message": anything(),
        },
        "messaging.receive": {
            "message_id": messages,
            "context": _text("office"),
            "direction": _text("inbound"),
            "from_number": _text("+15551230009"),
            "to_number": _text("+15551230001"),
            "body": anything(),
            "media": maybe(st.lists(_text("https://m.fuzz.example/a.png"), max_size=2)),
            "segments": _numbers,
            "message_state": _text("received"),
            "tags": maybe(st.lists(anything(), max_size=2)),
        },
        "messaging.state": {
            "message_id": messages,
            "message_state": _text("queued", "sent", "delivered", "undelivered", "failed"),
            "reason": _text("spam", "carrier_blocked"),
            "segments": _numbers,
            "media": anything(),
            "tags": anything(),
        },
        "signalwire.authorization.state": {"authorization_state": _text("QUJD:REVG", "")},
    }


@functools.lru_cache(maxsize=64)
def _event_fields(pools: Pools) -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """event_type -> the keys of its inner params, besides call_id / node_id / control_id."""
    ids = _ids(pools)
    return {**_call_fields(ids), **_action_fields(), **_other_fields(ids)}


#: Every event type the grammar knows: the typed ones, plus those without a typed class.
EVENT_TYPES: tuple[str, ...] = tuple(sorted(set(EVENT_CLASSES) | set(_event_fields(DEFAULT_POOLS))))


def _event_params(event_type: str, pools: Pools) -> st.SearchStrategy[Any]:
    ids = _ids(pools)
    common = {"call_id": ids.call, "node_id": ids.node, "control_id": ids.control}
    fields = {**common, "timestamp": _numbers, **_event_fields(pools).get(event_type, {})}
    return st.fixed_dictionaries({}, optional=fields)


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
    ids = _ids(pools)
    obj = st.fixed_dictionaries(
        {},
        optional={
            "code": _result_codes,
            "message": anything(),
            "message_id": ids.message,
            "control_id": ids.control,
            "call_id": ids.call,
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

#: Methods a client sends (requests), for the server-role fuzzers.
CLIENT_METHODS: tuple[str, ...] = (
    "signalwire.connect",
    "signalwire.receive",
    "signalwire.unreceive",
    "signalwire.ping",
    "calling.answer",
    "calling.end",
    "calling.play",
    "calling.play.stop",
    "calling.record",
    "calling.collect",
    "calling.play_and_collect",
    "calling.detect",
    "calling.dial",
    "calling.connect",
    "calling.send_digits",
    "calling.queue.enter",
    "messaging.send",
)


def _client_params() -> st.SearchStrategy[Any]:
    ids = _ids(DEFAULT_POOLS)
    return maybe(
        st.fixed_dictionaries(
            {},
            optional={
                "node_id": ids.node,
                "call_id": ids.call,
                "control_id": ids.control,
                "tag": ids.tag,
                "contexts": maybe(st.lists(_text("office", "sales"), max_size=3)),
                "authentication": maybe(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "project": anything(),
                            "token": anything(),
                            "jwt_token": anything(),
                        },
                    )
                ),
                "version": anything(),
                "agent": anything(),
                "event_acks": anything(),
                "devices": maybe(st.lists(st.lists(_device, max_size=2), max_size=2)),
                "play": anything(),
                "body": anything(),
                "to_number": anything(),
                "from_number": anything(),
            },
        )
    )


def client_frame(server_ids: tuple[str, ...] = w.SERVER_UNACKED_IDS) -> st.SearchStrategy[Any]:
    """One client-to-server frame (a JSON-ready object, or raw text)."""
    ids = maybe(st.text(max_size=8) | st.integers())
    reply_ids = maybe(st.sampled_from(server_ids) | st.text(max_size=6))
    return st.one_of(
        _request(_pick(*CLIENT_METHODS), _client_params(), ids),
        _request(_pick(*CLIENT_METHODS), _client_params(), ids),
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
