"""The workloads for relay_sync: the same steps as ``_drive_async``, blocking (handlers run
on the client's worker threads, so the B2 countdown takes a lock)."""

from __future__ import annotations

import threading
import time
from typing import Any

from ._drive_async import CONTEXT, MEDIA, PROJECT, TOKEN, call_limit
from ._measure import Window, percentile

__all__ = ["run_relay_sync"]


def event_flood(client: Any, size: int) -> dict[str, Any]:
    """B1: answer one call, then take the flood of play events until the call ends."""
    done = threading.Event()
    errors: list[str] = []

    def handle(call: Any) -> None:
        try:
            call.answer()
            call.wait_for_ended()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            done.set()

    window = Window()
    client.on_call(handle)
    client.connect()
    window.start()
    client.execute("bench.start", {})
    done.wait()
    window.stop()
    client.disconnect()
    return {**window.result, "events": size, "errors": errors}


def concurrency(client: Any, size: int) -> dict[str, Any]:
    """B2: ``size`` inbound calls at once; each answers, plays, waits, hangs up."""
    done = threading.Event()
    errors: list[str] = []
    lock = threading.Lock()
    left = [size]

    def handle(call: Any) -> None:
        try:
            call.answer()
            call.play(MEDIA).wait()
            call.hangup()
            call.wait_for_ended()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    done.set()

    window = Window()
    client.on_call(handle)
    client.connect()
    window.start()
    client.execute("bench.start", {})
    done.wait()
    window.stop()
    client.disconnect()
    return {**window.result, "calls": size, "errors": errors}


def round_trip(client: Any, size: int) -> dict[str, Any]:
    """B3: ``size`` sequential ``execute("calling.answer", ...)``; per-request latency."""
    latencies: list[float] = []
    clock = time.perf_counter
    window = Window()
    client.connect()
    window.start()
    client.execute("bench.start", {})
    for _ in range(size):
        began = clock()
        client.execute("calling.answer", {"node_id": "node-1", "call_id": "call-b3"})
        latencies.append(clock() - began)
    window.stop()
    client.disconnect()
    return {
        **window.result,
        "requests": size,
        "p50_us": percentile(latencies, 0.50) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "errors": [],
    }


_WORKLOADS = {"B1": event_flood, "B2": concurrency, "B3": round_trip, "B4": concurrency}


def run_relay_sync(workload: str, port: int, size: int) -> dict[str, Any]:
    """Run ``workload`` with relay_sync."""
    from relay_sync import RelayClient

    client = RelayClient(
        project=PROJECT,
        token=TOKEN,
        host=f"ws://127.0.0.1:{port}",
        contexts=[CONTEXT],
        max_active_calls=call_limit(size),
    )
    return _WORKLOADS[workload](client, size)
