"""Every example runs, and the code the README and docs show is the code that runs.

* Each ``examples/<name>.py`` runs as ``python -m examples.<name>`` in a subprocess with no
  SignalWire configuration in its environment (so against the built-in emulator), exits 0 and
  prints the lines that show its scenario really happened. A new example without an entry in
  ``EXPECTED`` fails the test, so none is forgotten.
* The same programs also run in "real space" mode: ``SIGNALWIRE_SPACE`` pointing at an emulator
  started by the test, exactly as a user would point them at their space; inbound examples
  then serve until SIGINT and must stop cleanly.
* The README's "Async in 20 lines" and "The same, blocking" blocks are ``examples/readme_*.py``
  byte for byte, and those programs handle calls from the emulator; the program of
  ``docs/index.md`` runs. (Every other block of the docs: ``test_docs_blocks.py``.)
* Every async example also runs on the other event loop (``--backend``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import anyio
import anyio.abc
import pytest

from relay_anyio.testing import Persona, Press, RelayEmulator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# A generous bound on one example run (they take about a second; the demo about three):
# only a hang can reach it.
RUN_TIMEOUT = 120.0
PROJECT, TOKEN = "test-project", "test-token"
CALLER, LINE, AGENT = "+15551230001", "+15551230002", "+15552002000"

# For each runnable example: lines its output must contain.
EXPECTED: dict[str, list[str]] = {
    "demo": [
        "relay-sansio demo",
        "caller: presses 1",
        "agent: picks up",
        "caller: is connected to +15552002000",
        "caller: hears 'Thanks for calling Acme. Goodbye!'",
    ],
    "ivr": ["caller: presses 1", "» +15551230001 chose sales", "← bridge disconnected"],
    "ivr_sync": ["caller: presses 1", "» +15551230001 chose sales", "← bridge disconnected"],
    "collect_and_connect": ["← gets the keys 4242#", "manager: picks up", "caller: hangs up"],
    "collect_and_connect_sync": ["← gets the keys 4242#", "manager: picks up"],
    "outbound_dial": ["appointment confirmed", "could not reach Sam", "Alex: presses 1"],
    "outbound_dial_sync": ["appointment confirmed", "could not reach Sam", "Alex: presses 1"],
    "recording": ["→ pauses the recording", "→ resumes the recording", "» recording finished"],
    "recording_sync": ["→ pauses the recording", "→ resumes the recording", "» recording"],
    "conference": ["guest: joined conference 'standup'", "host has ended the meeting"],
    "conference_sync": ["guest: joined conference 'standup'", "host has ended the meeting"],
    "messaging": [
        "announcement to +15553005000: undelivered (landline)",
        "answer to +15551230001: delivered",
    ],
    "messaging_sync": [
        "announcement to +15553005000: undelivered (landline)",
        "answer to +15551230001: delivered",
    ],
    "listeners": ["» survey answer: 'excellent service'", "» call state: ended"],
    "listeners_sync": ["» survey answer: 'excellent service'", "» call state: ended"],
    "trio_balance": ["Alice: hears 'Hello Alice. Your balance is 42 dollars and 50 cents.'"],
    "sansio_socket": ["caller: hears 'Hello from a plain socket!'", "→ hangs up"],
}
# Programs that need SIGNALWIRE_* (tested against an emulator below).
README_PROGRAMS = {"readme_async", "readme_sync"}


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without SignalWire configuration or the examples' own variables."""
    own = ("SIGNALWIRE_", "RELAY_", "SALES_NUMBER", "HOST_NUMBER")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    # Importable from a checkout that is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "300"  # wide transcripts: no line is wrapped
    env.update(extra or {})
    return env


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))


def run_example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"examples.{name}", *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


# --------------------------------------------------------------------------- against the emulator


def test_every_example_has_expectations() -> None:
    assert set(example_names()) == set(EXPECTED) | README_PROGRAMS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_against_the_emulator(name: str) -> None:
    done = run_example(name)
    report = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0, report
    assert "Done: the scenario ran to completion." in done.stdout, report
    for line in EXPECTED[name]:
        assert line in done.stdout, f"missing {line!r}\n{report}"
    assert "violations:" not in done.stdout, report


