"""Every other method of the spec: accepted with a 200 and, for actions, plausible events."""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import Persona, RelayEmulator
from relay_anyio.testing._switch import Switch

from .conftest import answered_call
from .rawclient import RawClient

pytestmark = pytest.mark.anyio

# Every client->server method the wire-protocol reference lists (sections 1, 3, 4, 5).
SPEC_METHODS = """
signalwire.connect signalwire.ping signalwire.receive signalwire.unreceive signalwire.execute
signalwire.reauthenticate calling.receive calling.begin calling.dial messaging.send
calling.answer calling.end calling.pass calling.transfer calling.accept calling.connect
calling.disconnect calling.refer calling.hold calling.unhold calling.play calling.play.stop
calling.play.pause calling.play.resume calling.play.volume calling.record calling.record.stop
calling.record.pause calling.record.resume calling.play_and_collect calling.play_and_collect.stop
calling.play_and_collect.volume calling.play_and_collect.pause calling.play_and_collect.resume
calling.collect calling.collect.stop calling.collect.start_input_timers calling.detect
calling.detect.stop calling.send_digits calling.bind_digit calling.clear_digit_bindings
calling.send_fax calling.send_fax.stop calling.receive_fax calling.receive_fax.stop calling.tap
calling.tap.stop calling.stream calling.stream.stop calling.pay calling.pay.stop
calling.transcribe calling.transcribe.stop calling.live_transcribe calling.live_translate
calling.ai calling.ai.stop calling.amazon_bedrock calling.ai_message calling.ai_hold
calling.ai_unhold calling.join_conference calling.leave_conference calling.join_room
calling.leave_room calling.queue.enter calling.queue.leave calling.echo calling.denoise
calling.denoise.stop calling.user_event
""".split()  # noqa: SIM905 - a readable list of wire names
SERVER_METHODS = {m for m in SPEC_METHODS if m.startswith("signalwire.")}


def test_every_spec_method_has_a_handler() -> None:
    handled = set(Switch().handlers) | SERVER_METHODS
    assert sorted(set(SPEC_METHODS) - handled) == []
    assert sorted(set(Switch().handlers) - set(SPEC_METHODS)) == []


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        (
            "calling.live_transcribe",
            {"action": {"start": {"language": "en-US"}}},
            "Live transcription started",
        ),
        (
            "calling.live_translate",
            {"action": {"inject": {"text": "hola"}}},
            "Live translation started",
        ),
        ("calling.join_room", {"name": "lobby"}, "Joining room"),
        ("calling.leave_room", {}, "Leaving room"),
        ("calling.amazon_bedrock", {"prompt": "be kind"}, "AI started"),
        ("calling.ai_message", {"message_text": "hi", "role": "user"}, "Message sent"),
        ("calling.ai_hold", {"timeout": "30"}, "AI on hold"),
        ("calling.ai_unhold", {}, "AI resumed"),
        ("calling.user_event", {"event": "checkout", "order_id": 7}, "Event sent"),
        ("calling.accept", {"early_media": True}, "Accepted"),
    ],
)
async def test_acknowledged_commands(
    emu: RelayEmulator, client: RawClient, method: str, params: dict[str, Any], message: str
) -> None:
    _, call = await answered_call(emu, client)
    result = await client.call(method, call, **params)
    assert result == {"code": "200", "message": message}


