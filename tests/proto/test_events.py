"""Typed RELAY events: field sources, defaults, wrong-type robustness and dispatch."""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relay_proto
from relay_proto import (
    EVENT_CLASSES,
    CallingErrorEvent,
    CallReceiveEvent,
    CallStateEvent,
    CollectEvent,
    ConferenceEvent,
    ConnectEvent,
    DenoiseEvent,
    DetectEvent,
    DialEvent,
    EchoEvent,
    FaxEvent,
    HoldEvent,
    MessageReceiveEvent,
    MessageStateEvent,
    PayEvent,
    PlayEvent,
    QueueEvent,
    RecordEvent,
    ReferEvent,
    RelayEvent,
    SendDigitsEvent,
    StreamEvent,
    TapEvent,
    TranscribeEvent,
    _events,
    collect_result,
    parse_event,
)

BASE_FIELDS = ("event_type", "params", "call_id", "timestamp")

# (class, event_type, inner params, expected extra fields). The params hold every key the
# class reads, with values of the right type; call_id and timestamp are checked for all.
FULL_CASES: list[tuple[type[RelayEvent], str, dict[str, Any], dict[str, Any]]] = [
    (
        CallStateEvent,
        "calling.call.state",
        {"call_state": "ended", "end_reason": "busy", "direction": "outbound",
         "device": {"type": "phone"}},
        {"call_state": "ended", "end_reason": "busy", "direction": "outbound",
         "device": {"type": "phone"}},
    ),
    (
        CallReceiveEvent,
        "calling.call.receive",
        {"call_state": "created", "direction": "inbound", "device": {"type": "sip"},
         "node_id": "n-1", "project_id": "p-1", "context": "office", "protocol": "proto-x",
         "segment_id": "seg-1", "tag": "t-1"},
        {"call_state": "created", "direction": "inbound", "device": {"type": "sip"},
         "node_id": "n-1", "project_id": "p-1", "context": "office", "segment_id": "seg-1",
         "tag": "t-1"},
    ),
    (PlayEvent, "calling.call.play", {"control_id": "c-1", "state": "playing"},
     {"control_id": "c-1", "state": "playing"}),
    (
        RecordEvent,
        "calling.call.record",
        {"control_id": "c-2", "state": "finished", "url": "top.mp3", "duration": 1, "size": 1,
         "record": {"url": "nested.mp3", "duration": 4.5, "size": 4096}},
        {"control_id": "c-2", "state": "finished", "url": "nested.mp3", "duration": 4.5,
         "size": 4096, "record": {"url": "nested.mp3", "duration": 4.5, "size": 4096}},
    ),
    (
        CollectEvent,
        "calling.call.collect",
        {"control_id": "c-3", "state": "collecting", "final": False,
         "result": {"type": "digit", "params": {"digits": "12"}}},
        {"control_id": "c-3", "state": "collecting", "final": False,
         "result": {"type": "digit", "params": {"digits": "12"}, "digits": "12"}},
    ),
    (
        ConnectEvent,
        "calling.call.connect",
        {"connect_state": "connected", "peer": {"call_id": "peer-1"}},
        {"connect_state": "connected", "peer": {"call_id": "peer-1"}},
    ),
    (
        DetectEvent,
        "calling.call.detect",
        {"control_id": "c-4", "detect": {"type": "machine", "params": {"event": "HUMAN"}}},
        {"control_id": "c-4", "detect": {"type": "machine", "params": {"event": "HUMAN"}}},
    ),
    (FaxEvent, "calling.call.fax", {"control_id": "c-5", "fax": {"type": "page"}},
     {"control_id": "c-5", "fax": {"type": "page"}}),
    (
        TapEvent,
        "calling.call.tap",
        {"control_id": "c-6", "state": "tapping", "tap": {"type": "audio"},
         "device": {"type": "rtp"}},
        {"control_id": "c-6", "state": "tapping", "tap": {"type": "audio"},
         "device": {"type": "rtp"}},
    ),
    (
        StreamEvent,
        "calling.call.stream",
        {"control_id": "c-7", "state": "streaming", "url": "wss://x", "name": "s1"},
        {"control_id": "c-7", "state": "streaming", "url": "wss://x", "name": "s1"},
    ),
    (SendDigitsEvent, "calling.call.send_digits", {"control_id": "c-8", "state": "finished"},
     {"control_id": "c-8", "state": "finished"}),
    (
        DialEvent,
        "calling.call.dial",
        {"tag": "tag-1", "dial_state": "answered", "call": {"call_id": "leg-1"}},
        {"tag": "tag-1", "dial_state": "answered", "call": {"call_id": "leg-1"}},
    ),
    (
        ReferEvent,
        "calling.call.refer",
        {"state": "success", "sip_refer_to": "sip:a@b", "sip_refer_response_code": "202",
         "sip_notify_response_code": "200"},
        {"state": "success", "sip_refer_to": "sip:a@b", "sip_refer_response_code": "202",
         "sip_notify_response_code": "200"},
    ),
    (DenoiseEvent, "calling.call.denoise", {"denoised": True}, {"denoised": True}),
    (PayEvent, "calling.call.pay", {"control_id": "c-9", "state": "finished"},
     {"control_id": "c-9", "state": "finished"}),
    (
        QueueEvent,
        "calling.call.queue",
        {"control_id": "c-10", "status": "enqueue", "id": "q-1", "name": "support",
         "position": 3, "size": 7},
        {"control_id": "c-10", "status": "enqueue", "queue_id": "q-1", "queue_name": "support",
         "position": 3, "size": 7},
    ),
    (EchoEvent, "calling.call.echo", {"state": "echoing"}, {"state": "echoing"}),
    (
        TranscribeEvent,
        "calling.call.transcribe",
        {"control_id": "c-11", "state": "finished", "url": "https://t", "recording_id": "r-1",
         "duration": 12.25, "size": 2048},
        {"control_id": "c-11", "state": "finished", "url": "https://t", "recording_id": "r-1",
         "duration": 12.25, "size": 2048},
    ),
    (HoldEvent, "calling.call.hold", {"state": "hold"}, {"state": "hold"}),
    (
        ConferenceEvent,
        "calling.conference",
        {"conference_id": "conf-1", "name": "room", "status": "conference-start"},
        {"conference_id": "conf-1", "name": "room", "status": "conference-start"},
    ),
    (CallingErrorEvent, "calling.error", {"code": "5001", "message": "boom"},
     {"code": "5001", "message": "boom"}),
    (
        MessageReceiveEvent,
        "messaging.receive",
        {"message_id": "m-1", "context": "office", "direction": "inbound",
         "from_number": "+15551230009", "to_number": "+15551230001", "body": "hi",
         "media": ["https://m/1.png"], "segments": 1, "message_state": "received",
         "tags": ["SMS"]},
        {"message_id": "m-1", "context": "office", "direction": "inbound",
         "from_number": "+15551230009", "to_number": "+15551230001", "body": "hi",
         "media": ["https://m/1.png"], "segments": 1, "message_state": "received",
         "tags": ["SMS"]},
    ),
    (
        MessageStateEvent,
        "messaging.state",
        {"message_id": "m-2", "context": "office", "direction": "outbound",
         "from_number": "+1", "to_number": "+2", "body": "b", "media": [], "segments": 2,
         "message_state": "undelivered", "reason": "carrier_blocked", "tags": ["x", "y"]},
        {"message_id": "m-2", "context": "office", "direction": "outbound",
         "from_number": "+1", "to_number": "+2", "body": "b", "media": [], "segments": 2,
         "message_state": "undelivered", "reason": "carrier_blocked", "tags": ["x", "y"]},
    ),
]  # fmt: skip

