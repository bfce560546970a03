"""Auth rejection counting (D7), reconnect backoff (D6), transport lifecycle edge cases."""

from __future__ import annotations

import pytest

from relay_proto import (
    AuthRejected,
    ClientClosed,
    LocalProtocolError,
    ReconnectDue,
    RequestFailed,
    SessionReady,
    SessionState,
    TransportLost,
)

from .helpers import FakeRandom, Pair


def reject(pair: Pair, code: int = -32000, message: str = "authentication failed") -> None:
    """Start a transport and answer its signalwire.connect with an error."""
    pair.new_server()
    pair.start()
    request = pair.expect_request("signalwire.connect")
    pair.server.send_error(request.request_id, code, message, {"signalwire_error_code": "AUTH"})
    pair.pump()


def lost(pair: Pair) -> list[TransportLost]:
    return pair.client_events_of(TransportLost)


# --------------------------------------------------------------------------- rejection counting


def test_three_rejections_before_any_success_are_final() -> None:
    pair = Pair()
    reject(pair)
    assert pair.client.state == SessionState.DISCONNECTED
    assert pair.client_events_of(AuthRejected) == [
        AuthRejected(code=-32000, message="authentication failed", attempt=1, final=False)
    ]
    assert lost(pair)[-1] == TransportLost(reason="auth rejected", reconnect_at=pair.now + 1.0)
    pair.advance(1.0)
    reject(pair)
    pair.advance(2.0)
    reject(pair)
    rejections = pair.client_events_of(AuthRejected)
    assert [(r.attempt, r.final) for r in rejections] == [(1, False), (2, False), (3, True)]
    assert pair.client.state == SessionState.CLOSED
    assert lost(pair)[-1] == TransportLost(reason="auth rejected", reconnect_at=None)
    assert pair.client.next_deadline() is None
    with pytest.raises(LocalProtocolError):
        pair.client.start(pair.now)


def test_rejection_closes_the_websocket() -> None:
    pair = Pair()
    reject(pair)
    assert isinstance(pair.server_events[-1], ClientClosed)
    assert pair.server_events[-1].code == 1000


def test_connect_timeout_counts_as_a_rejection() -> None:
    pair = Pair(request_timeout=5.0)
    pair.start()
    pair.advance(4.9)
    assert pair.client_events_of(AuthRejected) == []
    pair.advance(0.1)
    assert pair.client_events_of(AuthRejected) == [
        AuthRejected(
            code=-1, message="Request timeout for signalwire.connect", attempt=1, final=False
        )
    ]
    assert pair.client.state == SessionState.DISCONNECTED


def test_late_connect_result_after_timeout_is_ignored() -> None:
    pair = Pair()
    pair.start()
    request = pair.expect_request("signalwire.connect")
    pair.advance(10.0)
    server = pair.server
    server.send_result(request.request_id, {"protocol": "late"})
    assert pair.client.state == SessionState.DISCONNECTED
    assert pair.client.relay_protocol == ""


def test_transport_failures_never_count() -> None:
    pair = Pair()
    reject(pair)
    for _ in range(5):
        pair.advance_to(pair.client.next_deadline() or pair.now)
        pair.client.connect_failed(pair.now, "connection refused")
    pair.advance_to(pair.client.next_deadline() or pair.now)
    pair.new_server()
    pair.start()
    pair.drop_transport()  # EOF while authenticating: a transport failure, not a rejection
    assert pair.client_events_of(AuthRejected)[-1].attempt == 1
    pair.advance_to(pair.client.next_deadline() or pair.now)
    reject(pair)
    assert pair.client_events_of(AuthRejected)[-1] == AuthRejected(
        code=-32000, message="authentication failed", attempt=2, final=False
    )
    pair.advance_to(pair.client.next_deadline() or pair.now)
    reject(pair)
    assert pair.client_events_of(AuthRejected)[-1].final is True


def test_after_a_success_rejections_are_never_final() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    for attempt in range(1, 7):
        pair.advance_to(pair.client.next_deadline() or pair.now)
        reject(pair)
        assert pair.client_events_of(AuthRejected)[-1] == AuthRejected(
            code=-32000, message="authentication failed", attempt=attempt, final=False
        )
        assert pair.client.state == SessionState.DISCONNECTED
    pair.advance_to(pair.client.next_deadline() or pair.now)
    pair.reconnect()
    assert pair.client.state == SessionState.READY


def test_success_resets_the_rejection_count() -> None:
    pair = Pair()
    reject(pair)
    pair.advance(1.0)
    reject(pair)
    pair.advance(2.0)
    pair.reconnect()
    pair.drop_transport()
    pair.advance(1.0)
    reject(pair)
    assert pair.client_events_of(AuthRejected)[-1].attempt == 1


def test_final_rejection_fails_queued_requests() -> None:
    pair = Pair()
    request_id = pair.client.execute("calling.answer", {}, now=pair.now, timeout=60)
    for delay in (0.0, 1.0, 2.0):
        pair.advance(delay)
        reject(pair)
    assert pair.client_events_of(RequestFailed) == [
        RequestFailed(
            request_id=request_id, method="calling.answer", code=-1, message="Connection closed"
        )
    ]
    # Closed for good: later requests fail at once.
    later = pair.client.execute("calling.answer", {}, now=pair.now)
    pair.collect()
    assert pair.client_events_of(RequestFailed)[-1].request_id == later
    assert pair.client_events_of(RequestFailed)[-1].message == "Client disconnected"


