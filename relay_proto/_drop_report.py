"""Which dropped frames an application hears about, and how often (decision D39).

A frame the client drops because it is malformed or unusable is worth a WARNING line: the
server (or something between) sent it, and the application should see it. A flood of them must
not flood the log, so at most ``burst`` lines are let through per ``window`` seconds; the lines
held back are counted and the count goes with the next line let through. A reply that comes
after its request timed out or was given up is not a fault of the frame (the server was slow):
it does not warn.

Pure: the adapter passes the clock (``now``) and logs the line it gets back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ._conn_events import DROP_UNKNOWN_REPLY, FrameDropped
from ._masking import mask_preview

__all__ = ["DROP_REPORT_BURST", "DROP_REPORT_WINDOW", "MSG_FRAME_DROPPED", "DropReport"]

DROP_REPORT_BURST = 5
"""Warning lines let through per :data:`DROP_REPORT_WINDOW` (D39: 5 a minute)."""

DROP_REPORT_WINDOW = 60.0
"""Seconds of one rate window of :class:`DropReport`."""

MSG_FRAME_DROPPED = "malformed frame from the server dropped"
"""How a warning line about a dropped frame begins."""


class DropReport:
    """Rate-limited warning lines about dropped frames (:class:`FrameDropped`).

    ``report(event, now, secrets)`` returns the line to log at WARNING, or ``None`` when the
    drop does not warn (:meth:`warns`) or the line is held back by the rate limit. ``now`` is
    any monotonic clock in seconds.
    """

    def __init__(
        self, *, burst: int = DROP_REPORT_BURST, window: float = DROP_REPORT_WINDOW
    ) -> None:
        self._burst = burst
        self._window = window
        self._started = -math.inf
        self._sent = 0
        self._held = 0

    @staticmethod
    def warns(event: FrameDropped) -> bool:
        """Whether this kind of drop is worth a warning (all but a late reply)."""
        return event.reason != DROP_UNKNOWN_REPLY

    def report(self, event: FrameDropped, now: float, secrets: Iterable[str] = ()) -> str | None:
        """The warning line for ``event`` at time ``now``, or ``None``: not a warning kind, or
        held back (counted, and the count is told with the next line let through). The frame's
        preview is masked with :func:`mask_preview` (``secrets``: the live credentials)."""
        if not self.warns(event):
            return None
        if now - self._started >= self._window:
            self._started, self._sent = now, 0
        if self._sent >= self._burst:
            self._held += 1
            return None
        self._sent += 1
        held, self._held = self._held, 0
        more = f" ({held} more not shown)" if held else ""
        preview = mask_preview(event.raw, secrets)
        return f"{MSG_FRAME_DROPPED} ({event.reason}){more}: {preview}"
