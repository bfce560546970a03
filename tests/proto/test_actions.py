"""Actions: completion rules of every kind, the start request's outcomes, and the call's end."""

from __future__ import annotations

from typing import Any

import pytest

from relay_proto import ActionCompleted, CallCommand, CallEvent, LocalProtocolError, RelayEvent
from relay_proto._actions import ACTION_KINDS, action_completes

from .test_domain_harness import ACTION_METHODS, Harness, action_command

P = "calling.call.play"
R = "calling.call.record"
C = "calling.call.collect"
D = "calling.call.detect"
F = "calling.call.fax"

# (kind, event_type, inner params besides call_id/control_id, completes?)
RULES: list[tuple[str, str, dict[str, Any], bool]] = [
    # play: calling.call.play finished/error
    ("play", P, {"state": "finished"}, True),
    ("play", P, {"state": "error"}, True),
    ("play", P, {"state": "playing"}, False),
    ("play", P, {"state": "paused"}, False),
    ("play", P, {}, False),
    ("play", P, {"state": 1}, False),
    ("play", R, {"state": "finished"}, False),  # D12: not its own event type
    ("play", C, {"state": "finished"}, False),
    # record: finished/no_input
    ("record", R, {"state": "finished", "url": "u"}, True),
    ("record", R, {"state": "no_input"}, True),
    ("record", R, {"state": "recording"}, False),
    ("record", R, {"state": "error"}, False),
    ("record", P, {"state": "finished"}, False),
    # detect: first non-empty detect object, or state finished/error
    ("detect", D, {"detect": {"type": "machine", "params": {"event": "HUMAN"}}}, True),
    ("detect", D, {"detect": {"type": "digit"}}, True),
    ("detect", D, {"state": "finished"}, True),
    ("detect", D, {"state": "error"}, True),
    ("detect", D, {"detect": {}}, False),
    ("detect", D, {"detect": "HUMAN"}, False),  # not an object
    ("detect", D, {"state": "detecting"}, False),
    ("detect", P, {"detect": {"type": "fax"}, "state": "finished"}, False),
    # collect: result or terminal state, never a partial (final: false)
    ("collect", C, {"result": {"type": "digit", "params": {"digits": "1"}}}, True),
    ("collect", C, {"result": {"type": "digit"}, "final": True}, True),
    ("collect", C, {"result": {"type": "speech"}, "final": None}, True),
    ("collect", C, {"result": {"type": "speech"}, "final": False}, False),
    ("collect", C, {"state": "error", "final": False}, False),
    ("collect", C, {"state": "finished"}, True),
    ("collect", C, {"state": "error"}, True),
    ("collect", C, {"state": "no_input"}, True),
    ("collect", C, {"state": "no_match"}, True),
    ("collect", C, {"state": "collecting"}, False),
    ("collect", C, {"result": {}}, False),
    ("collect", C, {"result": "1234"}, False),
    ("collect", P, {"state": "finished"}, False),
    ("collect", P, {"result": {"type": "digit"}}, False),
    # play_and_collect: same rule, and its prompt's play events never count
    ("play_and_collect", C, {"result": {"type": "digit"}, "final": True}, True),
    ("play_and_collect", C, {"state": "no_input"}, True),
    ("play_and_collect", C, {"result": {"type": "speech"}, "final": False}, False),
    ("play_and_collect", P, {"state": "finished"}, False),
    ("play_and_collect", P, {"state": "error"}, False),
    # fax: top-level state or fax.type finished/error (D13)
    ("send_fax", F, {"state": "finished"}, True),
    ("send_fax", F, {"state": "error"}, True),
    ("send_fax", F, {"fax": {"type": "finished", "params": {"success": True}}}, True),
    ("send_fax", F, {"fax": {"type": "error"}}, True),
    ("send_fax", F, {"fax": {"type": "page"}}, False),
    ("send_fax", F, {"fax": "finished"}, False),
    ("send_fax", F, {"fax": {"type": 3}}, False),
    ("send_fax", P, {"state": "finished"}, False),
    ("receive_fax", F, {"fax": {"type": "finished"}}, True),
    ("receive_fax", F, {"state": "error"}, True),
    ("receive_fax", F, {"fax": {"type": "page"}}, False),
    # tap: finished
    ("tap", "calling.call.tap", {"state": "finished"}, True),
    ("tap", "calling.call.tap", {"state": "tapping"}, False),
    ("tap", "calling.call.tap", {"state": "error"}, False),
    ("tap", "calling.call.stream", {"state": "finished"}, False),
    # stream: finished or error
    ("stream", "calling.call.stream", {"state": "finished"}, True),
    ("stream", "calling.call.stream", {"state": "error"}, True),
    ("stream", "calling.call.stream", {"state": "streaming"}, False),
    ("stream", "calling.call.tap", {"state": "finished"}, False),
    # pay: finished/error
    ("pay", "calling.call.pay", {"state": "finished"}, True),
    ("pay", "calling.call.pay", {"state": "error"}, True),
    ("pay", "calling.call.pay", {"state": "collecting"}, False),
    ("pay", P, {"state": "finished"}, False),
    # transcribe: finished
    ("transcribe", "calling.call.transcribe", {"state": "finished"}, True),
    ("transcribe", "calling.call.transcribe", {"state": "error"}, False),
    ("transcribe", "calling.call.record", {"state": "finished"}, False),
    # ai: finished/error
    ("ai", "calling.call.ai", {"state": "finished"}, True),
    ("ai", "calling.call.ai", {"state": "error"}, True),
    ("ai", "calling.call.ai", {"state": "running"}, False),
    ("ai", P, {"state": "finished"}, False),
]


