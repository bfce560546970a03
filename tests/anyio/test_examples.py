"""The documented usage of ``signalwire.relay`` runs on relay_anyio with only the import changed,
on asyncio and on trio, against the emulator over loopback sockets.

Two kinds of tests:

* the example programs shipped inside the official package (``_docs/relay/examples``) are
  read at test time, their ``from signalwire.relay import`` line is the only thing rewritten,
  and they are run as they are (skipped when the official package is not installed);
* the flows the official docs show (IVR, inbound collect and connect, outbound dial and play,
  recording with pause/resume/stop, event listeners, messaging both ways, the async context
  manager) written as small programs against relay_anyio.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from relay_anyio import (
    CALL_STATE_ANSWERED,
    EVENT_CALL_PLAY,
    EVENT_CALL_STATE,
    Call,
    CollectEvent,
    Message,
    RelayClient,
    RelayError,
    RelayEvent,
    RelayTimeoutError,
)
from relay_anyio.testing import Persona, Press, RelayEmulator, Say

pytestmark = pytest.mark.anyio

CALLER = "+15551230001"
OFFICE = "+15551230002"
AGENT = "+19184238080"


@pytest.fixture
async def emu(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RelayEmulator]:
    async with RelayEmulator(project="proj", token="tok", time_scale=0.001) as emulator:
        # What the examples read from the environment.
        monkeypatch.setenv("SIGNALWIRE_PROJECT_ID", "proj")
        monkeypatch.setenv("SIGNALWIRE_API_TOKEN", "tok")
        monkeypatch.delenv("SIGNALWIRE_JWT_TOKEN", raising=False)
        monkeypatch.setenv("SIGNALWIRE_SPACE", emulator.url)
        monkeypatch.setenv("SIGNALWIRE_LOG_LEVEL", "info")
        monkeypatch.setenv("RELAY_FROM_NUMBER", OFFICE)
        monkeypatch.setenv("RELAY_TO_NUMBER", "+15552002000")
        yield emulator
        emulator.assert_no_violations()


async def serving(client: RelayClient, body: Callable[[], Awaitable[None]]) -> None:
    """Run ``client.serve()`` while ``body`` runs, then stop it gracefully."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.serve)
        await body()
        await client.stop()


# --------------------------------------------------------------------------- official files


def official_example(name: str) -> dict[str, Any]:
    """Load an example shipped with the official SDK, changing only its import line."""
    spec = importlib.util.find_spec("signalwire")
    if spec is None or spec.origin is None:
        pytest.skip("the official signalwire-sdk is not installed")
    path = Path(spec.origin).parent / "_docs" / "relay" / "examples" / name
    if not path.exists():
        pytest.skip(f"{name} is not shipped with this signalwire-sdk version")
    source = path.read_text(encoding="utf-8")
    ported = source.replace("from signalwire.relay import", "from relay_anyio import")
    assert ported != source and ported.count("relay_anyio") == 1  # exactly one line changed
    namespace: dict[str, Any] = {"__name__": "relay_example", "__file__": str(path)}
    exec(compile(ported, str(path), "exec"), namespace)
    return namespace


async def test_official_answer_and_welcome_example(emu: RelayEmulator) -> None:
    client: RelayClient = official_example("relay_answer_and_welcome.py")["client"]

    async def body() -> None:
        caller = await emu.call(context="default", from_number=CALLER, to_number=OFFICE)
        assert await caller.wait_ended() == "hangup"
        assert caller.heard == ["Welcome to SignalWire!"]

    await serving(client, body)


@pytest.mark.parametrize(
    ("digit", "heard"),
    [
        ("1", "Thank you for your interest! A sales representative will be with you shortly."),
        ("2", "Please hold while we connect you to our support team."),
        ("9", "We didn't receive a valid selection."),
    ],
)
async def test_official_ivr_example_menu(emu: RelayEmulator, digit: str, heard: str) -> None:
    client: RelayClient = official_example("relay_ivr_connect.py")["client"]

    async def body() -> None:
        caller = await emu.call(
            context="default", from_number=CALLER, to_number=OFFICE, script=[Press(digit)]
        )
        assert await caller.wait_ended() == "hangup"
        assert caller.heard[-1] == heard

    await serving(client, body)


