"""Command builders for media on a call: playback, recording, input collection, detection,
DTMF, fax, tap and stream (spec 3.5 C–I).

Re-exported by :mod:`relay_proto.commands`, which documents the conventions they share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._cmd_base import (
    DETECT_TYPES,
    action_command,
    collect_inputs,
    controlled_command,
    dtmf,
    one_of,
    opt_bool,
    opt_int,
    opt_mapping,
    opt_number,
    opt_str,
    plain_command,
    put,
    req_collect,
    req_mapping,
    req_media,
    req_number,
    req_str,
    req_typed_object,
    ringtone_name,
    websocket_url,
)
from ._cmd_base import volume as check_volume
from ._types import CallCommand

__all__ = [
    "bind_digit",
    "clear_digit_bindings",
    "collect",
    "detect",
    "detect_answering_machine",
    "detect_digit",
    "detect_fax",
    "play",
    "play_and_collect",
    "play_audio",
    "play_ringtone",
    "play_silence",
    "play_tts",
    "prompt_audio",
    "prompt_tts",
    "receive_fax",
    "record",
    "send_digits",
    "send_fax",
    "stream",
    "tap",
]

_NOTHING: Mapping[str, Any] = {}


# ---------------------------------------------------------------- playback


def play(
    media: Sequence[Mapping[str, Any]],
    *,
    volume: float | None = None,
    direction: str | None = None,
    loop: int | None = None,
    control_id: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.play`` (action ``"play"``): play ``media`` (sent as ``play``).

    Args:
        media: non-empty list of media items ``{"type": ..., "params": {...}}``.
        volume: dB, −40 to +40. direction: ``listen`` / ``speak`` / ``both``.
        loop: times to play, ``0`` = forever.
        control_id: explicit control id (else the connection makes one).
        **kwargs: extra params, merged last.

    Raises:
        InvalidCommandError: a malformed media list or an out-of-range volume, for example.
    """
    params: dict[str, Any] = {"play": req_media("media", media)}
    put(params, "volume", check_volume("volume", volume))
    put(params, "direction", opt_str("direction", direction))
    put(params, "loop", opt_int("loop", loop, minimum=0))
    return action_command("play", params, control_id, kwargs)


def _tts(text: str, language: object, gender: object, voice: object) -> dict[str, Any]:
    tts: dict[str, Any] = {"text": req_str("text", text)}
    put(tts, "language", opt_str("language", language))
    put(tts, "gender", opt_str("gender", gender))
    put(tts, "voice", opt_str("voice", voice))
    return {"type": "tts", "params": tts}


def _audio(url: str) -> dict[str, Any]:
    return {"type": "audio", "params": {"url": req_str("url", url)}}


def play_tts(
    text: str,
    *,
    language: str | None = None,
    gender: str | None = None,
    voice: str | None = None,
    volume: float | None = None,
) -> CallCommand:
    """``calling.play`` of one text-to-speech item.

    Raises:
        InvalidCommandError: empty ``text``, a non-string option or a bad volume.
    """
    return play([_tts(text, language, gender, voice)], volume=volume)


def play_audio(url: str, *, volume: float | None = None) -> CallCommand:
    """``calling.play`` of one audio file (``volume`` goes at the top level).

    Raises:
        InvalidCommandError: empty ``url`` or a bad volume.
    """
    return play([_audio(url)], volume=volume)


def play_silence(duration: float) -> CallCommand:
    """``calling.play`` of ``duration`` seconds of silence.

    Raises:
        InvalidCommandError: ``duration`` is not a non-negative number.
    """
    silence = {"duration": req_number("duration", duration, minimum=0)}
    return play([{"type": "silence", "params": silence}])


def play_ringtone(
    name: str, *, duration: float | None = None, volume: float | None = None
) -> CallCommand:
    """``calling.play`` of the ringtone of country ``name`` (``"us"``, ``"uk"``, ...).

    Raises:
        InvalidCommandError: ``name`` is not one of the guide's ringtone names (spec 3.4), a
            negative ``duration`` or a bad volume.
    """
    ringtone: dict[str, Any] = {"name": ringtone_name("name", name)}
    put(ringtone, "duration", opt_number("duration", duration, minimum=0))
    return play([{"type": "ringtone", "params": ringtone}], volume=volume)


# ---------------------------------------------------------------- recording


