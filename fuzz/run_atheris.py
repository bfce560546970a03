#!/usr/bin/env python3
"""Coverage-guided fuzzing of relay_proto with atheris (libFuzzer). See fuzz/README.md.

    python fuzz/run_atheris.py --runs=20000              # every target, 20000 runs in total
    python fuzz/run_atheris.py --seconds=600             # every target, 600 s in total
    python fuzz/run_atheris.py --target=client_frames --seconds=300 [-- <libFuzzer flags>]
    python fuzz/run_atheris.py --target=client_frames --replay crash-file [...]

Each target runs in its own process (libFuzzer runs once per process), seeded from
fuzz/corpus/ through :func:`fuzz.seeds.seed_inputs`, with a working corpus in ``--workdir`` (a
temporary directory by default) so the committed seeds are never modified. A finding is written
to ``<workdir>/<target>-crash-*`` and makes the exit status 1; the status is 0 when nothing was
found.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Relative cost of one execution, measured (the differential target runs three worlds and feeds
# one of them byte by byte; the structured one plays a whole session). A --runs budget is shared
# out in inverse proportion, so that each target gets a similar share of the time.
COSTS = {
    "server_handshake": 1,
    "server_raw": 1,
    "server_frames": 1,
    "client_handshake": 1,
    "client_raw": 2,
    "client_frames": 3,
    "differential": 18,
    "structured": 5,
    "decoders": 1,
}
# Inputs a little longer than the worlds' message limit (8192 bytes), so "too large" is reachable.
MAX_LEN = 12_000


def _load_target(name: str) -> Callable[[bytes], None]:
    if name == "structured":
        from fuzz.structured import session_target

        one_input: Callable[[bytes], None] = session_target.hypothesis.fuzz_one_input  # type: ignore[attr-defined]
        return one_input
    from fuzz.targets import TARGETS

    return TARGETS[name]


def _child(args: argparse.Namespace, libfuzzer: list[str]) -> int:
    """Run one target under libFuzzer (this process is the child)."""
    import atheris

    with atheris.instrument_imports(include=["relay_proto", "wsproto", "h11"]):
        target = _load_target(args.target)
        from fuzz.seeds import seed_inputs

    work = Path(args.workdir) / args.target
    work.mkdir(parents=True, exist_ok=True)
    for index, seed in enumerate(seed_inputs(args.target)):
        (work / f"seed-{index:03d}").write_bytes(seed)
    flags = [
        f"-max_len={MAX_LEN}",
        "-timeout=60",
        "-rss_limit_mb=3072",
        "-print_final_stats=1",
        f"-artifact_prefix={work.parent / args.target}-",
    ]
    if args.runs is not None:
        flags.append(f"-runs={args.runs}")
    if args.seconds is not None:
        flags.append(f"-max_total_time={max(1, round(args.seconds))}")
    atheris.Setup([sys.argv[0], *flags, *libfuzzer, str(work)], target)
    atheris.Fuzz()
    return 0  # not reached: libFuzzer exits the process


def _replay(args: argparse.Namespace) -> int:
    """Run the target once per file, printing each failure (no fuzzing, no instrumentation)."""
    target = _load_target(args.target)
    failures = 0
    for name in args.replay:
        try:
            target(Path(name).read_bytes())
        except Exception:
            failures += 1
            print(f"--- {name}: FAILED", flush=True)
            traceback.print_exc()
        else:
            print(f"--- {name}: ok", flush=True)
    return 1 if failures else 0


def _share(total: float, names: list[str]) -> dict[str, float]:
    weights = {name: 1 / COSTS[name] for name in names}
    scale = total / sum(weights.values())
    return {name: weights[name] * scale for name in names}


def _selected(target: str) -> list[str]:
    """The targets ``--target`` names. ``all`` leaves out ``decoders`` when orjson is not
    installed (the default install): with one decoder there is nothing to compare."""
    if target != "all":
        return [target]
    from fuzz.targets import HAS_FAST_DECODER

    if HAS_FAST_DECODER:
        return list(COSTS)
    print("decoders: skipped (orjson is not installed: pip install relay-sansio[speedups])")
    return [name for name in COSTS if name != "decoders"]


def _parent(args: argparse.Namespace, libfuzzer: list[str]) -> int:
    """Run every selected target in a child process; summarise; exit 1 on any finding."""
    names = _selected(args.target)
    runs = _share(args.runs, names) if args.runs is not None else {}
    # Time is shared equally: each target then gets the same chance to find something.
    seconds = {name: args.seconds / len(names) for name in names} if args.seconds else {}
    workdir = args.workdir or tempfile.mkdtemp(prefix="relay-fuzz-")
    status = 0
    print(f"{'target':18} {'result':8} {'runs':>9} {'seconds':>8} {'exec/s':>7}", flush=True)
    for name in names:
        command = [sys.executable, __file__, f"--target={name}", f"--workdir={workdir}", "--child"]
        if name in runs:
            command.append(f"--runs={max(1, round(runs[name]))}")
        if name in seconds:
            command.append(f"--seconds={max(1, round(seconds[name]))}")
        command += ["--", *libfuzzer] if libfuzzer else []
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        execs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", done.stderr)
        count = int(execs[-1]) if execs else 0
        result = "ok" if done.returncode == 0 else "FOUND"
        rate = count / elapsed if elapsed else 0.0
        print(f"{name:18} {result:8} {count:9d} {elapsed:8.1f} {rate:7.0f}", flush=True)
        if done.returncode != 0:
            status = 1
            sys.stderr.write(done.stderr[-20_000:])
    if status:
        print(f"findings and their inputs are in {workdir}", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; run the targets (parent), one target (child) or a replay."""
    argv = sys.argv[1:] if argv is None else argv
    libfuzzer: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, libfuzzer = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="all", choices=["all", *COSTS])
    parser.add_argument("--runs", type=int, help="executions (in total over the targets)")
    parser.add_argument("--seconds", type=float, help="time (in total, shared equally)")
    parser.add_argument("--workdir", help="working corpus and findings (default: a temp dir)")
    parser.add_argument("--replay", nargs="+", metavar="FILE", help="run the target on files")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs is None and args.seconds is None and not args.replay:
        parser.error("give --runs=N and/or --seconds=S (or --replay FILE...)")
    if args.replay:
        if args.target == "all":
            parser.error("--replay needs --target")
        return _replay(args)
    if args.child:
        return _child(args, libfuzzer)
    return _parent(args, libfuzzer)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
