"""Turning runs into the printed table, the target verdicts and the JSON document."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass
from importlib import metadata
from typing import Any

__all__ = [
    "LABELS",
    "Target",
    "check_targets",
    "format_report",
    "format_summary",
    "machine",
    "medians",
]

LABELS = {
    "official": "signalwire.relay (official)",
    "asyncio": "relay_anyio on asyncio",
    "trio": "relay_anyio on trio",
    "sync": "relay_sync",
    "core": "relay_proto + socket loop",
    "orjson": "relay_anyio asyncio + orjson",
    "floor": "wsproto floor",
    "stream": "relay_anyio asyncio via stream",
}

# Per workload: (key, column title, format) of the medians shown, the first being the one the
# ratio column compares.
_COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "B1": [
        ("cpu_ms_per_1k", "CPU ms/1k ev", "{:.1f}"),
        ("wall", "wall s", "{:.2f}"),
        ("rss_mb", "peak RSS MB", "{:.1f}"),
        ("server_cpu", "server CPU s", "{:.2f}"),
    ],
    "B2": [
        ("cpu", "CPU s", "{:.3f}"),
        ("wall", "wall s", "{:.3f}"),
        ("rss_mb", "peak RSS MB", "{:.1f}"),
        ("server_cpu", "server CPU s", "{:.3f}"),
    ],
    "B3": [
        ("p50_us", "p50 us", "{:.0f}"),
        ("p99_us", "p99 us", "{:.0f}"),
        ("cpu", "CPU s", "{:.3f}"),
        ("rss_mb", "peak RSS MB", "{:.1f}"),
        ("server_cpu", "server CPU s", "{:.3f}"),
    ],
    "B4": [
        ("kb_per_call", "KB per call", "{:.1f}"),
        ("rss_mb", "peak RSS MB", "{:.1f}"),
        ("cpu", "CPU s", "{:.3f}"),
        ("wall", "wall s", "{:.3f}"),
        ("server_cpu", "server CPU s", "{:.3f}"),
    ],
}
_RATIOS = {
    "B1": ["cpu_ms_per_1k"],
    "B2": ["cpu", "rss_mb"],
    "B3": ["p50_us", "p99_us"],
    "B4": ["kb_per_call"],
}
_TITLES = {
    "B1": "B1 event flood: {size:,} calling.call.play events to one call, until every ACK",
    "B2": "B2 concurrency: {size:,} simultaneous inbound calls (answer, play, wait, hang up)",
    "B3": "B3 round trip: {size:,} sequential execute('calling.answer', ...)",
    "B4": "B4 calls held: {size:,} calls answered and playing at once, then hung up",
}


def derived(run: dict[str, Any]) -> dict[str, float]:
    """The numbers of one run that the report uses."""
    values = {
        "cpu": run["cpu"],
        "cpu_user": run["cpu_user"],
        "cpu_sys": run["cpu_sys"],
        "wall": run["wall"],
        "rss_mb": run["rss_kb"] / 1024,
        "server_cpu": run["server_cpu"],
    }
    if "events" in run:
        values["cpu_ms_per_1k"] = run["cpu"] * 1000 / (run["events"] / 1000)
    if "calls" in run and run.get("workload") == "B4":
        grown = run["rss_kb"] - run.get("rss_start_kb", run["rss_kb"])
        values["kb_per_call"] = max(grown, 0) / max(run["calls"], 1)
    for key in ("p50_us", "p99_us"):
        if key in run:
            values[key] = run[key]
    return values


def medians(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """``{workload: {client: {metric: median}}}`` over the successful runs."""
    grouped: dict[tuple[str, str], list[dict[str, float]]] = {}
    for run in runs:
        if not run.get("error"):
            grouped.setdefault((run["workload"], run["client"]), []).append(derived(run))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (workload, client), values in grouped.items():
        out.setdefault(workload, {})[client] = {
            key: statistics.median(v[key] for v in values) for key in values[0]
        } | {"runs": float(len(values))}
    return out


@dataclass
class Target:
    """One target of the issue: ``client``'s ``metric`` over ``base``'s, at most ``limit``."""

    workload: str
    metric: str
    client: str
    base: str
    limit: float
    ratio: float | None = None

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "not measured"
        if self.ratio <= self.limit:
            return "met"
        return f"MISSED by {(self.ratio / self.limit - 1) * 100:.0f}%"

    def as_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "metric": self.metric,
            "client": self.client,
            "base": self.base,
            "limit": self.limit,
            "ratio": self.ratio,
            "verdict": self.verdict,
        }


# The targets of the adapters' performance issue (ratios of medians in one run).
_TARGETS = [
    ("B1", "cpu_ms_per_1k", "asyncio", "floor", 1.3),
    ("B1", "cpu_ms_per_1k", "trio", "floor", 1.3),
    ("B1", "cpu_ms_per_1k", "asyncio", "official", 0.5),
    ("B1", "cpu_ms_per_1k", "trio", "official", 0.5),
    ("B2", "cpu", "asyncio", "official", 0.6),
    ("B2", "rss_mb", "asyncio", "official", 0.8),
    ("B2", "cpu", "trio", "asyncio", 1.2),
    ("B2", "cpu", "sync", "asyncio", 1.5),
    ("B3", "p50_us", "asyncio", "official", 0.8),
    ("B3", "p99_us", "asyncio", "official", 0.8),
    ("B4", "kb_per_call", "asyncio", "official", 0.7),
    ("B4", "kb_per_call", "trio", "official", 0.7),
    ("B4", "kb_per_call", "sync", "official", 0.7),
]


def check_targets(table: dict[str, dict[str, dict[str, float]]]) -> list[Target]:
    """The issue's targets, with the ratios of this run (``None`` where a client is missing)."""
    targets = []
    for workload, metric, client, base, limit in _TARGETS:
        target = Target(workload, metric, client, base, limit)
        row = table.get(workload, {})
        if client in row and base in row and row[base][metric] > 0:
            target.ratio = row[client][metric] / row[base][metric]
        targets.append(target)
    return targets


