"""Values the clients pass through unchecked are judged here, as the service would judge them.

relay-sansio (like the official SDK) sends hangup reasons, ringtone names, DTMF strings,
volumes, collect objects and the other params as given. The emulator answers a wrong one with
JSON-RPC -32602 naming the key (or, for a media item it cannot play, a ``calling.call.play``
``error``), so a test still shows the mistake. Driven by hand-made JSON over a raw socket.
"""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import RelayEmulator
from relay_anyio.testing._schema import SCHEMAS

from .conftest import answered_call
from .rawclient import RawClient

pytestmark = pytest.mark.anyio

TTS = [{"type": "tts", "params": {"text": "Hi"}}]

# (method, params besides node_id/call_id, the key the error names)
INVALID: dict[str, tuple[str, dict[str, Any], str]] = {
    "hangup-reason": ("calling.end", {"reason": "because"}, "reason"),
    "hangup-reason-case": ("calling.end", {"reason": "noanswer"}, "reason"),
    "dtmf-characters": (
        "calling.send_digits",
        {"control_id": "d1", "digits": "12x E"},
        "digits",
    ),
    "dtmf-empty": ("calling.send_digits", {"control_id": "d1", "digits": ""}, "digits"),
    "volume-high": ("calling.play", {"control_id": "p1", "play": TTS, "volume": 41}, "volume"),
    "volume-low": ("calling.play", {"control_id": "p1", "play": TTS, "volume": -40.5}, "volume"),
    "volume-string": ("calling.play", {"control_id": "p1", "play": TTS, "volume": "3"}, "volume"),
    "media-empty": ("calling.play", {"control_id": "p1", "play": []}, "play"),
    "loop-negative": ("calling.play", {"control_id": "p1", "play": TTS, "loop": -1}, "loop"),
    "collect-without-inputs": (
        "calling.collect",
        {"control_id": "c1", "initial_timeout": 4},
        "collect",
    ),
    "prompt-without-inputs": (
        "calling.play_and_collect",
        {"control_id": "c1", "play": TTS, "collect": {"initial_timeout": 5}},
        "collect",
    ),
    "digits-max-zero": (
        "calling.collect",
        {"control_id": "c1", "digits": {"max": 0}},
        "max",
    ),
    "collect-flag-int": (
        "calling.collect",
        {"control_id": "c1", "speech": {}, "start_input_timers": 1},
        "start_input_timers",
    ),
    "detect-type": ("calling.detect", {"control_id": "x1", "detect": {"type": "human"}}, "type"),
    "detect-timeout": (
        "calling.detect",
        {"control_id": "x1", "detect": {"type": "fax"}, "timeout": -5},
        "timeout",
    ),
    "tap-without-params": (
        "calling.tap",
        {
            "control_id": "t1",
            "tap": {"type": "audio"},
            "device": {"type": "ws", "params": {"uri": "wss://t"}},
        },
        "params",
    ),
    "stream-https": ("calling.stream", {"control_id": "s1", "url": "https://s"}, "url"),
    "transcribe-verb": ("calling.live_transcribe", {"action": {"inject": {}}}, "action"),
    "ai-prompt-string": ("calling.ai", {"control_id": "a1", "prompt": "be nice"}, "prompt"),
    "ai-hints-string": ("calling.ai", {"control_id": "a1", "hints": "SignalWire"}, "hints"),
    "bedrock-prompt-int": ("calling.amazon_bedrock", {"prompt": 5}, "prompt"),
    "ai-message-reset": ("calling.ai_message", {"reset": True}, "reset"),
    "conference-participants": (
        "calling.join_conference",
        {"name": "n", "max_participants": 251},
        "max_participants",
    ),
    "conference-muted-int": ("calling.join_conference", {"name": "n", "muted": 1}, "muted"),
    "echo-timeout-string": ("calling.echo", {"timeout": "5"}, "timeout"),
    "connect-price": (
        "calling.connect",
        {
            "devices": [[{"type": "phone", "params": {"to_number": "+2", "from_number": "+1"}}]],
            "max_price_per_minute": "cheap",
        },
        "max_price_per_minute",
    ),
    "pay-parameters-object": (
        "calling.pay",
        {"control_id": "y1", "payment_connector_url": "https://p", "parameters": {"a": 1}},
        "parameters",
    ),
}


@pytest.mark.parametrize(("method", "params", "key"), list(INVALID.values()), ids=list(INVALID))
async def test_an_invalid_value_is_answered_32602_naming_the_key(
    emu: RelayEmulator, client: RawClient, method: str, params: dict[str, Any], key: str
) -> None:
    caller, call = await answered_call(emu, client)
    reply = await client.request(
        method, {"node_id": call["node_id"], "call_id": call["call_id"], **params}
    )
    assert "result" not in reply, reply
    assert reply["error"]["code"] == -32602
    assert reply["error"]["message"].startswith("Invalid params: ")
    assert key in reply["error"]["message"]
    # Refused, not half-done: the call is still up and takes a valid command.
    assert caller.state == "answered"
    result = await client.call("calling.play", call, control_id="ok-1", play=TTS)
    assert result["code"] == "200"


@pytest.mark.parametrize(
    "item",
    [
        {"type": "ringtone", "params": {"name": "gb"}},
        {"type": "ringtone", "params": {"name": "US"}},
        {"type": "tts", "params": {"voice": "v"}},
        {"type": "silence", "params": {"duration": -1}},
        {"type": "tts", "text": "flat items are the client's to normalise"},
    ],
)
async def test_a_media_item_that_cannot_be_played_ends_the_play_in_error(
    emu: RelayEmulator, client: RawClient, item: dict[str, Any]
) -> None:
    caller, call = await answered_call(emu, client)
    result = await client.call("calling.play", call, control_id="p1", play=[item])
    assert result["code"] == "200"
    event = await client.event("calling.call.play", lambda p: p["control_id"] == "p1")
    assert event["state"] == "error"
    assert caller.heard == []


async def test_a_volume_command_without_a_volume_is_refused(
    emu: RelayEmulator, client: RawClient
) -> None:
    _, call = await answered_call(emu, client)
    long = [{"type": "silence", "params": {"duration": 600}}]  # still playing when asked
    await client.call("calling.play", call, control_id="p1", play=long)
    reply = await client.request(
        "calling.play.volume",
        {
            "node_id": call["node_id"],
            "call_id": call["call_id"],
            "control_id": "p1",
            "volume": None,
        },
    )
    assert reply["error"]["code"] == -32602
    assert "volume" in reply["error"]["message"]


def test_every_schema_key_type_is_one_the_checker_knows() -> None:
    known = {"string", "number", "integer", "boolean", "object", "array"}
    for method, schema in SCHEMAS.items():
        assert method.startswith("calling."), method
        for key, kinds in schema.items():
            assert kinds and set(kinds) <= known, (method, key)