# --------------------------------------------------------------------------- backoff


def run_failed_reconnects(pair: Pair, count: int) -> list[float]:
    """Let ``count`` reconnect attempts fail at once; return each wait."""
    waits = []
    for _ in range(count):
        scheduled = lost(pair)[-1].reconnect_at
        assert scheduled is not None
        waits.append(round(scheduled - pair.now, 9))
        pair.advance_to(scheduled)
        assert pair.client_events_of(ReconnectDue)[-1].attempt == len(waits)
        pair.client.connect_failed(pair.now, "refused")
        pair.collect()
    return waits


def test_backoff_sequence_without_jitter() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    assert run_failed_reconnects(pair, 8) == [1, 2, 4, 8, 16, 30, 30, 30]


def test_backoff_sequence_with_jitter_from_the_rng() -> None:
    rng = FakeRandom(0.0, 0.5, 0.75, 0.25)
    pair = Pair(rng=rng)
    pair.connect()
    pair.drop_transport()
    assert run_failed_reconnects(pair, 4) == [0.8, 2.0, 4.4, 7.2]
    assert rng.calls == 5  # one draw per scheduled wait


def test_first_connect_failure_schedules_a_retry() -> None:
    pair = Pair()
    pair.client.connect_failed(pair.now, "dns failure")
    pair.collect()
    assert pair.client.state == SessionState.DISCONNECTED
    assert lost(pair) == [
        TransportLost(reason="dns failure", reconnect_at=pair.now + 1.0, socket_opened=False)
    ]
    assert pair.client.next_deadline() == pair.now + 1.0


def test_backoff_resets_only_after_successful_auth() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()  # wait 1
    assert run_failed_reconnects(pair, 2) == [1, 2]
    # Socket opens, then auth is rejected: the backoff keeps growing (A7 fixed).
    pair.advance_to(lost(pair)[-1].reconnect_at or 0)
    reject(pair)
    assert lost(pair)[-1].reconnect_at == pair.now + 8
    pair.advance(8)
    pair.reconnect()
    pair.drop_transport()
    assert lost(pair)[-1].reconnect_at == pair.now + 1
    pair.advance(1)
    assert pair.client_events_of(ReconnectDue)[-1].attempt == 1


def test_start_before_reconnect_due_cancels_it() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    pair.reconnect()
    pair.advance(5)
    assert pair.client_events_of(ReconnectDue) == []


def test_reconnect_due_is_emitted_once() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    pair.advance(100)
    assert pair.client_events_of(ReconnectDue) == [ReconnectDue(attempt=1)]
    assert pair.client.next_deadline() is None


# --------------------------------------------------------------------------- lifecycle misuse


def test_start_is_refused_while_a_transport_is_up() -> None:
    pair = Pair()
    pair.start()
    with pytest.raises(LocalProtocolError):
        pair.client.start(pair.now)
    pair.reply("signalwire.connect", {"protocol": "p"})
    with pytest.raises(LocalProtocolError):
        pair.client.start(pair.now)


def test_connect_failed_is_refused_while_authenticated_and_ignored_when_closed() -> None:
    pair = Pair()
    pair.connect()
    with pytest.raises(LocalProtocolError):
        pair.client.connect_failed(pair.now, "x")
    pair.client.close(pair.now)
    pair.pump()
    pair.client.connect_failed(pair.now, "x")
    assert pair.client.state == SessionState.CLOSED


def test_connect_failed_during_websocket_handshake() -> None:
    pair = Pair()
    pair.client.start(pair.now)
    pair.client.connect_failed(pair.now, "tls handshake failed")
    pair.collect()
    assert pair.client.state == SessionState.DISCONNECTED
    assert lost(pair)[-1].reason == "tls handshake failed"


# --------------------------------------------------------------------------- handshake problems


def test_http_rejection_of_the_upgrade_is_a_transport_failure() -> None:
    pair = Pair()
    pair.client.start(pair.now)
    pair.client.data_to_send()
    pair.client.receive_data(
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n", pair.now
    )
    pair.collect()
    assert lost(pair) == [
        TransportLost(reason="websocket handshake rejected (HTTP 503)", reconnect_at=pair.now + 1.0)
    ]
    assert pair.client_events_of(AuthRejected) == []


def test_websocket_handshake_timeout() -> None:
    pair = Pair(request_timeout=3.0)
    pair.client.start(pair.now)
    pair.client.data_to_send()  # the server never answers
    assert pair.client.next_deadline() == pair.now + 3.0
    pair.server = None  # type: ignore[assignment]
    pair.advance(3.0)
    assert lost(pair)[-1].reason == "websocket handshake timeout"
    assert pair.client.state == SessionState.DISCONNECTED


def test_transport_lost_while_authenticating_is_not_a_rejection() -> None:
    pair = Pair()
    pair.start()
    pair.server.close(1011, "internal")
    pair.pump()
    assert pair.client_events_of(AuthRejected) == []
    assert lost(pair)[-1].reason == "closed by peer"
    assert lost(pair)[-1].code == 1011
    pair.advance(1.0)
    pair.reconnect()
    assert pair.client_events_of(SessionReady)
