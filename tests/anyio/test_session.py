"""The adapter's session plumbing against a scripted server over loopback sockets: connect,
authentication, requests, reconnect with resume, server disconnects, bad credentials, and the
request/dial/action waiters. Every test runs on asyncio and on trio."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from anyio.abc import ByteStream

from relay_anyio import Call, CallEndedResult, RelayClient, RelayError
from relay_proto import ClientRequest, SessionReady, TransportLost

from .scripted_server import Peer, ScriptedServer
from .support import watch

pytestmark = pytest.mark.anyio


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as srv:
        yield srv


def client_for(server: ScriptedServer, **kwargs: Any) -> RelayClient:
    kwargs.setdefault("contexts", ["office"])
    return RelayClient(project="p", token="t", host=server.url, **kwargs)


TTS = [{"type": "tts", "params": {"text": "hello"}}]


def inbound(call_id: str = "call-1", context: str = "office") -> dict[str, Any]:
    return {
        "call_id": call_id,
        "node_id": "node-1",
        "call_state": "created",
        "direction": "inbound",
        "context": context,
        "device": {"type": "phone", "params": {"from_number": "+1555", "to_number": "+1666"}},
    }


# --------------------------------------------------------------------------- connect


async def test_connect_authenticates_and_disconnect_closes(server: ScriptedServer) -> None:
    client = client_for(server)
    async with client as same:
        assert same is client
        assert client.relay_protocol == "signalwire_1"
        _, request = await server.wait_request("signalwire.connect")
        assert request.params["authentication"] == {"project": "p", "token": "t"}
        assert request.params["contexts"] == ["office"]
        assert request.params["event_acks"] is True
        assert await client.execute("signalwire.ping", {}) == {"code": "200", "message": "OK"}
    assert server.peers[0].closed or await server.wait_for(lambda: server.peers[0].closed)
    with pytest.raises(RelayError, match="not connected"):
        await client.execute("signalwire.ping", {})
    # The slot was released: the same client connects again.
    async with client:
        assert client.relay_protocol


async def test_connection_limit(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "1")
    first, second = client_for(server), client_for(server)
    async with first:
        with pytest.raises(RuntimeError, match="connection limit reached"):
            await second.connect()
        with pytest.raises(RuntimeError, match="already connected"):
            await first.connect()
    async with second:
        pass


async def test_connect_refused_raises_and_frees_everything() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()  # nothing listens on that port any more
    client = RelayClient(project="p", token="t", host=f"ws://127.0.0.1:{port}")
    with pytest.raises(OSError):
        await client.connect()
    assert not client._running
    with pytest.raises(OSError):  # and again: nothing was left behind
        await client.connect()


async def test_bad_credentials_connect_raises_at_once(server: ScriptedServer) -> None:
    client = RelayClient(project="p", token="wrong", host=server.url)
    with pytest.raises(RelayError) as info:
        await client.connect()
    assert (info.value.code, info.value.message) == (-32000, "authentication failed")
    assert server.methods() == ["signalwire.connect"]
    assert not client._running


async def test_bad_credentials_serve_gives_up_after_three(server: ScriptedServer) -> None:
    client = RelayClient(project="p", token="wrong", host=server.url)
    with pytest.raises(RelayError, match="authentication failed"):
        await client.serve()
    assert server.methods() == ["signalwire.connect"] * 3
    assert not client._running


async def test_serve_retries_an_early_failure_connect_does_not(server: ScriptedServer) -> None:
    server.refuse_next = 1
    client = client_for(server)
    with pytest.raises(RelayError, match="Connection closed before authentication"):
        await client.connect()
    assert not client._running
    server.refuse_next = 1
    ready = watch(client, SessionReady)
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.serve)
        await ready[0].wait()  # after one refused socket, backoff, and a second socket
        assert len(server.peers) == 3  # connect()'s, serve()'s refused one, the good one
        await client.stop()


async def test_requests_during_the_handshake_wait_for_auth(server: ScriptedServer) -> None:
    held: list[tuple[Peer, ClientRequest]] = []
    real_reply = server.connect_reply

    def hold(peer: Peer, request: ClientRequest) -> Any:
        held.append((peer, request))
        return None

    server.connect_reply = hold  # type: ignore[method-assign]
    client = client_for(server)
    results: list[dict[str, Any]] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.connect)
        await server.wait_for(lambda: held)

        async def request() -> None:
            results.append(await client.execute("calling.custom", {"x": 1}))

        tg.start_soon(request)
        await anyio.wait_all_tasks_blocked()
        assert server.methods() == ["signalwire.connect"]  # not sent before authentication
        peer, connect = held[0]
        reply = real_reply(peer, connect)
        assert isinstance(reply, dict)
        peer.conn.send_result(connect.request_id, reply)
        await peer.flush()
    assert results == [{"code": "200", "message": "OK"}]
    assert server.methods() == ["signalwire.connect", "calling.custom"]
    await client.disconnect()


async def test_errors_become_relay_errors(server: ScriptedServer) -> None:
    server.repliers["calling.fail"] = lambda peer, req: (-32601, "no such method")
    server.repliers["calling.refused"] = lambda peer, req: {"code": "402", "message": "Payment"}
    async with client_for(server) as client:
        with pytest.raises(RelayError) as info:
            await client.execute("calling.fail", {})
        assert str(info.value) == "RELAY error -32601: no such method"
        with pytest.raises(RelayError) as info:
            await client.execute("calling.refused", {})
        assert (info.value.code, info.value.message) == (402, "Payment")
        with pytest.raises(ValueError):
            await client.send_message(to_number="+1", from_number="+2")  # neither body nor media
        assert await client.execute("signalwire.ping", {})  # still connected


# --------------------------------------------------------------------------- reconnect


async def test_reconnect_with_resume_completes_requests_from_the_outage(
    server: ScriptedServer,
) -> None:
    handled: list[str] = []
    client = client_for(server)

    @client.on_call
    async def on_call(call: Call) -> None:
        handled.append(call.call_id)

    lost = watch(client, TransportLost)
    async with client:
        protocol = client.relay_protocol
        outage = lost[0]
        await server.drop()
        await outage.wait()
        # Issued while the socket is down: queued, then sent after re-authentication.
        result = await client.execute("calling.custom", {"during": "outage"})
        assert result == {"code": "200", "message": "OK"}
        _, reconnect = await server.wait_request("signalwire.connect", index=1)
        assert reconnect.params["protocol"] == protocol
        assert client.relay_protocol == protocol
        assert len(server.peers) == 2
        # Events of the resumed session reach the client on the new socket.
        await server.push("calling.call.receive", inbound("call-9"))
        await server.wait_for(lambda: handled)
    assert handled == ["call-9"]


async def test_server_disconnect_with_restart_starts_a_fresh_session(
    server: ScriptedServer,
) -> None:
    async with client_for(server) as client:
        first = client.relay_protocol
        await server.disconnect(restart=True)
        _, reconnect = await server.wait_request("signalwire.connect", index=1)
        assert "protocol" not in reconnect.params
        await client.execute("signalwire.ping", {})
        assert client.relay_protocol not in ("", first)
        # Without restart the session is resumed.
        second = client.relay_protocol
        await server.disconnect(restart=False)
        _, again = await server.wait_request("signalwire.connect", index=2)
        assert again.params["protocol"] == second
        await client.execute("signalwire.ping", {})
        assert client.relay_protocol == second
    disconnect_acks = [a for _, a in server.acks if a.method == "signalwire.disconnect"]
    assert len(disconnect_acks) == 2


async def test_disconnect_fails_pending_requests(server: ScriptedServer) -> None:
    server.repliers["calling.slow"] = lambda peer, req: None  # never answered
    client = client_for(server)
    await client.connect()
    errors: list[RelayError] = []
    async with anyio.create_task_group() as tg:

        async def slow() -> None:
            try:
                await client.execute("calling.slow", {})
            except RelayError as exc:
                errors.append(exc)

        tg.start_soon(slow)
        await server.wait_request("calling.slow")
        await client.disconnect()
    assert [(e.code, e.message) for e in errors] == [(-1, "Client disconnected")]


# --------------------------------------------------------------------------- calls


async def test_inbound_call_handlers_run_concurrently_and_acks_flow(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    release = anyio.Event()
    started: list[str] = []
    client = client_for(server)

    @client.on_call
    async def on_call(call: Call) -> None:
        started.append(call.call_id)
        if call.call_id == "boom":
            raise RuntimeError("handler bug")
        await release.wait()  # a slow handler
        await call.answer()

    with caplog.at_level(logging.ERROR, logger="relay_anyio"):
        async with client:
            for call_id in ("slow-1", "boom", "slow-2"):
                await server.push("calling.call.receive", inbound(call_id))
            await server.wait_for(lambda: len(started) == 3)
            # Both slow handlers are blocked, yet every event was ACKed and pings answered.
            await server.wait_for(
                lambda: sum(a.method == "signalwire.event" for _, a in server.acks) >= 3
            )
            assert await client.execute("signalwire.ping", {})
            release.set()
            await server.wait_request("calling.answer", index=1)
    answered = {
        req.params["call_id"] for _, req in server.requests if req.method == "calling.answer"
    }
    assert answered == {"slow-1", "slow-2"}
    assert "on_call handler for call boom raised" in caplog.text


async def test_dial_returns_the_leg_that_answered(server: ScriptedServer) -> None:
    async with client_for(server) as client:
        async with anyio.create_task_group() as tg:
            calls: list[Call] = []

            async def dial() -> None:
                devices = [[{"type": "phone", "params": {"to_number": "+1", "from_number": "+2"}}]]
                calls.append(await client.dial(devices, tag="tag-1"))

            tg.start_soon(dial)
            _, request = await server.wait_request("calling.dial")
            assert request.params["tag"] == "tag-1"
            leg = {"call_id": "leg-1", "node_id": "n9", "tag": "tag-1", "direction": "outbound"}
            await server.push("calling.call.state", {**leg, "call_state": "created"})
            await server.push("calling.call.state", {**leg, "call_state": "answered"})
            await server.push(
                "calling.call.dial",
                {"tag": "tag-1", "dial_state": "answered", "call": {**leg, "dial_winner": True}},
            )
        call = calls[0]
        assert (call.call_id, call.tag, call.state, call.direction) == (
            "leg-1",
            "tag-1",
            "answered",
            "outbound",
        )
        errors: list[RelayError] = []
        devices = [[{"type": "phone", "params": {"to_number": "+1", "from_number": "+2"}}]]

        async def failing_dial(tag: str, timeout: float | None) -> None:
            try:
                await client.dial(devices, tag=tag, dial_timeout=timeout)
            except RelayError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(failing_dial, "tag-2", None)
            await server.wait_request("calling.dial", lambda r: r.params["tag"] == "tag-2")
            await server.push("calling.call.dial", {"tag": "tag-2", "dial_state": "failed"})
        # No outcome within dial_timeout: a RelayError, not a hang.
        await failing_dial("tag-3", 0.2)
    assert [e.message for e in errors] == [
        "Dial failed (tag=tag-2)",
        "Dial timed out waiting for answer (tag=tag-3)",
    ]


async def test_call_gone_returns_empty_other_errors_raise(server: ScriptedServer) -> None:
    client = client_for(server)
    calls: list[Call] = []

    @client.on_call
    async def on_call(call: Call) -> None:
        calls.append(call)

    server.repliers["calling.answer"] = lambda peer, req: {"code": "410", "message": "Gone"}
    server.repliers["calling.hold"] = lambda peer, req: (404, "Call not found")
    server.repliers["calling.unhold"] = lambda peer, req: {"code": "500", "message": "Oops"}
    server.repliers["calling.transfer"] = lambda peer, req: (409, "Conflict")
    async with client:
        await server.push("calling.call.receive", inbound())
        call = (await server.wait_for(lambda: calls))[0]
        assert await call.answer() == {}
        assert await call.hold() == {}
        with pytest.raises(RelayError) as info:
            await call.unhold()
        assert (info.value.code, info.value.message) == (500, "Oops")
        with pytest.raises(RelayError, match="409"):
            await call.transfer("context:sales")


async def test_actions_complete_from_events_and_call_gone(server: ScriptedServer) -> None:
    client = client_for(server)
    calls: list[Call] = []

    @client.on_call
    async def on_call(call: Call) -> None:
        calls.append(call)

    server.repliers["calling.record"] = lambda peer, req: (404, "Call not found")
    async with client:
        await server.push("calling.call.receive", inbound())
        await server.wait_for(lambda: calls)
        call = calls[0]
        play = await call.play_tts("hello")
        _, request = await server.wait_request("calling.play")
        assert request.params["control_id"] == play.control_id
        with pytest.raises(TimeoutError):
            await play.wait(timeout=0.05)
        await server.push(
            "calling.call.play",
            {
                "call_id": "call-1",
                "node_id": "node-1",
                "control_id": play.control_id,
                "state": "finished",
            },
        )
        event = await play.wait()
        assert event.params["state"] == "finished"
        # 404 on an action start: {} semantics, the handle comes back complete.
        fired: list[Any] = []
        record = await call.record(on_completed=fired.append)
        assert record.is_done and record.result is not None and record.result.event_type == ""
        await server.wait_for(lambda: fired)


async def test_a_refused_duplicate_dial_tag_leaves_the_pending_dial_alone(
    server: ScriptedServer,
) -> None:
    devices = [[{"type": "phone", "params": {"to_number": "+1", "from_number": "+2"}}]]
    async with client_for(server) as client:
        calls: list[Call] = []

        async def first_dial() -> None:
            calls.append(await client.dial(devices, tag="tag-1"))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(first_dial)
                await server.wait_request("calling.dial")
                with pytest.raises(RelayError, match="already pending"):
                    await client.dial(devices, tag="tag-1")
                # The refused dial sent nothing and took nothing from the pending one: the
                # answer still reaches the first dial().
                leg = {"call_id": "leg-1", "node_id": "n9", "tag": "tag-1"}
                await server.push("calling.call.state", {**leg, "call_state": "answered"})
                await server.push(
                    "calling.call.dial",
                    {
                        "tag": "tag-1",
                        "dial_state": "answered",
                        "call": {**leg, "dial_winner": True},
                    },
                )
        assert [call.call_id for call in calls] == ["leg-1"]
        assert server.methods().count("calling.dial") == 1
        assert client._router.dials == {}


async def test_a_refused_duplicate_control_id_leaves_the_pending_action_alone(
    server: ScriptedServer,
) -> None:
    client = client_for(server)
    calls: list[Call] = []

    @client.on_call
    async def on_call(call: Call) -> None:
        calls.append(call)

    async with client:
        await server.push("calling.call.receive", inbound())
        call = (await server.wait_for(lambda: calls))[0]
        first = await call.play(TTS, control_id="ctl-1")
        with pytest.raises(RelayError, match="already used by a pending action"):
            await call.play(TTS, control_id="ctl-1")
        assert server.methods().count("calling.play") == 1
        assert client._router.actions == {"ctl-1": first}
        await server.push(
            "calling.call.play",
            {"call_id": "call-1", "node_id": "node-1", "control_id": "ctl-1", "state": "finished"},
        )
        with anyio.fail_after(10):
            event = await first.wait()
        assert event.params["state"] == "finished"
        # Completed, the id may be used again.
        second = await call.play(TTS, control_id="ctl-1")
        await server.push(
            "calling.call.state",
            {"call_id": "call-1", "node_id": "node-1", "call_state": "ended"},
        )
        with anyio.fail_after(10):  # the end of the call completes it (D14, D33)
            ended = await second.wait()
        assert isinstance(ended, CallEndedResult) and ended.reason == "call_ended"
        assert ended.ended_event is not None
        assert ended.ended_event.params["call_state"] == "ended"


async def test_a_writer_cancelled_mid_write_leaves_others_requests_to_be_sent(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stream path (trio's, and asyncio's when asked for): a request made while another task's
    # write is in flight leaves its bytes to that writer. The writer is cancelled then: the
    # bytes must still go out, not wait for the request's timeout.
    monkeypatch.setenv("RELAY_ANYIO_TRANSPORT", "stream")
    client = client_for(server)
    async with client:
        assert client._session is not None
        runner = client._session.runner
        assert runner._stream is not None
        real: ByteStream = runner._stream
        sent_a, go_on = anyio.Event(), anyio.Event()

        class Gated:
            """The real stream; its first write then holds its writer until ``go_on``."""

            async def send(self, data: bytes) -> None:
                await real.send(data)
                if not sent_a.is_set():
                    sent_a.set()
                    with anyio.CancelScope(shield=True):
                        await go_on.wait()

            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

        runner._stream = Gated()  # type: ignore[assignment]
        scope_a = anyio.CancelScope()
        replies: list[object] = []

        async def request_a() -> None:
            with scope_a:
                await client.execute("test.a", {})

        async def request_b() -> None:
            replies.append(await client.execute("test.b", {}))

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(request_a)
                await sent_a.wait()
                tg.start_soon(request_b)
                await anyio.wait_all_tasks_blocked()  # b's bytes wait for a's write loop
                scope_a.cancel()
                go_on.set()
        assert scope_a.cancelled_caught
        assert replies == [{"code": "200", "message": "OK"}]
        assert server.methods()[-2:] == ["test.a", "test.b"]
