"""The fuzzing loop: Hypothesis draws programs, runs them, and shrinks a failing one."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

from ._client import Finding, Settings, Stats, execute, programs
from ._serve import Listener, serve_execute, serve_programs

__all__ = ["Outcome", "fuzz"]


@dataclass
class Outcome:
    """The result of a run: statistics, and the minimal failing program if any."""

    stats: Stats
    seconds: float
    seed: int
    finding: Finding | None = None
    steps: list[Any] = field(default_factory=list)


def fuzz(
    target: Settings,
    *,
    budget: float | None = None,
    examples: int | None = None,
    rng_seed: int | None = None,
    batch: int = 25,
    serve: Listener | None = None,
) -> Outcome:
    """Run programs against ``target`` until ``budget`` seconds or ``examples`` programs are
    spent, or a finding (then shrunk). At least one bound must be given. With ``serve``, the
    programs are played as the server of the client that connects to the listener."""
    if budget is None and examples is None:
        raise ValueError("give a budget (seconds) or a number of examples")
    started = time.monotonic()
    master = random.Random(rng_seed)
    outcome = Outcome(Stats(), 0.0, rng_seed if rng_seed is not None else 0)
    state: dict[str, Any] = {"failing": None, "shrinking": False}
    left = examples if examples is not None else 10**9

    def run(steps: list[Any], stats: Stats | None = None) -> None:
        if serve is not None:
            serve_execute(serve, steps, stats)
        else:
            execute(target, steps, stats)

    strategy = serve_programs() if serve is not None else programs(limit=target.max_message_size)

    def out_of_time() -> bool:
        return budget is not None and time.monotonic() - started > budget

    while left > 0 and not out_of_time():
        count = min(batch, left)
        run_seed = master.randrange(2**32)

        @seed(run_seed)
        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @given(strategy)
        def one(steps: list[Any]) -> None:
            if out_of_time() and not state["shrinking"]:
                return
            outcome.stats.examples += 1
            try:
                run(steps, outcome.stats)
            except Finding as found:
                state["shrinking"] = True
                state["failing"] = (found, steps)
                raise

        try:
            one()
        except Exception:  # a Finding, or Hypothesis's Flaky when the server is inconsistent
            if state["failing"] is None:
                raise
            outcome.finding, outcome.steps = _minimize(run, *state["failing"])
            break
        left -= count
    outcome.seconds = time.monotonic() - started
    return outcome


def _minimize(
    run: Callable[[list[Any]], None], finding: Finding, steps: list[Any]
) -> tuple[Finding, list[Any]]:
    """Hypothesis shrinks the values of a program; then drop every step the finding does not
    need (one at a time, keeping a removal when the same kind of finding still happens)."""
    index = 0
    while index < len(steps) and len(steps) > 1:
        candidate = steps[:index] + steps[index + 1 :]
        try:
            run(candidate)
        except Finding as again:
            if again.kind == finding.kind:
                finding, steps = again, candidate
                continue
        index += 1
    return finding, steps
