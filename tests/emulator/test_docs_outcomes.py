"""The scripted-outcome examples of docs/emulator.md, run for real on both backends.

Each example appears verbatim in the page; ``test_the_page_shows_these_examples`` fails when the
page and this file drift apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from relay_anyio import Call, RelayClient, RelayEvent
from relay_anyio.testing import (
    AIConversation,
    FaxOutcome,
    Hangup,
    Payment,
    Persona,
    RelayEmulator,
    RemoteParty,
    Say,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


async def answer_one_call(
    emu: RelayEmulator, app: Callable[[Call], Awaitable[None]], **caller: Any
) -> RemoteParty:
    """Run ``app`` for one call to "office" (``caller``: persona, script) until both are done."""
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    done = anyio.Event()

    @client.on_call
    async def handle(call: Call) -> None:
        try:
            await app(call)
        finally:
            done.set()

    async with client:
        party = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002", **caller
        )
        with anyio.fail_after(10):
            await done.wait()
        await party.wait_ended()
    return party


@pytest.mark.anyio
async def test_a_declined_card(relay_emulator: RelayEmulator) -> None:
    outcome: list[dict[str, Any]] = []

    async def checkout(call: Call) -> None:
        await call.answer()
        payment = await call.pay("https://pay.example.com/charge", charge_amount="9.99")
        outcome.append((await payment.wait()).params)
        await call.hangup()

    declined = Persona.human().scripted(payment=Payment.declined())
    await answer_one_call(relay_emulator, checkout, persona=declined)
    assert (outcome[0]["state"], outcome[0]["payment_error"]) == ("error", "card-declined")
    assert outcome[0]["payment_card_number"] == "************0002"


@pytest.mark.anyio
async def test_an_ai_agent_takes_a_booking(relay_emulator: RelayEmulator) -> None:
    summary: list[str] = []

    async def concierge(call: Call) -> None:
        await call.answer()
        agent = await call.ai(prompt={"text": "You take restaurant bookings."})
        summary.append((await agent.wait()).params["summary"])
        await call.hangup()

    chat = AIConversation(
        caller=("A table for two please", "Tonight at eight"),
        agent=("For when?", "Booked: two people at eight."),
        summary="Table for two, tonight 8 pm",
    )
    caller = await answer_one_call(
        relay_emulator, concierge, persona=Persona.human().scripted(ai=chat)
    )
    assert summary == ["Table for two, tonight 8 pm"]
    assert caller.heard == ["For when?", "Booked: two people at eight."]


@pytest.mark.anyio
async def test_a_transcribed_complaint(relay_emulator: RelayEmulator) -> None:
    texts: list[str] = []

    async def complaints(call: Call) -> None:
        await call.answer()
        transcription = await call.transcribe()
        texts.append((await transcription.wait()).params["text"])  # at the caller's hang-up

    said = [Say("My parcel never arrived"), Hangup(after=2)]
    await answer_one_call(relay_emulator, complaints, script=said)
    assert texts == ["My parcel never arrived"]


@pytest.mark.anyio
async def test_live_translation_reaches_its_webhook(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator

    async def interpreter(call: Call) -> None:
        await call.answer()
        start = {"webhook": "https://example.com/live", "source": "en-US", "target": "fr"}
        await call.live_translate({"start": start})
        await call.wait_for_ended()

    speaker = Persona.human().scripted(speech="Good morning", translation="Bonjour")
    await answer_one_call(emu, interpreter, persona=speaker, script=[Say("See you"), Hangup(2)])
    assert [hook.payload["translation"] for hook in emu.webhooks] == ["[fr] See you", "Bonjour"]


@pytest.mark.anyio
async def test_the_machine_pauses_in_its_greeting(relay_emulator: RelayEmulator) -> None:
    values: list[str] = []
    finished = anyio.Event()

    def detected(event: RelayEvent) -> None:
        values.append(event.params["detect"]["params"]["event"])
        if values[-1] == "finished":
            finished.set()

    async def outbound_campaign(call: Call) -> None:
        call.on("calling.call.detect", detected)
        await call.detect_answering_machine(end_silence_timeout=1.0)  # listens from the answer
        await call.answer()
        await finished.wait()
        await call.hangup()

    machine = Persona.machine(greeting_words=10, pause_after=4, pause=2.0)
    await answer_one_call(relay_emulator, outbound_campaign, persona=machine)
    assert values == ["MACHINE", "READY", "NOT_READY", "READY", "finished"]


@pytest.mark.anyio
async def test_a_fax_fails_on_page_two(relay_emulator: RelayEmulator) -> None:
    results: list[dict[str, Any]] = []

    async def fax_line(call: Call) -> None:
        await call.answer()
        fax = await call.receive_fax()
        results.append((await fax.wait()).params["fax"])
        await call.hangup()

    jammed = Persona.fax().scripted(fax=FaxOutcome(pages=3, fails_after=1, error="paper jam"))
    await answer_one_call(relay_emulator, fax_line, persona=jammed)
    assert results[0]["type"] == "error"
    assert (results[0]["params"]["pages"], results[0]["params"]["result_text"]) == (
        "1",
        "paper jam",
    )


@pytest.mark.anyio
async def test_a_stream_that_cannot_connect(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.unreachable("wss://media.example.com/ai", reason="503 from upstream")
    states: list[str] = []

    async def media_bot(call: Call) -> None:
        await call.answer()
        stream = await call.stream("wss://media.example.com/ai")
        states.append((await stream.wait()).params["state"])
        await call.hangup()

    await answer_one_call(emu, media_bot)
    assert states == ["error"]
    assert "stream to wss://media.example.com/ai failed: 503 from upstream" in (
        emu.transcript_text()
    )


@pytest.mark.anyio
async def test_a_caller_leaves_the_queue_after_a_minute(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.queue_max_wait("support", 60)
    statuses: list[str] = []

    async def hold_line(call: Call) -> None:
        await call.answer()
        left = anyio.Event()

        def queue_event(event: RelayEvent) -> None:
            statuses.append(event.params["status"])
            if event.params["status"] == "leave":
                left.set()

        call.on("calling.call.queue", queue_event)
        await call.queue_enter("support")
        await left.wait()
        await call.play_tts("Sorry, everyone is busy")
        await call.hangup()

    caller = await answer_one_call(emu, hold_line)
    assert statuses == ["enqueue", "leave"]
    assert "left queue 'support' (timeout)" in caller.transcript()


@pytest.mark.anyio
async def test_a_participant_leaves_the_conference(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    async def bridge_line(call: Call) -> None:
        await call.answer()
        await call.join_conference("standup")

    async with client:
        callers = [
            await emu.call(
                context="office", from_number=f"+1555123000{n}", to_number="+15550000000"
            )
            for n in range(3)
        ]
        await emu.wait_for_transcript("joined conference 'standup' (3 participants)")
        await callers[0].hangup()
        left = await emu.wait_for_event(
            "calling.conference", lambda p: p["status"] == "participant-leave"
        )
        assert left.event_params["call_id"] == callers[0].call_id
        assert sorted(emu.conference("standup") or []) == [c.call_id for c in callers[1:]]


@pytest.mark.anyio
async def test_two_calls_meet_in_a_room(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    async def video_desk(call: Call) -> None:
        await call.answer()
        await call.join_room("consult-7")

    async with client:
        doctor = await emu.call(context="office", from_number="+15551230001", to_number="+1555")
        patient = await emu.call(context="office", from_number="+15551230002", to_number="+1555")
        await emu.wait_for_transcript("joined room 'consult-7' (2 members)")
        assert sorted(emu.room("consult-7") or []) == [doctor.call_id, patient.call_id]
        await patient.hangup()
        await emu.wait_for_event("calling.call.room", lambda p: p["room_state"] == "leave")
        assert emu.room("consult-7") == [doctor.call_id]


EXAMPLES = [
    answer_one_call,
    test_a_declined_card,
    test_an_ai_agent_takes_a_booking,
    test_a_transcribed_complaint,
    test_live_translation_reaches_its_webhook,
    test_the_machine_pauses_in_its_greeting,
    test_a_fax_fails_on_page_two,
    test_a_stream_that_cannot_connect,
    test_a_caller_leaves_the_queue_after_a_minute,
    test_a_participant_leaves_the_conference,
    test_two_calls_meet_in_a_room,
]


def test_the_page_shows_these_examples() -> None:
    page = DOC.read_text()
    for example in EXAMPLES:
        assert inspect.getsource(example) in page, example.__name__
