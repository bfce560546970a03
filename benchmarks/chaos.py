"""``python -m benchmarks.chaos``: relay_anyio through the faults that lose calls in production.

Four experiments against the emulator and its fault injection, one relay_anyio worker running
a small IVR (answer, menu, thanks, hang up) in this process:

* **socket cuts**: calls at a fixed concurrency while the socket is cut at random moments; the
  client must resume its session each time.
* **server restart**: calls waiting in the menu when the emulator restarts and loses every
  state; the client must notice the new session (the old calls' waits settle, none hangs), and
  new calls must go through.
* **half-open link**: the server goes silent without closing the socket; how long until the
  client gives up on it and reconnects.
* **cancelled offline requests**: while the client is offline, the application starts prompts
  and gives up on them (a timeout); after the reconnect none of them may be sent.

The table: calls offered / completed / failed (the handler got an error, e.g. a request in
flight at a cut) / lost (never reached the handler, or hung: still up at the end) / duplicated
(answered twice or handled twice), reconnects, resumes, time to detect the dead link, stale
requests sent, and the process's peak RSS. Exit status 1 when a call was lost or duplicated, a
stale request was sent, or the dead link was not detected within the window.

``--size tiny`` is what CI runs (seconds); ``--size full`` is the documented run.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio

from relay_anyio import Call, RelayClient, RelayError
from relay_anyio.testing import RelayEmulator

SIZES: dict[str, dict[str, float]] = {
    "tiny": {"calls": 6, "concurrency": 3, "cuts": 1, "restart_calls": 2, "window": 2.0,
             "stale": 2},
    "full": {"calls": 400, "concurrency": 40, "cuts": 20, "restart_calls": 50, "window": 90.0,
             "stale": 20},
}  # fmt: skip
MENU = [{"type": "tts", "params": {"text": "Press 1 or 2"}}]
_CALL_TIMEOUT = 60.0  # real seconds before a call still up counts as lost


@dataclass
class Row:
    """One experiment's line of the table (``None``: does not apply)."""

    name: str
    offered: int | None = None
    completed: int | None = None
    failed: int | None = None
    lost: int | None = None
    duplicated: int | None = None
    reconnects: int = 0
    resumes: int = 0
    detect_s: float | None = None
    stale: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Worker:
    """The IVR under test and what it saw."""

    client: RelayClient
    handled: Counter[str] = field(default_factory=Counter)
    finished: set[str] = field(default_factory=set)
    errors: set[str] = field(default_factory=set)
    reasons: Counter[str] = field(default_factory=Counter)
    settled: set[str] = field(default_factory=set)


def make_worker(emu: RelayEmulator) -> Worker:
    """A client with the IVR handler."""
    client = RelayClient(
        project="p", token="t", host=emu.url, contexts=["office"], shutdown_timeout=2.0
    )
    worker = Worker(client)

    @worker.client.on_call
    async def ivr(call: Call) -> None:
        worker.handled[call.call_id] += 1
        try:
            await call.answer()
            menu = await call.play_and_collect(MENU, {"digits": {"max": 1}, "initial_timeout": 5})
            await menu.wait()
            if call.state != "ended":
                await (await call.play_tts("Thanks for calling")).wait()
                await call.hangup()
            worker.finished.add(call.call_id)
        except RelayError as exc:
            worker.errors.add(call.call_id)
            worker.reasons[str(exc)] += 1
            with contextlib.suppress(RelayError):  # no dead air: the caller is let go
                await call.hangup()
        finally:
            worker.settled.add(call.call_id)

    return worker


def connects(emu: RelayEmulator) -> tuple[int, int]:
    """(successful connects, resumed ones) so far."""
    total = resumed = 0
    for request in emu.journal.requests("signalwire.connect"):
        replies = emu.journal.replies_to(request)
        if replies and replies[0].result:
            total += 1
            resumed += bool(replies[0].result.get("session_restored"))
    return total, resumed


def duplicates(emu: RelayEmulator, worker: Worker) -> int:
    """Calls answered more than once on the wire or handled more than once."""
    answers = Counter(e.params.get("call_id") for e in emu.journal.requests("calling.answer"))
    twice = {c for c, n in answers.items() if n > 1}
    twice |= {c for c, n in worker.handled.items() if n > 1}
    return len(twice)


