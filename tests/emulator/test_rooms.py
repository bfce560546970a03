"""Conferences (participants across calls and clients) and queues."""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import RelayEmulator

from .conftest import answered_call
from .rawclient import RawClient, connected

pytestmark = pytest.mark.anyio


async def conference_event(client: RawClient, status: str) -> dict[str, Any]:
    return await client.event("calling.conference", lambda p: p["status"] == status)


async def test_conference_across_calls_and_clients(emu: RelayEmulator, client: RawClient) -> None:
    _, first = await answered_call(emu, client)
    result = await client.call("calling.join_conference", first, name="standup", beep="onEnter")
    conference_id = result["conference_id"]
    assert result["message"] == "Joining conference"
    start = await conference_event(client, "conference-start")
    assert start == {
        "conference_id": conference_id,
        "name": "standup",
        "status": "conference-start",
        "participants": 1,
    }
    joined = await conference_event(client, "participant-join")
    assert joined["call_id"] == first["call_id"] and joined["muted"] is False

    async with connected(emu.port, contexts=["branch"]) as other:
        caller = await emu.call(context="branch", from_number="+15550777", to_number="+15550002")
        second = await other.event("calling.call.receive")
        await other.call("calling.answer", second)
        await caller.wait_answered()
        again = await other.call("calling.join_conference", second, name="standup", muted=True)
        assert again["conference_id"] == conference_id
        # Both clients hear about the second participant.
        theirs = await conference_event(other, "participant-join")
        ours = await conference_event(client, "participant-join")
        assert theirs["call_id"] == ours["call_id"] == second["call_id"]
        assert (ours["muted"], ours["participants"]) == (True, 2)
        assert sorted(emu.conference("standup") or []) == sorted(
            [first["call_id"], second["call_id"]]
        )
        await caller.hangup()  # leaving by hanging up
        left = await conference_event(client, "participant-leave")
        assert (left["call_id"], left["participants"]) == (second["call_id"], 1)

    duplicate = await client.call("calling.join_conference", first, name="standup")
    assert duplicate["code"] == "409"
    leave = await client.call("calling.leave_conference", first, conference_id=conference_id)
    assert leave["message"] == "Leaving conference"
    await conference_event(client, "participant-leave")
    end = await conference_event(client, "conference-end")
    assert end["conference_id"] == conference_id
    assert emu.conference("standup") is None
    gone = await client.call("calling.leave_conference", first, conference_id=conference_id)
    assert gone["code"] == "404"


async def test_conference_limits_and_end_on_exit(emu: RelayEmulator, client: RawClient) -> None:
    _, a = await answered_call(emu, client)
    _, b = await answered_call(emu, client)
    _, c = await answered_call(emu, client)
    await client.call(
        "calling.join_conference", a, name="room", max_participants=2, end_on_exit=True
    )
    await client.call("calling.join_conference", b, name="room")
    full = await client.call("calling.join_conference", c, name="room")
    assert full == {"code": "409", "message": "Conference is full"}
    await client.call("calling.end", a)
    await conference_event(client, "conference-end")
    assert emu.conference("room") is None
    bad = await client.request(
        "calling.join_conference", {"node_id": b["node_id"], "call_id": b["call_id"]}
    )
    assert bad["error"]["code"] == -32602


async def queue_event(client: RawClient, cid: str) -> dict[str, Any]:
    return await client.event("calling.call.queue", lambda p: p["control_id"] == cid)


async def test_queue_enter_leave_and_dequeue(emu: RelayEmulator, client: RawClient) -> None:
    _, first = await answered_call(emu, client)
    _, second = await answered_call(emu, client)
    result = await client.call("calling.queue.enter", first, control_id="q1", queue_name="support")
    assert result["message"] == "Entering Queue"
    entered = await queue_event(client, "q1")
    assert (entered["status"], entered["name"], entered["position"], entered["size"]) == (
        "enqueue",
        "support",
        1,
        1,
    )
    await client.call("calling.queue.enter", second, control_id="q2", queue_name="support")
    entered2 = await queue_event(client, "q2")
    assert (entered2["position"], entered2["size"], entered2["id"]) == (2, 2, entered["id"])
    left = await client.call("calling.queue.leave", first, control_id="q1", queue_name="support")
    assert left["message"] == "Leaving Queue"
    assert (await queue_event(client, "q1"))["status"] == "leave"
    # An agent call connects to the queue and takes the first waiting call.
    _, agent = await answered_call(emu, client)
    device = {"type": "queue", "params": {"queue_name": "support"}}
    moved = await queue_event(client, "q2")
    assert (moved["status"], moved["position"]) == ("update", 1)  # q1 left: q2 moved up
    await client.call("calling.connect", agent, devices=[[device]])
    assert (await queue_event(client, "q2"))["status"] == "dequeue"
    connected_event = await client.event(
        "calling.call.connect",
        lambda p: p["call_id"] == agent["call_id"] and p["connect_state"] == "connected",
    )
    assert connected_event["peer"]["call_id"] == second["call_id"]
    # An empty queue: the connect fails.
    _, agent2 = await answered_call(emu, client)
    await client.call("calling.connect", agent2, devices=[[device]])
    failed = await client.event(
        "calling.call.connect",
        lambda p: p["call_id"] == agent2["call_id"] and p["connect_state"] == "failed",
    )
    assert failed["connect_state"] == "failed"
    not_in = await client.call("calling.queue.leave", first, control_id="q1", queue_name="support")
    assert not_in["code"] == "404"
