"""Play and record: durations, states and sub-commands, on simulated time."""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import Press, RelayEmulator, Say, Silence

from .conftest import answered_call
from .rawclient import RawClient

pytestmark = pytest.mark.anyio


def seconds(value: float) -> Any:
    """Compare simulated durations (envelope timestamps are rounded to microseconds)."""
    return pytest.approx(value, abs=1e-3)


def tts(text: str) -> dict[str, Any]:
    return {"type": "tts", "params": {"text": text}}


async def play_events(client: RawClient, control_id: str, count: int) -> list[tuple[str, float]]:
    """(state, timestamp) of the next ``count`` play events of one control id."""
    out = []
    for _ in range(count):
        event = await client.event("calling.call.play", lambda p: p["control_id"] == control_id)
        out.append((event["state"], client.last_envelope["timestamp"]))
    return out


@pytest.mark.parametrize(
    ("media", "duration"),
    [
        ([tts("one two three four five")], 2.0),  # 0.4 s per word
        ([tts("Hi")], 0.5),  # a prompt is never shorter than half a second
        ([{"type": "silence", "params": {"duration": 1.5}}], 1.5),
        ([{"type": "audio", "params": {"url": "https://x.test/declared.mp3"}}], 7.0),
        ([{"type": "audio", "params": {"url": "https://x.test/a.mp3?duration=2.5"}}], 2.5),
        ([{"type": "audio", "params": {"url": "https://x.test/unknown.wav"}}], 3.0),
        ([{"type": "ringtone", "params": {"name": "us", "duration": 4}}], 4.0),
        ([tts("one two"), {"type": "silence", "params": {"duration": 1}}], 1.8),
    ],
)
async def test_play_durations(
    emu: RelayEmulator, client: RawClient, media: list[dict[str, Any]], duration: float
) -> None:
    emu.set_audio_duration("https://x.test/declared.mp3", 7.0)
    caller, call = await answered_call(emu, client)
    result = await client.call("calling.play", call, control_id="p1", play=media)
    assert result["code"] == "200" and result["control_id"] == "p1"
    (playing, start), (finished, end) = await play_events(client, "p1", 2)
    assert (playing, finished) == ("playing", "finished")
    assert end - start == seconds(duration)
    assert len(caller.heard) == len(media)


