"""Requests: replies and result codes, deadlines (D1), offline queue (D3, D4), transport loss
(D5) and close (D19)."""

from __future__ import annotations

import pytest

from relay_proto import (
    FrameDropped,
    InvalidCommandError,
    LocalProtocolError,
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    SessionReady,
    SessionState,
    TransportLost,
)
from relay_proto._requests import PendingRequest, RequestKind, RequestTable

from .helpers import Pair


def ready_pair(**kwargs: object) -> Pair:
    pair = Pair(**kwargs)  # type: ignore[arg-type]
    pair.connect()
    pair.take_client_events()
    return pair


def outcome(pair: Pair, request_id: str) -> object:
    found = [
        e
        for e in pair.client_events
        if isinstance(e, RequestSucceeded | RequestFailed | RequestTimedOut)
        and e.request_id == request_id
    ]
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- replies


def test_request_frame_and_success() -> None:
    pair = ready_pair()
    rid = pair.client.execute("calling.answer", {"node_id": "n", "call_id": "c"}, now=pair.now)
    pair.pump()
    assert pair.client_frames_out[-1] == {
        "jsonrpc": "2.0",
        "id": rid,
        "method": "calling.answer",
        "params": {"node_id": "n", "call_id": "c"},
    }
    pair.reply("calling.answer", {"code": "200", "message": "Answered", "extra": [1]})
    assert outcome(pair, rid) == RequestSucceeded(
        request_id=rid,
        method="calling.answer",
        result={"code": "200", "message": "Answered", "extra": [1]},
    )


@pytest.mark.parametrize(
    ("result", "code", "message"),
    [
        ({"code": "404", "message": "Not found"}, 404, "Not found"),
        ({"code": "2000", "message": "odd"}, 2000, "odd"),
        ({"code": "bad_code", "message": "m"}, -1, "m"),
        ({"code": "500"}, 500, "Unknown error"),
        ({"code": 503, "message": "m"}, 503, "m"),
        ({"code": ["200"], "message": "m"}, -1, "m"),
        ({"code": {"200": 1}, "message": "m"}, -1, "m"),
    ],
)
def test_non_2xx_result_fails(result: dict[str, str], code: int, message: str) -> None:
    pair = ready_pair()
    rid = pair.client.execute("calling.play", {}, now=pair.now)
    pair.pump()
    pair.reply("calling.play", result)
    assert outcome(pair, rid) == RequestFailed(
        request_id=rid, method="calling.play", code=code, message=message
    )


@pytest.mark.parametrize("code", ["200", "201", "299", 200, 250])
def test_2xx_result_succeeds(code: object) -> None:
    pair = ready_pair()
    rid = pair.client.execute("calling.play", {}, now=pair.now)
    pair.pump()
    pair.reply("calling.play", {"code": code, "message": "OK"})
    assert outcome(pair, rid) == RequestSucceeded(
        request_id=rid, method="calling.play", result={"code": code, "message": "OK"}
    )


def test_error_reply_fails_with_code_message_and_data() -> None:
    pair = ready_pair()
    rid = pair.client.execute("calling.play", {}, now=pair.now)
    pair.pump()
    pair.server.send_error(rid, -32602, "Invalid params", {"field": "play"})
    pair.pump()
    assert outcome(pair, rid) == RequestFailed(
        request_id=rid,
        method="calling.play",
        code=-32602,
        message="Invalid params",
        data={"field": "play"},
    )


@pytest.mark.parametrize(
    ("error_json", "code", "message"),
    [('"boom"', -1, "boom"), ("{}", -1, "Unknown error"), ('{"code":"410"}', 410, "Unknown error")],
)
def test_odd_error_values(error_json: str, code: int, message: str) -> None:
    pair = ready_pair()
    rid = pair.client.execute("m", {}, now=pair.now)
    pair.pump()
    pair.server.send_raw_text(f'{{"jsonrpc":"2.0","id":"{rid}","error":{error_json}}}')
    pair.pump()
    failed = outcome(pair, rid)
    assert isinstance(failed, RequestFailed)
    assert (failed.code, failed.message) == (code, message)


