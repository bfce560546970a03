"""A new session is never taken for a resumed one (spec 1.3), and what the old session held
settles at once; requests the application gave up on while offline are never sent."""

from __future__ import annotations

from typing import Any

import pytest

from relay_proto import (
    ActionCompleted,
    DialFailed,
    RequestFailed,
    RequestSucceeded,
    SessionReady,
    SessionReplaced,
    commands,
)

from .helpers import DEFAULT_CONNECT_RESULT, Pair

DEV = {"type": "phone", "params": {"from_number": "+1000", "to_number": "+1001"}}
RECEIVE = {"call_id": "c1", "node_id": "n1", "call_state": "created", "context": "office"}
PLAY = commands.play([{"type": "tts", "params": {"text": "hi"}}])
SAME = {"protocol": "signalwire_proto-1", "identity": "identity-1"}


def _ready() -> Pair:
    pair = Pair(contexts=["office"])
    pair.connect()
    return pair


def _resumed_after(result: dict[str, Any]) -> bool:
    pair = _ready()
    pair.drop_transport()
    pair.reconnect(result)
    return pair.client_events_of(SessionReady)[-1].resumed


@pytest.mark.parametrize(
    ("result", "resumed"),
    [
        # The server's word decides whenever it gives it.
        ({**SAME, "session_restored": False}, False),
        ({**SAME, "session_restored": True}, True),
        ({**SAME, "authorization": {"signature": "proto-1"}, "session_restored": False}, False),
        ({"protocol": "signalwire_other", "session_restored": True}, True),
        # Absent: the same protocol AND its signature part equal to authorization.signature.
        ({**SAME, "authorization": {"signature": "proto-1"}}, True),
        (SAME, False),
        ({**SAME, "authorization": {"signature": "other"}}, False),
        ({**SAME, "authorization": "proto-1"}, False),
        ({**SAME, "authorization": {"signature": ""}}, False),
        ({"protocol": "signalwire_x", "authorization": {"signature": "x"}}, False),
        # A non-boolean session_restored counts as absent.
        ({**SAME, "session_restored": "true"}, False),
        ({**SAME, "session_restored": 1, "authorization": {"signature": "proto-1"}}, True),
    ],
)
def test_resume_rule(result: dict[str, Any], resumed: bool) -> None:
    assert _resumed_after(result) is resumed


def test_signature_rule_needs_a_signature_part() -> None:
    pair = Pair(protocol="nounderscore")
    pair.connect({"protocol": "nounderscore", "authorization": {"signature": "nounderscore"}})
    assert pair.client_events_of(SessionReady)[-1].resumed is False


def _with_call_and_play(pair: Pair) -> str:
    pair.event("calling.call.receive", RECEIVE)
    started = pair.client.call_command("c1", PLAY, now=pair.now)
    pair.pump()
    pair.reply("calling.play", {"code": "200", "message": "Playing"})
    assert started.control_id is not None
    return started.control_id


def test_a_restarted_server_reissuing_the_protocol_is_a_new_session() -> None:
    pair = _ready()
    control_id = _with_call_and_play(pair)
    dial = pair.client.dial([[DEV]], now=pair.now, tag="t1")
    pair.pump()
    pair.reply("calling.dial", {"code": "200", "message": "Dialing"})
    send = pair.client.send_message(now=pair.now, to_number="+1", from_number="+2", body="x")
    pair.pump()
    pair.reply("messaging.send", {"code": "200", "message_id": "m1"})
    assert dial.request_id and send.request_id
    pair.drop_transport()
    pair.take_client_events()
    pair.reconnect({**SAME, "session_restored": False})
    events = pair.take_client_events()
    kinds = [type(e) for e in events]
    assert kinds[:2] == [SessionReady, SessionReplaced]
    ready, replaced = events[0], events[1]
    assert isinstance(ready, SessionReady) and not ready.resumed
    assert isinstance(replaced, SessionReplaced)
    assert replaced.protocol == replaced.previous_protocol == "signalwire_proto-1"
    assert replaced.call_ids == ("c1",)
    assert replaced.dial_tags == ("t1",)
    assert replaced.message_ids == ("m1",)
    [completed] = [e for e in events if isinstance(e, ActionCompleted)]
    assert (completed.control_id, completed.reason) == (control_id, "call_ended")
    assert completed.event.params["end_reason"] == "session_replaced"
    [failed] = [e for e in events if isinstance(e, DialFailed)]
    assert failed.tag == "t1"
    assert pair.client.get_call("c1") is None
    # Later commands for the old call send nothing.
    pair.client.call_command("c1", commands.hangup(), now=pair.now)
    pair.pump()
    assert not pair.requests("calling.end")


