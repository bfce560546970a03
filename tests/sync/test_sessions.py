"""relay_sync over real sockets: a new session is never taken for a resumed one (the emulator
restarts and loses its state), and every wait of the old session settles at once."""

from __future__ import annotations

import functools
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import anyio.from_thread
import pytest

import relay_sync._session
from relay_anyio.testing import RelayEmulator
from relay_sync import Call, RelayClient, SessionReplacedError
from relay_sync._primitives import Waiter

from .conftest import LogWatch
from .helpers import CALLER, LINE, PROJECT, TOKEN, WAIT, tts

LONG = [{"type": "silence", "params": {"duration": 600}}]


@pytest.mark.parametrize("blocked_in", ["action.wait", "wait_for_ended"])
def test_an_emulator_restart_that_loses_its_state_ends_the_old_calls(
    relay_log: LogWatch, blocked_in: str
) -> None:
    # The handler is blocked in an action's wait, or in wait_for_ended() (on_call handlers
    # see the new session either way). Listeners registered with call.on() get no made-up
    # event (docs/deviations.md).
    playing, done = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}
    heard: list[Any] = []

    def handle(call: Call) -> None:
        seen["call"] = call
        call.on("calling.call.state", heard.append)
        call.answer()
        action = call.play(LONG)
        playing.set()
        try:
            if blocked_in == "action.wait":
                action.wait()
            else:
                call.wait_for_ended()
        except BaseException as exc:
            seen["error"] = exc
        finally:
            done.set()

    make = functools.partial(RelayEmulator, project=PROJECT, token=TOKEN)
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        first = portal.call(make)
        with portal.wrap_async_context_manager(first):
            url = portal.call(getattr, first, "url")
            client = RelayClient(project=PROJECT, token=TOKEN, host=url, contexts=["office"])
            client.on_call(handle)
            client.connect()
            portal.call(
                functools.partial(first.call, context="office", from_number=CALLER, to_number=LINE)
            )
            assert playing.wait(WAIT)
        port = urlsplit(url).port
        second = portal.call(functools.partial(make, port=port))
        try:
            with portal.wrap_async_context_manager(second):
                assert done.wait(WAIT)
                assert isinstance(seen.get("error"), SessionReplacedError)
                assert seen["call"].state == "ended"
                assert [e for e in heard if e.params.get("call_state") == "ended"] == []
                relay_log.wait_for("was not resumed")
        finally:
            client.disconnect()
    warnings = [r for r in relay_log.records if r.levelno == logging.WARNING]
    assert any("was not resumed" in r.getMessage() for r in warnings)


def test_a_half_open_link_is_found_by_the_server_ping_watchdog(relay_log: LogWatch) -> None:
    # The emulator pings every 50 ms; once it goes silent (socket open, nothing sent), the
    # client gives the link up after its dead_link_timeout and resumes on a new one.
    frames = LogWatch()
    frame_logger = logging.getLogger("relay_sync.frames")
    frame_logger.addHandler(frames)
    frame_logger.setLevel(logging.DEBUG)
    make = functools.partial(RelayEmulator, project=PROJECT, token=TOKEN, ping_interval=0.05)
    try:
        with anyio.from_thread.start_blocking_portal("asyncio") as portal:
            emu = portal.call(make)
            with portal.wrap_async_context_manager(emu):
                url = portal.call(getattr, emu, "url")
                client = RelayClient(project=PROJECT, token=TOKEN, host=url, dead_link_timeout=0.5)
                client.connect()
                try:
                    frames.wait_for('"method":"signalwire.ping"')  # a server ping arrived
                    assert portal.call(emu.faults.half_open) == 1
                    relay_log.wait_for("dead link: nothing from the server for 0.5 s")
                    relay_log.wait_for("resumed")
                    result = client.execute("signalwire.receive", {"contexts": ["x"]})
                    assert result["code"] == "200"
                finally:
                    client.disconnect()
    finally:
        frame_logger.removeHandler(frames)
        frame_logger.setLevel(logging.NOTSET)


class _CtrlCWhileBlocked(Waiter[Any]):
    """A request's waiter with Ctrl+C pressed as the thread goes to sleep on it: SIGINT is
    raised in the waiting (main) thread and Python's own handler turns it into
    KeyboardInterrupt there, as when the user of a blocking program gives up."""

    __slots__ = ()

    def _sleep(self, timeout: float | None) -> None:
        signal.raise_signal(signal.SIGINT)
        super()._sleep(timeout)


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt in the main thread (Python's default handler)."""
    assert threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_request_given_up_while_queued_offline_is_never_sent(
    emulator: Any,
    make_client: Any,
    relay_log: LogWatch,
    ctrl_c_raises: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client: RelayClient = make_client()
    answered, release = threading.Event(), threading.Event()
    calls: list[Call] = []

    @client.on_call
    def handle(call: Call) -> None:
        call.answer()
        calls.append(call)
        answered.set()
        release.wait(WAIT)

    client.connect()
    try:
        emulator.call(context="office", from_number=CALLER, to_number=LINE)
        assert answered.wait(WAIT)
        emulator.faults.refuse_connections()  # down until the test says otherwise
        assert emulator.faults.drop_all_now() == 1
        relay_log.wait_for("RELAY connection lost")
        # The play is queued offline; Ctrl+C lands while the program waits for its answer (the
        # command's waiter is the one made while the patch is in place).
        with monkeypatch.context() as patch:
            patch.setattr(relay_sync._session, "Waiter", _CtrlCWhileBlocked)
            with pytest.raises(KeyboardInterrupt):
                calls[0].play([tts("A prompt nobody waits for any more")])
        emulator.faults.accept_connections()
        relay_log.wait_for("resumed")
        # Requests go out in order: once this one is answered, the queue was flushed.
        assert client.execute("signalwire.receive", {"contexts": ["marker"]})["code"] == "200"
        assert len(emulator.journal.requests("signalwire.connect")) == 2
        assert emulator.journal.requests("calling.play") == []
    finally:
        release.set()
