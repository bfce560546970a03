"""Domain unit tests: the call registry, routing of events, plain call commands, robustness."""

from __future__ import annotations

from typing import Any

import pytest

from relay_proto import (
    ActionCompleted,
    CallCommand,
    CallEvent,
    CallInfo,
    CallOverflow,
    CallReceived,
    EventIgnored,
    LocalProtocolError,
    RelayEvent,
    UnroutedEvent,
)
from relay_proto._actions import CallRecord, CallRegistry
from relay_proto._constants import ENDED_CALL_MEMORY
from relay_proto._domain import Domain, Outgoing
from relay_proto._ids import counter_ids

from .test_domain_harness import Harness

RECEIVE = {
    "call_id": "call-1",
    "node_id": "node-1",
    "call_state": "created",
    "direction": "inbound",
    "context": "office",
    "tag": "",
    "device": {"type": "phone", "params": {"from_number": "+1555", "to_number": "+1666"}},
}


# --------------------------------------------------------------------------- inbound calls


def test_receive_registers_call_with_its_real_context() -> None:
    h = Harness()
    [ev] = h.feed("calling.call.receive", **RECEIVE, segment_id="seg-9")
    assert isinstance(ev, CallReceived)
    assert ev.event.event_type == "calling.call.receive"
    assert ev.call == CallInfo(
        call_id="call-1",
        node_id="node-1",
        project_id="proj-1",
        context="office",  # D16: not the session protocol
        tag="",
        direction="inbound",
        device=RECEIVE["device"],
        state="created",
        segment_id="seg-9",
    )
    assert h.domain.get_call("call-1") == ev.call
    assert h.domain.take_outgoing() == []


def test_receive_defaults_and_protocol_fallback() -> None:
    h = Harness()
    info = h.receive_call("c", "n", protocol="legacy-ctx", project_id="proj-from-event")
    assert info.direction == "inbound"
    assert info.state == "created"
    assert info.context == "legacy-ctx"
    assert info.project_id == "proj-from-event"
    assert info.device == {}


def test_receive_takes_announced_state_and_direction() -> None:
    h = Harness()
    info = h.receive_call("c", "n", call_state="ringing", direction="outbound")
    assert (info.state, info.direction) == ("ringing", "outbound")


def test_receive_of_an_already_ended_call_is_not_kept() -> None:
    h = Harness()
    info = h.receive_call("c", "n", call_state="ended")
    assert info.state == "ended"
    assert h.domain.get_call("c") is None
    [ev] = h.state("c", "ended")
    assert isinstance(ev, EventIgnored) and ev.reason == "call ended"


def test_duplicate_receive_is_ignored() -> None:
    h = Harness()
    h.receive_call()
    [ev] = h.feed("calling.call.receive", **RECEIVE)
    assert isinstance(ev, EventIgnored)
    assert ev.reason == "duplicate receive"
    assert ev.event.event_type == "calling.call.receive"


def test_receive_for_a_recently_ended_call_is_ignored() -> None:
    h = Harness()
    h.receive_call()
    h.end_call()
    [ev] = h.feed("calling.call.receive", **RECEIVE)
    assert isinstance(ev, EventIgnored) and ev.reason == "call ended"
    assert h.domain.get_call("call-1") is None


@pytest.mark.parametrize("call_id", [None, "", 5, ["x"]])
def test_receive_without_usable_call_id_is_ignored(call_id: Any) -> None:
    h = Harness()
    params = dict(RECEIVE)
    if call_id is None:
        del params["call_id"]
    else:
        params["call_id"] = call_id
    [ev] = h.feed("calling.call.receive", **params)
    assert isinstance(ev, EventIgnored) and ev.reason == "receive without call_id"


def test_inbound_call_over_the_limit_is_passed_back() -> None:
    h = Harness(max_active_calls=2)
    h.receive_call("a", "n")
    h.receive_call("b", "n")
    [ev] = h.feed("calling.call.receive", call_id="c", node_id="node-7", context="office")
    assert isinstance(ev, CallOverflow)
    assert ev.call.call_id == "c" and ev.call.context == "office"
    assert h.domain.get_call("c") is None
    [out] = h.domain.take_outgoing()
    assert (out.method, out.params) == ("calling.pass", {"node_id": "node-7", "call_id": "c"})
    assert h.domain.take_outgoing() == []
    # The pass request's outcome is of no interest to anyone: reported as it is.
    assert h.succeed(out, {"code": "200"}) == ({"code": "200"}, False)
    assert h.fail(out, 404) is None


def test_limit_frees_up_when_a_call_ends() -> None:
    h = Harness(max_active_calls=1)
    h.receive_call("a", "n")
    h.end_call("a")
    assert isinstance(h.feed("calling.call.receive", call_id="b", node_id="n")[0], CallReceived)


