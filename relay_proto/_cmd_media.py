"""Command builders for media on a call: playback, recording, input collection, detection,
DTMF, fax, tap and stream (spec 3.5 C–I).

Re-exported by :mod:`relay_proto.commands`, which documents the conventions they share. Values
are sent as given (the service decides); media lists are normalised to the canonical
``{"type": ..., "params": {...}}`` items (see ``_cmd_base``).
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
    wire,
)
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
        media: list of media items, canonical ``{"type": "tts", "params": {"text": ...}}`` or
            flat ``{"type": "tts", "text": ...}`` (sent canonical).
        volume: dB (the service takes −40 to +40). direction: ``listen`` / ``speak`` / ``both``.
        loop: times to play, ``0`` = forever.
        control_id: explicit control id (else the connection makes one).
        **kwargs: extra params, merged last.

    Raises:
        InvalidCommandError: ``media`` is not a list of objects, a mixed media item disagrees
            with itself, or an empty ``control_id``.
    """
    params: dict[str, Any] = {"play": media_list("media", media)}
    if volume is not None or direction is not None or loop is not None:
        put(params, "volume", volume)
        put(params, "direction", direction)
        put(params, "loop", loop)
    return action_command("play", params, control_id, kwargs)


def _tts(text: object, language: object, gender: object, voice: object) -> dict[str, Any]:
    tts: dict[str, Any] = {"text": text}
    put(tts, "language", language)
    put(tts, "gender", gender)
    put(tts, "voice", voice)
    return {"type": "tts", "params": tts}


def _audio(url: object) -> dict[str, Any]:
    return {"type": "audio", "params": {"url": url}}


def play_tts(
    text: str,
    *,
    language: str | None = None,
    gender: str | None = None,
    voice: str | None = None,
    volume: float | None = None,
) -> CallCommand:
    """``calling.play`` of one text-to-speech item."""
    return play([_tts(text, language, gender, voice)], volume=volume)


def play_audio(url: str, *, volume: float | None = None) -> CallCommand:
    """``calling.play`` of one audio file (``volume`` goes at the top level)."""
    return play([_audio(url)], volume=volume)


def play_silence(duration: float) -> CallCommand:
    """``calling.play`` of ``duration`` seconds of silence."""
    return play([{"type": "silence", "params": {"duration": duration}}])


def play_ringtone(
    name: str, *, duration: float | None = None, volume: float | None = None
) -> CallCommand:
    """``calling.play`` of the ringtone ``name`` (a country code: ``"us"``, ``"uk"``, ...; the
    service decides which names it knows)."""
    ringtone: dict[str, Any] = {"name": name}
    put(ringtone, "duration", duration)
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
        InvalidCommandError: an empty ``control_id``.
    """
    params: dict[str, Any] = {"record": {"audio": wire(audio) or {}}}
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
        media: the prompt, sent as ``play`` (flat items are sent canonical, as for
            :func:`play`).
        collect: ``{"digits"?: {"max": n, ...}, "speech"?: {...}, "initial_timeout"?: s}``.

    Raises:
        InvalidCommandError: as :func:`play` for ``media`` and ``control_id``.
    """
    params: dict[str, Any] = {"play": media_list("media", media), "collect": wire(collect)}
    put(params, "volume", volume)
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
    """``calling.play_and_collect`` with a one-item text-to-speech prompt."""
    return play_and_collect([_tts(text, language, gender, voice)], collect, volume=volume)


