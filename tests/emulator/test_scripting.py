"""The scripting API: journal, transcript, waits, remote parties, time scale, violations."""

from __future__ import annotations

import pytest

from relay_anyio.testing import (
    EmulatorTimeout,
    Hangup,
    Persona,
    Press,
    RelayEmulator,
    Say,
    Silence,
    _journal,
)
from relay_anyio.testing._model import RequestError
from relay_anyio.testing._script import coerce_script

from .conftest import answered_call
from .rawclient import RawClient, connected

pytestmark = pytest.mark.anyio


async def test_journal_records_both_directions(emu: RelayEmulator, client: RawClient) -> None:
    await client.result("signalwire.receive", {"contexts": ["sales"]})
    connect, receive = emu.journal.requests()
    assert (connect.method, receive.method) == ("signalwire.connect", "signalwire.receive")
    assert (
        receive.direction == "in"
        and receive.conn == 1
        and receive.params == {"contexts": ["sales"]}
    )
    [reply] = emu.journal.replies_to(receive)
    assert (reply.result, reply.error) == ({"code": "200", "message": "Receiving events"}, {})
    assert reply.is_reply and reply.frame == {
        "jsonrpc": "2.0",
        "id": receive.id,
        "result": {"code": "200", "message": "Receiving events"},
    }
    [push] = emu.journal.events("signalwire.authorization.state")
    assert (
        push.event_type == "signalwire.authorization.state"
        and "authorization_state" in push.event_params
    )
    assert emu.journal.requests("signalwire.receive", conn=2) == []
    assert emu.journal.since(receive.index)[0] is receive
    assert len(emu.journal) == len(list(emu.journal)) >= 6
    assert emu.journal[0].method == "signalwire.connect"
    assert "signalwire.receive" in emu.journal.text()
    assert str(receive).startswith("[") and "conn1 <-" in str(receive)


async def test_journal_keeps_malformed_text(anyio_backend: str) -> None:
    async with RelayEmulator() as emu, connected(emu.port) as raw:
        await raw.send_text("not json at all")
        await raw.barrier()
        entry = emu.journal.find(lambda e: e.text == "not json at all")
        assert (
            entry is not None and entry.frame is None and entry.method == "" and entry.params == {}
        )


async def test_wait_for_request_steps_through_requests(
    emu: RelayEmulator, client: RawClient
) -> None:
    _, call = await answered_call(emu, client)
    silence = [{"type": "silence", "params": {"duration": 1}}]
    await client.call("calling.play", call, control_id="one", play=silence)
    await client.call("calling.play", call, control_id="two", play=silence)
    first = await emu.wait_for_request("calling.play")
    second = await emu.wait_for_request("calling.play")
    assert (first.params["control_id"], second.params["control_id"]) == ("one", "two")
    again = await emu.wait_for_request("calling.answer", lambda p: p["call_id"] == call["call_id"])
    assert again.method == "calling.answer"
    with pytest.raises(EmulatorTimeout, match=r"request calling\.play") as caught:
        await emu.wait_for_request("calling.play", timeout=0.01)
    assert "answered by client#1" in str(caught.value)  # the transcript tail helps debugging


async def test_remote_party_facts_and_transcript(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client, script=[Say("hello"), Silence(2), Press("1")])
    assert caller.number == "+15551230001" and caller.direction == "inbound"
    assert caller.context == "office" and caller.end_reason == "" and caller.connected_to is None
    assert repr(caller) == f"<RemoteParty +15551230001 {caller.call_id} answered>"
    assert [type(i).__name__ for i in caller.pending_intents] == ["Say", "Silence", "Press"]
    assert emu.party(caller.call_id) is caller
    with pytest.raises(KeyError):
        emu.party("call-404")
    await client.call(
        "calling.play", call, control_id="p", play=[{"type": "tts", "params": {"text": "Hi there"}}]
    )
    assert await caller.wait_heard("there") == "Hi there"
    await client.call("calling.end", call)
    assert await caller.wait_ended() == "hangup"
    text = caller.transcript(compact=True)
    assert text.startswith(
        "incoming call from +15551230001 to +15551230002 on 'office', offered to client#1"
    )
    assert "played 'Hi there'" in text
    assert emu.transcript_text(caller, compact=True) == text
    assert emu.transcript_text(caller.call_id).count("\n") == caller.transcript().count("\n")