async def test_official_ivr_example_connects_an_agent(emu: RelayEmulator) -> None:
    client: RelayClient = official_example("relay_ivr_connect.py")["client"]
    emu.persona(AGENT, Persona.answers(after=2.0))

    async def body() -> None:
        caller = await emu.call(
            context="default", from_number=CALLER, to_number=OFFICE, script=[Press("0")]
        )
        assert await caller.wait_connected() == AGENT
        await caller.hangup()
        await caller.wait_ended()
        request = await emu.wait_for_request("calling.connect")
        device = request.params["devices"][0][0]["params"]
        assert (device["to_number"], device["from_number"]) == (AGENT, OFFICE)

    await serving(client, body)


async def test_official_dial_and_play_example(emu: RelayEmulator) -> None:
    main = official_example("relay_dial_and_play.py")["main"]
    await main()  # connects, dials, waits for the answer, plays, hangs up, disconnects
    party = await emu.wait_for_call_to("+15552002000")
    assert party.heard == ["Welcome to SignalWire"]
    assert party.end_reason == "hangup"


# --------------------------------------------------------------------------- documented flows


async def test_ivr_with_prompt_and_collect(emu: RelayEmulator) -> None:
    client = RelayClient(contexts=["office"])
    choices: list[str] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        menu = await call.play_and_collect(
            [{"type": "tts", "params": {"text": "Press 1 for sales, 2 for support."}}],
            {"digits": {"max": 1, "digit_timeout": 5.0}},
        )
        event = await menu.wait()
        choices.append(event.params.get("result", {}).get("params", {}).get("digits", ""))
        farewell = await call.play_tts("Goodbye")
        await farewell.wait()
        await call.hangup()

    async def body() -> None:
        caller = await emu.call(
            context="office", from_number=CALLER, to_number=OFFICE, script=[Press("2")]
        )
        await caller.wait_ended()
        assert caller.heard == ["Press 1 for sales, 2 for support.", "Goodbye"]

    await serving(client, body)
    assert choices == ["2"]


@pytest.mark.parametrize(
    ("script", "heard"),
    [
        (Press("1"), "You pressed 1. Connecting you to sales."),
        (Say("billing please", confidence=0.9), "You said billing please."),
    ],
)
async def test_results_read_as_the_public_docs_do(
    emu: RelayEmulator, script: Press | Say, heard: str
) -> None:
    # The public docs read a collect result flat (result["digits"], result["text"]); the
    # SDK's own examples read result["params"][...]. Both work on the same event.
    client = RelayClient(contexts=["office"])
    reads: list[tuple[str, ...]] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        action = await call.play_and_collect(
            [{"type": "tts", "params": {"text": "Press 1 for sales, or tell us what you need."}}],
            {"digits": {"max": 1}, "speech": {"end_silence_timeout": 1.0}, "initial_timeout": 5},
        )
        event = await action.wait()
        result = event.params.get("result", {})
        if result.get("type") == "digit":
            digits = event.params.get("result", {}).get("digits", "")
            assert isinstance(event, CollectEvent) and action.result is event
            reads.append((digits, result["params"]["digits"], event.result["digits"]))
            text = f"You pressed {digits}. Connecting you to sales."
        else:
            reads.append((result["text"], result["params"]["text"], str(result["confidence"])))
            text = f"You said {result['text']}."
        await (await call.play([{"type": "tts", "params": {"text": text}}])).wait()
        await call.hangup()

    async def body() -> None:
        caller = await emu.call(
            context="office", from_number=CALLER, to_number=OFFICE, script=[script]
        )
        assert await caller.wait_ended() == "hangup"
        assert caller.heard[-1] == heard

    await serving(client, body)
    if isinstance(script, Press):
        assert reads == [("1", "1", "1")]
    else:
        assert reads == [("billing please", "billing please", "0.9")]


