"""Threads that run user code: a bounded pool for handlers, one serial thread for callbacks.

Inbound call and message handlers run on a :class:`WorkerPool` of at most ``max_workers``
threads (by default ``max_active_calls``, so every tracked call can have its handler running
at once). Threads start on demand and retire after a minute without work; an idle thread is
handed its next job directly (the most recently idle first). Handlers beyond the pool's size
wait in a FIFO queue; the queue is bounded too, and work beyond it is refused and
logged, never silently dropped. Submitting never waits for a thread to start (``Thread.start``
blocks until the new thread runs, which takes long when hundreds compete for the GIL): a
starter thread of the pool's own does that, so the reader thread that submits stays free.

Listeners and ``on_completed`` callbacks run through :class:`Strands` on a second pool: the
callbacks of one call (or one message) run one at a time, in the order the events arrived,
while those of different calls run in parallel. Never on the reader thread nor under the
core's lock, so a callback may block or call the client; a slow one delays only its own call.

The threads are daemons: a handler that is still stuck after a graceful shutdown cannot keep
the process alive (its requests fail once the client has disconnected).
"""

from __future__ import annotations

import _thread
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["Strands", "WorkerPool"]

logger = logging.getLogger("relay_sync")

_Job = tuple[Callable[[], Any], str]
_allocate_lock = _thread.allocate_lock

# A worker thread with nothing to do for this long exits (a new one starts when needed).
_IDLE_EXIT = 60.0
# After the system refused to start a thread, seconds before the starter tries again (a new
# job, or a worker leaving, makes it try at once).
_RETRY_START = 5.0


class _Parked:
    """A worker thread with nothing to do: it sleeps on its own lock (held), which a
    submitter releases after putting the job in :attr:`job` (``None``: the pool closed)."""

    __slots__ = ("job", "lock")

    def __init__(self) -> None:
        self.lock = _allocate_lock()
        self.job: _Job | None = None


