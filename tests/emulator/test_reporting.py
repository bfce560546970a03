"""How the emulator reports itself: exception paths, transcript times, the CLI's ``clients``,
and a failed test's report (the transcript appears once)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest

import relay_anyio
import relay_proto
import relay_sync
from relay_anyio.testing import EmulatorTimeout, RelayEmulator, TranscriptLine
from relay_anyio.testing.__main__ import _clock_note, run_command

from .rawclient import RawClient
from .test_plugin_cli import plugin_installed

ROOT = Path(__file__).resolve().parents[2]


def _reported_as(error: BaseException) -> str:
    return traceback.format_exception_only(type(error), error)[-1].split(":")[0]


@pytest.mark.anyio
async def test_emulator_timeout_is_reported_under_its_public_path(anyio_backend: str) -> None:
    async with RelayEmulator(time_scale=0.001) as emu:
        caller = await emu.call(context="office", from_number="+15551230001", to_number="+1555")
        with pytest.raises(EmulatorTimeout) as info:
            await caller.wait_answered(timeout=0.01)
    assert _reported_as(info.value) == "relay_anyio.testing.EmulatorTimeout"
    assert "relay_anyio.testing.EmulatorTimeout" in repr(type(info.value))
    assert isinstance(info.value, TimeoutError)
    # Outside the pytest fixture, the message ends with the recent transcript.
    assert "incoming call from +15551230001" in str(info.value)


def test_public_exceptions_are_reported_under_their_public_paths() -> None:
    assert _reported_as(relay_anyio.RelayError(1, "x")) == "relay_anyio.RelayError"
    assert _reported_as(relay_sync.RelayError(1, "x")) == "relay_sync.RelayError"
    for name in ("RelayProtoError", "LocalProtocolError", "InvalidCommandError"):
        error = getattr(relay_proto, name)("x")
        assert _reported_as(error) == f"relay_proto.{name}"
    assert _reported_as(relay_proto.RemoteProtocolError("x")) == "relay_proto.RemoteProtocolError"


def test_transcript_times_are_labelled_as_simulated_seconds() -> None:
    line = TranscriptLine(t=1.2, subject="call-1", text="caller: hangs up")
    assert str(line) == "[    1.20s sim] call-1: caller: hangs up"
    assert str(TranscriptLine(t=0.0, subject="", text="x")) == "[    0.00s sim] x"
    note = _clock_note(0.01)
    assert "simulated seconds" in note and "0.01 real seconds" in note
    assert "real time" in _clock_note(1.0)


@pytest.mark.anyio
async def test_clients_command_says_when_there_are_none(anyio_backend: str) -> None:
    async with RelayEmulator(time_scale=0.001) as emu:
        assert await run_command(emu, "clients") == "no clients have connected"
        raw = await RawClient.open(emu.port)
        await raw.login(contexts=["office"])
        listed = await run_command(emu, "clients")
        assert listed.startswith("conn1 client#1 ") and "open=True" in listed
        await raw.close()


USER_TEST = """
import pytest

@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param

@pytest.mark.anyio
async def test_never_answered(relay_emulator):
    caller = await relay_emulator.call(
        context="office", from_number="+15558881111", to_number="+15550002"
    )
    await caller.wait_answered(timeout=0.05)
"""


def test_a_failed_test_shows_the_transcript_once(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TEST))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load = [] if plugin_installed() else ["-p", "relay_anyio.testing.pytest_plugin"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *load, "-p", "no:cacheprovider", "-q", str(tmp_path)],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert "2 failed" in out, out
    assert "relay_anyio.testing.EmulatorTimeout: timed out after 0.05 s" in out, out
    # Once per failed test (asyncio and trio): in the report section, not again in the error.
    assert out.count("incoming call from +15558881111") == 2, out
    assert out.count("relay emulator transcript") == 2, out
    assert "the transcript is in the test report" in out