# The official SDK's classes, field by field (name, default), in declaration order after the
# four base fields. Written down by hand from signalwire.relay.event (signalwire-sdk 3.7.5).
SDK_FIELDS: dict[str, list[tuple[str, Any]]] = {
    "CallStateEvent": [("call_state", ""), ("end_reason", ""), ("direction", ""), ("device", {})],
    "CallReceiveEvent": [
        ("call_state", ""), ("direction", ""), ("device", {}), ("node_id", ""),
        ("project_id", ""), ("context", ""), ("segment_id", ""), ("tag", ""),
    ],
    "PlayEvent": [("control_id", ""), ("state", "")],
    "RecordEvent": [
        ("control_id", ""), ("state", ""), ("url", ""), ("duration", 0.0), ("size", 0),
        ("record", {}),
    ],
    "CollectEvent": [("control_id", ""), ("state", ""), ("result", {}), ("final", None)],
    "ConnectEvent": [("connect_state", ""), ("peer", {})],
    "DetectEvent": [("control_id", ""), ("detect", {})],
    "FaxEvent": [("control_id", ""), ("fax", {})],
    "TapEvent": [("control_id", ""), ("state", ""), ("tap", {}), ("device", {})],
    "StreamEvent": [("control_id", ""), ("state", ""), ("url", ""), ("name", "")],
    "SendDigitsEvent": [("control_id", ""), ("state", "")],
    "DialEvent": [("tag", ""), ("dial_state", ""), ("call", {})],
    "ReferEvent": [
        ("state", ""), ("sip_refer_to", ""), ("sip_refer_response_code", ""),
        ("sip_notify_response_code", ""),
    ],
    "DenoiseEvent": [("denoised", False)],
    "PayEvent": [("control_id", ""), ("state", "")],
    "QueueEvent": [
        ("control_id", ""), ("status", ""), ("queue_id", ""), ("queue_name", ""),
        ("position", 0), ("size", 0),
    ],
    "EchoEvent": [("state", "")],
    "TranscribeEvent": [
        ("control_id", ""), ("state", ""), ("url", ""), ("recording_id", ""),
        ("duration", 0.0), ("size", 0),
    ],
    "HoldEvent": [("state", "")],
    "ConferenceEvent": [("conference_id", ""), ("name", ""), ("status", "")],
    "CallingErrorEvent": [("code", ""), ("message", "")],
    "MessageReceiveEvent": [
        ("message_id", ""), ("context", ""), ("direction", ""), ("from_number", ""),
        ("to_number", ""), ("body", ""), ("media", []), ("segments", 0), ("message_state", ""),
        ("tags", []),
    ],
    "MessageStateEvent": [
        ("message_id", ""), ("context", ""), ("direction", ""), ("from_number", ""),
        ("to_number", ""), ("body", ""), ("media", []), ("segments", 0), ("message_state", ""),
        ("reason", ""), ("tags", []),
    ],
}  # fmt: skip


