"""The example tests of docs/emulator.md, run for real (our own client against the emulator).

Each example below appears verbatim in the page; ``test_the_page_shows_these_examples`` fails
when the page and this file drift apart.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

import anyio
import pytest
from anyio.from_thread import start_blocking_portal

import relay_sync
from relay_anyio import Call, Message, RelayClient, RelayError
from relay_anyio.testing import Persona, Press, RelayEmulator, Silence

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
PROMPT = [{"type": "tts", "params": {"text": "Press 1 for sales or 2 for support"}}]
SALES = {"type": "phone", "params": {"from_number": "+15551230002", "to_number": "+15552002000"}}


def make_ivr(client: RelayClient) -> None:
    """The application under test: a two-option IVR."""

    @client.on_call
    async def ivr(call: Call) -> None:
        await call.answer()
        menu = await call.play_and_collect(PROMPT, {"digits": {"max": 1}, "initial_timeout": 5})
        result = (await menu.wait()).params["result"]
        if result["type"] == "digit" and result["params"]["digits"] == "2":
            await call.connect([[SALES]])
        else:
            await (await call.play_tts("Please leave a message")).wait()
            await (await call.record({"end_silence_timeout": 2})).wait()
            await call.hangup()


@pytest.mark.anyio
async def test_caller_pressing_2_reaches_sales(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.persona("+15552002000", Persona.answers(after=2.0))
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    make_ivr(client)
    async with client:
        caller = await emu.call(
            context="office",
            from_number="+15551230001",
            to_number="+15551230002",
            script=[Press("2")],
        )
        assert await caller.wait_connected() == "+15552002000"
    assert "played 'Press 1 for sales or 2 for support', caller pressed 2, connected to" in (
        caller.transcript(compact=True)
    )


@pytest.mark.anyio
async def test_silent_caller_gets_voicemail(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    make_ivr(client)
    async with client:
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002"
        )
        await caller.wait_heard("Press 1")
        await caller.silence()  # no key: the menu times out after 5 simulated seconds
        await caller.wait_heard("Please leave a message")
        await caller.say("Hi, please call me back")
        assert await caller.wait_ended() == "hangup"
    record = await emu.wait_for_request("calling.record")
    assert record.params["record"] == {"audio": {"end_silence_timeout": 2}}
    emu.assert_no_violations()


@pytest.mark.anyio
async def test_busy_number_fails_the_dial(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.persona("+15559990000", Persona.busy())
    busy = {"type": "phone", "params": {"from_number": "+15551230002", "to_number": "+15559990000"}}
    async with RelayClient(project="p", token="t", host=emu.url) as client:
        with pytest.raises(RelayError, match="Dial failed"):
            await client.dial([[busy]])
    assert "+15559990000 was busy" in emu.transcript_text()


@pytest.mark.anyio
async def test_sms_auto_reply(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.message_outcome("+15550001111", "undelivered", "carrier_blocked")
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    replied = anyio.Event()
    states: list[str] = []

    @client.on_message
    async def auto_reply(message: Message) -> None:
        sent = await client.send_message(
            to_number=message.from_number, from_number=message.to_number, body="Thanks!"
        )
        await sent.wait()
        states.append(sent.state)
        replied.set()

    async with client:
        await emu.send_sms(
            context="office", from_number="+15550001111", to_number="+15551230002", body="Hi"
        )
        with anyio.fail_after(5):
            await replied.wait()
    assert states == ["undelivered"]
    request = await emu.wait_for_request("messaging.send")
    assert request.params["body"] == "Thanks!"


@pytest.mark.anyio
@pytest.mark.relay_emulator(time_scale=0.01)
async def test_scripted_caller_with_silence(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    make_ivr(client)
    async with client:
        caller = await emu.call(
            context="office",
            from_number="+15551230001",
            to_number="+15551230002",
            script=[Silence(), Silence()],  # says nothing to the menu nor to the recorder
        )
        assert await caller.wait_ended() == "hangup"
    record = [
        e
        for e in emu.journal.events("calling.call.record")
        if e.event_params["state"] != "recording"
    ]
    assert record[0].event_params["state"] == "no_input"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_blocking_client(backend: str) -> None:
    emulator = RelayEmulator(project="p", token="t", time_scale=0.001)
    with (
        start_blocking_portal(backend) as portal,
        portal.wrap_async_context_manager(emulator) as emu,
    ):
        client = relay_sync.RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

        @client.on_call
        def answer(call: relay_sync.Call) -> None:
            call.answer()

        client.connect()
        try:
            place = functools.partial(
                emu.call, context="office", from_number="+15551230001", to_number="+15551230002"
            )
            caller = portal.call(place)
            portal.call(caller.wait_answered)
        finally:
            client.disconnect()


def test_the_page_shows_these_examples() -> None:
    page = DOC.read_text()
    source = Path(__file__).read_text().splitlines()
    for line in source:
        if line.startswith(("PROMPT = ", "SALES = ", "from relay_anyio")):
            assert line in page, line
    for example in (
        make_ivr,
        test_caller_pressing_2_reaches_sales,
        test_silent_caller_gets_voicemail,
        test_busy_number_fails_the_dial,
        test_sms_auto_reply,
        test_scripted_caller_with_silence,
        test_blocking_client,
    ):
        assert inspect.getsource(example) in page, example.__name__