def test_limit_counts_dial_legs() -> None:
    h = Harness(max_active_calls=1)
    h.domain.prepare_dial(
        tag="t", devices=[[{}]], max_duration=None, dial_timeout=60, extra=None, now=h.now
    )
    h.state("leg", "created", tag="t", node_id="n")
    assert len(h.domain._calls) == 1
    [ev] = h.feed("calling.call.receive", call_id="in", node_id="n")
    assert isinstance(ev, CallOverflow)
    assert len(h.domain._calls) == 1


@pytest.mark.parametrize(("given", "effective"), [(0, 1), (-5, 1), (3, 3)])
def test_max_active_calls_minimum_is_one(given: int, effective: int) -> None:
    h = Harness(max_active_calls=given)
    for i in range(effective):
        assert isinstance(
            h.feed("calling.call.receive", call_id=f"c{i}", node_id="n")[0], CallReceived
        )
    assert isinstance(h.feed("calling.call.receive", call_id="x", node_id="n")[0], CallOverflow)


@pytest.mark.parametrize("bad", ["10", 1.5, True, None])
def test_max_active_calls_must_be_an_int(bad: Any) -> None:
    with pytest.raises(LocalProtocolError, match="max_active_calls"):
        Domain(emit=lambda e: None, id_factory=counter_ids(), max_active_calls=bad)


# --------------------------------------------------------------------------- call states


def test_state_events_update_the_call() -> None:
    h = Harness()
    h.receive_call()
    for state in ("ringing", "answered", "ending"):
        [ev] = h.state("call-1", state)
        assert isinstance(ev, CallEvent)
        assert ev.call_id == "call-1"
        assert ev.call_state == state
        assert ev.event.event_type == "calling.call.state"
        info = h.domain.get_call("call-1")
        assert info is not None and info.state == state


def test_state_event_without_call_state_keeps_the_state() -> None:
    h = Harness()
    h.receive_call()
    h.state("call-1", "answered")
    [ev] = h.feed("calling.call.state", call_id="call-1", call_state=7)
    assert isinstance(ev, CallEvent) and ev.call_state == "answered"


def test_state_event_fills_a_missing_node_id() -> None:
    h = Harness()
    h.receive_call("c", "")
    h.state("c", "ringing", node_id="node-late")
    info = h.domain.get_call("c")
    assert info is not None and info.node_id == "node-late"
    h.state("c", "answered", node_id="other")
    info = h.domain.get_call("c")
    assert info is not None and info.node_id == "node-late"


def test_ended_moves_the_call_out_and_later_events_are_ignored() -> None:
    h = Harness()
    h.receive_call()
    [ev] = h.end_call()
    assert isinstance(ev, CallEvent) and ev.call_state == "ended"
    assert h.domain.get_call("call-1") is None
    for et in ("calling.call.play", "calling.call.state", "calling.call.connect"):
        [late] = h.feed(et, call_id="call-1", control_id="x", state="finished")
        assert isinstance(late, EventIgnored) and late.reason == "call ended"


def test_ended_memory_is_bounded_fifo() -> None:
    h = Harness()
    for i in range(ENDED_CALL_MEMORY + 1):
        h.receive_call(f"c{i}", "n")
        h.end_call(f"c{i}")
    [oldest] = h.state("c0", "ended")
    assert isinstance(oldest, EventIgnored) and oldest.reason == "unknown call"
    [recent] = h.state("c1", "ended")
    assert isinstance(recent, EventIgnored) and recent.reason == "call ended"


def test_passed_calls_share_the_bounded_ended_memory() -> None:
    registry = CallRegistry(10)
    for i in range(ENDED_CALL_MEMORY + 1):
        record = CallRecord(call_id=f"c{i}", node_id="n")
        registry.add(record)
        registry.archive(record, RelayEvent("", {}), passed=i % 2 == 0)
    assert not registry.is_ended("c0") and not registry.was_passed("c0")
    assert registry.is_ended("c1") and not registry.was_passed("c1")
    assert registry.is_ended("c2") and registry.was_passed("c2")
    assert len(registry._passed) == ENDED_CALL_MEMORY // 2  # evicted with their calls
    registry.forget("c2")
    assert not registry.is_ended("c2") and not registry.was_passed("c2")


def test_calls_are_independent() -> None:
    h = Harness()
    h.receive_call("a", "n")
    h.receive_call("b", "n")
    h.state("a", "answered")
    a, b = h.domain.get_call("a"), h.domain.get_call("b")
    assert a is not None and b is not None
    assert (a.state, b.state) == ("answered", "created")


