"""Input: play_and_collect, collect, detect, send_digits and digit bindings."""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import Hangup, Persona, Press, RelayEmulator, Say, Silence

from .conftest import answered_call
from .rawclient import RawClient, connected

pytestmark = pytest.mark.anyio

PROMPT = [{"type": "tts", "params": {"text": "Press 1 for sales or 2 for support"}}]  # 3.2 s


def seconds(value: float) -> Any:
    return pytest.approx(value, abs=1e-3)


async def prompt(
    client: RawClient, call: dict[str, Any], collect: dict[str, Any], cid: str = "c"
) -> None:
    await client.call(
        "calling.play_and_collect", call, control_id=cid, play=PROMPT, collect=collect
    )


async def collect_event(client: RawClient, cid: str = "c") -> dict[str, Any]:
    return await client.event("calling.call.collect", lambda p: p["control_id"] == cid)


async def prompt_finished_at(client: RawClient, cid: str = "c") -> float:
    await client.event(
        "calling.call.play", lambda p: p["control_id"] == cid and p["state"] == "finished"
    )
    return float(client.last_envelope["timestamp"])


async def test_prompt_then_digits(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client, script=[Press("2")])
    await prompt(client, call, {"digits": {"max": 1}})
    playing = await client.event("calling.call.play")
    assert playing["state"] == "playing"
    start = client.last_envelope["timestamp"]
    ended = await prompt_finished_at(client)
    assert ended - start == seconds(3.2)
    event = await collect_event(client)
    assert event["final"] is True
    assert event["result"] == {"type": "digit", "params": {"digits": "2", "terminator": ""}}
    assert client.last_envelope["timestamp"] - ended == seconds(0.25)
    assert caller.heard == ["Press 1 for sales or 2 for support"]
    assert "played 'Press 1 for sales or 2 for support', caller pressed 2" in caller.transcript(
        compact=True
    )


@pytest.mark.parametrize(
    ("script", "digits", "result", "after"),
    [
        # Terminator ends the input and is reported separately.
        ([Press("12#")], {"max": 4, "terminators": "#"}, ("digit", "12", "#"), 0.75),
        # Max digits reached.
        ([Press("4321")], {"max": 3}, ("digit", "432", ""), 0.75),
        # Fewer digits than max, no terminator: complete after digit_timeout.
        ([Press("12")], {"max": 4, "digit_timeout": 2.0}, ("digit", "12", ""), 0.5 + 2.0),
        # Consecutive presses continue the same input.
        ([Press("1"), Press("2#")], {"max": 4, "terminators": "#"}, ("digit", "12", "#"), 0.75),
        # Only a terminator: no match.
        ([Press("#")], {"max": 4, "terminators": "#"}, ("no_match", None, None), 0.25),
    ],
)
async def test_digit_rules(
    emu: RelayEmulator,
    client: RawClient,
    script: list[Press],
    digits: dict[str, Any],
    result: tuple[str, str | None, str | None],
    after: float,
) -> None:
    _, call = await answered_call(emu, client, script=list(script))
    await prompt(client, call, {"digits": digits})
    ended = await prompt_finished_at(client)
    event = await collect_event(client)
    kind, expected_digits, terminator = result
    assert event["result"]["type"] == kind
    if expected_digits is not None:
        assert event["result"]["params"] == {"digits": expected_digits, "terminator": terminator}
    assert client.last_envelope["timestamp"] - ended == seconds(after)


async def test_initial_timeout_gives_no_input(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Silence()])
    await prompt(client, call, {"initial_timeout": 5.0, "digits": {"max": 1}})
    ended = await prompt_finished_at(client)
    event = await collect_event(client)
    assert event["result"] == {"type": "no_input", "params": {}}
    assert client.last_envelope["timestamp"] - ended == seconds(5.0)


async def test_timed_silence_longer_than_initial_timeout(
    emu: RelayEmulator, client: RawClient
) -> None:
    # The script is given once the prompt listens (an idle caller waits for it): a script given
    # at the answer would start its silence while the prompt is still on its way in real time.
    caller, call = await answered_call(emu, client)
    await prompt(client, call, {"initial_timeout": 2.0, "digits": {"max": 1}})
    await caller.silence(10)
    await caller.press("5")
    assert (await collect_event(client))["result"]["type"] == "no_input"
    # The press comes after the silence and goes to the next prompt.
    await prompt(client, call, {"digits": {"max": 1}}, cid="c2")
    assert (await collect_event(client, "c2"))["result"]["params"]["digits"] == "5"
    assert caller.pending_intents == []


