"""A small driver for unit tests of :class:`relay_proto._domain.Domain` (imported by the
test_domain*, test_actions*, test_dials* and test_messages* modules; it holds no tests itself).

It plays the connection's part: feeds envelopes with a settable ``now``, calls the
prepare/request hooks, and collects what the domain emits.
"""

from __future__ import annotations

from typing import Any

from relay_proto import CallCommand, CallInfo, Event, counter_ids
from relay_proto._domain import Domain, Outgoing

__all__ = ["ACTION_METHODS", "Harness", "action_command"]

#: action kind -> the wire method that starts it.
ACTION_METHODS = {
    "play": "calling.play",
    "record": "calling.record",
    "play_and_collect": "calling.play_and_collect",
    "collect": "calling.collect",
    "detect": "calling.detect",
    "send_fax": "calling.send_fax",
    "receive_fax": "calling.receive_fax",
    "tap": "calling.tap",
    "stream": "calling.stream",
    "pay": "calling.pay",
    "transcribe": "calling.transcribe",
    "ai": "calling.ai",
}


def action_command(kind: str, **params: Any) -> CallCommand:
    """A CallCommand starting an action of ``kind`` (as commands.py builds them)."""
    return CallCommand(
        method=ACTION_METHODS[kind], params=params, action=kind, uses_control_id=True
    )


class Harness:
    """A Domain plus the list of events it emitted and a clock."""

    def __init__(
        self,
        *,
        max_active_calls: int = 1000,
        project_id: str = "proj-1",
        relay_protocol: str = "signalwire_proto-1",
    ) -> None:
        self._events: list[Event] = []
        self.domain = Domain(
            emit=self._events.append,
            id_factory=counter_ids("x"),
            max_active_calls=max_active_calls,
            project_id=project_id,
        )
        self.domain.relay_protocol = relay_protocol
        self.now = 1000.0

    def take(self) -> list[Event]:
        """Events emitted since the last take."""
        out = list(self._events)
        self._events.clear()
        return out

    def feed_envelope(self, envelope: Any) -> list[Event]:
        self.domain.handle_event(envelope, self.now)
        return self.take()

    def feed(self, event_type: str, **params: Any) -> list[Event]:
        """Handle ``{"event_type": event_type, "params": params}``; return what it emitted."""
        return self.feed_envelope({"event_type": event_type, "params": params})

    def receive_call(
        self, call_id: str = "call-1", node_id: str = "node-1", **params: Any
    ) -> CallInfo:
        """Deliver an inbound call and return the CallInfo it produced."""
        events = self.feed("calling.call.receive", call_id=call_id, node_id=node_id, **params)
        assert len(events) == 1, events
        info = events[0].call  # type: ignore[attr-defined]
        assert isinstance(info, CallInfo)
        return info

    def state(self, call_id: str, call_state: str, **params: Any) -> list[Event]:
        return self.feed("calling.call.state", call_id=call_id, call_state=call_state, **params)

    def end_call(self, call_id: str = "call-1") -> list[Event]:
        return self.state(call_id, "ended", end_reason="hangup")

    def start(
        self, kind: str, control_id: str, call_id: str = "call-1", **params: Any
    ) -> Outgoing | None:
        """prepare_call_command for an action; returns the Outgoing."""
        return self.domain.prepare_call_command(call_id, action_command(kind, **params), control_id)

    def succeed(self, out: Outgoing, result: dict[str, Any] | None = None) -> Any:
        result = {"code": "200", "message": "OK"} if result is None else result
        return self.domain.request_succeeded(out.purpose, result, self.now)

    def fail(self, out: Outgoing, code: int, message: str = "nope") -> Any:
        return self.domain.request_failed(out.purpose, code, message, self.now)
