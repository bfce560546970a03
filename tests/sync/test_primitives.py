"""The thread primitives under relay_sync: Waiter, run_callback, WorkerPool, Interrupts."""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
import time
import uuid
from typing import Any

import pytest

from relay_proto import RelayEvent
from relay_sync._config import uuid4_strings
from relay_sync._primitives import (
    Waiter,
    hold_wakeups,
    order_key,
    release_wakeups,
    run_callback,
)
from relay_sync._signals import Interrupts
from relay_sync._workers import Strands, WorkerPool

from .helpers import WAIT


def test_waiter_timeout_spoils_nothing() -> None:
    waiter: Waiter[int] = Waiter()
    with pytest.raises(TimeoutError):
        waiter.wait(0)
    with pytest.raises(TimeoutError):
        waiter.wait(0.001)
    assert not waiter.is_set() and waiter.value is None
    waiter.set(7)
    assert waiter.wait(0) == 7
    assert waiter.wait() == 7
    assert waiter.is_set() and waiter.value == 7


def test_waiter_first_outcome_wins() -> None:
    waiter: Waiter[int] = Waiter()
    waiter.fail(ValueError("first"))
    waiter.set(1)
    waiter.fail(KeyError("second"))
    with pytest.raises(ValueError, match="first"):
        waiter.wait()
    assert waiter.value is None


