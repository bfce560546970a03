"""Fault injection: make the emulator misbehave on purpose, the way real networks and servers do.

``emu.faults`` switches faults on and off at any time; the server consults it on every frame.
Faults that act at once (drop sockets, send malformed frames, server disconnect, refuse
connections, restart) are carried out by the server through the small :class:`FaultTarget`
interface.
"""

from __future__ import annotations

import json
from typing import Protocol

from ._sessions import AUTH_FAILED_CODE, AUTH_FAILED_MESSAGE

__all__ = ["MALFORMED_KINDS", "STALL_STAGES", "FaultTarget", "Faults", "malformed_text"]

STALL_STAGES = ("handshake", "connect")
"""Where :meth:`Faults.stall_connections` leaves a new connection hanging."""

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

    def server_disconnect(self, restart: bool, storm: bool = False) -> int:
        """Send ``signalwire.disconnect`` to every authenticated connection; return how many
        (``storm``: they count against :attr:`Faults.storm_left`)."""

    def freeze_all(self) -> int:
        """Make every open connection half-open; return how many."""

    async def stop_listening(self, reopen_after: float | None) -> None:
        """Close the listening socket (reopen it after ``reopen_after`` real seconds)."""

    async def start_listening(self) -> None:
        """Listen again on the same port (no-op when listening)."""

    async def restart(self, downtime: float) -> None:
        """Lose every connection and all state, as a restarted process would."""


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
        self.reject_code = AUTH_FAILED_CODE
        self.reject_message = AUTH_FAILED_MESSAGE
        self.stalling: str | None = None
        self.storm_left = 0
        self.storm_restart = False
        self.dial_drops = 0
        self.dial_drop_before_reply = False

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

    def reject_credentials(
        self,
        on: bool = True,
        *,
        code: int = AUTH_FAILED_CODE,
        message: str = AUTH_FAILED_MESSAGE,
    ) -> None:
        """Reject every ``signalwire.connect`` with JSON-RPC error ``code`` (by default what the
        service sends for bad credentials; e.g. ``code=-32000`` for what older test servers
        send, or any other code to see how a client takes it)."""
        self.rejecting = on
        self.reject_code = code
        self.reject_message = message

    async def refuse_connections(self, seconds: float | None = None) -> None:
        """Stop listening, as a server down for a restart: new connections are refused
        (``ECONNREFUSED``) for ``seconds`` real seconds, or until :meth:`accept_connections`
        when ``None``. Open connections are not touched (cut them with :meth:`drop_all_now`).
        Returns once the port is closed.

        Raises:
            ValueError: a negative duration.
        """
        if seconds is not None and seconds < 0:
            raise ValueError("seconds must not be negative")
        await self._target.stop_listening(seconds)

    async def accept_connections(self) -> None:
        """Listen again on the same port (ends :meth:`refuse_connections` early); returns once
        connections are accepted."""
        await self._target.start_listening()

    def stall_connections(self, stage: str | None = "handshake") -> None:
        """Connections opened from now on are accepted but left hanging: ``"handshake"``: the
        TCP socket is accepted and the WebSocket upgrade never answered; ``"connect"``: the
        upgrade succeeds and ``signalwire.connect`` is never answered. ``None`` stops stalling
        new connections (stalled ones stay stalled until the client gives up).

        Raises:
            ValueError: an unknown stage.
        """
        if stage is not None and stage not in STALL_STAGES:
            raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STALL_STAGES)}")
        self.stalling = stage

    def disconnect_storm(self, times: int = 5, *, restart: bool = False) -> int:
        """A ``signalwire.disconnect`` storm: every authenticated client is told to reconnect
        now, and the connects that follow are each answered and then told again at once, until
        ``times`` disconnects were sent in all. With ``restart`` each one forgets the sessions.
        Returns how many were sent at once.

        Raises:
            ValueError: ``times`` below 1.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        self.storm_left = times
        self.storm_restart = restart
        return self._target.server_disconnect(restart, storm=True)

    def drop_during_dial(self, *, before_reply: bool = False, times: int = 1) -> None:
        """Cut the socket of the next ``times`` clients that send ``calling.dial`` (or
        ``calling.begin``) in the middle of the dial: the dial goes ahead (its legs ring and
        its events wait for the session to resume), and the socket is cut just after the
        reply, or with ``before_reply`` instead of it (the client never learns the dial was
        accepted).

        Raises:
            ValueError: ``times`` below 1.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        self.dial_drops = times
        self.dial_drop_before_reply = before_reply

    def half_open(self) -> int:
        """Make every open connection half-open: the socket stays up, but the server never
        sends on it again and ignores whatever arrives, as a peer that vanished without a FIN.
        The client must notice by itself (pings). Returns how many connections froze."""
        return self._target.freeze_all()

    async def restart(self, downtime: float = 0.0) -> None:
        """A full restart of the emulator process on the same port: every socket is cut,
        connections are refused for ``downtime`` real seconds, and all state is lost (sessions
        cannot be resumed, calls in progress are gone: commands for them get 404, their remote
        parties see them end with ``error``). Configuration (personas, message outcomes, media
        durations) and the journal survive. Returns once listening again.

        Raises:
            ValueError: a negative downtime.
        """
        if downtime < 0:
            raise ValueError("downtime must not be negative")
        await self._target.restart(downtime)

    def reset(self) -> None:
        """Switch every fault off (a closed port stays closed: see
        :meth:`accept_connections`)."""
        self.drop_next = None
        self.pings_ignored = self.server_pings_stopped = False
        self.ignored_methods.clear()
        self.delays.clear()
        self.duplicating = self.reordering = self.rejecting = False
        self.stalling = None
        self.storm_left = self.dial_drops = 0