def test_every_kind_has_rules_in_the_table() -> None:
    assert {kind for kind, *_ in RULES} == ACTION_KINDS == set(ACTION_METHODS)


@pytest.mark.parametrize(("kind", "event_type", "params", "completes"), RULES)
def test_completion_rule(
    kind: str, event_type: str, params: dict[str, Any], completes: bool
) -> None:
    assert action_completes(kind, event_type, params) is completes


@pytest.mark.parametrize(("kind", "event_type", "params", "completes"), RULES)
def test_completion_through_the_domain(
    kind: str, event_type: str, params: dict[str, Any], completes: bool
) -> None:
    h = Harness()
    h.receive_call()
    out = h.start(kind, "ctl-1")
    assert out is not None
    assert out.method == ACTION_METHODS[kind]
    assert out.params["control_id"] == "ctl-1"
    assert h.succeed(out) == ({"code": "200", "message": "OK"}, False)
    events = h.feed(event_type, call_id="call-1", control_id="ctl-1", **params)
    assert isinstance(events[0], CallEvent)
    assert events[0].event.event_type == event_type
    if completes:
        assert len(events) == 2
        done = events[1]
        assert isinstance(done, ActionCompleted)
        assert (done.call_id, done.control_id, done.reason) == ("call-1", "ctl-1", "event")
        assert done.event is events[0].event
        # Unregistered: the same event again only reaches the call.
        [again] = h.feed(event_type, call_id="call-1", control_id="ctl-1", **params)
        assert isinstance(again, CallEvent)
    else:
        assert len(events) == 1
        # Still pending: the call's end completes it.
        [_, ended] = h.end_call()
        assert isinstance(ended, ActionCompleted) and ended.reason == "call_ended"


def test_unknown_kind_never_completes() -> None:
    assert action_completes("juggle", P, {"state": "finished"}) is False


def test_detect_completes_on_first_result_only() -> None:
    h = Harness()
    h.receive_call()
    h.start("detect", "amd")
    machine = {"detect": {"type": "machine", "params": {"event": "MACHINE"}}}
    [_, done] = h.feed(D, call_id="call-1", control_id="amd", **machine)
    assert isinstance(done, ActionCompleted) and done.event.params["detect"] == machine["detect"]
    ready = {"detect": {"type": "machine", "params": {"event": "READY"}}}
    [later] = h.feed(D, call_id="call-1", control_id="amd", **ready)
    assert isinstance(later, CallEvent)
    [fin] = h.feed(D, call_id="call-1", control_id="amd", state="finished")
    assert isinstance(fin, CallEvent)


def test_partial_collect_results_then_final() -> None:
    h = Harness()
    h.receive_call()
    h.start("collect", "col", speech={"end_silence_timeout": 1}, partial_results=True)
    for text in ("hel", "hello wor"):
        [ev] = h.feed(
            C,
            call_id="call-1",
            control_id="col",
            final=False,
            result={"type": "speech", "params": {"text": text}},
        )
        assert isinstance(ev, CallEvent)
    [_, done] = h.feed(
        C,
        call_id="call-1",
        control_id="col",
        final=True,
        result={"type": "speech", "params": {"text": "hello world"}},
    )
    assert isinstance(done, ActionCompleted)
    assert done.event.params["result"]["params"]["text"] == "hello world"


def test_play_and_collect_ignores_its_prompt_events() -> None:
    h = Harness()
    h.receive_call()
    h.start("play_and_collect", "pc", play=[{"type": "tts", "params": {"text": "menu"}}])
    [ev] = h.feed(P, call_id="call-1", control_id="pc", state="playing")
    [ev2] = h.feed(P, call_id="call-1", control_id="pc", state="finished")
    assert isinstance(ev, CallEvent) and isinstance(ev2, CallEvent)
    [_, done] = h.feed(
        C, call_id="call-1", control_id="pc", result={"type": "digit", "params": {"digits": "2"}}
    )
    assert isinstance(done, ActionCompleted) and done.event.event_type == C