def test_non_object_result_is_raw_success() -> None:
    pair = ready_pair()
    rid = pair.client.execute("m", {}, now=pair.now)
    pair.pump()
    pair.server.send_raw_text(f'{{"jsonrpc":"2.0","id":"{rid}","result":[1,2]}}')
    pair.pump()
    assert outcome(pair, rid) == RequestSucceeded(
        request_id=rid, method="m", result={"raw": [1, 2]}
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"jsonrpc":"2.0","id":"nobody","result":{}}',
        '{"jsonrpc":"2.0","id":12,"result":{}}',
        '{"jsonrpc":"2.0","id":["req-2"],"error":{"code":1,"message":"m"}}',
        '{"jsonrpc":"2.0","id":{"a":1},"result":{}}',
    ],
)
def test_replies_for_unknown_ids_are_dropped(text: str) -> None:
    pair = ready_pair()
    pair.server.send_raw_text(text)
    pair.pump()
    assert pair.take_client_events() == [
        FrameDropped(reason="reply for unknown request id", raw=text)
    ]


def test_a_second_reply_is_dropped() -> None:
    pair = ready_pair()
    rid = pair.client.execute("m", {}, now=pair.now)
    pair.pump()
    pair.server.send_result(rid, {})
    pair.server.send_result(rid, {})
    pair.pump()
    events = pair.take_client_events()
    assert isinstance(events[0], RequestSucceeded)
    assert isinstance(events[1], FrameDropped)
    assert len(events) == 2


# --------------------------------------------------------------------------- deadlines


def test_request_times_out_and_late_reply_is_dropped() -> None:
    pair = ready_pair(request_timeout=10.0)
    rid = pair.client.execute("calling.play", {}, now=pair.now)
    pair.pump()
    assert pair.client.next_deadline() == pair.now + 10.0
    pair.advance(9.999)
    assert pair.client_events_of(RequestTimedOut) == []
    pair.advance(0.001)
    assert outcome(pair, rid) == RequestTimedOut(request_id=rid, method="calling.play")
    assert pair.client.state == SessionState.READY  # D1: only that request fails
    pair.server.send_result(rid, {"code": "200"})
    pair.pump()
    assert pair.client_events[-1] == FrameDropped(
        reason="reply for unknown request id",
        raw=f'{{"jsonrpc":"2.0","id":"{rid}","result":{{"code":"200"}}}}',
    )


def test_per_request_timeout() -> None:
    pair = ready_pair()
    short = pair.client.execute("a", {}, now=pair.now, timeout=1.5)
    long = pair.client.execute("b", {}, now=pair.now, timeout=60)
    pair.pump()
    pair.advance(1.5)
    assert outcome(pair, short) == RequestTimedOut(request_id=short, method="a")
    pair.reply("b", {})
    assert isinstance(outcome(pair, long), RequestSucceeded)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "5", True])
def test_bad_timeouts_are_refused(timeout: object) -> None:
    pair = ready_pair()
    with pytest.raises(InvalidCommandError):
        pair.client.execute("m", {}, now=pair.now, timeout=timeout)  # type: ignore[arg-type]
    pair.pump()
    assert pair.requests("m") == []


def test_many_pending_requests_keep_deadlines_in_order() -> None:
    pair = ready_pair(ping_interval=10_000)
    ids = [
        pair.client.execute("m", {"i": i}, now=pair.now, timeout=1 + (i * 7919) % 500)
        for i in range(2000)
    ]
    pair.pump()
    assert pair.client.next_deadline() == pair.now + 1
    for rid in ids[::2]:
        pair.server.send_result(rid, {})
    pair.pump()
    pair.advance(501)
    timed_out = [e.request_id for e in pair.client_events_of(RequestTimedOut)]
    assert sorted(timed_out) == sorted(ids[1::2])
    # Timeouts come in deadline order.
    order = [1 + (ids.index(r) * 7919) % 500 for r in timed_out]
    assert order == sorted(order)
    assert len(pair.client_events_of(RequestSucceeded)) == 1000


def test_request_table_rebuilds_its_heap() -> None:
    table = RequestTable(iter(f"r{i}" for i in range(10**6)).__next__, 10.0, max_queued=5)
    for _ in range(500):
        request = table.create("m", {}, 0.0, 3600.0, RequestKind.USER)
        table.add_sent(request)
        assert table.take_reply(request.id) is request
    assert len(table._heap) <= 2 * 64 + 1
    assert table.next_deadline() is None
    assert len(table) == 0


def test_request_repr() -> None:
    assert repr(PendingRequest("r1", "m", "{}", 1.0)) == "PendingRequest('r1', 'm', kind='user')"


# --------------------------------------------------------------------------- offline queue


