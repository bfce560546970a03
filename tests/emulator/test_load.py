"""The load generator: from Python (``generate_load``) and from the command line
(``relay-emulator load``), against relay_anyio workers over real sockets."""

from __future__ import annotations

import sys

import anyio
import pytest

from relay_anyio import Call, RelayClient
from relay_anyio.testing import CallerScript, Hangup, LoadProgress, RelayEmulator, generate_load
from relay_anyio.testing._load import parse_caller_script, percentile
from relay_anyio.testing._load_cli import main as load_main

pytestmark = pytest.mark.anyio

MENU = [{"type": "tts", "params": {"text": "Press 1 or 2"}}]
MIX = (
    CallerScript(("2",), 2, "press:2"),
    CallerScript((), 1, "silence"),
    CallerScript((Hangup(after=0.5),), 1, "hangup"),
)


def ivr_worker(emu: RelayEmulator) -> RelayClient:
    """A small IVR: answer, menu (twice at most), a prompt for the choice, hang up."""
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        for _ in range(2):
            menu = await call.play_and_collect(MENU, {"digits": {"max": 1}, "initial_timeout": 2})
            result = (await menu.wait()).params.get("result", {})
            if result.get("type") == "digit" or call.state == "ended":
                break
        if call.state != "ended":
            await (await call.play_tts("Goodbye")).wait()
            await call.hangup()

    return client


@pytest.mark.relay_emulator(idle_callers="silent", time_scale=0.001)
async def test_load_through_an_ivr(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    seen: list[LoadProgress] = []
    async with ivr_worker(emu):
        report = await generate_load(
            emu,
            context="office",
            calls=24,
            concurrency=6,
            mix=MIX,
            seed=7,
            on_progress=seen.append,
            progress_interval=0.01,
        )
    assert (report.offered, report.answered, report.completed) == (24, 24, 24)
    assert (report.failed, report.passed_back, report.failures) == (0, 0, {})
    assert report.ok and report.violations == []
    assert sum(report.by_script.values()) == 24 and set(report.by_script) <= {
        "press:2",
        "silence",
        "hangup",
    }
    assert 1 < report.peak_live <= 6
    assert len(report.answer_latency) == 24
    # Every call got the menu, except perhaps those whose caller hung up at once.
    assert 24 - report.by_script.get("hangup", 0) <= len(report.prompt_latency[1]) <= 24
    assert all(x >= 0 for x in report.answer_latency)
    assert seen and seen[-1].completed == 24 and seen[-1].live == 0
    text = report.format()
    assert "calls offered          24" in text and "prompt 1" in text
    summary = report.as_dict()
    assert summary["latency"]["answer"]["count"] == 24
    assert len(emu.journal.requests("calling.answer")) == 24


async def test_calls_nobody_answers_fail(emu: RelayEmulator) -> None:
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    async def ignore(call: Call) -> None:
        pass  # never answers

    async with client:
        report = await generate_load(
            emu, context="office", calls=3, concurrency=3, mix=MIX, answer_timeout=0.2
        )
    assert (report.offered, report.answered, report.failed) == (3, 0, 3)
    assert report.failures == {"not answered in time": 3}
    assert not report.ok
    assert "not answered in time: 3" in report.format()


async def test_calls_handed_back_count_as_passed_back(emu: RelayEmulator) -> None:
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    async def hand_back(call: Call) -> None:
        await call.pass_()

    async with client:
        report = await generate_load(
            emu, context="office", calls=2, concurrency=2, mix=MIX, answer_timeout=0.3
        )
    assert (report.offered, report.passed_back, report.failed) == (2, 2, 0)
    assert len(emu.journal.requests("calling.pass")) == 2


async def test_a_call_the_worker_never_ends_is_timed_out(emu: RelayEmulator) -> None:
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])

    @client.on_call
    async def answer_only(call: Call) -> None:
        await call.answer()

    async with client:
        report = await generate_load(
            emu, context="office", calls=1, rate=100, mix=MIX[1:2], call_timeout=0.2
        )
    assert (report.answered, report.failed) == (1, 1)
    assert report.failures == {"still up at the call timeout": 1}


