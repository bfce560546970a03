"""``calling.error`` events (spec 6): where the service sends them, and injected by tests."""

from __future__ import annotations

import anyio
import pytest

from relay_anyio import Call, CallingErrorEvent, RelayClient, RelayEvent
from relay_anyio.testing import RelayEmulator

from .conftest import answered_call
from .rawclient import RawClient, connected

pytestmark = pytest.mark.anyio


async def test_injected_error_about_a_call(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    assert emu.send_calling_error("5001", "Media server unreachable", call=caller.call_id) == 1
    error = await client.event("calling.error")
    assert error == {
        "call_id": call["call_id"],
        "node_id": call["node_id"],
        "code": "5001",
        "message": "Media server unreachable",
    }
    with pytest.raises(KeyError):
        emu.send_calling_error(call="call-nobody")
    assert f"{caller.call_id}: calling.error 5001" in emu.transcript_text()


async def test_injected_error_without_a_call_reaches_every_client(emu: RelayEmulator) -> None:
    async with connected(emu.port) as first, connected(emu.port) as second:
        assert emu.send_calling_error("5002", "Capacity exceeded") == 2
        for raw in (first, second):
            assert await raw.event("calling.error") == {
                "code": "5002",
                "message": "Capacity exceeded",
            }


async def test_a_failing_digit_binding_is_a_calling_error(
    emu: RelayEmulator, client: RawClient
) -> None:
    # The server runs a bound method itself, so no reply can carry its failure: the service
    # reports it as a calling.error on the call. Here the bound play has no media.
    caller, call = await answered_call(emu, client)
    await client.call("calling.bind_digit", call, digits="*", bind_method="calling.play", params={})
    await caller.press("*")
    error = await client.event("calling.error")
    assert error["call_id"] == call["call_id"] and error["code"] == "5001"
    assert "bound calling.play failed" in error["message"] and "play" in error["message"]


async def test_our_client_hands_it_to_the_calls_listeners(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    errors: list[RelayEvent] = []
    got = anyio.Event()

    @client.on_call
    async def handler(call: Call) -> None:
        def on_error(event: RelayEvent) -> None:
            errors.append(event)
            got.set()

        call.on("calling.error", on_error)
        await call.answer()

    async with client:
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002"
        )
        await caller.wait_answered()
        emu.send_calling_error("5001", "Call failed", call=caller.call_id)
        with anyio.fail_after(5):
            await got.wait()
        await caller.hangup()
    [error] = errors
    assert isinstance(error, CallingErrorEvent)
    assert (error.code, error.message) == ("5001", "Call failed")
    emu.assert_no_violations()
