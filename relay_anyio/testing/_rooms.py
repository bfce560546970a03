"""Conferences and queues: places where several simulated calls meet.

A conference is created by its first ``calling.join_conference`` and ends when its last
participant leaves (or one who joined with ``end_on_exit`` does). ``calling.conference`` events
(``conference-start``, ``participant-join``, ``participant-leave``, ``conference-end``) go to
every session that controls a participant; participant events carry the participant's
``call_id``. Queues hold calls in order (``calling.call.queue`` events with position and size)
until they leave or a ``calling.connect`` to a queue device takes the first one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._model import ResultCode, Session, SimCall, ok
from ._params import live_call, opt_bool, opt_number, opt_str, req_control_id, req_str

if TYPE_CHECKING:
    from ._switch import Handler, Switch

__all__ = [
    "HANDLERS",
    "Conference",
    "Queue",
    "conferences",
    "dequeue",
    "on_call_end",
    "queue_limits",
    "queues",
    "rooms",
]

HANDLERS: dict[str, Handler] = {}


@dataclass(eq=False)
class Conference:
    """A running conference."""

    conference_id: str
    name: str
    max_participants: int
    members: dict[str, SimCall] = field(default_factory=dict)
    end_on_exit: set[str] = field(default_factory=set)
    muted: set[str] = field(default_factory=set)


@dataclass(eq=False)
class Queue:
    """A call queue, first in first out."""

    queue_id: str
    name: str
    members: list[tuple[SimCall, str]] = field(default_factory=list)  # (call, control_id)


def conferences(sw: Switch) -> dict[str, Conference]:
    """Running conferences by name."""
    found: dict[str, Conference] = sw.extensions.setdefault("conferences", {})
    return found


def queues(sw: Switch) -> dict[str, Queue]:
    """Queues by name."""
    found: dict[str, Queue] = sw.extensions.setdefault("queues", {})
    return found


def _broadcast(sw: Switch, conf: Conference, status: str, call: SimCall | None) -> None:
    # To every session controlling a participant (and the subject's, who may just have left).
    params: dict[str, Any] = {
        "conference_id": conf.conference_id,
        "name": conf.name,
        "status": status,
        "participants": len(conf.members),
    }
    if call is not None:
        params.update(call.ref(), muted=call.call_id in conf.muted)
    owners = {m.owner for m in conf.members.values()}
    if call is not None:
        owners.add(call.owner)
    for owner in sorted(o for o in owners if o):
        sw.emit_to(owner, "calling.conference", dict(params))


def _join(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    name = req_str(params, "name")
    muted = opt_bool(params, "muted")
    end_on_exit = opt_bool(params, "end_on_exit")
    opt_bool(params, "start_on_enter", True)
    limit = int(opt_number(params, "max_participants", 250, minimum=1, maximum=250))
    opt_str(params, "record", choices=("do-not-record", "record-from-start"))
    opt_str(params, "region")
    rooms = conferences(sw)
    conf = rooms.get(name)
    if conf is not None and call.call_id in conf.members:
        raise ResultCode("409", "Call is already in this conference")
    if conf is not None and len(conf.members) >= conf.max_participants:
        raise ResultCode("409", "Conference is full")
    created = conf is None
    if conf is None:
        conf = Conference(sw.new_id("conf"), name, limit)
        rooms[name] = conf
    conf.members[call.call_id] = call
    call.conferences[conf.conference_id] = name
    if muted:
        conf.muted.add(call.call_id)
    if end_on_exit:
        conf.end_on_exit.add(call.call_id)
    sw.log(call, f"joined conference {name!r} ({len(conf.members)} participants)")
    if created:
        _broadcast(sw, conf, "conference-start", None)
    _broadcast(sw, conf, "participant-join", call)
    return ok("Joining conference", call_id=call.call_id, conference_id=conf.conference_id)


def _remove(sw: Switch, conf: Conference, call: SimCall) -> None:
    del conf.members[call.call_id]
    call.conferences.pop(conf.conference_id, None)
    conf.muted.discard(call.call_id)
    sw.log(call, f"left conference {conf.name!r} ({len(conf.members)} participants left)")
    _broadcast(sw, conf, "participant-leave", call)
    if call.call_id in conf.end_on_exit:
        conf.end_on_exit.discard(call.call_id)
        for other in list(conf.members.values()):
            _remove(sw, conf, other)
    if not conf.members and conferences(sw).get(conf.name) is conf:
        del conferences(sw)[conf.name]
        sw.log(None, f"conference {conf.name!r} ended")
        # The last one out hears the end.
        params = {"conference_id": conf.conference_id, "name": conf.name}
        sw.emit_to(call.owner, "calling.conference", {**params, "status": "conference-end"})


def _leave(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    conference_id = req_str(params, "conference_id")
    name = call.conferences.get(conference_id)
    conf = conferences(sw).get(name) if name else None
    if conf is None:
        raise ResultCode("404", "Call is not in that conference")
    _remove(sw, conf, call)
    return ok("Leaving conference", call_id=call.call_id)


def _queue_event(
    sw: Switch,
    queue: Queue,
    call: SimCall,
    control_id: str,
    status: str,
    position: int | None = None,
    **extra: Any,
) -> None:
    if position is None:
        position = next((i + 1 for i, (c, _) in enumerate(queue.members) if c is call), 0)
    sw.emit(
        call,
        "calling.call.queue",
        {
            "control_id": control_id,
            "status": status,
            "id": queue.queue_id,
            "name": queue.name,
            "position": position,
            "size": len(queue.members),
            **extra,
        },
    )


def _enter(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    control_id = req_control_id(params)
    name = req_str(params, "queue_name")
    opt_str(params, "status_url")
    queue = queues(sw).setdefault(name, Queue(sw.new_id("queue"), name))
    if name in call.queues:
        raise ResultCode("409", "Call is already in this queue")
    queue.members.append((call, control_id))
    call.queues[name] = control_id
    sw.log(call, f"entered queue {name!r} at position {len(queue.members)}")
    _queue_event(sw, queue, call, control_id, "enqueue")
    limit = queue_limits(sw).get(name)
    if limit is not None:

        def too_long() -> None:
            if call.queues.get(name) == control_id:
                _take_out(sw, queue, call, "leave", reason="timeout")

        sw.later(limit, too_long, call)
    return ok("Entering Queue", call_id=call.call_id, control_id=control_id)


def queue_limits(sw: Switch) -> dict[str, float]:
    """Longest wait (simulated seconds) per queue name; a call waiting longer leaves it."""
    found: dict[str, float] = sw.extensions.setdefault("queue_limits", {})
    return found


def _take_out(sw: Switch, queue: Queue, call: SimCall, status: str, reason: str = "") -> None:
    # status: "leave" (the call left) or "dequeue" (a connect took it out). The calls behind it
    # move up: each gets an "update" with its new position.
    control_id = call.queues.pop(queue.name)
    index = next(i for i, (c, _) in enumerate(queue.members) if c is call)
    queue.members = [(c, cid) for c, cid in queue.members if c is not call]
    verb = "left" if status == "leave" else "taken out of"
    why = f" ({reason})" if reason else ""
    sw.log(call, f"{verb} queue {queue.name!r}{why}")
    extra = {"reason": reason} if reason else {}
    _queue_event(sw, queue, call, control_id, status, position=index + 1, **extra)
    for behind, behind_control in queue.members[index:]:
        _queue_event(sw, queue, behind, behind_control, "update")


def _queue_leave(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    req_control_id(params)
    name = req_str(params, "queue_name")
    opt_str(params, "queue_id")
    queue = queues(sw).get(name)
    if queue is None or name not in call.queues:
        raise ResultCode("404", "Call is not in that queue")
    _take_out(sw, queue, call, "leave")
    return ok("Leaving Queue", call_id=call.call_id)


def dequeue(sw: Switch, name: str) -> SimCall | None:
    """Take the first call out of queue ``name`` (for a connect to a queue device)."""
    queue = queues(sw).get(name)
    if queue is None or not queue.members:
        return None
    call = queue.members[0][0]
    _take_out(sw, queue, call, "dequeue")
    return call


def rooms(sw: Switch) -> dict[str, dict[str, SimCall]]:
    """Video/audio rooms with calls in them: name -> call id -> call."""
    found: dict[str, dict[str, SimCall]] = sw.extensions.setdefault("rooms", {})
    return found


def _room_event(sw: Switch, call: SimCall, name: str, state: str) -> None:
    members = len(rooms(sw).get(name, {}))
    session_id = f"room-session-{name}"
    params = {"room_state": state, "name": name, "room_session_id": session_id, "members": members}
    sw.emit(call, "calling.call.room", params)


def _join_room(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    name = req_str(params, "name")
    opt_str(params, "status_url")
    if any(call.call_id in members for members in rooms(sw).values()):
        raise ResultCode("409", "Call is already in a room")
    _room_event(sw, call, name, "joining")
    rooms(sw).setdefault(name, {})[call.call_id] = call
    sw.log(call, f"joined room {name!r} ({len(rooms(sw)[name])} members)")
    sw.later(0.5, lambda: _room_event(sw, call, name, "join"), call)
    return ok("Joining room")


def _leave_rooms(sw: Switch, call: SimCall, *, now: bool) -> bool:
    for name, members in list(rooms(sw).items()):
        if members.pop(call.call_id, None) is None:
            continue
        if not members:
            del rooms(sw)[name]
        sw.log(call, f"left room {name!r}")
        _room_event(sw, call, name, "leaving")
        if now:
            _room_event(sw, call, name, "leave")
        else:
            sw.later(0.5, functools.partial(_room_event, sw, call, name, "leave"), call)
        return True
    return False


def _leave_room(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
    call = live_call(sw, session, params)
    if not _leave_rooms(sw, call, now=False):
        sw.log(call, "leave room: not in a room")
    return ok("Leaving room")


HANDLERS.update(
    {
        "calling.join_room": _join_room,
        "calling.leave_room": _leave_room,
        "calling.join_conference": _join,
        "calling.leave_conference": _leave,
        "calling.queue.enter": _enter,
        "calling.queue.leave": _queue_leave,
    }
)


def on_call_end(sw: Switch, call: SimCall) -> None:
    """A call that ends leaves its conferences and queues."""
    for name in list(call.conferences.values()):
        conf = conferences(sw).get(name)
        if conf is not None and call.call_id in conf.members:
            _remove(sw, conf, call)
    for name in list(call.queues):
        queue = queues(sw).get(name)
        if queue is not None:
            _take_out(sw, queue, call, "leave")
    _leave_rooms(sw, call, now=True)
