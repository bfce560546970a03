"""Outbound calls: dial (serial and parallel), personas, begin, connect and disconnect."""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import Persona, Press, RelayEmulator

from .conftest import answered_call
from .rawclient import RawClient

pytestmark = pytest.mark.anyio


def seconds(value: float) -> Any:
    return pytest.approx(value, abs=1e-3)


def phone(number: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "phone",
        "params": {"from_number": "+15551230002", "to_number": number, **extra},
    }


async def dial(
    client: RawClient, devices: list[list[dict[str, Any]]], tag: str = "t1"
) -> dict[str, Any]:
    """Dial and return the outcome event (``calling.call.dial`` answered or failed)."""
    result = await client.result("calling.dial", {"tag": tag, "devices": devices})
    assert result == {"code": "200", "message": "Dialing"}
    dialing = await client.event("calling.call.dial", lambda p: p["tag"] == tag)
    assert dialing["dial_state"] == "dialing"
    return await client.event(
        "calling.call.dial", lambda p: p["tag"] == tag and p["dial_state"] != "dialing"
    )


def leg_states(emu: RelayEmulator, tag: str) -> dict[str, list[tuple[str, str]]]:
    """call_id -> [(state, end_reason)] of the tagged legs, from the journal."""
    out: dict[str, list[tuple[str, str]]] = {}
    for entry in emu.journal.events("calling.call.state"):
        params = entry.event_params
        if params.get("tag") == tag:
            out.setdefault(params["call_id"], []).append(
                (params["call_state"], params.get("end_reason", ""))
            )
    return out


async def test_dial_answered(emu: RelayEmulator, client: RawClient) -> None:
    emu.persona("+15552002000", Persona.answers(after=2.0))
    outcome = await dial(client, [[phone("+15552002000")]])
    assert outcome["dial_state"] == "answered"
    winner = outcome["call"]
    # The service's shape (spec 4.3 [js]): state and direction, dial_winner the string "true".
    assert winner["dial_winner"] == "true" and winner["tag"] == "t1"
    assert winner["call_state"] == "answered" and winner["direction"] == "outbound"
    assert winner["node_id"] == emu.journal.events("calling.call.state")[0].event_params["node_id"]
    assert winner["device"] == phone("+15552002000")
    assert "call_id" not in outcome  # nested, as on the real service
    states = leg_states(emu, "t1")
    assert states == {winner["call_id"]: [("created", ""), ("ringing", ""), ("answered", "")]}
    created = emu.journal.events("calling.call.state")[0].event_params
    assert created["direction"] == "outbound" and created["created_by"] == "dial"
    party = await emu.wait_for_call_to("+15552002000")
    assert party.call_id == winner["call_id"] and party.state == "answered"
    # The winner takes further commands.
    await client.call("calling.end", winner)
    assert await party.wait_ended() == "hangup"


@pytest.mark.parametrize(
    ("persona", "reason"),
    [
        (Persona.busy(), "busy"),
        (Persona.no_answer(), "noAnswer"),
        (Persona.fails(), "error"),
        (Persona.declines(), "decline"),
    ],
)
async def test_dial_failures(
    emu: RelayEmulator, client: RawClient, persona: Persona, reason: str
) -> None:
    emu.persona("+15552002000", persona)
    outcome = await dial(client, [[phone("+15552002000", timeout=5)]])
    # The failed dial says why (spec 4.3: reason, and the dial's direction as source).
    assert outcome == {
        "node_id": outcome["node_id"],
        "tag": "t1",
        "dial_state": "failed",
        "reason": reason,
        "source": "outbound",
    }
    [(_, states)] = leg_states(emu, "t1").items()
    assert states[-1] == ("ended", reason)


async def test_invalid_number_is_not_found(emu: RelayEmulator, client: RawClient) -> None:
    outcome = await dial(client, [[phone("12")]])
    assert (outcome["dial_state"], outcome["reason"]) == ("failed", "error")
    [(_, states)] = leg_states(emu, "t1").items()
    assert states == [("created", ""), ("ending", "not_found"), ("ended", "not_found")]


async def test_no_answer_waits_for_the_device_timeout(
    emu: RelayEmulator, client: RawClient
) -> None:
    emu.persona("+15552002000", Persona.no_answer())
    await client.result(
        "calling.dial", {"tag": "t", "devices": [[phone("+15552002000", timeout=7)]]}
    )
    await client.event("calling.call.state", lambda p: p["call_state"] == "created")
    start = client.last_envelope["timestamp"]
    await client.event("calling.call.state", lambda p: p["call_state"] == "ended")
    assert client.last_envelope["timestamp"] - start == seconds(7.0)


