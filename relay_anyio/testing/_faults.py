"""Fault injection: make the emulator misbehave on purpose, the way real networks and servers do.

``emu.faults`` switches faults on and off at any time; the server consults it on every frame.
Faults that act at once (drop sockets, send malformed frames, server disconnect) are carried out
by the server through the small :class:`FaultTarget` interface.
"""

from __future__ import annotations

import json
from typing import Protocol

__all__ = ["MALFORMED_KINDS", "FaultTarget", "Faults", "malformed_text"]

MALFORMED_KINDS = {
    "bad_json": "text that is not JSON",
    "not_object": "JSON that is not an object",
    "params_not_object": "a signalwire.event whose params is a string (with an id)",
    "wrong_types": "a signalwire.event whose event_type is a number and inner params a list",
    "unknown_event": "a well-formed event of an unknown event type",
    "unknown_call": "a calling.call.state event for a call nobody knows",
    "empty_event_type": "an event with an empty event_type",
    "unknown_method": "a server request with a method RELAY does not have",
    "unknown_reply": "a result for a request id the client never used",
    "error_not_object": "an error reply whose error is a string",
    "oversized": "an event larger than 10 MiB",
}
"""Kinds accepted by :meth:`Faults.send_malformed`, with what each sends."""

# Just over the 10 MiB limit clients apply (spec 1.1).
OVERSIZED_BYTES = 10 * 1024 * 1024 + 1024

# Kinds sent through RelayServerConnection.send_event (so the client's ACK is tracked).
EVENT_KINDS = {
    "unknown_event": ("calling.call.teleport", {"call_id": "", "state": "beaming"}),
    "unknown_call": ("calling.call.state", {"call_id": "call-nobody", "call_state": "answered"}),
    "empty_event_type": ("", {"call_id": ""}),
}


def malformed_text(kind: str, fault_id: str) -> str:
    """The raw text of a malformed frame of ``kind`` (not one of :data:`EVENT_KINDS`).

    Raises:
        ValueError: unknown ``kind``.
    """
    event = {"jsonrpc": "2.0", "id": fault_id, "method": "signalwire.event"}
    if kind == "bad_json":
        return '{"jsonrpc": "2.0", "method": "signalwire.event", "params": {"event_type": '
    if kind == "not_object":
        return "[1, 2, 3]"
    if kind == "params_not_object":
        return json.dumps({**event, "params": "oops"})
    if kind == "wrong_types":
        return json.dumps({**event, "params": {"event_type": 42, "params": ["call-1"]}})
    if kind == "unknown_method":
        return json.dumps(
            {"jsonrpc": "2.0", "id": fault_id, "method": "signalwire.teleport", "params": {}}
        )
    if kind == "unknown_reply":
        return json.dumps({"jsonrpc": "2.0", "id": fault_id, "result": {}})
    if kind == "error_not_object":
        return json.dumps({"jsonrpc": "2.0", "id": fault_id, "error": "something broke"})
    if kind == "oversized":
        head = json.dumps({**event, "params": {"event_type": "calling.call.state", "params": {}}})
        padding = "x" * OVERSIZED_BYTES
        return head[:-2] + ', "padding": "' + padding + '"}}'
    raise ValueError(f"unknown malformed kind {kind!r}; one of {', '.join(MALFORMED_KINDS)}")


class FaultTarget(Protocol):
    """What the server does for the faults that act immediately."""

    def drop_all_now(self) -> int:
        """Close every socket abruptly; return how many."""

    def send_malformed(self, kind: str, conn: int | None) -> int:
        """Send one malformed frame to each chosen connection; return how many."""

    def silence_all_now(self) -> int:
        """Stop writing to every open socket without closing it; return how many."""

    def server_disconnect(self, restart: bool) -> int:
        """Send ``signalwire.disconnect`` to every authenticated connection; return how many."""


class Faults:
    """The emulator's fault switches (``emu.faults``). All start off.

    Durations here are *real* seconds: faults test the client's own timers, which run on the
    real clock whatever the emulator's time scale.
    """

    def __init__(self, target: FaultTarget) -> None:
        self._target = target
        self.drop_next: int | None = None
        self.pings_ignored = False
        self.server_pings_stopped = False
        self.ignored_methods: set[str] = set()
        self.delays: dict[str, float] = {}
        self.duplicating = False
        self.reordering = False
        self.rejecting = False

    def drop_next_connection(self, after_frames: int = 0) -> None:
        """Abruptly close the next connection that opens, after ``after_frames`` frames
        (counted in both directions; 0 = right after the WebSocket handshake).

        Raises:
            ValueError: a negative count.
        """
        if after_frames < 0:
            raise ValueError("after_frames must not be negative")
        self.drop_next = after_frames

    def drop_all_now(self) -> int:
        """Abruptly close every open socket (no WebSocket close); return how many."""
        return self._target.drop_all_now()

    def silence_links(self) -> int:
        """Make every open connection half-open: the server stops sending anything on it (no
        pings, no replies, no events) and keeps the socket open, as a dead NAT mapping or a
        frozen server would. Connections opened later are not affected. Returns how many."""
        return self._target.silence_all_now()

    def ignore_pings(self, on: bool = True) -> None:
        """Stop (or resume) answering the client's ``signalwire.ping`` requests."""
        self.pings_ignored = on

    def stop_server_pings(self, on: bool = True) -> None:
        """Stop (or resume) sending ``signalwire.ping`` to clients."""
        self.server_pings_stopped = on

    def ignore_method(self, method: str, on: bool = True) -> None:
        """Never answer (nor carry out) requests for ``method``."""
        if on:
            self.ignored_methods.add(method)
        else:
            self.ignored_methods.discard(method)

    def delay_method(self, method: str, seconds: float) -> None:
        """Carry out and answer ``method`` requests ``seconds`` real seconds late (0 = no delay).

        Raises:
            ValueError: a negative delay.
        """
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if seconds:
            self.delays[method] = seconds
        else:
            self.delays.pop(method, None)

    def send_malformed(self, kind: str, *, conn: int | None = None) -> int:
        """Send a malformed frame (see :data:`MALFORMED_KINDS`) to one connection (``conn``)
        or to every open one; return how many were sent.

        Raises:
            ValueError: unknown ``kind``.
        """
        if kind not in MALFORMED_KINDS:
            raise ValueError(
                f"unknown malformed kind {kind!r}; one of {', '.join(MALFORMED_KINDS)}"
            )
        return self._target.send_malformed(kind, conn)

    def duplicate_events(self, on: bool = True) -> None:
        """Send every event twice, with the same id."""
        self.duplicating = on

    def reorder_events(self, on: bool = True) -> None:
        """Swap each event with the one after it (a lone event goes out 0.2 s late)."""
        self.reordering = on

    def disconnect(self, *, restart: bool = False) -> int:
        """Send ``signalwire.disconnect`` to every authenticated client and close each socket
        once acknowledged (or after the ACK timeout). With ``restart`` the sessions are
        forgotten (no resume). Returns how many clients were told."""
        return self._target.server_disconnect(restart)

    def reject_credentials(self, on: bool = True) -> None:
        """Reject every ``signalwire.connect`` (JSON-RPC error -32000)."""
        self.rejecting = on

    def reset(self) -> None:
        """Switch every fault off."""
        self.drop_next = None
        self.pings_ignored = self.server_pings_stopped = False
        self.ignored_methods.clear()
        self.delays.clear()
        self.duplicating = self.reordering = self.rejecting = False