async def test_wait_answered_fails_for_a_call_that_ends_unanswered(
    emu: RelayEmulator, client: RawClient
) -> None:
    caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
    call = await client.event("calling.call.receive")
    await client.call("calling.end", call, reason="decline")
    with pytest.raises(AssertionError, match="without being answered"):
        await caller.wait_answered()
    with pytest.raises(ValueError):
        await caller.wait_state("flying")


async def test_wait_input_taken(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client, script=[Press("7")])
    await client.call("calling.collect", call, control_id="k", digits={"max": 1})
    await caller.wait_input_taken()
    assert caller.pending_intents == []


async def test_scripted_hangup_instead_of_input_and_wait_for_call_to(
    emu: RelayEmulator, client: RawClient
) -> None:
    emu.persona("+15557654321", Persona.human(script=[Hangup()]))
    await client.result(
        "calling.dial",
        {
            "tag": "t",
            "devices": [
                [{"type": "phone", "params": {"to_number": "+15557654321", "from_number": "+1555"}}]
            ],
        },
    )
    callee = await emu.wait_for_call_to("+15557654321")
    await callee.wait_answered()
    dialled = await client.event("calling.call.dial", lambda p: p["dial_state"] == "answered")
    await client.call("calling.collect", dialled["call"], control_id="k", speech={})
    assert await callee.wait_ended() == "hangup"
    with pytest.raises(EmulatorTimeout):
        await emu.wait_for_call_to("+15557654321", timeout=0.01)  # each leg is returned once


async def test_time_scale_and_simulated_clock(anyio_backend: str) -> None:
    async with (
        RelayEmulator(time_scale=0.0001) as emu,
        connected(emu.port, contexts=["office"]) as raw,
    ):
        assert emu.time_scale == 0.0001
        _, call = await answered_call(emu, raw)
        # A one-hour prompt: 0.36 real seconds at this scale.
        await raw.call(
            "calling.play",
            call,
            control_id="p",
            play=[{"type": "silence", "params": {"duration": 3600}}],
        )
        await raw.event("calling.call.play", lambda p: p["state"] == "playing")
        started = raw.last_envelope["timestamp"]
        await raw.event("calling.call.play", lambda p: p["state"] == "finished")
        assert raw.last_envelope["timestamp"] - started == pytest.approx(3600, abs=1e-3)
        assert emu.now() >= 3600
    with pytest.raises(ValueError, match="time_scale"):
        RelayEmulator(time_scale=0)
    with pytest.raises(ValueError, match="max_unacked"):
        RelayEmulator(max_unacked=0)


async def test_transcript_lines_sit_among_the_frames(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client, script=[Press("1")])
    await client.call(
        "calling.play", call, control_id="p1", play=[{"type": "silence", "params": {"duration": 2}}]
    )
    await client.event("calling.call.play", lambda p: p["state"] == "finished")
    await client.call("calling.end", call, reason="hangup")
    await caller.wait_ended()
    journal = list(emu.journal)
    lines = emu.transcript_lines
    # What a request causes comes after it, and before its reply, in place and in time.
    answer = next(e for e in journal if e.method == "calling.answer")
    (reply,) = emu.journal.replies_to(answer)
    answered = next(x for x in lines if x.text == "answered by client#1")
    assert answer.index < answered.journal_position <= reply.index
    assert answer.t <= answered.t <= reply.t
    # No line is older than a client frame before it (the world catches up with each frame
    # before it is handled), and the positions only grow.
    for line in lines:
        before = [e for e in journal if e.direction == "in" and e.index < line.journal_position]
        assert all(line.t >= e.t for e in before), (line, before[-1])
    assert [x.journal_position for x in lines] == sorted(x.journal_position for x in lines)
    assert [str(x) for x in lines] == emu.transcript


