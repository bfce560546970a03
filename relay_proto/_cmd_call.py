"""Command builders for call control: lifecycle, bridging, hold, payments, transcription, AI,
conferences, rooms, queues and the smaller verbs (spec 3.5 A, B, J–N).

Re-exported by :mod:`relay_proto.commands`, which documents the conventions they share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._cmd_base import (
    action_command,
    controlled_command,
    media_list,
    plain_command,
    put,
    req_devices,
    wire,
)
from ._types import CallCommand

__all__ = [
    "ai",
    "ai_hold",
    "ai_message",
    "ai_unhold",
    "amazon_bedrock",
    "answer",
    "connect",
    "denoise",
    "denoise_stop",
    "disconnect",
    "echo",
    "hangup",
    "hold",
    "join_conference",
    "join_room",
    "leave_conference",
    "leave_room",
    "live_transcribe",
    "live_translate",
    "pass_",
    "pay",
    "queue_enter",
    "queue_leave",
    "refer",
    "transcribe",
    "transfer",
    "unhold",
    "user_event",
]

_NOTHING: Mapping[str, Any] = {}


# ---------------------------------------------------------------- lifecycle


def answer(**kwargs: Any) -> CallCommand:
    """``calling.answer``; ``kwargs`` (e.g. ``max_duration``, ``codecs``) are sent as given.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    return plain_command("calling.answer", {}, kwargs)


def hangup(reason: str = "hangup") -> CallCommand:
    """``calling.end`` with ``reason`` (always sent, as given: the protocol reference lists
    ``hangup``, ``cancel``, ``busy``, ``noAnswer``, ``decline`` and ``error``)."""
    return plain_command("calling.end", {"reason": reason}, _NOTHING)


def pass_() -> CallCommand:
    """``calling.pass``: decline control so the service offers the call elsewhere."""
    return plain_command("calling.pass", {}, _NOTHING)


def transfer(dest: str, **kwargs: Any) -> CallCommand:
    """``calling.transfer`` to ``dest`` (a URL, an SWML script or ``context:<name>``).

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    return plain_command("calling.transfer", {"dest": dest}, kwargs)


# ---------------------------------------------------------------- bridging, refer, hold


def connect(
    devices: Sequence[Sequence[Mapping[str, Any]]],
    *,
    ringback: Sequence[Mapping[str, Any]] | None = None,
    tag: str | None = None,
    max_duration: int | None = None,
    max_price_per_minute: float | None = None,
    status_url: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.connect``: bridge this call to the first of ``devices`` that answers.

    Args:
        devices: list of lists of device objects (``{"type": ..., "params": {...}}``).
        ringback: media items played to this call while connecting.
        max_duration: minutes. max_price_per_minute: a price cap.

    Raises:
        InvalidCommandError: ``devices`` is not a list of non-empty lists of ``{"type",
            "params"}`` objects, ``ringback`` is not a list of objects (or a mixed item
            disagrees with itself), or ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {"devices": req_devices("devices", devices)}
    put(params, "ringback", None if ringback is None else media_list("ringback", ringback))
    put(params, "tag", tag)
    put(params, "max_duration", max_duration)
    put(params, "max_price_per_minute", max_price_per_minute)
    put(params, "status_url", status_url)
    return plain_command("calling.connect", params, kwargs)


def disconnect() -> CallCommand:
    """``calling.disconnect``: unbridge connected peers without hanging them up."""
    return plain_command("calling.disconnect", {}, _NOTHING)


def refer(
    device: Mapping[str, Any], *, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.refer``: SIP REFER to ``device`` (``{"type": "sip", "params": {"to": ...}}``).

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {"device": wire(device)}
    put(params, "status_url", status_url)
    return plain_command("calling.refer", params, kwargs)


def hold() -> CallCommand:
    """``calling.hold``."""
    return plain_command("calling.hold", {}, _NOTHING)


def unhold() -> CallCommand:
    """``calling.unhold``."""
    return plain_command("calling.unhold", {}, _NOTHING)


# ---------------------------------------------------------------- payments


def pay(
    payment_connector_url: str,
    *,
    control_id: str | None = None,
    input_method: str | None = None,
    status_url: str | None = None,
    payment_method: str | None = None,
    timeout: str | None = None,
    max_attempts: str | None = None,
    security_code: str | None = None,
    postal_code: str | None = None,
    min_postal_code_length: str | None = None,
    token_type: str | None = None,
    charge_amount: str | None = None,
    currency: str | None = None,
    language: str | None = None,
    voice: str | None = None,
    description: str | None = None,
    valid_card_types: str | None = None,
    parameters: Sequence[Mapping[str, Any]] | None = None,
    prompts: Sequence[Mapping[str, Any]] | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.pay`` (action ``"pay"``); ``input_method`` is sent as ``input``.

    The official SDK types ``timeout``, ``max_attempts`` and ``min_postal_code_length`` as
    strings and the guide as integers; like every value here they are sent as given.

    Raises:
        InvalidCommandError: an empty ``control_id``, or ``node_id``/``call_id`` among
            ``kwargs``.
    """
    params: dict[str, Any] = {"payment_connector_url": payment_connector_url}
    put(params, "input", input_method)
    put(params, "status_url", status_url)
    put(params, "payment_method", payment_method)
    put(params, "timeout", timeout)
    put(params, "max_attempts", max_attempts)
    put(params, "security_code", security_code)
    put(params, "postal_code", postal_code)
    put(params, "min_postal_code_length", min_postal_code_length)
    put(params, "token_type", token_type)
    put(params, "charge_amount", charge_amount)
    for key, value in (
        ("currency", currency),
        ("language", language),
        ("voice", voice),
        ("description", description),
        ("valid_card_types", valid_card_types),
    ):
        put(params, key, value)
    put(params, "parameters", parameters)
    put(params, "prompts", prompts)
    return action_command("pay", params, control_id, kwargs)