def _race_once() -> list[object]:
    waiter: Waiter[int] = Waiter()
    seen: list[object] = []
    start = threading.Barrier(16, timeout=WAIT)

    def wait() -> None:
        start.wait()
        try:
            seen.append(waiter.wait(WAIT))
        except ValueError as exc:
            seen.append(exc)

    def settle(i: int) -> None:
        start.wait()
        if i % 2:
            waiter.set(i)
        else:
            waiter.fail(ValueError(i))

    threads = [threading.Thread(target=wait) for _ in range(8)]
    threads += [threading.Thread(target=settle, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    return seen


def test_waiter_wakes_every_thread_once_under_a_race() -> None:
    # Many threads wait; many threads try to set or fail at the same moment: exactly one
    # outcome wins and every waiter sees that one.
    for _ in range(20):
        seen = _race_once()
        assert len(seen) == 8
        assert len({repr(item) for item in seen}) == 1


def test_waiter_wakes_a_sleeping_thread_and_drops_its_lock() -> None:
    waiter: Waiter[str] = Waiter()
    sleeping = threading.Event()
    got: list[str] = []

    class Announcing(Waiter[str]):
        __slots__ = ()

        def _sleep(self, timeout: float | None) -> None:
            sleeping.set()
            super()._sleep(timeout)

    waiter.__class__ = Announcing
    thread = threading.Thread(target=lambda: got.append(waiter.wait(WAIT)))
    thread.start()
    assert sleeping.wait(WAIT)
    waiter.set("ready")
    thread.join(WAIT)
    assert got == ["ready"]
    assert waiter._sleepers is None  # a finished Waiter holds no lock


def test_waiter_timeout_leaves_no_sleeper_behind() -> None:
    waiter: Waiter[int] = Waiter()
    with pytest.raises(TimeoutError, match=r"no result within 0\.001 s"):
        waiter.wait(0.001)
    assert waiter._sleepers is None
    with pytest.raises(TimeoutError, match=r"within 0\.0 s"):
        waiter.wait(-5)  # a negative timeout is a poll, as with threading.Event
    waiter.set(3)
    assert waiter.wait(0.001) == 3


def test_held_wakeups_wake_sleepers_only_when_released() -> None:
    # What the client's dispatch does under the core's lock: set waiters, wake their threads
    # once the lock is free. A sleeper is the lock its thread blocks on (held while asleep).
    waiter: Waiter[int] = Waiter()
    sleeper = threading.Lock()
    sleeper.acquire()
    waiter._sleepers = [sleeper]
    assert hold_wakeups()
    assert not hold_wakeups()  # nested: the outer holder releases
    waiter.set(1)
    assert waiter.is_set() and sleeper.locked()  # the result is in, the thread still asleep
    release_wakeups()
    assert not sleeper.locked()
    other: Waiter[int] = Waiter()
    late = threading.Lock()
    late.acquire()
    other._sleepers = [late]
    other.fail(ValueError("x"))  # nothing held any more: woken at once
    assert not late.locked()


def test_held_wakeups_are_per_thread() -> None:
    waiter: Waiter[int] = Waiter()
    sleeper = threading.Lock()
    sleeper.acquire()
    waiter._sleepers = [sleeper]
    assert hold_wakeups()
    try:
        thread = threading.Thread(target=waiter.set, args=(2,))
        thread.start()
        thread.join(WAIT)
        assert not sleeper.locked()  # set on a thread that holds nothing back
    finally:
        release_wakeups()


def test_uuid4_strings_are_what_uuid4_makes() -> None:
    ids = list(uuid4_strings(200))
    assert len(set(ids)) == 200
    for text in ids:
        value = uuid.UUID(text)
        assert str(value) == text
        assert value.version == 4 and value.variant == uuid.RFC_4122


def test_run_callback_without_a_spawner_runs_inline_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []
    run_callback(None, calls.append, 1, "inline")
    assert calls == [1]

    def broken(arg: int) -> None:
        raise RuntimeError("callback bug")

    with caplog.at_level(logging.ERROR, logger="relay_sync"):
        run_callback(None, broken, 2, "the broken callback")
    assert "the broken callback raised" in caplog.text


def test_run_callback_hands_the_call_to_the_spawner(caplog: pytest.LogCaptureFixture) -> None:
    jobs: list[tuple[Any, str, str]] = []
    calls: list[Any] = []
    event = RelayEvent("calling.call.play", {"state": "playing"}, "call-9")
    run_callback(lambda fn, name, key: jobs.append((fn, name, key)), calls.append, event, "queued")
    assert calls == [] and jobs[0][1:] == ("queued", "call:call-9")
    jobs[0][0]()
    assert calls == [event]

    async def coroutine_callback(arg: int) -> None:
        raise AssertionError("never awaited")

    with caplog.at_level(logging.ERROR, logger="relay_sync"):
        run_callback(None, coroutine_callback, 4, "an async callback")
    assert "an async callback is async" in caplog.text


def test_pool_never_runs_more_than_max_workers() -> None:
    pool = WorkerPool(3, 100, "test-pool")
    lock = threading.Lock()
    running, most = [0], [0]
    done = threading.Semaphore(0)
    release = threading.Event()

    def job() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(WAIT)
        with lock:
            running[0] -= 1
        done.release()

    for i in range(10):
        assert pool.submit(job, f"job {i}")
    release.set()
    for _ in range(10):
        assert done.acquire(timeout=WAIT)
    assert most[0] <= 3
    pool.close(drain=True)


def test_serial_pool_keeps_order_and_survives_a_failing_job() -> None:
    pool = WorkerPool(1, 100, "serial")
    order: list[int] = []
    finished = threading.Event()

    def failing() -> None:
        raise RuntimeError("job bug")

    for i in range(50):
        pool.submit(functools.partial(order.append, i), f"job {i}")
        if i == 25:
            pool.submit(failing, "failing job")
    pool.submit(finished.set, "last")
    assert finished.wait(WAIT)
    assert order == list(range(50))
    pool.close(drain=True)


def test_pool_refuses_work_when_full_or_closed() -> None:
    pool = WorkerPool(1, 2, "small")
    gate, started = threading.Event(), threading.Event()

    def block() -> None:
        started.set()
        gate.wait(WAIT)

    assert pool.submit(block, "running")
    assert started.wait(WAIT)
    assert pool.submit(lambda: None, "queued 1")
    assert pool.submit(lambda: None, "queued 2")
    assert not pool.submit(lambda: None, "one too many")
    pool.close(drain=False)
    assert not pool.submit(lambda: None, "after close")
    gate.set()


class _Announced(list[Any]):
    """The pool's list of parked workers, counting the workers that parked."""

    def __init__(self) -> None:
        super().__init__()
        self.parked = threading.Semaphore(0)

    def append(self, item: Any) -> None:
        super().append(item)
        self.parked.release()


def _thread_name(names: list[str], done: threading.Semaphore) -> None:
    names.append(threading.current_thread().name)
    done.release()


def test_pool_hands_a_job_to_the_most_recently_idle_worker() -> None:
    pool = WorkerPool(2, 100, "lifo")
    parked = pool._parked = _Announced()
    gates = [threading.Event(), threading.Event()]
    names: list[str] = []
    done = threading.Semaphore(0)
    ran: dict[int, str] = {}

    def job(index: int) -> None:
        ran[index] = threading.current_thread().name
        done.release()
        gates[index].wait(WAIT)

    try:
        for index in range(2):
            assert pool.submit(functools.partial(job, index), "job")
        for _ in gates:
            assert done.acquire(timeout=WAIT)
        second = ran[1]
        assert ran[0] != second
        gates[0].set()
        assert parked.parked.acquire(timeout=WAIT)  # the first worker parked
        gates[1].set()
        assert parked.parked.acquire(timeout=WAIT)  # then the second
        assert pool.submit(functools.partial(_thread_name, names, done), "next")
        assert done.acquire(timeout=WAIT)
        assert names == [second]  # woken alone, with its job; the other keeps parking
        assert parked.parked.acquire(timeout=WAIT) and len(parked) == 2
        assert pool._threads == 2 and not pool._jobs
    finally:
        for gate in gates:
            gate.set()
        pool.close(drain=True)


def _workers_named(prefix: str) -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith(f"{prefix}-") and "starter" not in t.name
    ]


def test_pool_workers_retire_when_idle_and_new_ones_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("relay_sync._workers._IDLE_EXIT", 0.01)
    pool = WorkerPool(3, 100, "retire")
    names: list[str] = []
    done = threading.Semaphore(0)
    try:
        assert pool.submit(functools.partial(_thread_name, names, done), "first")
        assert done.acquire(timeout=WAIT)
        for thread in _workers_named("retire"):
            thread.join(WAIT)  # idle for longer than _IDLE_EXIT: it exits by itself
        assert _workers_named("retire") == [] and pool._threads == 0 and pool._parked == []
        assert pool.submit(functools.partial(_thread_name, names, done), "second")
        assert done.acquire(timeout=WAIT)
        assert names == ["retire-1", "retire-2"]
    finally:
        pool.close(drain=True)


def test_closing_the_pool_ends_its_parked_workers() -> None:
    pool = WorkerPool(4, 100, "closing")
    parked = pool._parked = _Announced()
    gate = threading.Barrier(4, timeout=WAIT)  # four jobs at once: four workers
    for _ in range(4):
        assert pool.submit(gate.wait, "job")
    for _ in range(4):
        assert parked.parked.acquire(timeout=WAIT)
    assert len(parked) == 4 and pool._threads == 4
    pool.close(drain=False)  # wakes one; each exiting worker wakes the next
    starter = pool._starter
    if starter is not None:
        starter.join(WAIT)  # it may still be starting a worker, which then finds the pool closed
    for thread in _workers_named("closing"):
        thread.join(WAIT)
    assert _workers_named("closing") == [] and pool._threads == 0
    assert not pool.submit(lambda: None, "late")


def test_no_thread_is_started_for_jobs_a_busy_worker_took(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = WorkerPool(3, 100, "lazy")
    parked = pool._parked = _Announced()
    gate = threading.Event()
    # The starter is slow to start each worker: it waits for the test's go.
    starting = [threading.Event(), threading.Event()]
    go = [threading.Event(), threading.Event()]
    starts: list[int] = []
    done = threading.Semaphore(0)
    original = threading.Thread.start

    def slow_start(thread: threading.Thread) -> None:
        if threading.current_thread().name == "lazy-starter":
            index = len(starts)
            starts.append(index)
            if index < 2:
                starting[index].set()
                go[index].wait(WAIT)
        original(thread)

    def long_job() -> None:
        done.release()
        gate.wait(WAIT)

    monkeypatch.setattr(threading.Thread, "start", slow_start)
    try:
        assert pool.submit(long_job, "A")  # the starter is starting worker 1 for it
        assert starting[0].wait(WAIT)
        assert pool.submit(done.release, "B")
        assert pool.submit(done.release, "C")  # three jobs queued, two threads wanted more
        go[0].set()
        assert done.acquire(timeout=WAIT)  # worker 1 took A
        assert starting[1].wait(WAIT)  # the starter is starting worker 2
        gate.set()  # worker 1 is free again: it takes B and C from the queue itself
        assert done.acquire(timeout=WAIT) and done.acquire(timeout=WAIT)
        go[1].set()
        for _ in range(2):
            assert parked.parked.acquire(timeout=WAIT)  # workers 1 and 2 park
        assert pool._serial == 2 and pool._threads == 2  # no third thread for a taken job
    finally:
        for event in (*go, gate):
            event.set()
        monkeypatch.undo()
        pool.close(drain=True)


def test_pool_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        WorkerPool(0, 1, "x")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupts_count_signals_instead_of_raising() -> None:
    assert threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT)
    with Interrupts() as interrupts:
        assert signal.getsignal(signal.SIGINT) is not before
        os.kill(os.getpid(), signal.SIGINT)  # no KeyboardInterrupt
        assert interrupts.wait() == 1
        finisher = threading.Thread(target=interrupts.finish)
        finisher.start()
        interrupts.wait()
        finisher.join(WAIT)
        assert interrupts.finished
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupts_wake_the_main_thread_for_a_signal_another_thread_takes() -> None:
    # The OS may deliver a process signal to any thread (the main thread blocks signals while
    # it starts one). Its Python handler then waits for the main thread to run bytecode, which
    # it does not while blocked in wait(): only the wakeup fd wakes it.
    assert threading.current_thread() is threading.main_thread()
    main = threading.main_thread().ident
    assert main is not None
    woke = threading.Event()
    rescued: list[bool] = []

    def other_thread(interrupts: Interrupts) -> None:
        # Once the main thread waits in recv (nothing can announce that: its frame is looked
        # at), the signal lands here, on this thread.
        deadline = time.monotonic() + WAIT
        while sys._current_frames()[main].f_code is not Interrupts.wait.__code__:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        if not woke.wait(5):  # bounded: without a wake-up the main thread would wait for ever
            rescued.append(True)
            interrupts.finish()

    with Interrupts() as interrupts:
        helper = threading.Thread(target=other_thread, args=(interrupts,))
        helper.start()
        interrupts.wait()
        woke.set()
        helper.join(WAIT)
    assert rescued == []
    assert interrupts.count == 1


def test_interrupts_leave_an_application_handler_alone() -> None:
    def mine(signum: int, frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGINT, mine)
    try:
        with Interrupts():
            assert signal.getsignal(signal.SIGINT) is mine
        assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, previous)