def _extras(event: RelayEvent) -> dict[str, Any]:
    return {
        f.name: getattr(event, f.name)
        for f in dataclasses.fields(event)
        if f.name not in BASE_FIELDS
    }


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    assert f.default_factory is not dataclasses.MISSING
    return f.default_factory()


def _wrong(value: Any) -> Any:
    """A JSON value of a different type than ``value``."""
    if isinstance(value, str):
        return {"text": value}  # not a number either: codes accept ints
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return "7"
    if isinstance(value, dict):
        return ["x"]
    if isinstance(value, list):
        return "x"
    raise AssertionError(value)


# --------------------------------------------------------------------------- catalogue shape


def test_catalogue_matches_sdk_names_fields_order_and_defaults() -> None:
    assert len(EVENT_CLASSES) == 23
    assert {cls.__name__ for cls in EVENT_CLASSES.values()} == set(SDK_FIELDS)
    for cls in EVENT_CLASSES.values():
        fields = dataclasses.fields(cls)
        assert tuple(f.name for f in fields[:4]) == BASE_FIELDS
        assert [(f.name, _default(f)) for f in fields[4:]] == SDK_FIELDS[cls.__name__]


def test_event_classes_map_and_sdk_alias() -> None:
    assert [case[0] for case in FULL_CASES] == list(EVENT_CLASSES.values())
    for cls, event_type, _, _ in FULL_CASES:
        assert EVENT_CLASSES[event_type] is cls
    assert _events.EVENT_CLASS_MAP is EVENT_CLASSES
    assert "calling.call.ai" not in EVENT_CLASSES


