"""Argument handling shared by the command builders: the few checks we keep, the flat-form
normalisation of media items, and frame assembly.

What is checked, and why (everything else is sent as given, as the official SDK does, and the
service decides; the emulator answers invalid values like the service, see docs/emulator.md):

* ids the client correlates: an explicit ``control_id`` (actions and their events are matched by
  it), the dial ``tag``, the action kind of a sub-command (the wire method is built from it), and
  ``node_id``/``call_id`` among extra keyword arguments (they would retarget the command away
  from the call the connection tracks);
* the structure of ``devices`` (``dial`` and ``connect``): a list of non-empty lists of
  ``{"type": <string>, "params": <object>}`` objects;
* what the builders must read to build the frame: a media list must be a list of objects (each
  item is read to normalise it, below).

Every check takes the argument's name (a path such as ``"media[1].params"`` for nested values)
so that :class:`~relay_proto.InvalidCommandError` says exactly which argument is wrong and why.

Media items (``play``, ``play_and_collect``, ``connect(ringback=...)``) are accepted in the
flat form of the public documentation (``{"type": "tts", "text": "Hi"}``) and sent in the
canonical form of the protocol (``{"type": "tts", "params": {"text": "Hi"}}``): every key other
than ``type`` and ``params`` is a param. A mixed item (``params`` *and* other keys) has its other
keys merged into a copy of ``params``; the same key in both with different values is refused
(one of the caller's values would be dropped). The caller's objects are never modified.

Values the JSON encoder cannot represent (NaN, a set...) are refused when the request is
encoded (``InvalidCommandError`` from ``call_command``), before anything is registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from ._errors import InvalidCommandError
from ._types import CallCommand

__all__ = [
    "ACTION_KINDS",
    "HANGUP_REASONS",
    "PAUSABLE_KINDS",
    "VOLUME_KINDS",
    "action_command",
    "controlled_command",
    "fail",
    "media_item",
    "media_list",
    "opt_control_id",
    "plain_command",
    "put",
    "req_devices",
    "req_str",
    "wire",
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
#: The ``calling.end`` reasons the protocol reference lists (spec 3.5 A). Documentation only:
#: ``hangup(reason)`` sends any reason as given and the service decides.
HANGUP_REASONS = frozenset({"hangup", "cancel", "busy", "noAnswer", "decline", "error"})

# Keys the connection fills in; letting **kwargs set them would retarget the command.
_RESERVED_EXTRA = ("node_id", "call_id")
# The keys of a canonical {type, params} object.
_CANONICAL_KEYS = ("type", "params")


# ---------------------------------------------------------------- failure reporting


def fail(name: str, problem: str) -> NoReturn:
    """Raise :class:`InvalidCommandError` saying that argument ``name`` ``problem``."""
    raise InvalidCommandError(f"{name} {problem}")


def _got(value: object) -> str:
    # Name the type for type errors: a repr could be huge or carry secrets.
    return f"got {type(value).__name__}"


# ---------------------------------------------------------------- the checks we keep


def req_str(name: str, value: object) -> str:
    """A required, non-empty string (ids the client correlates)."""
    if not isinstance(value, str):
        fail(name, f"must be a non-empty string, {_got(value)}")
    if not value:
        fail(name, "must not be empty")
    return value


def opt_control_id(name: str, value: object) -> str | None:
    """An explicit control id, or ``None`` to let the connection generate one."""
    return None if value is None else req_str(name, value)


def _typed_object(name: str, value: object) -> dict[str, Any]:
    # A {"type": <non-empty string>, "params": <object>, ...} object; other keys pass untouched.
    if not isinstance(value, Mapping):
        fail(name, f"must be an object (dict), {_got(value)}")
    obj = dict(value)
    if "type" not in obj:
        fail(name, "must have a 'type'")
    req_str(f"{name}.type", obj["type"])
    if "params" not in obj:
        fail(name, "must have 'params'")
    if not isinstance(obj["params"], Mapping):
        fail(f"{name}.params", f"must be an object (dict), {_got(obj['params'])}")
    obj["params"] = dict(obj["params"])
    return obj


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
        groups.append([_typed_object(f"{where}[{j}]", dev) for j, dev in enumerate(group)])
    return groups


# ---------------------------------------------------------------- media items


def media_item(name: str, value: object) -> dict[str, Any]:
    """One media item in canonical form (a new dict; see the module docstring for the rule)."""
    if not isinstance(value, Mapping):
        fail(name, f"must be an object (dict), {_got(value)}")
    flat = {key: item for key, item in value.items() if key not in _CANONICAL_KEYS}
    out = {key: value[key] for key in _CANONICAL_KEYS if key in value}
    given = out.get("params")
    if isinstance(given, Mapping):
        out["params"] = dict(given)
    if not flat:
        return out
    if "params" not in out:
        out["params"] = flat
        return out
    if not isinstance(given, Mapping):
        fail(f"{name}.params", f"must be an object to take the item's other keys, {_got(given)}")
    params: dict[str, Any] = out["params"]
    for key, item in flat.items():
        if key in params and params[key] != item:
            fail(name, f"has {key!r} both beside and inside 'params', with different values")
        params.setdefault(key, item)
    return out


def media_list(name: str, value: object) -> list[dict[str, Any]]:
    """A list of media items, each in canonical form (an empty list is sent as given)."""
    if not isinstance(value, (list, tuple)):
        fail(name, f"must be a list of media items, {_got(value)}")
    items = []
    for i, item in enumerate(value):
        # The usual item is already canonical (what the play_* builders make): a plain dict of
        # exactly "type" and "params", params a plain dict. It becomes what media_item makes
        # of it (a new dict with a copy of params) without media_item's general work.
        if type(item) is dict and len(item) == 2 and "type" in item:
            params = item.get("params")
            if type(params) is dict:
                items.append({"type": item["type"], "params": params.copy()})
                continue
        items.append(media_item(f"{name}[{i}]", item))
    return items


# ---------------------------------------------------------------- assembly


def wire(value: Any) -> Any:
    """``value`` as the JSON encoder takes it: a read-only or custom mapping becomes a dict and
    a tuple a list (shallow); anything else is returned as given."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def put(params: dict[str, Any], key: str, value: object) -> None:
    """Set ``params[key]`` (see :func:`wire`) unless ``value`` is ``None`` (optional params are
    omitted)."""
    if value is not None:
        params[key] = wire(value)


