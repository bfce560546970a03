"""``on_completed`` of an action, through the real core and a scripted server: it runs for every
completion the core reports except ``reason="not_started"`` (an action started on a call that
was already over), which the adapter learns from relay_proto rather than from its own view of
the call. Every test runs on asyncio and on trio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from relay_anyio import Call, CallEndedResult, RelayClient, RelayEvent

from .scripted_server import ScriptedServer

pytestmark = pytest.mark.anyio

CALL = {"call_id": "call-1", "node_id": "node-1"}


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as srv:
        yield srv


async def first_call(server: ScriptedServer, client: RelayClient) -> Call:
    """Offer one inbound call and return the Call the client's handler got."""
    send, receive = anyio.create_memory_object_stream[Call](1)

    @client.on_call
    async def on_call(call: Call) -> None:
        await send.send(call)

    offer = {**CALL, "call_state": "created", "direction": "inbound", "context": "office"}
    await server.push("calling.call.receive", offer)
    with anyio.fail_after(10):
        return await receive.receive()


async def end(server: ScriptedServer, call: Call) -> RelayEvent:
    await server.push("calling.call.state", {**CALL, "call_state": "ended"})
    with anyio.fail_after(10):
        return await call.wait_for_ended()


def client_for(server: ScriptedServer) -> RelayClient:
    return RelayClient(project="p", token="t", host=server.url, contexts=["office"])


async def test_not_run_for_an_action_started_on_an_ended_call(server: ScriptedServer) -> None:
    async with client_for(server) as client:
        call = await first_call(server, client)
        ended = await end(server, call)
        fired: list[Any] = []
        action = await call.play_tts("too late", on_completed=fired.append)
        assert action.is_done
        assert action.result == CallEndedResult(
            call_id="call-1", reason="not_started", ended_event=ended
        )
        with anyio.fail_after(10):
            assert await action.wait() is action.result
        # A plain callback runs inline as the action completes: it would have run by now.
        assert fired == []
    assert "calling.play" not in server.methods()


async def test_run_when_the_call_ends_while_the_action_is_pending(server: ScriptedServer) -> None:
    async with client_for(server) as client:
        call = await first_call(server, client)
        fired: list[Any] = []
        action = await call.play_tts("hello", on_completed=fired.append)
        await server.wait_request("calling.play")
        assert not action.is_done
        ended = await end(server, call)
        with anyio.fail_after(10):
            result = await action.wait()
        assert result == CallEndedResult(call_id="call-1", reason="call_ended", ended_event=ended)
        assert fired == [result]


async def test_run_for_the_final_event_and_for_a_call_gone(server: ScriptedServer) -> None:
    server.repliers["calling.record"] = lambda peer, request: (404, "Call not found")
    async with client_for(server) as client:
        call = await first_call(server, client)
        played: list[Any] = []
        play = await call.play_tts("hello", on_completed=played.append)
        await server.push(
            "calling.call.play", {**CALL, "control_id": play.control_id, "state": "finished"}
        )
        with anyio.fail_after(10):
            finished = await play.wait()
        assert played == [finished]
        recorded: list[Any] = []
        record = await call.record(on_completed=recorded.append)
        assert record.is_done
        assert record.result == CallEndedResult(call_id="call-1", reason="call_gone")
        assert recorded == [record.result]


async def test_not_run_for_an_action_started_on_a_passed_call(server: ScriptedServer) -> None:
    async with client_for(server) as client:
        call = await first_call(server, client)
        await call.pass_()  # the server took the call back: it is over for this client (D29)
        fired: list[Any] = []
        action = await call.play_tts("too late", on_completed=fired.append)
        assert action.is_done
        assert action.result == CallEndedResult(call_id="call-1", reason="not_started")
        assert fired == []
    assert "calling.play" not in server.methods()
