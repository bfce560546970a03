"""decide_session_event: the session-level decisions both adapters carry out (D7 and the rest)."""

from __future__ import annotations

import pytest

from relay_proto import (
    SESSION_EVENTS,
    AuthRejected,
    CallEvent,
    Decision,
    RelayEvent,
    ServerDisconnect,
    SessionReady,
    TransportLost,
    decide_session_event,
)
from relay_proto._lifecycle import DEBUG, INFO, WARNING


def decide(event: object, *, connecting: bool = False, stopping: bool = False) -> Decision:
    decision = decide_session_event(
        event,  # type: ignore[arg-type]
        connecting=connecting,
        stopping=stopping,
        now=100.0,
    )
    assert decision is not None
    return decision


def test_ready_resolves_connect() -> None:
    d = decide(SessionReady(protocol="signalwire_a", resumed=True), connecting=True)
    assert (d.log_level, d.log) == (INFO, "RELAY session ready (protocol signalwire_a, resumed)")
    assert d.connected and d.error is None and not d.stop
    assert decide(SessionReady(protocol="p")).log.endswith("(protocol p, new)")


def test_connect_raises_at_the_first_rejection() -> None:
    event = AuthRejected(code=-32002, message="bad", attempt=1, final=False)
    d = decide(event, connecting=True)
    assert d.error == (-32002, "bad") and d.fail_connect and d.stop and not d.fatal
    assert d.log_level == WARNING
    assert d.log == "authentication rejected (attempt 1): RELAY error -32002: bad"


def test_serve_gives_up_only_at_the_final_rejection() -> None:
    first = decide(AuthRejected(code=-32000, message="", attempt=1, final=False))
    assert first.error is None and not first.stop
    final = decide(AuthRejected(code=-32000, message="", attempt=3, final=True))
    assert final.error == (-32000, "Unknown error") and final.fatal and final.stop
    assert not final.fail_connect


def test_closed_for_good_ends_the_run_unless_a_stop_was_asked() -> None:
    lost = TransportLost(reason="auth rejected", reconnect_at=None)
    d = decide(lost)
    assert d.error == (-1, "Connection closed: auth rejected")
    assert d.fatal and d.closed and d.stop and d.log_level == WARNING
    quiet = decide(lost, stopping=True)
    assert quiet.closed and quiet.error is None and not quiet.stop and quiet.log_level == DEBUG


def test_a_lost_transport_fails_a_pending_connect_only() -> None:
    lost = TransportLost(reason="eof", reconnect_at=102.5)
    d = decide(lost, connecting=True)
    assert d.error == (-1, "Connection closed before authentication: eof")
    assert d.fail_connect and d.stop
    assert d.log == "RELAY connection lost (eof); reconnecting in 2.5 s"
    later = decide(lost)
    assert later.error is None and not later.stop and later.log_level == WARNING
    unopened = decide(TransportLost(reason="x", reconnect_at=101.0, socket_opened=False))
    assert unopened.log_level == DEBUG  # the adapter reported the failed open itself


def test_server_disconnect_is_logged() -> None:
    d = decide(ServerDisconnect(restart=True))
    assert (d.log_level, d.log) == (INFO, "server asked to disconnect (restart=True)")
    assert d.error is None and not d.stop


@pytest.mark.parametrize("kind", sorted(SESSION_EVENTS, key=lambda k: k.__name__))
def test_every_session_event_is_decided(kind: type) -> None:
    samples = {
        SessionReady: SessionReady(protocol="p"),
        AuthRejected: AuthRejected(code=1, message="m", attempt=1, final=False),
        TransportLost: TransportLost(reason="r", reconnect_at=1.0),
        ServerDisconnect: ServerDisconnect(restart=False),
    }
    assert decide(samples[kind]) is not None


def test_other_events_are_not_decided() -> None:
    event = CallEvent(call_id="c", event=RelayEvent("", {}), call_state="answered")
    assert decide_session_event(event, connecting=True, stopping=False, now=0.0) is None
