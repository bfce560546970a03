"""Server requests: event ACKs (spec 1.6), de-duplication (D10), malformed input (D9 and the
"bad input never breaks the session" rule), broken streams, chunking independence."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relay_proto import (
    CallReceived,
    EventIgnored,
    FrameDropped,
    RemoteProtocolError,
    RequestFailed,
    RequestSucceeded,
    ServerDisconnect,
    SessionReady,
    SessionState,
    TransportLost,
    UnroutedEvent,
)
from relay_proto._jsonrpc import Request
from relay_proto._session_parts import MAX_REMEMBERED_ID, EventIdMemory

from .helpers import Pair


def ready_pair(**kwargs: Any) -> Pair:
    pair = Pair(**kwargs)
    pair.connect()
    pair.take_client_events()
    return pair


def acks(pair: Pair) -> list[Any]:
    """Ids the client answered with an empty result, in order."""
    return [
        f["id"]
        for f in pair.client_frames_out
        if isinstance(f, dict) and f.get("result") == {} and "method" not in f
    ]


def assert_still_works(pair: Pair) -> None:
    rid = pair.client.execute("calling.answer", {}, now=pair.now)
    pair.pump()
    pair.reply("calling.answer")
    assert pair.client_events_of(RequestSucceeded)[-1].request_id == rid
    assert pair.client.state == SessionState.READY


RECEIVE = {"call_id": "c1", "node_id": "n1", "call_state": "created", "context": "office"}


# --------------------------------------------------------------------------- ACKs


def test_every_event_is_acked_once_in_order() -> None:
    pair = ready_pair()
    ids = [pair.server.send_event("x.custom", {"n": i}) for i in range(5)]
    ids.append(pair.server.send_event("calling.call.receive", RECEIVE))
    ids.append(pair.server.send_event("calling.call.play", {"call_id": "nobody"}))
    pair.pump()
    assert acks(pair) == ids
    assert [r.request_id for r in pair.responses()] == ids
    assert all(r.result == {} for r in pair.responses())
    assert dict(pair.server.unacked) == {}


def test_ack_goes_out_before_the_event_is_processed() -> None:
    order: list[str] = []
    pair = ready_pair(frame_observer=lambda d, t: order.append(f"{d}:{json.loads(t).get('id')}"))
    domain = pair.client._domain
    handle = domain.handle_event

    def spy(envelope: dict[str, Any], now: float) -> None:
        order.append("domain")
        handle(envelope, now)

    domain.handle_event = spy  # type: ignore[method-assign]
    order.clear()
    event_id = pair.event("calling.call.receive", RECEIVE)
    assert order == [f"in:{event_id}", f"out:{event_id}", "domain"]
    assert isinstance(pair.client_events[-1], CallReceived)


def test_event_without_id_is_processed_without_ack() -> None:
    pair = ready_pair()
    pair.server.send_raw_text(
        json.dumps(
            {"jsonrpc": "2.0", "method": "signalwire.event", "params": {"event_type": "x.y"}}
        )
    )
    pair.pump()
    assert acks(pair) == []
    assert isinstance(pair.client_events[-1], UnroutedEvent)


def test_events_during_authentication_are_acked_and_processed() -> None:
    pair = Pair()
    pair.start()
    event_id = pair.event("calling.call.receive", RECEIVE)
    assert acks(pair) == [event_id]
    assert pair.client_events_of(CallReceived)


# --------------------------------------------------------------------------- dedup


def test_duplicate_event_is_acked_again_but_not_processed() -> None:
    pair = ready_pair()
    pair.event("calling.call.receive", RECEIVE, event_id="evt-dup")
    pair.server.send_raw_text(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": "evt-dup",
                "method": "signalwire.event",
                "params": {"event_type": "calling.call.receive", "params": RECEIVE},
            }
        )
    )
    pair.pump()
    assert acks(pair) == ["evt-dup", "evt-dup"]
    events = pair.take_client_events()
    assert isinstance(events[0], CallReceived)
    assert isinstance(events[1], EventIgnored)
    assert events[1].reason == "duplicate"
    assert events[1].event.event_type == "calling.call.receive"
    assert len(events) == 2


def test_dedup_remembers_the_last_1024_ids() -> None:
    pair = ready_pair()
    for i in range(1025):
        pair.server.send_event("x.custom", {}, event_id=f"e{i}")
    pair.pump()
    assert len(pair.client_events_of(UnroutedEvent)) == 1025
    pair.take_client_events()
    pair.server.send_event("x.custom", {}, event_id="e1")  # still remembered
    pair.server.send_event("x.custom", {}, event_id="e0")  # evicted: processed again
    pair.pump()
    events = pair.take_client_events()
    assert isinstance(events[0], EventIgnored)
    assert isinstance(events[1], UnroutedEvent)


# Connect results for a reconnect: the same protocol back is a resume, another one is not.
RESUMED = {"protocol": "signalwire_proto-1", "identity": "identity-1", "session_restored": True}
FRESH = {"protocol": "signalwire_proto-2", "identity": "identity-1"}
RECEIVE_2 = {**RECEIVE, "call_id": "c2"}


def test_dedup_memory_is_cleared_when_the_new_session_is_not_a_resume() -> None:
    # A new server numbers its events afresh: its "evt-1" is a new event, not a redelivery.
    pair = ready_pair()
    assert pair.event("calling.call.receive", RECEIVE) == "evt-1"
    pair.drop_transport()
    pair.reconnect(FRESH)
    assert not pair.client_events_of(SessionReady)[-1].resumed
    pair.take_client_events()
    assert pair.event("calling.call.receive", RECEIVE_2) == "evt-1"
    [received] = pair.take_client_events()
    assert isinstance(received, CallReceived) and received.call.call_id == "c2"
    assert acks(pair)[-1] == "evt-1"


def test_dedup_memory_survives_a_resumed_session() -> None:
    pair = ready_pair()
    pair.event("calling.call.receive", RECEIVE, event_id="evt-dup")
    pair.drop_transport()
    pair.reconnect(RESUMED)
    assert pair.client_events_of(SessionReady)[-1].resumed
    pair.take_client_events()
    # The resumed session redelivers what it is not sure was ACKed.
    pair.event("calling.call.receive", RECEIVE, event_id="evt-dup")
    [ignored] = pair.take_client_events()
    assert isinstance(ignored, EventIgnored) and ignored.reason == "duplicate"


def test_a_new_session_keeps_the_ids_it_delivered_before_its_connect_result() -> None:
    pair = ready_pair()
    pair.event("x.custom", {}, event_id="old")
    pair.drop_transport()
    pair.new_server()
    pair.start()
    pair.event("x.custom", {}, event_id="early")  # before the connect result
    pair.reply("signalwire.connect", FRESH)
    assert not pair.client_events_of(SessionReady)[-1].resumed
    pair.take_client_events()
    pair.event("x.custom", {}, event_id="early")
    pair.event("x.custom", {}, event_id="old")
    early, old = pair.take_client_events()
    assert isinstance(early, EventIgnored) and early.reason == "duplicate"
    assert isinstance(old, UnroutedEvent)


def test_event_id_memory_forgets_only_earlier_transports() -> None:
    memory = EventIdMemory(size=3)
    for event_id in ("a", "b", "c"):
        assert not memory.seen_before(event_id)
    memory.transport_started()
    for event_id in ("d", "e", "f", "g"):  # more than fit: "a".."d" are evicted
        assert not memory.seen_before(event_id)
    memory.forget_earlier_transports()
    assert [memory.seen_before(i) for i in ("e", "f", "g")] == [True, True, True]
    memory.transport_started()
    assert not memory.seen_before("h")  # evicts "e"
    memory.forget_earlier_transports()
    assert not memory.seen_before("f") and memory.seen_before("h")


def test_event_id_memory_is_bounded_in_bytes_too() -> None:
    memory = EventIdMemory(size=3)
    huge = "x" * (MAX_REMEMBERED_ID + 1)
    assert not memory.seen_before(huge)
    assert not memory.seen_before(huge)  # not remembered: never a false duplicate either
    longest = "y" * MAX_REMEMBERED_ID
    assert not memory.seen_before(longest)
    assert memory.seen_before(longest)


def test_dedup_keeps_string_and_number_ids_apart() -> None:
    pair = ready_pair()
    for raw_id in ('"5"', "5", "5.0", "[5]", '{"a":5}', "null"):
        pair.server.send_raw_text(
            f'{{"jsonrpc":"2.0","id":{raw_id},"method":"signalwire.event",'
            '"params":{"event_type":"x.y"}}'
        )
    pair.pump()
    # 5 and 5.0 are one JSON number for Python (5 == 5.0): treat alike is fine either way, but
    # the string "5" must never collide with the number 5.
    kinds = [type(e).__name__ for e in pair.take_client_events()]
    assert kinds[:2] == ["UnroutedEvent", "UnroutedEvent"]
    assert kinds.count("UnroutedEvent") >= 5
    assert acks(pair) == ["5", 5, 5.0, [5], {"a": 5}, None]


def test_dedup_survives_reconnects() -> None:
    pair = ready_pair()
    pair.event("x.custom", {}, event_id="evt-1")
    pair.drop_transport()
    pair.advance(1.0)
    pair.reconnect()
    pair.take_client_events()
    pair.event("x.custom", {}, event_id="evt-1")
    assert [type(e) for e in pair.take_client_events()] == [EventIgnored]


# --------------------------------------------------------------------------- server methods


def test_unknown_server_method_with_id_gets_method_not_found() -> None:
    pair = ready_pair()
    text = '{"jsonrpc":"2.0","id":"s1","method":"signalwire.reauthenticate","params":{}}'
    pair.server.send_raw_text(text)
    pair.pump()
    assert pair.client_frames_out[-1] == {
        "jsonrpc": "2.0",
        "id": "s1",
        "error": {"code": -32601, "message": "Method not found"},
    }
    assert pair.take_client_events() == [
        FrameDropped(reason="unknown server method 'signalwire.reauthenticate'", raw=text)
    ]
    assert_still_works(pair)


def test_disconnect_is_acked_before_it_is_reported() -> None:
    pair = ready_pair()
    disc = pair.server.send_disconnect()
    pair.pump()
    assert acks(pair) == [disc]
    assert pair.client_events == [ServerDisconnect(restart=False)]


# --------------------------------------------------------------------------- bad input

BAD_FRAMES: list[tuple[str, str | None, Any]] = [
    # (frame text, FrameDropped reason or None for "domain event", expected reply or None)
    ("not json at all", "invalid JSON", None),
    ('{"jsonrpc":"2.0",', "invalid JSON", None),
    ("[1,2,3]", "not a JSON object", None),
    ('"a string"', "not a JSON object", None),
    ("{}", "request without a string method", None),
    (
        '{"id":"x1","method":5}',
        "request without a string method",
        {"jsonrpc": "2.0", "id": "x1", "error": {"code": -32600, "message": "Invalid Request"}},
    ),
    (
        '{"id":"x2","method":"signalwire.event","params":[1]}',
        "params of signalwire.event is not an object",
        {"jsonrpc": "2.0", "id": "x2", "error": {"code": -32602, "message": "Invalid params"}},
    ),
    (
        '{"method":"signalwire.event","params":"x"}',
        "params of signalwire.event is not an object",
        None,
    ),
    (
        '{"id":"x3","method":"signalwire.ping","params":null}',
        "params of signalwire.ping is not an object",
        {"jsonrpc": "2.0", "id": "x3", "error": {"code": -32602, "message": "Invalid params"}},
    ),
    ('{"method":"vendor.thing"}', "unknown server method 'vendor.thing'", None),
    ('{"id":"ghost","result":{}}', "reply for unknown request id", None),
    ('{"id":"ghost","error":"bad"}', "reply for unknown request id", None),
    ('{"id":true,"result":{}}', "reply for unknown request id", None),
    # Well-formed frames whose event routes nowhere: ACKed, then reported by the domain.
    ('{"id":"x4","method":"signalwire.event","params":{}}', None, "ack"),
    ('{"id":"x5","method":"signalwire.event","params":{"event_type":5}}', None, "ack"),
    (
        '{"id":"x6","method":"signalwire.event","params":{"event_type":"calling.call.play",'
        '"params":"oops"}}',
        None,
        "ack",
    ),
    (
        '{"id":"x7","method":"signalwire.event","params":{"event_type":"calling.call.play",'
        '"params":{"call_id":"unknown-call","control_id":"c"}}}',
        None,
        "ack",
    ),
    (
        '{"id":"x8","method":"signalwire.event","params":{"event_type":"calling.call.state",'
        '"params":{"call_id":["not","a","string"]}}}',
        None,
        "ack",
    ),
    (
        '{"id":"x9","method":"signalwire.event","params":{"event_type":"brand.new.event",'
        '"params":{}}}',
        None,
        "ack",
    ),
]


@pytest.mark.parametrize(("text", "reason", "reply"), BAD_FRAMES)
def test_bad_input_is_dropped_with_a_reason_and_the_session_keeps_working(
    text: str, reason: str | None, reply: Any
) -> None:
    pair = ready_pair()
    sent = len(pair.client_frames_out)
    pair.server.send_raw_text(text)
    pair.pump()
    replies = pair.client_frames_out[sent:]
    events = pair.take_client_events()
    if reason is not None:
        assert events == [FrameDropped(reason=reason, raw=text)]
        assert replies == ([] if reply is None else [reply])
    else:
        frame_id = json.loads(text)["id"]
        assert replies == [{"jsonrpc": "2.0", "id": frame_id, "result": {}}]
        assert len(events) == 1
        assert isinstance(events[0], EventIgnored | UnroutedEvent)
        if isinstance(events[0], EventIgnored):
            assert events[0].reason
    assert_still_works(pair)


def test_long_bad_frames_are_previewed() -> None:
    pair = ready_pair()
    text = "x" * 1000
    pair.server.send_raw_text(text)
    pair.pump()
    assert pair.take_client_events() == [FrameDropped(reason="invalid JSON", raw="x" * 200)]


def test_deeply_nested_json_is_dropped() -> None:
    pair = ready_pair()
    pair.server.send_raw_text("[" * 50_000 + "]" * 50_000)
    pair.pump()
    assert pair.take_client_events()[0].reason == "invalid JSON"  # type: ignore[attr-defined]
    assert_still_works(pair)


def test_oversized_message_is_dropped_and_session_continues() -> None:
    pair = ready_pair(max_message_size=200)
    pair.server.send_event("x.custom", {"blob": "z" * 500})
    pair.pump()
    (dropped,) = pair.take_client_events()
    assert isinstance(dropped, FrameDropped)
    assert dropped.reason == "message too large (limit 200 bytes)"
    assert dropped.raw.startswith('{"jsonrpc":"2.0","id":"evt-1"')
    assert acks(pair) == []  # its id could not be read
    assert_still_works(pair)


def test_binary_message_is_dropped() -> None:
    pair = ready_pair()
    pair.client.receive_data(b"\x82\x03abc", pair.now)  # an unmasked server binary frame
    pair.collect()
    assert pair.take_client_events() == [FrameDropped(reason="binary message", raw="abc")]
    assert_still_works(pair)


def test_websocket_ping_frames_are_answered() -> None:
    pair = ready_pair()
    pair.client.receive_data(b"\x89\x02hb", pair.now)
    pong = pair.client.data_to_send()
    assert pong[:2] == b"\x8a\x82"  # a masked pong with the 2-byte payload
    pair.collect()
    assert pair.client_events == []
    assert pair.client.state == SessionState.READY


# --------------------------------------------------------------------------- broken stream


def test_broken_stream_raises_after_transport_lost() -> None:
    pair = ready_pair()
    rid = pair.client.execute("m", {}, now=pair.now)
    pair.pump()
    with pytest.raises(RemoteProtocolError, match="websocket error"):
        pair.client.receive_data(b"\x83\x00", pair.now)  # reserved opcode
    pair.collect()
    events = pair.take_client_events()
    assert events[0] == RequestFailed(
        request_id=rid, method="m", code=-1, message="Connection closed"
    )
    assert isinstance(events[1], TransportLost)
    assert events[1].reason.startswith("websocket error")
    assert events[1].code == 1002
    assert events[1].reconnect_at == pair.now + 1.0
    assert pair.client.state == SessionState.DISCONNECTED
    assert pair.client.data_to_send()[:1] == b"\x88"  # our close frame, for the adapter to write


def test_frames_before_a_broken_frame_are_processed() -> None:
    pair = ready_pair()
    pair.server.send_event("x.custom", {})
    data = pair.server.data_to_send()
    with pytest.raises(RemoteProtocolError):
        pair.client.receive_data(data + b"\x83\x00", pair.now)
    pair.collect()
    kinds = [type(e) for e in pair.client_events]
    assert kinds == [UnroutedEvent, TransportLost]
    assert acks(pair) == ["evt-1"]


def test_input_after_an_abandoned_transport_in_the_same_chunk_is_ignored() -> None:
    pair = Pair()
    pair.start()
    request = pair.expect_request("signalwire.connect")
    pair.server.send_error(request.request_id, -32000, "no")
    pair.server.send_event("x.custom", {})
    data = pair.server.data_to_send() + b"\x83\x00"  # even a broken frame after it
    pair.client.receive_data(data, pair.now)  # no exception: the transport was given up
    pair.collect()
    assert [type(e).__name__ for e in pair.client_events] == ["AuthRejected", "TransportLost"]


# --------------------------------------------------------------------------- chunking


def scripted_session(chunk_size: int | None) -> tuple[list[Any], list[Any]]:
    # dead_link_timeout=None: the 30 s below would otherwise end the link after the server ping.
    pair = Pair(
        chunk_size=chunk_size, contexts=["office"], max_message_size=300, dead_link_timeout=None
    )
    pair.connect()
    pair.event("signalwire.authorization.state", {"authorization_state": "A:B"})
    pair.event("calling.call.receive", RECEIVE, envelope={"timestamp": 5.5})
    pair.event("calling.call.state", {"call_id": "c1", "call_state": "answered"})
    rid = pair.client.execute("calling.play", {"call_id": "c1"}, now=pair.now)
    pair.pump()
    pair.server.send_result(rid, {"code": "200", "message": "Playing"})
    pair.server.send_raw_text("garbage")
    pair.server.send_raw_text('{"id":"x","method":"signalwire.event","params":[]}')
    pair.server.send_event("x.custom", {"blob": "é" * 400})
    pair.server.send_event("x.custom", {"ü": "ok"})
    pair.server.send_ping()
    pair.server.send_disconnect(restart=True)
    pair.pump()
    pair.advance(30.0)
    pair.reply("signalwire.ping", {})
    pair.server.close(1001)
    pair.pump()
    pair.advance(1.0)
    pair.reconnect()
    pair.client.close(pair.now)
    pair.pump()
    return pair.client_events, [*pair.servers[0].unacked, *pair.client_frames_out]


def test_whole_input_and_byte_at_a_time_give_the_same_events() -> None:
    whole = scripted_session(None)
    assert scripted_session(1) == whole
    assert scripted_session(7) == whole
    kinds = {type(e).__name__ for e in whole[0]}
    assert {
        "SessionReady",
        "CallReceived",
        "CallEvent",
        "RequestSucceeded",
        "FrameDropped",
    } <= kinds


@pytest.mark.parametrize(
    "text",
    [
        '{"jsonrpc":"2.0","id":NaN,"method":"signalwire.ping"}',
        '{"jsonrpc":"2.0","id":Infinity,"method":"signalwire.event","params":{}}',
        '{"jsonrpc":"2.0","id":' + "[" * 200 + "]" * 200 + ',"method":"signalwire.ping"}',
    ],
)
def test_ids_and_codes_that_cannot_be_handled_normally_are_dropped(text: str) -> None:
    pair = ready_pair()
    pair.server.send_raw_text(text)
    pair.pump()
    events = pair.take_client_events()
    assert [type(e) for e in events] == [FrameDropped]
    assert_still_works(pair)


def test_a_request_id_that_cannot_be_echoed_is_reported() -> None:
    pair = ready_pair()
    frame = Request(float("nan"), True, "signalwire.ping", {})
    pair.client._session._server_requests.handle(frame, "raw text", pair.now)
    pair.collect()
    assert pair.take_client_events() == [
        FrameDropped(reason="request id cannot be echoed", raw="raw text")
    ]
    assert_still_works(pair)


@pytest.mark.parametrize("where", ["result", "error"])
def test_absurdly_long_codes_are_not_numeric(where: str) -> None:
    pair = ready_pair()
    rid = pair.client.execute("m", {}, now=pair.now)
    pair.pump()
    body = '{"code":"' + "4" * 5000 + '","message":"m"}'
    pair.server.send_raw_text(f'{{"jsonrpc":"2.0","id":"{rid}","{where}":{body}}}')
    pair.pump()
    assert pair.take_client_events() == [
        RequestFailed(request_id=rid, method="m", code=-1, message="m")
    ]
