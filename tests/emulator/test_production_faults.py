"""Faults a production client meets: a restart window (connections refused), connections
accepted but never answered, slow methods, disconnect storms, a socket lost mid-dial, half-open
links and a full restart losing all state; through the Python API and the command line."""

from __future__ import annotations

import sys

import anyio
import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import Request

from relay_anyio import Call, RelayClient, RelayError
from relay_anyio.testing import Persona, RelayEmulator
from relay_anyio.testing.__main__ import CommandError, run_command

from .rawclient import RawClient, connected

pytestmark = pytest.mark.anyio

PHONE = {"type": "phone", "params": {"from_number": "+15551230002", "to_number": "+15552002000"}}


def restored(emu: RelayEmulator) -> list[bool]:
    """``session_restored`` of every successful connect, in order."""
    flags = []
    for request in emu.journal.requests("signalwire.connect"):
        replies = emu.journal.replies_to(request)
        if replies and replies[0].result:
            flags.append(bool(replies[0].result.get("session_restored")))
    return flags


async def connects(emu: RelayEmulator, count: int) -> None:
    """Wait until ``count`` connects were answered successfully."""

    def check() -> bool | None:
        return True if len(restored(emu)) >= count else None

    await emu._server.wait_until(check, timeout=20, what=f"{count} connects")


async def test_refused_connections_then_accepted(emu: RelayEmulator) -> None:
    await emu.faults.refuse_connections()
    with pytest.raises(OSError):
        await anyio.connect_tcp("127.0.0.1", emu.port)
    await emu.faults.refuse_connections()  # already refusing: no-op
    await emu.faults.accept_connections()
    async with connected(emu.port) as raw:
        await raw.barrier()
    await emu.wait_for_transcript("accepting connections")
    with pytest.raises(ValueError):
        await emu.faults.refuse_connections(-1)


async def test_a_client_rides_through_a_restart_window(emu: RelayEmulator) -> None:
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    async with client:
        await emu.wait_for_clients(1, context="office")
        await emu.faults.refuse_connections(seconds=1.0)  # reopens by itself
        assert emu.faults.drop_all_now() == 1
        await connects(emu, 2)
        assert restored(emu) == [False, True]  # the same session, resumed
        await emu.wait_for_transcript("accepting connections on port")
        answered = anyio.Event()

        @client.on_call
        async def answer(call: Call) -> None:
            await call.answer()
            answered.set()

        caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
        await caller.wait_answered()


async def test_stalled_handshake(emu: RelayEmulator) -> None:
    emu.faults.stall_connections("handshake")
    stalled = await anyio.connect_tcp("127.0.0.1", emu.port)
    await stalled.send(WSConnection(ConnectionType.CLIENT).send(Request(host="h", target="/")))
    await emu.wait_for_transcript("stalling the WebSocket handshake (fault)")
    emu.faults.stall_connections(None)  # only new connections are affected
    async with connected(emu.port) as raw:
        await raw.barrier()
    await stalled.send_eof()  # we give up: everything the server ever sent arrives before EOF
    answer = b""
    with anyio.fail_after(10):
        while True:
            try:
                answer += await stalled.receive()
            except anyio.EndOfStream:
                break
    await stalled.aclose()
    assert answer == b""  # the upgrade was never answered
    assert not [e for e in emu.journal if e.conn == 1]
    with pytest.raises(ValueError):
        emu.faults.stall_connections("never")


async def test_stalled_connect(emu: RelayEmulator) -> None:
    emu.faults.stall_connections("connect")
    raw = await RawClient.open(emu.port)
    emu.faults.stall_connections(None)  # only new connections are affected
    login = await raw.start_request("signalwire.connect", {"event_acks": True})
    await emu.wait_for_transcript("leaving signalwire.connect unanswered (fault: stall)")
    await raw.barrier()  # a ping is answered, the connect never
    assert not [f for f in raw.inbox if f.get("id") == login]
    await raw.close()
    async with connected(emu.port) as fine:
        await fine.barrier()


async def test_slow_method_outlasts_the_request_timeout(emu: RelayEmulator) -> None:
    # One method slow, the rest not: the client's own timers decide.
    emu.faults.delay_method("calling.answer", 0.2)
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    answered = anyio.Event()

    @client.on_call
    async def answer(call: Call) -> None:
        await call.answer()
        answered.set()

    async with client:
        caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
        await caller.wait_answered()
        await answered.wait()
    await emu.wait_for_transcript("delaying calling.answer by 0.2 s (fault)")
    request = emu.journal.requests("calling.answer")[0]
    reply = emu.journal.replies_to(request)[0]
    assert (reply.t - request.t) * emu.time_scale >= 0.2


async def test_disconnect_storm(emu: RelayEmulator) -> None:
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    async with client:
        await emu.wait_for_clients(1, context="office")
        assert emu.faults.disconnect_storm(3) == 1
        await connects(emu, 4)
        assert emu.faults.storm_left == 0
        sent = [e for e in emu.journal if e.method == "signalwire.disconnect"]
        assert len(sent) == 3
        assert restored(emu) == [False, True, True, True]

        @client.on_call
        async def answer(call: Call) -> None:
            await call.answer()

        caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
        await caller.wait_answered()
    with pytest.raises(ValueError):
        emu.faults.disconnect_storm(0)