def test_event_types_without_typed_class_reach_tracked_calls() -> None:
    h = Harness()
    h.receive_call()
    [ev] = h.feed("calling.call.brand_new", call_id="call-1", foo=1)
    assert isinstance(ev, CallEvent)
    assert type(ev.event) is RelayEvent and ev.event.params == {"call_id": "call-1", "foo": 1}
    assert ev.call_state == "created"


# --------------------------------------------------------------------------- routing


def test_events_for_unknown_calls_are_ignored() -> None:
    h = Harness()
    for et in ("calling.call.state", "calling.call.play", "calling.call.brand_new"):
        [ev] = h.feed(et, call_id="nobody", call_state="answered")
        assert isinstance(ev, EventIgnored) and ev.reason == "unknown call"
    assert h.domain.get_call("nobody") is None


def test_call_scoped_event_without_call_id_is_ignored() -> None:
    h = Harness()
    [ev] = h.feed("calling.call.play", control_id="x", state="playing")
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown call"


@pytest.mark.parametrize(
    ("event_type", "params"),
    [
        ("calling.conference", {"conference_id": "conf-1", "status": "conference-start"}),
        ("calling.conference", {"conference_id": "conf-1", "call_id": "someone-else"}),
        ("calling.error", {"code": "5001", "message": "boom"}),
        ("calling.error", {"code": "5001", "call_id": "gone"}),
        ("calling.something_new", {"x": 1}),
        ("vendor.event", {}),
    ],
)
def test_events_that_may_interest_the_app_are_unrouted(
    event_type: str, params: dict[str, Any]
) -> None:
    h = Harness()
    [ev] = h.feed(event_type, **params)
    assert isinstance(ev, UnroutedEvent)
    assert ev.event.event_type == event_type
    assert ev.event.params == params


def test_conference_and_error_with_tracked_call_go_to_the_call() -> None:
    h = Harness()
    h.receive_call()
    [conf] = h.feed("calling.conference", call_id="call-1", conference_id="c", status="join")
    [err] = h.feed("calling.error", call_id="call-1", code="5001", message="m")
    assert isinstance(conf, CallEvent) and isinstance(err, CallEvent)
    assert type(conf.event).__name__ == "ConferenceEvent"
    assert type(err.event).__name__ == "CallingErrorEvent"


def test_typed_events_are_delivered() -> None:
    h = Harness()
    h.receive_call()
    [ev] = h.state("call-1", "answered")
    assert isinstance(ev, CallEvent)
    assert type(ev.event).__name__ == "CallStateEvent"
    assert ev.event.call_state == "answered"  # type: ignore[attr-defined]


def test_envelope_timestamp_is_used_when_inner_is_missing() -> None:
    h = Harness()
    h.receive_call()
    [ev] = h.feed_envelope(
        {
            "event_type": "calling.call.state",
            "timestamp": 1718035400.5,
            "params": {"call_id": "call-1", "call_state": "ringing"},
        }
    )
    assert isinstance(ev, CallEvent) and ev.event.timestamp == 1718035400.5


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        ({"params": {"call_id": "call-1"}}, "empty event_type"),
        ({"event_type": "", "params": {}}, "empty event_type"),
        ({"event_type": 5, "params": {}}, "empty event_type"),
        ({"event_type": None}, "empty event_type"),
        ({"event_type": "calling.call.state", "params": []}, "params is not an object"),
        ({"event_type": "calling.call.state", "params": "x"}, "params is not an object"),
        ({"event_type": "calling.call.receive", "params": None}, "params is not an object"),
    ],
)
def test_malformed_envelopes_are_ignored(envelope: dict[str, Any], reason: str) -> None:
    h = Harness()
    h.receive_call()
    [ev] = h.feed_envelope(envelope)
    assert isinstance(ev, EventIgnored) and ev.reason == reason
    assert isinstance(ev.event, RelayEvent)
    info = h.domain.get_call("call-1")
    assert info is not None and info.state == "created"


def test_non_dict_envelope_is_ignored() -> None:
    h = Harness()
    [ev] = h.feed_envelope(["not", "an", "object"])
    assert isinstance(ev, EventIgnored) and ev.reason == "envelope is not an object"


def test_missing_params_means_empty_params() -> None:
    h = Harness()
    [ev] = h.feed_envelope({"event_type": "calling.error"})
    assert isinstance(ev, UnroutedEvent) and ev.event.params == {}


@pytest.mark.parametrize(
    "params",
    [
        {"call_id": 5, "call_state": "ended"},
        {"call_id": None},
        {"call_id": ["call-1"]},
        {"call_id": {"id": "call-1"}},
    ],
)
def test_wrong_typed_call_id_counts_as_absent(params: dict[str, Any]) -> None:
    h = Harness()
    h.receive_call()
    [ev] = h.feed("calling.call.state", **params)
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown call"