def test_everything_is_exported() -> None:
    for name in _events.__all__:
        assert getattr(relay_proto, name) is getattr(_events, name)
        assert name in relay_proto.__all__


@pytest.mark.parametrize("cls", [RelayEvent, *EVENT_CLASSES.values()])
def test_frozen_and_slotted(cls: type[RelayEvent]) -> None:
    event = cls("x", {})
    assert not hasattr(event, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.call_id = "y"  # type: ignore[misc]


def test_relay_event_is_positional_compatible() -> None:
    event = RelayEvent("calling.call.play", {"a": 1}, "call-1", 2.5)
    assert (event.event_type, event.params, event.call_id, event.timestamp) == (
        "calling.call.play",
        {"a": 1},
        "call-1",
        2.5,
    )
    assert RelayEvent("", {}) == RelayEvent()
    assert PlayEvent("calling.call.play", {}, "c", 1.0, "ctl", "playing").state == "playing"


# --------------------------------------------------------------------------- field sources


@pytest.mark.parametrize(
    ("cls", "event_type", "params", "expected"), FULL_CASES, ids=[c[1] for c in FULL_CASES]
)
def test_full_payload(
    cls: type[RelayEvent], event_type: str, params: dict[str, Any], expected: dict[str, Any]
) -> None:
    inner = {"call_id": "call-1", "timestamp": 12.5, **params}
    payload = {"event_type": event_type, "params": inner, "timestamp": 99.0}
    for event in (parse_event(payload), cls.from_payload(payload)):
        assert type(event) is cls
        assert event.event_type == event_type
        if cls is CollectEvent:
            # The result also reads flat: params is a copy with that result (see below).
            assert event.params == {**inner, "result": expected["result"]}
        else:
            assert event.params is inner  # unmodelled keys stay reachable
        assert event.call_id == "call-1"
        assert event.timestamp == 12.5
        assert _extras(event) == expected


@pytest.mark.parametrize(("cls", "event_type"), [(c[0], c[1]) for c in FULL_CASES])
def test_missing_keys_give_defaults(cls: type[RelayEvent], event_type: str) -> None:
    event = parse_event({"event_type": event_type, "params": {}})
    assert type(event) is cls
    assert event == cls(event_type, {})
    assert (event.call_id, event.timestamp) == ("", 0.0)


@pytest.mark.parametrize(
    ("cls", "event_type", "params"), [c[:3] for c in FULL_CASES], ids=[c[1] for c in FULL_CASES]
)
def test_wrong_types_give_defaults(
    cls: type[RelayEvent], event_type: str, params: dict[str, Any]
) -> None:
    bad = {key: _wrong(value) for key, value in params.items()}
    if isinstance(bad.get("record"), list):
        # A wrong-typed nested record must not hide valid top-level values either.
        bad["record"] = {"url": 1, "duration": "x", "size": "y"}
    bad["call_id"] = 17
    bad["timestamp"] = "noon"
    event = parse_event({"event_type": event_type, "params": bad, "timestamp": [1]})
    assert type(event) is cls
    assert event.params is bad
    assert (event.call_id, event.timestamp) == ("", 0.0)
    expected = _extras(cls(event_type, {}))
    if cls is RecordEvent:
        expected["record"] = bad["record"]
    assert _extras(event) == expected


def test_record_falls_back_to_top_level_values() -> None:
    params = {"url": "top.mp3", "duration": 4, "size": 4096.0, "record": {"audio": {}}}
    event = parse_event({"event_type": "calling.call.record", "params": params})
    assert isinstance(event, RecordEvent)
    assert (event.url, event.duration, event.size) == ("top.mp3", 4.0, 4096)
    assert isinstance(event.duration, float)
    assert isinstance(event.size, int)
    assert event.record == {"audio": {}}


def test_record_nested_zero_values_win_over_top_level() -> None:
    params = {"url": "top", "duration": 4, "size": 4, "record": {"url": "", "duration": 0,
                                                               "size": 0}}  # fmt: skip
    event = parse_event({"event_type": "calling.call.record", "params": params})
    assert isinstance(event, RecordEvent)
    assert (event.url, event.duration, event.size) == ("", 0.0, 0)


def test_record_without_nested_record() -> None:
    event = parse_event(
        {"event_type": "calling.call.record", "params": {"url": "u", "duration": 1.5, "size": 9}}
    )
    assert isinstance(event, RecordEvent)
    assert (event.url, event.duration, event.size, event.record) == ("u", 1.5, 9, {})


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"context": "office", "protocol": "p"}, "office"),
        ({"protocol": "signalwire_abc"}, "signalwire_abc"),
        ({"context": None, "protocol": "signalwire_abc"}, "signalwire_abc"),
        ({"context": "", "protocol": "signalwire_abc"}, ""),
        ({"protocol": 3}, ""),
        ({}, ""),
    ],
)
def test_receive_context_falls_back_to_protocol(params: dict[str, Any], expected: str) -> None:
    event = parse_event({"event_type": "calling.call.receive", "params": params})
    assert isinstance(event, CallReceiveEvent)
    assert event.context == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [({}, None), ({"final": True}, True), ({"final": False}, False), ({"final": None}, None),
     ({"final": 0}, None), ({"final": "false"}, None)],
)  # fmt: skip
def test_collect_final_is_none_when_absent(params: dict[str, Any], expected: bool | None) -> None:
    event = parse_event({"event_type": "calling.call.collect", "params": params})
    assert isinstance(event, CollectEvent)
    assert event.final is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("202", "202"), (202, "202"), (0, "0"), (True, ""), (2.5, ""), (None, ""), ([], "")],
)
def test_codes_are_strings(value: object, expected: str) -> None:
    refer = parse_event(
        {"event_type": "calling.call.refer",
         "params": {"sip_refer_response_code": value, "sip_notify_response_code": value}}
    )  # fmt: skip
    assert isinstance(refer, ReferEvent)
    assert refer.sip_refer_response_code == expected
    assert refer.sip_notify_response_code == expected
    error = parse_event({"event_type": "calling.error", "params": {"code": value}})
    assert isinstance(error, CallingErrorEvent)
    assert error.code == expected


