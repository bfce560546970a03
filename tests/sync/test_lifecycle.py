"""Lifecycle of the blocking client: serve/stop from other threads and from handlers, the
graceful stop's bounds, the handler pool's size, configuration errors and the frame trace."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from typing import Any

import anyio.from_thread
import pytest

from relay_anyio.testing import RelayEmulator
from relay_sync import Call, RelayClient, RelayError

from .conftest import LogWatch
from .helpers import CALLER, LINE, PROJECT, TOKEN, WAIT, Outcome


class ServeThread:
    """``client.serve()`` on a thread; remembers what it raised."""

    def __init__(self, client: RelayClient) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(client,))
        self.thread.start()

    def _run(self, client: RelayClient) -> None:
        try:
            client.serve()
        except BaseException as exc:
            self.error = exc

    def join(self) -> None:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "serve() did not return"
        if self.error is not None:
            raise self.error


@pytest.fixture
def frames() -> Iterator[LogWatch]:
    watch = LogWatch()
    logger = logging.getLogger("relay_sync.frames")
    logger.addHandler(watch)
    logger.setLevel(logging.DEBUG)
    yield watch
    logger.removeHandler(watch)
    logger.setLevel(logging.NOTSET)


def test_stop_from_another_thread_lets_handlers_finish(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    answered, proceed = threading.Event(), threading.Event()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> str:
        call.answer()
        answered.set()
        assert proceed.wait(WAIT)
        call.play_tts("Goodbye").wait(timeout=WAIT)  # still possible while stopping
        call.hangup()
        return "done"

    server = ServeThread(client)
    emulator.wait_for_clients(1, context="office")
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert answered.wait(WAIT)
    stopper = threading.Thread(target=client.stop)
    stopper.start()
    relay_log.wait_for("stopping: no new calls")
    emulator.wait_for_request("signalwire.unreceive")
    proceed.set()
    stopper.join(WAIT)
    server.join()
    assert outcome.wait() == ["done"]
    assert caller.wait_ended() == "hangup"
    assert caller.heard == ["Goodbye"]


def test_calls_arriving_while_stopping_are_passed_back(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()
    answered, proceed = threading.Event(), threading.Event()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        call.answer()
        answered.set()
        assert proceed.wait(WAIT)
        call.hangup()

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert answered.wait(WAIT)
    # The server never confirms the unreceive (the stop gives up on it after 2 s), so it keeps
    # offering calls to this client meanwhile: those must go back.
    emulator.faults.ignore_method("signalwire.unreceive")
    stopper = threading.Thread(target=client.stop)
    stopper.start()
    relay_log.wait_for("stopping: no new calls")
    emulator.wait_for_request("signalwire.unreceive")
    late = emulator.call(context="office", from_number=CALLER, to_number=LINE).call_id
    # (The predicate runs on the emulator's loop: it must not use the blocking proxies.)
    emulator.wait_for_request("calling.pass", lambda params: params["call_id"] == late)
    proceed.set()
    stopper.join(WAIT)
    assert not stopper.is_alive()
    outcome.wait()


def test_stop_does_not_wait_longer_than_shutdown_timeout(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client(shutdown_timeout=0.05)
    outcome = Outcome()
    answered, never = threading.Event(), threading.Event()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        call.answer()
        answered.set()
        never.wait(WAIT)  # a handler that does not finish in time
        call.hangup()  # the client is gone by then

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert answered.wait(WAIT)
    client.stop()  # returns after the 0.05 s bound, disconnected
    never.set()
    with pytest.raises(RelayError, match="not connected"):
        outcome.wait()


def test_stop_from_a_handler_returns_at_once(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> str:
        call.answer()
        client.stop()  # would wait for this very handler if it did not return at once
        call.hangup()
        return "stopped"

    server = ServeThread(client)
    emulator.wait_for_clients(1, context="office")
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert outcome.wait() == ["stopped"]
    server.join()


def test_serve_on_a_connected_client_waits_for_the_stop(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    client.connect()
    with pytest.raises(RuntimeError, match="already connected"):
        client.connect()
    server = ServeThread(client)
    client.disconnect()
    server.join()


def test_one_connection_per_process_by_default(emulator: Any, make_client: Any) -> None:
    first, second = make_client(), make_client()
    first.connect()
    with pytest.raises(RuntimeError, match="RELAY_MAX_CONNECTIONS"):
        second.connect()
    first.disconnect()
    second.connect()


def test_max_workers_bounds_concurrent_handlers(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client(max_workers=2)
    outcome = Outcome(expected=5)
    lock = threading.Lock()
    running = [0, 0]  # now, most at once

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        try:
            call.answer()
            call.play_tts("one moment please").wait(timeout=WAIT)
            call.hangup()
        finally:
            with lock:
                running[0] -= 1

    client.connect()
    for _ in range(5):
        emulator.call(context="office", from_number=CALLER, to_number=LINE)
    outcome.wait()
    assert running[1] <= 2
    assert len(outcome.threads) <= 2


def test_max_workers_never_exceeds_max_active_calls(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def workers(**kwargs: Any) -> int:
        return RelayClient(project=PROJECT, token=TOKEN, **kwargs)._max_workers

    assert workers(max_active_calls=3) == 3  # the default: one per call
    assert workers(max_active_calls=3, max_workers=2) == 2  # smaller: taken as given
    assert workers(max_active_calls=3, max_workers=50) == 3  # larger: capped
    monkeypatch.setenv("RELAY_MAX_ACTIVE_CALLS", "4")
    assert workers(max_workers=10) == 4
    # The pools of a running session have that size.
    client: RelayClient = make_client(max_active_calls=2, max_workers=64)
    client.connect()
    assert client._pool is not None and client._pool._max_workers == 2
    assert client._callbacks is not None and client._callbacks._pool._max_workers == 2


def test_no_client_thread_survives_disconnect(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> None:
        call.on("calling.call.state", lambda event: None)
        call.answer()
        call.hangup()

    client.connect()
    emulator.call(context="office", from_number=CALLER, to_number=LINE)
    outcome.wait()
    client.disconnect()
    for thread in threading.enumerate():
        if thread.name.startswith("relay-sync"):
            thread.join(WAIT)
            assert not thread.is_alive(), thread.name


def test_configuration_errors() -> None:
    with pytest.raises(ValueError, match="path"):
        RelayClient(project=PROJECT, token=TOKEN, host="example.signalwire.com/x")
    with pytest.raises(ValueError, match="max_workers"):
        RelayClient(project=PROJECT, token=TOKEN, max_workers=0)
    with pytest.raises(ValueError, match="shutdown_timeout"):
        RelayClient(project=PROJECT, token=TOKEN, shutdown_timeout=-1)
    client = RelayClient(project=PROJECT, token=TOKEN)
    with pytest.raises(TypeError, match="async def"):

        @client.on_call
        async def handler(call: Call) -> None:
            pass

    with pytest.raises(TypeError, match="callable"):
        client.on_message(42)  # type: ignore[type-var]
    with pytest.raises(RelayError, match="not connected"):
        client.execute("signalwire.receive", {"contexts": ["x"]})


def test_frame_trace_masks_credentials(emulator: Any, make_client: Any, frames: LogWatch) -> None:
    client: RelayClient = make_client()
    client.connect()
    client.execute("signalwire.receive", {"contexts": ["sales"]})
    client.disconnect()
    text = "\n".join(frames.messages())
    assert ">> " in text and "<< " in text
    assert "signalwire.connect" in text and "signalwire.receive" in text
    assert TOKEN not in text
    assert PROJECT not in text
    assert '"token": "***"' in text or '"token":"***"' in text


def test_a_crashed_reader_ends_the_session_with_its_error(
    emulator: Any, make_client: Any, relay_log: LogWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    client: RelayClient = make_client()
    server = ServeThread(client)
    emulator.wait_for_clients(1)
    conn = client._conn
    assert conn is not None

    def broken(data: bytes | None, now: float) -> None:
        raise RuntimeError("core bug")

    monkeypatch.setattr(conn, "receive_data", broken)
    emulator.send_sms(context="office", from_number=CALLER, to_number=LINE, body="poke")
    with pytest.raises(RuntimeError, match="core bug"):
        server.join()
    relay_log.wait_for("relay-sync-reader died")
    with pytest.raises(RelayError, match="not connected"):
        client.execute("signalwire.receive", {"contexts": ["x"]})


def test_run_outside_the_main_thread_returns_after_stop(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    runner = threading.Thread(target=client.run)  # no signal handling off the main thread
    runner.start()
    emulator.wait_for_clients(1)
    client.stop()
    runner.join(WAIT)
    assert not runner.is_alive()


def test_run_on_a_connected_client_waits_for_its_session(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    client.connect()
    runner = threading.Thread(target=client.run)
    runner.start()
    emulator.wait_for_clients(1)
    client.disconnect()
    runner.join(WAIT)
    assert not runner.is_alive()
    assert len(emulator.journal.requests("signalwire.connect")) == 1


def test_frame_trace_masks_values_not_letters(frames: LogWatch) -> None:
    # A short project and token ("me") must not turn every "me" of every frame into ***.
    make = functools.partial(RelayEmulator, project="me", token="me")
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        emu = portal.call(make)
        with portal.wrap_async_context_manager(emu):
            url = portal.call(getattr, emu, "url")
            client = RelayClient(project="me", token="me", host=url)
            client.connect()
            try:
                client.execute("signalwire.receive", {"contexts": ["some-media"]})
            finally:
                client.disconnect()
    text = "\n".join(frames.messages())
    assert '"method":"signalwire.connect"' in text and '"method":"signalwire.receive"' in text
    assert '"authentication":{"project":"***","token":"***"}' in text
    assert "***thod" not in text and "some-media" in text
