"""Messaging: outbound outcomes per recipient, inbound injection, validation."""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import RelayEmulator
from relay_anyio.testing._messaging import segments

from .rawclient import RawClient, connected

pytestmark = pytest.mark.anyio


def sms(to: str, **extra: Any) -> dict[str, Any]:
    return {
        "context": "office",
        "to_number": to,
        "from_number": "+15551230002",
        "body": "Your table is ready",
        **extra,
    }


async def states(client: RawClient, message_id: str, last: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while not out or out[-1]["message_state"] != last:
        out.append(await client.event("messaging.state", lambda p: p["message_id"] == message_id))
    return out


async def test_delivered(emu: RelayEmulator, client: RawClient) -> None:
    result = await client.result("messaging.send", sms("+15559990001", tags=["restaurant"]))
    assert result["code"] == "200" and result["message"] == "Message accepted"
    events = await states(client, result["message_id"], "delivered")
    assert [e["message_state"] for e in events] == ["queued", "initiated", "sent", "delivered"]
    last = events[-1]
    assert (
        last["direction"] == "outbound" and last["segments"] == 1 and last["tags"] == ["restaurant"]
    )
    assert "reason" not in last
    [message] = emu.messages
    assert message.states == ["queued", "initiated", "sent", "delivered"]
    assert message.to_number == "+15559990001"


@pytest.mark.parametrize(
    ("outcome", "reason", "path"),
    [
        ("undelivered", "carrier_blocked", ["queued", "initiated", "sent", "undelivered"]),
        ("failed", "spam", ["queued", "failed"]),
    ],
)
async def test_per_recipient_outcomes(
    emu: RelayEmulator, client: RawClient, outcome: str, reason: str, path: list[str]
) -> None:
    emu.message_outcome("+15559990002", outcome, reason)
    bad = await client.result("messaging.send", sms("+15559990002"))
    good = await client.result(
        "messaging.send", sms("+15559990003", media=["https://x.test/m.png"])
    )
    events = await states(client, bad["message_id"], outcome)
    assert [e["message_state"] for e in events] == path
    assert events[-1]["reason"] == reason
    assert (await states(client, good["message_id"], "delivered"))[-1]["media"] == [
        "https://x.test/m.png"
    ]
    with pytest.raises(ValueError):
        emu.message_outcome("+1", "lost")


@pytest.mark.parametrize(
    "params",
    [
        {"from_number": "+1555", "body": "x"},
        {"to_number": "+1555", "body": "x"},
        {"to_number": "+1555", "from_number": "+1556"},
        {"to_number": "+1555", "from_number": "+1556", "media": "not a list"},
        {"to_number": "+1555", "from_number": "+1556", "body": 42},
    ],
)
async def test_send_validation(client: RawClient, params: dict[str, Any]) -> None:
    reply = await client.request("messaging.send", params)
    assert reply["error"]["code"] == -32602


async def test_inbound_message_injection(emu: RelayEmulator, client: RawClient) -> None:
    message_id = await emu.send_sms(
        context="office",
        from_number="+15551230009",
        to_number="+15551230002",
        body="Running 5 min late",
    )
    event = await client.event("messaging.receive")
    assert event == {
        "message_id": message_id,
        "context": "office",
        "direction": "inbound",
        "from_number": "+15551230009",
        "to_number": "+15551230002",
        "body": "Running 5 min late",
        "media": [],
        "segments": 1,
        "message_state": "received",
        "tags": [],
    }
    await emu.wait_for_event("messaging.receive", acked=True)
    with pytest.raises(ValueError):
        await emu.send_sms(context="office", from_number="+1", to_number="+2")


async def test_inbound_messages_round_robin_and_wait(emu: RelayEmulator) -> None:
    first = await emu.send_sms(
        context="shop", from_number="+1555", to_number="+1556", media=["https://x.test/a.jpg"]
    )
    async with (
        connected(emu.port, contexts=["shop"]) as one,
        connected(emu.port, contexts=["shop"]) as two,
    ):
        assert (await one.event("messaging.receive"))[
            "message_id"
        ] == first  # waited for a subscriber
        await emu.wait_for_clients(2, context="shop")
        ids = [
            await emu.send_sms(context="shop", from_number="+1555", to_number="+1556", body=str(i))
            for i in range(2)
        ]
        got = [
            (await one.event("messaging.receive"))["message_id"],
            (await two.event("messaging.receive"))["message_id"],
        ]
        assert sorted(got) == sorted(ids)


def test_segments() -> None:
    assert segments("") == 1
    assert segments("x" * 160) == 1
    assert segments("x" * 161) == 2
    assert segments("x" * 306) == 2
    assert segments("é" * 160) == 1  # é is in the GSM alphabet
    assert segments("✓" * 70) == 1
    assert segments("✓" * 71) == 2