def test_huge_int_code_does_not_raise() -> None:
    event = parse_event({"event_type": "calling.error", "params": {"code": 10**5000}})
    assert isinstance(event, CallingErrorEvent)
    assert event.code == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), (3.0, 3), (3.5, 0), (math.inf, 0), (math.nan, 0), (True, 0), ("3", 0), (None, 0),
     (-1, -1)],
)  # fmt: skip
def test_integer_fields(value: object, expected: int) -> None:
    event = parse_event(
        {"event_type": "calling.call.queue", "params": {"position": value, "size": value}}
    )
    assert isinstance(event, QueueEvent)
    assert (event.position, event.size) == (expected, expected)
    assert type(event.position) is int


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2, 2.0), (2.5, 2.5), (True, 0.0), ("2", 0.0), (None, 0.0), (10**400, 0.0)],
)
def test_float_fields(value: object, expected: float) -> None:
    event = parse_event({"event_type": "calling.call.transcribe", "params": {"duration": value}})
    assert isinstance(event, TranscribeEvent)
    assert event.duration == expected
    assert type(event.duration) is float


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), (1, False), ("true", False)]
)
def test_denoised_is_a_strict_bool(value: object, expected: bool) -> None:
    event = parse_event({"event_type": "calling.call.denoise", "params": {"denoised": value}})
    assert isinstance(event, DenoiseEvent)
    assert event.denoised is expected


