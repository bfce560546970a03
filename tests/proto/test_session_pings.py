"""Pings both ways (spec 1.7) and the half-open rule (D2)."""

from __future__ import annotations

from relay_proto import (
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    SessionState,
    TransportLost,
)
from relay_proto._session_parts import PingSchedule

from .helpers import Pair


def ready_pair(**kwargs: object) -> Pair:
    pair = Pair(**kwargs)  # type: ignore[arg-type]
    pair.connect()
    pair.take_client_events()
    return pair


# --------------------------------------------------------------------------- server pings


def test_server_ping_is_answered_with_empty_result() -> None:
    pair = ready_pair()
    ping_id = pair.server.send_ping({"payload": "x", "timestamp": 1.5})
    pair.pump()
    (response,) = pair.responses()
    assert (response.request_id, response.method, response.result) == (
        ping_id,
        "signalwire.ping",
        {},
    )
    assert {"jsonrpc": "2.0", "id": ping_id, "result": {}} in pair.client_frames_out
    assert pair.take_client_events() == []


def test_server_ping_with_numeric_id_is_echoed_exactly() -> None:
    pair = ready_pair()
    pair.server.send_raw_text('{"jsonrpc":"2.0","id":77,"method":"signalwire.ping"}')
    pair.pump()
    assert {"jsonrpc": "2.0", "id": 77, "result": {}} in pair.client_frames_out


def test_server_ping_without_id_gets_no_reply() -> None:
    pair = ready_pair()
    sent = len(pair.client_frames_out)
    pair.server.send_raw_text('{"jsonrpc":"2.0","method":"signalwire.ping","params":{}}')
    pair.pump()
    assert len(pair.client_frames_out) == sent


def test_server_ping_during_authentication_is_answered() -> None:
    pair = Pair()
    pair.start()
    ping_id = pair.server.send_ping()
    pair.pump()
    assert pair.responses()[-1].request_id == ping_id
    assert pair.client.state == SessionState.AUTHENTICATING


# --------------------------------------------------------------------------- client pings


def test_client_pings_every_interval_once_ready() -> None:
    pair = Pair(ping_interval=30.0)
    pair.start()
    pair.advance(9.0)
    assert pair.requests("signalwire.ping") == []  # not while authenticating
    pair.reply("signalwire.connect", {"protocol": "p"})
    start = pair.now
    for round_ in range(1, 4):
        pair.advance_to(start + 30.0 * round_ - 0.001)
        assert len(pair.requests("signalwire.ping")) == round_ - 1
        pair.advance(0.001)
        request = pair.expect_request("signalwire.ping")
        assert request.params == {}
        pair.server.send_result(request.request_id, {})
        pair.pump()
    assert pair.client.state == SessionState.READY
    # Pings are the session's own: never reported as request outcomes.
    assert pair.client_events_of(RequestSucceeded) == []


def test_pings_stop_when_transport_is_lost() -> None:
    pair = ready_pair()
    pair.drop_transport()
    pair.advance(1.0)  # ReconnectDue
    pair.advance(100.0)
    assert pair.requests("signalwire.ping") == []


def fail_ping(pair: Pair, how: str) -> None:
    request = pair.expect_request("signalwire.ping")
    if how == "error":
        pair.server.send_error(request.request_id, -32603, "busy")
    elif how == "code":
        pair.server.send_result(request.request_id, {"code": "503", "message": "busy"})
    pair.pump()


def test_three_failed_pings_drop_the_transport_with_backoff_between() -> None:
    pair = ready_pair(ping_interval=30.0)
    t0 = pair.now
    pair.advance(30.0)  # ping 1
    fail_ping(pair, "error")
    assert len(pair.requests("signalwire.ping")) == 1
    pair.advance(2.0 - 0.001)
    assert len(pair.requests("signalwire.ping")) == 1
    pair.advance(0.001)  # ping 2 after 2^1 s
    assert len(pair.requests("signalwire.ping")) == 2
    fail_ping(pair, "code")
    pair.advance(4.0)  # ping 3 after 2^2 s
    assert len(pair.requests("signalwire.ping")) == 3
    assert pair.client.state == SessionState.READY
    fail_ping(pair, "error")
    assert pair.client.state == SessionState.DISCONNECTED
    (event,) = pair.client_events_of(TransportLost)
    assert event.reason == "ping timeout"
    assert pair.now == t0 + 36.0
    assert pair.client_events_of(RequestFailed) == []


def test_unanswered_pings_time_out_and_count() -> None:
    pair = ready_pair(ping_interval=30.0, request_timeout=10.0)
    t0 = pair.now
    pair.advance(30.0 + 10.0)  # ping 1 times out: first failure, no drop (A6 fixed)
    assert pair.client.state == SessionState.READY
    pair.advance(2.0 + 10.0)  # ping 2 sent, times out
    assert pair.client.state == SessionState.READY
    pair.advance(4.0 + 10.0)  # ping 3 sent, times out: third failure
    assert pair.client.state == SessionState.DISCONNECTED
    assert pair.client_events_of(TransportLost)[0].reason == "ping timeout"
    assert pair.now == t0 + 66.0
    assert len(pair.requests("signalwire.ping")) == 3
    assert pair.client_events_of(RequestTimedOut) == []


def test_a_successful_ping_resets_the_failure_count() -> None:
    pair = ready_pair(ping_interval=30.0)
    pair.advance(30.0)
    fail_ping(pair, "error")
    pair.advance(2.0)
    fail_ping(pair, "error")
    pair.advance(4.0)
    pair.reply("signalwire.ping", {})  # success
    for _ in range(2):
        pair.advance(30.0)
        fail_ping(pair, "error")
        pair.advance(2.0)
        pair.reply("signalwire.ping", {})
    assert pair.client.state == SessionState.READY


def test_a_server_ping_resets_the_failure_count() -> None:
    pair = ready_pair(ping_interval=30.0)
    pair.advance(30.0)
    fail_ping(pair, "error")
    pair.advance(2.0)
    fail_ping(pair, "error")
    pair.server.send_ping()
    pair.pump()
    pair.advance(2.0)  # next ping: the pause was chosen before the server ping
    fail_ping(pair, "error")
    assert pair.client.state == SessionState.READY


def test_max_missed_pings_setting() -> None:
    pair = ready_pair(ping_interval=5.0, max_missed_pings=1)
    pair.advance(5.0)
    fail_ping(pair, "error")
    assert pair.client_events_of(TransportLost)[0].reason == "ping timeout"


def test_non_object_ping_result_is_success() -> None:
    pair = ready_pair(ping_interval=30.0)
    pair.advance(30.0)
    request = pair.expect_request("signalwire.ping")
    pair.server.send_raw_text(f'{{"jsonrpc":"2.0","id":"{request.request_id}","result":"pong"}}')
    pair.pump()
    pair.advance(29.999)
    assert len(pair.requests("signalwire.ping")) == 1
    pair.advance(0.001)
    assert len(pair.requests("signalwire.ping")) == 2


def test_ping_schedule_pause_is_capped() -> None:
    schedule = PingSchedule(30.0, 100)
    pauses = []
    for _ in range(8):
        assert schedule.failed(0.0) is False
        pauses.append(schedule.due)
    assert pauses == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
    schedule.stop()
    assert schedule.due is None
    assert schedule.failures == 0
