"""Dead links found in seconds (D38): once the server has pinged, a silence of
``dead_link_timeout`` seconds drops the transport; the client's own pings stay."""

from __future__ import annotations

import pytest

from relay_proto import (
    DEAD_LINK_TIMEOUT,
    InvalidCommandError,
    RelayConnection,
    SessionState,
    TransportLost,
)

from .helpers import Pair


def ready_pair(**kwargs: object) -> Pair:
    pair = Pair(**kwargs)  # type: ignore[arg-type]
    pair.connect()
    pair.take_client_events()
    return pair


def lost(pair: Pair) -> list[TransportLost]:
    return pair.client_events_of(TransportLost)


def test_default_is_twenty_seconds() -> None:
    assert DEAD_LINK_TIMEOUT == 20.0


def test_silence_after_server_pings_drops_the_link_at_the_deadline() -> None:
    pair = ready_pair()
    pair.server.send_ping()
    pair.pump()
    pinged = pair.now
    assert pair.client.next_deadline() == pinged + 20.0
    pair.advance(19.9)
    assert lost(pair) == []
    pair.advance(0.1)
    [event] = lost(pair)
    assert event.reason == "dead link: nothing from the server for 20 s"
    assert event.reconnect_at is not None
    assert pair.client.state == SessionState.DISCONNECTED


def test_any_frame_from_the_server_restarts_the_silence() -> None:
    pair = ready_pair(ping_interval=1000.0)  # this server never answers the client's pings
    pair.server.send_ping()
    pair.pump()
    for _ in range(5):
        pair.advance(15.0)
        pair.event("x.custom", {})  # not a ping: any frame proves the link alive
    pair.advance(19.0)
    assert lost(pair) == []
    pair.advance(1.0)
    assert len(lost(pair)) == 1


def test_without_server_pings_only_the_clients_own_pings_watch_the_link() -> None:
    pair = ready_pair()
    pair.advance(25.0)
    assert lost(pair) == []
    # D2: client pings every 30 s, each unanswered for 10 s, 3 failures (back-off 2 s, 4 s).
    pair.server = None  # type: ignore[assignment]  # the server stops reading and answering
    pair.advance(100.0)
    assert [e.reason for e in lost(pair)] == ["ping timeout"]


def test_configurable_and_can_be_turned_off() -> None:
    pair = ready_pair(dead_link_timeout=3.0)
    pair.server.send_ping()
    pair.pump()
    pair.advance(3.0)
    assert [e.reason for e in lost(pair)] == ["dead link: nothing from the server for 3 s"]
    off = ready_pair(dead_link_timeout=None)
    off.server.send_ping()
    off.pump()
    off.advance(25.0)
    assert lost(off) == []


def test_the_watchdog_is_per_transport() -> None:
    pair = ready_pair()
    pair.server.send_ping()
    pair.pump()
    pair.drop_transport()
    pair.take_client_events()
    pair.advance(1.5)
    pair.reconnect()
    # The new transport has not seen a server ping yet: no watchdog.
    pair.advance(25.0)
    assert lost(pair) == []


@pytest.mark.parametrize("value", [0, -1.0, float("inf"), "20", True])
def test_invalid_values_are_refused(value: object) -> None:
    with pytest.raises(InvalidCommandError, match="dead_link_timeout"):
        RelayConnection(dead_link_timeout=value)  # type: ignore[arg-type]
