"""``relay-emulator load``: start an emulator, wait for workers, offer them calls, report.

::

    relay-emulator load --port 8765 --calls 1000 --concurrency 200
    relay-emulator load --rate 20 --duration 60 --script "3*press:2" --script "press:1 hangup:20"

The emulator listens on ``--port``; the command waits until ``--workers`` clients subscribed to
``--context`` (start your worker with ``host="ws://127.0.0.1:8765"``), then places the calls.
A progress line goes to stderr (rewritten in place on a terminal, one line every few seconds
otherwise), the report to stdout. Exit status: 0 when every call completed (or was passed
back), 1 when calls failed (or, with ``--strict``, when a protocol violation was seen), 2 for
bad arguments, 3 when no worker connected in time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import anyio

from ._cli_faults import fault_command
from ._emulator import RelayEmulator
from ._load import (
    DEFAULT_MIX,
    CallerScript,
    LoadProgress,
    LoadReport,
    generate_load,
    parse_caller_script,
)
from ._server import EmulatorTimeout

__all__ = ["main"]

_PLAIN_PROGRESS_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="relay-emulator load",
        description="Offer many inbound calls to the RELAY workers connected to an emulator.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    p.add_argument("--project", help="project id clients must send (default: any)")
    p.add_argument("--token", help="API token clients must send (default: any)")
    p.add_argument("--context", default="office", help="context the calls arrive on")
    p.add_argument("--to", default="+15551230002", help="the number the callers dial")
    p.add_argument("--calls", type=int, help="how many calls to place")
    p.add_argument("--concurrency", type=int, help="at most this many calls up at once")
    p.add_argument("--rate", type=float, help="at most this many new calls per second")
    p.add_argument("--duration", type=float, help="stop placing calls after this many s")
    p.add_argument(
        "--script", action="append", default=[], metavar="[WEIGHT*]INTENT...",
        help='a kind of caller, e.g. "3*press:2" or "press:1 hangup:20" (repeatable; '
        "intents: press:DIGITS, say:WORDS, silence[:S], hangup[:S])",
    )  # fmt: skip
    p.add_argument("--workers", type=int, default=1, help="wait for this many clients (1)")
    p.add_argument("--wait", type=float, default=120.0, help="seconds to wait for them (120)")
    p.add_argument("--answer-timeout", type=float, default=30.0, help="real s (30)")
    p.add_argument("--call-timeout", type=float, default=300.0, help="real s per call (300)")
    p.add_argument("--time-scale", type=float, default=1.0, help="real s per simulated s (1)")
    p.add_argument(
        "--fault", action="append", default=[], metavar="COMMAND",
        help='a fault command run once the workers are connected, e.g. "delay calling.play 0.5"',
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0, help="seed of the script draw (0)")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the report as JSON")
    p.add_argument("--strict", action="store_true", help="violations also fail the run")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    return p


class _Progress:
    """Writes progress lines to a stream: in place on a terminal, periodic lines otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last = -_PLAIN_PROGRESS_EVERY

    def __call__(self, progress: LoadProgress) -> None:
        if self._tty:
            self._stream.write("\r" + progress.line() + "\x1b[K")
        elif progress.elapsed - self._last >= _PLAIN_PROGRESS_EVERY:
            self._last = progress.elapsed
            self._stream.write(progress.line() + "\n")
        self._stream.flush()

    def done(self) -> None:
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()


async def _run(args: argparse.Namespace, mix: Sequence[CallerScript]) -> int:
    emulator = RelayEmulator(
        project=args.project,
        token=args.token,
        time_scale=args.time_scale,
        host=args.host,
        port=args.port,
        idle_callers="silent",  # a caller with nothing left to do is silent, not undecided
    )
    err = sys.stderr
    async with emulator as emu:
        print(f"RELAY emulator listening on {emu.url} (give workers this URL as their host)")
        print(f"waiting for {args.workers} worker(s) on context {args.context!r}...", flush=True)
        try:
            await emu.wait_for_clients(args.workers, context=args.context, timeout=args.wait)
        except EmulatorTimeout:
            print(f"relay-emulator load: no {args.workers} worker(s) in {args.wait:g} s", file=err)
            return 3
        for command in args.fault:
            print(f"fault {command}: {await fault_command(emu, command.split())}")
        progress = None if args.quiet else _Progress(err)
        report = await generate_load(
            emu,
            context=args.context,
            calls=args.calls,
            concurrency=args.concurrency,
            rate=args.rate,
            duration=args.duration,
            mix=mix,
            to_number=args.to,
            answer_timeout=args.answer_timeout,
            call_timeout=args.call_timeout,
            seed=args.seed,
            on_progress=progress,
        )
        if progress is not None:
            progress.done()
    return _finish(args, report)


def _finish(args: argparse.Namespace, report: LoadReport) -> int:
    print(report.format(), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    if not report.ok:
        return 1
    return 1 if args.strict and report.violations else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``relay-emulator load``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        mix = [parse_caller_script(spec) for spec in args.script] or list(DEFAULT_MIX)
        if args.calls is None and args.duration is None:
            raise ValueError("give --calls, --duration, or both")
        if args.concurrency is None and args.rate is None:
            raise ValueError("give --concurrency, --rate, or both")
        if args.time_scale <= 0 or args.workers < 1:
            raise ValueError("--time-scale must be positive and --workers at least 1")
        for command in args.fault:
            if not command.split():
                raise ValueError("--fault needs a command")
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print(f"relay-emulator load: {exc}", file=sys.stderr)
        return 2
    status = 130
    with contextlib.suppress(KeyboardInterrupt):
        try:
            status = anyio.run(_run, args, mix, backend=args.backend)
        except ValueError as exc:  # a bad --fault or plan value found once running
            print(f"relay-emulator load: {exc}", file=sys.stderr)
            status = 2
    return status
