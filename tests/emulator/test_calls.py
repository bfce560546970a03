"""Inbound calls: states, end reasons, answer, hangup, pass, transfer, hold, errors."""

from __future__ import annotations

import pytest

from relay_anyio.testing import Hangup, Press, RelayEmulator

from .conftest import answered_call
from .rawclient import RawClient, connected

pytestmark = pytest.mark.anyio


async def test_inbound_call_offer_has_the_wire_shape(emu: RelayEmulator, client: RawClient) -> None:
    caller = await emu.call(context="office", from_number="+15551230001", to_number="+15551230002")
    offer = await client.event("calling.call.receive")
    assert offer == {
        "call_id": caller.call_id,
        "node_id": offer["node_id"],
        "call_state": "created",
        "direction": "inbound",
        "device": {
            "type": "phone",
            "params": {"from_number": "+15551230001", "to_number": "+15551230002"},
        },
        "tag": "",
        "context": "office",
        "project_id": "emulator-project",
    }
    assert client.last_envelope["event_channel"].startswith("signalwire_")
    assert isinstance(client.last_envelope["timestamp"], float)


async def test_answer_then_client_hangup(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    assert caller.state == "answered"
    result = await client.call("calling.end", call, reason="busy")
    assert result == {"code": "200", "message": "Disconnecting call"}
    ending = await client.event("calling.call.state")
    ended = await client.event("calling.call.state")
    assert (ending["call_state"], ending["end_reason"]) == ("ending", "busy")
    assert (ended["call_state"], ended["end_reason"]) == ("ended", "busy")
    assert await caller.wait_ended() == "busy"


async def test_answer_result_and_bad_end_reason(emu: RelayEmulator, client: RawClient) -> None:
    await emu.call(context="office", from_number="+15551230001", to_number="+15551230002")
    call = await client.event("calling.call.receive")
    assert await client.call("calling.answer", call) == {"code": "200", "message": "Answered"}
    reply = await client.request("calling.end", {**_ids(call), "reason": "bored"})
    assert reply["error"]["code"] == -32602


@pytest.mark.parametrize(("answer", "reason"), [(False, "cancel"), (True, "hangup")])
async def test_caller_hangs_up(
    emu: RelayEmulator, client: RawClient, answer: bool, reason: str
) -> None:
    caller = await emu.call(context="office", from_number="+15551230001", to_number="+15551230002")
    call = await client.event("calling.call.receive")
    if answer:
        await client.call("calling.answer", call)
        await caller.wait_answered()
    await caller.hangup()
    ended = await client.event("calling.call.state", lambda p: p["call_state"] == "ended")
    assert ended["end_reason"] == reason
    assert caller.end_reason == reason


async def test_scripted_hangup_after_delay(emu: RelayEmulator, client: RawClient) -> None:
    caller, _ = await answered_call(emu, client, script=[Hangup(after=2.0)])
    answered_at = client.last_envelope["timestamp"]
    ended = await client.event("calling.call.state", lambda p: p["call_state"] == "ended")
    assert ended["end_reason"] == "hangup"
    # Simulated time: the caller hung up exactly 2 s after the answer.
    assert client.last_envelope["timestamp"] - answered_at == pytest.approx(2.0, abs=1e-3)
    assert caller.transcript(compact=True).endswith("+15551230001 hung up (hangup)")


async def test_scripted_hangup_instead_of_answering_a_prompt(
    emu: RelayEmulator, client: RawClient
) -> None:
    caller, call = await answered_call(emu, client, script=[Press("1"), Hangup()])
    prompt = [{"type": "silence", "params": {"duration": 0.5}}]
    collect = {"digits": {"max": 1}}
    await client.call(
        "calling.play_and_collect", call, control_id="a", play=prompt, collect=collect
    )
    assert (await client.event("calling.call.collect"))["result"]["params"]["digits"] == "1"
    await client.call(
        "calling.play_and_collect", call, control_id="b", play=prompt, collect=collect
    )
    assert await caller.wait_ended() == "hangup"


async def test_pass_offers_the_call_to_the_next_client(emu: RelayEmulator) -> None:
    async with (
        connected(emu.port, contexts=["office"]) as one,
        connected(emu.port, contexts=["office"]) as two,
    ):
        await emu.wait_for_clients(2, context="office")
        caller = await emu.call(context="office", from_number="+15550001", to_number="+15550002")
        first = await one.event("calling.call.receive")
        assert await one.call("calling.pass", first) == {"code": "200", "message": "Passing call"}
        second = await two.event("calling.call.receive")
        assert second["call_id"] == caller.call_id
        # Nobody left who has not passed: the call waits for a new subscriber.
        await two.call("calling.pass", second)
        await emu.wait_for_transcript("waiting for a client")
        async with connected(emu.port, contexts=["office"]) as three:
            third = await three.event("calling.call.receive")
            assert third["call_id"] == caller.call_id
            await three.call("calling.answer", third)
            await caller.wait_answered()
            reply = await three.call("calling.pass", third)
            assert reply["code"] == "409"


async def test_transfer_to_another_context(emu: RelayEmulator) -> None:
    async with (
        connected(emu.port, contexts=["office"]) as office,
        connected(emu.port, contexts=["support"]) as support,
    ):
        caller = await emu.call(context="office", from_number="+15550001", to_number="+15550002")
        call = await office.event("calling.call.receive")
        result = await office.call("calling.transfer", call, dest="context:support")
        assert result["message"] == "Transferring"
        offer = await support.event("calling.call.receive")
        assert (offer["call_id"], offer["context"]) == (caller.call_id, "support")
        reply = await office.request("calling.transfer", {**_ids(call)})
        assert reply["error"]["code"] == -32602


async def test_transfer_to_swml_releases_the_call(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    await client.call("calling.transfer", call, dest="https://example.com/swml.json")
    await caller.hangup()
    await client.barrier()
    ended = [
        e
        for e in emu.journal.events("calling.call.state")
        if e.event_params["call_state"] == "ended"
    ]
    assert ended == []  # no RELAY client controls it any more
    assert "transferred to https://example.com/swml.json" in emu.transcript_text(caller)


async def test_hold_and_unhold(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    assert (await client.call("calling.hold", call))["message"] == "Call on hold"
    assert (await client.event("calling.call.hold"))["state"] == "hold"
    assert (await client.call("calling.unhold", call))["message"] == "Call off hold"
    assert (await client.event("calling.call.hold"))["state"] == "unhold"


async def test_unknown_and_ended_calls(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    unknown = await client.call(
        "calling.answer", {"call_id": "call-nope", "node_id": call["node_id"]}
    )
    assert unknown == {"code": "404", "message": "Call not found"}
    await caller.hangup()
    await client.event("calling.call.state", lambda p: p["call_state"] == "ended")
    gone = await client.call("calling.play", call, control_id="x", play=[])
    assert gone == {"code": "410", "message": "Call is gone"}
    missing = await client.request("calling.answer", {"node_id": "n"})
    assert missing["error"]["code"] == -32602


async def test_states_reported_through_the_journal(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    await client.call("calling.end", call)
    await caller.wait_ended()
    states = [
        e.event_params["call_state"]
        for e in emu.journal.events("calling.call.state")
        if e.event_params["call_id"] == caller.call_id
    ]
    assert states == ["answered", "ending", "ended"]
    answer = await emu.wait_for_request("calling.answer")
    assert answer.params == {"node_id": call["node_id"], "call_id": call["call_id"]}


def _ids(call: dict[str, object]) -> dict[str, object]:
    return {"node_id": call["node_id"], "call_id": call["call_id"]}