def async_examples() -> list[str]:
    """The examples written for relay_anyio (run through ``harness.run``) with anyio only:
    not those written for trio itself (``import trio``: trio_balance uses a trio nursery)."""
    names = []
    for name in sorted(EXPECTED):
        source = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
        if "harness.run(" in source and not re.search(r"^import trio\b", source, re.M):
            names.append(name)
    return names


def test_the_async_examples_are_found() -> None:
    assert {"demo", "ivr", "collect_and_connect"} <= set(async_examples())
    assert not any(name.endswith("_sync") for name in async_examples())
    assert "trio_balance" not in async_examples()


@pytest.mark.parametrize("name", async_examples())
def test_async_example_runs_on_trio(name: str) -> None:
    # Each async example runs above on asyncio; the same program runs unchanged on trio.
    done = run_example(name, "--backend", "trio")
    report = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0, report
    assert "Done: the scenario ran to completion." in done.stdout, report
    for line in EXPECTED[name]:
        assert line in done.stdout, f"missing {line!r}\n{report}"


def test_a_failing_scenario_exits_non_zero() -> None:
    # The harness must not hide failures: an impossible deadline ends the run with status 1.
    done = run_example("ivr", "--timeout", "0.001")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED" in done.stderr and "gave up after" in done.stderr


BROKEN = """
from examples import _harness as harness


async def handle(call):
    await call.answer()
    raise RuntimeError("boom in the handler")


async def caller(emu):
    party = await emu.call(context="office", from_number=harness.CALLER, to_number=harness.LINE)
    await party.wait_state("answered", timeout=None)
    await party.hangup()


harness.run(title="broken", contexts=["office"], on_call=handle, remote=caller)
"""


