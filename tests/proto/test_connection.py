"""RelayConnection: construction, commands and the glue between session and domain."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from relay_proto import (
    AGENT_STRING,
    ActionCompleted,
    CallCommand,
    CallOverflow,
    CallReceived,
    DialAnswered,
    DialFailed,
    InvalidCommandError,
    LocalProtocolError,
    RelayConnection,
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    SessionState,
    Started,
    TransportLost,
    commands,
)

from .helpers import Pair

DEVICE = {"type": "phone", "params": {"from_number": "+15550001", "to_number": "+15550002"}}
RECEIVE = {
    "call_id": "call-1",
    "node_id": "node-1",
    "call_state": "created",
    "context": "office",
    "direction": "inbound",
}


def ready_pair(**kwargs: Any) -> Pair:
    pair = Pair(**kwargs)
    pair.connect()
    pair.take_client_events()
    return pair


def with_call(**kwargs: Any) -> Pair:
    pair = ready_pair(**kwargs)
    pair.event("calling.call.receive", RECEIVE)
    assert isinstance(pair.take_client_events()[0], CallReceived)
    return pair


# --------------------------------------------------------------------------- construction


def test_defaults() -> None:
    conn = RelayConnection(project="p", token="t")
    assert conn.state == SessionState.IDLE
    assert conn.contexts == ()
    assert conn.relay_protocol == ""
    assert conn.authorization_state == ""
    assert conn.next_deadline() is None
    assert conn.next_event() is None
    assert conn.data_to_send() == b""
    conn.start(0.0)
    assert b"Host: relay.signalwire.com\r\n" in conn.data_to_send()


def test_default_ids_are_counters() -> None:
    pair = Pair(id_factory=None)
    pair.start()
    assert pair.client_frames_out[0]["id"] == "relay-1"
    assert pair.client_frames_out[0]["params"]["agent"] == AGENT_STRING


@pytest.mark.parametrize(
    "kwargs",
    [
        {"host": "relay.test/path"},
        {"host": "user@relay.test"},
        {"host": "relay test"},
        {"host": "relay..test"},
        {"host": ""},
        {"host": 5},
        {"contexts": "office"},
        {"contexts": ["ok", ""]},
        {"contexts": [1]},
        {"project": 5},
        {"token": None},
        {"jwt_token": b"x"},
        {"agent": ""},
        {"request_timeout": 0},
        {"ping_interval": -1},
        {"ping_interval": float("nan")},
        {"max_missed_pings": 0},
        {"max_missed_pings": 2.5},
        {"max_offline_queue": -1},
        {"max_message_size": 0},
        {"max_active_calls": 0},
        {"max_active_calls": True},
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidCommandError):
        RelayConnection(**kwargs)


def test_ipv6_host_with_port_is_accepted() -> None:
    conn = RelayConnection(host="[::1]:8080")
    conn.start(0.0)
    assert b"Host: [::1]:8080\r\n" in conn.data_to_send()


def test_frame_observer_sees_every_frame_both_ways() -> None:
    seen: list[tuple[str, str]] = []
    pair = Pair(frame_observer=lambda d, t: seen.append((d, t)))
    pair.connect()
    pair.event("x.custom", {})
    assert [d for d, _ in seen] == ["out", "in", "in", "out"]
    assert seen[0][1].startswith('{"jsonrpc":"2.0","id":"req-1","method":"signalwire.connect"')
    assert seen[3][1] == '{"jsonrpc":"2.0","id":"evt-1","result":{}}'


def test_no_observer_is_fine() -> None:
    conn = RelayConnection(project="p", token="t", frame_observer=None)
    conn.start(0.0)
    assert conn.data_to_send()


def test_receive_data_before_start_is_ignored() -> None:
    conn = RelayConnection()
    conn.receive_data(b"anything", 0.0)
    conn.receive_data(None, 0.0)
    assert conn.next_event() is None
    assert conn.state == SessionState.IDLE


# --------------------------------------------------------------------------- call commands


def test_call_command_adds_ids_and_generates_control_id() -> None:
    pair = with_call()
    started = pair.client.call_command("call-1", commands.play_tts("hi"), now=pair.now)
    assert started.control_id == "req-2"
    assert started.request_id == "req-3"
    pair.pump()
    request = pair.expect_request("calling.play")
    assert request.request_id == started.request_id
    assert request.params == {
        "node_id": "node-1",
        "call_id": "call-1",
        "play": [{"type": "tts", "params": {"text": "hi"}}],
        "control_id": "req-2",
    }
    pair.reply("calling.play", {"code": "200", "message": "Playing"})
    assert pair.take_client_events() == [
        RequestSucceeded(
            request_id="req-3", method="calling.play", result={"code": "200", "message": "Playing"}
        )
    ]


def test_explicit_control_id_is_kept() -> None:
    pair = with_call()
    started = pair.client.call_command(
        "call-1", commands.send_digits("12", control_id="mine"), now=pair.now
    )
    assert started.control_id == "mine"
    pair.pump()
    assert pair.expect_request("calling.send_digits").params["control_id"] == "mine"


def test_plain_command_has_no_control_id() -> None:
    pair = with_call()
    started = pair.client.call_command("call-1", commands.answer(), now=pair.now)
    assert started.control_id is None
    pair.pump()
    assert "control_id" not in pair.expect_request("calling.answer").params


def test_command_for_unknown_call_sends_nothing_and_succeeds_as_call_gone() -> None:
    pair = ready_pair()
    started = pair.client.call_command("nobody", commands.play_tts("hi"), now=pair.now)
    pair.pump()
    assert pair.requests("calling.play") == []
    events = pair.take_client_events()
    assert isinstance(events[0], ActionCompleted)
    assert events[0].reason == "not_started"
    assert events[1] == RequestSucceeded(
        request_id=started.request_id, method="calling.play", result={}, call_gone=True
    )
    plain = pair.client.call_command("nobody", commands.answer(), now=pair.now)
    pair.collect()
    assert pair.take_client_events() == [
        RequestSucceeded(
            request_id=plain.request_id, method="calling.answer", result={}, call_gone=True
        )
    ]


@pytest.mark.parametrize("reply", ["error404", "code410"])
def test_404_and_410_become_call_gone(reply: str) -> None:
    pair = with_call()
    started = pair.client.call_command("call-1", commands.play_tts("hi"), now=pair.now)
    pair.pump()
    if reply == "error404":
        pair.server.send_error(started.request_id, 404, "Call not found")
    else:
        pair.server.send_result(started.request_id, {"code": "410", "message": "Gone"})
    pair.pump()
    events = pair.take_client_events()
    assert [type(e) for e in events] == [ActionCompleted, RequestSucceeded]
    assert events[0].reason == "call_gone"  # type: ignore[attr-defined]
    assert events[1] == RequestSucceeded(
        request_id=started.request_id, method="calling.play", result={}, call_gone=True
    )


def test_other_failures_and_timeouts_reach_the_application() -> None:
    pair = with_call(request_timeout=5.0)
    first = pair.client.call_command("call-1", commands.play_tts("a"), now=pair.now)
    second = pair.client.call_command("call-1", commands.play_tts("b"), now=pair.now)
    pair.pump()
    pair.server.send_error(first.request_id, 500, "boom")
    pair.pump()
    pair.advance(5.0)
    events = pair.take_client_events()
    assert (
        RequestFailed(request_id=first.request_id, method="calling.play", code=500, message="boom")
        in events
    )
    assert RequestTimedOut(request_id=second.request_id, method="calling.play") in events


def test_call_command_validation() -> None:
    pair = with_call()
    with pytest.raises(InvalidCommandError):
        pair.client.call_command("call-1", {"method": "calling.play"}, now=pair.now)  # type: ignore[arg-type]
    with pytest.raises(InvalidCommandError):
        pair.client.call_command("", commands.answer(), now=pair.now)
    with pytest.raises(InvalidCommandError):
        pair.client.call_command("call-1", commands.answer(), now=pair.now, timeout=-1)


def test_unencodable_command_unregisters_its_action() -> None:
    pair = with_call()
    bad = CallCommand(
        method="calling.play",
        params={"play": {1, 2}},
        action="play",
        uses_control_id=True,
        control_id="ctl-1",
    )
    with pytest.raises(InvalidCommandError):
        pair.client.call_command("call-1", bad, now=pair.now)
    # ctl-1 was not left registered: a good command may use it.
    good = replace(commands.play_tts("x"), control_id="ctl-1")
    started = pair.client.call_command("call-1", good, now=pair.now)
    assert started.control_id == "ctl-1"
    pair.event(
        "calling.call.state", {"call_id": "call-1", "node_id": "node-1", "call_state": "ended"}
    )
    assert [c.control_id for c in pair.client_events_of(ActionCompleted)] == ["ctl-1"]


def test_reused_control_id_is_refused() -> None:
    pair = with_call()
    command = replace(commands.play_tts("a"), control_id="ctl-2")
    pair.client.call_command("call-1", command, now=pair.now)
    with pytest.raises(LocalProtocolError):
        pair.client.call_command("call-1", command, now=pair.now)


def test_get_call_snapshot() -> None:
    pair = with_call()
    info = pair.client.get_call("call-1")
    assert info is not None
    assert (info.call_id, info.node_id, info.context) == ("call-1", "node-1", "office")
    assert pair.client.get_call("other") is None


def test_domain_requests_are_sent_by_the_core() -> None:
    pair = ready_pair(max_active_calls=1)
    pair.event("calling.call.receive", RECEIVE)
    pair.event("calling.call.receive", {**RECEIVE, "call_id": "call-2"})
    assert isinstance(pair.client_events[-1], CallOverflow)
    passed = pair.expect_request("calling.pass")
    assert passed.params == {"node_id": "node-1", "call_id": "call-2"}
    pair.reply("calling.pass")
    # The domain's own request is not a request of the application's, but its outcome is
    # reported like any other (with the id the core gave it).
    assert pair.client_events_of(RequestSucceeded)[-1].method == "calling.pass"


# --------------------------------------------------------------------------- dial


def test_dial_generates_a_tag_and_sends_the_devices() -> None:
    pair = ready_pair()
    started = pair.client.dial([[DEVICE]], now=pair.now, max_duration=10, extra={"region": "us"})
    assert started == Started(request_id="req-3", tag="req-2")
    pair.pump()
    assert pair.expect_request("calling.dial").params == {
        "tag": "req-2",
        "devices": [[DEVICE]],
        "max_duration": 10,
        "region": "us",
    }


def test_dial_resolves_through_the_domain() -> None:
    pair = ready_pair()
    started = pair.client.dial([[DEVICE]], now=pair.now, tag="t-1")
    pair.pump()
    pair.reply("calling.dial", {"code": "200", "message": "Dialing"})
    pair.event(
        "calling.call.dial",
        {
            "tag": "t-1",
            "dial_state": "answered",
            "call": {"call_id": "won", "node_id": "n9", "tag": "t-1", "device": DEVICE},
        },
    )
    answered = pair.client_events_of(DialAnswered)
    assert [(a.tag, a.call.call_id) for a in answered] == [("t-1", "won")]
    assert started.tag == "t-1"


def test_dial_timeout_is_a_core_deadline() -> None:
    pair = ready_pair(ping_interval=1000)
    pair.client.dial([[DEVICE]], now=pair.now, tag="t-2", dial_timeout=20)
    pair.pump()
    pair.reply("calling.dial")
    assert pair.client.next_deadline() == pair.now + 20
    pair.advance(20)
    (failed,) = pair.client_events_of(DialFailed)
    assert failed.timed_out
    assert failed.message == "Dial timed out waiting for answer (tag=t-2)"


@pytest.mark.parametrize(
    "call",
    [
        lambda c, now: c.dial([], now=now),
        lambda c, now: c.dial([[]], now=now),
        lambda c, now: c.dial("devices", now=now),
        lambda c, now: c.dial([[{"params": {}}]], now=now),
        lambda c, now: c.dial([[DEVICE]], now=now, tag=""),
        lambda c, now: c.dial([[DEVICE]], now=now, dial_timeout=0),
        lambda c, now: c.dial([[DEVICE]], now=now, extra=["region"]),
    ],
)
def test_dial_validation(call: Any) -> None:
    pair = ready_pair()
    with pytest.raises(InvalidCommandError):
        call(pair.client, pair.now)
    pair.pump()
    assert pair.requests("calling.dial") == []


def test_dial_max_duration_is_the_services_to_judge() -> None:
    # Sent when truthy, as the official SDK does; a negative value is refused by the service.
    pair = ready_pair()
    pair.client.dial([[DEVICE]], now=pair.now, tag="t-3", max_duration=-5)
    pair.pump()
    assert pair.expect_request("calling.dial").params["max_duration"] == -5


def test_close_fails_pending_dials() -> None:
    pair = ready_pair()
    pair.client.dial([[DEVICE]], now=pair.now, tag="t-3")
    pair.pump()
    pair.reply("calling.dial")
    pair.client.close(pair.now)
    pair.pump()
    assert pair.client_events_of(DialFailed) == [
        DialFailed(tag="t-3", code=-1, message="Client disconnected")
    ]
    assert isinstance(pair.client_events[-1], TransportLost)


# --------------------------------------------------------------------------- messages


def test_send_message_context_defaults_to_protocol() -> None:
    pair = ready_pair()
    started = pair.client.send_message(
        now=pair.now, to_number="+2", from_number="+1", body="hi", tags=["t"]
    )
    pair.pump()
    request = pair.expect_request("messaging.send")
    assert request.request_id == started.request_id
    assert request.params == {
        "context": "signalwire_proto-1",
        "to_number": "+2",
        "from_number": "+1",
        "body": "hi",
        "tags": ["t"],
    }


def test_send_message_before_any_session_uses_default_context() -> None:
    pair = Pair()
    pair.client.send_message(
        now=pair.now, to_number="+2", from_number="+1", media=["https://m/x.png"]
    )
    pair.connect({"protocol": "signalwire_later"})
    assert pair.expect_request("messaging.send").params["context"] == "default"


def test_send_message_with_explicit_context_and_region() -> None:
    pair = ready_pair()
    pair.client.send_message(
        now=pair.now, to_number="+2", from_number="+1", body="b", context="office", region="eu"
    )
    pair.pump()
    params = pair.expect_request("messaging.send").params
    assert (params["context"], params["region"]) == ("office", "eu")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"to_number": "+2", "from_number": "+1"},
        {"to_number": "+2", "from_number": "+1", "body": "", "media": []},
    ],
)
def test_send_message_validation(kwargs: dict[str, Any]) -> None:
    pair = ready_pair()
    with pytest.raises(InvalidCommandError):
        pair.client.send_message(now=pair.now, **kwargs)
    with pytest.raises(ValueError):  # what the official SDK raises
        pair.client.send_message(now=pair.now, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "key", "value"),
    [
        ({"to_number": "", "from_number": "+1", "body": "x"}, "to_number", ""),
        ({"to_number": "+2", "from_number": "+1", "media": "https://one"}, "media", "https://one"),
    ],
)
def test_send_message_values_are_the_services_to_judge(
    kwargs: dict[str, Any], key: str, value: Any
) -> None:
    pair = ready_pair()
    pair.client.send_message(now=pair.now, **kwargs)
    pair.pump()
    assert pair.expect_request("messaging.send").params[key] == value
