"""The text report of a fuzzing run."""

from __future__ import annotations

import json

from ._fuzzer import Outcome

__all__ = ["report"]


def report(url: str, outcome: Outcome, mode: str = "client") -> str:
    """A human-readable summary of ``outcome`` (and its minimal failing program, if any)."""
    stats = outcome.stats
    rate = stats.examples / outcome.seconds if outcome.seconds else 0.0
    lines = [
        f"relay-fuzz report: {url} ({mode} mode)",
        f"  time            {outcome.seconds:.1f} s",
        f"  programs        {stats.examples} ({rate:.1f}/s), connections {stats.connections}",
        f"  requests        {sum(stats.requests.values())} of {len(stats.requests)} methods",
        f"  malformed       {sum(stats.malformed.values())}: "
        + ", ".join(f"{kind} {n}" for kind, n in sorted(stats.malformed.items())),
        f"  replies checked {stats.replies}, events ACKed {stats.events_acked}, "
        f"server pings {stats.server_pings}",
    ]
    if outcome.finding is None:
        lines.append("  findings        none (no violation, crash or hang)")
        return "\n".join(lines)
    lines.append(f"  FINDING         {outcome.finding.kind}: {outcome.finding.detail}")
    lines.append(f"  minimal program ({len(outcome.steps)} steps):")
    lines += [f"    {json.dumps(step)[:300]}" for step in outcome.steps]
    return "\n".join(lines)
