"""The example tests of docs/emulator.md, run for real (our own client against the emulator).

Each example below appears verbatim in the page; ``test_the_page_shows_these_examples`` fails
when the page and this file drift apart.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage

import relay_sync
from relay_anyio import Call, Message, RelayClient, RelayError
from relay_anyio.testing import Persona, Press, RelayEmulator, Silence

if TYPE_CHECKING:
    from relay_anyio.testing import ThreadedEmulator

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
    assert emu.messages[0].states == ["queued", "initiated", "sent", "undelivered"]
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


@pytest.mark.anyio
async def test_caller_keys_in_a_room_number(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    async def conference_line(call: Call) -> None:
        await call.answer()
        keys = await call.collect(digits={"max": 4, "terminators": "#"}, start_input_timers=True)
        room = (await keys.wait()).params["result"]["params"]["digits"]
        await call.send_digits("1")  # DTMF back to the caller's phone
        await call.join_conference(f"room-{room}")

    async with client:
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002"
        )
        await caller.wait_state("answered")
        await caller.press("42#")
        await caller.wait_input_taken()
        await emu.wait_for_transcript("joined conference 'room-42'")
        assert emu.conference("room-42") == [caller.call_id]
        assert caller.received_digits == ["1"]
        await caller.hangup()
        assert await caller.wait_ended() == "hangup"
    assert emu.conference("room-42") is None


@pytest.mark.anyio
async def test_the_dialled_number_presses_1(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.set_default_persona(Persona.answers(after=3.0, script=[Press("1")]))
    alex = {"type": "phone", "params": {"from_number": "+15551230002", "to_number": "+15553004000"}}
    async with RelayClient(project="p", token="t", host=emu.url) as client:
        call = await client.dial([[alex]])
        callee = await emu.wait_for_call_to("+15553004000")
        assert emu.party(call.call_id) is callee
        menu = await call.collect(digits={"max": 1}, initial_timeout=5, start_input_timers=True)
        result = (await menu.wait()).params["result"]
        await call.hangup()
        assert await callee.wait_ended() == "hangup"
    assert result["params"]["digits"] == "1"
    assert callee.pending_intents == []


@pytest.mark.anyio
async def test_hold_music_plays_for_its_declared_length(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.set_audio_duration("https://example.com/hold.mp3", 90)
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    async def hold_music(call: Call) -> None:
        await call.answer()
        await (await call.play_audio("https://example.com/hold.mp3")).wait()
        await call.hangup()

    async with client:
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002"
        )
        assert await caller.wait_ended() == "hangup"
    playing = await emu.wait_for_event("calling.call.play", lambda p: p["state"] == "playing")
    finished = await emu.wait_for_event("calling.call.play", lambda p: p["state"] == "finished")
    assert finished.params["timestamp"] - playing.params["timestamp"] == pytest.approx(90)
    assert finished.params["timestamp"] - emu.epoch <= emu.now()
    assert caller.heard == ["https://example.com/hold.mp3"]
    when = {line.text: line.t for line in emu.transcript_lines if line.subject == caller.call_id}
    assert when["client#1 hung up (hangup)"] - when["answered by client#1"] >= 90


@pytest.mark.anyio
async def test_what_went_over_the_wire(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    make_ivr(client)
    async with client:
        [worker] = await emu.wait_for_clients(1, context="office")
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002", script=["2"]
        )
        offer = await emu.wait_for_event("calling.call.receive", acked=True)
        answer = await emu.wait_for_request("calling.answer")
        reply = await emu.wait_for_reply(answer)
        await emu.wait_for_transcript("connected to +15552002000")
    assert offer.event_params["call_id"] == caller.call_id == answer.params["call_id"]
    assert reply.result["message"] == "Answered"
    methods = [e.method for e in emu.journal.requests(conn=worker.conn)]
    assert methods[:4] == [
        "signalwire.connect",
        "calling.answer",
        "calling.play_and_collect",
        "calling.connect",
    ]
    connect = emu.journal.find(lambda e: e.method == "calling.connect")
    assert connect is not None and len(emu.journal.replies_to(connect)) == 1
    states = [e.event_params["connect_state"] for e in emu.journal.events("calling.call.connect")]
    assert states[:2] == ["connecting", "connected"]
    assert worker.agent.startswith("relay-sansio/")
    assert "calling.play_and_collect" in emu.journal.text()


@pytest.mark.anyio
@pytest.mark.relay_emulator(ack_timeout=0.05)
async def test_a_client_that_never_acknowledges(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    ws = WSConnection(ConnectionType.CLIENT)
    login = {
        "jsonrpc": "2.0",
        "id": "1",
        "method": "signalwire.connect",
        "params": {"event_acks": True, "authentication": {"project": "p", "token": "t"}},
    }
    async with await anyio.connect_tcp("127.0.0.1", emu.port) as sock:
        await sock.send(ws.send(Request(host=emu.host, target="/")))
        while not any(isinstance(event, AcceptConnection) for event in ws.events()):
            ws.receive_data(await sock.receive())
        await sock.send(ws.send(TextMessage(json.dumps(login))))
        violation = await emu.wait_for_violation("not acknowledged")
    assert "signalwire.authorization.state" in violation
    with pytest.raises(AssertionError, match="not acknowledged"):
        emu.assert_no_violations()


@pytest.mark.anyio
async def test_the_ivr_rides_out_faults(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.persona("+15552002000", Persona.answers(after=2.0))
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    make_ivr(client)
    async with client:
        emu.faults.send_malformed("unknown_call")  # an event for no call: ACK it, carry on
        nobody = await emu.wait_for_event("calling.call.state", acked=True)
        assert nobody.event_params["call_id"] == "call-nobody"
        emu.faults.disconnect(restart=False)  # a deploy: the client resumes its session
        resume = await emu.wait_for_request("signalwire.connect", lambda p: "protocol" in p)
        assert (await emu.wait_for_reply(resume)).result["session_restored"] is True
        emu.faults.duplicate_events()  # every event twice: the client handles each once
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002", script=["2"]
        )
        assert await caller.wait_connected() == "+15552002000"
    assert len(emu.journal.requests("calling.answer")) == 1
    emu.assert_no_violations()


def test_blocking_ivr(relay_emulator_sync: ThreadedEmulator) -> None:
    emu = relay_emulator_sync
    client = relay_sync.RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    def ivr(call: relay_sync.Call) -> None:
        call.answer()
        menu = call.play_and_collect(PROMPT, {"digits": {"max": 1}, "initial_timeout": 5})
        menu.wait()
        call.hangup()

    with client:
        caller = emu.call(
            context="office",
            from_number="+15551230001",
            to_number="+15551230002",
            script=[Press("1")],
        )
        assert caller.wait_ended() == "hangup"
    assert "caller pressed 1" in caller.transcript(compact=True)


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
        test_caller_keys_in_a_room_number,
        test_the_dialled_number_presses_1,
        test_hold_music_plays_for_its_declared_length,
        test_what_went_over_the_wire,
        test_a_client_that_never_acknowledges,
        test_the_ivr_rides_out_faults,
        test_blocking_ivr,
    ):
        assert inspect.getsource(example) in page, example.__name__
