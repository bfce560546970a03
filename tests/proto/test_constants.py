"""Constants: the official SDK's names and values (checked by hand against signalwire-sdk 3.7.5,
written down here because the SDK is not installed in the project venv) plus our limits."""

from __future__ import annotations

import json

import pytest

import relay_proto
from relay_proto import _constants

# Every upper-case name of signalwire.relay.constants except AGENT_STRING (ours differs: D25).
SDK_CONSTANTS: list[tuple[str, object]] = [
    ("CALL_STATES", ("created", "ringing", "answered", "ending", "ended")),
    ("CALL_STATE_ANSWERED", "answered"),
    ("CALL_STATE_CREATED", "created"),
    ("CALL_STATE_ENDED", "ended"),
    ("CALL_STATE_ENDING", "ending"),
    ("CALL_STATE_RINGING", "ringing"),
    ("CONNECT_STATE_CONNECTED", "connected"),
    ("CONNECT_STATE_CONNECTING", "connecting"),
    ("CONNECT_STATE_DISCONNECTED", "disconnected"),
    ("CONNECT_STATE_FAILED", "failed"),
    ("DEFAULT_RELAY_HOST", "relay.signalwire.com"),
    ("DETECT_TYPE_DIGIT", "digit"),
    ("DETECT_TYPE_FAX", "fax"),
    ("DETECT_TYPE_MACHINE", "machine"),
    ("END_REASON_ABANDONED", "abandoned"),
    ("END_REASON_BUSY", "busy"),
    ("END_REASON_CANCEL", "cancel"),
    ("END_REASON_DECLINE", "decline"),
    ("END_REASON_ERROR", "error"),
    ("END_REASON_HANGUP", "hangup"),
    ("END_REASON_MAX_DURATION", "max_duration"),
    ("END_REASON_NOT_FOUND", "not_found"),
    ("END_REASON_NO_ANSWER", "noAnswer"),
    ("EVENT_AUTHORIZATION_STATE", "signalwire.authorization.state"),
    ("EVENT_CALLING_ERROR", "calling.error"),
    ("EVENT_CALL_COLLECT", "calling.call.collect"),
    ("EVENT_CALL_CONNECT", "calling.call.connect"),
    ("EVENT_CALL_DENOISE", "calling.call.denoise"),
    ("EVENT_CALL_DETECT", "calling.call.detect"),
    ("EVENT_CALL_DIAL", "calling.call.dial"),
    ("EVENT_CALL_ECHO", "calling.call.echo"),
    ("EVENT_CALL_FAX", "calling.call.fax"),
    ("EVENT_CALL_PAY", "calling.call.pay"),
    ("EVENT_CALL_PLAY", "calling.call.play"),
    ("EVENT_CALL_QUEUE", "calling.call.queue"),
    ("EVENT_CALL_RECEIVE", "calling.call.receive"),
    ("EVENT_CALL_RECORD", "calling.call.record"),
    ("EVENT_CALL_REFER", "calling.call.refer"),
    ("EVENT_CALL_SEND_DIGITS", "calling.call.send_digits"),
    ("EVENT_CALL_STATE", "calling.call.state"),
    ("EVENT_CALL_STREAM", "calling.call.stream"),
    ("EVENT_CALL_TAP", "calling.call.tap"),
    ("EVENT_CALL_TRANSCRIBE", "calling.call.transcribe"),
    ("EVENT_CONFERENCE", "calling.conference"),
    ("EVENT_MESSAGING_RECEIVE", "messaging.receive"),
    ("EVENT_MESSAGING_STATE", "messaging.state"),
    ("MESSAGE_STATE_DELIVERED", "delivered"),
    ("MESSAGE_STATE_FAILED", "failed"),
    ("MESSAGE_STATE_INITIATED", "initiated"),
    ("MESSAGE_STATE_QUEUED", "queued"),
    ("MESSAGE_STATE_RECEIVED", "received"),
    ("MESSAGE_STATE_SENT", "sent"),
    ("MESSAGE_STATE_UNDELIVERED", "undelivered"),
    ("MESSAGE_TERMINAL_STATES", ("delivered", "undelivered", "failed")),
    ("METHOD_SIGNALWIRE_CONNECT", "signalwire.connect"),
    ("METHOD_SIGNALWIRE_DISCONNECT", "signalwire.disconnect"),
    ("METHOD_SIGNALWIRE_EVENT", "signalwire.event"),
    ("METHOD_SIGNALWIRE_PING", "signalwire.ping"),
    ("METHOD_SIGNALWIRE_RECEIVE", "signalwire.receive"),
    ("METHOD_SIGNALWIRE_UNRECEIVE", "signalwire.unreceive"),
    ("PLAY_STATE_ERROR", "error"),
    ("PLAY_STATE_FINISHED", "finished"),
    ("PLAY_STATE_PAUSED", "paused"),
    ("PLAY_STATE_PLAYING", "playing"),
    ("PROTOCOL_VERSION", {"major": 2, "minor": 0, "revision": 0}),
    ("RECONNECT_BACKOFF_FACTOR", 2.0),
    ("RECONNECT_MAX_AUTH_ATTEMPTS", 3),
    ("RECONNECT_MAX_DELAY", 30.0),
    ("RECONNECT_MIN_DELAY", 1.0),
    ("RECORD_STATE_FINISHED", "finished"),
    ("RECORD_STATE_NO_INPUT", "no_input"),
    ("RECORD_STATE_PAUSED", "paused"),
    ("RECORD_STATE_RECORDING", "recording"),
    ("ROOM_STATE_JOIN", "join"),
    ("ROOM_STATE_JOINING", "joining"),
    ("ROOM_STATE_LEAVE", "leave"),
    ("ROOM_STATE_LEAVING", "leaving"),
]

