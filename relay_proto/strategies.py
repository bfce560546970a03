"""Hypothesis strategies for RELAY frames, conversations and malformed input.

Install the optional extra: ``pip install 'relay-sansio[fuzz]'`` (it brings Hypothesis). Importing
:mod:`relay_proto` never imports Hypothesis; only this module and :mod:`relay_proto.stateful`
do.

Every strategy is built on the one description of the protocol, :mod:`relay_proto._grammar`
(the same grammar the project's own fuzzers use), and shrinks to a readable minimal frame:
optional keys disappear, values become the first documented example (``call-1``, ``"hangup"``,
the ``tts`` media item), lists become as short as the protocol allows.

Frames are JSON-ready ``dict`` objects; :func:`encode` turns one into the text of a WebSocket
message. Malformed input (:func:`malformed_frames`, :func:`near_valid_frames`) is a
:class:`Malformed` record: the payload bytes plus what a correct receiver answers.

Valid frames, both directions:

* :func:`requests` - every client request (``signalwire.connect``, ``signalwire.receive``,
  ``calling.*`` on a call, ``calling.dial``, ``messaging.send``...) with valid params;
* :func:`connect_requests` - ``signalwire.connect``, with a token or a JWT, fresh or resuming;
* :func:`events` / :func:`event_params` - ``signalwire.event`` of every event type;
* :func:`server_requests` - events, ``signalwire.ping`` and ``signalwire.disconnect``;
* :func:`responses` / :func:`error_responses` / :func:`acks` - replies in both directions;
* :func:`client_frames` / :func:`server_frames` - any of the above, per sender.

Conversations (:mod:`relay_proto._st_conversations`): :func:`inbound_call_conversations`,
:func:`dial_conversations`, :func:`reconnect_conversations`, :func:`conversations`.

Near-valid and malformed frames (:mod:`relay_proto._st_malformed`): :func:`near_valid_frames`,
:func:`malformed_frames`, :data:`Expect`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "relay_proto.strategies needs Hypothesis, an optional dependency: "
        "pip install 'relay-sansio[fuzz]' (or pip install hypothesis)"
    ) from exc

from . import _grammar as g

__all__ = [
    "DEFAULT_POOLS",
    "EVENT_TYPES",
    "REQUEST_METHODS",
    "Conversation",
    "Expect",
    "Malformed",
    "Pools",
    "Step",
    "acks",
    "client_frames",
    "connect_requests",
    "conversations",
    "dial_conversations",
    "encode",
    "error_responses",
    "event_ids",
    "event_params",
    "events",
    "from_spec",
    "inbound_call_conversations",
    "malformed_frames",
    "near_valid_frames",
    "reconnect_conversations",
    "request_ids",
    "request_params",
    "requests",
    "responses",
    "server_frames",
    "server_requests",
]

#: Every event type the strategies produce (``params.event_type`` of ``signalwire.event``).
EVENT_TYPES: tuple[str, ...] = tuple(g.EVENTS)
#: Every client request method the strategies produce.
REQUEST_METHODS: tuple[str, ...] = tuple(g.REQUESTS)


@dataclass(frozen=True)
class Pools:
    """The ids frames name. Frames about calls, actions, dials and messages are only
    meaningful when they name ones that exist: pass the ids your test set up. ``new_*`` ids
    are fresh ones for commands that create (an action's ``control_id``, a dial's ``tag``)."""

    call_ids: tuple[str, ...] = ("call-1", "call-2")
    node_ids: tuple[str, ...] = ("node-1",)
    control_ids: tuple[str, ...] = ("ctl-1", "ctl-2")
    tags: tuple[str, ...] = ("tag-1",)
    message_ids: tuple[str, ...] = ("msg-1",)
    request_ids: tuple[str, ...] = ("req-1", "req-2")
    new_control_ids: tuple[str, ...] = ("ctl-new-1", "ctl-new-2")
    new_tags: tuple[str, ...] = ("tag-new-1",)

    def pool(self, name: str) -> tuple[str, ...]:
        """The ids of one pool name of the grammar (:data:`relay_proto._grammar.POOLS`)."""
        if name not in _POOL_FIELDS:
            raise ValueError(f"unknown id pool {name!r}")
        ids: tuple[str, ...] = getattr(self, _POOL_FIELDS[name])
        return ids


_POOL_FIELDS = {
    "call_id": "call_ids",
    "node_id": "node_ids",
    "control_id": "control_ids",
    "tag": "tags",
    "message_id": "message_ids",
    "new_control_id": "new_control_ids",
    "new_tag": "new_tags",
}

DEFAULT_POOLS = Pools()

# --------------------------------------------------------------------------- values

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**31), 2**31)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=10)
)


def _anything() -> st.SearchStrategy[Any]:
    return st.recursive(
        _SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_WORD, inner, max_size=3),
        max_leaves=6,
    )


def _wrong(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``valid``, sometimes a value of any type (the fuzzers' "wrong types everywhere")."""
    return st.one_of(valid, valid, valid, _anything())