def test_message_lists_keep_only_strings_and_do_not_alias() -> None:
    media = ["a", 1, None, "b"]
    event = parse_event({"event_type": "messaging.state", "params": {"media": media}})
    assert isinstance(event, MessageStateEvent)
    assert event.media == ["a", "b"]
    assert event.media is not media
    assert event.tags == []


def test_dial_event_call_id_is_nested() -> None:
    event = parse_event(
        {"event_type": "calling.call.dial",
         "params": {"tag": "t", "dial_state": "answered", "call": {"call_id": "leg"}}}
    )  # fmt: skip
    assert isinstance(event, DialEvent)
    assert event.call_id == ""
    assert event.call == {"call_id": "leg"}


# --------------------------------------------------------------------------- timestamp (D17)


@pytest.mark.parametrize(
    ("inner", "envelope", "expected"),
    [
        (5.5, 9.0, 5.5),  # inner wins
        (0, 9.0, 0.0),  # present inner zero still wins
        (None, 9.0, 9.0),  # absent inner: the envelope's
        ("x", 9, 9.0),  # a wrong-typed inner counts as absent
        (None, None, 0.0),
        (None, "x", 0.0),
        (None, True, 0.0),
        (7, None, 7.0),
    ],
)
def test_timestamp_d17(inner: object, envelope: object, expected: float) -> None:
    params: dict[str, Any] = {} if inner is None else {"timestamp": inner}
    payload: dict[str, Any] = {"event_type": "calling.call.play", "params": params}
    if envelope is not None:
        payload["timestamp"] = envelope
    for event in (parse_event(payload), RelayEvent.from_payload(payload)):
        assert event.timestamp == expected
        assert type(event.timestamp) is float


# --------------------------------------------------------------------------- parse_event


def test_unknown_type_gives_base_event() -> None:
    params = {"call_id": "c-1", "control_id": "ai-1", "state": "finished"}
    event = parse_event({"event_type": "calling.call.ai", "params": params})
    assert type(event) is RelayEvent
    assert event == RelayEvent("calling.call.ai", params, "c-1", 0.0)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"params": []},
        {"event_type": None, "params": None},
        {"event_type": 5, "params": "x"},
        {"event_type": ["calling.call.play"]},
        {"event_type": {"a": 1}, "params": {}},
        [],  # not even a dict
        None,
    ],
)
def test_empty_or_malformed_envelope_gives_empty_event(payload: Any) -> None:
    event = parse_event(payload)
    assert type(event) is RelayEvent
    assert event == RelayEvent("", {}, "", 0.0)


@pytest.mark.parametrize("cls", [RelayEvent, *EVENT_CLASSES.values()])
def test_from_payload_with_non_dict_params(cls: type[RelayEvent]) -> None:
    event = cls.from_payload({"event_type": "e", "params": [1, 2], "timestamp": 3})
    assert type(event) is cls
    assert (event.event_type, event.params, event.call_id, event.timestamp) == ("e", {}, "", 3.0)


def test_known_type_with_non_dict_params() -> None:
    event = parse_event({"event_type": "calling.call.state", "params": []})
    assert event == CallStateEvent("calling.call.state", {})


