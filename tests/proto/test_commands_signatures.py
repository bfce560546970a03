"""Each builder in relay_proto.commands has the official ``signalwire.relay.Call`` method's
parameters (names, kinds, defaults), minus ``self`` and ``on_completed``.

The official signatures are written down below as data (read from ``signalwire-sdk`` 3.7.5,
one string per parameter, annotations left out), so this test needs no SDK. When the SDK is
importable, the ``official`` test also checks the data against it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from relay_proto import CallCommand
from relay_proto import commands as c

# Every command method of signalwire.relay.Call (its event helpers on/wait_for* excluded).
SDK_CALL_SIGNATURES: dict[str, tuple[str, ...]] = {
    "ai": (
        "*",
        "control_id=None",
        "agent=None",
        "prompt=None",
        "post_prompt=None",
        "post_prompt_url=None",
        "post_prompt_auth_user=None",
        "post_prompt_auth_password=None",
        "global_data=None",
        "pronounce=None",
        "hints=None",
        "languages=None",
        "SWAIG=None",
        "ai_params=None",
        "on_completed=None",
        "**kwargs",
    ),
    "ai_hold": (
        "*",
        "timeout=None",
        "prompt=None",
        "**kwargs",
    ),
    "ai_message": (
        "*",
        "message_text=None",
        "role=None",
        "reset=None",
        "global_data=None",
        "**kwargs",
    ),
    "ai_unhold": (
        "*",
        "prompt=None",
        "**kwargs",
    ),
    "amazon_bedrock": (
        "*",
        "prompt=None",
        "SWAIG=None",
        "ai_params=None",
        "global_data=None",
        "post_prompt=None",
        "post_prompt_url=None",
        "**kwargs",
    ),
    "answer": ("**kwargs",),
    "bind_digit": (
        "digits",
        "bind_method",
        "*",
        "bind_params=None",
        "realm=None",
        "max_triggers=None",
        "**kwargs",
    ),
    "clear_digit_bindings": (
        "*",
        "realm=None",
        "**kwargs",
    ),
    "collect": (
        "*",
        "digits=None",
        "speech=None",
        "initial_timeout=None",
        "partial_results=None",
        "continuous=None",
        "send_start_of_input=None",
        "start_input_timers=None",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "connect": (
        "devices",
        "*",
        "ringback=None",
        "tag=None",
        "max_duration=None",
        "max_price_per_minute=None",
        "status_url=None",
        "**kwargs",
    ),
    "denoise": (),
    "denoise_stop": (),
    "detect": (
        "detect",
        "*",
        "timeout=None",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "detect_answering_machine": (
        "*",
        "initial_timeout=None",
        "end_silence_timeout=None",
        "machine_voice_threshold=None",
        "machine_words_threshold=None",
        "detect_interruptions=None",
        "detect_message_end=None",
        "timeout=None",
        "on_completed=None",
    ),
    "detect_digit": (
        "*",
        "digits=None",
        "timeout=None",
        "on_completed=None",
    ),
    "detect_fax": (
        "*",
        "tone=None",
        "timeout=None",
        "on_completed=None",
    ),
    "disconnect": (),
    "echo": (
        "*",
        "timeout=None",
        "status_url=None",
        "**kwargs",
    ),
    "hangup": ("reason='hangup'",),
    "hold": (),
    "join_conference": (
        "name",
        "*",
        "muted=None",
        "beep=None",
        "start_on_enter=None",
        "end_on_exit=None",
        "wait_url=None",
        "max_participants=None",
        "record=None",
        "region=None",
        "trim=None",
        "coach=None",
        "status_callback=None",
        "status_callback_event=None",
        "status_callback_event_type=None",
        "status_callback_method=None",
        "recording_status_callback=None",
        "recording_status_callback_event=None",
        "recording_status_callback_event_type=None",
        "recording_status_callback_method=None",
        "stream_obj=None",
        "**kwargs",
    ),
    "join_room": (
        "name",
        "*",
        "status_url=None",
        "**kwargs",
    ),
    "leave_conference": (
        "conference_id",
        "**kwargs",
    ),
    "leave_room": ("**kwargs",),
    "live_transcribe": (
        "action",
        "**kwargs",
    ),
    "live_translate": (
        "action",
        "*",
        "status_url=None",
        "**kwargs",
    ),
    "pass_": (),
    "pay": (
        "payment_connector_url",
        "*",
        "control_id=None",
        "input_method=None",
        "status_url=None",
        "payment_method=None",
        "timeout=None",
        "max_attempts=None",
        "security_code=None",
        "postal_code=None",
        "min_postal_code_length=None",
        "token_type=None",
        "charge_amount=None",
        "currency=None",
        "language=None",
        "voice=None",
        "description=None",
        "valid_card_types=None",
        "parameters=None",
        "prompts=None",
        "on_completed=None",
        "**kwargs",
    ),
    "play": (
        "media",
        "*",
        "volume=None",
        "direction=None",
        "loop=None",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "play_and_collect": (
        "media",
        "collect",
        "*",
        "volume=None",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "play_audio": (
        "url",
        "*",
        "volume=None",
        "on_completed=None",
    ),
    "play_ringtone": (
        "name",
        "*",
        "duration=None",
        "volume=None",
        "on_completed=None",
    ),
    "play_silence": (
        "duration",
        "*",
        "on_completed=None",
    ),
    "play_tts": (
        "text",
        "*",
        "language=None",
        "gender=None",
        "voice=None",
        "volume=None",
        "on_completed=None",
    ),
    "prompt_audio": (
        "url",
        "collect",
        "*",
        "volume=None",
        "on_completed=None",
    ),
    "prompt_tts": (
        "text",
        "collect",
        "*",
        "language=None",
        "gender=None",
        "voice=None",
        "volume=None",
        "on_completed=None",
    ),
    "queue_enter": (
        "queue_name",
        "*",
        "control_id=None",
        "status_url=None",
        "**kwargs",
    ),
    "queue_leave": (
        "queue_name",
        "*",
        "control_id=None",
        "queue_id=None",
        "status_url=None",
        "**kwargs",
    ),
    "receive_fax": (
        "*",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "record": (
        "audio=None",
        "*",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "refer": (
        "device",
        "*",
        "status_url=None",
        "**kwargs",
    ),
    "send_digits": (
        "digits",
        "*",
        "control_id=None",
    ),
    "send_fax": (
        "document",
        "*",
        "identity=None",
        "header_info=None",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "stream": (
        "url",
        "*",
        "name=None",
        "codec=None",
        "track=None",
        "status_url=None",
        "status_url_method=None",
        "authorization_bearer_token=None",
        "custom_parameters=None",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "tap": (
        "tap",
        "device",
        "*",
        "control_id=None",
        "on_completed=None",
        "**kwargs",
    ),
    "transcribe": (
        "*",
        "control_id=None",
        "status_url=None",
        "on_completed=None",
        "**kwargs",
    ),
    "transfer": (
        "dest",
        "**kwargs",
    ),
    "unhold": (),
    "user_event": (
        "*",
        "event=None",
        "**kwargs",
    ),
}

# Call methods that are not commands (they wait for or listen to events).
SDK_EVENT_HELPERS = {
    "on",
    "wait_for",
    "wait_for_answered",
    "wait_for_ended",
    "wait_for_ending",
    "wait_for_ringing",
}

Shape = list[tuple[str, inspect._ParameterKind, Any]]


def _shape(signature: inspect.Signature) -> Shape:
    return [
        (p.name, p.kind, p.default)
        for p in signature.parameters.values()
        if p.name not in ("self", "on_completed")
    ]


def _parse(params: tuple[str, ...]) -> inspect.Signature:
    # ("a", "*", "b=None", "**kwargs") joined is valid lambda syntax: let Python parse it.
    function: Callable[..., None] = eval(f"lambda {', '.join(params)}: None")
    return inspect.signature(function)


@pytest.mark.parametrize("name", sorted(SDK_CALL_SIGNATURES))
def test_builder_signature_matches_sdk(name: str) -> None:
    builder = getattr(c, name)
    assert _shape(inspect.signature(builder)) == _shape(_parse(SDK_CALL_SIGNATURES[name]))


@pytest.mark.parametrize("name", sorted(SDK_CALL_SIGNATURES))
def test_builder_returns_call_command(name: str) -> None:
    assert inspect.signature(getattr(c, name)).return_annotation in (CallCommand, "CallCommand")


def test_builders_are_exactly_the_sdk_commands() -> None:
    builders = {
        name
        for name in c.__all__
        if name[0].islower() and not name.startswith("action_") and not name.endswith("_params")
    }
    assert builders == set(SDK_CALL_SIGNATURES)
    assert len(builders) == 49


def test_on_completed_is_left_to_the_adapters() -> None:
    for name in SDK_CALL_SIGNATURES:
        assert "on_completed" not in inspect.signature(getattr(c, name)).parameters, name


def test_non_call_builder_signatures() -> None:
    kw, pos, var = (
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_KEYWORD,
    )
    empty = inspect.Parameter.empty
    assert _shape(inspect.signature(c.dial_params)) == [
        ("devices", pos, empty),
        ("tag", kw, empty),
        ("max_duration", kw, None),
        ("extra", var, empty),
    ]
    assert _shape(inspect.signature(c.send_message_params)) == [
        ("to_number", kw, empty),
        ("from_number", kw, empty),
        ("context", kw, empty),
        ("body", kw, None),
        ("media", kw, None),
        ("tags", kw, None),
        ("region", kw, None),
    ]
    assert _shape(inspect.signature(c.action_pause)) == [
        ("kind", pos, empty),
        ("control_id", pos, empty),
        ("behavior", pos, None),
    ]
    assert _shape(inspect.signature(c.action_volume)) == [
        ("kind", pos, empty),
        ("control_id", pos, empty),
        ("volume", pos, empty),
    ]


@pytest.mark.official
def test_signature_table_matches_installed_sdk() -> None:
    relay = pytest.importorskip("signalwire.relay")
    methods = {
        name: function
        for name, function in inspect.getmembers(relay.Call, inspect.isfunction)
        if not name.startswith("_") and name not in SDK_EVENT_HELPERS
    }
    assert set(methods) == set(SDK_CALL_SIGNATURES)
    for name, function in methods.items():
        assert _shape(inspect.signature(function)) == _shape(_parse(SDK_CALL_SIGNATURES[name]))
