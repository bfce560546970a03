"""The workloads written once against the ``signalwire.relay`` API, for every async client.

relay_anyio (on asyncio or trio) and the official SDK run exactly this code: the only
difference is the client class and the event type handed in (the API is the same, which is
the point of relay_anyio). Each function returns the window's measurements plus what the
workload checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from ._measure import Window, percentile

__all__ = ["WORKLOADS"]

PROJECT = "bench-project"
TOKEN = "bench-token"
CONTEXT = "bench"
# What B2's calls play (the server finishes it at once).
MEDIA = [{"type": "silence", "params": {"duration": 1}}]


class _Event(Protocol):
    def set(self) -> None: ...
    async def wait(self) -> Any: ...


def make_client(client_cls: Any, host: str, size: int) -> Any:
    """The client, configured the same way for every library."""
    return client_cls(
        project=PROJECT,
        token=TOKEN,
        host=host,
        contexts=[CONTEXT],
        max_active_calls=call_limit(size),
    )


def call_limit(size: int) -> int:
    """``max_active_calls`` for a workload of ``size`` simultaneous calls (B4 holds 2,000,
    beyond the default limit of 1,000 of both the official client and relay-sansio)."""
    return max(1000, size + 10)


async def event_flood(client: Any, make_event: Callable[[], _Event], size: int) -> dict[str, Any]:
    """B1: answer one call, then take the flood of play events until the call ends."""
    done = make_event()
    errors: list[str] = []

    async def handle(call: Any) -> None:
        try:
            await call.answer()
            await call.wait_for_ended()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            done.set()

    window = Window()
    client.on_call(handle)
    await client.connect()
    window.start()
    await client.execute("bench.start", {})
    await done.wait()
    window.stop()
    await client.disconnect()
    return {**window.result, "events": size, "errors": errors}


async def concurrency(client: Any, make_event: Callable[[], _Event], size: int) -> dict[str, Any]:
    """B2: ``size`` inbound calls at once; each answers, plays, waits, hangs up. Also B4 (the
    server then finishes the plays only once every call is playing)."""
    done = make_event()
    errors: list[str] = []
    left = [size]

    async def handle(call: Any) -> None:
        try:
            await call.answer()
            action = await call.play(MEDIA)
            await action.wait()
            await call.hangup()
            await call.wait_for_ended()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            left[0] -= 1
            if left[0] == 0:
                done.set()

    window = Window()
    client.on_call(handle)
    await client.connect()
    window.start()
    await client.execute("bench.start", {})
    await done.wait()
    window.stop()
    await client.disconnect()
    return {**window.result, "calls": size, "errors": errors}


async def round_trip(client: Any, make_event: Callable[[], _Event], size: int) -> dict[str, Any]:
    """B3: ``size`` sequential ``execute("calling.answer", ...)``; per-request latency."""
    latencies: list[float] = []
    clock = time.perf_counter
    window = Window()
    await client.connect()
    window.start()
    await client.execute("bench.start", {})
    for _ in range(size):
        began = clock()
        await client.execute("calling.answer", {"node_id": "node-1", "call_id": "call-b3"})
        latencies.append(clock() - began)
    window.stop()
    await client.disconnect()
    return {
        **window.result,
        "requests": size,
        "p50_us": percentile(latencies, 0.50) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "errors": [],
    }


WORKLOADS = {"B1": event_flood, "B2": concurrency, "B3": round_trip, "B4": concurrency}


def run_relay_anyio(backend: str, workload: str, port: int, size: int) -> dict[str, Any]:
    """Run ``workload`` with relay_anyio under ``anyio.run(backend=...)``."""
    import anyio

    from relay_anyio import RelayClient

    async def main() -> dict[str, Any]:
        client = make_client(RelayClient, f"ws://127.0.0.1:{port}", size)
        return await WORKLOADS[workload](client, anyio.Event, size)

    return anyio.run(main, backend=backend)


def run_official(workload: str, port: int, size: int) -> dict[str, Any]:
    """Run ``workload`` with the official ``signalwire.relay`` client under ``asyncio.run``.

    The official client always opens ``wss://<host>``; the benchmark server speaks plain
    ``ws://`` (TLS would add the same cost to every client and hide the differences), so the
    URL it passes to ``websockets.connect`` is rewritten. Nothing else of it is touched.
    """
    import asyncio

    import websockets
    from signalwire.relay import RelayClient

    real_connect = websockets.connect

    def plain_connect(uri: str, **kwargs: Any) -> Any:
        return real_connect(uri.replace("wss://", "ws://", 1), **kwargs)

    websockets.connect = plain_connect  # type: ignore[misc,assignment]

    async def main() -> dict[str, Any]:
        client = make_client(RelayClient, f"127.0.0.1:{port}", size)
        return await WORKLOADS[workload](client, asyncio.Event, size)

    return asyncio.run(main())
