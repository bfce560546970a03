"""Messaging: messaging.send tracking, messaging.state, inbound messaging.receive."""

from __future__ import annotations

from typing import Any

import pytest

from relay_proto import EventIgnored, MessageInfo, MessageReceived, MessageStateChanged, RelayEvent
from relay_proto._messages import MAX_TRACKED_MESSAGES, MessageTable, SendMessagePurpose

from .test_domain_harness import Harness

SEND = {"context": "office", "to_number": "+1002", "from_number": "+1001", "body": "hi"}


def send(h: Harness, message_id: Any = "msg-1", **params: Any) -> None:
    out = h.domain.prepare_send_message({**SEND, **params})
    result = {"code": "200", "message": "Message accepted"}
    if message_id is not None:
        result["message_id"] = message_id
    assert h.succeed(out, result) == (result, False)


def state(h: Harness, message_id: str, message_state: str, **params: Any) -> list[Any]:
    return h.feed("messaging.state", message_id=message_id, message_state=message_state, **params)


# --------------------------------------------------------------------------- send


def test_send_request() -> None:
    h = Harness()
    params = dict(SEND)
    out = h.domain.prepare_send_message(params)
    assert (out.method, out.params) == ("messaging.send", SEND)
    assert out.params is not params  # the caller's dict is not modified
    assert out.purpose == SendMessagePurpose("office")


@pytest.mark.parametrize("context", [None, "", 5])
def test_send_context_defaults_to_the_protocol(context: Any) -> None:
    h = Harness(relay_protocol="signalwire_abc")
    params = {k: v for k, v in SEND.items() if k != "context"}
    if context is not None:
        params["context"] = context
    out = h.domain.prepare_send_message(params)
    assert out.params["context"] == "signalwire_abc"
    assert "context" not in params or params["context"] == context


def test_send_context_defaults_to_default_without_protocol() -> None:
    h = Harness(relay_protocol="")
    out = h.domain.prepare_send_message({"to_number": "+1", "from_number": "+2", "body": "x"})
    assert out.params["context"] == "default"


def test_state_events_until_terminal() -> None:
    h = Harness()
    send(h)
    for s in ("queued", "initiated", "sent"):
        [ev] = state(h, "msg-1", s)
        assert isinstance(ev, MessageStateChanged)
        assert (ev.message_id, ev.state, ev.reason, ev.terminal) == ("msg-1", s, "", False)
    [ev] = state(h, "msg-1", "delivered", segments=1)
    assert isinstance(ev, MessageStateChanged) and ev.terminal and ev.state == "delivered"
    # The base event, as the SDK hands to message listeners.
    assert type(ev.event) is RelayEvent
    assert ev.event.event_type == "messaging.state"
    assert ev.event.params["segments"] == 1
    [late] = state(h, "msg-1", "delivered")
    assert isinstance(late, EventIgnored) and late.reason == "unknown message"


@pytest.mark.parametrize("terminal", ["delivered", "undelivered", "failed"])
def test_terminal_states(terminal: str) -> None:
    h = Harness()
    send(h)
    [ev] = state(h, "msg-1", terminal, reason="carrier_blocked")
    assert isinstance(ev, MessageStateChanged) and ev.terminal
    assert ev.reason == "carrier_blocked"
    assert "msg-1" not in h.domain._messages


def test_reason_and_state_carry_over() -> None:
    h = Harness()
    send(h)
    [ev] = state(h, "msg-1", "sent", reason="slow")
    assert isinstance(ev, MessageStateChanged) and ev.reason == "slow"
    [ev] = h.feed("messaging.state", message_id="msg-1")  # no state, no reason
    assert isinstance(ev, MessageStateChanged)
    assert (ev.state, ev.reason, ev.terminal) == ("sent", "slow", False)
    [ev] = h.feed("messaging.state", message_id="msg-1", message_state=3, reason=None)
    assert isinstance(ev, MessageStateChanged)
    assert (ev.state, ev.reason) == ("sent", "")


