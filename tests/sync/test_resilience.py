"""The blocking client under stress and faults, against the emulator over loopback.

Reconnect with resume (and a request issued during the outage), server-requested disconnects,
bad credentials, refused connections, 100 concurrent inbound calls, over-limit calls, a
raising handler, malformed frames, disconnect with requests pending.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

import pytest

from relay_anyio.testing import MALFORMED_KINDS, Persona
from relay_sync import Call, RelayClient, RelayError

from .conftest import LogWatch
from .helpers import AGENT, CALLER, LINE, PROJECT, TOKEN, WAIT, Outcome, phone


def _session_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name in ("relay-sync-reader", "relay-sync-timer")]


def _join_session_threads() -> None:
    for thread in _session_threads():
        thread.join(WAIT)
    assert _session_threads() == []


def test_reconnect_resumes_and_flushes_a_request_made_during_the_outage(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()
    client.connect()
    protocol = client.relay_protocol
    assert emulator.faults.drop_all_now() == 1
    relay_log.wait_for("RELAY connection lost")
    # The socket is gone: this request waits in the offline queue and goes out after re-auth.
    result = client.execute("signalwire.receive", {"contexts": ["sales"]})
    assert result["code"] == "200"
    relay_log.wait_for("resumed")
    connects = emulator.journal.requests("signalwire.connect")
    assert len(connects) == 2
    assert "protocol" not in connects[0].params
    assert connects[1].params["protocol"] == protocol
    assert client.relay_protocol == protocol


def test_a_call_keeps_working_across_a_reconnect(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    answered, go = threading.Event(), threading.Event()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> str:
        call.answer()
        answered.set()
        assert go.wait(WAIT)
        call.play_tts("Still here after the drop").wait(timeout=WAIT)
        call.hangup()
        return call.state

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert answered.wait(WAIT)
    emulator.faults.drop_all_now()
    relay_log.wait_for("resumed")
    go.set()
    assert outcome.wait() in (["ending"], ["ended"])
    assert caller.wait_ended() == "hangup"
    assert caller.heard == ["Still here after the drop"]


@pytest.mark.parametrize("restart", [False, True])
def test_server_requested_disconnect(
    emulator: Any, make_client: Any, relay_log: LogWatch, restart: bool
) -> None:
    client: RelayClient = make_client()
    client.connect()
    first = client.relay_protocol
    assert emulator.faults.disconnect(restart=restart) == 1
    relay_log.wait_for(f"server asked to disconnect (restart={restart})")
    relay_log.wait_for("RELAY session ready", count=2)
    connects = emulator.journal.requests("signalwire.connect")
    assert len(connects) == 2
    if restart:
        # The resume data was wiped: a fresh session.
        assert "protocol" not in connects[1].params
        assert client.relay_protocol != first
    else:
        assert connects[1].params["protocol"] == first
        assert client.relay_protocol == first
    # The new session works.
    assert client.execute("signalwire.receive", {"contexts": ["sales"]})["code"] == "200"


def test_bad_credentials_fail_connect_at_once(emulator: Any) -> None:
    client = RelayClient(project=PROJECT, token="wrong", host=emulator.url)
    with pytest.raises(RelayError) as failure:
        client.connect()
    assert failure.value.code == -32002
    assert len(emulator.journal.requests("signalwire.connect")) == 1
    _join_session_threads()
    # Everything was freed: the slot, the session. A good client connects.
    with RelayClient(project=PROJECT, token=TOKEN, host=emulator.url) as good:
        assert good.relay_protocol


def test_bad_credentials_stop_serve_after_three_attempts(emulator: Any) -> None:
    client = RelayClient(project=PROJECT, token="wrong", host=emulator.url)
    with pytest.raises(RelayError) as failure:
        client.serve()  # retries with backoff (1 s, 2 s), then gives up
    assert failure.value.code == -32002
    assert len(emulator.journal.requests("signalwire.connect")) == 3
    _join_session_threads()


def test_refused_connection_fails_connect() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = RelayClient(project=PROJECT, token=TOKEN, host=f"ws://127.0.0.1:{port}")
    with pytest.raises(ConnectionRefusedError):
        client.connect()
    _join_session_threads()
    with pytest.raises(RelayError, match="not connected"):
        client.execute("signalwire.receive", {"contexts": ["x"]})


def test_a_hundred_concurrent_inbound_calls(emulator: Any, make_client: Any) -> None:
    count = 100
    client: RelayClient = make_client()
    outcome = Outcome(expected=count)
    # Every handler must be running at the same time to get past the barrier.
    barrier = threading.Barrier(count, timeout=WAIT)

    @client.on_call
    @outcome.track
    def handle(call: Call) -> str:
        call.answer()
        barrier.wait()
        call.play_tts(f"Hello {call.call_id}").wait(timeout=WAIT)
        call.hangup()
        return call.call_id

    client.connect()
    callers = [
        emulator.call(context="office", from_number=f"+1555000{i:04d}", to_number=LINE)
        for i in range(count)
    ]
    handled = outcome.wait(timeout=WAIT * 2)
    assert sorted(handled) == sorted(caller.call_id for caller in callers)
    assert len(outcome.threads) == count  # one worker thread each
    for caller in callers:
        assert caller.wait_ended() == "hangup"
        assert caller.heard == [f"Hello {caller.call_id}"]


def test_calls_over_the_limit_are_passed_to_another_client(
    emulator: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "2")
    busy: RelayClient = make_client(max_active_calls=1)
    other: RelayClient = make_client()
    release = threading.Event()
    busy_calls, other_calls = Outcome(), Outcome(expected=3)

    @busy.on_call
    @busy_calls.track
    def hold(call: Call) -> str:
        call.answer()
        assert release.wait(WAIT)
        call.hangup()
        return call.call_id

    @other.on_call
    @other_calls.track
    def take(call: Call) -> str:
        call.answer()
        call.hangup()
        return call.call_id

    busy.connect()
    other.connect()
    callers = [
        emulator.call(context="office", from_number=CALLER, to_number=LINE) for _ in range(4)
    ]
    for caller in callers:
        caller.wait_answered()
    # The busy client holds one call and passes every other one it is offered.
    assert emulator.journal.requests("calling.pass"), "the busy client passed a call back"
    assert len(other_calls.wait()) == 3
    release.set()
    assert len(busy_calls.wait()) == 1
    for caller in callers:
        assert caller.wait_ended() == "hangup"


def test_a_raising_handler_hurts_nothing(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()
    bad, good = Outcome(), Outcome()
    first = threading.Event()

    @bad.track
    def broken(call: Call) -> None:
        raise ValueError("handler bug")

    @good.track
    def fine(call: Call) -> str:
        call.answer()
        call.hangup()
        return "ok"

    @client.on_call
    def handle(call: Call) -> str | None:
        if not first.is_set():
            first.set()
            return broken(call)
        return fine(call)

    client.connect()
    crashed = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    with pytest.raises(ValueError, match="handler bug"):
        bad.wait()
    second = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert good.wait() == ["ok"]
    assert second.wait_ended() == "hangup"
    relay_log.wait_for("raised")
    failure = next(r for r in relay_log.records if "raised" in r.getMessage())
    assert failure.levelno == logging.ERROR
    assert crashed.call_id in failure.getMessage()
    assert failure.exc_info is not None and failure.exc_info[0] is ValueError
    # The crashed call is still there for the server (nobody answered it); the session too.
    assert client.execute("signalwire.receive", {"contexts": ["sales"]})["code"] == "200"


def test_malformed_frames_leave_the_session_working(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    client.connect()
    protocol = client.relay_protocol
    for kind in MALFORMED_KINDS:
        assert emulator.faults.send_malformed(kind) == 1
        assert client.execute("signalwire.receive", {"contexts": [kind]})["code"] == "200"
    assert client.relay_protocol == protocol
    assert len(emulator.journal.requests("signalwire.connect")) == 1


def test_disconnect_fails_what_is_pending(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    emulator.faults.ignore_method("calling.answer")

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        call.answer()  # never answered by the server

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    emulator.wait_for_request("calling.answer")
    client.disconnect()
    with pytest.raises(RelayError, match="Client disconnected"):
        outcome.wait()
    _join_session_threads()


def test_dial_while_the_session_is_down_waits_for_it(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    emulator.persona(AGENT, Persona.answers(after=1.0))
    client: RelayClient = make_client()
    client.connect()
    emulator.faults.drop_all_now()
    relay_log.wait_for("RELAY connection lost")
    call = client.dial([[phone(AGENT)]], dial_timeout=30)
    assert call.state == "answered"
    call.hangup()