@functools.lru_cache(maxsize=1024)
def from_spec(spec: g.Spec, pools: Pools = DEFAULT_POOLS, *, wrong: bool = False) -> Any:
    """The strategy for one grammar spec (see :mod:`relay_proto._grammar`).

    With ``wrong=True`` every value may be of the wrong type and every key of an object may be
    missing (the fuzzers' mode); otherwise every value is valid.
    """
    strategy = _build(spec, pools, wrong)
    return _wrong(strategy) if wrong else strategy


def _build(spec: g.Spec, pools: Pools, wrong: bool) -> st.SearchStrategy[Any]:
    if wrong and isinstance(spec, (g.Enum, g.Text, g.Ref)):
        # Beyond the documented values: any short text (unknown states, ids of nothing).
        return _build(spec, pools, False) | st.text(max_size=10)
    if wrong and isinstance(spec, (g.Int, g.Num)):
        return st.integers(-5, 100_000) | st.floats(-1e6, 1e6)
    if isinstance(spec, g.Enum):
        return st.sampled_from(spec.values)
    if isinstance(spec, g.Text):
        return st.sampled_from(spec.examples) if spec.examples else _WORD
    if isinstance(spec, g.Int):
        return st.integers(spec.lo, spec.hi)
    if isinstance(spec, g.Num):
        return st.integers(int(spec.lo), int(spec.hi)) | st.floats(spec.lo, spec.hi)
    if isinstance(spec, g.Bool):
        return st.booleans()
    if isinstance(spec, g.Ref):
        return st.sampled_from(pools.pool(spec.pool))
    if isinstance(spec, g.Anything):
        return _anything()
    if isinstance(spec, g.ListOf):
        return st.lists(
            from_spec(spec.item, pools, wrong=wrong), min_size=spec.min_size, max_size=spec.max_size
        )
    if isinstance(spec, g.Choice):
        return st.one_of([from_spec(option, pools, wrong=wrong) for option in spec.options])
    required = {key: from_spec(value, pools, wrong=wrong) for key, value in spec.required}
    optional = {key: from_spec(value, pools, wrong=wrong) for key, value in spec.optional}
    if wrong:  # any key may be missing
        return st.fixed_dictionaries({}, optional={**required, **optional})
    return st.fixed_dictionaries(required, optional=optional)


def request_ids() -> st.SearchStrategy[str]:
    """Request ids as clients write them (short, unique within a conversation)."""
    return st.integers(1, 999).map(lambda n: f"req-{n}")


# --------------------------------------------------------------------------- client frames


def request_params(method: str, pools: Pools = DEFAULT_POOLS) -> st.SearchStrategy[dict[str, Any]]:
    """Valid ``params`` of the client request ``method`` (any of :data:`REQUEST_METHODS`)."""
    if method not in g.REQUESTS:
        raise ValueError(f"unknown request method {method!r}")
    params: st.SearchStrategy[dict[str, Any]] = from_spec(g.REQUESTS[method], pools)
    return params


