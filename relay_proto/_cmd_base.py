"""Argument checks and assembly helpers shared by the command builders.

Every check takes the argument's name (a path such as ``"media[1].params"`` for nested values)
so that :class:`~relay_proto.InvalidCommandError` can say exactly which argument is wrong and
why. Checks return the value to put on the wire (sequences become fresh lists, mappings become
dicts, so the JSON encoder never meets a tuple or a read-only mapping) and raise on bad input.

What is checked, and what deliberately is not: types whose meaning is clear (a required string,
a number, a bool, an object), ranges the spec states (volume −40…40 dB, positive
``digits.max``, 1…250 conference participants), the shape of the shared objects of spec 3.4
(media items, devices, collect), the closed vocabularies (hangup reasons, live
transcribe/translate verbs, ringtone names, detect types) and the scheme of a stream URL
(``ws://`` / ``wss://``). Enumerated values the server may grow (play direction, stream track,
codecs...) and unknown keys inside open objects pass untouched: the RELAY schemas are open.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn

from ._errors import InvalidCommandError
from ._types import CallCommand

__all__ = [
    "ACTION_KINDS",
    "DETECT_TYPES",
    "HANGUP_REASONS",
    "PAUSABLE_KINDS",
    "RINGTONE_NAMES",
    "VOLUME_KINDS",
    "action_command",
    "collect_inputs",
    "controlled_command",
    "dtmf",
    "fail",
    "one_of",
    "opt_bool",
    "opt_control_id",
    "opt_int",
    "opt_list",
    "opt_mapping",
    "opt_number",
    "opt_scalar",
    "opt_str",
    "opt_str_list",
    "plain_command",
    "put",
    "req_collect",
    "req_devices",
    "req_digits_object",
    "req_int",
    "req_mapping",
    "req_media",
    "req_number",
    "req_str",
    "req_typed_object",
    "ringtone_name",
    "volume",
    "websocket_url",
]

#: Every action kind; also the wire prefix of its sub-commands (``calling.<kind>.stop``).
ACTION_KINDS = frozenset(
    {
        "play",
        "record",
        "play_and_collect",
        "collect",
        "detect",
        "send_fax",
        "receive_fax",
        "tap",
        "stream",
        "pay",
        "transcribe",
        "ai",
    }
)
#: Kinds with ``pause`` / ``resume`` sub-commands.
PAUSABLE_KINDS = frozenset({"play", "record", "play_and_collect"})
#: Kinds with a ``volume`` sub-command.
VOLUME_KINDS = frozenset({"play", "play_and_collect"})
#: ``calling.end`` reasons a client may send (spec 3.5 A).
HANGUP_REASONS = frozenset({"hangup", "cancel", "busy", "noAnswer", "decline", "error"})
# The ringtone names as the guide lists them (spec 3.4).
_GUIDE_RINGTONES = (
    "at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it lt jp mx my nl no nz ph pl pt ru "
    "se sg th uk us tw ve za"
)
#: Ringtone names (country codes) a ``ringtone`` media item may use.
RINGTONE_NAMES = frozenset(_GUIDE_RINGTONES.split())
#: ``detect.type`` values of ``calling.detect`` (spec 3.5 F).
DETECT_TYPES = frozenset({"machine", "fax", "digit"})

# Volume bounds in dB (spec 3.5 C).
_MIN_VOLUME = -40
_MAX_VOLUME = 40
# DTMF characters calling.send_digits understands: digits, # and *, A-D, and the w/W pauses.
_DTMF = frozenset("0123456789#*ABCDwW")
# Keys the connection fills in; letting **kwargs set them would retarget the command.
_RESERVED_EXTRA = ("node_id", "call_id")
# Required params of the media item types spec 3.4 lists; other types are open.
_MEDIA_REQUIRED = {"audio": "url", "tts": "text", "silence": "duration", "ringtone": "name"}


# ---------------------------------------------------------------- failure reporting


def fail(name: str, problem: str) -> NoReturn:
    """Raise :class:`InvalidCommandError` saying that argument ``name`` ``problem``."""
    raise InvalidCommandError(f"{name} {problem}")


def _got(value: object) -> str:
    # Name the type for type errors: a repr could be huge or carry secrets.
    return f"got {type(value).__name__}"


# ---------------------------------------------------------------- scalars


def req_str(name: str, value: object) -> str:
    """A required, non-empty string."""
    if not isinstance(value, str):
        fail(name, f"must be a non-empty string, {_got(value)}")
    if not value:
        fail(name, "must not be empty")
    return value


def opt_str(name: str, value: object) -> str | None:
    """An optional string (``None`` = not given; ``""`` is a legitimate value)."""
    if value is None or isinstance(value, str):
        return value
    fail(name, f"must be a string, {_got(value)}")


def opt_bool(name: str, value: object) -> bool | None:
    """An optional bool (``0``/``1`` or ``"true"`` are refused: the wire type is boolean)."""
    if value is None or isinstance(value, bool):
        return value
    fail(name, f"must be a bool, {_got(value)}")


def req_number(name: str, value: object, *, minimum: float | None = None) -> int | float:
    """A finite int or float (never a bool), at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(name, f"must be a number, {_got(value)}")
    if not math.isfinite(value):
        fail(name, f"must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        fail(name, f"must be at least {minimum}, got {value!r}")
    return value


def opt_number(name: str, value: object, *, minimum: float | None = None) -> int | float | None:
    """Like :func:`req_number`, with ``None`` meaning not given."""
    return None if value is None else req_number(name, value, minimum=minimum)


def req_int(
    name: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """An int (never a bool), at least ``minimum`` and at most ``maximum`` when given."""
    if isinstance(value, bool) or not isinstance(value, int):
        fail(name, f"must be an integer, {_got(value)}")
    if minimum is not None and value < minimum:
        fail(name, f"must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        fail(name, f"must be at most {maximum}, got {value!r}")
    return value


def opt_int(
    name: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """Like :func:`req_int`, with ``None`` meaning not given."""
    return None if value is None else req_int(name, value, minimum=minimum, maximum=maximum)


def opt_scalar(name: str, value: object, *, kinds: tuple[type, ...]) -> Any:
    """An optional value of one of ``kinds``, for params whose wire type the sources disagree on
    (the official SDK types pay's ``timeout`` as a string, the guide as an int).

    ``bool`` is accepted only when listed: ``True`` is an ``int`` to Python, not to the wire.
    """
    if value is None:
        return None
    if isinstance(value, bool) and bool not in kinds:
        fail(name, f"must not be a bool (expected {_names(kinds)})")
    if isinstance(value, float) and not math.isfinite(value):
        fail(name, f"must be a finite number, got {value!r}")
    if not isinstance(value, kinds):
        fail(name, f"must be {_names(kinds)}, {_got(value)}")
    return value


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join(kind.__name__ for kind in kinds)


def volume(name: str, value: object) -> int | float | None:
    """An optional volume in dB, −40 to +40."""
    if value is None:
        return None
    number = req_number(name, value)
    if not _MIN_VOLUME <= number <= _MAX_VOLUME:
        fail(name, f"must be between {_MIN_VOLUME} and {_MAX_VOLUME} dB, got {number!r}")
    return number


def one_of(name: str, value: object, allowed: frozenset[str], what: str = "") -> str:
    """A string from the closed vocabulary ``allowed`` (case-sensitive, as on the wire)."""
    if not isinstance(value, str) or value not in allowed:
        listed = ", ".join(sorted(allowed))
        label = f"one of the {what} ({listed})" if what else f"one of {listed}"
        fail(name, f"must be {label}; got {value!r}")
    return value


def ringtone_name(name: str, value: object) -> str:
    """A ringtone name of the guide (``"us"``, ``"uk"``...; spec 3.4)."""
    return one_of(name, req_str(name, value), RINGTONE_NAMES, "ringtone names")


def websocket_url(name: str, value: object) -> str:
    """A ``ws://`` or ``wss://`` URL (scheme in any case), e.g. where ``calling.stream`` sends
    audio."""
    url = req_str(name, value)
    # The URL itself is not echoed: it may carry a token in its query.
    if not url[:6].lower().startswith(("wss://", "ws://")):
        fail(name, "must be a WebSocket URL (starting with wss:// or ws://)")
    return url


def opt_control_id(name: str, value: object) -> str | None:
    """An explicit control id, or ``None`` to let the connection generate one."""
    return None if value is None else req_str(name, value)


def dtmf(name: str, value: object) -> str:
    """A non-empty DTMF string for ``calling.send_digits``."""
    digits = req_str(name, value)
    bad = sorted(set(digits) - _DTMF)
    if bad:
        fail(name, f"may only contain 0-9, #, *, A-D, w and W; got {''.join(bad)!r}")
    return digits


# ---------------------------------------------------------------- containers


def req_mapping(name: str, value: object) -> dict[str, Any]:
    """A JSON object (any mapping; returned as a shallow-copied dict)."""
    if not isinstance(value, Mapping):
        fail(name, f"must be an object (dict), {_got(value)}")
    return dict(value)


def opt_mapping(name: str, value: object) -> dict[str, Any] | None:
    """Like :func:`req_mapping`, with ``None`` meaning not given."""
    return None if value is None else req_mapping(name, value)


def opt_list(name: str, value: object, *, objects: bool = False) -> list[Any] | None:
    """An optional list (or tuple); with ``objects`` every item must be an object."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        fail(name, f"must be a list, {_got(value)}")
    if objects:
        return [req_mapping(f"{name}[{i}]", item) for i, item in enumerate(value)]
    return list(value)


def opt_str_list(name: str, value: object, *, non_empty_items: bool = False) -> list[str] | None:
    """An optional list of strings (optionally each non-empty)."""
    items = opt_list(name, value)
    if items is None:
        return None
    check = req_str if non_empty_items else opt_str
    for i, item in enumerate(items):
        if item is None:
            fail(f"{name}[{i}]", f"must be a string, {_got(item)}")
        check(f"{name}[{i}]", item)
    return items


# ---------------------------------------------------------------- RELAY objects (spec 3.4)


def req_typed_object(name: str, value: object) -> dict[str, Any]:
    """A ``{"type": <non-empty string>, "params": <object>, ...}`` object (device, tap, media).

    Other keys pass untouched.
    """
    obj = req_mapping(name, value)
    if "type" not in obj:
        fail(name, "must have a 'type'")
    req_str(f"{name}.type", obj["type"])
    if "params" not in obj:
        fail(name, "must have 'params'")
    req_mapping(f"{name}.params", obj["params"])
    return obj


def _media_item(name: str, value: object) -> dict[str, Any]:
    item = req_typed_object(name, value)
    required = _MEDIA_REQUIRED.get(item["type"])
    if required is not None:
        params = item["params"]
        if required not in params:
            fail(f"{name}.params", f"of a {item['type']!r} item must have {required!r}")
        if required == "duration":
            req_number(f"{name}.params.duration", params["duration"], minimum=0)
        elif required == "name":
            ringtone_name(f"{name}.params.name", params["name"])
        else:
            req_str(f"{name}.params.{required}", params[required])
    return item


def req_media(name: str, value: object) -> list[dict[str, Any]]:
    """A non-empty list of media items (``audio``, ``tts``, ``silence``, ``ringtone``, ...)."""
    if not isinstance(value, (list, tuple)):
        fail(name, f"must be a list of media items, {_got(value)}")
    if not value:
        fail(name, "must contain at least one media item")
    return [_media_item(f"{name}[{i}]", item) for i, item in enumerate(value)]


def req_devices(name: str, value: object) -> list[list[dict[str, Any]]]:
    """A non-empty list of non-empty lists of device objects (dial and connect)."""
    if not isinstance(value, (list, tuple)):
        fail(name, f"must be a list of lists of devices, {_got(value)}")
    if not value:
        fail(name, "must contain at least one group of devices")
    groups: list[list[dict[str, Any]]] = []
    for i, group in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(group, (list, tuple)):
            fail(where, f"must be a list of devices, {_got(group)}")
        if not group:
            fail(where, "must contain at least one device")
        groups.append([req_typed_object(f"{where}[{j}]", dev) for j, dev in enumerate(group)])
    return groups


def req_digits_object(name: str, value: object) -> dict[str, Any]:
    """The ``digits`` part of a collect: ``{"max": <positive int>, "terminators"?, ...}``."""
    digits = req_mapping(name, value)
    if "max" not in digits:
        fail(name, "must have 'max' (the most digits to collect)")
    req_int(f"{name}.max", digits["max"], minimum=1)
    opt_str(f"{name}.terminators", digits.get("terminators"))
    opt_number(f"{name}.digit_timeout", digits.get("digit_timeout"), minimum=0)
    return digits


def collect_inputs(
    digits_name: str, digits: object, speech_name: str, speech: object
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``digits`` and/or ``speech`` of a collect (at least one), each checked when given."""
    if digits is None and speech is None:
        fail(f"{digits_name}/{speech_name}", "at least one of them must be given")
    return (
        None if digits is None else req_digits_object(digits_name, digits),
        opt_mapping(speech_name, speech),
    )


def req_collect(name: str, value: object) -> dict[str, Any]:
    """A collect object (spec 3.4): ``digits`` and/or ``speech``, optional ``initial_timeout``."""
    collect = req_mapping(name, value)
    collect_inputs(f"{name}.digits", collect.get("digits"), f"{name}.speech", collect.get("speech"))
    opt_number(f"{name}.initial_timeout", collect.get("initial_timeout"), minimum=0)
    return collect


# ---------------------------------------------------------------- assembly


def put(params: dict[str, Any], key: str, value: object) -> None:
    """Set ``params[key]`` unless ``value`` is ``None`` (optional params are omitted)."""
    if value is not None:
        params[key] = value


def _merge_extra(params: dict[str, Any], extra: Mapping[str, Any]) -> str | None:
    # Extra keyword arguments go in last and may override (as in the official SDK). A
    # control_id among them is lifted out of params: the connection owns that key. node_id and
    # call_id would silently retarget the command, so they are refused.
    for key in _RESERVED_EXTRA:
        if key in extra:
            fail(key, "is filled in by the connection and cannot be passed as an extra argument")
    control_id = opt_control_id("control_id", extra.get("control_id"))
    params.update((k, v) for k, v in extra.items() if k != "control_id")
    return control_id


def plain_command(method: str, params: dict[str, Any], extra: Mapping[str, Any]) -> CallCommand:
    """A command that starts no action (a ``control_id`` in ``extra`` is carried, as sent)."""
    control_id = _merge_extra(params, extra)
    return CallCommand(
        method=method,
        params=params,
        uses_control_id=control_id is not None,
        control_id=control_id,
    )


def controlled_command(
    method: str, params: dict[str, Any], control_id: object, extra: Mapping[str, Any]
) -> CallCommand:
    """A plain command that always carries a ``control_id`` (send_digits, queue enter/leave)."""
    explicit = opt_control_id("control_id", control_id)
    _merge_extra(params, extra)
    return CallCommand(method=method, params=params, uses_control_id=True, control_id=explicit)


def action_command(
    kind: str, params: dict[str, Any], control_id: object, extra: Mapping[str, Any]
) -> CallCommand:
    """A command that starts an action of ``kind`` (wire method ``calling.<kind>``)."""
    explicit = opt_control_id("control_id", control_id)
    _merge_extra(params, extra)
    return CallCommand(
        method=f"calling.{kind}",
        params=params,
        action=kind,
        uses_control_id=True,
        control_id=explicit,
    )
