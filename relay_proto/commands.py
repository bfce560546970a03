"""Command builders: one function per ``signalwire.relay.Call`` command method, plus the action
sub-commands and the params of ``calling.dial``, ``messaging.send`` and
``signalwire.receive``/``unreceive``.

A call builder has exactly the official method's name and parameters (minus ``self`` and
``on_completed``, which the adapters handle) and returns a :class:`~relay_proto.CallCommand`
for ``RelayConnection.call_command``::

    conn.call_command(call_id, commands.play_tts("Hello", voice="en-US-Neural2-F"), now=now)

Conventions, all from the wire-protocol reference (sections 3.3–3.5 and 8.2):

* ``params`` holds only the method's own keys; the connection adds ``node_id``, ``call_id``
  and (when ``uses_control_id``) ``control_id``, generating the control id if the caller gave
  none. ``action`` names the action a command starts (also the wire prefix of its
  sub-commands), ``None`` for plain commands.
* Keyword-only optional parameters default to ``None`` and are sent only when not ``None``
  (``hangup`` always sends ``reason``; ``pause`` sends ``behavior`` only when truthy).
  Python names differ from wire keys in a few places: ``media`` → ``play``, ``audio`` →
  ``record.audio``, ``input_method`` → ``input``, ``ai_params``/``bind_params`` → ``params``,
  ``stream_obj`` → ``stream``.
* Extra keyword arguments are merged in last and may override (as in the official SDK).
  ``node_id``/``call_id`` among them are refused (they would retarget the command); a
  ``control_id`` among them is carried as the command's ``control_id`` (same frame on the
  wire).
* Values are sent as given, as the official SDK sends them, and the service decides on them
  (the emulator answers invalid ones as the service does). Only what the client itself relies
  on is checked, raising :class:`~relay_proto.InvalidCommandError` (a ``LocalProtocolError``
  and a ``ValueError``) that names the argument: ids it correlates (an explicit
  ``control_id``, the dial ``tag``, the action kind of a sub-command, no ``node_id``/``call_id``
  among extra arguments), the structure of ``devices``, and media lists (a list of objects).
  ``send_message_params`` keeps the official SDK's own checks. docs/deviations.md lists them.
* Media items may be written flat, as the public documentation does
  (``{"type": "tts", "text": "Hi"}``); they are sent canonical
  (``{"type": "tts", "params": {"text": "Hi"}}``). A mixed item has its other keys merged into
  ``params``; one key in both with different values is refused.
* Builders are pure: no I/O, no ids, and the caller's objects are never modified (nested
  objects are shallow-copied where normalised, not deep-copied).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._cmd_base import ACTION_KINDS, HANGUP_REASONS, PAUSABLE_KINDS, VOLUME_KINDS
from ._cmd_base import fail as _fail
from ._cmd_base import req_devices as _req_devices
from ._cmd_base import req_str as _req_str
from ._cmd_base import wire as _wire
from ._cmd_call import (
    ai,
    ai_hold,
    ai_message,
    ai_unhold,
    amazon_bedrock,
    answer,
    connect,
    denoise,
    denoise_stop,
    disconnect,
    echo,
    hangup,
    hold,
    join_conference,
    join_room,
    leave_conference,
    leave_room,
    live_transcribe,
    live_translate,
    pass_,
    pay,
    queue_enter,
    queue_leave,
    refer,
    transcribe,
    transfer,
    unhold,
    user_event,
)
from ._cmd_media import (
    bind_digit,
    clear_digit_bindings,
    collect,
    detect,
    detect_answering_machine,
    detect_digit,
    detect_fax,
    play,
    play_and_collect,
    play_audio,
    play_ringtone,
    play_silence,
    play_tts,
    prompt_audio,
    prompt_tts,
    receive_fax,
    record,
    send_digits,
    send_fax,
    stream,
    tap,
)
from ._types import CallCommand

__all__ = [
    "ACTION_KINDS",
    "HANGUP_REASONS",
    "PAUSABLE_KINDS",
    "VOLUME_KINDS",
    "action_pause",
    "action_resume",
    "action_start_input_timers",
    "action_stop",
    "action_volume",
    "ai",
    "ai_hold",
    "ai_message",
    "ai_unhold",
    "amazon_bedrock",
    "answer",
    "bind_digit",
    "clear_digit_bindings",
    "collect",
    "connect",
    "context_params",
    "denoise",
    "denoise_stop",
    "detect",
    "detect_answering_machine",
    "detect_digit",
    "detect_fax",
    "dial_params",
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
    "play",
    "play_and_collect",
    "play_audio",
    "play_ringtone",
    "play_silence",
    "play_tts",
    "prompt_audio",
    "prompt_tts",
    "queue_enter",
    "queue_leave",
    "receive_fax",
    "record",
    "refer",
    "send_digits",
    "send_fax",
    "send_message_params",
    "stream",
    "tap",
    "transcribe",
    "transfer",
    "unhold",
    "user_event",
]


# ---------------------------------------------------------------- action sub-commands


def _sub_command(op: str, kind: object, control_id: object, kinds: frozenset[str]) -> str:
    # Checks both arguments and returns the wire method calling.<kind>.<op>.
    if not isinstance(kind, str) or kind not in ACTION_KINDS:
        _fail("kind", f"must be an action kind ({', '.join(sorted(ACTION_KINDS))}); got {kind!r}")
    if kind not in kinds:
        _fail("kind", f"{kind!r} actions have no {op!r} (only {', '.join(sorted(kinds))})")
    _req_str("control_id", control_id)
    return f"calling.{kind}.{op}"


def action_stop(kind: str, control_id: str) -> CallCommand:
    """``calling.<kind>.stop`` for the action ``control_id`` (every kind can be stopped).

    Raises:
        InvalidCommandError: an unknown ``kind`` or an empty ``control_id``.
    """
    method = _sub_command("stop", kind, control_id, ACTION_KINDS)
    return CallCommand(method=method, uses_control_id=True, control_id=control_id)


def action_pause(kind: str, control_id: str, behavior: str | None = None) -> CallCommand:
    """``calling.<kind>.pause`` (play, record, play_and_collect).

    Args:
        behavior: sent only when truthy; for recordings ``"skip"`` or ``"silence"``.

    Raises:
        InvalidCommandError: a kind that cannot pause, an empty ``control_id``.
    """
    method = _sub_command("pause", kind, control_id, PAUSABLE_KINDS)
    params: dict[str, Any] = {}
    if behavior:
        params["behavior"] = behavior
    return CallCommand(method=method, params=params, uses_control_id=True, control_id=control_id)


def action_resume(kind: str, control_id: str) -> CallCommand:
    """``calling.<kind>.resume`` (play, record, play_and_collect).

    Raises:
        InvalidCommandError: a kind that cannot resume, an empty ``control_id``.
    """
    method = _sub_command("resume", kind, control_id, PAUSABLE_KINDS)
    return CallCommand(method=method, uses_control_id=True, control_id=control_id)


def action_volume(kind: str, control_id: str, volume: float) -> CallCommand:
    """``calling.<kind>.volume`` (play, play_and_collect) with ``volume`` in dB.

    The volume is sent as given (the service takes −40 to +40).

    Raises:
        InvalidCommandError: a kind without volume, an empty ``control_id``.
    """
    method = _sub_command("volume", kind, control_id, VOLUME_KINDS)
    params = {"volume": volume}
    return CallCommand(method=method, params=params, uses_control_id=True, control_id=control_id)


def action_start_input_timers(control_id: str) -> CallCommand:
    """``calling.collect.start_input_timers``: start the ``initial_timeout`` of a collect or a
    play-and-collect (the method is the same for both).

    Raises:
        InvalidCommandError: an empty ``control_id``.
    """
    method = _sub_command("start_input_timers", "collect", control_id, ACTION_KINDS)
    return CallCommand(method=method, uses_control_id=True, control_id=control_id)


# ---------------------------------------------------------------- requests that need no call


def dial_params(
    devices: Sequence[Sequence[Mapping[str, Any]]],
    *,
    tag: str,
    max_duration: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Params of ``calling.dial``: ``tag``, ``devices``, ``max_duration`` only when truthy, then
    ``extra`` (e.g. ``region``, ``max_price_per_minute``) merged last.

    Args:
        devices: list of lists of device objects; outer list = tried in turn, inner list =
            rung together.
        tag: the correlation tag (the connection generates one when the user gave none).
        max_duration: minutes.

    Raises:
        InvalidCommandError: ``devices`` is not a list of non-empty lists of ``{"type",
            "params"}`` objects, or an empty ``tag``.
    """
    params: dict[str, Any] = {
        "tag": _req_str("tag", tag),
        "devices": _req_devices("devices", devices),
    }
    if max_duration:
        params["max_duration"] = max_duration
    params.update(extra)
    return params


