"""``python -m benchmarks.load``: how many concurrent calls one relay_anyio worker handles.

For each concurrency level, an emulator (in this process, real time: ``time_scale=1``) offers
calls to one worker process (``benchmarks._load_worker``: ``examples/ivr.py``'s handler on a
relay_anyio client) for ``--duration`` seconds, keeping that many calls up, with the load
generator's default IVR caller mix; then the calls still up are waited for. Reported per level:
calls completed and failed; over the steady state (while calls are placed, the drain of the
last calls left out): completed calls per second, the worker's CPU (share of one core,
from ``/proc/<pid>/stat``) and peak RSS (``VmHWM``), the emulator's own CPU, and the p50 / p99
latency of the answer and of the prompts. A level is *handled* when no call failed and the
p99 answer latency stayed under ``--max-p99`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from relay_anyio.testing import LoadProgress, RelayEmulator, generate_load
from relay_anyio.testing._load import percentile

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _level(concurrency: int, args: argparse.Namespace) -> dict[str, Any]:
    async with RelayEmulator(
        idle_callers="silent", ping_interval=10.0, max_unacked=args.max_unacked
    ) as emu:
        worker = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._load_worker", emu.url, args.backend],
            stdout=subprocess.DEVNULL,
        )
        try:
            await emu.wait_for_clients(1, context="office", timeout=60)
            latest: list[LoadProgress] = []
            window: dict[str, float] = {}

            async def measure() -> None:
                # The steady state: from the start (the level is reached at once) to the end of
                # placement; the drain of the last calls is left out.
                cpu0, own0, t0 = _cpu_seconds(worker.pid), _own_cpu(), time.monotonic()
                await anyio.sleep(args.duration)
                window["wall"] = time.monotonic() - t0
                window["cpu"] = _cpu_seconds(worker.pid) - cpu0
                window["own"] = _own_cpu() - own0
                window["completed"] = latest[-1].completed if latest else 0

            async with anyio.create_task_group() as tg:
                tg.start_soon(measure)
                report = await generate_load(
                    emu,
                    context="office",
                    concurrency=concurrency,
                    duration=args.duration,
                    answer_timeout=10.0,
                    call_timeout=120.0,
                    on_progress=latest.append,
                    progress_interval=0.25,
                )
            rss = _peak_rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    prompts = [x for samples in report.prompt_latency.values() for x in samples]
    return {
        "concurrency": concurrency,
        "completed": report.completed,
        "failed": report.failed,
        "passed_back": report.passed_back,
        "peak_live": report.peak_live,
        "calls_per_s": window["completed"] / window["wall"],
        "worker_cpu": window["cpu"] / window["wall"],
        "worker_rss_mb": rss,
        "emulator_cpu": window["own"] / window["wall"],
        "answer_p50_ms": percentile(report.answer_latency, 0.5) * 1000,
        "answer_p99_ms": percentile(report.answer_latency, 0.99) * 1000,
        "prompt_p50_ms": percentile(prompts, 0.5) * 1000,
        "prompt_p99_ms": percentile(prompts, 0.99) * 1000,
        "violations": len(report.violations),
        "handled": report.failed == 0 and percentile(report.answer_latency, 0.99) <= args.max_p99,
    }


def _table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'calls up':>8} {'done':>6} {'failed':>6} {'calls/s':>8} {'worker CPU':>10} "
        f"{'worker RSS MB':>13} {'emu CPU':>8} {'answer p50/p99 ms':>18} "
        f"{'prompt p50/p99 ms':>18}  handled"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['peak_live']:>8} {r['completed']:>6} {r['failed']:>6} {r['calls_per_s']:>8.1f} "
            f"{r['worker_cpu'] * 100:>9.0f}% {r['worker_rss_mb']:>13.1f} "
            f"{r['emulator_cpu'] * 100:>7.0f}% "
            f"{r['answer_p50_ms']:>8.1f} / {r['answer_p99_ms']:<7.1f} "
            f"{r['prompt_p50_ms']:>8.1f} / {r['prompt_p99_ms']:<7.1f}  "
            f"{'yes' if r['handled'] else 'NO'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the levels and print the table; status 1 if the lowest level was not handled."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--levels", default="100,200,400,800", help="concurrency levels")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per level (30)")
    parser.add_argument("--max-p99", type=float, default=1.0, help="p99 answer bound, s (1)")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--max-unacked", type=int, default=64, help="emulator ACK window (64)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x]
    rows = []
    for level in levels:
        print(f"level {level}: {args.duration:g} s...", file=sys.stderr, flush=True)
        rows.append(anyio.run(_level, level, args))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"one relay_anyio worker ({args.backend}), examples/ivr.py's handler, real time")
    print(f"{os.cpu_count()} CPUs, load average at the end {load}")
    print(_table(rows))
    handled = [r["peak_live"] for r in rows if r["handled"]]
    print(f"highest level handled: {max(handled) if handled else 'none'} concurrent calls")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if rows and rows[0]["handled"] else 1


if __name__ == "__main__":
    sys.exit(main())