def _frame(method: str, params: dict[str, Any], request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


def requests(
    methods: Sequence[str] | None = None,
    pools: Pools = DEFAULT_POOLS,
    ids: st.SearchStrategy[Any] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Client requests with valid params: ``{"jsonrpc", "id", "method", "params"}``, one of
    ``methods`` (default: every method of :data:`REQUEST_METHODS`)."""
    chosen = tuple(methods) if methods is not None else REQUEST_METHODS
    id_strategy = ids if ids is not None else request_ids()
    return st.sampled_from(chosen).flatmap(
        lambda method: st.builds(
            _frame, st.just(method), request_params(method, pools), id_strategy
        )
    )


def connect_requests(
    *,
    project: str = "p-1",
    token: str = "PT-1",
    jwt: str | None = None,
    protocol: st.SearchStrategy[str] | None = None,
    ids: st.SearchStrategy[Any] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """``signalwire.connect`` requests: project + token (or ``jwt``), optional contexts, and,
    when ``protocol`` is given, a resume of that session (sometimes with an
    ``authorization_state``)."""

    def finish(params: dict[str, Any], resume: dict[str, Any], request_id: Any) -> dict[str, Any]:
        auth = {"jwt_token": jwt} if jwt is not None else {"project": project, "token": token}
        return _frame(
            "signalwire.connect", {**params, "authentication": auth, **resume}, request_id
        )

    resume: st.SearchStrategy[dict[str, Any]] = st.just({})
    if protocol is not None:
        resume = st.fixed_dictionaries(
            {"protocol": protocol},
            optional={"authorization_state": st.just("QUJDREVGR0g=:SUpLTE1O")},
        )
    params = from_spec(g.CONNECT_PARAMS)
    return st.builds(finish, params, resume, ids if ids is not None else request_ids())


def acks(event_ids: st.SearchStrategy[Any] | Sequence[str] = ("evt-1",)) -> st.SearchStrategy[Any]:
    """A client's reply to a server request (event ACK, pong): ``{"id", "result": {}}``."""
    ids = event_ids if isinstance(event_ids, st.SearchStrategy) else st.sampled_from(event_ids)
    return ids.map(lambda i: {"jsonrpc": "2.0", "id": i, "result": {}})


def client_frames(pools: Pools = DEFAULT_POOLS) -> st.SearchStrategy[dict[str, Any]]:
    """Any valid client-to-server frame: a request of any method, or an ACK."""
    return requests(pools=pools) | connect_requests() | acks()


# --------------------------------------------------------------------------- server frames


def event_params(
    event_type: str, pools: Pools = DEFAULT_POOLS
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid inner ``params`` of an event of ``event_type`` (any of :data:`EVENT_TYPES`)."""
    if event_type not in g.EVENTS:
        raise ValueError(f"unknown event type {event_type!r}")
    params: st.SearchStrategy[dict[str, Any]] = from_spec(g.EVENTS[event_type], pools)
    return params


def _event_frame(event_type: str, params: dict[str, Any], event_id: str) -> dict[str, Any]:
    envelope = {"event_type": event_type, "params": params}
    return {"jsonrpc": "2.0", "id": event_id, "method": "signalwire.event", "params": envelope}


def event_ids() -> st.SearchStrategy[str]:
    """Event ids as a server writes them."""
    return st.integers(1, 999).map(lambda n: f"srv-evt-{n}")


def events(
    event_types: Sequence[str] | None = None,
    pools: Pools = DEFAULT_POOLS,
    ids: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """``signalwire.event`` requests of one of ``event_types`` (default: every type of
    :data:`EVENT_TYPES`), with valid params naming ``pools``' ids."""
    chosen = tuple(event_types) if event_types is not None else EVENT_TYPES
    id_strategy = ids if ids is not None else event_ids()
    return st.sampled_from(chosen).flatmap(
        lambda kind: st.builds(_event_frame, st.just(kind), event_params(kind, pools), id_strategy)
    )


def server_requests(pools: Pools = DEFAULT_POOLS) -> st.SearchStrategy[dict[str, Any]]:
    """Requests a server sends: events, ``signalwire.ping``, ``signalwire.disconnect``."""
    others = st.sampled_from(["signalwire.ping", "signalwire.disconnect"]).flatmap(
        lambda method: st.builds(
            _frame,
            st.just(method),
            from_spec(g.SERVER_REQUESTS[method], pools),
            st.integers(1, 99).map(lambda n: f"{method.split('.')[1]}-{n}"),
        )
    )
    return events(pools=pools) | others


def responses(
    request_ids: Sequence[str] | st.SearchStrategy[str] = DEFAULT_POOLS.request_ids,
    methods: Sequence[str] = ("calling.answer",),
    pools: Pools = DEFAULT_POOLS,
) -> st.SearchStrategy[dict[str, Any]]:
    """Success replies a server sends to a request of one of ``methods``."""
    ids = (
        request_ids
        if isinstance(request_ids, st.SearchStrategy)
        else st.sampled_from(tuple(request_ids))
    )

    def build(request_id: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": request_id, "result": g.result_for(method, params)}

    return st.sampled_from(tuple(methods)).flatmap(
        lambda method: st.builds(build, ids, st.just(method), request_params(method, pools))
    )


def error_responses(
    request_ids: Sequence[str] | st.SearchStrategy[str] = DEFAULT_POOLS.request_ids,
) -> st.SearchStrategy[dict[str, Any]]:
    """JSON-RPC error replies: the 2.0 spec's codes and RELAY's (-32000, -32002)."""
    ids = (
        request_ids
        if isinstance(request_ids, st.SearchStrategy)
        else st.sampled_from(tuple(request_ids))
    )
    codes = st.sampled_from(sorted(g.JSONRPC_ERRORS, reverse=True))
    return st.builds(
        lambda i, code: {
            "jsonrpc": "2.0",
            "id": i,
            "error": {"code": code, "message": g.JSONRPC_ERRORS[code]},
        },
        ids,
        codes,
    )


def server_frames(pools: Pools = DEFAULT_POOLS) -> st.SearchStrategy[dict[str, Any]]:
    """Any valid server-to-client frame: server requests, success and error replies."""
    return (
        server_requests(pools)
        | responses(pools.request_ids, pools=pools)
        | error_responses(pools.request_ids)
    )


def encode(frame: Any) -> str:
    """The text of the WebSocket message carrying ``frame`` (compact JSON)."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


# Conversations and malformed frames live in their own modules (re-exported here).
from ._st_conversations import (  # noqa: E402
    Conversation,
    Step,
    conversations,
    dial_conversations,
    inbound_call_conversations,
    reconnect_conversations,
)
from ._st_malformed import Expect, Malformed, malformed_frames, near_valid_frames  # noqa: E402