async def test_wrong_kind_of_input_gives_no_match(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Say("sales please"), Press("1")])
    await prompt(client, call, {"digits": {"max": 1}})
    assert (await collect_event(client))["result"]["type"] == "no_match"
    await prompt(client, call, {"speech": {}}, cid="c2")
    assert (await collect_event(client, "c2"))["result"]["type"] == "no_match"


async def test_speech(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Say("sales please", confidence=0.8)])
    await prompt(client, call, {"speech": {"end_silence_timeout": 1.5}, "digits": {"max": 1}})
    ended = await prompt_finished_at(client)
    event = await collect_event(client)
    assert event["result"] == {
        "type": "speech",
        "params": {"text": "sales please", "confidence": 0.8},
    }
    assert client.last_envelope["timestamp"] - ended == seconds(0.8 + 1.5)


async def test_unrecognised_speech(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Say("mumble", recognised=False)])
    await prompt(client, call, {"speech": {}})
    assert (await collect_event(client))["result"]["type"] == "no_match"


async def test_partial_results(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Say("billing question today")])
    await prompt(client, call, {"speech": {}, "partial_results": True, "send_start_of_input": True})
    start = await collect_event(client)
    assert (start["final"], start["result"]["type"]) == (False, "start_of_input")
    first = await collect_event(client)
    second = await collect_event(client)
    assert (first["final"], first["result"]["params"]["text"]) == (False, "billing")
    assert second["result"]["params"]["text"] == "billing question"
    final = await collect_event(client)
    assert (final["final"], final["result"]["params"]["text"]) == (True, "billing question today")


async def test_partial_digit_results(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Press("123#")])
    await prompt(client, call, {"digits": {"max": 5, "terminators": "#"}, "partial_results": True})
    partials = [(await collect_event(client))["result"]["params"]["digits"] for _ in range(3)]
    assert partials == ["1", "12", "123"]
    final = await collect_event(client)
    assert final["final"] is True and final["result"]["params"] == {
        "digits": "123",
        "terminator": "#",
    }


async def test_barge_in_stops_the_prompt(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client, script=[Press("9", barge_in=True)])
    await prompt(client, call, {"digits": {"max": 1}})
    await client.event("calling.call.play", lambda p: p["state"] == "playing")
    start = client.last_envelope["timestamp"]
    await client.event("calling.call.play", lambda p: p["state"] == "finished")
    assert client.last_envelope["timestamp"] == start  # cut at once
    assert (await collect_event(client))["result"]["params"]["digits"] == "9"
    assert "caller interrupted the prompt" in caller.transcript()


async def test_interactive_caller_is_waited_for(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    await prompt(client, call, {"digits": {"max": 1}})
    await caller.wait_heard("Press 1")
    await prompt_finished_at(client)
    await caller.press("3")
    assert (await collect_event(client))["result"]["params"]["digits"] == "3"


async def test_standalone_collect_and_input_timers(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client, script=[Silence()])
    result = await client.call(
        "calling.collect", call, control_id="k", digits={"max": 2}, initial_timeout=3
    )
    assert result["code"] == "200"
    # Without start_input_timers nothing times out; the command starts the initial timer.
    await client.barrier()
    assert emu.journal.events("calling.call.collect") == []
    await client.call("calling.collect.start_input_timers", call, control_id="k")
    event = await collect_event(client, "k")
    assert event["result"]["type"] == "no_input"
    started = next(x for x in emu.transcript_lines if x.text == "input timers started")
    assert client.last_envelope["timestamp"] - emu.epoch - started.t == seconds(3.0)
    await caller.press("42")
    await client.call(
        "calling.collect", call, control_id="k2", digits={"max": 2}, start_input_timers=True
    )
    assert (await collect_event(client, "k2"))["result"]["params"]["digits"] == "42"


async def test_unscripted_caller_holds_the_initial_timeout(
    emu: RelayEmulator, client: RawClient
) -> None:
    caller, call = await answered_call(emu, client)
    await prompt(client, call, {"digits": {"max": 1}, "initial_timeout": 1.0})
    await prompt_finished_at(client)
    await client.barrier()
    assert emu.journal.events("calling.call.collect") == []  # still waiting for the caller
    await caller.silence()  # decided: silent, so the timeout runs from now
    assert (await collect_event(client))["result"]["type"] == "no_input"


async def test_idle_callers_silent_lets_timeouts_run(anyio_backend: str) -> None:
    emulator = RelayEmulator(idle_callers="silent", time_scale=0.001)
    async with emulator as emu, connected(emu.port, contexts=["office"]) as raw:
        _, call = await answered_call(emu, raw)
        await prompt(raw, call, {"digits": {"max": 1}, "initial_timeout": 2.0})
        ended = await prompt_finished_at(raw)
        assert (await collect_event(raw))["result"]["type"] == "no_input"
        assert raw.last_envelope["timestamp"] - ended == seconds(2.0)
    with pytest.raises(ValueError, match="idle_callers"):
        RelayEmulator(idle_callers="sometimes")


async def test_continuous_collect_until_stopped(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Press("1"), Press("2")])
    await client.call("calling.collect", call, control_id="k", digits={"max": 1}, continuous=True)
    assert (await collect_event(client, "k"))["result"]["params"]["digits"] == "1"
    assert (await collect_event(client, "k"))["result"]["params"]["digits"] == "2"
    await client.call("calling.collect.stop", call, control_id="k")
    assert (await collect_event(client, "k"))["state"] == "finished"


