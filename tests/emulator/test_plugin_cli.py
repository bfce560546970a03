"""The pytest plugin (as a user's test suite loads it) and the command line."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

from relay_anyio.testing import RelayEmulator
from relay_anyio.testing.__main__ import CommandError, main, parse_persona, run_command

from .rawclient import RawClient

ROOT = Path(__file__).resolve().parents[2]

USER_TESTS = """
import pytest
from relay_anyio.testing import Press

@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param

@pytest.mark.anyio
@pytest.mark.relay_emulator(project="p", token="t", ping_interval=5.0)
async def test_uses_the_fixture(relay_emulator):
    assert relay_emulator.url.startswith("ws://127.0.0.1:")
    assert relay_emulator.time_scale == 0.001
    caller = await relay_emulator.call(
        context="office", from_number="+15550001", to_number="+15550002", script=[Press("1")]
    )
    assert caller.state == "created"

@pytest.mark.anyio
async def test_failure_shows_the_transcript(relay_emulator, anyio_backend):
    await relay_emulator.call(context="office", from_number="+15557777", to_number="+15550002")
    assert anyio_backend == "never"
"""


def plugin_installed() -> bool:
    """Whether the package is installed, so pytest loads the plugin from its entry point."""
    found = importlib.metadata.entry_points(group="pytest11")
    return any(e.value == "relay_sync.pytest_plugin" for e in found)


def run_user_suite(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Installed: the entry point loads the plugin. From a checkout: load it by name.
    load = [] if plugin_installed() else ["-p", "relay_sync.pytest_plugin"]
    command = [sys.executable, "-m", "pytest", *load, "-p", "no:cacheprovider", "-q", "-rA"]
    return subprocess.run(
        [*command, str(tmp_path)],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plugin_fixture_marker_and_failure_report(tmp_path: Path) -> None:
    result = run_user_suite(tmp_path)
    out = result.stdout
    assert "2 failed, 2 passed" in out, out
    assert out.count("relay emulator transcript") == 2, out
    assert "incoming call from +15557777" in out


def test_entry_points_are_declared() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"]["relay_emulator"] == "relay_sync.pytest_plugin"
    assert project["scripts"]["relay-emulator"] == "relay_sync._emulator_cli:main"


def test_command_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--persona", "+1555=dragon"]) == 2
    assert "unknown persona" in capsys.readouterr().err
    assert main(["--persona", "nonsense"]) == 2
    assert main(["--time-scale", "0"]) == 2
    assert parse_persona("busy:2").after == 2.0
    with pytest.raises(CommandError):
        parse_persona("human:soon")


@pytest.mark.anyio
async def test_run_command(anyio_backend: str) -> None:
    async with RelayEmulator(time_scale=0.001) as emu:
        raw = await RawClient.open(emu.port)
        await raw.login(contexts=["office"])
        out = await run_command(
            emu, 'call office +15551230001 +15551230002 press:2 "say:sales please" silence:1 hangup'
        )
        assert out == "placed call-1"
        party = emu.party("call-1")
        assert [type(i).__name__ for i in party.pending_intents] == [
            "Press",
            "Say",
            "Silence",
            "Hangup",
        ]
        await raw.event("calling.call.receive")
        assert await run_command(emu, "press call-1 5") == "ok"
        assert await run_command(emu, "say call-1 hello there") == "ok"
        assert await run_command(emu, "silence call-1 2") == "ok"
        assert await run_command(emu, "sms office +1555 +1556 hello world") == "sent msg-in-1"
        assert (await raw.event("messaging.receive"))["body"] == "hello world"
        assert (
            await run_command(emu, "persona +15552002000 machine:2")
            == "+15552002000 is now machine:2"
        )
        assert (
            await run_command(emu, "outcome +15552002000 failed spam")
            == "messages to +15552002000: failed"
        )
        assert "conn1 client#1" in await run_command(emu, "clients")
        assert await run_command(emu, "violations") == "none"
        assert "commands:" in await run_command(emu, "help")
        assert await run_command(emu, "") == ""
        for fault, expected in [
            ("fault reject on", "reject on"),
            ("fault reject off", "reject off"),
            ("fault ignore-pings on", "ignore-pings on"),
            ("fault duplicate off", "duplicate off"),
            ("fault reorder off", "reorder off"),
            ("fault ignore calling.play", "ignoring calling.play"),
            ("fault delay calling.answer 0.5", "delaying calling.answer by 0.5 s"),
            ("fault malformed not_object", "sent to 1 connection(s)"),
            ("fault reset", "faults off"),
            ("fault disconnect", "disconnect sent to 1 client(s)"),
        ]:
            assert await run_command(emu, fault) == expected, fault
        assert await run_command(emu, "hangup call-1") == "ok"
        assert await run_command(emu, "fault drop") == "dropped 1 connection(s)"
        for bad in (
            "teleport",
            "call office",
            "press call-404 1",
            "press call-1 x",
            "call office +1 +2 dance",
            "fault reject maybe",
            "fault malformed nonsense",
            "fault",
            "outcome +1 lost",
            'say "unclosed',
        ):
            with pytest.raises(CommandError):
                await run_command(emu, bad)


async def read_line(stream: TextReceiveStream, buffer: list[str]) -> str:
    while "\n" not in buffer[0]:
        buffer[0] += await stream.receive()
    line, buffer[0] = buffer[0].split("\n", 1)
    return line


async def read_until(stream: TextReceiveStream, buffer: list[str], text: str) -> str:
    with anyio.fail_after(10):
        while True:
            line = await read_line(stream, buffer)
            if text in line:
                return line


@pytest.mark.anyio
async def test_standalone_emulator_process(anyio_backend: str) -> None:
    command = [
        sys.executable, "-m", "relay_anyio.testing", "--port", "0", "--project", "p",
        "--token", "t", "--time-scale", "0.001", "--backend", anyio_backend, "--interactive",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process: Process = await anyio.open_process(command, env=env)
    assert process.stdout is not None and process.stdin is not None
    out, buffer = TextReceiveStream(process.stdout), [""]
    try:
        first = await read_until(out, buffer, "listening on")
        url = first.split("listening on ")[1].split()[0]
        port = int(url.rsplit(":", 1)[1])
        raw = await RawClient.open(port)
        assert "result" in await raw.login(contexts=["office"])
        await process.stdin.send(b"call office +15551230001 +15551230002 press:2\n")
        offer = await raw.event("calling.call.receive")
        assert offer["call_id"] == "call-1"
        assert "offered to client#1" in await read_until(out, buffer, "offered to")
        await process.stdin.send(b"quit\n")
        with anyio.fail_after(10):
            assert await process.wait() == 0
        await raw.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
