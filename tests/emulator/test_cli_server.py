"""The command line runs like a server, and a base install (no anyio) leaves pytest working."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

from relay_anyio.testing.__main__ import build_parser, reads_commands

from .rawclient import RawClient
from .test_plugin_cli import ROOT, plugin_installed, read_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _command(backend: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "relay_anyio.testing", "--port", "0", "--project", "p",
        "--token", "t", "--time-scale", "0.001", "--backend", backend, *extra,
    ]  # fmt: skip


async def _port(out: TextReceiveStream, buffer: list[str]) -> int:
    first = await read_until(out, buffer, "listening on")
    return int(first.split("listening on ")[1].split()[0].rsplit(":", 1)[1])


async def _logs_in(port: int) -> None:
    raw = await RawClient.open(port)
    try:
        reply = await raw.login(contexts=["office"])
        assert reply["result"]["protocol"].startswith("signalwire_"), reply
    finally:
        await raw.close()


async def _stop(process: Process, signum: int) -> int:
    process.send_signal(signum)
    with anyio.fail_after(10):
        return await process.wait()


@pytest.mark.anyio
async def test_serves_in_the_background_with_stdin_at_eof(anyio_backend: str) -> None:
    # `relay-emulator < /dev/null &`: standard input is at its end from the start and is not a
    # terminal, so no command is read; the server serves until SIGTERM, then exits cleanly.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await anyio.open_process(
        _command(anyio_backend), stdin=subprocess.DEVNULL, env=env, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    out, buffer = TextReceiveStream(process.stdout), [""]
    try:
        port = await _port(out, buffer)
        await _logs_in(port)
        await _logs_in(port)  # still there for the next client
        assert process.returncode is None
        assert await _stop(process, signal.SIGTERM) == 0
        rest = buffer[0] + "".join([chunk async for chunk in out])
        assert "SIGTERM: stopping" in rest
        assert "Traceback" not in rest
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.anyio
async def test_end_of_interactive_input_never_stops_serving(anyio_backend: str) -> None:
    # --interactive reads commands from a pipe; closing it stops the reading, not the server.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await anyio.open_process(_command(anyio_backend, "--interactive"), env=env)
    assert process.stdout is not None and process.stdin is not None
    out, buffer = TextReceiveStream(process.stdout), [""]
    try:
        port = await _port(out, buffer)
        raw = await RawClient.open(port)
        await raw.login(contexts=["office"])
        await process.stdin.send(b"call office +15551230001 +15551230002 press:2\n")
        offer = await raw.event("calling.call.receive")
        assert offer["call_id"] == "call-1"
        await process.stdin.aclose()
        await read_until(out, buffer, "end of input: still serving")
        await _logs_in(port)
        await raw.close()
        assert await _stop(process, signal.SIGINT) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


class _Stdin:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_commands_are_read_from_a_terminal_or_when_asked() -> None:
    parse = build_parser().parse_args
    assert reads_commands(parse([]), _Stdin(tty=True))  # type: ignore[arg-type]
    assert not reads_commands(parse([]), _Stdin(tty=False))  # type: ignore[arg-type]
    assert not reads_commands(parse([]), None)
    assert reads_commands(parse(["--interactive"]), _Stdin(tty=False))  # type: ignore[arg-type]
    assert not reads_commands(parse(["--no-input"]), _Stdin(tty=True))  # type: ignore[arg-type]
    with pytest.raises(SystemExit):
        parse(["--interactive", "--no-input"])


# A base install: anyio cannot be imported. A package of that name placed first on the import
# path fails to import the way a missing one does. (A sys.meta_path finder would not do: pytest
# puts its own first and finds anyio itself, as anyio's plugin is marked for rewriting.)
_NO_ANYIO = """raise ModuleNotFoundError("No module named 'anyio'", name="anyio")\n"""

_USER_SUITE = """
import pytest

def test_plain():
    assert 1 + 1 == 2

def test_wants_the_emulator(relay_emulator_sync):
    pass
"""


def _without_anyio(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "anyio").mkdir()
    (tmp_path / "anyio" / "__init__.py").write_text(_NO_ANYIO)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}


def test_a_base_install_leaves_pytest_working(tmp_path: Path) -> None:
    env = _without_anyio(tmp_path)
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_user.py").write_text(textwrap.dedent(_USER_SUITE))
    # anyio's own plugin is absent from a base install: disable its entry point here. Ours is
    # loaded by its entry point when the package is installed, by name otherwise.
    ours = [] if plugin_installed() else ["-p", "relay_sync.pytest_plugin"]
    command = [sys.executable, "-m", "pytest", "-p", "no:anyio", *ours, "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "-q", "-rA", str(suite)],
        check=False,
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1 and "1 passed, 1 error" in out, out
    assert "relay_emulator_sync fixture needs anyio" in out
    assert "pip install 'relay-sansio[anyio]'" in out
    assert "During handling" not in out and "INTERNALERROR" not in out


def test_the_entry_point_imports_without_anyio(tmp_path: Path) -> None:
    env = _without_anyio(tmp_path)
    probe = (
        "import importlib.metadata as m, sys\n"
        "import relay_sync.pytest_plugin, relay_sync._emulator_cli\n"
        "assert 'anyio' not in [k for k, v in sys.modules.items() if v is not None]\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize("args", [["--help"], ["--port", "0"]])
def test_the_command_says_what_to_install_without_anyio(tmp_path: Path, args: list[str]) -> None:
    env = _without_anyio(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "relay_sync._emulator_cli", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "pip install 'relay-sansio[anyio]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_runs_the_emulator_with_anyio() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "relay_sync._emulator_cli", "--help"],
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--interactive" in result.stdout and "SIGINT/SIGTERM" in result.stdout