async def test_parallel_first_answer_wins(emu: RelayEmulator, client: RawClient) -> None:
    emu.persona("+15552000001", Persona.answers(after=3.0))
    emu.persona("+15552000002", Persona.answers(after=1.0))
    emu.persona("+15552000003", Persona.busy())
    outcome = await dial(
        client, [[phone("+15552000001"), phone("+15552000002"), phone("+15552000003")]]
    )
    winner = outcome["call"]["call_id"]
    assert outcome["call"]["device"]["params"]["to_number"] == "+15552000002"
    states = leg_states(emu, "t1")
    assert states[winner][-1] == ("answered", "")
    others = {cid: s[-1] for cid, s in states.items() if cid != winner}
    # The busy leg failed on its own; the slow one was cancelled by the winner.
    assert sorted(others.values()) == [("ended", "busy"), ("ended", "cancel")]


async def test_serial_groups_are_tried_in_order(emu: RelayEmulator, client: RawClient) -> None:
    emu.persona("+15552000001", Persona.busy(after=0.5))
    emu.persona("+15552000002", Persona.answers(after=1.0))
    outcome = await dial(client, [[phone("+15552000001")], [phone("+15552000002")]])
    assert outcome["call"]["device"]["params"]["to_number"] == "+15552000002"
    states = leg_states(emu, "t1")
    first, second = list(states)
    assert states[first][-1] == ("ended", "busy")
    assert states[second][-1] == ("answered", "")
    # The second group only started once the first had failed.
    created = [
        e
        for e in emu.journal.events("calling.call.state")
        if e.event_params["call_state"] == "created"
    ]
    ended = [
        e
        for e in emu.journal.events("calling.call.state")
        if e.event_params["call_state"] == "ended"
    ]
    assert created[1].index > ended[0].index


async def test_all_groups_fail(emu: RelayEmulator, client: RawClient) -> None:
    emu.persona("+15552000001", Persona.busy())
    emu.persona("+15552000002", Persona.fails(reason="not_found"))
    outcome = await dial(client, [[phone("+15552000001")], [phone("+15552000002")]])
    # The reason is the last group's: its number was not found.
    assert (outcome["dial_state"], outcome["reason"]) == ("failed", "error")


async def test_answering_machine_and_callee_script(emu: RelayEmulator, client: RawClient) -> None:
    emu.persona("+15552000001", Persona.machine(greeting_words=5))
    emu.persona("+15552000002", Persona.human(script=[Press("1")]))
    machine = (await dial(client, [[phone("+15552000001")]], tag="m"))["call"]
    await client.call(
        "calling.detect", machine, control_id="d", detect={"type": "machine", "params": {}}
    )
    assert (await client.event("calling.call.detect"))["detect"]["params"]["event"] == "MACHINE"
    human = (await dial(client, [[phone("+15552000002")]], tag="h"))["call"]
    collect = {"digits": {"max": 1}}
    prompt = [{"type": "tts", "params": {"text": "Press 1 to accept"}}]
    await client.call(
        "calling.play_and_collect", human, control_id="c", play=prompt, collect=collect
    )
    assert (await client.event("calling.call.collect"))["result"]["params"]["digits"] == "1"


async def test_max_duration(emu: RelayEmulator, client: RawClient) -> None:
    await client.result(
        "calling.dial", {"tag": "t", "max_duration": 1, "devices": [[phone("+15552000001")]]}
    )
    await client.event("calling.call.state", lambda p: p["call_state"] == "answered")
    start = client.last_envelope["timestamp"]
    ended = await client.event("calling.call.state", lambda p: p["call_state"] == "ended")
    assert ended["end_reason"] == "max_duration"
    assert client.last_envelope["timestamp"] - start == seconds(60.0)


@pytest.mark.parametrize(
    "params",
    [
        {"devices": [[phone("+15552000001")]]},  # no tag
        {"tag": "t", "devices": []},
        {"tag": "t", "devices": [[]]},
        {"tag": "t", "devices": [["not a device"]]},
        {"tag": "t", "devices": [[{"type": "pigeon", "params": {}}]]},
        {"tag": "t", "devices": [[phone(f"+1555200000{i}") for i in range(11)]]},
    ],
)
async def test_dial_validation(client: RawClient, params: dict[str, Any]) -> None:
    reply = await client.request("calling.dial", params)
    assert reply["error"]["code"] == -32602


