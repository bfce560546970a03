"""Numbers routed to contexts: RELAY programs calling and texting each other."""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

from relay_anyio import Call, Message, RelayClient, RelayError
from relay_anyio.testing import Persona, RelayEmulator
from relay_anyio.testing.__main__ import CommandError, main, parse_route, run_command

from .rawclient import RawClient
from .test_plugin_cli import ROOT, read_until

pytestmark = pytest.mark.anyio

DESK = "+15557770001"


@pytest.fixture(autouse=True)
def several_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several RelayClients in one process (the default allows one, as the official SDK)."""
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "5")


def phone(to_number: str, from_number: str = "+15551230002") -> dict[str, Any]:
    return {"type": "phone", "params": {"from_number": from_number, "to_number": to_number}}


def client(emu: RelayEmulator, *contexts: str) -> RelayClient:
    return RelayClient(project="p", token="t", host=emu.url, contexts=list(contexts))


async def test_two_clients_call_each_other(emu: RelayEmulator) -> None:
    emu.route(DESK, "desk")
    alice, bob = client(emu, "office"), client(emu, "desk")
    got: dict[str, Any] = {}
    inbound: list[str] = []
    done = anyio.Event()

    @bob.on_call
    async def desk(call: Call) -> None:
        got["from"] = call.device["params"]["from_number"]
        inbound.append(call.call_id)
        await call.answer()
        keys = await call.collect(digits={"max": 2}, initial_timeout=5, start_input_timers=True)
        got["digits"] = (await keys.wait()).params["result"]["params"]["digits"]
        await (await call.play_tts("Thanks Alice")).wait()
        await call.hangup()
        done.set()

    async with alice, bob:
        await emu.wait_for_clients(2)
        call = await alice.dial([[phone(DESK)]])
        await call.send_digits("42")
        ended = await call.wait_for_ended(timeout=10)
        with anyio.fail_after(10):
            await done.wait()
    assert got == {"from": "+15551230002", "digits": "42"}
    assert ended.params["end_reason"] == "hangup"
    # Each leg's remote party is the other side: Alice is the party of Bob's leg.
    assert emu.party(inbound[0]).heard == ["Thanks Alice"]
    assert emu.party(inbound[0]).number == "+15551230002"
    offer = emu.journal.events("calling.call.receive")[0].event_params
    assert offer["context"] == "desk"
    assert offer["device"]["params"]["to_number"] == DESK
    text = emu.transcript_text()
    assert f"{DESK} is routed to context 'desk'" in text and "answered by client#2" in text
    emu.assert_no_violations()


async def test_an_sms_reaches_the_routed_context(emu: RelayEmulator) -> None:
    emu.route(DESK, "desk")
    alice, bob = client(emu, "office"), client(emu, "desk")
    received: list[Message] = []
    arrived = anyio.Event()

    @bob.on_message
    async def inbox(message: Message) -> None:
        received.append(message)
        arrived.set()

    async with alice, bob:
        await emu.wait_for_clients(2)
        sent = await alice.send_message(
            from_number="+15551230002", to_number=DESK, body="Are you there?"
        )
        await sent.wait()
        with anyio.fail_after(10):
            await arrived.wait()
    assert sent.state == "delivered"
    [message] = received
    assert (message.from_number, message.to_number, message.body) == (
        "+15551230002",
        DESK,
        "Are you there?",
    )
    assert message.context == "desk"


async def test_calls_are_spread_and_a_passed_call_goes_to_another(emu: RelayEmulator) -> None:
    emu.route(DESK, "desk")
    alice = client(emu, "office")
    workers = [client(emu, "desk") for _ in range(2)]
    answered_by: list[int] = []

    def register(index: int, worker: RelayClient) -> None:
        @worker.on_call
        async def handle(call: Call) -> None:
            if call.device["params"]["from_number"] == "+15550000001" and index == 0:
                await call.pass_()  # the first worker hands this one back
                return
            answered_by.append(index)
            await call.answer()

    for index, worker in enumerate(workers):
        register(index, worker)
    async with alice, workers[0], workers[1]:
        await emu.wait_for_clients(3)
        first = await alice.dial([[phone(DESK, "+15550000002")]])
        second = await alice.dial([[phone(DESK, "+15550000003")]])
        passed = await alice.dial([[phone(DESK, "+15550000001")]])
        for call in (first, second, passed):
            await call.hangup()
    assert answered_by[:2] == [0, 1]  # round robin
    assert answered_by[2] == 1  # worker 0 passed it: worker 1 took it
    assert "passed by client#2" in emu.transcript_text()


async def test_a_rejected_routed_call_fails_the_dial(emu: RelayEmulator) -> None:
    emu.route(DESK, "desk")
    alice, bob = client(emu, "office"), client(emu, "desk")

    @bob.on_call
    async def busy(call: Call) -> None:
        await call.hangup("busy")

    async with alice, bob:
        await emu.wait_for_clients(2)
        with pytest.raises(RelayError, match="Dial failed"):
            await alice.dial([[phone(DESK)]])
    legs = [
        e.event_params
        for e in emu.journal.events("calling.call.state")
        if e.event_params.get("tag") and e.event_params["call_state"] == "ended"
    ]
    assert legs[0]["end_reason"] == "busy"


async def test_nobody_answers_a_routed_number(emu: RelayEmulator) -> None:
    emu.route(DESK, "nobody-listens")
    async with client(emu, "office") as alice:
        device = {"type": "phone", "params": {**phone(DESK)["params"], "timeout": 5}}
        with pytest.raises(RelayError, match="Dial failed"):
            await alice.dial([[device]])
    text = emu.transcript_text()
    assert "waiting for a client on context 'nobody-listens'" in text
    assert f"{DESK} did not answer" in text and "stopped ringing" in text


async def test_connect_and_transfer_to_routed_numbers(emu: RelayEmulator) -> None:
    emu.route(DESK, "desk")
    emu.route("+15557770002", "backoffice")
    emu.persona("+15559990000", Persona.answers(after=2.0))
    office, desk, back = client(emu, "office"), client(emu, "desk"), client(emu, "backoffice")

    @office.on_call
    async def reception(call: Call) -> None:
        await call.answer()
        await call.connect([[phone(DESK)]])

    @desk.on_call
    async def agent(call: Call) -> None:
        await call.answer()
        await call.transfer("+15557770002")

    @back.on_call
    async def back_office(call: Call) -> None:
        await call.answer()
        await call.transfer("+15559990000")  # a number with a persona: the switch rings it

    async with office, desk, back:
        await emu.wait_for_clients(3)
        caller = await emu.call(context="office", from_number="+15551230001", to_number=DESK)
        assert await caller.wait_connected() == DESK
        await emu.wait_for_transcript("offered to client#3")  # the back office got it
        callee = await emu.wait_for_call_to("+15559990000")
        await callee.wait_answered()
        await caller.hangup()
        assert await callee.wait_ended() == "hangup"
    text = emu.transcript_text()
    assert "transferred to +15557770002" in text and "transferred to +15559990000" in text
    assert "connected to +15559990000" in text
    emu.assert_no_violations()


async def test_route_api_and_cli(emu: RelayEmulator) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        emu.route("5551234", "office")
    with pytest.raises(ValueError, match="context"):
        emu.route(DESK, " ")
    assert await run_command(emu, f"route {DESK} desk") == f"{DESK} routes to context 'desk'"
    assert emu.routes == {DESK: "desk"}
    assert await run_command(emu, f"unroute {DESK}") == f"{DESK} is no longer routed"
    assert emu.routes == {}
    with pytest.raises(CommandError, match=r"E\.164"):
        await run_command(emu, "route 12 desk")
    assert await run_command(emu, "unreachable wss://x.test/s gone away") == (
        "media forks to wss://x.test/s fail (gone away)"
    )
    assert await run_command(emu, "queue-wait support 60") == "queue 'support': 60 s"
    assert await run_command(emu, "queue-wait support off") == "queue 'support': no limit"
    for bad in ("queue-wait support -1", "queue-wait support", "unreachable"):
        with pytest.raises(CommandError):
            await run_command(emu, bad)
    assert parse_route(f"{DESK}=desk") == (DESK, "desk")
    with pytest.raises(CommandError, match="NUMBER=CONTEXT"):
        parse_route(DESK)


def test_bad_route_flag() -> None:
    assert main(["--route", "+1555=x"]) == 2


@pytest.mark.relay_emulator(routes={DESK: "desk"})
async def test_fixture_marker_routes(relay_emulator: RelayEmulator) -> None:
    assert relay_emulator.routes == {DESK: "desk"}
    with pytest.raises(ValueError):
        RelayEmulator(routes={"nope": "desk"})


async def test_clients_in_two_processes_call_each_other(anyio_backend: str) -> None:
    command = [
        sys.executable, "-m", "relay_anyio.testing", "--port", "0", "--time-scale", "0.001",
        "--backend", anyio_backend, "--route", f"{DESK}=desk", "--interactive",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process: Process = await anyio.open_process(command, env=env)
    assert process.stdout is not None and process.stdin is not None
    out, buffer = TextReceiveStream(process.stdout), [""]
    try:
        first = await read_until(out, buffer, "listening on")
        port = int(first.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
        alice, bob = await RawClient.open(port), await RawClient.open(port)
        await alice.login(contexts=["office"])
        await bob.login(contexts=["desk"])
        await alice.result("calling.dial", {"tag": "t1", "devices": [[phone(DESK)]]})
        offer = await bob.event("calling.call.receive")
        assert offer["context"] == "desk"
        await bob.call("calling.answer", offer)
        outcome = await alice.event("calling.call.dial", lambda p: p["dial_state"] != "dialing")
        assert outcome["dial_state"] == "answered"
        await process.stdin.send(b"quit\n")
        with anyio.fail_after(10):
            assert await process.wait() == 0
        await alice.close()
        await bob.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
