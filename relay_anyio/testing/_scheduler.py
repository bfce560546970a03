"""A pure timer queue on simulated time (the switch's only notion of "later").

The switch never sleeps: it asks the scheduler to run a callback at a simulated time, and the
server drives :meth:`Scheduler.run_due` from one clock task re-armed from
:meth:`Scheduler.next_deadline` (the aioquic pattern). Timers fire in deadline order, ties in
the order they were set, which keeps simulations deterministic.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Protocol

__all__ = ["Cancellable", "DeferredTimer", "Scheduler", "Timer"]

_SWEEP_EVERY = 1024


class Timer:
    """A scheduled callback; :meth:`cancel` it if it is no longer wanted."""

    __slots__ = ("_callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self._callback: Callable[[], None] | None = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the timer from firing (idempotent)."""
        self.cancelled = True
        self._callback = None

    def fire(self) -> None:
        callback = self._callback
        self.cancel()
        if callback is not None:
            callback()


class Cancellable(Protocol):
    """A :class:`Timer` or a :class:`DeferredTimer`."""

    cancelled: bool

    def cancel(self) -> None: ...


class DeferredTimer:
    """A timer that may be armed later (or never); cancelling works either way."""

    __slots__ = ("_timer", "cancelled")

    def __init__(self) -> None:
        self._timer: Timer | None = None
        self.cancelled = False

    def arm(self, timer: Timer) -> None:
        """Attach the real timer (cancelled at once if this handle already was)."""
        if self.cancelled:
            timer.cancel()
        else:
            self._timer = timer

    def cancel(self) -> None:
        """Cancel now, or stop it from ever being armed."""
        self.cancelled = True
        if self._timer is not None:
            self._timer.cancel()


class Scheduler:
    """Timers ordered by simulated deadline."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` at simulated time ``when``."""
        timer = Timer(when, callback)
        seq = next(self._seq)
        heapq.heappush(self._heap, (when, seq, timer))
        # Cancelled timers deep in the heap are only dropped when they reach the top; sweep
        # them now and then so a long-lived simulation does not grow the heap without bound.
        if seq % _SWEEP_EVERY == _SWEEP_EVERY - 1:
            self._heap = [entry for entry in self._heap if not entry[2].cancelled]
            heapq.heapify(self._heap)
        return timer

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)

    def next_deadline(self) -> float | None:
        """The earliest live deadline, or ``None``."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> Timer | None:
        """Remove and return the earliest live timer due at ``now``, or ``None``."""
        self._drop_cancelled()
        if self._heap and self._heap[0][0] <= now:
            return heapq.heappop(self._heap)[2]
        return None

    def __len__(self) -> int:
        return sum(1 for _, _, timer in self._heap if not timer.cancelled)