async def test_inbound_collect_and_connect(emu: RelayEmulator) -> None:
    # The agent answers at once: the hardest case for seeing the bridge come up.
    emu.persona("+15552002000", Persona.answers(after=0.0))
    client = RelayClient(contexts=["office"])
    outcome: list[Any] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        collect = await call.collect(digits={"max": 4, "terminators": "#"}, initial_timeout=5.0)
        result = (await collect.wait()).params["result"]
        outcome.append(result)
        bridged = anyio.Event()

        def on_connect(event: RelayEvent) -> None:
            if event.params.get("connect_state") == "connected":
                outcome.append("connected")
                bridged.set()

        # Listen before connecting: the bridge may be up before connect() even returns.
        call.on("calling.call.connect", on_connect)
        await call.connect(
            [[{"type": "phone", "params": {"to_number": "+15552002000", "from_number": OFFICE}}]],
            ringback=[{"type": "ringtone", "params": {"name": "us"}}],
        )
        await bridged.wait()
        outcome.append((await call.wait_for_ended()).params.get("end_reason"))

    async def body() -> None:
        caller = await emu.call(
            context="office", from_number=CALLER, to_number=OFFICE, script=[Press("42#")]
        )
        assert await caller.wait_connected() == "+15552002000"
        await caller.hangup()
        await caller.wait_ended()
        await emu.wait_for_transcript("hung up")

    await serving(client, body)
    # As sent, plus the params' keys at the top (as the public docs read them).
    assert outcome[0] == {
        "type": "digit",
        "params": {"digits": "42", "terminator": "#"},
        "digits": "42",
        "terminator": "#",
    }
    assert outcome[1] == "connected"


async def test_outbound_dial_and_play(emu: RelayEmulator) -> None:
    emu.persona("+15552002000", Persona.answers(after=3.0))
    async with RelayClient() as client:
        call = await client.dial(
            [[{"type": "phone", "params": {"to_number": "+15552002000", "from_number": OFFICE}}]]
        )
        await call.wait_for(
            EVENT_CALL_STATE,
            predicate=lambda e: e.params.get("call_state") == CALL_STATE_ANSWERED,
            timeout=30.0,
        )
        action = await call.play([{"type": "tts", "params": {"text": "This is an outbound call."}}])
        await action.wait(timeout=15.0)
        await call.hangup()
        ended = await call.wait_for_ended(timeout=10.0)
    assert ended.params["call_state"] == "ended"
    party = await emu.wait_for_call_to("+15552002000")
    assert party.heard == ["This is an outbound call."]


async def test_dial_errors_as_the_docs_describe_them(emu: RelayEmulator) -> None:
    # A failed dial says why; a dial past dial_timeout is a TimeoutError (and a RelayError).
    emu.persona("+15552002001", Persona.busy())
    emu.persona("+15552002002", Persona.answers(after=10_000.0))  # rings for a long while
    busy = {"type": "phone", "params": {"to_number": "+15552002001", "from_number": OFFICE}}
    slow = {"type": "phone", "params": {"to_number": "+15552002002", "from_number": OFFICE,
                                        "timeout": 20_000}}  # fmt: skip
    async with RelayClient() as client:
        with pytest.raises(RelayError) as failed:
            await client.dial([[busy]], tag="busy-1")
        assert (failed.value.code, failed.value.reason) == (-1, "busy")
        assert failed.value.message == "Dial failed (tag=busy-1): busy"
        assert not isinstance(failed.value, TimeoutError)
        with pytest.raises(TimeoutError) as timed_out:
            await client.dial([[slow]], tag="slow-1", dial_timeout=0.2)
        assert isinstance(timed_out.value, RelayError)
        assert isinstance(timed_out.value, RelayTimeoutError)
        assert (timed_out.value.code, timed_out.value.message) == (
            -1,
            "Dial timed out waiting for answer (tag=slow-1)",
        )


