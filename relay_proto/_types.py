"""Small value types shared by the core and its adapters.

:class:`CallCommand` is what the builders in :mod:`relay_proto.commands` return and what
``RelayConnection.call_command`` takes. :class:`CallInfo` and :class:`MessageInfo` are frozen
snapshots the core hands to adapters when a call or message appears; adapters build their own
user-facing ``Call`` / ``Message`` objects from them. :class:`Started` tells an adapter what a
command turned into on the wire.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ._fastinit import dataclass

__all__ = ["CallCommand", "CallInfo", "MessageInfo", "Started"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallCommand:
    """A call-scoped command, ready to be sent once ``node_id``/``call_id`` are known.

    Attributes:
        method: wire method, e.g. ``"calling.play"``.
        params: method-specific params, *without* ``node_id``, ``call_id`` and ``control_id``.
        action: the action kind this command starts (``"play"``, ``"record"``,
            ``"play_and_collect"``, ``"collect"``, ``"detect"``, ``"send_fax"``,
            ``"receive_fax"``, ``"tap"``, ``"stream"``, ``"pay"``, ``"transcribe"``, ``"ai"``),
            or ``None`` for a plain command. The kind is also the wire prefix of its
            sub-commands (``calling.<kind>.stop``).
        uses_control_id: whether the wire frame carries a ``control_id`` (every action, and
            ``send_digits``, ``queue_enter``, ``queue_leave``, and every action sub-command).
        control_id: an explicit control id, or ``None`` to let the connection generate one from
            its id factory (only meaningful when ``uses_control_id``).
    """

    method: str
    params: dict[str, Any] = field(default_factory=dict)
    action: str | None = None
    uses_control_id: bool = False
    control_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallInfo:
    """Snapshot of a call: when the core first reports it (inbound, dial leg or dial winner),
    or as it is now (``RelayConnection.get_call``).

    ``connect_state`` is the last ``connect_state`` of the call's ``calling.call.connect``
    events (``""`` before any); ``transferred`` says a ``calling.transfer`` or
    ``calling.refer`` of it succeeded.
    """

    call_id: str
    node_id: str
    project_id: str = ""
    context: str = ""
    tag: str = ""
    direction: str = ""
    device: dict[str, Any] = field(default_factory=dict)
    state: str = ""
    segment_id: str = ""
    connect_state: str = ""
    transferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageInfo:
    """Snapshot of an SMS/MMS message (inbound, or outbound once the server accepted it)."""

    message_id: str = ""
    context: str = ""
    direction: str = ""
    from_number: str = ""
    to_number: str = ""
    body: str = ""
    media: list[str] = field(default_factory=list)
    segments: int = 0
    state: str = ""
    reason: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Started:
    """What a command method of the connection did.

    Attributes:
        request_id: JSON-RPC id of the request (sent now or queued until the session is
            ready), or ``None`` when nothing was sent (e.g. an action on a call that already
            ended: its completion event is already queued).
        control_id: the control id used, for commands that carry one; else ``None``.
        tag: the dial tag, for ``dial``; else ``None``.
        context: the context a ``send_message`` went out on (the default resolved); else
            ``None``.
    """

    request_id: str | None
    control_id: str | None = None
    tag: str | None = None
    context: str | None = None
