"""Command builders for call control: lifecycle, bridging, hold, payments, transcription, AI,
conferences, rooms, queues and the smaller verbs (spec 3.5 A, B, J–N).

Re-exported by :mod:`relay_proto.commands`, which documents the conventions they share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._cmd_base import (
    HANGUP_REASONS,
    action_command,
    controlled_command,
    fail,
    opt_bool,
    opt_int,
    opt_list,
    opt_mapping,
    opt_number,
    opt_scalar,
    opt_str,
    opt_str_list,
    plain_command,
    put,
    req_devices,
    req_mapping,
    req_media,
    req_str,
    req_typed_object,
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
_TRANSCRIBE_VERBS = ("start", "stop", "summarize")
_TRANSLATE_VERBS = ("start", "stop", "summarize", "inject")
# The most participants a conference may be limited to (spec 3.5 M).
_MAX_PARTICIPANTS = 250


# ---------------------------------------------------------------- lifecycle


def answer(**kwargs: Any) -> CallCommand:
    """``calling.answer``; ``kwargs`` (e.g. ``max_duration``, ``codecs``) are sent as given.

    Raises:
        InvalidCommandError: ``node_id``/``call_id`` among ``kwargs``.
    """
    return plain_command("calling.answer", {}, kwargs)


def hangup(reason: str = "hangup") -> CallCommand:
    """``calling.end`` with ``reason`` (always sent).

    Raises:
        InvalidCommandError: ``reason`` is not one of ``hangup``, ``cancel``, ``busy``,
            ``noAnswer``, ``decline``, ``error``.
    """
    if not isinstance(reason, str) or reason not in HANGUP_REASONS:
        allowed = ", ".join(sorted(HANGUP_REASONS))
        fail("reason", f"must be one of {allowed}; got {reason!r}")
    return plain_command("calling.end", {"reason": reason}, _NOTHING)


def pass_() -> CallCommand:
    """``calling.pass``: decline control so the service offers the call elsewhere."""
    return plain_command("calling.pass", {}, _NOTHING)


def transfer(dest: str, **kwargs: Any) -> CallCommand:
    """``calling.transfer`` to ``dest`` (a URL, an SWML script or ``context:<name>``).

    Raises:
        InvalidCommandError: empty ``dest``.
    """
    return plain_command("calling.transfer", {"dest": req_str("dest", dest)}, kwargs)


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
        InvalidCommandError: a malformed ``devices`` or ``ringback``, a non-positive
            ``max_duration``, a negative price, a non-string ``tag``/``status_url``.
    """
    params: dict[str, Any] = {"devices": req_devices("devices", devices)}
    put(params, "ringback", None if ringback is None else req_media("ringback", ringback))
    put(params, "tag", None if tag is None else req_str("tag", tag))
    put(params, "max_duration", opt_int("max_duration", max_duration, minimum=1))
    put(
        params,
        "max_price_per_minute",
        opt_number("max_price_per_minute", max_price_per_minute, minimum=0),
    )
    put(params, "status_url", opt_str("status_url", status_url))
    return plain_command("calling.connect", params, kwargs)


def disconnect() -> CallCommand:
    """``calling.disconnect``: unbridge connected peers without hanging them up."""
    return plain_command("calling.disconnect", {}, _NOTHING)


