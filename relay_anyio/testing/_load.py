"""The load generator: many inbound calls into a context, and a report on how they went.

:func:`generate_load` places calls on an emulator (at a fixed concurrency, at a fixed rate, or
both), each caller following a script drawn from a weighted mix, for a number of calls or a
duration, and returns a :class:`LoadReport`: calls offered / answered / completed / failed /
passed back, answer and prompt latencies (p50 / p90 / p99), and the protocol violations the
emulator saw. ``relay-emulator load`` (``_load_cli``) is the same from the command line.

Latencies are real time, measured from the frames the emulator journals (so a worker is timed
the way the service would see it): *answer* from the moment the call is placed to the
``calling.answer`` request; *prompt n* from the last event the worker got about the call
(answered, the previous prompt's result...) to its n-th ``play`` / ``play_and_collect`` /
``prompt`` request.
"""

from __future__ import annotations

import math
import random
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from ._caller import RemoteParty
from ._emulator import RelayEmulator
from ._journal import JournalEntry
from ._script import Hangup, Intent, Press, Say, Silence

__all__ = [
    "DEFAULT_MIX",
    "CallerScript",
    "LoadProgress",
    "LoadReport",
    "generate_load",
    "parse_caller_script",
]

_PROMPT_METHODS = frozenset(
    {"calling.play", "calling.play_and_collect", "calling.prompt", "calling.collect"}
)
_POLL = 0.05  # real seconds between checks of the live calls' states
_PROMPT_ORDINALS = 5  # prompts reported one by one; later ones only in "all prompts"


@dataclass(frozen=True, slots=True)
class CallerScript:
    """One kind of caller in a load mix: what it does once answered, and how often it comes.

    Attributes:
        script: the intents (``Press``, ``Say``, ``Silence``, ``Hangup``; a bare string means
            ``Press``).
        weight: relative frequency in the mix (positive).
        name: a label for reports (default: the script in CLI form).
    """

    script: tuple[Intent | str, ...]
    weight: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        if not self.weight > 0 or math.isinf(self.weight):
            raise ValueError("a caller script's weight must be a positive number")


DEFAULT_MIX = (
    CallerScript((Press("1"), Hangup(after=20.0)), 1, "press:1 hangup:20"),
    CallerScript((Press("2"),), 2, "press:2"),
    CallerScript((Silence(), Silence()), 1, "silence silence"),
    CallerScript((Hangup(after=2.0),), 1, "hangup:2"),
)
"""The mix used when none is given: callers of a two-option IVR (``examples/ivr.py``) who pick
option 1 and hang up after 20 s, pick option 2, say nothing twice, or hang up early."""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number of seconds: {text!r}") from None
    if value < 0 or math.isinf(value) or math.isnan(value):
        raise ValueError(f"seconds must be a finite non-negative number, got {text!r}")
    return value


def _intent(token: str) -> Intent:
    kind, _, arg = token.partition(":")
    if kind == "press":
        return Press(arg)
    if kind == "say":
        return Say(arg)
    if kind == "silence":
        return Silence(_seconds(arg) if arg else None)
    if kind == "hangup":
        return Hangup(_seconds(arg) if arg else None)
    raise ValueError(f"unknown intent {token!r} (press:DIGITS, say:WORDS, silence[:S], hangup[:S])")


