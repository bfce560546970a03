"""The documented RELAY examples, written for the blocking client, against the emulator.

Each is the program a user would write with ``signalwire.relay`` with ``await`` removed and
``relay_sync`` imported: IVR with play_and_collect, inbound collect and connect, outbound dial
and play, recording with pause/resume/stop, event listeners, messaging both ways, and the
context manager. The emulator plays the outside world over a real loopback socket.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from relay_anyio.testing import Persona, Press, Say, Silence
from relay_sync import (
    CALL_STATE_ANSWERED,
    CALL_STATE_ENDED,
    EVENT_CALL_CONNECT,
    EVENT_CALL_PLAY,
    EVENT_CALL_STATE,
    MESSAGE_STATE_DELIVERED,
    MESSAGE_STATE_FAILED,
    Call,
    CollectEvent,
    Message,
    PlayEvent,
    RecordEvent,
    RelayClient,
    RelayError,
    RelayEvent,
    RelayTimeoutError,
)

from .helpers import AGENT, CALLER, LINE, PROJECT, TOKEN, WAIT, Outcome, phone, tts

MENU = "Press 1 for sales, 2 for support or 0 for an agent."


def ivr(call: Call) -> str:
    """The IVR example: answer, prompt for one digit, route on it."""
    call.answer()
    collect = call.play_and_collect(
        media=[tts("Welcome to the demo line."), tts(MENU)],
        collect={"digits": {"max": 1, "digit_timeout": 5.0}, "initial_timeout": 10.0},
    )
    event = collect.wait(timeout=WAIT)
    result = event.params.get("result", {})
    digits = result.get("params", {}).get("digits", "") if result.get("type") == "digit" else ""
    if digits == "1":
        call.play([tts("A sales representative will be with you shortly.")]).wait(WAIT)
    elif digits == "2":
        call.play([tts("Please hold for support.")]).wait(WAIT)
    elif digits == "0":
        call.play([tts("Connecting you to an agent now.")]).wait(WAIT)
        line = call.device.get("params", {}).get("to_number", "")
        call.connect(
            devices=[[{"type": "phone", "params": {"to_number": AGENT, "from_number": line}}]],
            ringback=[tts("Please wait while we connect your call.")],
        )
        call.wait_for_ended(timeout=WAIT)  # stay until the bridged call is over
        return "agent"
    else:
        call.play([tts("We did not receive a valid selection.")]).wait(WAIT)
    call.hangup()
    return digits or "nothing"


@pytest.mark.parametrize(
    ("script", "expected", "heard"),
    [
        ([Press("1")], "1", "A sales representative will be with you shortly."),
        ([Press("2")], "2", "Please hold for support."),
        ([Silence()], "nothing", "We did not receive a valid selection."),
    ],
)
def test_ivr_menu(
    emulator: Any, make_client: Any, script: list[Any], expected: str, heard: str
) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    client.on_call(outcome.track(ivr))
    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE, script=script)
    assert outcome.wait() == [expected]
    assert caller.wait_ended() == "hangup"
    assert caller.heard[:2] == ["Welcome to the demo line.", MENU]
    assert caller.heard[-1] == heard
    # Handlers run on the worker pool, never on the reader thread.
    assert all(name.startswith("relay-sync-handler") for name in outcome.threads)


def test_ivr_connects_to_an_agent(emulator: Any, make_client: Any) -> None:
    emulator.persona(AGENT, Persona.answers(after=1.0))
    client: RelayClient = make_client()
    outcome = Outcome()
    client.on_call(outcome.track(ivr))
    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE, script=["0"])
    assert caller.wait_connected() == AGENT
    caller.hangup()
    assert outcome.wait() == ["agent"]
    assert "Connecting you to an agent now." in caller.heard


@pytest.mark.parametrize(
    ("script", "heard"),
    [
        (Press("1"), "You pressed 1. Connecting you to sales."),
        (Say("billing please", confidence=0.9), "You said billing please."),
    ],
)
def test_results_read_as_the_public_docs_do(
    emulator: Any, make_client: Any, script: Press | Say, heard: str
) -> None:
    # The public docs read a collect result flat (result["digits"], result["text"]); the
    # SDK's own examples read result["params"][...]. Both work on the same event.
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> tuple[str, ...]:
        call.answer()
        action = call.play_and_collect(
            [tts("Press 1 for sales, or tell us what you need.")],
            {"digits": {"max": 1}, "speech": {"end_silence_timeout": 1.0}, "initial_timeout": 5},
        )
        event = action.wait(timeout=WAIT)
        result = event.params.get("result", {})
        if result.get("type") == "digit":
            digits = event.params.get("result", {}).get("digits", "")
            assert isinstance(event, CollectEvent) and action.result is event
            read: tuple[str, ...] = (digits, result["params"]["digits"], event.result["digits"])
            text = f"You pressed {digits}. Connecting you to sales."
        else:
            read = (result["text"], result["params"]["text"], str(result["confidence"]))
            text = f"You said {result['text']}."
        call.play([tts(text)]).wait(WAIT)
        call.hangup()
        return read

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE, script=[script])
    [read] = outcome.wait()
    assert caller.wait_ended() == "hangup"
    assert caller.heard[-1] == heard
    if isinstance(script, Press):
        assert read == ("1", "1", "1")
    else:
        assert read == ("billing please", "billing please", "0.9")


def test_inbound_collect_and_connect(emulator: Any, make_client: Any) -> None:
    # The agent answers at once: the hardest case for seeing the bridge come up.
    emulator.persona(AGENT, Persona.answers(after=0.0))
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> tuple[str, str]:
        call.answer()
        pin = call.collect(digits={"max": 4, "terminators": "#"}, initial_timeout=5.0)
        result = pin.wait(timeout=WAIT)
        assert isinstance(result, CollectEvent)
        digits = result.params["result"]["params"]["digits"]
        outcomes: list[str] = []
        bridged = threading.Event()

        def on_connect(event: RelayEvent) -> None:
            state = event.params.get("connect_state")
            if state in ("connected", "failed"):
                outcomes.append(state)
                bridged.set()

        # Listen before connecting: the bridge may be up before connect() even returns.
        call.on(EVENT_CALL_CONNECT, on_connect)
        call.connect([[phone(AGENT)]], ringback=[tts("Connecting.")])
        assert bridged.wait(WAIT)
        call.hangup()
        return digits, outcomes[0]

    client.connect()
    caller = emulator.call(
        context="office", from_number=CALLER, to_number=LINE, script=[Press("1234#")]
    )
    assert outcome.wait() == [("1234", "connected")]
    assert caller.wait_ended() == "hangup"


def test_outbound_dial_and_play(emulator: Any, make_client: Any) -> None:
    emulator.persona(AGENT, Persona.answers(after=1.0))
    client: RelayClient = make_client()
    client.connect()
    assert client.relay_protocol.startswith("signalwire_")
    call = client.dial([[phone(AGENT)]], dial_timeout=30)
    assert call.state == CALL_STATE_ANSWERED
    assert call.wait_for_answered(timeout=0).params["call_state"] == CALL_STATE_ANSWERED
    callee = emulator.wait_for_call_to(AGENT)
    played = call.play_tts("Welcome to SignalWire").wait(timeout=WAIT)
    assert isinstance(played, PlayEvent) and played.state == "finished"
    call.hangup()
    assert call.wait_for_ended(timeout=WAIT).params["call_state"] == CALL_STATE_ENDED
    assert callee.wait_ended() == "hangup"
    assert callee.heard == ["Welcome to SignalWire"]


def test_dial_to_a_busy_number_fails(emulator: Any, make_client: Any) -> None:
    emulator.persona(AGENT, Persona.busy())
    client: RelayClient = make_client()
    client.connect()
    with pytest.raises(RelayError, match="Dial failed") as failure:
        client.dial([[phone(AGENT)]], tag="busy-tag", dial_timeout=30)
    assert failure.value.code == -1
    # The reason the service gave, in the message and as an attribute.
    assert failure.value.message == "Dial failed (tag=busy-tag): busy"
    assert failure.value.reason == "busy"
    assert not isinstance(failure.value, TimeoutError)


def test_dial_past_dial_timeout_is_a_timeout_error(emulator: Any, make_client: Any) -> None:
    emulator.persona(AGENT, Persona.answers(after=10_000.0))  # rings for a long while
    client: RelayClient = make_client()
    client.connect()
    device = {"type": "phone", "params": {"to_number": AGENT, "from_number": LINE,
                                          "timeout": 20_000}}  # fmt: skip
    with pytest.raises(TimeoutError) as timed_out:
        client.dial([[device]], tag="slow-tag", dial_timeout=0.2)
    assert isinstance(timed_out.value, RelayError)
    assert isinstance(timed_out.value, RelayTimeoutError)
    assert (timed_out.value.code, timed_out.value.message) == (
        -1,
        "Dial timed out waiting for answer (tag=slow-tag)",
    )


@pytest.mark.emulator_time_scale(0.01)
def test_recording_with_pause_resume_and_stop(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    states: list[str] = []

    @client.on_call
    @outcome.track
    def handle(call: Call) -> RelayEvent:
        call.answer()
        # No silence timers: the recording runs until it is stopped.
        recording = call.record(
            {"format": "wav", "initial_timeout": 0, "end_silence_timeout": 0},
            on_completed=lambda event: states.append("completed"),
        )
        call.on("calling.call.record", lambda event: states.append(event.params["state"]))
        recording.pause(behavior="skip")
        recording.resume()
        recording.stop()
        return recording.wait(timeout=WAIT)

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    caller.wait_answered()
    [result] = outcome.wait()
    assert isinstance(result, RecordEvent)
    assert result.state == "finished"
    assert result.url.endswith(".wav")
    methods = [entry.method for entry in emulator.journal.requests() if entry.method]
    assert methods.index("calling.record.pause") < methods.index("calling.record.resume")
    assert methods.index("calling.record.resume") < methods.index("calling.record.stop")
    caller.hangup()


def test_event_listeners(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    seen: list[tuple[str, str, str]] = []
    listeners_done = threading.Event()

    def on_state(event: RelayEvent) -> None:
        seen.append(("state", event.params["call_state"], threading.current_thread().name))
        if event.params["call_state"] == CALL_STATE_ENDED:
            listeners_done.set()

    def on_play(event: RelayEvent) -> None:
        seen.append(("play", event.params["state"], threading.current_thread().name))

    def broken(event: RelayEvent) -> None:
        raise RuntimeError("a listener that fails must not stop the others")

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        call.on(EVENT_CALL_STATE, broken)
        call.on(EVENT_CALL_STATE, on_state)
        call.on(EVENT_CALL_PLAY, on_play)
        call.answer()
        call.play_tts("Hello there").wait(timeout=WAIT)
        call.hangup()

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    outcome.wait()
    assert listeners_done.wait(WAIT)
    states = [value for kind, value, _ in seen if kind == "state"]
    plays = [value for kind, value, _ in seen if kind == "play"]
    assert states[0] == CALL_STATE_ANSWERED and states[-1] == CALL_STATE_ENDED
    assert plays == ["playing", "finished"]
    # Listeners run in event order on the callback threads, never on the reader.
    assert all(thread.startswith("relay-sync-callbacks") for _, _, thread in seen)


def test_messaging_send_and_receive(emulator: Any, make_client: Any) -> None:
    emulator.message_outcome("+15550009999", "failed", "unreachable")
    client: RelayClient = make_client()
    inbound = Outcome()
    completed: list[str] = []
    completed_event = threading.Event()

    @client.on_message
    @inbound.track
    def on_message(message: Message) -> tuple[str, str]:
        return message.body, message.from_number

    def on_completed(event: RelayEvent) -> None:
        completed.append(event.params["message_state"])
        completed_event.set()

    client.connect()
    sent = client.send_message(
        to_number=AGENT, from_number=LINE, body="Your table is ready", on_completed=on_completed
    )
    assert sent.direction == "outbound" and sent.message_id
    final = sent.wait(timeout=WAIT)
    assert final.params["message_state"] == MESSAGE_STATE_DELIVERED
    assert sent.state == MESSAGE_STATE_DELIVERED and sent.is_done
    assert completed_event.wait(WAIT) and completed == [MESSAGE_STATE_DELIVERED]

    failed = client.send_message(
        to_number="+15550009999", from_number=LINE, media=["https://example.com/map.png"]
    )
    assert failed.wait(timeout=WAIT).params["message_state"] == MESSAGE_STATE_FAILED
    assert failed.reason == "unreachable"

    with pytest.raises(ValueError, match="body"):
        client.send_message(to_number=AGENT, from_number=LINE)

    emulator.send_sms(context="office", from_number=CALLER, to_number=LINE, body="hello?")
    assert inbound.wait() == [("hello?", CALLER)]


def test_context_manager(emulator: Any) -> None:
    with RelayClient(project=PROJECT, token=TOKEN, host=emulator.url) as client:
        assert client.relay_protocol.startswith("signalwire_")
        assert client.execute("signalwire.receive", {"contexts": ["sales"]})["code"] == "200"
    with pytest.raises(RelayError, match="not connected"):
        client.execute("signalwire.receive", {"contexts": ["sales"]})
    # The connection slot was given back: another client may connect.
    with RelayClient(project=PROJECT, token=TOKEN, host=emulator.url) as again:
        assert again.relay_protocol