def record(
    audio: Mapping[str, Any] | None = None,
    *,
    control_id: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.record`` (action ``"record"``); always sends ``record: {"audio": audio or {}}``.

    Raises:
        InvalidCommandError: ``audio`` is not an object.
    """
    params: dict[str, Any] = {"record": {"audio": opt_mapping("audio", audio) or {}}}
    return action_command("record", params, control_id, kwargs)


# ---------------------------------------------------------------- input collection


def play_and_collect(
    media: Sequence[Mapping[str, Any]],
    collect: Mapping[str, Any],
    *,
    volume: float | None = None,
    control_id: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.play_and_collect`` (action ``"play_and_collect"``): prompt, then collect.

    Args:
        media: the prompt, sent as ``play``.
        collect: ``{"digits"?: {"max": n, ...}, "speech"?: {...}, "initial_timeout"?: s}``.

    Raises:
        InvalidCommandError: a bad media list, a collect object with neither ``digits`` nor
            ``speech`` or with a ``digits.max`` that is not a positive integer, a bad volume.
    """
    params: dict[str, Any] = {
        "play": req_media("media", media),
        "collect": req_collect("collect", collect),
    }
    put(params, "volume", check_volume("volume", volume))
    return action_command("play_and_collect", params, control_id, kwargs)


def prompt_tts(
    text: str,
    collect: Mapping[str, Any],
    *,
    language: str | None = None,
    gender: str | None = None,
    voice: str | None = None,
    volume: float | None = None,
) -> CallCommand:
    """``calling.play_and_collect`` with a one-item text-to-speech prompt.

    Raises:
        InvalidCommandError: as :func:`play_tts` and :func:`play_and_collect`.
    """
    return play_and_collect([_tts(text, language, gender, voice)], collect, volume=volume)


def prompt_audio(
    url: str, collect: Mapping[str, Any], *, volume: float | None = None
) -> CallCommand:
    """``calling.play_and_collect`` with a one-item audio prompt.

    Raises:
        InvalidCommandError: as :func:`play_audio` and :func:`play_and_collect`.
    """
    return play_and_collect([_audio(url)], collect, volume=volume)


def collect(
    *,
    digits: Mapping[str, Any] | None = None,
    speech: Mapping[str, Any] | None = None,
    initial_timeout: float | None = None,
    partial_results: bool | None = None,
    continuous: bool | None = None,
    send_start_of_input: bool | None = None,
    start_input_timers: bool | None = None,
    control_id: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.collect`` (action ``"collect"``): collect input without a prompt.

    Raises:
        InvalidCommandError: neither ``digits`` nor ``speech``, a ``digits`` object without a
            positive integer ``max``, a negative timeout or a non-bool flag.
    """
    digits_obj, speech_obj = collect_inputs("digits", digits, "speech", speech)
    params: dict[str, Any] = {}
    put(params, "digits", digits_obj)
    put(params, "speech", speech_obj)
    put(params, "initial_timeout", opt_number("initial_timeout", initial_timeout, minimum=0))
    put(params, "partial_results", opt_bool("partial_results", partial_results))
    put(params, "continuous", opt_bool("continuous", continuous))
    put(params, "send_start_of_input", opt_bool("send_start_of_input", send_start_of_input))
    put(params, "start_input_timers", opt_bool("start_input_timers", start_input_timers))
    return action_command("collect", params, control_id, kwargs)


# ---------------------------------------------------------------- detection


def detect(
    detect: Mapping[str, Any],
    *,
    timeout: float | None = None,
    control_id: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.detect`` (action ``"detect"``).

    Args:
        detect: ``{"type": "machine" | "fax" | "digit", "params"?: {...}}``.
        timeout: seconds (the server's default is 30).

    Raises:
        InvalidCommandError: ``detect`` has a ``type`` other than ``machine``, ``fax`` or
            ``digit``, non-object ``params``, or ``timeout`` is negative.
    """
    obj = req_mapping("detect", detect)
    one_of("detect.type", req_str("detect.type", obj.get("type")), DETECT_TYPES)
    if "params" in obj:
        req_mapping("detect.params", obj["params"])
    params: dict[str, Any] = {"detect": obj}
    put(params, "timeout", opt_number("timeout", timeout, minimum=0))
    return action_command("detect", params, control_id, kwargs)


def detect_digit(*, digits: str | None = None, timeout: float | None = None) -> CallCommand:
    """``calling.detect`` of DTMF ``digits`` (all digits when not given).

    Raises:
        InvalidCommandError: ``digits`` is empty or not a string; a negative timeout.
    """
    detect_params: dict[str, Any] = {}
    put(detect_params, "digits", None if digits is None else req_str("digits", digits))
    return detect({"type": "digit", "params": detect_params}, timeout=timeout)


def detect_answering_machine(
    *,
    initial_timeout: float | None = None,
    end_silence_timeout: float | None = None,
    machine_voice_threshold: float | None = None,
    machine_words_threshold: int | None = None,
    detect_interruptions: bool | None = None,
    detect_message_end: bool | None = None,
    timeout: float | None = None,
) -> CallCommand:
    """``calling.detect`` of type ``machine``, with only the given settings.

    Raises:
        InvalidCommandError: a negative or non-numeric setting, or a non-bool flag.
    """
    settings: dict[str, Any] = {}
    for key, value in (
        ("initial_timeout", initial_timeout),
        ("end_silence_timeout", end_silence_timeout),
        ("machine_voice_threshold", machine_voice_threshold),
    ):
        put(settings, key, opt_number(key, value, minimum=0))
    put(
        settings,
        "machine_words_threshold",
        opt_int("machine_words_threshold", machine_words_threshold, minimum=0),
    )
    put(settings, "detect_interruptions", opt_bool("detect_interruptions", detect_interruptions))
    put(settings, "detect_message_end", opt_bool("detect_message_end", detect_message_end))
    return detect({"type": "machine", "params": settings}, timeout=timeout)


def detect_fax(*, tone: str | None = None, timeout: float | None = None) -> CallCommand:
    """``calling.detect`` of a fax ``tone`` (``"CED"`` or ``"CNG"``).

    Raises:
        InvalidCommandError: ``tone`` is empty or not a string; a negative timeout.
    """
    detect_params: dict[str, Any] = {}
    put(detect_params, "tone", None if tone is None else req_str("tone", tone))
    return detect({"type": "fax", "params": detect_params}, timeout=timeout)


# ---------------------------------------------------------------- DTMF


def send_digits(digits: str, *, control_id: str | None = None) -> CallCommand:
    """``calling.send_digits`` (carries a control id; no action).

    Raises:
        InvalidCommandError: ``digits`` is empty or has characters other than ``0-9``, ``#``,
            ``*``, ``A-D``, ``w`` (half-second pause) and ``W`` (one-second pause).
    """
    params = {"digits": dtmf("digits", digits)}
    return controlled_command("calling.send_digits", params, control_id, _NOTHING)


def bind_digit(
    digits: str,
    bind_method: str,
    *,
    bind_params: Mapping[str, Any] | None = None,
    realm: str | None = None,
    max_triggers: int | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.bind_digit``: run ``bind_method`` (with ``bind_params``, sent as ``params``)
    when ``digits`` are pressed.

    Raises:
        InvalidCommandError: empty ``digits`` or ``bind_method``, non-object ``bind_params``,
            a negative ``max_triggers`` (``0`` = unlimited).
    """
    params: dict[str, Any] = {
        "digits": req_str("digits", digits),
        "bind_method": req_str("bind_method", bind_method),
    }
    put(params, "params", opt_mapping("bind_params", bind_params))
    put(params, "realm", opt_str("realm", realm))
    put(params, "max_triggers", opt_int("max_triggers", max_triggers, minimum=0))
    return plain_command("calling.bind_digit", params, kwargs)


def clear_digit_bindings(*, realm: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.clear_digit_bindings`` (of one ``realm``, or all).

    Raises:
        InvalidCommandError: ``realm`` is not a string.
    """
    params: dict[str, Any] = {}
    put(params, "realm", opt_str("realm", realm))
    return plain_command("calling.clear_digit_bindings", params, kwargs)


# ---------------------------------------------------------------- fax


def send_fax(
    document: str,
    *,
    identity: str | None = None,
    header_info: str | None = None,
    control_id: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.send_fax`` (action ``"send_fax"``) of the PDF at URL ``document``.

    Raises:
        InvalidCommandError: empty ``document``; a non-string ``identity``/``header_info``.
    """
    params: dict[str, Any] = {"document": req_str("document", document)}
    put(params, "identity", opt_str("identity", identity))
    put(params, "header_info", opt_str("header_info", header_info))
    return action_command("send_fax", params, control_id, kwargs)


def receive_fax(*, control_id: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.receive_fax`` (action ``"receive_fax"``).

    Raises:
        InvalidCommandError: an empty ``control_id``.
    """
    return action_command("receive_fax", {}, control_id, kwargs)


# ---------------------------------------------------------------- tap and stream


def tap(
    tap: Mapping[str, Any],
    device: Mapping[str, Any],
    *,
    control_id: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.tap`` (action ``"tap"``): fork the call's audio to ``device``.

    Args:
        tap: ``{"type": "audio", "params": {"direction": ...}}`` (``params`` is required).
        device: ``{"type": "rtp" | "ws", "params": {...}}``.

    Raises:
        InvalidCommandError: either object lacks a string ``type`` or object ``params``.
    """
    params: dict[str, Any] = {
        "tap": req_typed_object("tap", tap),
        "device": req_typed_object("device", device),
    }
    return action_command("tap", params, control_id, kwargs)


def stream(
    url: str,
    *,
    name: str | None = None,
    codec: str | None = None,
    track: str | None = None,
    status_url: str | None = None,
    status_url_method: str | None = None,
    authorization_bearer_token: str | None = None,
    custom_parameters: Mapping[str, Any] | None = None,
    control_id: str | None = None,
    **kwargs: Any,
) -> CallCommand:
    """``calling.stream`` (action ``"stream"``): stream the call's audio to WebSocket ``url``.

    Raises:
        InvalidCommandError: ``url`` does not start with ``wss://`` or ``ws://`` (any case), a
            non-string option, non-object ``custom_parameters``.
    """
    params: dict[str, Any] = {"url": websocket_url("url", url)}
    for key, value in (
        ("name", name),
        ("codec", codec),
        ("track", track),
        ("status_url", status_url),
        ("status_url_method", status_url_method),
        ("authorization_bearer_token", authorization_bearer_token),
    ):
        put(params, key, opt_str(key, value))
    put(params, "custom_parameters", opt_mapping("custom_parameters", custom_parameters))
    return action_command("stream", params, control_id, kwargs)