def test_wrong_typed_receive_fields_use_defaults() -> None:
    h = Harness()
    info = h.receive_call(
        "c",
        5,  # node_id
        device=None,
        context=["x"],
        protocol=7,
        direction=1,
        call_state={},
        project_id=3,
        tag=None,
        segment_id=2.5,
    )
    assert info == CallInfo(
        call_id="c",
        node_id="",
        project_id="proj-1",
        context="",
        tag="",
        direction="inbound",
        device={},
        state="created",
        segment_id="",
    )


def test_wrong_typed_control_id_is_not_an_action() -> None:
    h = Harness()
    h.receive_call()
    h.start("play", "ctl")
    [ev] = h.feed("calling.call.play", call_id="call-1", control_id=["ctl"], state="finished")
    assert isinstance(ev, CallEvent)
    [ev, done] = h.feed("calling.call.play", call_id="call-1", control_id="ctl", state="finished")
    assert isinstance(done, ActionCompleted)


# --------------------------------------------------------------------------- plain commands


def test_plain_command_gets_node_and_call_ids() -> None:
    h = Harness()
    h.receive_call("c", "node-5")
    out = h.domain.prepare_call_command(
        "c", CallCommand(method="calling.end", params={"reason": "busy"}), None
    )
    assert isinstance(out, Outgoing)
    assert out.method == "calling.end"
    assert out.params == {"node_id": "node-5", "call_id": "c", "reason": "busy"}
    assert h.succeed(out, {"code": "200", "message": "ok"}) == (
        {"code": "200", "message": "ok"},
        False,
    )
    assert h.take() == []


def test_plain_command_does_not_carry_an_unasked_control_id() -> None:
    h = Harness()
    h.receive_call()
    out = h.domain.prepare_call_command("call-1", CallCommand(method="calling.answer"), "ctl")
    assert out is not None and "control_id" not in out.params


def test_control_id_command_without_action() -> None:
    h = Harness()
    h.receive_call()
    cmd = CallCommand(method="calling.send_digits", params={"digits": "1"}, uses_control_id=True)
    out = h.domain.prepare_call_command("call-1", cmd, "dig-1")
    assert out is not None
    assert out.params == {
        "node_id": "node-1",
        "call_id": "call-1",
        "digits": "1",
        "control_id": "dig-1",
    }
    # No action: its events are plain call events.
    [ev] = h.feed(
        "calling.call.send_digits", call_id="call-1", control_id="dig-1", state="finished"
    )
    assert isinstance(ev, CallEvent)
    with pytest.raises(LocalProtocolError, match="needs a control_id"):
        h.domain.prepare_call_command("call-1", cmd, None)


def test_extra_params_may_override_like_the_sdk() -> None:
    h = Harness()
    h.receive_call()
    cmd = CallCommand(method="calling.answer", params={"node_id": "forced"})
    out = h.domain.prepare_call_command("call-1", cmd, None)
    assert out is not None and out.params["node_id"] == "forced"


@pytest.mark.parametrize("code", [404, 410])
def test_plain_command_call_gone(code: int) -> None:
    h = Harness()
    h.receive_call()
    out = h.domain.prepare_call_command("call-1", CallCommand(method="calling.answer"), None)
    assert out is not None
    assert h.fail(out, code, "Call not found") == ({}, True)
    assert h.take() == []


@pytest.mark.parametrize("code", [400, 401, 409, 500, -1, -32600])
def test_plain_command_other_failures_are_reported(code: int) -> None:
    h = Harness()
    h.receive_call()
    out = h.domain.prepare_call_command("call-1", CallCommand(method="calling.answer"), None)
    assert out is not None
    assert h.fail(out, code) is None
    h.domain.request_timed_out(out.purpose, h.now)
    assert h.take() == []


def test_plain_command_empty_result_is_not_call_gone() -> None:
    h = Harness()
    h.receive_call()
    out = h.domain.prepare_call_command("call-1", CallCommand(method="calling.answer"), None)
    assert out is not None
    assert h.succeed(out, {}) == ({}, False)


def test_plain_command_on_ended_or_unknown_call_sends_nothing() -> None:
    h = Harness()
    h.receive_call()
    h.end_call()
    assert (
        h.domain.prepare_call_command("call-1", CallCommand(method="calling.answer"), None) is None
    )
    assert h.domain.prepare_call_command("zzz", CallCommand(method="calling.answer"), None) is None
    assert h.take() == []


def test_unknown_purpose_is_passed_through() -> None:
    h = Harness()
    assert h.domain.request_succeeded(object(), {"a": 1}, 0.0) == ({"a": 1}, False)
    assert h.domain.request_succeeded(None, {}, 0.0) == ({}, False)
    assert h.domain.request_failed(object(), 404, "x", 0.0) is None
    h.domain.request_timed_out(object(), 0.0)
    assert h.take() == []