async def test_socket_lost_in_the_middle_of_a_dial(emu: RelayEmulator) -> None:
    emu.persona("+15552002000", Persona.answers(after=2.0))
    emu.faults.drop_during_dial()
    async with RelayClient(project="p", token="t", host=emu.url, contexts=["office"]) as client:
        call = await client.dial([[PHONE]])  # accepted, then the socket went: resumed, answered
        assert call.state == "answered"
        await emu.wait_for_transcript("dropping the socket mid-dial, after the reply (fault)")
        assert restored(emu) == [False, True]
        await call.hangup()
    with pytest.raises(ValueError):
        emu.faults.drop_during_dial(times=0)


async def test_socket_lost_before_the_dial_reply(emu: RelayEmulator) -> None:
    emu.persona("+15552002000", Persona.answers(after=2.0))
    emu.faults.drop_during_dial(before_reply=True)
    async with RelayClient(project="p", token="t", host=emu.url, contexts=["office"]) as client:
        with pytest.raises(RelayError):
            await client.dial([[PHONE]])  # the request was in flight when the socket went
        await emu.wait_for_transcript("dropping the socket mid-dial, before the reply (fault)")
        call = await client.dial([[PHONE]])  # the fault was one-shot; the client carries on
        assert call.state == "answered"


async def test_half_open_connection(emu: RelayEmulator) -> None:
    raw = await RawClient.open(emu.port)
    protocol = (await raw.login(contexts=["office"]))["result"]["protocol"]
    assert emu.faults.half_open() == 1
    ping = await raw.start_request("signalwire.ping")
    caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
    await emu.wait_for_transcript("offered to client#1")
    # The client gives up on the silent link and resumes on a new socket: the call is there.
    await raw.close()
    again = await RawClient.open(emu.port)
    assert (await again.login(contexts=["office"], protocol=protocol))["result"]["session_restored"]
    offer = await again.event("calling.call.receive")
    await again.close()
    assert offer["call_id"] == caller.call_id
    assert not [f for f in raw.inbox if f.get("id") == ping]
    assert not [e for e in emu.journal if e.conn == 1 and e.method == "signalwire.ping"]


async def test_restart_loses_every_state(emu: RelayEmulator) -> None:
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    answered: list[str] = []

    @client.on_call
    async def answer(call: Call) -> None:
        answered.append(call.call_id)
        await call.answer()

    async with client:
        first = await emu.call(context="office", from_number="+1555", to_number="+1556")
        await first.wait_answered()
        await emu.faults.restart()
        assert await first.wait_ended() == "error"
        await connects(emu, 2)
        assert restored(emu) == [False, False]  # nothing to resume: a new session
        with pytest.raises(RelayError, match="404"):  # the restarted service never heard of it
            await client.execute("calling.end", {"call_id": first.call_id, "node_id": "n"})
        second = await emu.call(context="office", from_number="+1555", to_number="+1556")
        await second.wait_answered()
    assert answered == [first.call_id, second.call_id]
    await emu.wait_for_transcript("call lost: the service restarted")


async def test_fault_commands(emu: RelayEmulator) -> None:
    assert await run_command(emu, "fault refuse") == "refusing connections (until: fault accept)"
    with pytest.raises(OSError):
        await anyio.connect_tcp("127.0.0.1", emu.port)
    assert await run_command(emu, "fault accept") == "accepting connections"
    assert await run_command(emu, "fault stall connect") == "new connections: stall connect"
    assert emu.faults.stalling == "connect"
    assert await run_command(emu, "fault stall off") == "new connections: stall off"
    assert await run_command(emu, "fault storm 2") == "disconnect storm of 2: 0 sent now"
    assert emu.faults.storm_left == 2
    assert await run_command(emu, "fault drop-dial before-reply")
    assert emu.faults.dial_drops == 1 and emu.faults.dial_drop_before_reply
    assert await run_command(emu, "fault server-pings off") == "server-pings off"
    assert emu.faults.server_pings_stopped
    assert await run_command(emu, "fault half-open") == "0 connection(s) half-open"
    restart = await run_command(emu, "fault restart")
    assert restart == f"restarted on port {emu.port}: all state lost"
    async with connected(emu.port) as raw:
        await raw.barrier()
    assert await run_command(emu, "fault reset") == "faults off"
    assert emu.faults.storm_left == 0 and emu.faults.dial_drops == 0
    for bad in ("fault storm 0", "fault stall never", "fault refuse -1", "fault nonsense"):
        with pytest.raises(CommandError):
            await run_command(emu, bad)


async def test_faults_from_the_command_line_at_start(anyio_backend: str) -> None:
    base = [sys.executable, "-m", "relay_anyio.testing", "--port", "0", "--no-input"]
    bad = await anyio.run_process([*base, "--fault", "stall never"], check=False)
    assert bad.returncode == 2 and b"--fault 'stall never'" in bad.stderr
    command = [*base, "--fault", "reject on", "--fault", "delay calling.answer 2"]
    async with await anyio.open_process(command) as process:
        assert process.stdout is not None
        output = b""
        while b"listening on" not in output:
            output += await process.stdout.receive()
        text = output.decode()
        assert "fault reject on: reject on" in text
        assert "fault delay calling.answer 2: delaying calling.answer by 2 s" in text
        port = int(text.split("ws://127.0.0.1:", 1)[1].split(" ", 1)[0])
        raw = await RawClient.open(port)
        assert "error" in await raw.login()  # credentials rejected: the fault is on
        await raw.close()
        process.terminate()
        await process.wait()