async def test_collect_sub_commands_and_validation(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    # A prompt long enough (10 real seconds) to still be playing while the test steers it.
    long_prompt = [{"type": "silence", "params": {"duration": 10_000}}]
    collect = {"digits": {"max": 1}}
    await client.call(
        "calling.play_and_collect", call, control_id="c", play=long_prompt, collect=collect
    )
    for op in ("volume", "pause", "resume"):
        extra = {"volume": 3} if op == "volume" else {}
        assert (await client.call(f"calling.play_and_collect.{op}", call, control_id="c", **extra))[
            "code"
        ] == "200"
    assert [e["state"] for e in [await client.event("calling.call.play") for _ in range(3)]] == [
        "playing",
        "paused",
        "playing",
    ]
    await client.call("calling.play_and_collect.stop", call, control_id="c")
    assert (await collect_event(client))["state"] == "finished"
    ids = {"node_id": call["node_id"], "call_id": call["call_id"], "control_id": "z"}
    collects: list[dict[str, Any]] = [{}, {"digits": {}}, {"digits": {"max": 0}}, {"speech": "yes"}]
    for collect in collects:
        reply = await client.request(
            "calling.play_and_collect", {**ids, "play": PROMPT, "collect": collect}
        )
        assert reply["error"]["code"] == -32602, collect


async def test_caller_hangup_ends_collect_before_ended(
    emu: RelayEmulator, client: RawClient
) -> None:
    caller, call = await answered_call(emu, client, script=[Hangup()])
    await prompt(client, call, {"digits": {"max": 1}})
    event = await collect_event(client)
    assert event["result"]["type"] == "no_input"
    assert await caller.wait_ended() == "hangup"


async def detect(client: RawClient, call: dict[str, Any], kind: str, **params: Any) -> None:
    await client.call(
        "calling.detect", call, control_id="d", detect={"type": kind, "params": params}, timeout=20
    )


async def detect_values(client: RawClient, until: str = "finished") -> list[tuple[str, float]]:
    values: list[tuple[str, float]] = []
    while not values or values[-1][0] != until:
        event = await client.event("calling.call.detect", lambda p: p["control_id"] == "d")
        values.append((event["detect"]["params"]["event"], client.last_envelope["timestamp"]))
    return values


@pytest.mark.parametrize(
    ("persona", "kind", "expected"),
    [
        (Persona.human(), "machine", ["HUMAN", "finished"]),
        (Persona.machine(greeting_words=10), "machine", ["MACHINE", "READY", "finished"]),
        (Persona.fax(), "machine", ["UNKNOWN", "finished"]),
        (Persona.fax(), "fax", ["CED", "finished"]),
        (Persona.human(), "fax", ["finished"]),  # nothing to detect: the timeout ends it
    ],
)
async def test_detect_from_the_persona(
    emu: RelayEmulator, client: RawClient, persona: Persona, kind: str, expected: list[str]
) -> None:
    _, call = await answered_call(emu, client, persona=persona)
    await detect(client, call, kind)
    assert [value for value, _ in await detect_values(client)] == expected


async def test_machine_detection_starts_at_answer(emu: RelayEmulator, client: RawClient) -> None:
    # Detection requested before the answer starts listening when the call is answered.
    await emu.call(
        context="office",
        from_number="+15551230001",
        to_number="+15551230002",
        persona=Persona.machine(greeting_words=10),
    )
    call = await client.event("calling.call.receive")
    await detect(client, call, "machine", machine_voice_threshold=1.25)
    await client.call("calling.answer", call)
    await client.event("calling.call.state", lambda p: p["call_state"] == "answered")
    answered = client.last_envelope["timestamp"]
    (machine, t1), (ready, t2), _ = await detect_values(client)
    assert (machine, ready) == ("MACHINE", "READY")
    assert t1 - answered == seconds(1.25)
    assert t2 - answered == seconds(10 * 0.4 + 0.5)  # the greeting, then the beep


async def test_detection_timeout_counts_from_the_answer(
    emu: RelayEmulator, client: RawClient
) -> None:
    # A detector asked before the answer times out `timeout` seconds after the answer, however
    # long the application took to answer (here 40 simulated seconds, past the 20 s timeout).
    await emu.call(
        context="office",
        from_number="+15551230001",
        to_number="+15551230002",
        persona=Persona.machine(greeting_words=10),
    )
    call = await client.event("calling.call.receive")
    await detect(client, call, "machine")
    _, other = await answered_call(emu, client)
    silence = [{"type": "silence", "params": {"duration": 40}}]
    await client.call("calling.play", other, control_id="p", play=silence)
    await client.event("calling.call.play", lambda p: p["state"] == "finished")
    await client.call("calling.answer", call)
    await client.event(
        "calling.call.state",
        lambda p: p["call_id"] == call["call_id"] and p["call_state"] == "answered",
    )
    answered = client.last_envelope["timestamp"]
    values = await detect_values(client)
    assert [(value, round(t - answered, 3)) for value, t in values] == [
        ("MACHINE", 1.25),
        ("READY", 4.5),
        ("finished", 4.5),
    ]


async def test_digit_detection(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client, script=[Press("1#"), Press("9")])
    await detect(client, call, "digit", digits="0123456789")
    first = await client.event("calling.call.detect")
    second = await client.event("calling.call.detect")
    assert (first["detect"]["params"]["event"], second["detect"]["params"]["event"]) == ("1", "9")
    await client.call("calling.detect.stop", call, control_id="d")
    assert (await client.event("calling.call.detect"))["detect"]["params"]["event"] == "finished"
    assert caller.pending_intents == []


async def test_send_digits(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    result = await client.call("calling.send_digits", call, control_id="s", digits="12w#")
    assert result == {
        "code": "200",
        "message": "Sending Digits",
        "call_id": call["call_id"],
        "control_id": "s",
    }
    event = await client.event("calling.call.send_digits")
    assert event == {
        "call_id": call["call_id"],
        "node_id": call["node_id"],
        "control_id": "s",
        "state": "finished",
    }
    sent = next(x for x in emu.transcript_lines if x.text == "sent digits 12w#")
    assert client.last_envelope["timestamp"] - emu.epoch - sent.t == seconds(0.8)
    assert caller.received_digits == ["12w#"]
    reply = await client.request(
        "calling.send_digits",
        {
            "node_id": call["node_id"],
            "call_id": call["call_id"],
            "control_id": "s",
            "digits": "12x",
        },
    )
    assert reply["error"]["code"] == -32602


async def test_bind_digit_runs_the_bound_method(emu: RelayEmulator, client: RawClient) -> None:
    caller, call = await answered_call(emu, client)
    bound = {"play": [{"type": "tts", "params": {"text": "Returning to the menu"}}]}
    result = await client.call(
        "calling.bind_digit",
        call,
        digits="*0",
        bind_method="calling.play",
        params=bound,
        max_triggers=1,
    )
    assert result["message"] == "Digit binding created"
    await caller.press("*0")
    await caller.wait_heard("Returning to the menu")
    assert (await client.event("calling.call.play"))["state"] == "playing"
    # max_triggers=1: the binding is gone, the next press waits for a collector.
    await caller.press("*0")
    await client.barrier()
    assert caller.heard == ["Returning to the menu"]
    await client.call("calling.clear_digit_bindings", call)
    reply = await client.request(
        "calling.bind_digit",
        {
            "node_id": call["node_id"],
            "call_id": call["call_id"],
            "digits": "1",
            "bind_method": "calling.teleport",
        },
    )
    assert reply["error"]["code"] == -32602


def phone(number: str) -> dict[str, Any]:
    return {"type": "phone", "params": {"from_number": "+15551230002", "to_number": number}}
