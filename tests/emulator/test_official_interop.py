"""Interop: the official ``signalwire.relay`` client (signalwire-sdk) against the emulator.

The official client always dials ``wss://<host>``; the official test suite reaches its mock
server by replacing ``websockets.connect`` with a URL-only redirect, and so do we: the URL
becomes the emulator's ``ws://`` URL (which also sidesteps its defect A1, ``ssl=None`` with
``wss``). Everything else is the official client as shipped.

These tests run on asyncio only: the official client is written for asyncio (it creates
``asyncio`` futures and tasks), so it cannot run under trio.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from relay_anyio.testing import Persona, Press, RelayEmulator

_MISSING = (
    "the official SDK is not importable; install it with "
    "pip install --no-deps signalwire-sdk websockets structlog"
)
relay = pytest.importorskip("signalwire.relay", reason=_MISSING)
websockets = pytest.importorskip("websockets", reason=_MISSING)

pytestmark = [pytest.mark.anyio, pytest.mark.official]

PROMPT = [{"type": "tts", "params": {"text": "Press 1 for sales or 2 for support"}}]


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: the official client cannot run on trio."""
    return "asyncio"


@pytest.fixture
async def official_emu(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RelayEmulator]:
    """An emulator, with the official client's ``websockets.connect`` redirected to it."""
    async with RelayEmulator(project="proj", token="tok", time_scale=0.001) as emu:
        real_connect: Callable[..., Any] = websockets.connect

        def redirect(uri: str, **kwargs: Any) -> Any:
            assert uri == f"wss://{emu.host}"  # what the official client asked for
            kwargs.pop("ssl", None)  # plain ws:// on loopback: no TLS settings apply
            return real_connect(emu.url, **kwargs)

        monkeypatch.setattr(websockets, "connect", redirect)
        yield emu


def phone(number: str) -> dict[str, Any]:
    return {"type": "phone", "params": {"from_number": "+15551230002", "to_number": number}}


async def test_official_client_end_to_end(official_emu: RelayEmulator) -> None:
    emu = official_emu
    emu.persona("+15552002000", Persona.answers(after=2.0))
    emu.persona("+15553334444", Persona.answers(after=1.0))
    emu.persona("+15559990000", Persona.busy())
    client = relay.RelayClient(project="proj", token="tok", host=emu.host, contexts=["office"])
    handled = asyncio.Event()
    outcome: dict[str, Any] = {}

    @client.on_call  # type: ignore[untyped-decorator]  # the official SDK ships no types
    async def ivr(call: Any) -> None:
        await call.answer()
        action = await call.play_and_collect(PROMPT, {"digits": {"max": 1, "digit_timeout": 5}})
        event = await action.wait(timeout=10)
        outcome["digits"] = event.params["result"]["params"]["digits"]
        await call.connect([[phone("+15552002000")]])
        connected = await call.wait_for(
            "calling.call.connect",
            predicate=lambda e: e.params.get("connect_state") == "connected",
            timeout=10,
        )
        outcome["peer"] = connected.params["peer"]["device"]["params"]["to_number"]
        handled.set()

    await client.connect()
    try:
        assert client.relay_protocol.startswith("signalwire_")

        # 1. An inbound IVR call: answer, prompt and collect, connect.
        caller = await emu.call(
            context="office",
            from_number="+15551230001",
            to_number="+15551230002",
            script=[Press("2")],
        )
        assert await caller.wait_connected() == "+15552002000"
        await asyncio.wait_for(handled.wait(), timeout=10)
        assert outcome == {"digits": "2", "peer": "+15552002000"}
        story = caller.transcript(compact=True)
        assert "played 'Press 1 for sales or 2 for support', caller pressed 2" in story
        assert "connected to +15552002000" in story

        # 2. Dial out: the winner is a live call the client can hang up.
        call = await client.dial([[phone("+15553334444")]], dial_timeout=10)
        callee = await emu.wait_for_call_to("+15553334444")
        assert call.call_id == callee.call_id
        await call.hangup()
        assert await callee.wait_ended() == "hangup"

        # A busy number: the official client raises its "Dial failed" error.
        with pytest.raises(relay.RelayError, match="Dial failed"):
            await client.dial([[phone("+15559990000")]], dial_timeout=10)

        # 3. An SMS, delivered.
        message = await client.send_message(
            to_number="+15554445555", from_number="+15551230002", body="Your table is ready"
        )
        final = await message.wait(timeout=10)
        assert message.state == "delivered"
        assert final.params["message_state"] == "delivered"
        assert [m.states for m in emu.messages] == [["queued", "initiated", "sent", "delivered"]]
    finally:
        await client.disconnect()

    # What the emulator saw: the official wire format, every event acknowledged.
    connect = emu.journal.requests("signalwire.connect")[0]
    assert connect.params["agent"] == "signalwire-agents-python/1.0"
    assert connect.params["authentication"] == {"project": "proj", "token": "tok"}
    acks = [e for e in emu.journal if e.direction == "in" and e.is_reply]
    assert len(acks) == len(emu.journal.events())
    emu.assert_no_violations()


async def test_official_client_rejected_credentials(official_emu: RelayEmulator) -> None:
    client = relay.RelayClient(project="proj", token="wrong", host=official_emu.host)
    with pytest.raises(relay.RelayError) as caught:
        await client.connect()
    await client.disconnect()
    assert caught.value.code == -32002


async def test_official_client_inbound_sms(official_emu: RelayEmulator) -> None:
    client = relay.RelayClient(
        project="proj", token="tok", host=official_emu.host, contexts=["office"]
    )
    received: asyncio.Queue[Any] = asyncio.Queue()

    @client.on_message  # type: ignore[untyped-decorator]
    async def on_message(message: Any) -> None:
        await received.put(message)

    await client.connect()
    try:
        await official_emu.send_sms(
            context="office",
            from_number="+15551230009",
            to_number="+15551230002",
            body="Running late",
        )
        message = await asyncio.wait_for(received.get(), timeout=10)
        assert (message.body, message.from_number, message.direction) == (
            "Running late",
            "+15551230009",
            "inbound",
        )
    finally:
        await client.disconnect()