OUR_CONSTANTS: list[tuple[str, object]] = [
    ("AGENT_STRING", "relay-sansio/0.1.0"),
    ("DEFAULT_REQUEST_TIMEOUT", 10.0),
    ("PING_INTERVAL", 30.0),
    ("MAX_MISSED_PINGS", 3),
    ("MAX_OFFLINE_QUEUE", 500),
    ("MAX_MESSAGE_SIZE", 10_485_760),
    ("DEFAULT_MAX_ACTIVE_CALLS", 1000),
    ("DEFAULT_DIAL_TIMEOUT", 120.0),
    ("ENDED_CALL_MEMORY", 1024),
    ("EVENT_ID_MEMORY", 1024),
    ("TIMED_OUT_DIAL_MEMORY", 256),
    ("DEAD_LINK_TIMEOUT", 20.0),
    ("EVENT_CALL_HOLD", "calling.call.hold"),
    ("EVENT_CALL_AI", "calling.call.ai"),
]


@pytest.mark.parametrize(("name", "value"), SDK_CONSTANTS + OUR_CONSTANTS)
def test_value(name: str, value: object) -> None:
    actual = getattr(_constants, name)
    assert actual == value
    assert type(actual) is type(value)
    assert getattr(relay_proto, name) is actual


def test_no_constant_missing_or_extra() -> None:
    expected = {name for name, _ in SDK_CONSTANTS + OUR_CONSTANTS}
    defined = {name for name in vars(_constants) if name.isupper()}
    assert defined == expected
    assert set(_constants.__all__) == expected
    assert len(_constants.__all__) == len(expected)
    assert set(_constants.__all__) <= set(relay_proto.__all__)


def test_protocol_version_serialises_as_a_json_object() -> None:
    # The session puts it in signalwire.connect as-is.
    assert json.loads(json.dumps({"version": _constants.PROTOCOL_VERSION})) == {
        "version": {"major": 2, "minor": 0, "revision": 0}
    }


def test_state_tuples_are_built_from_the_state_constants() -> None:
    c = _constants
    assert c.CALL_STATES == (
        c.CALL_STATE_CREATED,
        c.CALL_STATE_RINGING,
        c.CALL_STATE_ANSWERED,
        c.CALL_STATE_ENDING,
        c.CALL_STATE_ENDED,
    )
    assert c.MESSAGE_TERMINAL_STATES == (
        c.MESSAGE_STATE_DELIVERED,
        c.MESSAGE_STATE_UNDELIVERED,
        c.MESSAGE_STATE_FAILED,
    )


def test_every_typed_event_type_has_a_constant() -> None:
    event_types = {value for name, value in vars(_constants).items() if name.startswith("EVENT_")}
    assert set(relay_proto.EVENT_CLASSES) <= event_types
