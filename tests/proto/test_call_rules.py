"""relay_proto's call-lifecycle rules: the state order, when a state wait ends, and which
action completions run ``on_completed``."""

from __future__ import annotations

from typing import Any

import pytest

from relay_proto import (
    CALL_STATES,
    ON_HANDLER_ERROR_CHOICES,
    ActionCompleted,
    CallInfo,
    HandlerErrorDecision,
    InvalidCommandError,
    LocalProtocolError,
    call_state_reached,
    check_on_handler_error,
    commands,
    decide_after_handler_error,
    fires_on_completed,
    state_wait_finished,
)

from .helpers import Pair
from .test_domain_harness import Harness

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


# --------------------------------------------------------------------------- handler errors


def test_on_handler_error_choices() -> None:
    assert ON_HANDLER_ERROR_CHOICES == ("hangup", "keep")
    assert check_on_handler_error("hangup") == "hangup"
    assert check_on_handler_error("keep") == "keep"
    for bad in ("ignore", "HANGUP", "", None, 1):
        with pytest.raises(InvalidCommandError, match="on_handler_error must be"):
            check_on_handler_error(bad)
    with pytest.raises(ValueError):  # InvalidCommandError is a ValueError
        decide_after_handler_error("never", None)


def _info(**fields: Any) -> CallInfo:
    return CallInfo(call_id="c", node_id="n", **fields)


@pytest.mark.parametrize(
    ("call", "hang_up", "why"),
    [
        (_info(state="answered"), True, "hanging the call up"),
        (_info(state="created"), True, "rejecting the unanswered call"),
        (_info(state="ringing"), True, "rejecting the unanswered call"),
        (_info(state=""), True, "rejecting the unanswered call"),
        # The bridge went down: the caller is back with this application.
        (_info(state="answered", connect_state="disconnected"), True, "hanging the call up"),
        (_info(state="answered", connect_state="failed"), True, "hanging the call up"),
        # Handed on, or over: nothing to end.
        (_info(state="answered", connect_state="connected"), False, "connected to another"),
        (_info(state="answered", connect_state="connecting"), False, "connected to another"),
        (_info(state="answered", transferred=True), False, "transferred"),
        (_info(state="ending"), False, "already ending"),
        (_info(state="ended"), False, "already ending"),
        (None, False, "over or was passed on"),
    ],
)  # fmt: skip
def test_after_a_handler_error(call: CallInfo | None, hang_up: bool, why: str) -> None:
    decision = decide_after_handler_error("hangup", call)
    assert isinstance(decision, HandlerErrorDecision)
    assert decision.hang_up is hang_up
    assert why in decision.why
    # "keep" never hangs up.
    kept = decide_after_handler_error("keep", call)
    assert kept == HandlerErrorDecision(False, "left as it is (on_handler_error='keep')")


def test_the_core_tracks_what_the_decision_reads() -> None:
    # Bridge state from calling.call.connect events, transfer from a successful request.
    h = Harness()
    h.receive_call("c", "n")
    h.state("c", "answered")
    assert decide_after_handler_error("hangup", h.domain.get_call("c")).hang_up
    h.feed("calling.call.connect", call_id="c", connect_state="connecting")
    assert h.domain.get_call("c") == _info(
        state="answered", connect_state="connecting", project_id="proj-1", context="",
        direction="inbound",
    )  # fmt: skip
    h.feed("calling.call.connect", call_id="c", connect_state="connected", peer={})
    assert not decide_after_handler_error("hangup", h.domain.get_call("c")).hang_up
    h.feed("calling.call.connect", call_id="c", connect_state="disconnected")
    assert decide_after_handler_error("hangup", h.domain.get_call("c")).hang_up
    # A connect event without a usable state changes nothing.
    h.feed("calling.call.connect", call_id="c", connect_state=5)
    info = h.domain.get_call("c")
    assert info is not None and info.connect_state == "disconnected"
    # A transfer that fails changes nothing; one that succeeds hands the call on.
    transfer = h.domain.prepare_call_command("c", commands.transfer("https://x/y"), None)
    refer = h.domain.prepare_call_command(
        "c", commands.refer({"type": "sip", "params": {"to": "sip:a@b"}}), None
    )
    assert transfer is not None and refer is not None
    h.fail(transfer, 500)
    info = h.domain.get_call("c")
    assert info is not None and not info.transferred
    h.succeed(refer)
    info = h.domain.get_call("c")
    assert info is not None and info.transferred
    assert not decide_after_handler_error("hangup", info).hang_up
    # Other commands never mark it.
    h.receive_call("d", "n")
    hold = h.domain.prepare_call_command("d", commands.hold(), None)
    assert hold is not None
    h.succeed(hold)
    info = h.domain.get_call("d")
    assert info is not None and not info.transferred
    # A pass that succeeds: the core lets go of the call; nothing left to hang up.
    passing = h.domain.prepare_call_command("d", commands.pass_(), None)
    assert passing is not None
    h.succeed(passing)
    assert h.domain.get_call("d") is None