def refer(
    device: Mapping[str, Any], *, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.refer``: SIP REFER to ``device`` (``{"type": "sip", "params": {"to": ...}}``).

    Raises:
        InvalidCommandError: ``device`` lacks a string ``type`` or object ``params``.
    """
    params: dict[str, Any] = {"device": req_typed_object("device", device)}
    put(params, "status_url", opt_str("status_url", status_url))
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
    strings and the guide as integers, so both are accepted; likewise ``security_code`` and
    ``postal_code`` take a string or a bool, and ``charge_amount`` a string or a number.

    Raises:
        InvalidCommandError: empty ``payment_connector_url``, a value of the wrong type, or a
            ``parameters``/``prompts`` list whose items are not objects.
    """
    params: dict[str, Any] = {
        "payment_connector_url": req_str("payment_connector_url", payment_connector_url)
    }
    put(params, "input", opt_str("input_method", input_method))
    put(params, "status_url", opt_str("status_url", status_url))
    put(params, "payment_method", opt_str("payment_method", payment_method))
    put(params, "timeout", opt_scalar("timeout", timeout, kinds=(str, int)))
    put(params, "max_attempts", opt_scalar("max_attempts", max_attempts, kinds=(str, int)))
    put(params, "security_code", opt_scalar("security_code", security_code, kinds=(str, bool)))
    put(params, "postal_code", opt_scalar("postal_code", postal_code, kinds=(str, bool)))
    put(
        params,
        "min_postal_code_length",
        opt_scalar("min_postal_code_length", min_postal_code_length, kinds=(str, int)),
    )
    put(params, "token_type", opt_str("token_type", token_type))
    put(
        params,
        "charge_amount",
        opt_scalar("charge_amount", charge_amount, kinds=(str, int, float)),
    )
    for key, value in (
        ("currency", currency),
        ("language", language),
        ("voice", voice),
        ("description", description),
        ("valid_card_types", valid_card_types),
    ):
        put(params, key, opt_str(key, value))
    put(params, "parameters", opt_list("parameters", parameters, objects=True))
    put(params, "prompts", opt_list("prompts", prompts, objects=True))
    return action_command("pay", params, control_id, kwargs)


# ---------------------------------------------------------------- transcription


def transcribe(
    *, control_id: str | None = None, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.transcribe`` (action ``"transcribe"``).

    Raises:
        InvalidCommandError: a non-string ``status_url``.
    """
    params: dict[str, Any] = {}
    put(params, "status_url", opt_str("status_url", status_url))
    return action_command("transcribe", params, control_id, kwargs)


def _verb_object(name: str, value: object, verbs: tuple[str, ...]) -> dict[str, Any]:
    # live_transcribe / live_translate take {"<verb>": {...}} with exactly one verb.
    action = req_mapping(name, value)
    if len(action) != 1 or next(iter(action)) not in verbs:
        fail(name, f"must have exactly one key, one of {', '.join(verbs)}; got {list(action)!r}")
    verb = next(iter(action))
    req_mapping(f"{name}.{verb}", action[verb])
    return action


def live_transcribe(action: Mapping[str, Any], **kwargs: Any) -> CallCommand:
    """``calling.live_transcribe`` with ``action`` = ``{"start" | "stop" | "summarize": {...}}``.

    Raises:
        InvalidCommandError: ``action`` is not an object with exactly one of those keys whose
            value is an object.
    """
    params = {"action": _verb_object("action", action, _TRANSCRIBE_VERBS)}
    return plain_command("calling.live_transcribe", params, kwargs)


def live_translate(
    action: Mapping[str, Any], *, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.live_translate`` with ``action`` = ``{"start" | "stop" | "summarize" |
    "inject": {...}}``.

    Raises:
        InvalidCommandError: a malformed ``action`` (as :func:`live_transcribe`), a non-string
            ``status_url``.
    """
    params: dict[str, Any] = {"action": _verb_object("action", action, _TRANSLATE_VERBS)}
    put(params, "status_url", opt_str("status_url", status_url))
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
        InvalidCommandError: a value of the wrong type (objects for ``prompt``,
            ``post_prompt``, ``global_data``, ``SWAIG``, ``ai_params``; lists for
            ``pronounce``, ``languages`` and ``hints`` (of strings); strings for the rest).
    """
    params: dict[str, Any] = {}
    put(params, "agent", opt_str("agent", agent))
    put(params, "prompt", opt_mapping("prompt", prompt))
    put(params, "post_prompt", opt_mapping("post_prompt", post_prompt))
    for key, value in (
        ("post_prompt_url", post_prompt_url),
        ("post_prompt_auth_user", post_prompt_auth_user),
        ("post_prompt_auth_password", post_prompt_auth_password),
    ):
        put(params, key, opt_str(key, value))
    put(params, "global_data", opt_mapping("global_data", global_data))
    put(params, "pronounce", opt_list("pronounce", pronounce, objects=True))
    put(params, "hints", opt_str_list("hints", hints))
    put(params, "languages", opt_list("languages", languages, objects=True))
    put(params, "SWAIG", opt_mapping("SWAIG", SWAIG))
    put(params, "params", opt_mapping("ai_params", ai_params))
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
        InvalidCommandError: a ``prompt`` that is neither a string nor an object, or another
            value of the wrong type.
    """
    params: dict[str, Any] = {}
    if prompt is not None and not isinstance(prompt, str):
        prompt = req_mapping("prompt", prompt)
    put(params, "prompt", prompt)
    put(params, "SWAIG", opt_mapping("SWAIG", SWAIG))
    put(params, "params", opt_mapping("ai_params", ai_params))
    put(params, "global_data", opt_mapping("global_data", global_data))
    put(params, "post_prompt", opt_mapping("post_prompt", post_prompt))
    put(params, "post_prompt_url", opt_str("post_prompt_url", post_prompt_url))
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
        InvalidCommandError: non-string ``message_text``/``role``, non-object
            ``reset``/``global_data``.
    """
    params: dict[str, Any] = {}
    put(params, "message_text", opt_str("message_text", message_text))
    put(params, "role", opt_str("role", role))
    put(params, "reset", opt_mapping("reset", reset))
    put(params, "global_data", opt_mapping("global_data", global_data))
    return plain_command("calling.ai_message", params, kwargs)


def ai_hold(*, timeout: str | None = None, prompt: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.ai_hold`` (``timeout`` is a string in the schema; a number is accepted).

    Raises:
        InvalidCommandError: a ``timeout`` that is neither a string nor a number, a non-string
            ``prompt``.
    """
    params: dict[str, Any] = {}
    put(params, "timeout", opt_scalar("timeout", timeout, kinds=(str, int, float)))
    put(params, "prompt", opt_str("prompt", prompt))
    return plain_command("calling.ai_hold", params, kwargs)


def ai_unhold(*, prompt: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.ai_unhold``.

    Raises:
        InvalidCommandError: a non-string ``prompt``.
    """
    params: dict[str, Any] = {}
    put(params, "prompt", opt_str("prompt", prompt))
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
        InvalidCommandError: empty ``name``, a non-bool flag, a ``max_participants`` that is
            not an int from 1 to 250, a non-string option, a non-object ``stream_obj``.
    """
    params: dict[str, Any] = {"name": req_str("name", name)}
    put(params, "muted", opt_bool("muted", muted))
    put(params, "beep", opt_scalar("beep", beep, kinds=(str, bool)))
    put(params, "start_on_enter", opt_bool("start_on_enter", start_on_enter))
    put(params, "end_on_exit", opt_bool("end_on_exit", end_on_exit))
    put(params, "wait_url", opt_str("wait_url", wait_url))
    put(
        params,
        "max_participants",
        opt_int("max_participants", max_participants, minimum=1, maximum=_MAX_PARTICIPANTS),
    )
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
        put(params, key, opt_str(key, value))
    put(params, "stream", opt_mapping("stream_obj", stream_obj))
    return plain_command("calling.join_conference", params, kwargs)


def leave_conference(conference_id: str, **kwargs: Any) -> CallCommand:
    """``calling.leave_conference``.

    Raises:
        InvalidCommandError: empty ``conference_id``.
    """
    params = {"conference_id": req_str("conference_id", conference_id)}
    return plain_command("calling.leave_conference", params, kwargs)


def join_room(name: str, *, status_url: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.join_room``.

    Raises:
        InvalidCommandError: empty ``name``, a non-string ``status_url``.
    """
    params: dict[str, Any] = {"name": req_str("name", name)}
    put(params, "status_url", opt_str("status_url", status_url))
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
        InvalidCommandError: empty ``queue_name``, a non-string ``status_url``.
    """
    params: dict[str, Any] = {"queue_name": req_str("queue_name", queue_name)}
    put(params, "status_url", opt_str("status_url", status_url))
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
        InvalidCommandError: empty ``queue_name``, a non-string ``queue_id``/``status_url``.
    """
    params: dict[str, Any] = {"queue_name": req_str("queue_name", queue_name)}
    put(params, "queue_id", opt_str("queue_id", queue_id))
    put(params, "status_url", opt_str("status_url", status_url))
    return controlled_command("calling.queue.leave", params, control_id, kwargs)


# ---------------------------------------------------------------- miscellaneous


def echo(
    *, timeout: float | None = None, status_url: str | None = None, **kwargs: Any
) -> CallCommand:
    """``calling.echo`` (``timeout`` in seconds; ``0`` = until the call ends).

    Raises:
        InvalidCommandError: a negative or non-numeric ``timeout``, a non-string
            ``status_url``.
    """
    params: dict[str, Any] = {}
    put(params, "timeout", opt_number("timeout", timeout, minimum=0))
    put(params, "status_url", opt_str("status_url", status_url))
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