def send_message_params(
    *,
    to_number: str,
    from_number: str,
    context: str,
    body: str | None = None,
    media: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Params of ``messaging.send``; ``body``, ``media``, ``tags`` and ``region`` are sent only
    when non-empty.

    Args:
        context: the context the message's state events arrive on (the connection resolves
            the official default: the argument, else the session protocol, else ``"default"``).
        media: MMS media URLs.

    The numbers and the optional values are sent as given (the service decides); as in the
    official SDK, a message needs a ``body`` or ``media``.

    Raises:
        InvalidCommandError: neither ``body`` nor ``media`` (the official SDK's ``ValueError``),
            or an empty or non-string ``context`` (the connection reports it back).
    """
    params: dict[str, Any] = {
        "context": _req_str("context", context),
        "to_number": to_number,
        "from_number": from_number,
    }
    if not body and not media:
        _fail("body", "or media is required (a message needs text, media URLs or both)")
    optional = (("body", body), ("media", media), ("tags", tags), ("region", region))
    params.update((key, _wire(value)) for key, value in optional if value)
    return params


def context_params(contexts: Iterable[str]) -> dict[str, Any]:
    """Params of ``signalwire.receive`` / ``signalwire.unreceive``: ``{"contexts": [...]}``.

    An empty iterable gives an empty list; the caller decides to send nothing then.

    Raises:
        InvalidCommandError: ``contexts`` is a bare string (wrap it in a list), not iterable,
            or holds an empty or non-string item.
    """
    if isinstance(contexts, (str, bytes, Mapping)) or not isinstance(contexts, Iterable):
        _fail("contexts", f"must be a list of context names, got {type(contexts).__name__}")
    items = list(contexts)
    for i, item in enumerate(items):
        _req_str(f"contexts[{i}]", item)
    return {"contexts": items}
