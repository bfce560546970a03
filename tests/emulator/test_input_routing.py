"""Scripted input goes where a caller would give it: to the prompt it answers (spec 3.5 D, E)."""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import Press, RelayEmulator, Say

from .conftest import answered_call
from .rawclient import RawClient

pytestmark = pytest.mark.anyio

MENU = [{"type": "tts", "params": {"text": "Press 1 for sales"}}]


def seconds(value: float) -> Any:
    return pytest.approx(value, abs=1e-3)


async def collect_result(client: RawClient, control_id: str) -> dict[str, Any]:
    event = await client.event(
        "calling.call.collect", lambda p: p["control_id"] == control_id and p.get("final", True)
    )
    result: dict[str, Any] = event["result"]
    return result


async def test_a_key_answers_the_menu_not_an_earlier_recording(
    emu: RelayEmulator, client: RawClient
) -> None:
    # The official IVR pattern: record the whole call, then play a menu and collect. The
    # caller's key answers the menu; the recording running meanwhile records it too.
    caller, call = await answered_call(emu, client, script=[Press("1")])
    whole_call = {"audio": {"direction": "both", "initial_timeout": 0, "end_silence_timeout": 0}}
    await client.call("calling.record", call, control_id="rec", record=whole_call)
    assert (await client.event("calling.call.record"))["state"] == "recording"
    collect = {"digits": {"max": 1}, "initial_timeout": 5}
    await client.call(
        "calling.play_and_collect", call, control_id="menu", play=MENU, collect=collect
    )
    result = await collect_result(client, "menu")
    assert result == {"type": "digit", "params": {"digits": "1", "terminator": ""}}
    assert caller.pending_intents == []
    # Still recording (no end-silence timeout): it stops when asked, with the key in it.
    await client.call("calling.record.stop", call, control_id="rec")
    done = await client.event("calling.call.record", lambda p: p["control_id"] == "rec")
    assert done["state"] == "finished" and done["duration"] > 0
    assert "caller pressed 1 (recorded)" in emu.transcript_text(caller.call_id)


async def test_two_say_steps_are_two_results_in_order(
    emu: RelayEmulator, client: RawClient
) -> None:
    caller, call = await answered_call(
        emu, client, script=[Say("sales please", confidence=0.91), Say("yes", confidence=0.55)]
    )
    speech = {"speech": {"end_silence_timeout": 1.0}, "initial_timeout": 5}
    await client.call("calling.play_and_collect", call, control_id="q1", play=MENU, collect=speech)
    first = await collect_result(client, "q1")
    assert first == {"type": "speech", "params": {"text": "sales please", "confidence": 0.91}}
    # The second answer was not swallowed by the first prompt: it answers the next one.
    assert len(caller.pending_intents) == 1
    confirm = [{"type": "tts", "params": {"text": "Sales, is that right?"}}]
    await client.call(
        "calling.play_and_collect", call, control_id="q2", play=confirm, collect=speech
    )
    second = await collect_result(client, "q2")
    assert second == {"type": "speech", "params": {"text": "yes", "confidence": 0.55}}
    assert caller.pending_intents == []


async def test_continuous_speech_gives_one_result_per_say(
    emu: RelayEmulator, client: RawClient
) -> None:
    _, call = await answered_call(
        emu, client, script=[Say("first thing", confidence=0.8), Say("second", confidence=0.6)]
    )
    await client.call(
        "calling.collect", call, control_id="c", speech={}, continuous=True,
        start_input_timers=True,
    )  # fmt: skip
    one = await collect_result(client, "c")
    two = await collect_result(client, "c")
    assert [one["params"], two["params"]] == [
        {"text": "first thing", "confidence": 0.8},
        {"text": "second", "confidence": 0.6},
    ]
    await client.call("calling.collect.stop", call, control_id="c")


async def test_a_voicemail_recording_takes_the_answer_to_its_prompt(
    emu: RelayEmulator, client: RawClient
) -> None:
    # "Leave a message" then a recording: the caller speaks into the recording, which stops
    # after the documented default end_silence_timeout (1 s, spec 3.5 D) of silence.
    caller, call = await answered_call(emu, client, script=[Say("call me back")])
    prompt = [{"type": "tts", "params": {"text": "Leave a message"}}]
    await client.call("calling.play", call, control_id="p", play=prompt)
    await client.event("calling.call.play", lambda p: p["state"] == "finished")
    await client.call("calling.record", call, control_id="vm", record={"audio": {}})
    await client.event("calling.call.record", lambda p: p["state"] == "recording")
    done = await client.event("calling.call.record", lambda p: p["state"] != "recording")
    assert done["state"] == "finished"
    assert done["duration"] == seconds(3 * 0.4 + 1.0)
    assert caller.pending_intents == []


async def test_an_unprompted_recording_leaves_the_script_for_the_prompt(
    emu: RelayEmulator, client: RawClient
) -> None:
    # Nothing asked the caller anything: the key waits for the menu that follows.
    caller, call = await answered_call(emu, client, script=[Press("2")])
    await client.call("calling.record", call, control_id="rec", record={"audio": {}})
    await client.event("calling.call.record", lambda p: p["state"] == "recording")
    await client.barrier()
    assert [type(i).__name__ for i in caller.pending_intents] == ["Press"]
    collect = {"digits": {"max": 1}, "initial_timeout": 5}
    await client.call("calling.play_and_collect", call, control_id="m", play=MENU, collect=collect)
    assert (await collect_result(client, "m"))["params"]["digits"] == "2"
