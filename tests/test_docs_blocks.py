"""Every ```python block of README.md, docs/ and examples/README.md is run, or says why not.

The line before each block (blank lines aside) is a marker comment:

* ``<!-- doc-test: run NAME -->``: a program. The scenario ``NAME`` below runs it against the
  emulator, on asyncio and on trio, as a user would: the ``SIGNALWIRE_*`` variables point at the
  emulator, and ``client.run()`` / ``anyio.run(main)`` hand the client or ``main`` to the test,
  which serves it while a scripted caller goes through the menu (blocking programs run on
  relay_sync, on threads of their own).
* ``<!-- doc-test: file PATH -->``: the block is, verbatim, part of ``PATH``, a test module or
  example that the suite runs.
* ``<!-- doc-test: fragment -->``: a fragment (import lines, a line of a test). It must compile,
  and its imports of relay_proto / relay_anyio / relay_sync must resolve.
* ``<!-- doc-test: sketch -->``: pseudo-code of an interface (docs/design/ only); never run.

A block without a marker, or naming an unknown scenario, fails the suite: no block is skipped
silently, and a doc example that stops working fails CI.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.metadata
import inspect
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest

import relay_anyio
import relay_sync
from relay_anyio.testing import Persona, Press, RelayEmulator

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), ROOT / "examples/README.md"]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[ \t]*$")
MARKER = re.compile(r"^<!--\s*doc-test:\s*(?P<kind>run|file|fragment|sketch)\s*(?P<arg>\S*)\s*-->$")
CALLER, LINE, AGENT = "+15551230001", "+15551230002", "+15552002000"
WAIT = 30.0  # a bound on each scenario: only a hang reaches it


@dataclass(frozen=True)
class Block:
    """One ```python block of a page."""

    page: Path
    line: int  # of the opening fence, 1-based
    code: str
    kind: str  # "" when the block has no marker
    arg: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def read_blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = index + 1
        while not lines[end].strip().startswith("```"):
            end += 1
        indent = len(fence["indent"])
        code = "\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n"
        before = [line.strip() for line in lines[:index] if line.strip()]
        marker = MARKER.match(before[-1]) if before else None
        kind, arg = (marker["kind"], marker["arg"]) if marker else ("", "")
        found.append(Block(page, index + 1, code, kind, arg))
        index = end + 1
    return found


BLOCKS = [block for page in PAGES for block in read_blocks(page)]


def blocks_of(kind: str) -> list[Block]:
    return [block for block in BLOCKS if block.kind == kind]


# --------------------------------------------------------------------------- every block


def test_every_block_is_marked() -> None:
    assert len(BLOCKS) > 20  # the pages were found and read
    unmarked = [block.where for block in BLOCKS if not block.kind]
    assert unmarked == [], "add a <!-- doc-test: ... --> marker before each block"


def test_run_markers_name_the_scenarios() -> None:
    named = [block.arg for block in blocks_of("run")]
    # Each scenario runs exactly one block, and each run block has a scenario.
    assert sorted(named) == sorted([*SCENARIOS, *PYTEST_SCENARIOS])


def test_sketches_are_design_notes_only() -> None:
    for block in blocks_of("sketch"):
        assert block.page.parent.name == "design", block.where


@pytest.mark.parametrize("block", blocks_of("file"), ids=lambda b: b.where)
def test_block_is_part_of_a_file_the_suite_runs(block: Block) -> None:
    path = ROOT / block.arg
    assert path.suffix == ".py" and path.parent.name in ("emulator", "examples", "proto"), block.arg
    assert block.code in path.read_text(encoding="utf-8"), f"{block.where} differs from {path}"


