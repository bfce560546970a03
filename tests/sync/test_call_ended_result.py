"""relay_sync: an action on a call that is over returns a typed ``CallEndedResult``; call
commands keep returning ``{}``."""

from __future__ import annotations

import threading
from typing import Any

from relay_sync import Call, CallEndedResult, RelayClient

from .helpers import CALLER, LINE, WAIT

LONG_AUDIO = "https://media.example.com/hold-music.wav"


def test_actions_on_a_call_that_ended_return_a_typed_result(
    emulator: Any, make_client: Any
) -> None:
    emulator.set_audio_duration(LONG_AUDIO, 3600.0)
    seen: dict[str, Any] = {}
    done = threading.Event()
    client: RelayClient = make_client()

    @client.on_call
    def handle(call: Call) -> None:
        try:
            call.answer()
            call.play_audio(LONG_AUDIO)
            seen["ended"] = call.wait_for_ended(timeout=WAIT)
            seen["commands"] = [call.answer(), call.hangup()]
            seen["late"] = call.play_tts("too late").wait(timeout=WAIT)
        finally:
            done.set()

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    emulator.wait_for_event("calling.call.play", lambda p: p["state"] == "playing")
    caller.hangup()
    assert done.wait(WAIT)
    result = seen["late"]
    assert isinstance(result, CallEndedResult)
    assert (result.state, result.reason, result.end_reason) == ("ended", "not_started", "hangup")
    assert result.ended_event == seen["ended"]
    assert (result.event_type, result.params) == ("", {})
    assert seen["commands"] == [{}, {}]