def _merge_extra(params: dict[str, Any], extra: Mapping[str, Any]) -> str | None:
    # Extra keyword arguments go in last and may override (as in the official SDK). A
    # control_id among them is lifted out of params: the connection owns that key. node_id and
    # call_id would silently retarget the command, so they are refused. (Callers skip the call
    # when there are none: most commands have none.)
    for key in _RESERVED_EXTRA:
        if key in extra:
            fail(key, "is filled in by the connection and cannot be passed as an extra argument")
    control_id = opt_control_id("control_id", extra.get("control_id"))
    params.update((k, v) for k, v in extra.items() if k != "control_id")
    return control_id


def plain_command(method: str, params: dict[str, Any], extra: Mapping[str, Any]) -> CallCommand:
    """A command that starts no action (a ``control_id`` in ``extra`` is carried, as sent)."""
    control_id = _merge_extra(params, extra) if extra else None
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
    explicit = None if control_id is None else req_str("control_id", control_id)
    if extra:
        _merge_extra(params, extra)
    return CallCommand(method=method, params=params, uses_control_id=True, control_id=explicit)


def action_command(
    kind: str, params: dict[str, Any], control_id: object, extra: Mapping[str, Any]
) -> CallCommand:
    """A command that starts an action of ``kind`` (wire method ``calling.<kind>``)."""
    explicit = None if control_id is None else req_str("control_id", control_id)
    if extra:
        _merge_extra(params, extra)
    return CallCommand(
        method=f"calling.{kind}",
        params=params,
        action=kind,
        uses_control_id=True,
        control_id=explicit,
    )