async def _settle(worker: Worker, ids: list[str], window: float) -> None:
    """Give the handlers of ``ids`` up to ``window`` seconds to return (their callers are gone;
    the last replies may still be on their way)."""
    with anyio.move_on_after(window):
        while not all(c in worker.settled for c in ids):
            await anyio.sleep(0.05)


async def _one_call(emu: RelayEmulator, n: int, script: list[Any], outcome: Counter[str]) -> str:
    party = await emu.call(
        context="office", from_number=f"+1555{n:07d}", to_number="+15551230002", script=script
    )
    try:
        await party.wait_ended(timeout=_CALL_TIMEOUT)
    except TimeoutError:
        await party.hangup()
        outcome["hung"] += 1
    return party.call_id


async def socket_cuts(size: dict[str, float], rng: random.Random) -> Row:
    """Calls through random socket cuts."""
    row = Row("socket cuts")
    async with RelayEmulator(project="p", token="t", time_scale=0.01) as emu:
        worker = make_worker(emu)
        outcome: Counter[str] = Counter()
        ids: list[str] = []
        async with worker.client, anyio.create_task_group() as tg:
            calls, limit = int(size["calls"]), anyio.Semaphore(int(size["concurrency"]))

            async def place(n: int) -> None:
                async with limit:
                    ids.append(await _one_call(emu, n, ["2"], outcome))

            async def cut() -> None:
                for _ in range(int(size["cuts"])):
                    await anyio.sleep(rng.uniform(0.2, 1.5))
                    emu.faults.drop_all_now()
                    await emu.wait_for_clients(1, context="office", timeout=30)

            tg.start_soon(cut)
            async with anyio.create_task_group() as calls_tg:
                for n in range(calls):
                    calls_tg.start_soon(place, n)
            await _settle(worker, ids, 10.0)
        row.offered = len(ids)
        row.completed = len([c for c in ids if c in worker.finished])
        row.failed = len([c for c in ids if c in worker.errors])
        row.lost = len([c for c in ids if c not in worker.settled]) + outcome["hung"]
        row.duplicated = duplicates(emu, worker)
        total, row.resumes = connects(emu)
        row.reconnects = total - 1
    return row


async def server_restart(size: dict[str, float]) -> Row:
    """Calls waiting in the menu when the server restarts; then new calls."""
    row = Row("server restart")
    n = int(size["restart_calls"])
    async with RelayEmulator(project="p", token="t", time_scale=0.01) as emu:
        worker = make_worker(emu)
        async with worker.client:
            old = [
                await emu.call(context="office", from_number=f"+1666{i:07d}", to_number="+1")
                for i in range(n)
            ]
            for _ in old:  # every old call waits in the menu
                await emu.wait_for_request("calling.play_and_collect", timeout=30)
            await emu.faults.restart()
            await emu.wait_for_clients(1, context="office", timeout=30)
            # The old calls are gone: their handlers' waits must settle, not hang.
            with anyio.move_on_after(size["window"]):
                while not all(p.call_id in worker.settled for p in old):
                    await anyio.sleep(0.05)
            stuck = [p.call_id for p in old if p.call_id not in worker.settled]
            outcome: Counter[str] = Counter()
            async with anyio.create_task_group() as tg:
                for i in range(n):
                    tg.start_soon(_one_call, emu, 10_000 + i, ["2"], outcome)
            fresh = [c for c in worker.handled if c not in {p.call_id for p in old}]
            await _settle(worker, fresh, 10.0)
        row.offered = 2 * n
        row.completed = len([c for c in fresh if c in worker.finished])
        row.failed = len([c for c in fresh if c in worker.errors]) + len(
            [p for p in old if p.call_id in worker.errors]
        )
        row.lost = len(stuck) + outcome["hung"] + (n - len(fresh))
        row.duplicated = duplicates(emu, worker)
        total, row.resumes = connects(emu)
        row.reconnects = total - 1
        if stuck:
            row.notes.append(f"{len(stuck)} handler(s) of calls lost in the restart never returned")
    return row


