"""``client.run()``: the blocking entry point, on asyncio and trio, stopping cleanly on SIGINT
and SIGTERM (the emulator runs in another thread, on its own event loop)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator

import anyio
import anyio.from_thread
import pytest

from relay_anyio import Call, RelayClient, RelayError
from relay_anyio.testing import RelayEmulator

SIGNALS = [signal.SIGINT] + ([signal.SIGTERM] if sys.platform != "win32" else [])


@pytest.fixture
def emulator() -> Iterator[tuple[anyio.from_thread.BlockingPortal, RelayEmulator]]:
    with anyio.from_thread.start_blocking_portal() as portal:
        emu = RelayEmulator(project="p", token="t", time_scale=0.001)
        with portal.wrap_async_context_manager(emu):
            yield portal, emu


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_run_stops_gracefully_on_a_signal(
    emulator: tuple[anyio.from_thread.BlockingPortal, RelayEmulator], backend: str, signum: int
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are only delivered to the main thread")
    portal, emu = emulator
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    finished: list[str] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        os.kill(os.getpid(), signum)  # the operator stops the worker mid-call
        greeting = await call.play_tts("We are closing, goodbye")  # still allowed to finish
        await greeting.wait()
        await call.hangup()
        finished.append(call.call_id)

    async def place_call() -> None:
        await emu.wait_for_clients(1, context="office")
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002"
        )
        await caller.wait_ended()

    future = portal.start_task_soon(place_call)
    client.run(backend=backend)  # returns once the signal's graceful stop is done
    future.result(timeout=30)
    assert len(finished) == 1
    assert not client._running
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_run_raises_relay_error_for_bad_credentials(
    emulator: tuple[anyio.from_thread.BlockingPortal, RelayEmulator], backend: str
) -> None:
    _, emu = emulator
    client = RelayClient(project="p", token="wrong", host=emu.url)
    with pytest.raises(RelayError, match="RELAY error -32002"):
        client.run(backend=backend)


class _SignalAgainOnStop(logging.Handler):
    """Sends ``signum`` to this process when the client logs that its graceful stop began."""

    def __init__(self, signum: int) -> None:
        super().__init__(logging.INFO)
        self.signum = signum

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("stopping: no new calls"):
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_second_signal_during_the_graceful_stop_cancels_at_once(
    emulator: tuple[anyio.from_thread.BlockingPortal, RelayEmulator],
    backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are only delivered to the main thread")
    portal, emu = emulator
    # Without the second signal, the stop would wait this long for the stuck handler.
    client = RelayClient(
        project="p", token="t", host=emu.url, contexts=["office"], shutdown_timeout=30.0
    )
    cancelled: list[str] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        os.kill(os.getpid(), signal.SIGINT)  # the first signal: a graceful stop begins
        try:
            await anyio.sleep_forever()  # a handler that never finishes by itself
        finally:
            cancelled.append(call.call_id)

    async def place_call() -> str:
        await emu.wait_for_clients(1, context="office")
        caller = await emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002"
        )
        return caller.call_id

    again = _SignalAgainOnStop(signal.SIGINT)
    logger = logging.getLogger("relay_anyio")
    logger.addHandler(again)
    try:
        with caplog.at_level(logging.INFO, logger="relay_anyio"):
            future = portal.start_task_soon(place_call)
            client.run(backend=backend)
    finally:
        logger.removeHandler(again)
    assert cancelled == [future.result(timeout=30)]
    assert not client._running
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("signal ") and "stopping gracefully" in m for m in messages)
    assert any(m.startswith("second signal") for m in messages)
    # Cancelled by the second signal, not by the end of shutdown_timeout.
    assert not any("still running: cancelling them" in m for m in messages)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
