"""Every Call method forwards every argument to its relay_proto builder.

For each of the ~50 command methods, the command a Call sends (through a recording fake of the
client's private interface) must equal what ``relay_proto.commands.<same name>`` builds from the
same arguments, with every optional argument set, so a forgotten or misrouted keyword fails
here. Action methods must also return the right action class, registered under the command's
control id.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

import relay_anyio
from relay_anyio import Call
from relay_anyio._actions import PausableAction, VolumeAction
from relay_proto import CallCommand, commands

from .test_objects import FakeClient

pytestmark = pytest.mark.anyio

MEDIA = [{"type": "tts", "params": {"text": "Hi"}}]
COLLECT = {"digits": {"max": 1}, "initial_timeout": 3.0}
DEVICES = [[{"type": "phone", "params": {"to_number": "+15550001", "from_number": "+15550002"}}]]

# method -> (positional args, keyword args). Every optional parameter gets a value.
CASES: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "answer": ((), {"max_duration": 30}),
    "hangup": (("busy",), {}),
    "pass_": ((), {}),
    "transfer": (("context:sales",), {"extra": 1}),
    "connect": (
        (DEVICES,),
        {
            "ringback": MEDIA,
            "tag": "t1",
            "max_duration": 5,
            "max_price_per_minute": 0.5,
            "status_url": "https://x/s",
            "extra": True,
        },
    ),
    "disconnect": ((), {}),
    "refer": (({"type": "sip", "params": {"to": "sip:a@b"}},), {"status_url": "https://x/s"}),
    "hold": ((), {}),
    "unhold": ((), {}),
    "send_digits": (("12#",), {"control_id": "dtmf-1"}),
    "bind_digit": (
        ("*1", "calling.play"),
        {"bind_params": {"play": MEDIA}, "realm": "r", "max_triggers": 2, "extra": 1},
    ),
    "clear_digit_bindings": ((), {"realm": "r", "extra": 1}),
    "live_transcribe": (({"start": {"language": "en-US"}},), {"extra": 1}),
    "live_translate": (({"start": {"source": "en", "target": "es"}},), {"status_url": "u"}),
    "amazon_bedrock": (
        (),
        {
            "prompt": "p",
            "SWAIG": {"functions": []},
            "ai_params": {"a": 1},
            "global_data": {"g": 1},
            "post_prompt": {"text": "t"},
            "post_prompt_url": "https://x/p",
        },
    ),
    "ai_message": (
        (),
        {"message_text": "m", "role": "user", "reset": {"full_reset": True}, "global_data": {}},
    ),
    "ai_hold": ((), {"timeout": "30", "prompt": "hold on"}),
    "ai_unhold": ((), {"prompt": "back"}),
    "join_conference": (
        ("room",),
        {
            "muted": True,
            "beep": "onEnter",
            "start_on_enter": True,
            "end_on_exit": False,
            "wait_url": "https://x/w",
            "max_participants": 10,
            "record": "record-from-start",
            "region": "us",
            "trim": "trim-silence",
            "coach": "call-9",
            "status_callback": "https://x/s",
            "status_callback_event": "start end",
            "status_callback_event_type": "relay",
            "status_callback_method": "POST",
            "recording_status_callback": "https://x/r",
            "recording_status_callback_event": "completed",
            "recording_status_callback_event_type": "relay",
            "recording_status_callback_method": "GET",
            "stream_obj": {"url": "wss://x"},
        },
    ),
    "leave_conference": (("conf-1",), {"extra": 1}),
    "join_room": (("room",), {"status_url": "https://x/s"}),
    "leave_room": ((), {"extra": 1}),
    "queue_enter": (("support",), {"control_id": "q1", "status_url": "https://x/s"}),
    "queue_leave": (
        ("support",),
        {"control_id": "q2", "queue_id": "qid", "status_url": "https://x/s"},
    ),
    "echo": ((), {"timeout": 5.0, "status_url": "https://x/s"}),
    "denoise": ((), {}),
    "denoise_stop": ((), {}),
    "user_event": ((), {"event": "order", "order_id": "42"}),
    # action starters
    "play": (
        (MEDIA,),
        {"volume": -3.0, "direction": "both", "loop": 2, "control_id": "c1", "status_url": "u"},
    ),
    "play_tts": (("Hi",), {"language": "en-US", "gender": "female", "voice": "v", "volume": 1.0}),
    "play_audio": (("https://x/a.wav",), {"volume": 2.0}),
    "play_silence": ((1.5,), {}),
    "play_ringtone": (("us",), {"duration": 3.0, "volume": 1.0}),
    "record": (({"format": "wav"},), {"control_id": "r1", "status_url": "u"}),
    "play_and_collect": ((MEDIA, COLLECT), {"volume": 1.0, "control_id": "pc1", "extra": 1}),
    "prompt_tts": (
        ("Press 1", COLLECT),
        {"language": "en-US", "gender": "male", "voice": "v", "volume": 1.0},
    ),
    "prompt_audio": (("https://x/p.wav", COLLECT), {"volume": 1.0}),
    "collect": (
        (),
        {
            "digits": {"max": 4},
            "speech": {"language": "en-US"},
            "initial_timeout": 2.0,
            "partial_results": True,
            "continuous": False,
            "send_start_of_input": True,
            "start_input_timers": False,
            "control_id": "col1",
            "extra": 1,
        },
    ),
    "detect": (({"type": "machine", "params": {}},), {"timeout": 10.0, "control_id": "d1"}),
    "detect_digit": ((), {"digits": "123", "timeout": 5.0}),
    "detect_answering_machine": (
        (),
        {
            "initial_timeout": 4.5,
            "end_silence_timeout": 1.0,
            "machine_voice_threshold": 1.25,
            "machine_words_threshold": 6,
            "detect_interruptions": True,
            "detect_message_end": False,
            "timeout": 30.0,
        },
    ),
    "detect_fax": ((), {"tone": "CNG", "timeout": 20.0}),
    "send_fax": (
        ("https://x/d.pdf",),
        {"identity": "+1555", "header_info": "H", "control_id": "f1", "extra": 1},
    ),
    "receive_fax": ((), {"control_id": "f2", "extra": 1}),
    "tap": (
        (
            {"type": "audio", "params": {"direction": "both"}},
            {"type": "rtp", "params": {"addr": "10.0.0.1", "port": 5000}},
        ),
        {"control_id": "t1"},
    ),
    "stream": (
        ("wss://x/s",),
        {
            "name": "n",
            "codec": "PCMU",
            "track": "both_tracks",
            "status_url": "https://x/s",
            "status_url_method": "POST",
            "authorization_bearer_token": "tok",
            "custom_parameters": {"a": 1},
            "control_id": "s1",
        },
    ),
    "pay": (
        ("https://pay.example.com",),
        {
            "control_id": "p1",
            "input_method": "dtmf",
            "status_url": "https://x/s",
            "payment_method": "credit-card",
            "timeout": "5",
            "max_attempts": "2",
            "security_code": "true",
            "postal_code": "false",
            "min_postal_code_length": "5",
            "token_type": "reusable",
            "charge_amount": "9.99",
            "currency": "usd",
            "language": "en-US",
            "voice": "woman",
            "description": "d",
            "valid_card_types": "visa",
            "parameters": [{"name": "a", "value": "b"}],
            "prompts": [{"for": "payment-card-number"}],
        },
    ),
    "transcribe": ((), {"control_id": "tr1", "status_url": "https://x/s"}),
    "ai": (
        (),
        {
            "control_id": "ai1",
            "agent": "agent-1",
            "prompt": {"text": "be nice"},
            "post_prompt": {"text": "summarize"},
            "post_prompt_url": "https://x/p",
            "post_prompt_auth_user": "u",
            "post_prompt_auth_password": "pw",
            "global_data": {"g": 1},
            "pronounce": [{"replace": "a", "with": "b"}],
            "hints": ["x"],
            "languages": [{"code": "en-US"}],
            "SWAIG": {"functions": []},
            "ai_params": {"temperature": 0.5},
        },
    ),
}

ACTIONS = {
    "play": "PlayAction",
    "play_tts": "PlayAction",
    "play_audio": "PlayAction",
    "play_silence": "PlayAction",
    "play_ringtone": "PlayAction",
    "record": "RecordAction",
    "play_and_collect": "CollectAction",
    "prompt_tts": "CollectAction",
    "prompt_audio": "CollectAction",
    "collect": "StandaloneCollectAction",
    "detect": "DetectAction",
    "detect_digit": "DetectAction",
    "detect_answering_machine": "DetectAction",
    "detect_fax": "DetectAction",
    "send_fax": "FaxAction",
    "receive_fax": "FaxAction",
    "tap": "TapAction",
    "stream": "StreamAction",
    "pay": "PayAction",
    "transcribe": "TranscribeAction",
    "ai": "AIAction",
}


def command_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(Call, inspect.iscoroutinefunction)
        if not name.startswith("_") and not name.startswith("wait_for")
    }


def test_the_table_covers_every_command_method() -> None:
    assert set(CASES) == command_methods()
    for name, (_args, kwargs) in CASES.items():
        params = inspect.signature(getattr(Call, name)).parameters
        named = [p for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        missing = [p.name for p in named if p.name not in kwargs and p.name != "on_completed"]
        assert missing == [], f"{name}: give every keyword a value in CASES"


@pytest.mark.parametrize("name", sorted(CASES))
async def test_method_sends_what_its_builder_builds(name: str) -> None:
    client = FakeClient()
    call = Call(client, "call-1", "node-1", "proj", "office", state="answered")  # type: ignore[arg-type]
    args, kwargs = CASES[name]
    result = await getattr(call, name)(*args, **kwargs)
    sent, action = client.sent[0]
    expected: CallCommand = getattr(commands, name)(*args, **kwargs)
    if expected.control_id is None and sent.control_id is not None and expected.action:
        expected = dataclasses.replace(expected, control_id=sent.control_id)  # generated
    assert sent == expected
    if name in ACTIONS:
        assert type(result) is getattr(relay_anyio, ACTIONS[name])
        assert action is result and action.control_id == sent.control_id
    else:
        assert action is None and result == client.result


@pytest.mark.parametrize("name", sorted(ACTIONS))
async def test_action_sub_commands_use_the_kind_of_their_command(name: str) -> None:
    client = FakeClient()
    call = Call(client, "call-1", "node-1", "proj", "office", state="answered")  # type: ignore[arg-type]
    args, kwargs = CASES[name]
    action = await getattr(call, name)(*args, **kwargs)
    started, _ = client.sent[0]
    kind, control_id = started.action, action.control_id
    assert kind is not None
    client.sent.clear()
    await action.stop()
    expected = [commands.action_stop(kind, control_id)]
    if isinstance(action, PausableAction):
        await action.pause("skip")
        await action.resume()
        expected += [
            commands.action_pause(kind, control_id, behavior="skip"),
            commands.action_resume(kind, control_id),
        ]
    if isinstance(action, VolumeAction):
        await action.volume(-3.0)
        expected.append(commands.action_volume(kind, control_id, -3.0))
    assert [command for command, _ in client.sent] == expected