def test_submitting_never_waits_for_a_thread_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # The submitter may be the reader thread: it must not start threads itself (after the
    # pool's own starter thread exists). Every job still gets a thread of its own.
    pool = WorkerPool(20, 100, "fast")
    release = threading.Event()
    running = threading.Semaphore(0)
    submitters: set[str] = set()

    def job() -> None:
        running.release()
        release.wait(WAIT)

    original = threading.Thread.start

    def spy(thread: threading.Thread) -> None:
        submitters.add(threading.current_thread().name)
        original(thread)

    monkeypatch.setattr(threading.Thread, "start", spy)
    try:
        for i in range(20):
            assert pool.submit(job, f"job {i}")
        for _ in range(20):
            assert running.acquire(timeout=WAIT)  # all 20 run at once
    finally:
        monkeypatch.undo()
        release.set()
        pool.close(drain=True)
    # The test thread started the starter only; the starter started the workers.
    assert submitters <= {threading.current_thread().name, "fast-starter"}
    assert "fast-starter" in submitters


def test_order_keys() -> None:
    assert order_key(RelayEvent("calling.call.state", {}, "call-1")) == "call:call-1"
    state = RelayEvent("messaging.state", {"message_id": "m-1", "message_state": "sent"})
    assert order_key(state) == "message:m-1"
    assert order_key(RelayEvent("", {})) == ""
    assert order_key(object()) == ""