@pytest.mark.relay_emulator(idle_callers="silent")
async def test_rate_for_a_duration(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    async with ivr_worker(emu):
        report = await generate_load(emu, context="office", rate=200, duration=0.05, mix=MIX)
    assert report.offered >= 1
    assert report.completed == report.offered and report.ok


async def test_bad_plans_are_refused(emu: RelayEmulator) -> None:
    for kwargs in (
        {"concurrency": 1},  # neither calls nor duration
        {"calls": 1},  # neither concurrency nor rate
        {"calls": 0, "concurrency": 1},
        {"calls": 1, "concurrency": 0},
        {"calls": 1, "rate": -1.0},
        {"calls": 1, "concurrency": 1, "mix": ()},
    ):
        with pytest.raises(ValueError):
            await generate_load(emu, context="office", **kwargs)  # type: ignore[arg-type]


def test_caller_scripts_and_percentiles() -> None:
    script = parse_caller_script("3*press:1 'say:sales please' silence:2 hangup:20")
    assert script.weight == 3 and script.name == "press:1 say:sales please silence:2 hangup:20"
    assert len(script.script) == 4
    assert parse_caller_script("silence").weight == 1
    for bad in ("press:x", "dance", "hangup:-1", "0*press:1", "'unclosed"):
        with pytest.raises(ValueError):
            parse_caller_script(bad)
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.99) == 4.0


def test_cli_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_main(["--calls", "5"]) == 2  # no concurrency nor rate
    assert load_main(["--concurrency", "5"]) == 2  # no calls nor duration
    assert load_main(["--calls", "1", "--rate", "1", "--script", "dance"]) == 2
    assert "unknown intent" in capsys.readouterr().err


async def test_cli_load_against_a_worker(anyio_backend: str) -> None:
    command = [sys.executable, "-m", "relay_anyio.testing", "load", "--port", "0", "--calls",
               "12", "--concurrency", "4", "--time-scale", "0.001", "--script", "press:2",
               "--script", "silence", "--backend", anyio_backend]  # fmt: skip
    async with await anyio.open_process(command) as process:
        assert process.stdout is not None
        first = b""
        while b"\n" not in first:
            first += await process.stdout.receive()
        url = first.split(b" on ", 1)[1].split(b" ", 1)[0].decode()
        assert url.startswith("ws://127.0.0.1:")
        worker = RelayClient(project="p", token="t", host=url, contexts=["office"])

        @worker.on_call
        async def handle(call: Call) -> None:
            await call.answer()
            menu = await call.play_and_collect(MENU, {"digits": {"max": 1}, "initial_timeout": 2})
            await menu.wait()
            await call.hangup()

        async with worker:
            output = first
            async for chunk in process.stdout:
                output += chunk
        status = await process.wait()
    text = output.decode()
    assert status == 0, text
    assert "calls offered          12" in text and "completed              12" in text
    assert "protocol violations: none" in text


async def test_cli_without_workers_gives_up(anyio_backend: str) -> None:
    command = [sys.executable, "-m", "relay_anyio.testing", "load", "--port", "0", "--calls",
               "1", "--concurrency", "1", "--wait", "0.05", "--backend", anyio_backend]  # fmt: skip
    result = await anyio.run_process(command, check=False)
    assert result.returncode == 3
    assert b"no 1 worker(s)" in result.stderr


async def test_a_full_emulator_fails_calls_instead_of_crashing(
    emu: RelayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("relay_anyio.testing._switch.MAX_LIVE_CALLS", 2)
    report = await generate_load(
        emu, context="office", calls=4, concurrency=4, mix=MIX, answer_timeout=0.1
    )  # nobody subscribed: the first two wait, the next two do not fit
    assert (report.offered, report.failed) == (4, 4)
    assert report.failures == {"emulator full": 2, "not answered in time": 2}