def test_requests_during_handshake_and_auth_are_queued_then_flushed_in_order() -> None:
    pair = Pair()
    first = pair.client.execute("one", {}, now=pair.now)
    pair.client.start(pair.now)
    second = pair.client.execute("two", {}, now=pair.now)
    pair.pump()
    assert pair.client.state == SessionState.AUTHENTICATING
    third = pair.client.execute("three", {}, now=pair.now)
    pair.pump()
    assert [r.method for r in pair.requests()] == ["signalwire.connect"]  # D3
    pair.reply("signalwire.connect", {"protocol": "p"})
    assert [r.method for r in pair.requests()] == ["signalwire.connect", "one", "two", "three"]
    assert [r.request_id for r in pair.requests()][1:] == [first, second, third]
    assert isinstance(pair.client_events[0], SessionReady)


def test_offline_queue_limit() -> None:
    pair = Pair(max_offline_queue=500)
    ids = [pair.client.execute("m", {"i": i}, now=pair.now) for i in range(500)]
    pair.collect()
    assert pair.client_events == []
    extra = pair.client.execute("m", {"i": 500}, now=pair.now)
    pair.collect()
    assert pair.client_events == [
        RequestFailed(
            request_id=extra,
            method="m",
            code=-1,
            message="Execute queue full — too many requests while disconnected",
        )
    ]
    pair.connect()
    sent = [r.request_id for r in pair.requests("m")]
    assert sent == ids


def test_queued_requests_time_out_too() -> None:
    pair = Pair(request_timeout=10.0)
    rid = pair.client.execute("m", {}, now=pair.now)
    pair.advance(10.0)
    assert outcome(pair, rid) == RequestTimedOut(request_id=rid, method="m")
    pair.connect()
    assert pair.requests("m") == []


def test_expired_queued_requests_are_not_sent_at_flush() -> None:
    pair = Pair(request_timeout=10.0)
    rid = pair.client.execute("m", {}, now=pair.now)
    keep = pair.client.execute("k", {}, now=pair.now, timeout=100)
    pair.start()
    pair.now += 20.0  # the adapter was slow to call handle_timeout
    pair.reply("signalwire.connect", {"protocol": "p"})
    assert outcome(pair, rid) == RequestTimedOut(request_id=rid, method="m")
    assert [r.request_id for r in pair.requests("k")] == [keep]
    assert pair.requests("m") == []


def test_zero_queue_fails_everything_while_offline() -> None:
    pair = Pair(max_offline_queue=0)
    rid = pair.client.execute("m", {}, now=pair.now)
    pair.collect()
    assert isinstance(outcome(pair, rid), RequestFailed)


# --------------------------------------------------------------------------- transport loss


def test_transport_loss_fails_in_flight_and_keeps_queued() -> None:
    pair = ready_pair()
    in_flight = pair.client.execute("a", {}, now=pair.now)
    pair.pump()
    pair.drop_transport()
    queued = pair.client.execute("b", {}, now=pair.now)
    events = pair.take_client_events()
    assert events[0] == RequestFailed(
        request_id=in_flight, method="a", code=-1, message="Connection closed"
    )
    assert isinstance(events[1], TransportLost)
    assert events[1].reason == "eof"
    pair.advance(1.0)
    pair.reconnect()
    assert [r.request_id for r in pair.requests("b")] == [queued]


def test_data_after_loss_is_ignored() -> None:
    pair = ready_pair()
    pair.drop_transport()
    pair.client.receive_data(b"\x81\x02hi", pair.now)
    pair.client.receive_data(None, pair.now)
    pair.collect()
    assert len(pair.client_events_of(TransportLost)) == 1


def test_peer_close_is_reported_with_code() -> None:
    pair = ready_pair()
    pair.server.close(1001, "going away")
    pair.pump()
    (lost,) = pair.client_events_of(TransportLost)
    assert (lost.reason, lost.code, lost.reconnect_at) == ("closed by peer", 1001, pair.now + 1)


# --------------------------------------------------------------------------- close


def test_close_fails_everything_and_closes_politely() -> None:
    pair = ready_pair()
    in_flight = pair.client.execute("a", {}, now=pair.now)
    pair.pump()
    pair.client.close(pair.now)
    assert pair.client.state == SessionState.CLOSING
    later = pair.client.execute("b", {}, now=pair.now)
    pair.pump()
    events = pair.take_client_events()
    assert events == [
        RequestFailed(request_id=in_flight, method="a", code=-1, message="Client disconnected"),
        RequestFailed(request_id=later, method="b", code=-1, message="Client disconnected"),
        TransportLost(reason="closed by client", code=1000, reconnect_at=None),
    ]
    assert pair.client.state == SessionState.CLOSED
    assert pair.client.next_deadline() is None
    assert pair.requests("b") == []