def parse_caller_script(spec: str) -> CallerScript:
    """``"[WEIGHT*]INTENT ..."`` -> a :class:`CallerScript`, e.g. ``"3*press:2"``,
    ``"press:1 hangup:20"``, ``"'say:sales please' silence"``.

    Raises:
        ValueError: a bad weight or intent (the message says which).
    """
    weight = 1.0
    head, star, rest = spec.partition("*")
    if star and head.strip().replace(".", "", 1).isdigit():
        weight, spec = float(head), rest
    try:
        tokens = shlex.split(spec)
    except ValueError as exc:
        raise ValueError(f"bad caller script {spec!r}: {exc}") from None
    return CallerScript(tuple(_intent(t) for t in tokens), weight, " ".join(tokens) or "(none)")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (``nan`` when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class LoadProgress:
    """A snapshot while the load runs (the CLI's progress line)."""

    elapsed: float
    offered: int
    live: int
    answered: int
    completed: int
    failed: int
    passed_back: int

    def line(self) -> str:
        """One line: ``[  12.0 s] offered 120 live 40 answered 118 completed 78 ...``."""
        return (
            f"[{self.elapsed:7.1f} s] offered {self.offered}  live {self.live}  "
            f"answered {self.answered}  completed {self.completed}  failed {self.failed}  "
            f"passed back {self.passed_back}"
        )


@dataclass
class LoadReport:
    """What happened to the calls of one load run (latencies in real seconds)."""

    context: str
    elapsed: float = 0.0
    offered: int = 0
    answered: int = 0
    completed: int = 0
    failed: int = 0
    passed_back: int = 0
    peak_live: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    answer_latency: list[float] = field(default_factory=list)
    prompt_latency: dict[int, list[float]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    by_script: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No call failed."""
        return self.failed == 0

    def latency_rows(self) -> list[tuple[str, list[float]]]:
        """(label, samples) for the answer and each prompt ordinal, then all prompts."""
        rows = [("answer", self.answer_latency)]
        everything: list[float] = []
        for ordinal in sorted(self.prompt_latency):
            samples = self.prompt_latency[ordinal]
            everything.extend(samples)
            if ordinal <= _PROMPT_ORDINALS:
                rows.append((f"prompt {ordinal}", samples))
        if everything:
            rows.append(("all prompts", everything))
        return rows

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (latencies as p50/p90/p99/max in milliseconds)."""

        def stats(samples: list[float]) -> dict[str, float | int]:
            return {
                "count": len(samples),
                **{
                    f"p{int(q * 100)}_ms": round(percentile(samples, q) * 1000, 2)
                    for q in (0.5, 0.9, 0.99)
                },
                "max_ms": round(max(samples) * 1000, 2) if samples else math.nan,
            }

        return {
            "context": self.context,
            "elapsed_s": round(self.elapsed, 3),
            "offered": self.offered,
            "answered": self.answered,
            "completed": self.completed,
            "failed": self.failed,
            "passed_back": self.passed_back,
            "peak_live": self.peak_live,
            "failures": dict(self.failures),
            "scripts": dict(self.by_script),
            "latency": {label: stats(samples) for label, samples in self.latency_rows()},
            "violations": list(self.violations),
        }

    def format(self) -> str:
        """The human-readable report."""
        rate = self.completed / self.elapsed if self.elapsed else 0.0
        failures = ", ".join(f"{why}: {n}" for why, n in sorted(self.failures.items()))
        lines = [
            f"load report: context {self.context!r}, {self.elapsed:.1f} s",
            f"  calls offered     {self.offered:>7}",
            f"  answered          {self.answered:>7}",
            f"  completed         {self.completed:>7}",
            f"  failed            {self.failed:>7}" + (f"   ({failures})" if failures else ""),
            f"  passed back       {self.passed_back:>7}",
            f"  peak live calls   {self.peak_live:>7}   ({rate:.1f} completed calls/s)",
            "  scripts: " + ", ".join(f"{k} x{v}" for k, v in sorted(self.by_script.items())),
            "  latency (ms)        count      p50      p90      p99      max",
        ]
        for label, samples in self.latency_rows():
            cells = [percentile(samples, q) * 1000 for q in (0.5, 0.9, 0.99)]
            cells.append(max(samples) * 1000 if samples else math.nan)
            lines.append(f"  {label:<16}{len(samples):>9}" + "".join(f"{c:>9.1f}" for c in cells))
        shown = self.violations[:20]
        lines.append(f"  protocol violations: {len(self.violations) or 'none'}")
        lines.extend(f"    {v}" for v in shown)
        if len(self.violations) > len(shown):
            lines.append(f"    ... and {len(self.violations) - len(shown)} more")
        return "\n".join(lines)


class _Tracker:
    """Follows the journaled frames of the load's calls to time answers and prompts."""

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        self.placed_at: dict[str, float] = {}
        self.last_event: dict[str, float] = {}
        self.prompts: dict[str, int] = {}
        self.passed: set[str] = set()
        self.answered_seen: set[str] = set()

    def on_frame(self, entry: JournalEntry) -> None:
        if entry.frame is None:
            return
        now = anyio.current_time()
        if entry.direction == "out":
            call_id = entry.event_params.get("call_id")
            if call_id in self.placed_at:
                self.last_event[call_id] = now
            return
        method = entry.method
        call_id = entry.params.get("call_id")
        if call_id not in self.placed_at:
            return
        if method == "calling.answer" and call_id not in self.answered_seen:
            self.answered_seen.add(call_id)
            self.report.answer_latency.append(now - self.placed_at[call_id])
        elif method in _PROMPT_METHODS:
            ordinal = self.prompts[call_id] = self.prompts.get(call_id, 0) + 1
            since = self.last_event.get(call_id, self.placed_at[call_id])
            self.report.prompt_latency.setdefault(ordinal, []).append(now - since)
        elif method == "calling.pass":
            self.passed.add(call_id)

    def forget(self, call_id: str) -> None:
        for table in (self.placed_at, self.last_event, self.prompts):
            table.pop(call_id, None)
        self.passed.discard(call_id)
        self.answered_seen.discard(call_id)


@dataclass
class _Plan:
    context: str
    calls: int | None
    concurrency: int | None
    rate: float | None
    duration: float | None
    answer_timeout: float
    call_timeout: float
    to_number: str


def _check_plan(plan: _Plan) -> None:
    if plan.calls is None and plan.duration is None:
        raise ValueError("give a number of calls, a duration, or both")
    if plan.calls is not None and plan.calls < 1:
        raise ValueError("calls must be at least 1")
    if plan.concurrency is None and plan.rate is None:
        raise ValueError("give a concurrency, a rate, or both")
    if plan.concurrency is not None and plan.concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    for name in ("rate", "duration", "answer_timeout", "call_timeout"):
        value = getattr(plan, name)
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be a positive number")


async def generate_load(
    emu: RelayEmulator,
    *,
    context: str,
    calls: int | None = None,
    concurrency: int | None = None,
    rate: float | None = None,
    duration: float | None = None,
    mix: Sequence[CallerScript] = DEFAULT_MIX,
    to_number: str = "+15551230002",
    answer_timeout: float = 30.0,
    call_timeout: float = 120.0,
    seed: int = 0,
    on_progress: Callable[[LoadProgress], None] | None = None,
    progress_interval: float = 0.5,
) -> LoadReport:
    """Place inbound calls on ``context`` and report how they went.

    Calls are placed while fewer than ``concurrency`` are up, at most ``rate`` per second
    (either or both), until ``calls`` were placed or ``duration`` real seconds passed (either
    or both); then the calls still up are waited for. Each caller follows a script drawn from
    ``mix`` by weight (``seed`` makes the draw repeatable) and calls from its own number.

    A call *completes* when it ends after being answered (whoever hangs up); it *fails* when
    it is not answered within ``answer_timeout`` real seconds, ends with ``error``, or is still
    up after ``call_timeout`` (the generator then hangs it up). A call a client handed back
    with ``calling.pass`` that nobody else answered counts as *passed back*, not failed.

    Raises:
        ValueError: an impossible plan (no calls nor duration, no concurrency nor rate,
            non-positive numbers, an empty mix).
    """
    plan = _Plan(
        context, calls, concurrency, rate, duration, answer_timeout, call_timeout, to_number
    )
    _check_plan(plan)
    if not mix:
        raise ValueError("the caller mix is empty")
    run = _LoadRun(emu, plan, list(mix), random.Random(seed))
    return await run.execute(on_progress, progress_interval)


class _LoadRun:
    def __init__(
        self, emu: RelayEmulator, plan: _Plan, mix: list[CallerScript], rng: random.Random
    ) -> None:
        self.emu = emu
        self.plan = plan
        self.mix = mix
        self.rng = rng
        self.report = LoadReport(context=plan.context)
        self.tracker = _Tracker(self.report)
        self.live = 0
        self.slot = anyio.Event()
        self.violations_before = len(emu.violations)
        self.watch: dict[str, tuple[RemoteParty, str, anyio.Event]] = {}

    async def execute(
        self, on_progress: Callable[[LoadProgress], None] | None, interval: float
    ) -> LoadReport:
        listeners = self.emu._server.frame_listeners
        listeners.append(self.tracker.on_frame)
        started = anyio.current_time()
        try:
            async with anyio.create_task_group() as outer:
                outer.start_soon(self._poll)
                if on_progress is not None:
                    outer.start_soon(self._progress, on_progress, interval, started)
                async with anyio.create_task_group() as calls:
                    await self._place_all(calls, started)
                outer.cancel_scope.cancel()
        finally:
            listeners.remove(self.tracker.on_frame)
        self.report.elapsed = anyio.current_time() - started
        self.report.violations = self.emu.violations[self.violations_before :]
        if on_progress is not None:
            on_progress(self._snapshot(started))
        return self.report

    def _snapshot(self, started: float) -> LoadProgress:
        r = self.report
        return LoadProgress(
            anyio.current_time() - started,
            r.offered,
            self.live,
            r.answered,
            r.completed,
            r.failed,
            r.passed_back,
        )

    async def _progress(
        self, on_progress: Callable[[LoadProgress], None], interval: float, started: float
    ) -> None:
        while True:
            await anyio.sleep(interval)
            on_progress(self._snapshot(started))

    async def _place_all(self, tg: anyio.abc.TaskGroup, started: float) -> None:
        plan = self.plan
        gap = 1.0 / plan.rate if plan.rate else 0.0
        next_at = started
        while plan.calls is None or self.report.offered < plan.calls:
            if plan.duration is not None and anyio.current_time() - started >= plan.duration:
                return
            while plan.concurrency is not None and self.live >= plan.concurrency:
                await self.slot.wait()
                self.slot = anyio.Event()
            if gap:
                next_at += gap
                await anyio.sleep(max(0.0, next_at - anyio.current_time()))
            caller = self.rng.choices(self.mix, [c.weight for c in self.mix])[0]
            try:
                party = await self._place(caller)
            except RuntimeError:  # the emulator is at its live-call capacity
                self._fail("emulator full")
                continue
            tg.start_soon(self._follow, party)

    def _fail(self, why: str) -> None:
        self.report.failed += 1
        self.report.failures[why] = self.report.failures.get(why, 0) + 1

    async def _place(self, caller: CallerScript) -> RemoteParty:
        report = self.report
        report.offered += 1
        number = f"+1555{report.offered:07d}"
        party = await self.emu.call(
            context=self.plan.context,
            from_number=number,
            to_number=self.plan.to_number,
            script=list(caller.script),
        )
        self.tracker.placed_at[party.call_id] = anyio.current_time()
        self.live += 1
        report.peak_live = max(report.peak_live, self.live)
        name = caller.name or "custom"
        report.by_script[name] = report.by_script.get(name, 0) + 1
        return party

    async def _follow(self, party: RemoteParty) -> None:
        try:
            outcome = await self._outcome(party)
        finally:
            self.live -= 1
            self.slot.set()
            self.tracker.forget(party.call_id)
        report = self.report
        if outcome == "completed":
            report.completed += 1
        elif outcome == "passed back":
            report.passed_back += 1
        else:
            self._fail(outcome)

    async def _outcome(self, party: RemoteParty) -> str:
        plan = self.plan
        placed = anyio.current_time()
        while party.state in ("created", "ringing"):
            if not await self._changed(party, placed + plan.answer_timeout):
                passed = party.call_id in self.tracker.passed
                await party.hangup()
                return "passed back" if passed else "not answered in time"
        if not party.was_answered:
            return "passed back" if party.call_id in self.tracker.passed else "ended unanswered"
        self.report.answered += 1
        while party.state != "ended":
            if not await self._changed(party, placed + plan.call_timeout):
                await party.hangup()
                return "still up at the call timeout"
        return "ended with error" if party.end_reason == "error" else "completed"

    async def _changed(self, party: RemoteParty, deadline: float) -> bool:
        """Wait until the call's state changes (False: ``deadline`` came first)."""
        changed = anyio.Event()
        self.watch[party.call_id] = (party, party.state, changed)
        try:
            with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
                await changed.wait()
                return True
            return False
        finally:
            self.watch.pop(party.call_id, None)

    async def _poll(self) -> None:
        # One task checks every live call (rather than one wake-up per call and tick).
        while True:
            await anyio.sleep(_POLL)
            for party, state, changed in list(self.watch.values()):
                if party.state != state:
                    changed.set()
