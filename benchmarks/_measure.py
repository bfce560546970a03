"""Self-measurement of a client process (stdlib only: imported by every measured process).

A driver opens a :class:`Window` just before it asks the server to start the workload and
closes it when the workload is over. The window records the whole process's CPU time (user and
system, every thread: ``getrusage(RUSAGE_SELF)``) and the wall time in between; the peak RSS
is ``VmHWM`` from ``/proc/self/status``, which counts this process only (``ru_maxrss`` of a
freshly started child also carries the harness's peak from before ``exec``).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

__all__ = ["Window", "emit", "percentile", "vm_hwm_kb", "vm_rss_kb"]


def _status_kb(field: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def vm_hwm_kb() -> int:
    """Peak resident set size of this process in KiB (0 where /proc is not available)."""
    return _status_kb("VmHWM:")


def vm_rss_kb() -> int:
    """Current resident set size of this process in KiB (0 where /proc is not available)."""
    return _status_kb("VmRSS:")


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank; 0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[rank]


class Window:
    """CPU and wall time of the process between :meth:`start` and :meth:`stop`."""

    def __init__(self) -> None:
        self._usage: resource.struct_rusage | None = None
        self._wall = 0.0
        self._rss_start = 0
        self.result: dict[str, Any] = {}

    def start(self) -> None:
        """Open the window."""
        self._rss_start = vm_rss_kb()
        self._wall = time.perf_counter()
        self._usage = resource.getrusage(resource.RUSAGE_SELF)

    def stop(self) -> None:
        """Close the window and fill :attr:`result` (``cpu_user``, ``cpu_sys``, ``cpu``,
        ``wall`` in seconds, ``rss_kb`` the peak and ``rss_start_kb`` the resident size when
        the window opened)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.perf_counter() - self._wall
        start = self._usage
        if start is None:
            raise RuntimeError("Window.stop() before start()")
        user = usage.ru_utime - start.ru_utime
        system = usage.ru_stime - start.ru_stime
        self.result = {
            "cpu_user": user,
            "cpu_sys": system,
            "cpu": user + system,
            "wall": wall,
            "rss_kb": vm_hwm_kb(),
            "rss_start_kb": self._rss_start,
        }


def emit(result: dict[str, Any]) -> None:
    """Hand the result to the harness: one JSON line on stdout, the last thing printed."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
