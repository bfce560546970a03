"""Sessions over real sockets: a new session is never taken for a resumed one, and a request
the application gave up on while offline is never sent (issue: sessions and stale requests)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest

from relay_anyio import Call, RelayClient, SessionReplacedError
from relay_anyio.testing import RelayEmulator
from relay_proto import SessionReady, TransportLost

from .scripted_server import ScriptedServer
from .support import watch

pytestmark = pytest.mark.anyio

# Bound on every wait here, so a regression fails instead of hanging; nothing sleeps.
WAIT = 15.0
RECEIVE = {
    "call_id": "c1",
    "node_id": "n1",
    "call_state": "created",
    "context": "office",
    "direction": "inbound",
    "device": {"type": "phone", "params": {"from_number": "+1", "to_number": "+2"}},
}
MEDIA = [{"type": "tts", "params": {"text": "Please hold"}}]
# Ten minutes of silence: still playing whatever the test does meanwhile.
LONG = [{"type": "silence", "params": {"duration": 600}}]


class Handler:
    """An on_call handler that starts a play, then waits for it; records how the wait ended."""

    def __init__(self, media: list[dict[str, Any]] = MEDIA) -> None:
        self.media = media
        self.playing = anyio.Event()
        self.done = anyio.Event()
        self.call: Call | None = None
        self.error: BaseException | None = None

    async def __call__(self, call: Call) -> None:
        self.call = call
        await call.answer()
        action = await call.play(self.media)
        self.playing.set()
        try:
            await action.wait()
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.done.set()


async def test_a_restarted_server_reissuing_the_protocol_ends_the_old_calls(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with ScriptedServer() as server:
        client = RelayClient(project="p", token="t", host=server.url, contexts=["office"])
        handler = Handler()
        client.on_call(handler)
        lost, ready = watch(client, TransportLost), watch(client, SessionReady)
        with anyio.fail_after(WAIT), caplog.at_level(logging.WARNING, logger="relay_anyio"):
            async with client:
                protocol = client.relay_protocol
                await server.push("calling.call.receive", RECEIVE)
                await handler.playing.wait()
                outage, back = lost[0], ready[0]
                server.lose_sessions()
                await server.drop()
                await outage.wait()
                await back.wait()
                await handler.done.wait()
                assert client.relay_protocol == protocol  # the same string, reissued
                assert isinstance(handler.error, SessionReplacedError)
                call = handler.call
                assert call is not None and call.state == "ended"
                with pytest.raises(SessionReplacedError):
                    await call.wait_for_ended()
                # A later command for the gone call sends nothing.
                await call.hangup()
        _, reconnect = await server.wait_request("signalwire.connect", index=1)
        assert reconnect.params["protocol"] == protocol
        assert "calling.end" not in server.methods()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("was not resumed" in r.getMessage() for r in warnings)


async def test_a_handler_waiting_for_the_end_of_its_call_is_told_at_once() -> None:
    # on_call handlers see the new session: one blocked in wait_for_ended() (not in an action)
    # gets SessionReplacedError as soon as the new session is ready; the call's state is
    # "ended". Listeners registered with call.on() get no made-up event (docs/deviations.md).
    async with ScriptedServer() as server:
        client = RelayClient(project="p", token="t", host=server.url, contexts=["office"])
        waiting, done = anyio.Event(), anyio.Event()
        seen: dict[str, Any] = {}
        heard: list[Any] = []

        @client.on_call
        async def on_call(call: Call) -> None:
            seen["call"] = call
            call.on("calling.call.state", heard.append)
            await call.answer()
            waiting.set()
            try:
                seen["ended"] = await call.wait_for_ended()
            except BaseException as exc:
                seen["error"] = exc
                raise
            finally:
                done.set()

        ready = watch(client, SessionReady)
        with anyio.fail_after(WAIT):
            async with client:
                await server.push("calling.call.receive", RECEIVE)
                await waiting.wait()
                back = ready[0]
                server.lose_sessions()
                await server.drop()
                await back.wait()
                await done.wait()
                assert isinstance(seen.get("error"), SessionReplacedError), seen
                assert seen["call"].state == "ended"
                assert heard == []


async def test_a_resumed_session_keeps_the_calls() -> None:
    async with ScriptedServer() as server:
        client = RelayClient(project="p", token="t", host=server.url, contexts=["office"])
        handler = Handler()
        client.on_call(handler)
        lost, ready = watch(client, TransportLost), watch(client, SessionReady)
        with anyio.fail_after(WAIT):
            async with client:
                await server.push("calling.call.receive", RECEIVE)
                await handler.playing.wait()
                outage, back = lost[0], ready[0]
                await server.drop()
                await outage.wait()
                await back.wait()
                _, play = await server.wait_request("calling.play")
                await server.push(
                    "calling.call.play",
                    {"call_id": "c1", "control_id": play.params["control_id"], "state": "finished"},
                    event_id="evt-play",  # the new connection numbers its events afresh
                )
                await handler.done.wait()
                assert handler.error is None


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


async def test_an_emulator_restart_that_loses_its_state_ends_the_old_calls() -> None:
    handler = Handler(LONG)
    with anyio.fail_after(WAIT):
        async with RelayEmulator(project="p", token="t") as first:
            client = RelayClient(project="p", token="t", host=first.url, contexts=["office"])
            client.on_call(handler)
            ready = watch(client, SessionReady)
            await client.connect()
            port = _port(first.url)
            await first.call(context="office", from_number="+15550001", to_number="+15550002")
            await handler.playing.wait()
            back = ready[0]
        # The first emulator is gone with everything it knew; a new one takes its port.
        try:
            async with RelayEmulator(project="p", token="t", port=port):
                await back.wait()
                await handler.done.wait()
                assert isinstance(handler.error, SessionReplacedError)
                assert handler.call is not None and handler.call.state == "ended"
        finally:
            await client.disconnect()


async def test_a_request_cancelled_while_queued_offline_is_never_sent() -> None:
    async with ScriptedServer() as server:
        client = RelayClient(project="p", token="t", host=server.url, contexts=["office"])
        calls: list[Call] = []
        got = anyio.Event()

        @client.on_call
        async def on_call(call: Call) -> None:
            calls.append(call)
            got.set()

        lost, ready = watch(client, TransportLost), watch(client, SessionReady)
        with anyio.fail_after(WAIT):
            async with client:
                await server.push("calling.call.receive", RECEIVE)
                await got.wait()
                call = calls[0]
                outage, back = lost[0], ready[0]
                server.refuse_next = 10**6  # stay offline until the test says so
                await server.drop()
                await outage.wait()
                queued = anyio.Event()
                started: list[Any] = []

                async def play() -> None:
                    with anyio.CancelScope() as scope:
                        started.append(scope)
                        queued.set()
                        await call.play(MEDIA)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(play)
                    await queued.wait()
                    while not client._router.requests:
                        await anyio.lowlevel.checkpoint()
                    started[0].cancel()  # the application gives up on the prompt
                # And one whose own timeout passes while it waits offline.
                with anyio.move_on_after(0):
                    await call.play(MEDIA)
                server.refuse_next = 0
                await back.wait()
                await client.execute("x.marker", {})
        methods = server.methods()
        assert "x.marker" in methods
        assert "calling.play" not in methods


async def test_a_half_open_link_is_found_by_the_server_ping_watchdog() -> None:
    # The emulator pings every 50 ms; once it goes silent (socket open, nothing sent), the
    # client gives the link up after its dead_link_timeout and resumes on a new one.
    async with RelayEmulator(project="p", token="t", ping_interval=0.05) as emu:
        client = RelayClient(project="p", token="t", host=emu.url, dead_link_timeout=0.5)
        lost, ready = watch(client, TransportLost), watch(client, SessionReady)
        reasons: list[str] = []
        client._event_hooks.append(
            lambda e: reasons.append(e.reason) if isinstance(e, TransportLost) else None
        )
        with anyio.fail_after(WAIT):
            async with client:
                ping = await emu._server.wait_until(
                    lambda: next(
                        (
                            e
                            for e in emu.journal
                            if e.direction == "out" and e.method == "signalwire.ping"
                        ),
                        None,
                    ),
                    timeout=WAIT,
                    what="a server ping",
                )
                await emu.wait_for_reply(ping)  # the client has seen a server ping
                outage, back = lost[0], ready[0]
                assert emu.faults.half_open() == 1
                await outage.wait()
                await back.wait()
                assert reasons == ["dead link: nothing from the server for 0.5 s"]
                assert await client.execute("signalwire.receive", {"contexts": ["x"]})
        connects = emu.journal.requests("signalwire.connect")
        assert len(connects) == 2 and "protocol" in connects[1].params


async def test_dead_link_timeout_is_validated() -> None:
    with pytest.raises(ValueError, match="dead_link_timeout"):
        RelayClient(project="p", token="t", dead_link_timeout=0)