def format_report(
    table: dict[str, dict[str, dict[str, float]]],
    clients: list[str],
    sizes: dict[str, int],
    targets: list[Target],
    notes: list[str],
) -> str:
    """The human-readable report: one table per workload, then the targets."""
    lines: list[str] = []
    for workload in ("B1", "B2", "B3", "B4"):
        row = table.get(workload)
        if not row:
            continue
        lines += [
            "",
            _TITLES[workload].format(size=sizes[workload]),
            *_table(workload, row, clients),
        ]
    lines += ["", "Targets (ratios of medians, this run):"]
    for target in targets:
        ratio = "-" if target.ratio is None else f"{target.ratio:.2f}"
        lines.append(
            f"  {target.workload} {target.metric:<14} {target.client:>7} / {target.base:<8}"
            f" = {ratio:>5}  (<= {target.limit:g})  {target.verdict}"
        )
    lines += [f"Note: {note}" for note in notes]
    summary = format_summary(table)
    if summary:
        lines += ["", "Summary (ratios to the official client, this run):", *summary]
    return "\n".join(lines)


# The rows of the summary, as the performance issue lays them out: (workload, metric, label).
_SUMMARY_ROWS = [
    ("B1", "cpu_ms_per_1k", "B1 CPU per 1k events"),
    ("B2", "cpu", "B2 CPU"),
    ("B2", "rss_mb", "B2 peak RSS"),
    ("B3", "p50_us", "B3 round trip p50"),
    ("B3", "p99_us", "B3 round trip p99"),
    ("B4", "kb_per_call", "B4 KB per call"),
]
_SUMMARY_CLIENTS = ["asyncio", "trio", "sync", "core"]


def format_summary(table: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """A Markdown table: each workload's headline metric for relay-sansio's clients, as a ratio
    to the official client of the same run (B1 also to the wsproto floor). Empty without the
    official client."""
    clients = [c for c in _SUMMARY_CLIENTS if any(c in row for row in table.values())]
    rows = []
    for workload, metric, label in _SUMMARY_ROWS:
        row = table.get(workload, {})
        base = row.get("official", {}).get(metric)
        if not base:
            continue
        floor = row.get("floor", {}).get(metric)
        cells = []
        for client in clients:
            value = row.get(client, {}).get(metric)
            if value is None:
                cells.append("-")
                continue
            cell = f"{value / base:.2f}x"
            if floor:
                cell += f" ({value / floor:.2f}x floor)"
            cells.append(cell)
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    head = "| workload | " + " | ".join(LABELS[c] for c in clients) + " |"
    rule = "|---|" + "---|" * len(clients)
    return [head, rule, *rows]


def _table(workload: str, row: dict[str, dict[str, float]], clients: list[str]) -> list[str]:
    present = [c for c in clients if c in row]
    first = present[0]
    columns = _COLUMNS[workload]
    ratios = _RATIOS[workload]
    head = f"  {'client':<30}" + "".join(f"{title:>14}" for _, title, _ in columns)
    head += "".join(f"{'x ' + first + ' ' + r.split('_')[0]:>18}" for r in ratios)
    lines = [head]
    for client in present:
        values = row[client]
        line = f"  {LABELS.get(client, client):<30}"
        line += "".join(f"{fmt.format(values[key]):>14}" for key, _, fmt in columns)
        for key in ratios:
            base = row[first][key]
            line += f"{(values[key] / base if base else 0.0):>18.2f}"
        lines.append(line)
    return lines


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            kib = int(info.readline().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    versions: dict[str, str | None] = {}
    for package in ("wsproto", "anyio", "trio", "signalwire-sdk", "websockets", "orjson"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory": _memory(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "packages": versions,
    }