@pytest.mark.parametrize("block", blocks_of("fragment"), ids=lambda b: b.where)
def test_fragment_compiles_and_its_imports_resolve(block: Block) -> None:
    tree = compile(
        block.code, block.where, "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("relay_"):
            module = __import__(node.module or "", fromlist=["*"])
            for alias in node.names:
                assert hasattr(module, alias.name), f"{block.where}: {node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("relay_"):
                    __import__(alias.name)


# --------------------------------------------------------------------------- running programs


@dataclass
class Program:
    """What executing a program block handed over instead of blocking."""

    clients: list[Any] = field(default_factory=list)  # RelayClients whose run() was called
    mains: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)  # anyio.run(main)
    awaitable: Awaitable[Any] | None = None  # a block with top-level await
    namespace: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def handing_over(program: Program) -> Iterator[None]:
    """``client.run()`` and ``anyio.run(fn, ...)`` record what they were given and return."""
    saved = (relay_anyio.RelayClient.run, relay_sync.RelayClient.run, anyio.run)

    def run_client(self: Any, *args: Any, **kwargs: Any) -> None:
        program.clients.append(self)

    def run_main(fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> None:
        program.mains.append(lambda: fn(*args))

    relay_anyio.RelayClient.run = run_client  # type: ignore[method-assign]
    relay_sync.RelayClient.run = run_client  # type: ignore[method-assign]
    anyio.run = run_main  # type: ignore[assignment]
    try:
        yield
    finally:
        relay_anyio.RelayClient.run = saved[0]  # type: ignore[method-assign]
        relay_sync.RelayClient.run = saved[1]  # type: ignore[method-assign]
        anyio.run = saved[2]


def execute(block: Block) -> Program:
    """Execute a program block as ``__main__``, blocking calls handed over to the test."""
    program = Program(namespace={"__name__": "__main__", "__file__": str(block.page)})
    code = compile(block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    with handing_over(program):
        result = eval(code, program.namespace)  # our own documentation's code
    if inspect.isawaitable(result):
        program.awaitable = result
    return program


@contextlib.asynccontextmanager
async def serving(client: Any) -> Any:
    """Run a client that ``run()`` handed over until the block ends (then stop it)."""
    if isinstance(client, relay_sync.RelayClient):
        await anyio.to_thread.run_sync(client.connect)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(client.disconnect)
        return
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.serve)
        try:
            yield
        finally:
            await client.stop()


async def place_call(emu: RelayEmulator, key: str) -> Any:
    caller = await emu.call(
        context="office", from_number=CALLER, to_number=LINE, script=[Press(key)]
    )
    if key == "1":
        assert await caller.wait_connected(timeout=WAIT) == AGENT
        await caller.hangup()
    await caller.wait_ended(timeout=WAIT)
    return caller


async def readme_ivr(block: Block, emu: RelayEmulator, output: Callable[[], str]) -> None:
    """README: "Press 1 for sales, 2 for support"; 1 connects to the agent."""
    [client] = execute(block).clients
    async with serving(client):
        await emu.wait_for_clients(context="office", timeout=WAIT)
        caller = await place_call(emu, "2")
        assert caller.heard == ["Press 1 for sales, 2 for support.", "Thanks for calling. Goodbye!"]
        caller = await place_call(emu, "1")
        assert caller.heard == ["Press 1 for sales, 2 for support."]
    connect = await emu.wait_for_request("calling.connect")
    assert connect.params["devices"][0][0]["params"] == {"to_number": AGENT, "from_number": LINE}


async def docs_style(block: Block, emu: RelayEmulator, output: Callable[[], str]) -> None:
    """docs/index.md: flat media and ringback, result["digits"]; each branch is heard."""
    [client] = execute(block).clients
    greeting = ["Hello from RELAY!", "Press 1 for sales, 2 for our opening hours."]
    async with serving(client):
        await emu.wait_for_clients(context="office", timeout=WAIT)
        caller = await place_call(emu, "2")
        assert caller.heard == [*greeting, "We are open nine to five."]
        assert caller.end_reason == "hangup"
        caller = await place_call(emu, "9")
        assert caller.heard == [*greeting, "https://example.com/bye.mp3"]
        caller = await place_call(emu, "1")
        assert caller.heard[:2] == greeting  # then the ringback, and the agent
    connect = await emu.wait_for_request("calling.connect")
    # Sent in the canonical shape, whatever form the program wrote.
    assert connect.params["ringback"] == [{"type": "ringtone", "params": {"name": "us"}}]
    plays = [entry.params["play"] for entry in emu.journal.requests("calling.play")]
    assert plays[0] == [{"type": "tts", "params": {"text": "Hello from RELAY!"}}]


async def first_ivr(block: Block, emu: RelayEmulator, output: Callable[[], str]) -> None:
    """docs/index.md: the self-contained first IVR (its own emulator, anyio.run(main))."""
    [main] = execute(block).mains
    with anyio.fail_after(WAIT):
        await main()
    assert "caller pressed 1" in output()
    assert "played 'Press 1 for sales.'" in output()


async def emulator_url(block: Block, emu: RelayEmulator, output: Callable[[], str]) -> None:
    """docs/emulator.md: starting an emulator and printing where it listens."""
    program = execute(block)
    assert program.awaitable is not None
    with anyio.fail_after(WAIT):
        await program.awaitable
    url, host = output().splitlines()[:2]
    assert re.fullmatch(r"ws://127\.0\.0\.1:\d+", url) and url == f"ws://{host}"


SCENARIOS: dict[str, Callable[[Block, RelayEmulator, Callable[[], str]], Awaitable[None]]] = {
    "readme-async": readme_ivr,
    "readme-sync": readme_ivr,
    "docs-style-async": docs_style,
    "docs-style-sync": docs_style,
    "first-ivr": first_ivr,
    "emulator-url": emulator_url,
}


@pytest.fixture
async def emu(monkeypatch: pytest.MonkeyPatch) -> Any:
    async with RelayEmulator(project="docs", token="docs", time_scale=0.001) as emulator:
        emulator.persona(AGENT, Persona.answers(after=1.0))
        # What a user exports to point a program at their space: here, the emulator.
        monkeypatch.setenv("SIGNALWIRE_PROJECT_ID", "docs")
        monkeypatch.setenv("SIGNALWIRE_API_TOKEN", "docs")
        monkeypatch.setenv("SIGNALWIRE_SPACE", emulator.url)
        monkeypatch.delenv("SIGNALWIRE_JWT_TOKEN", raising=False)
        monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "10")
        yield emulator
        emulator.assert_no_violations()


def run_block(name: str) -> Block:
    [block] = [block for block in blocks_of("run") if block.arg == name]
    return block


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_documented_program_runs(
    name: str, emu: RelayEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    printed: list[str] = []

    def output() -> str:
        printed.append(capsys.readouterr().out)
        return "".join(printed)

    await SCENARIOS[name](run_block(name), emu, output)


# Blocks that are pytest modules: run by pytest itself, with the plugin relay-sansio installs.
PYTEST_SCENARIOS = {"readme-testing"}


def test_readme_testing_snippet_passes_on_both_backends(tmp_path: Path) -> None:
    block = run_block("readme-testing")
    (tmp_path / "test_readme_snippet.py").write_text(block.code)
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture(params=["asyncio", "trio"])
            def anyio_backend(request):
                return request.param
            """
        )
    )
    plugins = {e.name for e in importlib.metadata.entry_points(group="pytest11")}
    # Installed, the package registers its fixture by entry point; from a bare checkout, load
    # the plugin by hand (never both: pytest refuses to register it twice).
    args = [] if "relay_emulator" in plugins else ["-p", "relay_anyio.testing.pytest_plugin"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNALWIRE_", "RELAY_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout  # test_menu on asyncio and on trio
