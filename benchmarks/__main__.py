"""``python -m benchmarks``: run the workloads with every client and print the comparison.

Each run is one fresh client process (``benchmarks._child``) against a server in this process
(``benchmarks._server``) that sends pre-serialised frames. Runs are interleaved (repeat 1 of
every client, then repeat 2...), so slow drift of the machine spreads over all clients instead
of favouring one. The report shows medians and ratios against the first client, then the
issue's targets; ``--json`` writes everything, raw runs included.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

from ._bytecode import compile_checkout
from ._harness import ALL_CLIENTS, DEFAULT_CLIENTS, DEFAULT_SIZES, ROOT, available, run_one
from ._imports import format_imports, measure_imports
from ._report import LABELS, check_targets, format_report, machine, medians
from ._scenarios import SCENARIOS


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Compare relay-sansio's clients with the official SDK and the wsproto floor.",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per client and workload (3)")
    parser.add_argument(
        "--clients",
        default=",".join(DEFAULT_CLIENTS),
        help="comma-separated, the first is the ratio base (default: %(default)s; also "
        "'stream': relay_anyio on asyncio through anyio's byte stream instead of the protocol)",
    )
    parser.add_argument("--workloads", default="B1,B2,B3,B4", help="default: %(default)s")
    parser.add_argument("--b1-events", type=int, default=DEFAULT_SIZES["B1"])
    parser.add_argument("--b2-calls", type=int, default=DEFAULT_SIZES["B2"])
    parser.add_argument("--b3-requests", type=int, default=DEFAULT_SIZES["B3"])
    parser.add_argument("--b4-calls", type=int, default=DEFAULT_SIZES["B4"])
    parser.add_argument(
        "--no-imports", action="store_true", help="skip measuring import time and RSS"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run (120)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="run each client under cProfile, writing DIR/<workload>-<client>.prof",
    )
    args = parser.parse_args(argv)
    args.clients = [c for c in args.clients.split(",") if c]
    args.workloads = [w for w in args.workloads.split(",") if w]
    unknown = [c for c in args.clients if c not in ALL_CLIENTS]
    unknown += [w for w in args.workloads if w not in SCENARIOS]
    if unknown or args.repeat < 1:
        parser.error(f"unknown client/workload or bad --repeat: {unknown or args.repeat}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; exit status 1 when a run failed."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    sizes = {
        "B1": args.b1_events,
        "B2": args.b2_calls,
        "B3": args.b3_requests,
        "B4": args.b4_calls,
    }
    notes = [reason for c in args.clients if (reason := available(c)) is not None]
    clients = [c for c in args.clients if available(c) is None]
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        notes.append("profiled runs (cProfile): timings are inflated and not comparable")
    if (note := compile_checkout(ROOT)) is not None:
        notes.append(note)
    began = time.monotonic()
    runs = _run_all(args, clients, sizes)
    imports = {} if args.no_imports else measure_imports(args.repeat, set(clients))
    elapsed = time.monotonic() - began
    failed = [run for run in runs if run.get("error")]
    table = medians(runs)
    targets = check_targets(table)
    print(format_report(table, clients, sizes, targets, notes))
    print("\n".join(format_imports(imports)))
    for run in failed:
        print(f"FAILED: {run['workload']} {run['client']} #{run['repeat'] + 1}: {run['error']}")
    print(f"\n{len(runs)} runs in {elapsed:.0f} s; medians of {args.repeat}.")
    if args.json:
        document = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(),
            "settings": {"repeat": args.repeat, "sizes": sizes, "clients": clients},
            "notes": notes,
            "medians": table,
            "imports": imports,
            "targets": [target.as_dict() for target in targets],
            "runs": runs,
            "elapsed_s": elapsed,
        }
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


def _run_all(
    args: argparse.Namespace, clients: list[str], sizes: dict[str, int]
) -> list[dict[str, Any]]:
    """Every run, interleaved: repeat 1 of every workload and client, then repeat 2..."""
    runs: list[dict[str, Any]] = []
    for repeat in range(args.repeat):
        for workload in args.workloads:
            for client in clients:
                if client == "floor" and workload != "B1":
                    continue  # the floor is defined for the event flood only
                run = run_one(client, workload, sizes[workload], args.timeout, args.profile)
                run["repeat"] = repeat
                runs.append(run)
                if not args.quiet:
                    _progress(run, repeat, args.repeat)
    return runs


def _progress(run: dict[str, Any], repeat: int, repeats: int) -> None:
    label = LABELS.get(run["client"], run["client"])
    if run.get("error"):
        detail = "FAILED"
    else:
        detail = (
            f"cpu {run['cpu']:.3f} s, wall {run['wall']:.3f} s, rss {run['rss_kb'] / 1024:.1f} MB"
        )
        if "p50_us" in run:
            detail += f", p50 {run['p50_us']:.0f} us"
    print(f"[{repeat + 1}/{repeats}] {run['workload']} {label}: {detail}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
