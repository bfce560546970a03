"""The workloads on the bare core: :class:`relay_proto.RelayConnection` and a blocking socket.

This is what a program that drives relay_proto from its own loop pays: the core, one socket,
``time.monotonic()`` for ``now``, and a dispatch on event types. The loop is the one of
docs/design/architecture.md ("The core's driving loop"), timers included; B2's "handlers" are
a small state machine per call, keyed by request and control ids.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from relay_proto import (
    ActionCompleted,
    CallEvent,
    CallReceived,
    Event,
    RelayConnection,
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    SessionReady,
    TransportLost,
    commands,
)

from ._drive_async import CONTEXT, MEDIA, PROJECT, TOKEN, call_limit
from ._measure import Window, percentile

__all__ = ["run_core"]

_READ_SIZE = 65536


class _Loop:
    """One connection and its socket: feed, drain, write."""

    def __init__(self, port: int, max_active_calls: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = RelayConnection(
            project=PROJECT,
            token=TOKEN,
            host=f"127.0.0.1:{port}",
            contexts=[CONTEXT],
            max_active_calls=max_active_calls,
        )
        self.errors: list[str] = []

    def write(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def step(self, handle: Callable[[Event], None]) -> None:
        """Write what is queued, wait for input or the next deadline, dispatch the events."""
        conn = self.conn
        self.write()
        deadline = conn.next_deadline()
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        self.sock.settimeout(timeout)
        try:
            data: bytes | None = self.sock.recv(_READ_SIZE) or None
        except TimeoutError:
            conn.handle_timeout(time.monotonic())
        else:
            conn.receive_data(data, time.monotonic())
        while (event := conn.next_event()) is not None:
            if isinstance(event, (RequestFailed, RequestTimedOut)):
                self.errors.append(repr(event))
            handle(event)
        self.write()

    def until(self, done: Callable[[], bool], handle: Callable[[Event], None]) -> None:
        while not done():
            self.step(handle)

    def connect(self) -> None:
        ready: list[bool] = []

        def handle(event: Event) -> None:
            if isinstance(event, SessionReady):
                ready.append(True)
            elif isinstance(event, TransportLost):
                raise ConnectionError(f"transport lost: {event.reason}")

        self.conn.start(time.monotonic())
        self.until(lambda: bool(ready), handle)

    def close(self) -> None:
        closed: list[bool] = []

        def handle(event: Event) -> None:
            if isinstance(event, TransportLost):
                closed.append(True)

        self.conn.close(time.monotonic())
        self.until(lambda: bool(closed), handle)
        self.sock.close()


def event_flood(loop: _Loop, size: int) -> dict[str, Any]:
    """B1: answer one call, then take the flood of play events until the call ends."""
    conn = loop.conn
    ended: list[bool] = []

    def handle(event: Event) -> None:
        if isinstance(event, CallEvent):
            if event.call_state == "ended":
                ended.append(True)
        elif isinstance(event, CallReceived):
            conn.call_command(event.call.call_id, commands.answer(), now=time.monotonic())

    window = Window()
    window.start()
    conn.execute("bench.start", {}, now=time.monotonic())
    loop.until(lambda: bool(ended), handle)
    window.stop()
    return {**window.result, "events": size, "errors": loop.errors}


def concurrency(loop: _Loop, size: int) -> dict[str, Any]:
    """B2: ``size`` inbound calls at once; each answers, plays, waits, hangs up."""
    conn = loop.conn
    answers: dict[str, str] = {}  # request id -> call id
    plays: dict[str, str] = {}  # control id -> call id
    ended = [0]

    def handle(event: Event) -> None:
        kind = type(event)
        if kind is RequestSucceeded:
            call_id = answers.pop(event.request_id, None)  # type: ignore[attr-defined]
            if call_id is not None:
                started = conn.call_command(call_id, commands.play(MEDIA), now=time.monotonic())
                plays[started.control_id or ""] = call_id
        elif kind is ActionCompleted:
            call_id = plays.pop(event.control_id, None)  # type: ignore[attr-defined]
            if call_id is not None:
                conn.call_command(call_id, commands.hangup(), now=time.monotonic())
        elif kind is CallEvent:
            if event.call_state == "ended":  # type: ignore[attr-defined]
                ended[0] += 1
        elif kind is CallReceived:
            call_id = event.call.call_id  # type: ignore[attr-defined]
            started = conn.call_command(call_id, commands.answer(), now=time.monotonic())
            answers[started.request_id or ""] = call_id

    window = Window()
    window.start()
    conn.execute("bench.start", {}, now=time.monotonic())
    loop.until(lambda: ended[0] >= size, handle)
    window.stop()
    return {**window.result, "calls": size, "errors": loop.errors}


def round_trip(loop: _Loop, size: int) -> dict[str, Any]:
    """B3: ``size`` sequential ``calling.answer`` requests; per-request latency."""
    conn = loop.conn
    latencies: list[float] = []
    clock = time.perf_counter
    answered: set[str] = set()

    def handle(event: Event) -> None:
        if isinstance(event, (RequestSucceeded, RequestFailed, RequestTimedOut)):
            answered.add(event.request_id)

    def execute(method: str, params: dict[str, Any]) -> None:
        request_id = conn.execute(method, params, now=time.monotonic())
        loop.until(lambda: request_id in answered, handle)
        answered.discard(request_id)

    window = Window()
    window.start()
    execute("bench.start", {})
    for _ in range(size):
        began = clock()
        execute("calling.answer", {"node_id": "node-1", "call_id": "call-b3"})
        latencies.append(clock() - began)
    window.stop()
    return {
        **window.result,
        "requests": size,
        "p50_us": percentile(latencies, 0.50) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "errors": loop.errors,
    }


_WORKLOADS = {"B1": event_flood, "B2": concurrency, "B3": round_trip, "B4": concurrency}


def run_core(workload: str, port: int, size: int) -> dict[str, Any]:
    """Run ``workload`` on the bare core."""
    loop = _Loop(port, call_limit(size))
    loop.connect()
    result = _WORKLOADS[workload](loop, size)
    loop.close()
    return result