def test_initial_tracked_state_is_queued() -> None:
    h = Harness()
    send(h)
    [ev] = h.feed("messaging.state", message_id="msg-1")
    assert isinstance(ev, MessageStateChanged) and ev.state == "queued"


@pytest.mark.parametrize("message_id", [None, "", 5])
def test_send_without_message_id_is_not_tracked(message_id: Any) -> None:
    h = Harness()
    send(h, message_id)
    assert len(h.domain._messages) == 0
    [ev] = h.feed("messaging.state", message_id="", message_state="sent")
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown message"


def test_send_failure_tracks_nothing() -> None:
    h = Harness()
    out = h.domain.prepare_send_message(dict(SEND))
    assert h.fail(out, 400, "bad number") is None
    h.domain.request_timed_out(out.purpose, h.now)
    assert len(h.domain._messages) == 0
    assert h.take() == []


@pytest.mark.parametrize("message_id", ["unknown", 7, None])
def test_state_for_unknown_message_is_ignored(message_id: Any) -> None:
    h = Harness()
    send(h)
    [ev] = h.feed("messaging.state", message_id=message_id, message_state="sent")
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown message"


def test_tracked_messages_are_bounded_oldest_first() -> None:
    events: list[Any] = []
    table = MessageTable(events.append)
    for i in range(MAX_TRACKED_MESSAGES + 2):
        table.accepted({"message_id": f"m{i}"})
    assert len(table) == MAX_TRACKED_MESSAGES
    assert "m0" not in table and "m1" not in table
    assert "m2" in table and f"m{MAX_TRACKED_MESSAGES + 1}" in table
    # Accepting an id again refreshes it instead of growing the table.
    table.accepted({"message_id": "m2"})
    table.accepted({"message_id": "new"})
    assert "m2" in table and "m3" not in table
    assert events == []


# --------------------------------------------------------------------------- receive


def test_inbound_message() -> None:
    h = Harness()
    params = {
        "message_id": "in-42",
        "context": "office",
        "direction": "inbound",
        "from_number": "+1009",
        "to_number": "+1001",
        "body": "late",
        "media": ["https://m/1.png"],
        "segments": 1,
        "message_state": "received",
        "tags": ["SMS"],
    }
    [ev] = h.feed("messaging.receive", **params)
    assert isinstance(ev, MessageReceived)
    assert ev.message == MessageInfo(
        message_id="in-42",
        context="office",
        direction="inbound",
        from_number="+1009",
        to_number="+1001",
        body="late",
        media=["https://m/1.png"],
        segments=1,
        state="received",
        reason="",
        tags=["SMS"],
    )
    assert ev.event.event_type == "messaging.receive"
    # Inbound messages are not tracked.
    [ignored] = h.feed("messaging.state", message_id="in-42", message_state="delivered")
    assert isinstance(ignored, EventIgnored)


def test_inbound_message_defaults() -> None:
    h = Harness()
    [ev] = h.feed("messaging.receive")
    assert isinstance(ev, MessageReceived)
    assert ev.message == MessageInfo(direction="inbound", state="received")


def test_inbound_message_wrong_types_fall_back() -> None:
    h = Harness()
    [ev] = h.feed(
        "messaging.receive",
        message_id=5,
        context=None,
        direction=[],
        from_number={},
        to_number=1.5,
        body=False,
        media=["ok", 3, None, "ok2"],
        segments=True,
        message_state=0,
        reason=["x"],
        tags="SMS",
    )
    assert isinstance(ev, MessageReceived)
    assert ev.message == MessageInfo(
        direction="inbound", state="received", media=["ok", "ok2"], segments=0
    )


@pytest.mark.parametrize(("segments", "expected"), [(3, 3), ("3", 0), (2.0, 0), (None, 0)])
def test_inbound_segments(segments: Any, expected: int) -> None:
    h = Harness()
    [ev] = h.feed("messaging.receive", segments=segments)
    assert isinstance(ev, MessageReceived) and ev.message.segments == expected
