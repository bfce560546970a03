"""Media written flat, as the public documentation writes it, reaches the service canonical, and
values the client no longer checks are judged by the service: over real loopback sockets to the
emulator, on asyncio and trio.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from relay_anyio import Call, RelayClient, RelayError
from relay_anyio.testing import Persona, Press, RelayEmulator

pytestmark = pytest.mark.anyio

CALLER, OFFICE, AGENT = "+15551230001", "+15551230002", "+15552002000"
AGENT_PHONE = {"type": "phone", "params": {"to_number": AGENT, "from_number": OFFICE}}

# Every flat form of the documentation, and what the service must receive.
FLAT: list[dict[str, Any]] = [
    {"type": "tts", "text": "Hello from RELAY!"},
    {"type": "audio", "url": "https://media.example.com/chime.wav?duration=1"},
    {"type": "silence", "duration": 0.5},
    {"type": "ringtone", "name": "us", "duration": 1},
]
CANONICAL: list[dict[str, Any]] = [
    {"type": "tts", "params": {"text": "Hello from RELAY!"}},
    {"type": "audio", "params": {"url": "https://media.example.com/chime.wav?duration=1"}},
    {"type": "silence", "params": {"duration": 0.5}},
    {"type": "ringtone", "params": {"name": "us", "duration": 1}},
]


def client_for(emu: RelayEmulator) -> RelayClient:
    return RelayClient(project="p", token="t", host=emu.url, contexts=["office"])


async def handle_one_call(
    emu: RelayEmulator,
    handler: Callable[[Call], Awaitable[Any]],
    script: list[Any] | None = None,
) -> tuple[Any, list[Any]]:
    """Serve one inbound call with ``handler``; return (the caller, what the handler returned
    or raised)."""
    client = client_for(emu)
    outcome: list[Any] = []
    done = anyio.Event()

    @client.on_call
    async def handle(call: Call) -> None:
        try:
            outcome.append(await handler(call))
        except Exception as exc:  # reported to the test below
            outcome.append(exc)
        finally:
            done.set()

    async with client:
        caller = await emu.call(
            context="office", from_number=CALLER, to_number=OFFICE, script=script
        )
        await done.wait()
        await caller.wait_ended()
    return caller, outcome


async def test_the_documented_first_handler_runs_unchanged(emu: RelayEmulator) -> None:
    async def handler(call: Call) -> str:
        await call.answer()
        action = await call.play([{"type": "tts", "text": "Hello from RELAY!"}])
        event = await action.wait()
        await call.hangup()
        return str(event.params["state"])

    caller, outcome = await handle_one_call(emu, handler)
    assert outcome == ["finished"]
    assert caller.heard == ["Hello from RELAY!"]
    [play] = emu.journal.requests("calling.play")
    assert play.params["play"] == [CANONICAL[0]]


async def test_every_flat_media_item_is_sent_canonical(emu: RelayEmulator) -> None:
    async def handler(call: Call) -> str:
        await call.answer()
        event = await (await call.play(FLAT)).wait()
        await call.hangup()
        return str(event.params["state"])

    caller, outcome = await handle_one_call(emu, handler)
    assert outcome == ["finished"]
    [play] = emu.journal.requests("calling.play")
    assert play.params["play"] == CANONICAL
    assert caller.heard == [
        "Hello from RELAY!",
        "https://media.example.com/chime.wav?duration=1",
        "(silence 0.5 s)",
        "(ringtone us)",
    ]


async def test_a_flat_prompt_collects_the_pressed_digit(emu: RelayEmulator) -> None:
    async def handler(call: Call) -> str:
        await call.answer()
        action = await call.play_and_collect(
            [{"type": "tts", "text": "Press 1 for sales."}], {"digits": {"max": 1}}
        )
        result = (await action.wait()).params["result"]
        await call.hangup()
        return str(result["params"]["digits"])

    caller, outcome = await handle_one_call(emu, handler, script=[Press("1")])
    assert outcome == ["1"]
    assert caller.heard == ["Press 1 for sales."]
    [prompt] = emu.journal.requests("calling.play_and_collect")
    assert prompt.params["play"] == [{"type": "tts", "params": {"text": "Press 1 for sales."}}]


async def test_a_flat_ringback_is_sent_canonical_in_connect(emu: RelayEmulator) -> None:
    emu.persona(AGENT, Persona.answers(after=2.0))

    async def handler(call: Call) -> None:
        await call.answer()
        await call.connect([[AGENT_PHONE]], ringback=[{"type": "ringtone", "name": "us"}])

    client = client_for(emu)
    done = anyio.Event()

    @client.on_call
    async def handle(call: Call) -> None:
        try:
            await handler(call)
        finally:
            done.set()

    async with client:
        caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await done.wait()
        assert await caller.wait_connected() == AGENT
        await caller.hangup()
        await caller.wait_ended()
    [connect] = emu.journal.requests("calling.connect")
    assert connect.params["ringback"] == [{"type": "ringtone", "params": {"name": "us"}}]
    assert any("hears ringback ringtone 'us'" in line for line in emu.transcript)


async def test_flat_media_on_a_dialled_call(emu: RelayEmulator) -> None:
    emu.persona(AGENT, Persona.answers(after=1.0))
    async with client_for(emu) as client:
        call = await client.dial([[AGENT_PHONE]])
        await (await call.play([{"type": "audio", "url": "https://m.example.com/a.mp3"}])).wait()
        await call.hangup()
        await call.wait_for_ended()
    callee = await emu.wait_for_call_to(AGENT)
    assert callee.heard == ["https://m.example.com/a.mp3"]
    [play] = emu.journal.requests("calling.play")
    assert play.params["play"] == [
        {"type": "audio", "params": {"url": "https://m.example.com/a.mp3"}}
    ]


async def test_values_the_client_passes_through_are_judged_by_the_service(
    emu: RelayEmulator,
) -> None:
    async def handler(call: Call) -> list[Any]:
        await call.answer()
        refused: list[Any] = []
        for attempt in (
            lambda: call.hangup("because"),
            lambda: call.send_digits("12x"),
            lambda: call.play([{"type": "tts", "text": "loud"}], volume=41),
            lambda: call.collect(initial_timeout=4.0),
        ):
            with pytest.raises(RelayError) as info:
                await attempt()
            refused.append((info.value.code, info.value.message.split(":")[0]))
        # A ringtone name the service does not know: accepted, then the play fails.
        played = await (await call.play_ringtone("gb")).wait()
        refused.append(played.params["state"])
        # The call was never disturbed.
        await (await call.play_tts("still here")).wait()
        await call.hangup()
        return refused

    caller, outcome = await handle_one_call(emu, handler)
    assert outcome == [[(-32602, "Invalid params")] * 4 + ["error"]]
    assert caller.heard == ["still here"]
    assert caller.end_reason == "hangup"
    [end_refused, end_ok] = emu.journal.requests("calling.end")
    assert end_refused.params["reason"] == "because"  # sent as given
    assert end_ok.params["reason"] == "hangup"