async def test_begin(emu: RelayEmulator, client: RawClient) -> None:
    result = await client.result("calling.begin", {"device": phone("+15552000001"), "tag": "b"})
    assert result["message"] == "Call started" and result["call_id"] and result["node_id"]
    answered = await client.event("calling.call.state", lambda p: p["call_state"] == "answered")
    assert answered["call_id"] == result["call_id"]


async def connect_events(client: RawClient, call_id: str, count: int) -> list[dict[str, Any]]:
    return [
        await client.event("calling.call.connect", lambda p: p["call_id"] == call_id)
        for _ in range(count)
    ]


async def test_connect_and_disconnect(emu: RelayEmulator, client: RawClient) -> None:
    emu.persona("+15552002000", Persona.answers(after=2.0))
    caller, call = await answered_call(emu, client)
    ringback = [{"type": "ringtone", "params": {"name": "us"}}]
    result = await client.call(
        "calling.connect", call, devices=[[phone("+15552002000")]], ringback=ringback, tag="c1"
    )
    assert result == {"code": "200", "message": "Connecting"}
    connecting, connected = await connect_events(client, call["call_id"], 2)
    assert connecting["connect_state"] == "connecting"
    assert connected["connect_state"] == "connected"
    peer = connected["peer"]
    assert peer["device"] == phone("+15552002000")
    leg = [
        e.event_params
        for e in emu.journal.events("calling.call.state")
        if e.event_params["call_id"] == peer["call_id"]
    ]
    assert [p["call_state"] for p in leg] == ["created", "ringing", "answered"]
    assert leg[0]["peer"] == {"call_id": call["call_id"], "node_id": call["node_id"]}
    assert leg[0]["tag"] == "c1"
    assert await caller.wait_connected() == "+15552002000"
    assert "connected to +15552002000" in caller.transcript(compact=True)
    again = await client.call("calling.connect", call, devices=[[phone("+15552002001")]])
    assert again["code"] == "409"
    assert (await client.call("calling.disconnect", call))["message"] == "Disconnecting"
    (disconnected,) = await connect_events(client, call["call_id"], 1)
    assert disconnected["connect_state"] == "disconnected"
    assert caller.connected_to is None
    assert (await client.call("calling.disconnect", call))["code"] == "409"


async def test_connect_fails_and_peer_hangup_disconnects(
    emu: RelayEmulator, client: RawClient
) -> None:
    emu.persona("+15552002000", Persona.busy())
    emu.persona("+15552002001", Persona.answers(after=1.0, hangup_after=5.0))
    _, call = await answered_call(emu, client)
    await client.call("calling.connect", call, devices=[[phone("+15552002000")]])
    states = [e["connect_state"] for e in await connect_events(client, call["call_id"], 2)]
    assert states == ["connecting", "failed"]
    await client.call("calling.connect", call, devices=[[phone("+15552002001")]])
    states = [e["connect_state"] for e in await connect_events(client, call["call_id"], 3)]
    assert states == ["connecting", "connected", "disconnected"]  # the peer hung up


async def test_caller_hangup_hangs_up_the_connected_leg(
    emu: RelayEmulator, client: RawClient
) -> None:
    caller, call = await answered_call(emu, client)
    await client.call("calling.connect", call, devices=[[phone("+15552002000")]])
    (_, connected) = await connect_events(client, call["call_id"], 2)
    peer = emu.party(connected["peer"]["call_id"])
    await caller.hangup()
    assert await peer.wait_ended() == "hangup"


async def test_connect_to_an_existing_call_and_to_a_stream(
    emu: RelayEmulator, client: RawClient
) -> None:
    _, first = await answered_call(emu, client)
    caller_two = await emu.call(context="office", from_number="+15550009", to_number="+15550002")
    second = await client.event("calling.call.receive")
    await client.call("calling.answer", second)
    await caller_two.wait_answered()
    device = {
        "type": "call",
        "params": {"call_id": second["call_id"], "node_id": second["node_id"]},
    }
    await client.call("calling.connect", first, devices=[[device]])
    states = [e["connect_state"] for e in await connect_events(client, first["call_id"], 2)]
    assert states == ["connecting", "connected"]
    assert caller_two.connected_to == "+15551230001"
    await client.call("calling.disconnect", first)
    stream = {"type": "stream", "params": {"url": "wss://media.example.com/s"}}
    await client.call("calling.connect", first, devices=[[stream]])
    states = [e["connect_state"] for e in await connect_events(client, first["call_id"], 3)]
    assert states == ["disconnected", "connecting", "connected"]
    mixed = await client.request(
        "calling.connect",
        {
            "node_id": first["node_id"],
            "call_id": first["call_id"],
            "devices": [[stream, phone("+15550001")]],
        },
    )
    assert mixed["error"]["code"] == -32602
