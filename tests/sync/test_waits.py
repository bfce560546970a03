"""Waits and threads: timeouts that do not poison later waits, waits that finish when the call
ends or is passed on, a refused duplicate control id or dial tag that leaves the pending one
alone, and one client and one call used from many threads at once."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest

from relay_anyio.testing import Persona
from relay_sync import (
    CALL_STATE_ANSWERED,
    CALL_STATE_ENDED,
    EVENT_CALL_PLAY,
    EVENT_CALL_STATE,
    Call,
    Message,
    RelayClient,
    RelayError,
    RelayEvent,
)

from .helpers import AGENT, CALLER, LINE, WAIT, Outcome, phone

LONG_AUDIO = "https://media.example.com/hold-music.wav"


def _long_audio(emulator: Any) -> dict[str, Any]:
    # An hour of simulated audio: about 3.6 s of real time at the tests' time scale, far more
    # than the short timeouts below, so those time out for certain.
    emulator.set_audio_duration(LONG_AUDIO, 3600.0)
    return {"type": "audio", "params": {"url": LONG_AUDIO}}


def test_timed_out_waits_recover(emulator: Any, make_client: Any) -> None:
    music = _long_audio(emulator)
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> list[str]:
        call.answer()
        action = call.play([music])
        with pytest.raises(TimeoutError):
            action.wait(timeout=0.01)
        with pytest.raises(TimeoutError):
            action.wait(timeout=0)
        assert not action.is_done and action.result is None
        with pytest.raises(TimeoutError):
            call.wait_for(EVENT_CALL_PLAY, timeout=0.01)
        with pytest.raises(TimeoutError):
            call.wait_for_ended(timeout=0.01)
        action.stop()
        finished = action.wait(timeout=WAIT)  # the same action, after its timeouts
        call.hangup()
        ended = call.wait_for_ended(timeout=WAIT)  # the same call, after its timeout
        return [finished.params["state"], ended.params["call_state"]]

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert outcome.wait() == [["finished", CALL_STATE_ENDED]]


def test_waits_finish_when_the_call_ends(emulator: Any, make_client: Any) -> None:
    music = _long_audio(emulator)
    client: RelayClient = make_client()
    outcome = Outcome()
    started = threading.Event()
    results: dict[str, Any] = {}

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        call.answer()
        action = call.play([music])
        waits = {
            "action": action.wait,
            "wait_for": lambda: call.wait_for("calling.call.record"),
            "ending": call.wait_for_ending,
            "ended": call.wait_for_ended,
        }
        threads = [
            threading.Thread(target=lambda k=key, w=wait: results.update({k: w()}))
            for key, wait in waits.items()
        ]
        for thread in threads:
            thread.start()
        started.set()
        for thread in threads:
            thread.join(WAIT)
        results["completed"] = action.completed

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert started.wait(WAIT)
    caller.wait_answered()
    caller.hangup()  # none of the waits above get what they wait for, except the end
    outcome.wait()
    assert results["completed"] is True
    assert results["ended"].params["call_state"] == CALL_STATE_ENDED
    assert results["ending"].params["call_state"] in ("ending", CALL_STATE_ENDED)
    assert results["wait_for"].params["call_state"] == CALL_STATE_ENDED
    # The play ends with the call: by its own final event when the server sends one first
    # (the emulator does), else by the call's ended event (D14).
    final = results["action"]
    assert final.params.get("state") in ("finished", "error") or (
        final.params.get("call_state") == CALL_STATE_ENDED
    )


def test_many_threads_share_one_call(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    parts = 8

    @client.on_call
    @outcome.track
    def handle(call: Call) -> list[str]:
        call.answer()
        states: list[str] = []
        errors: list[BaseException] = []
        gate = threading.Barrier(parts, timeout=WAIT)

        def speak(i: int) -> None:
            try:
                gate.wait()
                event = call.play_tts(f"part {i}").wait(timeout=WAIT)
                states.append(event.params["state"])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=speak, args=(i,)) for i in range(parts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        call.hangup()
        if errors:
            raise errors[0]
        return states

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert outcome.wait() == [["finished"] * parts]
    caller.wait_ended()
    assert sorted(caller.heard) == sorted(f"part {i}" for i in range(parts))


def test_many_threads_share_one_client(emulator: Any, make_client: Any) -> None:
    emulator.persona(AGENT, Persona.answers(after=0.5))
    client: RelayClient = make_client()
    client.connect()
    count = 20
    ids: list[str] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(count, timeout=WAIT)

    def work(i: int) -> None:
        try:
            gate.wait()
            message = client.send_message(to_number=AGENT, from_number=LINE, body=f"#{i}")
            assert message.wait(timeout=WAIT).params["message_state"] == "delivered"
            ids.append(message.message_id)
            if i % 5 == 0:
                call = client.dial([[phone(AGENT)]], dial_timeout=30)
                call.hangup()
                assert call.wait_for_ended(timeout=WAIT).params["call_state"] == "ended"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert errors == []
    assert len(set(ids)) == count


def test_actions_of_an_ended_call_complete_at_once(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    ended = threading.Event()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> tuple[bool, dict[str, Any]]:
        call.answer()
        call.hangup()
        call.wait_for_ended(timeout=WAIT)
        ended.set()
        action = call.play_tts("too late")  # nothing is sent for an ended call
        return action.is_done, call.answer()

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert outcome.wait() == [(True, {})]
    assert ended.is_set()


def test_commands_fail_clearly_after_disconnect(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    keep: list[Call] = []

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        call.answer()
        keep.append(call)

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    outcome.wait()
    client.disconnect()
    with pytest.raises(RelayError, match="not connected"):
        keep[0].play_tts("anyone?")
    with pytest.raises(RelayError, match="Client disconnected"):
        keep[0].wait_for_ended(timeout=WAIT)


def test_bad_input_is_a_clear_error_and_harms_nothing(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> str:
        call.answer()
        with pytest.raises(ValueError, match="media"):
            call.play("not a media list")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="control_id"):
            call.play([{"type": "tts", "text": "hi"}], control_id="")
        with pytest.raises(ValueError, match="both beside and inside"):
            mixed = {"type": "tts", "text": "hi", "params": {"text": "bye"}}
            call.play_and_collect([mixed], {"digits": {"max": 1}})
        # Nothing was sent for those; the call still works.
        call.play_tts("still fine").wait(timeout=WAIT)
        call.hangup()
        return "ok"

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    with pytest.raises(ValueError, match="devices"):
        client.dial("not devices")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method"):
        client.execute("", {})
    with pytest.raises(ValueError, match="contexts"):
        client.receive("office")  # type: ignore[arg-type]
    assert outcome.wait() == ["ok"]
    assert caller.wait_ended() == "hangup"
    assert caller.heard == ["still fine"]
    sent = {entry.method for entry in emulator.journal.requests()}
    assert "calling.dial" not in sent


def test_a_message_wait_ends_when_the_client_disconnects(make_client: Any) -> None:
    client: RelayClient = make_client()
    client.connect()
    # An outbound message the server accepted and has not reported on yet (white box: the
    # emulator always reports, so the router is given one directly).
    pending = Message(message_id="msg-pending", direction="outbound", state="queued")
    with client._registry_lock():
        client._router.track_message(pending)
    waiting: list[BaseException] = []
    started = threading.Event()

    def wait() -> None:
        started.set()
        try:
            pending.wait()
        except BaseException as exc:
            waiting.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert started.wait(WAIT)
    client.disconnect()
    waiter.join(WAIT)
    assert not waiter.is_alive()
    assert isinstance(waiting[0], RelayError)
    assert waiting[0].message == "Client disconnected"


def test_a_slow_listener_delays_only_its_own_call(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome(expected=2)
    slow_started, release, other_ended = threading.Event(), threading.Event(), threading.Event()
    slow_events: list[str] = []

    def slow(event: RelayEvent) -> None:
        slow_events.append(event.params["call_state"])
        slow_started.set()
        release.wait(WAIT)  # blocks this call's later listeners, and only those

    def fast(event: RelayEvent) -> None:
        if event.params["call_state"] == CALL_STATE_ENDED:
            other_ended.set()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        slow_call = call.device["params"]["from_number"] == CALLER
        call.on(EVENT_CALL_STATE, slow if slow_call else fast)
        call.answer()
        call.wait_for_ended(timeout=WAIT)

    client.connect()
    first = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert slow_started.wait(WAIT)
    second = emulator.call(context="office", from_number=AGENT, to_number=LINE)
    second.wait_answered()
    second.hangup()
    assert other_ended.wait(WAIT)  # while the first call's listener is still stuck
    assert slow_events == [CALL_STATE_ANSWERED]
    first.hangup()
    release.set()
    outcome.wait()


def test_a_refused_duplicate_control_id_leaves_the_pending_action_alone(
    emulator: Any, make_client: Any
) -> None:
    music = _long_audio(emulator)
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> tuple[str, bool]:
        call.answer()
        first = call.play([music], control_id="ctl-1")
        with pytest.raises(RelayError, match="already used by a pending action"):
            call.play([music], control_id="ctl-1")
        # The refused start sent nothing and took nothing from the pending action.
        first.stop()
        stopped = first.wait(timeout=WAIT)
        second = call.play([music], control_id="ctl-1")  # completed: the id may be reused
        call.hangup()
        ended = second.wait(timeout=WAIT)  # its final event, or the end of the call (D14)
        return stopped.params["state"], ended.event_type in (EVENT_CALL_PLAY, EVENT_CALL_STATE)

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert outcome.wait() == [("finished", True)]
    assert len(emulator.journal.requests("calling.play")) == 2


def test_a_refused_duplicate_dial_tag_leaves_the_pending_dial_alone(
    emulator: Any, make_client: Any
) -> None:
    # The server never answers the first dial: it stays pending until its dial_timeout.
    emulator.faults.ignore_method("calling.dial")
    client: RelayClient = make_client()
    client.connect()
    outcome = Outcome()
    dial = outcome.track(client.dial)

    def first_dial() -> None:
        with contextlib.suppress(RelayError):  # recorded by the outcome
            dial([[phone(AGENT)]], tag="tag-1")

    first = threading.Thread(target=first_dial)
    first.start()
    emulator.wait_for_request("calling.dial")
    with pytest.raises(RelayError, match="already pending"):
        client.dial([[phone(AGENT)]], tag="tag-1")
    assert len(emulator.journal.requests("calling.dial")) == 1
    # The first dial still gets its outcome: here the end of the session.
    client.disconnect()
    with pytest.raises(RelayError, match="Client disconnected"):
        outcome.wait()
    first.join(WAIT)


def test_waits_on_a_passed_call_fail_at_once_and_the_client_drops_it(
    emulator: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # D29: the server tells this client nothing more about a call it passed, not even its end.
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "2")
    first: RelayClient = make_client()
    other: RelayClient = make_client()
    outcome, taken = Outcome(), Outcome()
    waiting = threading.Event()
    pending: list[str] = []

    @first.on_call
    @outcome.track
    def hand_over(call: Call) -> tuple[str, str, dict[str, Any]]:
        def wait_ended() -> None:
            waiting.set()
            try:
                call.wait_for_ended(timeout=WAIT)
            except RelayError as exc:
                pending.append(exc.message)

        waiter = threading.Thread(target=wait_ended)  # a wait pending when the call is passed
        waiter.start()
        assert waiting.wait(WAIT)
        call.pass_()
        with pytest.raises(RelayError) as info:
            call.wait_for_ended(timeout=WAIT)  # and one started after
        waiter.join(WAIT)
        # Nothing is sent for a call the client let go.
        return call.call_id, info.value.message, call.answer()

    @other.on_call
    @taken.track
    def take(call: Call) -> str:
        call.answer()
        call.hangup()
        return call.call_id

    first.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    emulator.wait_for_request("calling.pass")
    other.connect()  # the next consumer of the context gets the call
    assert caller.wait_ended() == "hangup"
    passed = "Call passed to another consumer"
    assert outcome.wait() == [(caller.call_id, passed, {})]
    assert pending == [passed]
    assert taken.wait() == [caller.call_id]
    with first._registry_lock():
        assert caller.call_id not in first._router.calls
    assert [entry.conn for entry in emulator.journal.requests("calling.answer")] == [2]