async def test_play_loop(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    await client.call("calling.play", call, control_id="p", play=[tts("a b")], loop=3)
    (_, start), (_, end) = await play_events(client, "p", 2)
    assert end - start == seconds(3 * 0.8)
    assert caller.heard == ["a b"] * 3


async def test_play_pause_resume_volume_stop(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    long = [{"type": "silence", "params": {"duration": 10_000}}]
    await client.call("calling.play", call, control_id="p", play=long)
    assert (await play_events(client, "p", 1))[0][0] == "playing"
    assert (await client.call("calling.play.pause", call, control_id="p"))["code"] == "200"
    assert (await play_events(client, "p", 1))[0][0] == "paused"
    await client.call("calling.play.resume", call, control_id="p")
    assert (await play_events(client, "p", 1))[0][0] == "playing"
    await client.call("calling.play.volume", call, control_id="p", volume=-6.5)
    bad = await client.request(
        "calling.play.volume", {**call_ids(call), "control_id": "p", "volume": 99}
    )
    assert bad["error"]["code"] == -32602
    await client.call("calling.play.stop", call, control_id="p")
    assert (await play_events(client, "p", 1))[0][0] == "finished"
    gone = await client.call("calling.play.stop", call, control_id="p")
    assert gone["code"] == "404"
    assert "play volume set to -6.5 dB" in emu.transcript_text()


async def test_pause_freezes_the_remaining_time(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    await client.call(
        "calling.play",
        call,
        control_id="p",
        play=[{"type": "silence", "params": {"duration": 1000}}],
    )
    ((_, start),) = await play_events(client, "p", 1)
    await client.call("calling.play.pause", call, control_id="p")
    ((_, paused_at),) = await play_events(client, "p", 1)
    await client.call("calling.play.resume", call, control_id="p")
    ((_, resumed_at),) = await play_events(client, "p", 1)
    ((_, end),) = await play_events(client, "p", 1)
    assert (paused_at - start) + (end - resumed_at) == seconds(1000)


async def test_play_errors(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    await client.call(
        "calling.play", call, control_id="p", play=[{"type": "audio", "params": {"url": "ftp://x"}}]
    )
    assert (await play_events(client, "p", 1))[0][0] == "error"
    bads: list[dict[str, Any]] = [
        {"play": []},
        {"play": "x"},
        {"play": [tts("x")], "volume": 50},
        {"play": [tts("x")], "loop": 1.5},
    ]
    for bad in bads:
        reply = await client.request("calling.play", {**call_ids(call), "control_id": "q", **bad})
        assert reply["error"]["code"] == -32602, bad
    missing = await client.request("calling.play", {**call_ids(call), "play": [tts("x")]})
    assert missing["error"]["code"] == -32602
    await client.call(
        "calling.play",
        call,
        control_id="dup",
        play=[{"type": "silence", "params": {"duration": 10_000}}],
    )
    again = await client.call("calling.play", call, control_id="dup", play=[tts("x")])
    assert again["code"] == "409"


async def test_hangup_finishes_playback_before_ended(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    await client.call(
        "calling.play",
        call,
        control_id="p",
        play=[{"type": "silence", "params": {"duration": 10_000}}],
    )
    await play_events(client, "p", 1)
    await caller.hangup()
    seen = []
    while ("calling.call.state", "ended") not in seen:
        event = await client.take(
            lambda f: (
                f.get("method") == "signalwire.event"
                and f["params"]["params"].get("call_id") == caller.call_id
            )
        )
        inner = event["params"]["params"]
        seen.append((event["params"]["event_type"], inner.get("state") or inner.get("call_state")))
    assert seen == [
        ("calling.call.state", "ending"),
        ("calling.call.play", "finished"),
        ("calling.call.state", "ended"),
    ]


async def record(client: RawClient, call: dict[str, Any], **audio: Any) -> dict[str, Any]:
    return await client.call("calling.record", call, control_id="r", record={"audio": audio})


async def record_event(client: RawClient) -> dict[str, Any]:
    return await client.event("calling.call.record", lambda p: p["control_id"] == "r")


async def test_record_until_end_silence(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Say("please call me back tomorrow")])
    result = await record(client, call, format="wav", beep=True, end_silence_timeout=2.0)
    assert result["url"].endswith("/r.wav")
    assert (await record_event(client))["state"] == "recording"
    start = client.last_envelope["timestamp"]
    done = await record_event(client)
    assert done["state"] == "finished"
    # Five words (2 s) then the end-silence timeout (2 s).
    assert done["duration"] == seconds(4.0)
    assert client.last_envelope["timestamp"] - start == seconds(4.0)
    assert done["size"] == int(done["duration"] * 16_000)
    assert done["url"] == result["url"] == done["record"]["url"]


async def test_record_no_input(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Silence()])
    await record(client, call, initial_timeout=3.0)
    await record_event(client)
    start = client.last_envelope["timestamp"]
    assert (await record_event(client))["state"] == "no_input"
    assert client.last_envelope["timestamp"] - start == seconds(3.0)


async def test_record_terminator_and_stereo(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Say("hello there"), Press("#")])
    # The beep is the prompt the caller answers (scripted input answers prompts).
    await record(client, call, stereo=True, end_silence_timeout=0, terminators="#", beep=True)
    await record_event(client)
    done = await record_event(client)
    assert done["state"] == "finished"
    assert done["size"] == int(done["duration"] * 32_000)
    assert done["duration"] == seconds(0.8 + 0.25)


async def test_record_pause_resume_stop(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    await record(client, call, initial_timeout=0, end_silence_timeout=0)
    await record_event(client)
    start = client.last_envelope["timestamp"]
    await caller.say("one two three")
    await client.call("calling.record.pause", call, control_id="r", behavior="skip")
    assert (await record_event(client))["state"] == "paused"
    paused = client.last_envelope["timestamp"]
    bad = await client.request(
        "calling.record.pause", {**call_ids(call), "control_id": "r", "behavior": "x"}
    )
    assert bad["error"]["code"] == -32602
    await client.call("calling.record.resume", call, control_id="r")
    assert (await record_event(client))["state"] == "recording"
    resumed = client.last_envelope["timestamp"]
    await client.call("calling.record.stop", call, control_id="r")
    done = await record_event(client)
    end = client.last_envelope["timestamp"]
    assert done["state"] == "finished"
    assert done["duration"] == seconds((paused - start) + (end - resumed))


async def test_record_needs_a_record_object(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    reply = await client.request("calling.record", {**call_ids(call), "control_id": "r"})
    assert reply["error"]["code"] == -32602
    reply = await client.request(
        "calling.record",
        {**call_ids(call), "control_id": "r", "record": {"audio": {"format": "ogg"}}},
    )
    assert reply["error"]["code"] == -32602


def call_ids(call: dict[str, Any]) -> dict[str, Any]:
    return {"node_id": call["node_id"], "call_id": call["call_id"]}


async def test_record_pause_with_silence_keeps_the_clock(
    emu: RelayEmulator, client: RawClient
) -> None:
    caller, call = await answered_call(emu, client)
    await record(client, call, initial_timeout=0, end_silence_timeout=0)
    await record_event(client)
    start = client.last_envelope["timestamp"]
    await caller.say("one two")
    await client.call("calling.record.pause", call, control_id="r", behavior="silence")
    assert (await record_event(client))["state"] == "paused"
    await client.call("calling.record.pause", call, control_id="r")  # already paused: no event
    await client.call("calling.record.resume", call, control_id="r")
    assert (await record_event(client))["state"] == "recording"
    await client.call("calling.record.stop", call, control_id="r")
    done = await record_event(client)
    assert done["duration"] == seconds(client.last_envelope["timestamp"] - start)
