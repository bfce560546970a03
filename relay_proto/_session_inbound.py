"""The client session's answers to requests from the server (:mod:`relay_proto._session`):
``signalwire.event`` (ACK, de-duplication, the authorization state blob), ``signalwire.ping``,
``signalwire.disconnect``, unknown methods and malformed frames with an id (D9).

Every frame with an id gets exactly one reply, written before anything else happens to the
frame; anything that cannot be used is reported as ``FrameDropped`` and never breaks the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _jsonrpc as rpc
from ._conn_events import Event, EventIgnored, FrameDropped, ServerDisconnect
from ._errors import InvalidCommandError
from ._events import parse_event
from ._session_parts import EventIdMemory, PingSchedule, ResumeData, SessionHooks

__all__ = ["ServerRequests"]

_METHOD_PING = "signalwire.ping"
_METHOD_EVENT = "signalwire.event"
_METHOD_DISCONNECT = "signalwire.disconnect"
_AUTH_STATE_EVENT = "signalwire.authorization.state"

# The ACK of an event with a string id: the bytes rpc.encode_result(event_id, {}) gives.
_ACK_HEAD = '{"jsonrpc":"2.0","id":'
_ACK_TAIL = ',"result":{}}'
_encode_str = rpc.encode_str


class ServerRequests:
    """Handles the server's requests and malformed frames for one :class:`Session`.

    Args:
        write: sends one frame on the session's current transport.
        emit: receives the connection-level events (``FrameDropped``, ``EventIgnored``,
            ``ServerDisconnect``).
        hooks: the session owner's hooks (events for the domain, protocol changes).
        resume: the session's resume data (authorization state, restart wipes it).
        pings: the session's ping schedule (a server ping proves the link alive).
        seen_events: the session's memory of recent event ids (D10).
    """

    __slots__ = ("_emit", "_hooks", "_pings", "_resume", "_seen_events", "_write")

    def __init__(
        self,
        *,
        write: Callable[[str], object],
        emit: Callable[[Event], None],
        hooks: SessionHooks,
        resume: ResumeData,
        pings: PingSchedule,
        seen_events: EventIdMemory,
    ) -> None:
        self._write = write
        self._emit = emit
        self._hooks = hooks
        self._resume = resume
        self._pings = pings
        self._seen_events = seen_events

    def handle(self, frame: rpc.Request, text: str, now: float) -> None:
        """Answer and act on one server request (``text`` is its frame, for reports)."""
        method = frame.method
        if method == _METHOD_EVENT:
            self._on_event(frame, text, now)
        elif method == _METHOD_PING:
            if frame.has_id:
                self._answer(frame.id, text)
            self._pings.server_ping(now)  # the link is evidently alive (and watched from now)
        elif method == _METHOD_DISCONNECT:
            if frame.has_id:
                self._answer(frame.id, text)
            restart = frame.params.get("restart") is True
            if restart:
                self._resume.wipe()
                self._hooks.protocol_changed("")
            self._emit(ServerDisconnect(restart=restart))
        else:
            if frame.has_id:
                self._answer(frame.id, text, rpc.METHOD_NOT_FOUND)
            self.drop(f"unknown server method {method!r}", text)

    def invalid(self, frame: rpc.Invalid, text: str) -> None:
        """A frame that is not valid JSON-RPC: answered with its error when it has an id."""
        if frame.has_id and frame.error_code:
            # D9: a frame with an id always gets an answer, even a malformed one.
            self._answer(frame.id, text, frame.error_code)
        self.drop(frame.reason, text)

    def drop(self, reason: str, text: str) -> None:
        """Report a frame the session could not use."""
        self._emit(FrameDropped(reason=reason, raw=rpc.preview(text)))

    def _answer(self, request_id: Any, text: str, error_code: int = 0) -> None:
        """Reply to a server request: ``{}``, or the JSON-RPC error ``error_code``."""
        try:
            if error_code:
                reply = rpc.encode_error(request_id, error_code, rpc.ERROR_MESSAGES[error_code])
            else:
                reply = rpc.encode_result(request_id, {})
        except InvalidCommandError:
            # Decoding only yields ids that encode back; should one not, the frame cannot be
            # answered, which is reported rather than allowed to break the session.
            self.drop("request id cannot be echoed", text)
            return
        self._write(reply)

    def _on_event(self, frame: rpc.Request, text: str, now: float) -> None:
        envelope = frame.params
        if frame.has_id:
            # ACK first, before anything can go wrong with the event itself (spec 1.6).
            event_id = frame.id
            if type(event_id) is str:  # what servers send: no generic encoder on this path
                self._write(_ACK_HEAD + _encode_str(event_id) + _ACK_TAIL)
            else:
                self._answer(event_id, text)
            if self._seen_events.seen_before(frame.id):
                self._emit(EventIgnored(reason="duplicate", event=parse_event(envelope)))
                return
        if envelope.get("event_type") == _AUTH_STATE_EVENT:
            self._resume.store_authorization_state(envelope.get("params"))
            return
        self._hooks.relay_event(envelope, now)
