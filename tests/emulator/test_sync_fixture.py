"""The ``relay_emulator_sync`` fixture and ``ThreadedEmulator``: the emulator for blocking code."""

from __future__ import annotations

import functools

import pytest

import relay_sync
from relay_anyio.testing import (
    ClientInfo,
    JournalEntry,
    Persona,
    Press,
    RelayEmulator,
    ThreadedEmulator,
)

WAIT = 15.0  # real seconds, only a bound on a wait that ends sooner
MENU = [{"type": "tts", "params": {"text": "Press 1 for sales"}}]


def make_ivr(client: relay_sync.RelayClient, chosen: list[str]) -> None:
    @client.on_call
    def ivr(call: relay_sync.Call) -> None:
        call.answer()
        menu = call.play_and_collect(MENU, {"digits": {"max": 1}, "initial_timeout": 5})
        result = menu.wait().params["result"]
        chosen.append(result["params"].get("digits", ""))
        call.hangup()


def test_fixture_scripts_a_relay_sync_ivr(
    relay_emulator_sync: ThreadedEmulator, anyio_backend: str
) -> None:
    emu = relay_emulator_sync
    assert repr(emu) == f"ThreadedEmulator({anyio_backend}, running)"
    chosen: list[str] = []
    client = relay_sync.RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    make_ivr(client, chosen)
    with client:
        [worker] = emu.wait_for_clients(1, context="office")  # an async method, blocking here
        assert isinstance(worker, ClientInfo)
        caller = emu.call(
            context="office", from_number="+15551230001", to_number="+15551230002",
            script=[Press("1")],
        )  # fmt: skip
        assert caller.wait_ended() == "hangup"
        assert caller.heard == ["Press 1 for sales"]
        answer = emu.wait_for_request("calling.answer")
        assert isinstance(answer, JournalEntry) and answer.params["call_id"] == caller.call_id
    assert chosen == ["1"]
    entries = list(emu.journal)  # iterating a blocking view: a snapshot from the emulator
    assert entries and all(isinstance(e, JournalEntry) for e in entries)
    assert "caller pressed 1" in caller.transcript(compact=True)
    emu.assert_no_violations()


@pytest.mark.relay_emulator(project="p", token="t", time_scale=0.01)
def test_marker_options_faults_and_personas(relay_emulator_sync: ThreadedEmulator) -> None:
    emu = relay_emulator_sync
    assert emu.time_scale == 0.01
    emu.persona("+15559990000", Persona.busy())
    busy = {"type": "phone", "params": {"from_number": "+15551230002", "to_number": "+15559990000"}}
    with relay_sync.RelayClient(project="p", token="t", host=emu.url) as client:
        with pytest.raises(relay_sync.RelayError, match="Dial failed"):
            client.dial([[busy]])
        assert emu.faults.drop_all_now() == 1  # a fault, through the same blocking view
        resume = emu.wait_for_request("signalwire.connect", lambda p: "protocol" in p)
        assert emu.wait_for_reply(resume).result["session_restored"] is True
    assert "+15559990000 was busy" in emu.transcript_text()


def test_threaded_emulator_outside_pytest(anyio_backend: str) -> None:
    emulator = ThreadedEmulator(backend=anyio_backend, time_scale=0.001)
    with pytest.raises(AttributeError, match="not running"):
        _ = emulator.url
    with emulator as emu:
        assert isinstance(emu.emulator, RelayEmulator)
        with pytest.raises(RuntimeError, match="already running"):
            emu.start()
        emu.set_default_persona(Persona.answers(after=1.0))
        caller = emu.call(context="nobody", from_number="+15551230001", to_number="+15551230002")
        line = emu.wait_for_transcript("waiting for a client")
        assert caller.call_id in line and caller.state == "created"
        with pytest.raises(TimeoutError):  # EmulatorTimeout, raised in the caller's thread
            caller.wait_answered(timeout=0.01)
    assert repr(emu) == f"ThreadedEmulator({anyio_backend}, stopped)"
    assert "incoming call" in emu.transcript_text()  # readable after the loop is gone
    emu.close()  # idempotent


def test_start_soon_runs_scripting_on_the_loop_until_close(anyio_backend: str) -> None:
    emulator = ThreadedEmulator(backend=anyio_backend, project="p", token="t", time_scale=0.001)
    with pytest.raises(RuntimeError, match="not running"):
        emulator.start_soon(RelayEmulator.wait_for_clients)
    with emulator as emu:
        raw = emu.emulator
        # Waits for a client in the emulator's thread while this one connects it.
        clients = emu.start_soon(functools.partial(raw.wait_for_clients, context="office"))
        never = emu.start_soon(functools.partial(raw.wait_for_clients, 2, timeout=None))
        client = relay_sync.RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
        with client:
            (info,) = clients.result(timeout=WAIT)
            assert isinstance(info, ClientInfo) and "office" in info.contexts
        assert not never.done()
    assert never.cancelled()  # still waiting at close: cancelled with the loop
