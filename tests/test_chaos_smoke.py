"""The chaos command at its tiny size (what CI runs): every experiment runs to the end and the
table is produced. Nothing about timings is asserted; the full run and its results are in
docs/reliability.md."""

from __future__ import annotations

import sys

import pytest

from benchmarks import chaos

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(sys.platform == "win32", reason="the benchmarks need POSIX"),
]


async def test_chaos_tiny() -> None:
    rows = await chaos.run("tiny", seed=3)
    by_name = {row.name: row for row in rows}
    assert list(by_name) == [
        "socket cuts",
        "server restart",
        "half-open link",
        "cancelled offline",
    ]
    cuts = by_name["socket cuts"]
    assert cuts.offered == 6 and cuts.duplicated == 0 and cuts.lost == 0
    assert cuts.completed is not None and cuts.failed is not None
    assert cuts.completed + cuts.failed == 6
    assert cuts.reconnects >= 1 and cuts.resumes == cuts.reconnects  # every cut resumed
    restart = by_name["server restart"]
    assert restart.offered == 4 and restart.duplicated == 0 and restart.resumes == 0
    assert by_name["cancelled offline"].stale is not None
    table = chaos.format_table(rows, chaos.peak_rss_mb())
    assert "socket cuts" in table and "peak RSS" in table
    assert chaos.verdict(rows) == all(
        not (r.lost or r.duplicated or r.stale) and (r.name != "half-open link" or r.detect_s)
        for r in rows
    )
