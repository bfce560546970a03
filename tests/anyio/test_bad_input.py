"""Bad input in both directions leaves the client working, over real loopback sockets, on
asyncio and trio: malformed or unexpected frames from the server (the emulator's
``MALFORMED_KINDS``: broken JSON, wrong types, unknown events, calls and methods, stray replies,
a message over 10 MiB) and invalid arguments from the application (a ``ValueError`` at once,
nothing sent)."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

from relay_anyio import Call, RelayClient
from relay_anyio.testing import MALFORMED_KINDS, RelayEmulator

pytestmark = pytest.mark.anyio

CALLER, OFFICE = "+15551230001", "+15551230002"

# What the client must answer to the fault frames that carry a request id (D9: the reply is
# never skipped); the others (no usable id, or replies themselves) get no answer.
REPLIES: dict[str, dict[str, Any]] = {
    "params_not_object": {"error": {"code": -32602, "message": "Invalid params"}},
    "wrong_types": {"result": {}},
    "unknown_event": {"result": {}},
    "unknown_call": {"result": {}},
    "empty_event_type": {"result": {}},
    "unknown_method": {"error": {"code": -32601, "message": "Method not found"}},
}


def client_for(emu: RelayEmulator) -> RelayClient:
    return RelayClient(project="p", token="t", host=emu.url, contexts=["office"])


async def test_malformed_frames_are_answered_and_leave_the_session_working(
    emu: RelayEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    assert set(REPLIES) <= set(MALFORMED_KINDS)
    client = client_for(emu)
    with caplog.at_level(logging.DEBUG, logger="relay_anyio"):
        async with client:
            protocol = client.relay_protocol
            for kind in MALFORMED_KINDS:
                start = emu.journal.next_index
                assert emu.faults.send_malformed(kind) == 1
                # A request issued after the bad frame is answered: the session still works.
                result = await client.execute("signalwire.receive", {"contexts": [kind]})
                assert result["code"] == "200", kind
                if kind in REPLIES:
                    fault = emu.journal.find(
                        lambda e: e.direction == "out" and bool(e.method), start
                    )
                    assert fault is not None and str(fault.id).startswith("fault-")
                    frame = (await emu.wait_for_reply(fault)).frame or {}
                    outcome = {k: v for k, v in frame.items() if k in ("result", "error")}
                    assert outcome == REPLIES[kind], kind
            assert client.relay_protocol == protocol
    assert len(emu.journal.requests("signalwire.connect")) == 1
    # Nothing reached the application or broke the dispatch; each bad frame the client could
    # not use is a WARNING (at most 5 a minute, the rest counted), a late reply DEBUG news.
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 5
    assert all(m.startswith("malformed frame from the server dropped") for m in warned)
    assert "frame dropped (reply for unknown request id)" in caplog.text


async def test_a_call_keeps_working_after_malformed_frames(emu: RelayEmulator) -> None:
    client = client_for(emu)
    outcome: list[str] = []
    answered, go, done = anyio.Event(), anyio.Event(), anyio.Event()

    @client.on_call
    async def handle(call: Call) -> None:
        try:
            await call.answer()
            answered.set()
            await go.wait()
            await (await call.play_tts("Still here")).wait()
            await call.hangup()
            outcome.append(call.state)
        finally:
            done.set()

    async with client:
        caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await answered.wait()
        for kind in MALFORMED_KINDS:
            assert emu.faults.send_malformed(kind) == 1
        go.set()
        assert await caller.wait_ended() == "hangup"
        await done.wait()
    assert caller.heard == ["Still here"]
    assert outcome in (["ending"], ["ended"])


async def test_bad_arguments_raise_value_error_and_send_nothing(emu: RelayEmulator) -> None:
    client = client_for(emu)
    outcome: list[str] = []
    done = anyio.Event()

    @client.on_call
    async def handle(call: Call) -> None:
        try:
            await call.answer()
            with pytest.raises(ValueError, match="media"):
                await call.play("not a media list")  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="control_id"):
                await call.play([{"type": "tts", "text": "hi"}], control_id="")
            with pytest.raises(ValueError, match="both beside and inside"):
                mixed = {"type": "tts", "text": "hi", "params": {"text": "bye"}}
                await call.play_and_collect([mixed], {"digits": {"max": 1}})
            # Nothing was sent for those; the call still works.
            await (await call.play_tts("still fine")).wait()
            await call.hangup()
            outcome.append("ok")
        finally:
            done.set()

    async with client:
        caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        with pytest.raises(ValueError, match="devices"):
            await client.dial("not devices")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="method"):
            await client.execute("", {})
        with pytest.raises(ValueError, match="contexts"):
            await client.receive("office")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="body"):
            await client.send_message(to_number=CALLER, from_number=OFFICE)
        assert await caller.wait_ended() == "hangup"
        await done.wait()
    assert outcome == ["ok"]
    assert caller.heard == ["still fine"]
    sent = {entry.method for entry in emu.journal.requests()}
    assert sent.isdisjoint({"calling.dial", "messaging.send", "calling.play_and_collect"})
    assert [entry.params["play"] for entry in emu.journal.requests("calling.play")] == [
        [{"type": "tts", "params": {"text": "still fine"}}]
    ]
    assert [entry.params.get("reason") for entry in emu.journal.requests("calling.end")] == [
        "hangup"
    ]