# ---------------------------------------------------------------- transcription


def transcribe(
    *, control_id: str | None = None, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.transcribe`` (action ``"transcribe"``).

    Raises:
        InvalidCommandError: an empty ``control_id``, or ``node_id``/``call_id`` among
            ``kwargs``.
    """
    params: dict[str, Any] = {}
    put(params, "status_url", status_url)
    return action_command("transcribe", params, control_id, kwargs)


def live_transcribe(action: Mapping[str, Any], **kwargs: Any) -> CallCommand:
    """``calling.live_transcribe`` with ``action`` = ``{"start" | "stop" | "summarize": {...}}``.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params = {"action": wire(action)}
    return plain_command("calling.live_transcribe", params, kwargs)


def live_translate(
    action: Mapping[str, Any], *, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.live_translate`` with ``action`` = ``{"start" | "stop" | "summarize" |
    "inject": {...}}``.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {"action": wire(action)}
    put(params, "status_url", status_url)
    return plain_command("calling.live_translate", params, kwargs)


# ---------------------------------------------------------------- AI


def ai(
    *,
    control_id: str | None = None,
    agent: str | None = None,
    prompt: Mapping[str, Any] | None = None,
    post_prompt: Mapping[str, Any] | None = None,
    post_prompt_url: str | None = None,
    post_prompt_auth_user: str | None = None,
    post_prompt_auth_password: str | None = None,
    global_data: Mapping[str, Any] | None = None,
    pronounce: Sequence[Mapping[str, Any]] | None = None,
    hints: Sequence[str] | None = None,
    languages: Sequence[Mapping[str, Any]] | None = None,
    SWAIG: Mapping[str, Any] | None = None,  # the official SDK's spelling
    ai_params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.ai`` (action ``"ai"``): start an AI agent; ``ai_params`` is sent as ``params``.

    Raises:
        InvalidCommandError: an empty ``control_id``, or ``node_id``/``call_id`` among
            ``kwargs``.
    """
    params: dict[str, Any] = {}
    put(params, "agent", agent)
    put(params, "prompt", prompt)
    put(params, "post_prompt", post_prompt)
    for key, value in (
        ("post_prompt_url", post_prompt_url),
        ("post_prompt_auth_user", post_prompt_auth_user),
        ("post_prompt_auth_password", post_prompt_auth_password),
    ):
        put(params, key, value)
    put(params, "global_data", global_data)
    put(params, "pronounce", pronounce)
    put(params, "hints", hints)
    put(params, "languages", languages)
    put(params, "SWAIG", SWAIG)
    put(params, "params", ai_params)
    return action_command("ai", params, control_id, kwargs)


def amazon_bedrock(
    *,
    prompt: Any | None = None,
    SWAIG: Mapping[str, Any] | None = None,  # the official SDK's spelling
    ai_params: Mapping[str, Any] | None = None,
    global_data: Mapping[str, Any] | None = None,
    post_prompt: Mapping[str, Any] | None = None,
    post_prompt_url: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.amazon_bedrock``; ``prompt`` may be a string or an object, ``ai_params`` is sent
    as ``params``.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {}
    put(params, "prompt", prompt)
    put(params, "SWAIG", SWAIG)
    put(params, "params", ai_params)
    put(params, "global_data", global_data)
    put(params, "post_prompt", post_prompt)
    put(params, "post_prompt_url", post_prompt_url)
    return plain_command("calling.amazon_bedrock", params, kwargs)


def ai_message(
    *,
    message_text: str | None = None,
    role: str | None = None,
    reset: Mapping[str, Any] | None = None,
    global_data: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.ai_message``: send a message to the running AI agent.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {}
    put(params, "message_text", message_text)
    put(params, "role", role)
    put(params, "reset", reset)
    put(params, "global_data", global_data)
    return plain_command("calling.ai_message", params, kwargs)


def ai_hold(*, timeout: str | None = None, prompt: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.ai_hold`` (``timeout`` is a string in the schema; a number is accepted).

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {}
    put(params, "timeout", timeout)
    put(params, "prompt", prompt)
    return plain_command("calling.ai_hold", params, kwargs)


def ai_unhold(*, prompt: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.ai_unhold``.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {}
    put(params, "prompt", prompt)
    return plain_command("calling.ai_unhold", params, kwargs)


# ---------------------------------------------------------------- conferences and rooms


def join_conference(
    name: str,
    *,
    muted: bool | None = None,
    beep: str | None = None,
    start_on_enter: bool | None = None,
    end_on_exit: bool | None = None,
    wait_url: str | None = None,
    max_participants: int | None = None,
    record: str | None = None,
    region: str | None = None,
    trim: str | None = None,
    coach: str | None = None,
    status_callback: str | None = None,
    status_callback_event: str | None = None,
    status_callback_event_type: str | None = None,
    status_callback_method: str | None = None,
    recording_status_callback: str | None = None,
    recording_status_callback_event: str | None = None,
    recording_status_callback_event_type: str | None = None,
    recording_status_callback_method: str | None = None,
    stream_obj: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.join_conference`` ``name``; ``stream_obj`` is sent as ``stream``.

    ``beep`` takes ``"true"``/``"false"``/``"onEnter"``/``"onExit"`` or a bool.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {"name": name}
    put(params, "muted", muted)
    put(params, "beep", beep)
    put(params, "start_on_enter", start_on_enter)
    put(params, "end_on_exit", end_on_exit)
    put(params, "wait_url", wait_url)
    put(params, "max_participants", max_participants)
    for key, value in (
        ("record", record),
        ("region", region),
        ("trim", trim),
        ("coach", coach),
        ("status_callback", status_callback),
        ("status_callback_event", status_callback_event),
        ("status_callback_event_type", status_callback_event_type),
        ("status_callback_method", status_callback_method),
        ("recording_status_callback", recording_status_callback),
        ("recording_status_callback_event", recording_status_callback_event),
        ("recording_status_callback_event_type", recording_status_callback_event_type),
        ("recording_status_callback_method", recording_status_callback_method),
    ):
        put(params, key, value)
    put(params, "stream", stream_obj)
    return plain_command("calling.join_conference", params, kwargs)


def leave_conference(conference_id: str, **kwargs: Any) -> CallCommand:
    """``calling.leave_conference``.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params = {"conference_id": conference_id}
    return plain_command("calling.leave_conference", params, kwargs)


def join_room(name: str, *, status_url: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.join_room``.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {"name": name}
    put(params, "status_url", status_url)
    return plain_command("calling.join_room", params, kwargs)


def leave_room(**kwargs: Any) -> CallCommand:
    """``calling.leave_room``.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    return plain_command("calling.leave_room", {}, kwargs)


# ---------------------------------------------------------------- queues


def queue_enter(
    queue_name: str, *, control_id: str | None = None, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.queue.enter`` (carries a control id; no action).

    Raises:
        InvalidCommandError: an empty ``control_id``, or ``node_id``/``call_id`` among
            ``kwargs``.
    """
    params: dict[str, Any] = {"queue_name": queue_name}
    put(params, "status_url", status_url)
    return controlled_command("calling.queue.enter", params, control_id, kwargs)


def queue_leave(
    queue_name: str,
    *,
    control_id: str | None = None,
    queue_id: str | None = None,
    status_url: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.queue.leave`` (carries a control id; no action).

    Raises:
        InvalidCommandError: an empty ``control_id``, or ``node_id``/``call_id`` among
            ``kwargs``.
    """
    params: dict[str, Any] = {"queue_name": queue_name}
    put(params, "queue_id", queue_id)
    put(params, "status_url", status_url)
    return controlled_command("calling.queue.leave", params, control_id, kwargs)


# ---------------------------------------------------------------- miscellaneous


def echo(
    *, timeout: float | None = None, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.echo`` (``timeout`` in seconds; ``0`` = until the call ends).

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {}
    put(params, "timeout", timeout)
    put(params, "status_url", status_url)
    return plain_command("calling.echo", params, kwargs)


def denoise() -> CallCommand:
    """``calling.denoise``."""
    return plain_command("calling.denoise", {}, _NOTHING)


def denoise_stop() -> CallCommand:
    """``calling.denoise.stop``."""
    return plain_command("calling.denoise.stop", {}, _NOTHING)


def user_event(*, event: Any | None = None, **kwargs: Any) -> CallCommand:
    """``calling.user_event``: ``event`` (any JSON value; usually a name) plus ``kwargs`` as
    extra top-level keys.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    params: dict[str, Any] = {}
    put(params, "event", event)
    return plain_command("calling.user_event", params, kwargs)
