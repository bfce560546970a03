"""RelayConnection: graceful drain, resume data carried into a new connection, and the context a
message went out on."""

from __future__ import annotations

import pytest

from relay_proto import (
    CallOverflow,
    CallReceived,
    InvalidCommandError,
    RequestSucceeded,
    SessionReady,
)

from .helpers import Pair


def _receive(pair: Pair, call_id: str) -> None:
    pair.event(
        "calling.call.receive",
        {"call_id": call_id, "node_id": "n1", "call_state": "created", "context": "office"},
    )


def test_drain_unreceives_every_context_and_passes_new_calls_back() -> None:
    pair = Pair(contexts=["office", "support"])
    pair.connect()
    _receive(pair, "c1")  # taken before the drain
    started = pair.client.drain(now=pair.now)
    pair.pump()
    unreceive = pair.expect_request("signalwire.unreceive")
    assert unreceive.params == {"contexts": ["office", "support"]}
    assert started.request_id == unreceive.request_id
    pair.reply("signalwire.unreceive")
    assert pair.client.contexts == ("office", "support")  # remembered for a later connection
    _receive(pair, "c2")  # arrives while draining
    passed = pair.expect_request("calling.pass")
    assert passed.params == {"node_id": "n1", "call_id": "c2"}
    overflow = pair.client_events_of(CallOverflow)
    assert [(o.call.call_id, o.reason) for o in overflow] == [("c2", "draining")]
    assert [r.call.call_id for r in pair.client_events_of(CallReceived)] == ["c1"]
    assert pair.client.get_call("c1") is not None  # the running call carries on


def test_drain_without_contexts_sends_nothing_but_still_refuses_calls() -> None:
    pair = Pair()
    pair.connect()
    assert pair.client.drain(now=pair.now).request_id is None
    assert pair.requests("signalwire.unreceive") == []
    _receive(pair, "c9")
    assert pair.client_events_of(CallOverflow)[0].reason == "draining"


def test_overflow_reason_is_the_limit_when_not_draining() -> None:
    pair = Pair(max_active_calls=1)
    pair.connect()
    _receive(pair, "c1")
    _receive(pair, "c2")
    assert [o.reason for o in pair.client_events_of(CallOverflow)] == ["max_active_calls"]


def test_a_new_connection_resumes_with_the_resume_data_it_is_given() -> None:
    first = Pair(contexts=["office"])
    first.connect({"protocol": "signalwire_abc", "identity": "i"})
    first.event("signalwire.authorization.state", {"authorization_state": "blob:tag"})
    first.client.close(first.now)
    second = Pair(
        contexts=first.client.contexts,
        protocol=first.client.relay_protocol,
        authorization_state=first.client.authorization_state,
    )
    request = second.connect(
        {"protocol": "signalwire_abc", "identity": "i", "session_restored": True}
    )
    assert request.params["protocol"] == "signalwire_abc"
    assert request.params["authorization_state"] == "blob:tag"
    assert request.params["contexts"] == ["office"]
    assert second.client_events_of(SessionReady)[0].resumed is True


def test_resume_data_must_be_strings() -> None:
    with pytest.raises(InvalidCommandError):
        Pair(protocol=5)


def test_send_message_reports_the_context_it_used() -> None:
    pair = Pair()
    pair.connect({"protocol": "signalwire_xyz"})
    default = pair.client.send_message(
        now=pair.now, to_number="+15550000002", from_number="+15550000001", body="hi"
    )
    explicit = pair.client.send_message(
        now=pair.now,
        to_number="+15550000002",
        from_number="+15550000001",
        body="hi",
        context="office",
    )
    pair.pump()
    assert default.context == "signalwire_xyz"
    assert explicit.context == "office"
    sent = [r.params["context"] for r in pair.requests("messaging.send")]
    assert sent == ["signalwire_xyz", "office"]
    pair.reply("messaging.send", {"code": "200", "message_id": "m1"})
    assert pair.client_events_of(RequestSucceeded)


def test_send_message_before_any_session_defaults_to_default() -> None:
    pair = Pair()
    started = pair.client.send_message(
        now=pair.now, to_number="+15550000002", from_number="+15550000001", body="hi"
    )
    assert started.context == "default"