def test_close_while_disconnected_fails_queued_at_once() -> None:
    pair = ready_pair()
    pair.drop_transport()
    queued = pair.client.execute("a", {}, now=pair.now)
    pair.take_client_events()
    pair.client.close(pair.now)
    pair.collect()
    assert pair.take_client_events() == [
        RequestFailed(request_id=queued, method="a", code=-1, message="Client disconnected"),
        TransportLost(reason="closed by client", reconnect_at=None),
    ]
    assert pair.client.state == SessionState.CLOSED
    assert pair.client.next_deadline() is None  # no ReconnectDue any more
    pair.client.close(pair.now)  # idempotent
    pair.collect()
    assert pair.client_events == []


def test_close_before_start() -> None:
    pair = Pair()
    pair.client.close(pair.now)
    pair.collect()
    assert pair.client_events == [TransportLost(reason="closed by client", reconnect_at=None)]
    with pytest.raises(LocalProtocolError):
        pair.client.start(pair.now)


def test_close_during_websocket_handshake_drops_the_socket() -> None:
    pair = Pair()
    pair.client.start(pair.now)
    pair.client.close(pair.now)
    pair.collect()
    assert pair.client.state == SessionState.CLOSED
    assert pair.client_events == [TransportLost(reason="closed by client", reconnect_at=None)]


def test_close_times_out_when_server_never_answers() -> None:
    pair = ready_pair()
    pair.client.close(pair.now)
    close_frame = pair.client.data_to_send()
    assert close_frame[:1] == b"\x88"
    assert pair.client.next_deadline() == pair.now + 5.0
    pair.server = None  # type: ignore[assignment]  # silent server
    pair.advance(5.0)
    assert pair.client_events_of(TransportLost) == [
        TransportLost(reason="closed by client", reconnect_at=None)
    ]
    assert pair.client.state == SessionState.CLOSED


def test_frames_arriving_while_closing_are_ignored() -> None:
    pair = ready_pair()
    pair.client.close(pair.now)
    pair.server.send_event("calling.call.state", {"call_id": "c"})
    pair.server.send_ping()
    pair.pump()
    assert pair.responses() == []
    assert pair.client_events_of(TransportLost)[0].reason == "closed by client"


def test_eof_while_closing_finishes_the_close() -> None:
    pair = ready_pair()
    pair.client.close(pair.now)
    pair.client.receive_data(None, pair.now)
    pair.collect()
    assert pair.client_events_of(TransportLost) == [
        TransportLost(reason="closed by client", reconnect_at=None)
    ]


# --------------------------------------------------------------------------- misuse


def test_id_factory_must_not_repeat_a_pending_id() -> None:
    pair = ready_pair(id_factory=lambda: "same")  # the connect request, answered: now free
    pair.client.execute("a", {}, now=pair.now)
    with pytest.raises(LocalProtocolError, match="unusable id"):
        pair.client.execute("b", {}, now=pair.now)


def test_id_factory_returning_non_strings_is_refused() -> None:
    pair = Pair(id_factory=lambda: 5)
    with pytest.raises(LocalProtocolError):
        pair.client.execute("a", {}, now=pair.now)


@pytest.mark.parametrize(
    ("method", "params"),
    [("", {}), (5, {}), ("m", [1]), ("m", {"v": {1}}), ("m", {"x": float("nan")})],
)
def test_execute_validates_its_arguments(method: object, params: object) -> None:
    pair = ready_pair()
    with pytest.raises(InvalidCommandError):
        pair.client.execute(method, params, now=pair.now)  # type: ignore[arg-type]


def test_link_dying_in_the_same_read_as_the_connect_result() -> None:
    # Input is handled in order: the queue is flushed on the connect result, before the close
    # frame behind it is even parsed. The flushed request is then in flight when the link dies.
    pair = Pair()
    queued = pair.client.execute("m", {}, now=pair.now, timeout=60)
    pair.start()
    request = pair.expect_request("signalwire.connect")
    pair.server.send_result(request.request_id, {"protocol": "p"})
    pair.server.close(1012, "restarting")
    pair.client.receive_data(pair.server.data_to_send(), pair.now)  # both in one read
    pair.collect()
    assert [type(e).__name__ for e in pair.client_events] == [
        "SessionReady",
        "RequestFailed",
        "TransportLost",
    ]
    assert pair.client_events[1] == RequestFailed(
        request_id=queued, method="m", code=-1, message="Connection closed"
    )
    assert pair.client_frames_out[-1]["id"] == queued  # it did go out
    pair.advance(1.0)
    pair.reconnect()
    assert pair.requests("m") == []  # and it is not sent twice