def test_concurrent_actions_complete_independently() -> None:
    h = Harness()
    h.receive_call()
    h.start("play", "p1")
    h.start("play", "p2")
    h.start("record", "r1")
    [_, d2] = h.feed(P, call_id="call-1", control_id="p2", state="finished")
    assert isinstance(d2, ActionCompleted) and d2.control_id == "p2"
    [_, d1] = h.feed(P, call_id="call-1", control_id="p1", state="error")
    assert isinstance(d1, ActionCompleted) and d1.control_id == "p1"
    [_, ended] = h.end_call()
    assert isinstance(ended, ActionCompleted) and ended.control_id == "r1"


def test_control_id_is_scoped_to_its_call() -> None:
    h = Harness()
    h.receive_call("a", "n")
    h.receive_call("b", "n")
    h.start("play", "same", call_id="a")
    h.start("play", "same", call_id="b")
    [_, done] = h.feed(P, call_id="b", control_id="same", state="finished")
    assert isinstance(done, ActionCompleted) and done.call_id == "b"
    [ev] = h.feed(P, call_id="b", control_id="same", state="finished")
    assert isinstance(ev, CallEvent)
    [_, done_a] = h.feed(P, call_id="a", control_id="same", state="finished")
    assert isinstance(done_a, ActionCompleted) and done_a.call_id == "a"


def test_event_for_unknown_control_id_is_just_a_call_event() -> None:
    h = Harness()
    h.receive_call()
    [ev] = h.feed(P, call_id="call-1", control_id="never-started", state="finished")
    assert isinstance(ev, CallEvent)


def test_terminal_event_before_the_reply_completes_the_action() -> None:
    # Registered before sending: an event racing the reply is not lost.
    h = Harness()
    h.receive_call()
    out = h.start("play", "fast")
    assert out is not None
    [_, done] = h.feed(P, call_id="call-1", control_id="fast", state="finished")
    assert isinstance(done, ActionCompleted)
    assert h.succeed(out) == ({"code": "200", "message": "OK"}, False)
    assert h.take() == []


# --------------------------------------------------------------------------- the call ends


def test_call_end_completes_every_pending_action_in_order() -> None:
    h = Harness()
    h.receive_call()
    for kind, cid in (("play", "a"), ("record", "b"), ("detect", "c"), ("ai", "d")):
        h.start(kind, cid)
    h.feed(R, call_id="call-1", control_id="b", state="finished")
    events = h.end_call()
    call_event = events[0]
    assert isinstance(call_event, CallEvent) and call_event.call_state == "ended"
    completions = events[1:]
    assert [c.control_id for c in completions] == ["a", "c", "d"]  # type: ignore[attr-defined]
    for c in completions:
        assert isinstance(c, ActionCompleted)
        assert c.reason == "call_ended"
        assert c.event is call_event.event


def test_ended_state_event_naming_an_action_ends_it_as_call_ended() -> None:
    # A state event is no action's own event type (D12), even if it carries a control_id: the
    # action completes because the call ended, after the CallEvent.
    h = Harness()
    h.receive_call()
    h.start("play", "p")
    events = h.feed("calling.call.state", call_id="call-1", call_state="ended", control_id="p")
    assert [type(e).__name__ for e in events] == ["CallEvent", "ActionCompleted"]
    assert events[1].reason == "call_ended"  # type: ignore[attr-defined]


def test_late_terminal_event_after_end_is_ignored() -> None:
    h = Harness()
    h.receive_call()
    h.start("record", "r")
    h.end_call()
    [ev] = h.feed(R, call_id="call-1", control_id="r", state="finished")
    assert ev.reason == "call ended"  # type: ignore[attr-defined]


def test_action_on_ended_call_completes_at_once_with_the_ended_event() -> None:
    h = Harness()
    h.receive_call()
    [ended] = h.end_call()
    assert isinstance(ended, CallEvent)
    assert h.start("play", "late") is None
    [done] = h.take()
    assert isinstance(done, ActionCompleted)
    assert (done.call_id, done.control_id, done.reason) == ("call-1", "late", "not_started")
    assert done.event is ended.event


def test_action_on_unknown_call_completes_with_an_empty_event() -> None:
    h = Harness()
    assert h.start("play", "x", call_id="ghost") is None
    [done] = h.take()
    assert isinstance(done, ActionCompleted)
    assert done.reason == "not_started"
    assert done.event == RelayEvent("", {})


# --------------------------------------------------------------------------- start outcome