async def test_live_transcribe_needs_one_action(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    ids = {"node_id": call["node_id"], "call_id": call["call_id"]}
    actions: list[dict[str, Any]] = [{}, {"start": {}, "stop": {}}, {"jump": {}}, {"start": "x"}]
    for action in actions:
        reply = await client.request("calling.live_transcribe", {**ids, "action": action})
        assert reply["error"]["code"] == -32602, action


async def test_calling_receive(emu: RelayEmulator, client: RawClient) -> None:
    assert (await client.result("calling.receive", {"context": "extra"}))["code"] == "200"
    await emu.call(context="extra", from_number="+1555", to_number="+1556")
    await client.event("calling.call.receive", lambda p: p["context"] == "extra")


async def action_states(client: RawClient, event_type: str, count: int) -> list[dict[str, Any]]:
    return [await client.event(event_type) for _ in range(count)]


@pytest.mark.parametrize(
    ("method", "params", "event_type", "running", "extra"),
    [
        (
            "calling.tap",
            {
                "tap": {"type": "audio", "params": {"direction": "both"}},
                "device": {"type": "rtp", "params": {"addr": "192.0.2.1", "port": 1234}},
            },
            "calling.call.tap",
            "tapping",
            "source_device",
        ),
        (
            "calling.stream",
            {"url": "wss://media.example.com/s", "name": "s1"},
            "calling.call.stream",
            "streaming",
            None,
        ),
        ("calling.transcribe", {}, "calling.call.transcribe", "transcribing", None),
        ("calling.ai", {"prompt": {"text": "You are helpful"}}, "calling.call.ai", "started", None),
    ],
)
async def test_ongoing_actions_run_until_stopped(
    emu: RelayEmulator,
    client: RawClient,
    method: str,
    params: dict[str, Any],
    event_type: str,
    running: str,
    extra: str | None,
) -> None:
    _, call = await answered_call(emu, client)
    result = await client.call(method, call, control_id="x", **params)
    assert result["code"] == "200" and result["control_id"] == "x"
    if extra:
        assert extra in result
    assert (await client.event(event_type))["state"] == running
    stopped = await client.call(f"{method}.stop", call, control_id="x")
    assert stopped["code"] == "200"
    final = await client.event(event_type)
    assert final["state"] == "finished"
    if method == "calling.transcribe":
        assert final["url"] and final["recording_id"] and "duration" in final


async def test_second_transcription_conflicts(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    await client.call("calling.transcribe", call, control_id="a")
    assert (await client.call("calling.transcribe", call, control_id="b"))["code"] == "409"


async def test_stream_and_tap_validation(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    ids = {"node_id": call["node_id"], "call_id": call["call_id"], "control_id": "v"}
    cases: list[tuple[str, dict[str, Any]]] = [
        ("calling.stream", {"url": "https://not-a-ws"}),
        (
            "calling.tap",
            {"tap": {"type": "audio"}, "device": {"type": "rtp", "params": {"addr": "x"}}},
        ),
        (
            "calling.tap",
            {
                "tap": {"type": "video", "params": {}},
                "device": {"type": "rtp", "params": {"addr": "x"}},
            },
        ),
        ("calling.pay", {}),
        ("calling.send_fax", {}),
    ]
    for method, params in cases:
        reply = await client.request(method, {**ids, **params})
        assert reply["error"]["code"] == -32602, (method, params)


async def test_pay(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    await client.call(
        "calling.pay",
        call,
        control_id="p",
        payment_connector_url="https://pay.example.com",
        timeout="4",
    )
    assert (await client.event("calling.call.pay"))["state"] == "started"
    start = client.last_envelope["timestamp"]
    final = await client.event("calling.call.pay", lambda p: p["state"] != "updated")
    assert (final["state"], final["result"]) == ("finished", "success")
    # Four prompts of 2 s, 16 + 4 + 3 + 5 keys at 0.25 s, then 2 s of processing.
    assert client.last_envelope["timestamp"] - start == pytest.approx(17.0, abs=1e-3)


@pytest.mark.parametrize("direction", ["send", "receive"])
async def test_fax_to_a_fax_machine(emu: RelayEmulator, client: RawClient, direction: str) -> None:
    _, call = await answered_call(emu, client, persona=Persona.fax())
    params = {"document": "https://x.test/doc.pdf"} if direction == "send" else {}
    await client.call(f"calling.{direction}_fax", call, control_id="f", **params)
    page = await client.event("calling.call.fax")
    assert page["fax"]["type"] == "page"
    done = await client.event("calling.call.fax")
    assert (done["state"], done["fax"]["type"]) == ("finished", "finished")
    assert done["fax"]["params"]["direction"] == direction
    assert done["fax"]["params"]["success"] is True


async def test_fax_to_a_person_fails(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    await client.call("calling.send_fax", call, control_id="f", document="https://x.test/doc.pdf")
    done = await client.event("calling.call.fax")
    assert (done["state"], done["fax"]["type"], done["fax"]["params"]["success"]) == (
        "error",
        "error",
        False,
    )


async def test_echo_and_denoise(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    assert (await client.call("calling.echo", call, timeout=5))["message"] == "Echo started"
    assert [e["state"] for e in await action_states(client, "calling.call.echo", 2)] == [
        "echoing",
        "finished",
    ]
    await client.call("calling.denoise", call)
    await client.call("calling.denoise.stop", call)
    assert [e["denoised"] for e in await action_states(client, "calling.call.denoise", 2)] == [
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("persona", "final"), [(Persona.human(), "success"), (Persona.busy(), "busy")]
)
async def test_refer(emu: RelayEmulator, client: RawClient, persona: Persona, final: str) -> None:
    emu.persona("sip:agent@example.com", persona)
    caller, call = await answered_call(emu, client)
    device = {"type": "sip", "params": {"to": "sip:agent@example.com"}}
    assert (await client.call("calling.refer", call, device=device))[
        "message"
    ] == "Starting SIP REFER"
    states = [e["state"] for e in await action_states(client, "calling.call.refer", 2)]
    assert states == ["inProgress", final]
    if final == "success":
        assert await caller.wait_ended() == "hangup"  # the call moved away
    else:
        assert caller.state == "answered"
