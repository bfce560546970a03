"""Threads that run user code: a bounded pool for handlers, one serial thread for callbacks.

Inbound call and message handlers run on a :class:`WorkerPool` of at most ``max_workers``
threads (by default ``max_active_calls``, so every tracked call can have its handler running
at once). Threads start on demand and retire after a minute without work. Handlers beyond the
pool's size wait in a FIFO queue; the queue is bounded too, and work beyond it is refused and
logged, never silently dropped.

Listeners and ``on_completed`` callbacks run on a pool of exactly one thread: in the order the
events arrived, and never on the reader thread or under the core's lock, so a callback may
block or call the client.

The threads are daemons: a handler that is still stuck after a graceful shutdown cannot keep
the process alive (its requests fail once the client has disconnected).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["WorkerPool"]

logger = logging.getLogger("relay_sync")

# A worker thread with nothing to do for this long exits (a new one starts when needed).
_IDLE_EXIT = 60.0


class WorkerPool:
    """Run submitted functions on at most ``max_workers`` daemon threads.

    Args:
        max_workers: thread limit (at least 1).
        max_queued: jobs that may wait for a free thread; more are refused.
        name: thread name prefix, for logs and debuggers.

    Raises:
        ValueError: ``max_workers`` or ``max_queued`` is below 1.
    """

    def __init__(self, max_workers: int, max_queued: int, name: str) -> None:
        if max_workers < 1 or max_queued < 1:
            raise ValueError("max_workers and max_queued must be at least 1")
        self._max_workers = max_workers
        self._max_queued = max_queued
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._jobs: deque[tuple[Callable[[], Any], str]] = deque()
        self._threads = 0
        self._idle = 0
        self._closed = False
        self._serial = 0

    def submit(self, fn: Callable[[], Any], what: str) -> bool:
        """Queue ``fn()``; returns ``False`` (and runs nothing) when the pool is closed or its
        queue is full. ``fn`` should handle its own exceptions; any that escape are logged."""
        with self._cond:
            if self._closed:
                return False
            if len(self._jobs) >= self._max_queued:
                logger.error("%s refused: %d jobs already waiting", what, len(self._jobs))
                return False
            self._jobs.append((fn, what))
            if self._idle > len(self._jobs) - 1:
                self._cond.notify()
            elif self._threads < self._max_workers:
                self._start_thread()
        return True

    def close(self, *, drain: bool) -> None:
        """Refuse new work. With ``drain`` the queued jobs still run; without, they are
        dropped (and logged). Running jobs are never interrupted. Does not wait."""
        with self._cond:
            self._closed = True
            if not drain and self._jobs:
                logger.warning("%d queued job(s) dropped at shutdown", len(self._jobs))
                self._jobs.clear()
            self._cond.notify_all()

    def _start_thread(self) -> None:
        self._threads += 1
        self._serial += 1
        thread = threading.Thread(
            target=self._work, name=f"{self._name}-{self._serial}", daemon=True
        )
        thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
                if job is None:
                    self._threads -= 1
                    return
            fn, what = job
            try:
                fn()
            except BaseException:  # keep the worker alive whatever the job did
                logger.exception("%s raised", what)

    def _next_job(self) -> tuple[Callable[[], Any], str] | None:
        # Called with the lock held. None means "this thread should exit".
        while not self._jobs:
            if self._closed:
                return None
            self._idle += 1
            try:
                woken = self._cond.wait(_IDLE_EXIT)
            finally:
                self._idle -= 1
            if not woken and not self._jobs:
                return None
        return self._jobs.popleft()