@pytest.mark.parametrize("code", [404, 410])
def test_start_failing_with_call_gone(code: int) -> None:
    h = Harness()
    h.receive_call()
    out = h.start("play", "p")
    assert out is not None
    assert h.fail(out, code, "Call does not exist") == ({}, True)
    [done] = h.take()
    assert isinstance(done, ActionCompleted)
    assert (done.control_id, done.reason) == ("p", "call_gone")
    assert done.event == RelayEvent("", {})
    [ev] = h.feed(P, call_id="call-1", control_id="p", state="finished")
    assert isinstance(ev, CallEvent)
    [_] = h.end_call()  # nothing left pending


def test_start_with_empty_result_means_call_gone() -> None:
    h = Harness()
    h.receive_call()
    out = h.start("record", "r")
    assert out is not None
    assert h.succeed(out, {}) == ({}, True)
    [done] = h.take()
    assert isinstance(done, ActionCompleted) and done.reason == "call_gone"


def test_call_gone_after_completion_emits_nothing_more() -> None:
    h = Harness()
    h.receive_call()
    out = h.start("play", "p")
    assert out is not None
    h.feed(P, call_id="call-1", control_id="p", state="finished")
    assert h.fail(out, 404) == ({}, True)
    assert h.take() == []


@pytest.mark.parametrize("code", [400, 409, 500, -1])
def test_start_failure_unregisters(code: int) -> None:
    h = Harness()
    h.receive_call()
    out = h.start("play", "p")
    assert out is not None
    assert h.fail(out, code, "bad") is None
    assert h.take() == []
    [ev] = h.feed(P, call_id="call-1", control_id="p", state="finished")
    assert isinstance(ev, CallEvent)
    assert h.end_call()[1:] == []
    # The control id can be reused once it is free.
    h2 = Harness()
    h2.receive_call()
    out2 = h2.start("play", "p")
    assert out2 is not None and h2.fail(out2, code) is None
    assert h2.start("play", "p") is not None


def test_start_timeout_unregisters() -> None:
    h = Harness()
    h.receive_call()
    out = h.start("tap", "t")
    assert out is not None
    h.domain.request_timed_out(out.purpose, h.now)
    assert h.take() == []
    assert h.end_call()[1:] == []


def test_outcome_after_the_call_ended_is_harmless() -> None:
    h = Harness()
    h.receive_call()
    out = h.start("play", "p")
    assert out is not None
    h.end_call()
    assert h.fail(out, 500) is None
    assert h.fail(out, 404) == ({}, True)
    assert h.succeed(out, {}) == ({}, True)
    h.domain.request_timed_out(out.purpose, h.now)
    assert h.take() == []


# --------------------------------------------------------------------------- misuse


def test_duplicate_pending_control_id_is_refused() -> None:
    h = Harness()
    h.receive_call()
    h.start("play", "p")
    with pytest.raises(LocalProtocolError, match="already used"):
        h.start("record", "p")
    # The first action is untouched.
    [_, done] = h.feed(P, call_id="call-1", control_id="p", state="finished")
    assert isinstance(done, ActionCompleted)
    assert h.start("record", "p") is not None


@pytest.mark.parametrize("control_id", [None, ""])
def test_action_without_control_id_is_refused(control_id: str | None) -> None:
    h = Harness()
    h.receive_call()
    with pytest.raises(LocalProtocolError, match="needs a control_id"):
        h.domain.prepare_call_command("call-1", action_command("play"), control_id)


def test_unknown_action_kind_is_refused() -> None:
    h = Harness()
    h.receive_call()
    cmd = CallCommand(method="calling.juggle", action="juggle", uses_control_id=True)
    with pytest.raises(LocalProtocolError, match="unknown action kind"):
        h.domain.prepare_call_command("call-1", cmd, "j")


def test_wire_control_id_is_the_registered_one() -> None:
    h = Harness()
    h.receive_call()
    out = h.domain.prepare_call_command(
        "call-1", action_command("play", control_id="other", play=[]), "ctl"
    )
    assert out is not None
    assert out.params == {"node_id": "node-1", "call_id": "call-1", "control_id": "ctl", "play": []}


def test_late_failure_of_an_earlier_start_leaves_a_reused_control_id_alone() -> None:
    h = Harness()
    h.receive_call()
    first = h.start("play", "p")
    assert first is not None
    h.feed(P, call_id="call-1", control_id="p", state="finished")
    second = h.start("play", "p")
    assert second is not None
    # The first start's reply arrives late and fails: the second action must stay registered.
    assert h.fail(first, 500) is None
    assert h.fail(first, 404) == ({}, True)
    assert h.succeed(first, {}) == ({}, True)
    h.domain.request_timed_out(first.purpose, h.now)
    assert h.take() == []
    [_, done] = h.feed(P, call_id="call-1", control_id="p", state="finished")
    assert isinstance(done, ActionCompleted)