def test_strands_keep_order_per_key_and_run_keys_in_parallel() -> None:
    strands = Strands(WorkerPool(4, 1000, "strands"))
    order: dict[str, list[int]] = {"a": [], "b": []}
    blocked, release = threading.Event(), threading.Event()
    done = threading.Semaphore(0)

    def slow_first() -> None:
        blocked.set()
        release.wait(WAIT)  # key "a" is stuck here...

    assert strands.submit("a", slow_first, "slow")
    assert blocked.wait(WAIT)
    for i in range(20):
        strands.submit("a", functools.partial(order["a"].append, i), f"a{i}")
        strands.submit("b", functools.partial(order["b"].append, i), f"b{i}")
    strands.submit("b", done.release, "b done")
    assert done.acquire(timeout=WAIT)  # ...while key "b" runs to the end
    assert order["b"] == list(range(20))
    assert order["a"] == []
    release.set()
    strands.submit("a", done.release, "a done")
    assert done.acquire(timeout=WAIT)
    assert order["a"] == list(range(20))
    strands.close(drain=True)


@pytest.mark.parametrize("refused_thread", ["worker", "starter"])
def test_pool_survives_the_system_refusing_a_thread(
    monkeypatch: pytest.MonkeyPatch, refused_thread: str
) -> None:
    # The first worker (or starter) thread cannot be started (the system is out of threads):
    # the job stays queued, the error is logged, and the next job makes the pool try again;
    # both then run.
    real_start = threading.Thread.start
    refusals = [1]

    def start(thread: threading.Thread) -> None:
        kind = "starter" if thread.name.endswith("-starter") else "worker"
        if thread.name.startswith("refusing-pool-") and kind == refused_thread and refusals[0]:
            refusals[0] -= 1
            raise RuntimeError("can't start new thread")
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    refused = threading.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "cannot start a" in record.getMessage():
                refused.set()

    seen = Seen(logging.ERROR)
    logging.getLogger("relay_sync").addHandler(seen)
    try:
        pool = WorkerPool(2, 100, "refusing-pool")
        ran = [threading.Event(), threading.Event()]
        assert pool.submit(ran[0].set, "first job")
        assert refused.wait(WAIT)  # logged by submit or the starter (which waits to retry)
        assert not ran[0].is_set()
        assert pool.submit(ran[1].set, "second job")  # wakes the starter: it tries again
        assert ran[0].wait(WAIT) and ran[1].wait(WAIT)
        assert refusals == [0]
        pool.close(drain=True)
    finally:
        logging.getLogger("relay_sync").removeHandler(seen)
