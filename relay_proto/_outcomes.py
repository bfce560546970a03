"""What an action's ``wait()`` returns when the action did not finish on an event of its own.

An action finishes in one of two ways: its own final event arrives (a ``PlayEvent`` with state
``finished``, a ``CollectEvent`` with a result...), or its call goes away first. In the second
case the official SDK hands back the call's ``ended`` state event (or an empty event), so a
program reading ``result.params["result"]`` fails much later with a ``KeyError`` far from the
cause. relay-sansio returns a :class:`CallEndedResult` instead: a :class:`RelayEvent` with an
empty ``event_type`` and empty ``params`` (what the official SDK's empty event looks like, so
code written for it keeps working) whose type says what happened.

Call *commands* (``answer``, ``hangup``, ``connect``...) on a call that is gone keep returning
``{}``, as the official SDK's do; only the actions' results are typed.
"""

from __future__ import annotations

from ._conn_events import ActionCompleted
from ._event_base import RelayEvent
from ._fastinit import dataclass

__all__ = ["CallEndedResult", "action_result"]


@dataclass(frozen=True, slots=True)
class CallEndedResult(RelayEvent):
    """The result of an action whose call ended (or was gone) before the action finished.

    Test for it with ``isinstance(result, CallEndedResult)`` or ``result.state == "ended"``;
    like the official SDK's empty event, ``event_type`` is ``""`` and ``params`` is ``{}``.

    Attributes:
        call_id: the call the action ran on.
        reason: why the action did not finish on its own event:

            * ``"call_ended"``: the call ended (or was handed over with ``calling.pass``) while
              the action was running;
            * ``"not_started"``: the call had already ended, been handed over, or was unknown
              when the action was started, so nothing was sent;
            * ``"call_gone"``: the server answered the start request 404/410 or with an empty
              result (the call no longer exists there).
        ended_event: the call's ``ended`` state event when it is known (a
            :class:`~relay_proto.CallStateEvent`), else ``None``.
    """

    reason: str = "call_ended"
    ended_event: RelayEvent | None = None

    @property
    def state(self) -> str:
        """Always ``"ended"``: the call is over (read like a final event's ``state``)."""
        return "ended"

    @property
    def end_reason(self) -> str:
        """The call's ``end_reason`` (``"hangup"``, ``"busy"``...) when known, else ``""``."""
        if self.ended_event is None:
            return ""
        value = self.ended_event.params.get("end_reason")
        return value if isinstance(value, str) else ""


def action_result(completed: ActionCompleted) -> RelayEvent:
    """The result an adapter stores on an action (and returns from its ``wait()``) for
    ``completed``: the completing event itself for ``reason="event"``, else a
    :class:`CallEndedResult` carrying the reason and the call's ``ended`` event if known."""
    if completed.reason == "event":
        return completed.event
    event = completed.event
    ended = event if event.event_type == "calling.call.state" else None
    return CallEndedResult(
        event_type="",
        params={},
        call_id=completed.call_id,
        timestamp=event.timestamp,
        reason=completed.reason,
        ended_event=ended,
    )
