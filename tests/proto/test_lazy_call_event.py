"""``CallEvent.event`` is built when first read: the same object every time, equal to the eager
``parse_event`` of the envelope the server sent, for every event type and malformed envelopes.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import os
import pickle
import sys
import threading
from types import FrameType
from typing import Any

import pytest

import relay_proto
from relay_proto import (
    EVENT_CLASSES,
    ActionCompleted,
    CallEvent,
    CallReceived,
    PlayEvent,
    RelayEvent,
    commands,
    parse_event,
)
from relay_proto._conn_events import lazy_call_event

from .helpers import Pair

CALL = "call-1"
INBOUND = {
    "call_id": CALL,
    "node_id": "node-1",
    "call_state": "created",
    "direction": "inbound",
    "context": "office",
    "device": {"type": "phone", "params": {"from_number": "+1", "to_number": "+2"}},
}

# Every key some typed event reads, with a value of the right type...
WELL_TYPED: dict[str, Any] = {
    "node_id": "node-1",
    "control_id": "ctl-1",
    "state": "finished",
    "call_state": "answered",
    "end_reason": "hangup",
    "direction": "inbound",
    "device": {"type": "phone"},
    "tag": "t-1",
    "url": "https://example.test/r.wav",
    "duration": 3.5,
    "size": 4096,
    "record": {"url": "https://example.test/nested.wav", "duration": 2, "size": 10.0},
    "result": {"type": "digit", "params": {"digits": "12"}},
    "detect": {"type": "machine", "params": {"event": "HUMAN"}},
    "fax": {"type": "finished", "params": {"success": True}},
    "code": 5001,
    "message": "boom",
    "conference_id": "conf-1",
    "name": "room",
    "status": "joined",
    "message_id": "m-1",
    "body": "hello",
    "media": ["https://example.test/a.png", 5],
    "segments": 2.0,
    "tags": ["x", None],
    "reason": "busy",
    "peer": {"call_id": "other"},
    "connect_state": "connected",
    "timestamp": 1718035200,
}
# ...and the same keys with values of the wrong type (each reads as its field's default).
WRONG_TYPES: dict[str, Any] = {
    key: {"device": "not an object", "media": "not a list", "tags": {}, "segments": True}.get(
        key, [1] if key not in ("record", "result", "detect", "fax") else "nope"
    )
    for key in WELL_TYPED
}

EVENT_TYPES = [*EVENT_CLASSES, "calling.call.unknown_feature"]
# Types the domain handles itself (never a CallEvent).
SPECIAL = {"calling.call.receive", "calling.call.dial", "messaging.receive", "messaging.state"}
ROUTED = [et for et in EVENT_TYPES if et not in SPECIAL]

ENVELOPE_TIMESTAMPS: list[dict[str, Any]] = [
    {},  # no envelope timestamp
    {"timestamp": 1718035200.482},
    {"timestamp": 1718035200},  # an int
    {"timestamp": "yesterday"},  # the wrong type
]


def tracked_pair() -> Pair:
    pair = Pair()
    pair.connect()
    pair.event("calling.call.receive", INBOUND)
    assert pair.client_events_of(CallReceived)
    pair.take_client_events()
    return pair


def held_objects(event: CallEvent) -> list[Any]:
    """What ``event`` refers to, looking into the tuples and lists it holds."""
    held = []
    for obj in gc.get_referents(event):
        held.append(obj)
        if type(obj) in (tuple, list):
            held.extend(gc.get_referents(obj))
    return held


def send_envelope(pair: Pair, envelope: dict[str, Any]) -> tuple[CallEvent, dict[str, Any]]:
    """Send one event frame; returns the CallEvent and the envelope as the client decoded it."""
    frame = {"jsonrpc": "2.0", "id": "ev-1", "method": "signalwire.event", "params": envelope}
    pair.server.send_raw_text(json.dumps(frame))
    pair.pump()
    [event] = pair.take_client_events()
    assert isinstance(event, CallEvent), event
    decoded = pair.client_frames_in[-1]["params"]
    return event, decoded


@pytest.mark.parametrize("event_type", ROUTED)
@pytest.mark.parametrize("params", [WELL_TYPED, WRONG_TYPES], ids=["well-typed", "wrong-types"])
@pytest.mark.parametrize("outer", ENVELOPE_TIMESTAMPS, ids=["none", "float", "int", "str"])
def test_lazy_event_equals_the_eager_one(
    event_type: str, params: dict[str, Any], outer: dict[str, Any]
) -> None:
    pair = tracked_pair()
    inner = {**params, "call_id": CALL}
    if event_type == "calling.call.state":
        inner["call_state"] = "answered"  # keep the call tracked whatever the variant
    event, envelope = send_envelope(pair, {**outer, "event_type": event_type, "params": inner})
    assert event.event_type == event_type
    typed = event.event
    assert typed is event.event  # built once, then kept
    eager = parse_event(envelope)
    assert type(typed) is type(eager) is EVENT_CLASSES.get(event_type, RelayEvent)
    assert typed == eager


def test_inner_timestamp_wins_over_the_envelope_one() -> None:
    pair = tracked_pair()
    inner = {"call_id": CALL, "control_id": "c", "state": "playing", "timestamp": 12.5}
    event, envelope = send_envelope(
        pair, {"event_type": "calling.call.play", "params": inner, "timestamp": 99.0}
    )
    assert event.event.timestamp == 12.5 == parse_event(envelope).timestamp


def test_a_lazy_call_event_keeps_the_inner_params_not_the_frame() -> None:
    pair = tracked_pair()
    inner = {"call_id": CALL, "control_id": "c", "state": "playing"}
    event, envelope = send_envelope(
        pair,
        {"event_type": "calling.call.play", "event_channel": "ch", "timestamp": 1.0,
         "params": inner},
    )  # fmt: skip
    held = held_objects(event)
    dicts = [r for r in held if isinstance(r, dict)]
    assert dicts == [envelope["params"]]  # not the envelope, nor the JSON-RPC frame
    assert not any(isinstance(r, RelayEvent) for r in held)  # not built yet
    typed = event.event
    held = held_objects(event)
    assert typed in held and [r for r in held if isinstance(r, dict)] == []  # only the event


def test_a_lazy_call_event_behaves_as_a_dataclass() -> None:
    pair = tracked_pair()
    inner = {"call_id": CALL, "control_id": "c", "state": "playing"}
    envelope = {"event_type": "calling.call.play", "params": inner, "timestamp": 2.0}
    lazy, _ = send_envelope(pair, envelope)
    eager = CallEvent(call_id=CALL, event=parse_event(envelope), call_state="created")
    assert repr(lazy) == repr(eager)
    assert lazy == eager and eager == lazy
    assert [f.name for f in dataclasses.fields(lazy)] == ["call_id", "event", "call_state"]
    assert dataclasses.replace(lazy, call_state="answered").call_state == "answered"
    assert dataclasses.replace(lazy, call_state="answered").event is lazy.event
    assert pickle.loads(pickle.dumps(lazy)) == eager
    assert copy.copy(lazy).event is lazy.event
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy.event = eager.event  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy.call_state = "x"  # type: ignore[misc]


def test_pickling_a_lazy_call_event_builds_its_event() -> None:
    pair = tracked_pair()
    inner = {"call_id": CALL, "control_id": "c", "state": "finished"}
    lazy, envelope = send_envelope(pair, {"event_type": "calling.call.play", "params": inner})
    copied = pickle.loads(pickle.dumps(lazy))
    assert isinstance(copied.event, PlayEvent) and copied.event == parse_event(envelope)
    assert copied.event_type == "calling.call.play"


def test_event_type_of_a_call_event_built_by_hand() -> None:
    play = PlayEvent("calling.call.play", {"state": "playing"}, CALL, 1.0, state="playing")
    event = CallEvent(call_id=CALL, event=play, call_state="answered")
    assert event.event_type == "calling.call.play"
    assert event.event is play
    # Whatever is given as the event is the event, tuples included.
    odd = CallEvent(call_id=CALL, event=("a", {}, 1.0), call_state="x")  # type: ignore[arg-type]
    assert odd.event == ("a", {}, 1.0)  # type: ignore[comparison-overlap]
    assert odd == dataclasses.replace(odd)
    with pytest.raises(TypeError):
        CallEvent(call_id=CALL, call_state="answered")  # type: ignore[call-arg]


def test_completed_action_and_call_event_share_one_event() -> None:
    pair = tracked_pair()
    pair.client.call_command(CALL, commands.play_silence(1.0), now=pair.now)
    pair.pump()
    control_id = pair.expect_request("calling.play").params["control_id"]
    pair.reply("calling.play", {"code": "200", "control_id": control_id})
    pair.take_client_events()
    pair.event("calling.call.play", {"call_id": CALL, "control_id": control_id, "state": "playing"})
    pair.event(
        "calling.call.play", {"call_id": CALL, "control_id": control_id, "state": "finished"}
    )
    playing, finished, completed = pair.take_client_events()
    assert isinstance(playing, CallEvent) and isinstance(finished, CallEvent)
    assert isinstance(completed, ActionCompleted)
    assert completed.event is finished.event
    assert isinstance(playing.event, PlayEvent) and playing.event.state == "playing"


def test_the_ended_event_is_the_one_later_actions_complete_with() -> None:
    pair = tracked_pair()
    pair.event("calling.call.state", {**INBOUND, "call_state": "ended", "end_reason": "hangup"})
    [ended] = pair.take_client_events()
    assert isinstance(ended, CallEvent) and ended.call_state == "ended"
    pair.client.call_command(CALL, commands.play_silence(1.0), now=pair.now)
    pair.collect()
    [not_started] = pair.client_events_of(ActionCompleted)
    assert isinstance(not_started, ActionCompleted) and not_started.reason == "not_started"
    assert not_started.event is ended.event


def _read_with_a_rival_at_line(event: CallEvent, switch_at: int) -> tuple[Any, Any, bool]:
    """Read ``event.event`` in this thread; at the ``switch_at``-th line the core runs for that
    read, another thread reads it from start to end (a thread switch there, made certain).
    Returns (what this thread read, what the other read, whether the switch happened)."""
    core = os.path.dirname(relay_proto.__file__)
    rival: list[Any] = []
    lines = 0

    def trace_lines(frame: FrameType, what: str, arg: Any) -> Any:
        nonlocal lines
        if what == "line":
            if lines == switch_at:
                thread = threading.Thread(target=lambda: rival.append(event.event))
                thread.start()
                thread.join()
            lines += 1
        return trace_lines

    def trace_calls(frame: FrameType, what: str, arg: Any) -> Any:
        return trace_lines if frame.f_code.co_filename.startswith(core) else None

    # Put back the tracer that was there (coverage measures the suite with one).
    previous = sys.gettrace()
    sys.settrace(trace_calls)
    try:
        mine = event.event
    finally:
        sys.settrace(previous)
    return mine, (rival[0] if rival else None), bool(rival)


def test_two_threads_reading_the_event_first_get_the_same_object() -> None:
    switch_at = 0
    while True:
        params = {"call_id": CALL, "control_id": "c", "state": "playing"}
        event = lazy_call_event(CALL, "answered", "calling.call.play", params, 1.0)
        mine, rival, switched = _read_with_a_rival_at_line(event, switch_at)
        if not switched:
            break  # the read took fewer lines: every switch point was tried
        assert mine is rival is event.event, f"thread switch at line {switch_at}"
        switch_at += 1
    assert switch_at > 3