def prompt_audio(
    url: str, collect: Mapping[str, Any], *, volume: float | None = None
) -> CallCommand:
    """``calling.play_and_collect`` with a one-item audio prompt."""
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
    """``calling.collect`` (action ``"collect"``): collect input without a prompt (the service
    needs ``digits`` and/or ``speech``).

    Raises:
        InvalidCommandError: an empty ``control_id``.
    """
    params: dict[str, Any] = {}
    put(params, "digits", digits)
    put(params, "speech", speech)
    put(params, "initial_timeout", initial_timeout)
    put(params, "partial_results", partial_results)
    put(params, "continuous", continuous)
    put(params, "send_start_of_input", send_start_of_input)
    put(params, "start_input_timers", start_input_timers)
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
        InvalidCommandError: an empty ``control_id``.
    """
    params: dict[str, Any] = {"detect": wire(detect)}
    put(params, "timeout", timeout)
    return action_command("detect", params, control_id, kwargs)


def detect_digit(*, digits: str | None = None, timeout: float | None = None) -> CallCommand:
    """``calling.detect`` of DTMF ``digits`` (all digits when not given)."""
    detect_params: dict[str, Any] = {}
    put(detect_params, "digits", digits)
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
    """``calling.detect`` of type ``machine``, with only the given settings."""
    settings: dict[str, Any] = {}
    for key, value in (
        ("initial_timeout", initial_timeout),
        ("end_silence_timeout", end_silence_timeout),
        ("machine_voice_threshold", machine_voice_threshold),
        ("machine_words_threshold", machine_words_threshold),
        ("detect_interruptions", detect_interruptions),
        ("detect_message_end", detect_message_end),
    ):
        put(settings, key, value)
    return detect({"type": "machine", "params": settings}, timeout=timeout)


def detect_fax(*, tone: str | None = None, timeout: float | None = None) -> CallCommand:
    """``calling.detect`` of a fax ``tone`` (``"CED"`` or ``"CNG"``)."""
    detect_params: dict[str, Any] = {}
    put(detect_params, "tone", tone)
    return detect({"type": "fax", "params": detect_params}, timeout=timeout)


# ---------------------------------------------------------------- DTMF


def send_digits(digits: str, *, control_id: str | None = None) -> CallCommand:
    """``calling.send_digits`` (carries a control id; no action). The service plays ``0-9``,
    ``#``, ``*``, ``A-D``, ``w`` (half-second pause) and ``W`` (one-second pause).

    Raises:
        InvalidCommandError: an empty ``control_id``.
    """
    params = {"digits": digits}
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
    when ``digits`` are pressed (``max_triggers``: ``0`` = unlimited)."""
    params: dict[str, Any] = {"digits": digits, "bind_method": bind_method}
    put(params, "params", bind_params)
    put(params, "realm", realm)
    put(params, "max_triggers", max_triggers)
    return plain_command("calling.bind_digit", params, kwargs)


def clear_digit_bindings(*, realm: str | None = None, **kwargs: Any) -> CallCommand:
    """``calling.clear_digit_bindings`` (of one ``realm``, or all)."""
    params: dict[str, Any] = {}
    put(params, "realm", realm)
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
        InvalidCommandError: an empty ``control_id``.
    """
    params: dict[str, Any] = {"document": document}
    put(params, "identity", identity)
    put(params, "header_info", header_info)
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
        tap: ``{"type": "audio", "params": {"direction": ...}}`` (the service needs
            ``params``).
        device: ``{"type": "rtp" | "ws", "params": {...}}``.

    Raises:
        InvalidCommandError: an empty ``control_id``.
    """
    params: dict[str, Any] = {"tap": wire(tap), "device": wire(device)}
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
    """``calling.stream`` (action ``"stream"``): stream the call's audio to WebSocket ``url``
    (``wss://`` or ``ws://``).

    Raises:
        InvalidCommandError: an empty ``control_id``.
    """
    params: dict[str, Any] = {"url": url}
    for key, value in (
        ("name", name),
        ("codec", codec),
        ("track", track),
        ("status_url", status_url),
        ("status_url_method", status_url_method),
        ("authorization_bearer_token", authorization_bearer_token),
        ("custom_parameters", custom_parameters),
    ):
        put(params, key, value)
    return action_command("stream", params, control_id, kwargs)