# --------------------------------------------------------------------------- robustness

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_known_keys = st.sampled_from(
    sorted({key for _, _, params, _ in FULL_CASES for key in params}
           | {"call_id", "timestamp", "protocol", "url", "duration", "size"})
)  # fmt: skip
_inner = st.dictionaries(_known_keys | st.text(max_size=6), _json, max_size=12) | _json
_envelope = st.fixed_dictionaries(
    {},
    optional={
        "event_type": st.sampled_from([*EVENT_CLASSES, "calling.call.ai", ""]) | _json,
        "params": _inner,
        "timestamp": _json,
    },
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(payload=_envelope | st.dictionaries(st.text(max_size=8), _json, max_size=5))
def test_parse_event_never_raises(payload: dict[str, Any]) -> None:
    event = parse_event(payload)
    assert isinstance(event, RelayEvent)
    assert isinstance(event.event_type, str)
    assert isinstance(event.params, dict)
    assert isinstance(event.call_id, str)
    assert type(event.timestamp) is float
    event_type = payload.get("event_type")
    if isinstance(event_type, str):
        assert type(event) is EVENT_CLASSES.get(event_type, RelayEvent)
        assert event.event_type == event_type
    else:
        assert type(event) is RelayEvent
        assert event.event_type == ""
    for f in dataclasses.fields(event)[4:]:
        value = getattr(event, f.name)
        default = _default(f)
        if f.name == "final":
            assert value is None or isinstance(value, bool)
        else:
            assert type(value) is type(default), (f.name, value)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(payload=_envelope)
def test_parse_event_does_not_modify_its_input(payload: dict[str, Any]) -> None:
    before = copy.deepcopy(payload)
    parse_event(payload)
    assert repr(payload) == repr(before)  # repr: nan != nan would defeat ==


def test_examples_from_the_brief() -> None:
    state = parse_event({"event_type": "calling.call.state", "params": {"device": 5}})
    assert isinstance(state, CallStateEvent)
    assert state.device == {}
    message = parse_event({"event_type": "messaging.receive", "params": {"segments": "x"}})
    assert isinstance(message, MessageReceiveEvent)
    assert message.segments == 0


# --------------------------------------------------------------------------- collect results


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        # The wire shape: the params' keys are added flat (the public docs read them there).
        ({"type": "digit", "params": {"digits": "42", "terminator": "#"}},
         {"type": "digit", "params": {"digits": "42", "terminator": "#"}, "digits": "42",
          "terminator": "#"}),
        ({"type": "speech", "params": {"text": "sales please", "confidence": 0.93}},
         {"type": "speech", "params": {"text": "sales please", "confidence": 0.93},
          "text": "sales please", "confidence": 0.93}),
        # A key the result already has is never replaced by the nested one.
        ({"type": "digit", "params": {"type": "x", "digits": "1"}},
         {"type": "digit", "params": {"type": "x", "digits": "1"}, "digits": "1"}),
        # A flat result (as the docs write it) gains the nested shape.
        ({"type": "digit", "digits": "7"},
         {"type": "digit", "digits": "7", "params": {"digits": "7"}}),
        # Nothing to add: the same dict.
        ({"type": "no_input"}, {"type": "no_input"}),
        ({"type": "no_input", "params": {}}, {"type": "no_input", "params": {}}),
        ({"type": "digit", "params": "bad"}, {"type": "digit", "params": "bad"}),
        ({}, {}),
    ],
)  # fmt: skip
def test_collect_result_reads_nested_and_flat(
    wire: dict[str, Any], expected: dict[str, Any]
) -> None:
    inner = {"control_id": "c-1", "final": True, "result": wire}
    before = copy.deepcopy(inner)
    event = parse_event({"event_type": "calling.call.collect", "params": inner})
    assert isinstance(event, CollectEvent)
    assert event.result == expected
    assert event.params["result"] == expected
    assert event.params.get("result", {}).get("params", {}) == expected.get("params", {})
    assert inner == before  # the frame's dicts are not modified
    if expected == wire:
        assert event.params is inner and event.result is wire
    else:
        assert event.params is not inner and event.params["control_id"] == "c-1"
    assert collect_result(wire) == expected


def test_documented_reads_of_a_collect_result() -> None:
    digits = parse_event(
        {"event_type": "calling.call.collect",
         "params": {"result": {"type": "digit", "params": {"digits": "2", "terminator": "#"}}}}
    )  # fmt: skip
    # As the public docs read it, and as the SDK's own examples read it.
    assert digits.params.get("result", {}).get("digits", "") == "2"
    assert digits.params["result"]["params"]["digits"] == "2"
    speech = parse_event(
        {"event_type": "calling.call.collect",
         "params": {"result": {"type": "speech", "params": {"text": "hi", "confidence": 0.5}}}}
    )  # fmt: skip
    assert isinstance(speech, CollectEvent)
    assert (speech.result["text"], speech.result["confidence"]) == ("hi", 0.5)