class WorkerPool:
    """Run submitted functions on at most ``max_workers`` daemon threads.

    A job goes straight to the worker that became idle last (its thread is woken alone, with
    the job in hand: no shared condition, no lock to take again), else to the queue, which the
    busy workers take jobs from before they park; threads start when the queue needs them.
    Workers idle for a minute exit: with the most recently idle worker reused first, the
    threads beyond what the load keeps busy are the ones that retire.

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
        self._lock = threading.Lock()
        self._more_threads = threading.Condition(self._lock)  # the starter waits here
        self._jobs: deque[_Job] = deque()
        self._parked: list[_Parked] = []  # idle workers, the most recently idle last
        self._threads = 0  # counted from the moment the starter decides to start one
        self._closed = False
        self._serial = 0
        self._starter: threading.Thread | None = None

    def submit(self, fn: Callable[[], Any], what: str) -> bool:
        """Queue ``fn()``; returns ``False`` (and runs nothing) when the pool is closed or its
        queue is full. ``fn`` should handle its own exceptions; any that escape are logged.
        Never waits for a thread to start."""
        with self._lock:
            if self._closed:
                return False
            if self._parked:
                worker = self._parked.pop()
                worker.job = (fn, what)
            else:
                if len(self._jobs) >= self._max_queued:
                    logger.error("%s refused: %d jobs already waiting", what, len(self._jobs))
                    return False
                self._jobs.append((fn, what))
                if self._missing_threads():
                    self._wake_starter()
                return True
        worker.lock.release()
        return True

    def close(self, *, drain: bool) -> None:
        """Refuse new work. With ``drain`` the queued jobs still run; without, they are
        dropped (and logged). Running jobs are never interrupted. Does not wait."""
        with self._lock:
            self._closed = True
            if not drain and self._jobs:
                logger.warning("%d queued job(s) dropped at shutdown", len(self._jobs))
                self._jobs.clear()
            self._more_threads.notify_all()
            # The parked workers exit one after the other, each waking the next (below):
            # thousands woken at once would only fight over the GIL and the interpreter's
            # thread registry.
            worker = self._parked.pop() if self._parked else None
        if worker is not None:
            worker.lock.release()  # with no job: exit

    def _missing_threads(self) -> int:
        # Lock held. Threads needed for the queued jobs (no worker is parked when jobs queue).
        wanted = min(self._threads + len(self._jobs), self._max_workers)
        return max(wanted - self._threads, 0)

    def _wake_starter(self) -> None:
        # Lock held.
        if self._starter is None:
            starter = threading.Thread(
                target=self._start_threads, name=f"{self._name}-starter", daemon=True
            )
            try:
                starter.start()  # only the first time: later wake-ups are a notify
            except RuntimeError as exc:  # the system refuses more threads
                logger.error("%s: cannot start a thread (%s); jobs stay queued", self._name, exc)
                return  # the next submit tries again; running workers take queued jobs
            self._starter = starter
        else:
            self._more_threads.notify()

    def _start_threads(self) -> None:
        # One thread at a time, looking at the queue again before each: starting one takes a
        # while (it has to get the GIL to run), and meanwhile busy workers that finish take
        # queued jobs themselves; a thread started for a job already taken would only park.
        while True:
            with self._more_threads:
                while not self._missing_threads():
                    if self._closed:
                        self._starter = None
                        return
                    self._more_threads.wait()
                self._threads += 1
                self._serial += 1
                serial = self._serial
            worker = threading.Thread(target=self._work, name=f"{self._name}-{serial}", daemon=True)
            try:
                worker.start()
            except RuntimeError as exc:  # the system refuses more threads (for now)
                self._start_failed(exc)

    def _start_failed(self, exc: RuntimeError) -> None:
        # The thread counted for the queued jobs does not exist: uncount it, and try again on
        # the next job or after a while (workers already running keep taking queued jobs).
        with self._more_threads:
            self._threads -= 1
            logger.error(
                "%s: cannot start a worker thread (%s); %d job(s) wait, %d thread(s) running",
                self._name,
                exc,
                len(self._jobs),
                self._threads,
            )
            if not self._closed:
                self._more_threads.wait(_RETRY_START)

    def _work(self) -> None:
        me = _Parked()
        me.lock.acquire()  # held while the worker runs; released to wake it when parked
        while (job := self._next_job(me)) is not None:
            fn, what = job
            del job  # a parked worker keeps nothing of its last job (a call...) alive
            try:
                fn()
            except BaseException:  # keep the worker alive whatever the job did
                logger.exception("%s raised", what)
            del fn

    def _next_job(self, me: _Parked) -> _Job | None:
        # A queued job, else park until a submitter hands one over. None: exit the thread.
        with self._lock:
            if self._jobs:
                return self._jobs.popleft()
            if self._closed:
                self._threads -= 1
                return None
            self._parked.append(me)
        if not me.lock.acquire(True, _IDLE_EXIT):
            with self._lock:
                if me in self._parked:  # idle for a minute and nobody picked it: retire
                    self._parked.remove(me)
                    self._threads -= 1
                    return None
            me.lock.acquire()  # picked meanwhile: the release is on its way
        job, me.job = me.job, None
        if job is None:  # the pool closed while this worker was parked: exit, wake the next
            with self._lock:
                self._threads -= 1
                following = self._parked.pop() if self._parked else None
            if following is not None:
                following.lock.release()
        return job


class Strands:
    """Per-key FIFO queues over a :class:`WorkerPool`: jobs with the same key run one at a time
    in submission order; jobs with different keys run in parallel.

    At most one pool job per key is queued or running (it drains its key's queue), so a key
    never holds more than one thread.
    """

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._queues: dict[str, deque[tuple[Callable[[], Any], str]]] = {}

    def submit(self, key: str, fn: Callable[[], Any], what: str) -> bool:
        """Queue ``fn()`` behind the earlier jobs of ``key``; ``False`` when the pool refused.
        ``fn`` should handle its own exceptions; any that escape are logged."""
        with self._lock:
            queue = self._queues.get(key)
            if queue is not None:
                queue.append((fn, what))  # the running drain of this key will get to it
                return True
            self._queues[key] = deque([(fn, what)])
        if self._pool.submit(lambda: self._drain(key), what):
            return True
        with self._lock:
            self._queues.pop(key, None)
        return False

    def close(self, *, drain: bool) -> None:
        """Close the pool (see :meth:`WorkerPool.close`)."""
        self._pool.close(drain=drain)

    def _drain(self, key: str) -> None:
        while True:
            with self._lock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                fn, what = queue.popleft()
            try:
                fn()
            except Exception:
                logger.exception("%s raised", what)