async def half_open(size: dict[str, float]) -> Row:
    """The server goes silent; how long until the client reconnects."""
    row = Row("half-open link")
    async with RelayEmulator(project="p", token="t", time_scale=0.01) as emu:
        worker = make_worker(emu)
        async with worker.client:
            await emu.wait_for_clients(1, context="office")
            # Let the client see the server's pings first (it may watch them).
            while not [
                e for e in emu.journal if e.method == "signalwire.ping" and e.direction == "out"
            ]:
                await anyio.sleep(0.05)
            started = time.monotonic()
            emu.faults.half_open()
            try:
                await emu.wait_for_request(
                    "signalwire.connect", lambda p: "protocol" in p, timeout=size["window"]
                )
                row.detect_s = time.monotonic() - started
            except TimeoutError:
                row.notes.append(f"dead link not detected within {size['window']:g} s")
        total, row.resumes = connects(emu)
        row.reconnects = total - 1
    return row


async def cancelled_offline(size: dict[str, float]) -> Row:
    """Prompts started offline and abandoned must never be sent."""
    row = Row("cancelled offline")
    count = int(size["stale"])
    async with RelayEmulator(project="p", token="t", time_scale=0.01) as emu:
        client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
        calls: list[Call] = []
        got = anyio.Event()

        @client.on_call
        async def hold(call: Call) -> None:
            await call.answer()
            calls.append(call)
            got.set()

        async with client:
            party = await emu.call(context="office", from_number="+1777", to_number="+1")
            await got.wait()
            await party.wait_answered()
            await emu.faults.refuse_connections()
            with _client_log("connection lost") as lost:
                emu.faults.drop_all_now()
                await lost.wait()  # the client knows it is offline: requests queue
            for i in range(count):
                with anyio.move_on_after(0.1):  # the application gives up on each prompt
                    await calls[0].play_tts(f"stale prompt {i}")
            await emu.faults.accept_connections()
            await emu.wait_for_request("signalwire.connect", lambda p: "protocol" in p)
            await (await calls[0].play_tts("fresh prompt")).wait()
        plays = emu.journal.requests("calling.play")
        row.stale = len([e for e in plays if "stale prompt" in str(e.params)])
        total, row.resumes = connects(emu)
        row.reconnects = total - 1
    return row


@contextlib.contextmanager
def _client_log(text: str) -> Iterator[anyio.Event]:
    """An event set when relay_anyio logs a message containing ``text``."""
    seen = anyio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                seen.set()

    handler = Watch(logging.INFO)
    logger = logging.getLogger("relay_anyio")
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


def peak_rss_mb() -> float:
    """VmHWM of this process in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def run(size_name: str, seed: int = 1) -> list[Row]:
    """Run the four experiments; return the rows."""
    size = SIZES[size_name]
    rng = random.Random(seed)
    return [
        await socket_cuts(size, rng),
        await server_restart(size),
        await half_open(size),
        await cancelled_offline(size),
    ]


def _cell(value: float | int | None, fmt: str = "d") -> str:
    return "-" if value is None else format(value, fmt)


def format_table(rows: list[Row], rss: float) -> str:
    """The printed table."""
    head = (
        f"{'experiment':<20}{'offered':>8}{'done':>6}{'failed':>7}{'lost':>6}{'dup':>5}"
        f"{'reconn':>8}{'resumes':>8}{'detect s':>10}{'stale':>7}"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r.name:<20}{_cell(r.offered):>8}{_cell(r.completed):>6}{_cell(r.failed):>7}"
            f"{_cell(r.lost):>6}{_cell(r.duplicated):>5}{r.reconnects:>8}{r.resumes:>8}"
            f"{_cell(r.detect_s, '.1f'):>10}{_cell(r.stale):>7}"
        )
    lines.extend(f"  {r.name}: {note}" for r in rows for note in r.notes)
    lines.append(f"peak RSS {rss:.1f} MB")
    return "\n".join(lines)


def verdict(rows: list[Row]) -> bool:
    """Nothing lost, duplicated or stale, and the dead link found within the window."""
    for r in rows:
        if (r.lost or 0) or (r.duplicated or 0) or (r.stale or 0):
            return False
        if r.name == "half-open link" and r.detect_s is None:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the experiments and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chaos", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--seed", type=int, default=1, help="seed of the cut times (1)")
    args = parser.parse_args(argv)
    began = time.monotonic()
    rows = anyio.run(run, args.size, args.seed, backend=args.backend)
    print(f"chaos ({args.size}, {args.backend}, seed {args.seed}): "
          f"{time.monotonic() - began:.0f} s")  # fmt: skip
    print(format_table(rows, peak_rss_mb()))
    ok = verdict(rows)
    print("verdict:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
