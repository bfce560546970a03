"""What importing each client costs: time and resident memory, in a fresh process each time.

``python -c`` imports the client's package and prints how long the import took
(``time.perf_counter`` around it) and the process's resident size just after it
(``VmRSS``). The interpreter's own start-up is outside the measurement; the RSS includes it, so
the line "python" (an interpreter that imports nothing) is the baseline, and the report's
"added" column is the difference.

The processes see what a user's install gives: relay-sansio's packages come from the checkout
through ``PYTHONPATH`` (found by the standard path finder, as in site-packages, rather than by
an editable install's finder) and load bytecode, which ``python -m benchmarks`` writes first
(:mod:`benchmarks._bytecode`). ``RELAY_SANSIO_JSON=stdlib`` as in the measured runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from typing import Any

from ._harness import JSON_ENV, ROOT

__all__ = ["IMPORTS", "format_imports", "measure_imports"]

# Row -> modules imported (None: the bare interpreter). relay_anyio imports asyncio only when a
# client runs on it; "asyncio, relay_anyio" is where an asyncio program starts from.
IMPORTS: dict[str, str | None] = {
    "python": None,
    "asyncio": "asyncio",
    "official": "signalwire.relay",
    "relay_anyio": "relay_anyio",
    "relay_anyio_asyncio": "asyncio, relay_anyio",
    "relay_sync": "relay_sync",
    "relay_proto": "relay_proto",
}

_SCRIPT = """
import time
began = time.perf_counter()
{statement}
elapsed = time.perf_counter() - began
rss = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
print(elapsed, rss)
"""


def _once(module: str | None, env: dict[str, str]) -> tuple[float, int]:
    statement = "pass" if module is None else f"import {module}"
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    ).stdout.split()
    return float(out[0]), int(out[1])


def measure_imports(repeat: int, available: set[str]) -> dict[str, dict[str, Any]]:
    """Median import time (ms) and RSS after import (MB) per row of :data:`IMPORTS` whose
    client is available, each measured ``repeat`` times in fresh processes (interleaved)."""
    env = dict(os.environ)
    env[JSON_ENV] = "stdlib"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    rows = [r for r in IMPORTS if r != "official" or "official" in available]
    samples: dict[str, list[tuple[float, int]]] = {r: [] for r in rows}
    for _ in range(max(repeat, 1)):
        for row in rows:
            try:
                samples[row].append(_once(IMPORTS[row], env))
            except (subprocess.CalledProcessError, ValueError, IndexError):
                continue
    return {
        row: {
            "import_ms": statistics.median(s[0] for s in values) * 1000,
            "rss_mb": statistics.median(s[1] for s in values) / 1024,
        }
        for row, values in samples.items()
        if values
    }


def format_imports(table: dict[str, dict[str, Any]]) -> list[str]:
    """The report's lines for :func:`measure_imports`."""
    if not table:
        return []
    lines = ["", "Imports: a fresh process importing only the client's package"]
    lines.append(f"  {'import':<30}{'time ms':>14}{'RSS after MB':>14}{'added MB':>14}")
    base = table.get("python", {}).get("rss_mb")
    for row, values in table.items():
        name = "(nothing: the interpreter)" if IMPORTS[row] is None else IMPORTS[row]
        added = "" if base is None else f"{values['rss_mb'] - base:>14.1f}"
        lines.append(f"  {name:<30}{values['import_ms']:>14.1f}{values['rss_mb']:>14.1f}{added}")
    return lines
