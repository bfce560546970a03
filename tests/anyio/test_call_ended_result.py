"""An action on a call that is over: its ``wait()`` returns a typed ``CallEndedResult`` (not the
call's ``ended`` event, which a program would later index with a KeyError), while call commands
keep returning ``{}`` as the official SDK's do. Against the emulator, on asyncio and trio."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from relay_anyio import Call, CallEndedResult, CallStateEvent, PlayEvent, RelayClient
from relay_anyio.testing import RelayEmulator

LONG_AUDIO = "https://media.example.com/hold-music.wav"


@pytest.mark.anyio
async def test_actions_on_a_call_that_ended_return_a_typed_result(
    relay_emulator: RelayEmulator,
) -> None:
    emu = relay_emulator
    emu.set_audio_duration(LONG_AUDIO, 3600.0)
    seen: dict[str, Any] = {}
    done = anyio.Event()

    async def handle(call: Call) -> None:
        await call.answer()
        music = await call.play_audio(LONG_AUDIO)
        seen["ended"] = await call.wait_for_ended()  # the caller hangs up during the music
        seen["music"] = await music.wait()
        seen["commands"] = [await call.answer(), await call.hangup(), await call.hold()]
        late = await call.play_tts("too late")
        seen["late_done"] = late.is_done
        seen["late"] = await late.wait()
        seen["late_result"] = late.result
        done.set()

    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    client.on_call(handle)
    async with client:
        caller = await emu.call(context="office", from_number="+15551230001", to_number="+1555")
        await emu.wait_for_event("calling.call.play", lambda p: p["state"] == "playing")
        await caller.hangup()
        with anyio.fail_after(10):
            await done.wait()
    ended = seen["ended"]
    assert isinstance(ended, CallStateEvent) and ended.call_state == "ended"
    # The service stops the music with its own final event: that is the play's result.
    assert isinstance(seen["music"], PlayEvent) and seen["music"].state == "finished"
    # Started on the ended call: nothing is sent; the result says why, typed.
    result = seen["late"]
    assert isinstance(result, CallEndedResult) and not isinstance(result, PlayEvent)
    assert (result.state, result.reason, result.end_reason) == ("ended", "not_started", "hangup")
    assert result.ended_event == ended and result.call_id == ended.call_id
    # Like the official SDK's empty event: code reading params with .get() keeps working.
    assert (result.event_type, result.params) == ("", {})
    assert seen["late_done"] and seen["late_result"] is result
    # Call commands on the ended call return {} as the official SDK's do.
    assert seen["commands"] == [{}, {}, {}]
    # ... and send nothing (the core knows the call ended).
    sent = [e.method for e in emu.journal if e.direction == "in" and e.method.startswith("calling")]
    assert sent == ["calling.answer", "calling.play"]