def test_call_commands_queued_for_the_old_session_are_withdrawn() -> None:
    pair = _ready()
    _with_call_and_play(pair)
    pair.drop_transport()
    queued = pair.client.call_command("c1", commands.hangup(), now=pair.now)
    other = pair.client.execute("signalwire.receive", {"contexts": ["x"]}, now=pair.now)
    pair.take_client_events()
    pair.reconnect({**SAME, "session_restored": False})
    failed = pair.client_events_of(RequestFailed)
    assert [(e.request_id, e.code) for e in failed] == [(queued.request_id, -1)]
    assert "Session replaced" in failed[0].message
    assert not pair.requests("calling.end")
    assert pair.requests("signalwire.receive")  # unrelated requests still go out
    assert other


def test_a_resumed_session_keeps_everything() -> None:
    pair = _ready()
    _with_call_and_play(pair)
    pair.drop_transport()
    pair.reconnect({**SAME, "session_restored": True})
    assert not pair.client_events_of(SessionReplaced)
    assert pair.client.get_call("c1") is not None


def test_a_first_session_replaces_nothing() -> None:
    pair = _ready()
    assert not pair.client_events_of(SessionReplaced)


def test_a_session_wiped_by_a_server_restart_request_is_replaced() -> None:
    pair = _ready()
    _with_call_and_play(pair)
    pair.server.send_disconnect(restart=True)
    pair.pump()
    pair.drop_transport()
    pair.reconnect({"protocol": "signalwire_fresh-1", "authorization": {"signature": "fresh-1"}})
    [replaced] = pair.client_events_of(SessionReplaced)
    assert replaced.previous_protocol == "" and replaced.call_ids == ("c1",)


# --------------------------------------------------------------------------- cancel_request


def test_a_cancelled_queued_request_is_never_sent() -> None:
    pair = _ready()
    _with_call_and_play(pair)
    pair.drop_transport()
    started = pair.client.call_command("c1", PLAY, now=pair.now)
    kept = pair.client.execute("x.keep", {}, now=pair.now)
    assert started.request_id is not None
    assert pair.client.cancel_request(started.request_id, now=pair.now) is True
    assert pair.client.cancel_request(started.request_id, now=pair.now) is False
    pair.take_client_events()
    pair.reconnect({**SAME, "session_restored": True})
    assert len(pair.requests("calling.play")) == 0
    assert [r.request_id for r in pair.requests("x.keep")] == [kept]
    # No outcome is reported for it, and its action is forgotten (the control id is free).
    assert all(
        getattr(e, "request_id", None) != started.request_id for e in pair.take_client_events()
    )
    again = pair.client.call_command(
        "c1",
        commands.play([{"type": "tts", "params": {"text": "x"}}], control_id=started.control_id),
        now=pair.now,
    )
    assert again.request_id is not None


def test_a_request_on_the_wire_cannot_be_cancelled() -> None:
    pair = _ready()
    request_id = pair.client.execute("x.sent", {}, now=pair.now)
    pair.pump()
    assert pair.client.cancel_request(request_id, now=pair.now) is False
    pair.reply("x.sent", {"code": "200"})
    assert [e.request_id for e in pair.client_events_of(RequestSucceeded)] == [request_id]
    assert pair.client.cancel_request("unknown", now=pair.now) is False


def test_a_cancelled_queued_dial_is_forgotten() -> None:
    pair = _ready()
    pair.drop_transport()
    started = pair.client.dial([[DEV]], now=pair.now, tag="t")
    assert started.request_id is not None
    assert pair.client.cancel_request(started.request_id, now=pair.now)
    pair.reconnect()
    assert not pair.requests("calling.dial")
    assert pair.client.next_deadline() is None or not pair.client_events_of(DialFailed)
    # The tag is free again.
    assert pair.client.dial([[DEV]], now=pair.now, tag="t").request_id


def test_a_dial_that_timed_out_offline_is_never_sent() -> None:
    pair = _ready()
    pair.drop_transport()
    started = pair.client.dial([[DEV]], now=pair.now, tag="t", dial_timeout=2.0)
    pair.take_client_events()
    pair.advance(2.5)  # the reconnect is not due yet (backoff >= 0.8 s... no rng: 1 s)
    failed = pair.client_events_of(DialFailed)
    assert [(e.tag, e.timed_out) for e in failed] == [("t", True)]
    [request_failed] = pair.client_events_of(RequestFailed)
    assert request_failed.request_id == started.request_id
    assert request_failed.message == "Dial timed out waiting for answer (tag=t)"
    pair.reconnect()
    assert not pair.requests("calling.dial")


def test_default_connect_result_is_a_resume_by_signature() -> None:
    assert DEFAULT_CONNECT_RESULT["authorization"] == {"signature": "proto-1"}