async def test_recording_with_pause_resume_stop(emu: RelayEmulator) -> None:
    client = RelayClient(contexts=["office"])
    results: list[RelayEvent] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        # As in the docs, plus no silence timers: only stop() ends this recording.
        audio = {"format": "wav", "stereo": True, "direction": "both"}
        action = await call.record(audio={**audio, "initial_timeout": 0, "end_silence_timeout": 0})
        await action.pause()
        await action.resume()
        await action.stop()
        results.append(await action.wait())
        await call.hangup()

    async def body() -> None:
        caller = await emu.call(
            context="office",
            from_number=CALLER,
            to_number=OFFICE,
            script=[Say("please pass on this message to the team")],
        )
        await caller.wait_ended()

    await serving(client, body)
    methods = [
        entry.method
        for entry in emu.journal
        if entry.direction == "in" and (entry.method or "").startswith("calling.record")
    ]
    assert methods == [
        "calling.record",
        "calling.record.pause",
        "calling.record.resume",
        "calling.record.stop",
    ]
    event = results[0]
    assert event.params["state"] == "finished"
    assert getattr(event, "url", "")  # a RecordEvent with the recording's URL


async def test_event_listeners(emu: RelayEmulator) -> None:
    client = RelayClient(contexts=["office"])
    seen: list[tuple[str, str]] = []
    ended: list[RelayEvent] = []

    @client.on_call
    async def handle(call: Call) -> None:
        def on_play(event: RelayEvent) -> None:
            seen.append(("sync", event.params.get("state", "")))

        async def on_state(event: RelayEvent) -> None:
            seen.append(("async", event.params.get("call_state", "")))

        call.on(EVENT_CALL_PLAY, on_play)
        call.on(EVENT_CALL_STATE, on_state)
        await call.answer()
        play = await call.play([{"type": "tts", "params": {"text": "Hello"}}])
        await play.wait()
        ended.append(
            await call.wait_for(
                EVENT_CALL_STATE,
                predicate=lambda e: e.params.get("call_state") == "ended",
                timeout=60.0,
            )
        )

    async def body() -> None:
        caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await caller.wait_heard("Hello")
        await caller.hangup()
        await caller.wait_ended()

    await serving(client, body)
    assert ("sync", "playing") in seen and ("sync", "finished") in seen
    assert ("async", "answered") in seen and ("async", "ended") in seen
    assert ended[0].params["call_state"] == "ended"


async def test_messaging_send_and_receive(emu: RelayEmulator) -> None:
    client = RelayClient(contexts=["office"])
    replies: list[Message] = []
    completed: list[str] = []

    @client.on_message
    async def handle_message(message: Message) -> None:
        reply = await client.send_message(
            to_number=message.from_number,
            from_number=message.to_number,
            body=f"You said: {message.body}",
            on_completed=lambda event: completed.append(event.params["message_state"]),
        )
        replies.append(reply)
        replied.set()

    replied = anyio.Event()
    emu.message_outcome("+15559990000", "undelivered", "carrier_blocked")

    async def body() -> None:
        await emu.send_sms(context="office", from_number=CALLER, to_number=OFFICE, body="hi")
        await replied.wait()
        reply = replies[0]
        event = await reply.wait(timeout=30.0)
        assert event.params["message_state"] == reply.state == "delivered"
        failing = await client.send_message(
            to_number="+15559990000", from_number=OFFICE, body="Hello!", media=["https://x/y.png"]
        )
        # Its state events follow the reply at once: by the time this task runs again they
        # may have moved it anywhere on its path, even to its end (nothing orders the two).
        assert failing.direction == "outbound"
        assert failing.state in ("queued", "initiated", "sent", "undelivered")
        await failing.wait(timeout=30.0)
        assert (failing.state, failing.reason) == ("undelivered", "carrier_blocked")
        (record,) = [m for m in emu.messages if m.message_id == failing.message_id]
        assert record.states == ["queued", "initiated", "sent", "undelivered"]

    await serving(client, body)
    assert completed == ["delivered"]
    assert replies[0].body == "You said: hi" and replies[0].to_number == CALLER


async def test_async_context_manager(emu: RelayEmulator) -> None:
    async with RelayClient(contexts=["default"]) as client:
        assert client.relay_protocol.startswith("signalwire_")
        call = await client.dial(
            [[{"type": "phone", "params": {"to_number": "+15552002000", "from_number": OFFICE}}]]
        )
        assert call.state in ("created", "ringing", "answered")
        await call.hangup()
        await call.wait_for_ended()
    assert client.relay_protocol  # kept after disconnect