def test_a_handler_error_fails_the_run(tmp_path: Path) -> None:
    # An exception in the application is logged by the client and must fail the example.
    program = tmp_path / "broken.py"
    program.write_text(BROKEN)
    done = subprocess.run(
        [sys.executable, str(program)],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED" in done.stderr and "boom in the handler" in done.stderr


def test_demo_prints_the_frames_on_request() -> None:
    done = run_example("demo", "--frames", "--time-scale", "0.01")
    assert done.returncode == 0, done.stderr
    assert '"method":"calling.play_and_collect"' in done.stdout.replace(" ", "")


def test_sansio_example_is_under_80_lines() -> None:
    lines = (EXAMPLES / "sansio_socket.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 80
    source = "\n".join(lines)
    # Plain blocking sockets and the core only: no event loop, no client library.
    assert "import socket" in source
    assert not re.search(r"^(import|from) (anyio|asyncio|trio|relay_sync)\b", source, re.M)
    assert "relay_anyio import" not in source.split("async def caller")[0]


# --------------------------------------------------------------------------- README and docs


def markdown_block(path: Path, heading: str) -> str:
    """The first ```python block after ``heading``."""
    text = path.read_text(encoding="utf-8")
    start = text.index("```python\n", text.index(heading)) + len("```python\n")
    return text[start : text.index("```", start)]


@pytest.mark.parametrize(
    ("heading", "name"),
    [("## Async in 20 lines", "readme_async"), ("## The same, blocking", "readme_sync")],
)
def test_readme_blocks_are_the_example_files(heading: str, name: str) -> None:
    shown = markdown_block(ROOT / "README.md", heading)
    assert shown == (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")


def test_getting_started_program_runs(tmp_path: Path) -> None:
    program = tmp_path / "first_ivr.py"
    program.write_text(markdown_block(ROOT / "docs" / "index.md", "## Your first IVR"))
    done = subprocess.run(
        [sys.executable, str(program)],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "caller pressed 1" in done.stdout
    assert "call-1: played 'Press 1 for sales.'" in done.stdout


# --------------------------------------------------------------------------- "real space" mode


@pytest.fixture
async def emu() -> AsyncIterator[RelayEmulator]:
    """A RelayEmulator standing in for a SignalWire space."""
    async with RelayEmulator(project=PROJECT, token=TOKEN, time_scale=0.01) as emulator:
        emulator.persona(AGENT, Persona.answers(after=2.0))
        yield emulator
        emulator.assert_no_violations()


def space_env(emu: RelayEmulator, **extra: str) -> dict[str, str]:
    """What a user exports to point a program at their space: here, the emulator."""
    return clean_env(
        {
            "SIGNALWIRE_PROJECT_ID": PROJECT,
            "SIGNALWIRE_API_TOKEN": TOKEN,
            "SIGNALWIRE_SPACE": emu.url,
            **extra,
        }
    )


class Program:
    """A program running in a subprocess, its output going to a file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command, self.env, self.log = command, env, log
        self.process: anyio.abc.Process | None = None
        self.returncode: int | None = None

    async def __aenter__(self) -> Program:
        with self.log.open("w") as output:  # the child keeps its own copy
            self.process = await anyio.open_process(
                self.command, cwd=ROOT, env=self.env, stdout=output, stderr=output
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Whatever happened, the program does not outlive the test.
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            with anyio.CancelScope(shield=True):
                await self.process.wait()

    @property
    def output(self) -> str:
        return self.log.read_text()

    async def wait(self) -> int:
        """Wait until the program exits by itself; return its status."""
        assert self.process is not None
        with anyio.fail_after(RUN_TIMEOUT):
            self.returncode = await self.process.wait()
        return self.returncode

    async def interrupt(self) -> int:
        """Ctrl+C (SIGINT) it, as a user stops a server; return its exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return await self.wait()


async def place_call(emu: RelayEmulator, key: str) -> list[str]:
    """A caller presses ``key`` at the menu; return what they heard once the call ended."""
    caller = await emu.call(context="office", from_number=CALLER, to_number=LINE, script=[key])
    if key == "1":
        assert await caller.wait_connected(timeout=RUN_TIMEOUT) == AGENT
        await caller.hangup()
    await caller.wait_ended(timeout=RUN_TIMEOUT)
    return caller.heard


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["readme_async", "readme_sync"])
async def test_readme_program_handles_calls(emu: RelayEmulator, name: str, tmp_path: Path) -> None:
    command = [sys.executable, str(EXAMPLES / f"{name}.py")]
    async with Program(command, space_env(emu), tmp_path / "output.txt") as program:
        await emu.wait_for_clients(context="office", timeout=RUN_TIMEOUT)
        assert await place_call(emu, "2") == [
            "Press 1 for sales, 2 for support.",
            "Thanks for calling. Goodbye!",
        ]
        await place_call(emu, "1")  # bridged to +15552002000, then the caller hangs up
        connect = await emu.wait_for_request("calling.connect")
        assert connect.params["devices"][0][0]["params"]["from_number"] == LINE
        assert await program.interrupt() == 0, program.output
    assert "Traceback" not in program.output


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["demo", "ivr_sync"])
async def test_ivr_serves_a_real_space_until_ctrl_c(
    emu: RelayEmulator, name: str, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", f"examples.{name}"]
    env = space_env(emu, SALES_NUMBER=AGENT)
    async with Program(command, env, tmp_path / "output.txt") as program:
        await emu.wait_for_clients(context="office", timeout=RUN_TIMEOUT)
        heard = await place_call(emu, "2")
        assert heard[-1].startswith("We are open Monday to Friday")
        assert await program.interrupt() == 0, program.output
    assert "Waiting for calls and messages on ['office']" in program.output
    assert "asked for the opening hours" in program.output  # the application's log, live


@pytest.mark.anyio
async def test_outbound_example_dials_the_configured_number(
    emu: RelayEmulator, tmp_path: Path
) -> None:
    emu.persona("+15559876543", Persona.answers(after=1.0, script=[Press("2")]))
    command = [sys.executable, "-m", "examples.outbound_dial"]
    env = space_env(emu, RELAY_TO_NUMBER="+15559876543", RELAY_FROM_NUMBER=LINE)
    async with Program(command, env, tmp_path / "output.txt") as program:
        assert await program.wait() == 0, program.output  # no handlers: it ends by itself
    assert "appointment cancelled" in program.output
    party = await emu.wait_for_call_to("+15559876543")
    assert party.heard[-1] == "Your appointment is cancelled. Goodbye."


def test_outbound_example_names_a_missing_variable() -> None:
    env = clean_env(
        {
            "SIGNALWIRE_PROJECT_ID": PROJECT,
            "SIGNALWIRE_API_TOKEN": TOKEN,
            "SIGNALWIRE_SPACE": "ws://127.0.0.1:9",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "examples.outbound_dial"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode != 0
    assert "RELAY_FROM_NUMBER" in done.stderr
