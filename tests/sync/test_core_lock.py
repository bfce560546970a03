"""The core's lock under threads: a call command never waits for the lock (whoever holds it
issues the command), the session's end fails commands still queued, the timer wakes for an
earlier deadline only."""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Any

from relay_proto import parse_host
from relay_proto._connection import RelayConnection
from relay_sync import Call, RelayClient, RelayError
from relay_sync._runner import SessionRunner, now

from .helpers import CALLER, LINE, WAIT


class _Announcing(deque[Any]):
    """The runner's queue of work, telling the test when something was queued."""

    def __init__(self) -> None:
        super().__init__()
        self.queued = threading.Event()

    def append(self, item: Any) -> None:
        super().append(item)
        self.queued.set()


def _answer_later(client: RelayClient, emulator: Any) -> tuple[Call, threading.Event]:
    """Connect, take one inbound call and park its handler; returns the call and the event
    that lets the handler return."""
    calls: list[Call] = []
    arrived, release = threading.Event(), threading.Event()

    @client.on_call
    def handle(call: Call) -> None:
        calls.append(call)
        arrived.set()
        release.wait(WAIT)

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert arrived.wait(WAIT)
    return calls[0], release


def _in_thread(fn: Any) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_command_is_issued_by_the_thread_holding_the_lock(
    emulator: Any, make_client: Any
) -> None:
    client: RelayClient = make_client()
    call, release = _answer_later(client, emulator)
    try:
        runner = client._runner
        assert runner is not None
        queue = runner._queued = _Announcing()
        with runner.locked():  # this thread holds the core: the answer must not wait for it
            thread, outcome = _in_thread(call.answer)
            assert queue.queued.wait(WAIT)  # handed over, not blocked on the lock
            assert emulator.journal.requests("calling.answer") == []  # not issued yet
        # Letting go of the lock issued it; the reply reaches the thread that sent it.
        thread.join(WAIT)
        assert len(outcome) == 1 and isinstance(outcome[0], dict), outcome
        assert len(emulator.journal.requests("calling.answer")) == 1
        assert call.state == "answered"
        assert not queue
    finally:
        release.set()


def test_a_refused_command_raises_in_the_thread_that_sent_it(
    emulator: Any, make_client: Any
) -> None:
    client: RelayClient = make_client()
    call, release = _answer_later(client, emulator)
    try:
        runner = client._runner
        assert runner is not None
        queue = runner._queued = _Announcing()
        with runner.locked():
            # A value JSON cannot carry: the core refuses the command when it encodes it, on
            # the thread that holds the lock.
            unsendable = {"type": "tts", "params": {"text": "hi", "voice": {1, 2}}}
            thread, outcome = _in_thread(lambda: call.play([unsendable]))
            assert queue.queued.wait(WAIT)
        thread.join(WAIT)
        assert len(outcome) == 1 and isinstance(outcome[0], ValueError)
        assert emulator.journal.requests("calling.play") == []
        assert client._router.actions == {}  # the refused play's action is gone
    finally:
        release.set()


def test_commands_queued_when_the_session_ends_fail(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    call, release = _answer_later(client, emulator)
    try:
        runner = client._runner
        assert runner is not None
        queue = runner._queued = _Announcing()
        with runner.locked():
            thread, outcome = _in_thread(call.answer)
            assert queue.queued.wait(WAIT)
            client._running = False  # as _end_session does under the lock
        thread.join(WAIT)
        assert len(outcome) == 1 and isinstance(outcome[0], RelayError)
        assert "not connected" in str(outcome[0]).lower()
        assert emulator.journal.requests("calling.answer") == []
        client._running = True  # so that the fixture's disconnect() runs as usual
    finally:
        release.set()


def _idle_runner() -> SessionRunner:
    """A runner whose threads are not started (this test plays the timer's part)."""
    conn = RelayConnection(project="p", token="t", host="127.0.0.1:9")
    return SessionRunner(
        conn,
        parse_host("ws://127.0.0.1:9"),
        None,
        on_event=lambda event: None,
        on_open_error=lambda error: False,
        on_crash=lambda error: None,
    )


def test_the_timer_is_woken_by_an_earlier_deadline_only() -> None:
    runner = _idle_runner()
    alarm = runner._timer_alarm
    runner._timer_until = math.inf  # asleep, with no deadline
    with runner.core() as conn:
        conn.start(now())  # the opening handshake has a deadline
    assert alarm.is_set() and runner._timer_until is None
    deadline = runner._conn.next_deadline()
    assert deadline is not None
    alarm.clear()
    runner._timer_until = deadline - 1.0  # asleep until before the core's deadline
    with runner.core():
        pass
    assert not alarm.is_set()  # it finds the later deadline when it wakes at its own
    runner._timer_until = None  # awake: it reads the deadline before sleeping again
    with runner.core():
        pass
    assert not alarm.is_set()


def test_work_submitted_on_an_idle_runner_runs_at_once() -> None:
    runner = _idle_runner()
    seen: list[object] = []
    runner.submit(seen.append)
    assert seen == [runner._conn] and not runner._queued
    # From a thread already inside the core: queued, and run when it leaves.
    with runner.core():
        runner.submit(seen.append)
        assert len(seen) == 1 and len(runner._queued) == 1
    assert len(seen) == 2 and not runner._queued
