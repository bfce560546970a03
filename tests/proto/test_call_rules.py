"""relay_proto's call-lifecycle rules: the state order, when a state wait ends, and which
action completions run ``on_completed``."""

from __future__ import annotations

import pytest

from relay_proto import (
    CALL_STATES,
    ActionCompleted,
    LocalProtocolError,
    call_state_reached,
    commands,
    fires_on_completed,
    state_wait_finished,
)

from .helpers import Pair

# Spec 8.2, written out rather than derived from CALL_STATES, so that the test checks the order.
LIFECYCLE = ["created", "ringing", "answered", "ending", "ended"]


def test_call_states_are_the_lifecycle_in_order() -> None:
    assert list(CALL_STATES) == LIFECYCLE


@pytest.mark.parametrize("target", LIFECYCLE)
@pytest.mark.parametrize("current", LIFECYCLE)
def test_a_state_has_reached_itself_and_every_earlier_one(current: str, target: str) -> None:
    expected = LIFECYCLE.index(current) >= LIFECYCLE.index(target)
    assert call_state_reached(current, target) is expected


@pytest.mark.parametrize("current", ["", "Answered", "unknown", None, 3])
@pytest.mark.parametrize("target", LIFECYCLE)
def test_an_unknown_current_state_has_reached_nothing(current: object, target: str) -> None:
    assert call_state_reached(current, target) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("target", ["", "ANSWERED", "busy", None, 2])
def test_an_unknown_target_is_refused(target: object) -> None:
    with pytest.raises(LocalProtocolError, match="target must be one of"):
        call_state_reached("answered", target)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="target must be one of"):
        state_wait_finished(target, event_state="answered", call_state="answered")  # type: ignore[arg-type]


def test_a_wait_ends_on_the_event_that_reaches_its_target() -> None:
    assert state_wait_finished("ringing", event_state="ringing", call_state="ringing")
    assert state_wait_finished("answered", event_state="answered", call_state="answered")


def test_a_jump_past_the_target_does_not_end_the_wait() -> None:
    assert not state_wait_finished("ringing", event_state="answered", call_state="answered")
    assert not state_wait_finished("answered", event_state="ending", call_state="ending")


@pytest.mark.parametrize("target", ["ringing", "answered", "ending"])
def test_the_end_of_the_call_ends_every_wait(target: str) -> None:
    assert state_wait_finished(target, event_state="ended", call_state="ended")
    # The core's state decides even when the event's own call_state is odd (D21).
    assert state_wait_finished(target, event_state=None, call_state="ended")


@pytest.mark.parametrize("event_state", [None, 5, {"call_state": "ringing"}, ["ringing"], ""])
def test_malformed_event_states_end_no_wait(event_state: object) -> None:
    assert not state_wait_finished("ringing", event_state=event_state, call_state="created")


@pytest.mark.parametrize("reason", ["event", "call_gone", "call_ended"])
def test_on_completed_fires_for_every_completion_of_a_started_action(reason: str) -> None:
    assert fires_on_completed(reason) is True


def test_on_completed_does_not_fire_for_an_action_never_started() -> None:
    assert fires_on_completed("not_started") is False


@pytest.mark.parametrize("pending", [False, True])
def test_the_core_gives_the_reasons_the_rule_reads(pending: bool) -> None:
    # An action pending when the call ends: its callback runs. One started after: it does not.
    pair = Pair()
    pair.connect()
    call = {"call_id": "call-1", "node_id": "node-1"}
    pair.event("calling.call.receive", {**call, "call_state": "created", "context": "office"})
    if pending:
        pair.client.call_command("call-1", commands.play_tts("hi"), now=pair.now)
    pair.take_client_events()
    pair.event("calling.call.state", {**call, "call_state": "ended"})
    if not pending:
        pair.client.call_command("call-1", commands.play_tts("hi"), now=pair.now)
    pair.pump()
    [completed] = [e for e in pair.take_client_events() if isinstance(e, ActionCompleted)]
    assert completed.event.params["call_state"] == "ended"
    assert fires_on_completed(completed.reason) is pending