def test_journal_next_index_counts_dropped_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_journal, "_MAX_ENTRIES", 3)
    journal = _journal.Journal()
    assert journal.next_index == 0
    for n in range(5):
        assert journal.record(float(n), "in", 1, "{}").index == n
    assert (len(journal), journal.next_index, journal[0].index) == (3, 5, 2)
    error = journal.record(5.0, "in", 1, '{"id": "e", "error": {"code": 1, "message": "no"}}')
    assert (error.error, error.result, error.is_reply) == ({"code": 1, "message": "no"}, {}, True)
    odd = journal.record(6.0, "in", 1, '{"id": "r", "result": [1], "error": "x"}')
    assert (odd.result, odd.error) == ({}, {})


async def test_live_transcript_callback(anyio_backend: str) -> None:
    seen: list[str] = []
    async with RelayEmulator(on_transcript=seen.append) as emu:
        await emu.call(context="office", from_number="+1555", to_number="+1556")
    assert any("incoming call from +1555" in line for line in seen)
    assert seen == emu.transcript


async def test_clients_and_violations(anyio_backend: str) -> None:
    async with RelayEmulator() as emu:
        raw = await RawClient.open(emu.port)
        await raw.login(contexts=["office"], event_acks=False)
        await emu.wait_for_violation("without event_acks")
        [info] = emu.clients
        assert (info.conn, info.label, info.contexts, info.agent, info.open) == (
            1,
            "client#1",
            ("office",),
            "raw-test-client/1.0",
            True,
        )
        with pytest.raises(AssertionError, match="event_acks"):
            emu.assert_no_violations()
        await raw.close()
        await emu.wait_for_transcript("socket closed")
        assert emu.clients[0].open is False


async def test_internal_errors_are_recorded_and_the_connection_survives(
    anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with RelayEmulator() as emu, connected(emu.port, contexts=["office"]) as raw:

        def broken(*args: object) -> dict[str, object]:
            raise RuntimeError("simulated bug")

        monkeypatch.setitem(emu._switch.handlers, "calling.user_event", broken)
        await raw.start_request("calling.user_event", {"call_id": "x"})
        await raw.barrier()  # still served
        assert [repr(e) for e in emu.internal_errors] == ["RuntimeError('simulated bug')"]
        with pytest.raises(AssertionError, match="simulated bug"):
            emu.assert_no_violations()


def test_script_validation() -> None:
    with pytest.raises(ValueError):
        Press("12x")
    with pytest.raises(ValueError):
        Press("")
    with pytest.raises(ValueError):
        Say("   ")
    with pytest.raises(ValueError):
        Say("hi", confidence=2)
    with pytest.raises(ValueError):
        Silence(-1)
    with pytest.raises(ValueError):
        Hangup(after=-1)
    with pytest.raises(TypeError):
        coerce_script("123")
    with pytest.raises(TypeError):
        coerce_script([42])
    assert coerce_script(["12", Say("yes")]) == [Press("12"), Say("yes")]
    assert Say("two words").words == 2


def test_personas() -> None:
    assert Persona.answers(2.0) == Persona.human(after=2.0)
    assert Persona.answers().picks_up and Persona.machine().picks_up and Persona.fax().picks_up
    for persona in (Persona.busy(), Persona.no_answer(), Persona.fails(), Persona.declines()):
        assert not persona.picks_up and persona.end_reason
    with pytest.raises(ValueError):
        Persona.human(after=-1)
    with pytest.raises(ValueError):
        Persona(kind="human", hangup_after=-1)
    with pytest.raises(ValueError):
        Persona.machine(greeting_words=-3)


def test_request_error_carries_data() -> None:
    err = RequestError(-32000, "nope", {"x": 1})
    assert (err.code, err.message, err.data) == (-32000, "nope", {"x": 1})
