"""Record and replay: a conversation recorded from the emulator's journal (or from a client's
frame trace) is played back as the server side, and a fresh client goes through it again."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import anyio
import pytest

from relay_anyio import Call, RelayClient
from relay_anyio.testing import (
    FrameRecorder,
    Persona,
    RelayEmulator,
    ReplayMismatch,
    ReplayServer,
    load_recording,
    save_journal,
)
from relay_anyio.testing._recording import scrub_frame

pytestmark = pytest.mark.anyio

SALES = "+15552002000"
MENU = [{"type": "tts", "params": {"text": "Press 1 for hours or 2 for sales"}}]


def make_ivr(client: RelayClient, seen: list[str], done: anyio.Event, prompt: str = "") -> None:
    """Answer, menu, then the hours (1) or a bridge to sales (2); ``seen`` gets what happened."""

    @client.on_call
    async def ivr(call: Call) -> None:
        try:
            await call.answer()
            menu = await call.play_and_collect(
                [{"type": "tts", "params": {"text": prompt}}] if prompt else MENU,
                {"digits": {"max": 1}, "initial_timeout": 5},
            )
            result = (await menu.wait()).params["result"]
            digits = result.get("params", {}).get("digits", "")
            seen.append(f"pressed {digits}")
            if digits == "2":
                phone = {"type": "phone", "params": {"to_number": SALES, "from_number": "+1"}}
                await call.connect([[phone]])
                seen.append("connected")
                ended = await call.wait_for_ended()
                seen.append(f"ended {ended.params.get('end_reason')}")
            else:
                await (await call.play_tts("We are open 9 to 5")).wait()
                await call.hangup()
                seen.append("hung up")
        finally:
            done.set()


async def record_incident(emu: RelayEmulator, project: str = "p", token: str = "t") -> list[str]:
    """A caller presses 2, is bridged to sales, then hangs up; returns what the IVR saw."""
    emu.persona(SALES, Persona.answers(after=2.0))
    seen: list[str] = []
    done = anyio.Event()
    client = RelayClient(project=project, token=token, host=emu.url, contexts=["office"])
    make_ivr(client, seen, done)
    async with client:
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002", script=["2"]
        )
        assert await caller.wait_connected() == SALES
        await caller.hangup()
        await done.wait()
    return seen


async def replay(path: Path, prompt: str = "") -> tuple[list[str], ReplayServer]:
    seen: list[str] = []
    done = anyio.Event()
    async with ReplayServer(load_recording(path), step_timeout=5) as server:
        client = RelayClient(project="p", token="t", host=server.url, contexts=["office"])
        make_ivr(client, seen, done, prompt)
        async with client:
            await server.wait_done(timeout=10)
            await done.wait()
    return seen, server


async def test_a_recorded_journal_drives_a_client_through_the_same_conversation(
    emu: RelayEmulator, tmp_path: Path
) -> None:
    original = await record_incident(emu)
    assert original == ["pressed 2", "connected", "ended hangup"]
    path = tmp_path / "incident.jsonl"
    recording = save_journal(emu.journal, path, time_scale=emu.time_scale)
    text = path.read_text()
    assert text.startswith('{"relay_journal": 1, "source": "emulator"')
    assert '"authentication":"<scrubbed>"' in text and '"token"' not in text

    again, server = await replay(path)
    assert again == original
    assert server.position == server.total > 10
    assert server.extra_requests == []
    methods = [f.method for f in recording.requests() if f.method != "signalwire.ping"]
    assert methods[:4] == [
        "signalwire.connect",
        "calling.answer",
        "calling.play_and_collect",
        "calling.connect",
    ]


async def test_a_client_that_goes_another_way_is_a_mismatch(
    emu: RelayEmulator, tmp_path: Path
) -> None:
    await record_incident(emu)
    path = tmp_path / "incident.jsonl"
    save_journal(emu.journal, path)
    with pytest.raises(ReplayMismatch, match=r"calling\.play_and_collect differs"):
        await replay(path, prompt="A different menu")


async def test_a_client_frame_log_replays_too(anyio_backend: str, tmp_path: Path) -> None:
    # As against the real service: the client's own (masked) DEBUG frame trace is recorded.
    project, token = "3f2a9c4e-project", "PT4d7e1b0c9a8f6e5d"
    recorder = FrameRecorder.attach()
    try:
        async with RelayEmulator(project=project, token=token, time_scale=0.001) as emu:
            original = await record_incident(emu, project, token)
    finally:
        recorder.detach()
        logging.getLogger("relay_anyio.frames").setLevel(logging.NOTSET)
    path = tmp_path / "client.jsonl"
    recording = recorder.save(path)
    assert recording.header["source"] == "client"
    assert {f.conn for f in recording.frames} == {1}
    [connect] = recording.requests("signalwire.connect")
    assert connect.frame is not None
    assert connect.frame["params"]["authentication"] == "<scrubbed>"
    again, _server = await replay(path)
    assert again == original
    assert project not in path.read_text() and token not in path.read_text()


def test_recording_format_errors_and_scrubbing() -> None:
    good = '{"relay_journal": 1, "source": "client"}\n# a note\n\n'
    good += '{"t": 0.5, "from": "server", "conn": 2, "text": "not json"}\n'
    recording = load_recording(io.StringIO(good))
    assert recording.header == {"source": "client"}
    [frame] = recording.frames
    assert (frame.t, frame.sender, frame.conn, frame.frame, frame.text) == (
        0.5,
        "server",
        2,
        None,
        "not json",
    )
    for bad in (
        "",
        '{"relay_journal": 2}',
        '{"relay_journal": 1}\nnope',
        '{"relay_journal": 1}\n{"t": 0, "from": "alien", "conn": 1, "frame": {}}',
        '{"relay_journal": 1}\n{"t": 0, "from": "client", "conn": 0, "frame": {}}',
        '{"relay_journal": 1}\n{"t": 0, "from": "client", "conn": 1, "frame": []}',
    ):
        with pytest.raises(ValueError):
            load_recording(io.StringIO(bad))
    frame_in = {
        "method": "signalwire.connect",
        "params": {
            "authentication": {"project": "me", "token": "secret"},
            "agent": "method-me",
            "authorization_state": "blob",
        },
    }
    scrubbed = scrub_frame(frame_in)
    assert scrubbed["params"] == {
        "authentication": "<scrubbed>",
        "agent": "method-me",  # values are replaced, never parts of strings
        "authorization_state": "<scrubbed>",
    }
    assert json.loads(json.dumps(scrubbed)) == scrubbed
