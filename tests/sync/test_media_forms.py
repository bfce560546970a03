"""relay_sync: media written flat, as the public documentation writes it, reaches the service
canonical, and values the client no longer checks are judged by the service (the emulator over
a real loopback socket).
"""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import Persona, Press
from relay_sync import Call, RelayClient, RelayError

from .helpers import AGENT, CALLER, LINE, WAIT, Outcome, phone


def test_the_documented_first_handler_runs_unchanged(emulator: Any, make_client: Any) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> str:
        call.answer()
        action = call.play([{"type": "tts", "text": "Hello from RELAY!"}])
        event = action.wait(timeout=WAIT)
        call.hangup()
        return str(event.params["state"])

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert outcome.wait() == ["finished"]
    assert caller.wait_ended() == "hangup"
    assert caller.heard == ["Hello from RELAY!"]
    [play] = emulator.journal.requests("calling.play")
    assert play.params["play"] == [{"type": "tts", "params": {"text": "Hello from RELAY!"}}]


def test_a_flat_prompt_and_a_flat_ringback(emulator: Any, make_client: Any) -> None:
    emulator.persona(AGENT, Persona.answers(after=1.0))
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> str:
        call.answer()
        prompt = call.play_and_collect(
            [{"type": "tts", "text": "Press 1 for sales."}, {"type": "silence", "duration": 0.5}],
            {"digits": {"max": 1}},
        )
        digits = str(prompt.wait(timeout=WAIT).params["result"]["params"]["digits"])
        call.connect([[phone(AGENT)]], ringback=[{"type": "ringtone", "name": "us"}])
        return digits

    client.connect()
    caller = emulator.call(
        context="office", from_number=CALLER, to_number=LINE, script=[Press("1")]
    )
    assert outcome.wait() == ["1"]
    assert caller.wait_connected() == AGENT
    caller.hangup()
    assert caller.wait_ended() == "hangup"
    [prompt] = emulator.journal.requests("calling.play_and_collect")
    assert prompt.params["play"] == [
        {"type": "tts", "params": {"text": "Press 1 for sales."}},
        {"type": "silence", "params": {"duration": 0.5}},
    ]
    [connect] = emulator.journal.requests("calling.connect")
    assert connect.params["ringback"] == [{"type": "ringtone", "params": {"name": "us"}}]


def test_flat_media_on_a_dialled_call(emulator: Any, make_client: Any) -> None:
    emulator.persona(AGENT, Persona.answers(after=1.0))
    client: RelayClient = make_client()
    client.connect()
    call = client.dial([[phone(AGENT)]], dial_timeout=30)
    call.play([{"type": "ringtone", "name": "gb"}, {"type": "tts", "text": "Hi"}]).wait(WAIT)
    call.hangup()
    call.wait_for_ended(timeout=WAIT)
    [play] = emulator.journal.requests("calling.play")
    assert play.params["play"] == [
        {"type": "ringtone", "params": {"name": "gb"}},
        {"type": "tts", "params": {"text": "Hi"}},
    ]


def test_values_the_client_passes_through_are_judged_by_the_service(
    emulator: Any, make_client: Any
) -> None:
    client: RelayClient = make_client()
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> list[Any]:
        call.answer()
        codes = []
        for attempt in (
            lambda: call.hangup("because"),
            lambda: call.send_digits("12x"),
            lambda: call.play([{"type": "tts", "text": "loud"}], volume=-41),
            lambda: call.play_and_collect([{"type": "tts", "text": "?"}], {}),
        ):
            with pytest.raises(RelayError) as info:
                attempt()
            codes.append(info.value.code)
        codes.append(call.play_ringtone("gb").wait(timeout=WAIT).params["state"])
        call.play_tts("still here").wait(timeout=WAIT)
        call.hangup()
        return codes

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert outcome.wait() == [[-32602, -32602, -32602, -32602, "error"]]
    assert caller.wait_ended() == "hangup"
    assert caller.heard == ["still here"]
