"""The server side of a RELAY session, sans I/O (used by the emulator and in-memory tests).

It speaks the same framing as the client (:mod:`relay_proto._jsonrpc` over
:mod:`relay_proto._transport`) but holds no session logic: it reports what the client sends and
sends what its owner asks for. It keeps just enough state to be safe to drive from a test
server: which of its own requests (events, pings, disconnects) still wait for the client's reply.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ._conn_events import (
    DROP_UNKNOWN_REPLY,
    ClientClosed,
    ClientConnected,
    ClientRequest,
    ClientResponse,
    Event,
    FrameDropped,
)
from ._errors import InvalidCommandError, LocalProtocolError
from ._ids import IdFactory, counter_ids
from ._jsonrpc import (
    ERROR_MESSAGES,
    ErrorReply,
    Invalid,
    Reply,
    Request,
    decode_frame,
    encode_error,
    encode_request,
    encode_result,
    preview,
)
from ._transport import DEFAULT_MAX_MESSAGE_SIZE, Closed, Dropped, Opened, Transport

__all__ = ["RelayServerConnection"]

_EVENT = "signalwire.event"
_PING = "signalwire.ping"
_DISCONNECT = "signalwire.disconnect"


def _default_ids() -> dict[str, IdFactory]:
    # Spec examples use "evt-1", "ping-1", "disc-1"; one counter per kind keeps journals readable.
    return {
        _EVENT: counter_ids("evt"),
        _PING: counter_ids("ping"),
        _DISCONNECT: counter_ids("disc"),
    }


def _mapping(name: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidCommandError(
            f"{name} must be a mapping, not {type(value).__name__} (send_raw_text sends anything)"
        )
    return dict(value)


class RelayServerConnection:
    """One client connection as seen by a RELAY server.

    It performs the WebSocket server handshake (accepting any path, reporting it in
    ``ClientConnected``), parses client frames into ``ClientRequest`` / ``ClientResponse`` events,
    answers malformed requests itself (-32700 parse error is *not* sent: bad JSON is dropped with
    ``FrameDropped``; a request whose params are not an object gets -32602, one without a string
    method -32600; both are also reported as ``FrameDropped``), and keeps the table of server
    requests (events, pings, disconnects) still waiting for the client's reply. A reply whose id
    is not in that table (never sent, or already answered) is reported as ``FrameDropped`` with
    the id in ``request_id``.

    No timers: the owner decides when to ping or to give up on ACKs.

    Args:
        id_factory: ids for server requests; default one counter per kind (``"evt-1"``,
            ``"ping-1"``, ``"disc-1"``...).
        max_message_size: largest inbound message accepted (10 MiB).
        frame_observer: optional ``observer("in" | "out", text)`` for journals.

    Raises:
        LocalProtocolError: ``max_message_size`` is not a positive int.
    """

    def __init__(
        self,
        *,
        id_factory: IdFactory | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        frame_observer: Callable[[str, str], None] | None = None,
    ) -> None:
        self._transport = Transport(client=False, max_message_size=max_message_size)
        self._ids = _default_ids()
        self._id_factory = id_factory
        self._observer = frame_observer
        self._events: deque[Event] = deque()
        self._unacked: dict[str, str] = {}
        self._opened = False

    # ---------------------------------------------------------------- I/O
    def receive_data(self, data: bytes | None) -> None:
        """Feed bytes from the socket (``None`` = EOF).

        Raises:
            RemoteProtocolError: the client broke the WebSocket stream (``ClientClosed`` is
                queued first).
        """
        # Each message is handled as soon as it is parsed, before the frames after it: the
        # core's own error replies then go out even when the client's close frame follows in
        # the same read (once that close is parsed, nothing can be sent any more).
        self._transport.receive_data(data, self._handle)

    def _handle(self, item: str | Opened | Dropped | Closed) -> None:
        if isinstance(item, str):
            self._frame(item)
        else:
            self._transport_event(item)

    def data_to_send(self) -> bytes:
        """Bytes to write now."""
        return self._transport.data_to_send()

    def next_event(self) -> Event | None:
        """Pop the next event (``ClientConnected``, ``ClientRequest``, ``ClientResponse``,
        ``FrameDropped``, ``ClientClosed``), or ``None``."""
        return self._events.popleft() if self._events else None

    @property
    def is_open(self) -> bool:
        """True between the handshake and the close."""
        return self._transport.is_open

    # ---------------------------------------------------------------- replies
    def send_result(self, request_id: Any, result: Mapping[str, Any]) -> None:
        """Reply ``{"jsonrpc": "2.0", "id": request_id, "result": result}``.

        Does nothing once the connection is closed.

        Raises:
            LocalProtocolError: before the handshake completed.
            InvalidCommandError: ``result`` is not a JSON-serialisable mapping.
        """
        self._send(encode_result(request_id, _mapping("result", result)))

    def send_error(self, request_id: Any, code: int, message: str, data: Any = None) -> None:
        """Reply with a JSON-RPC error object (``data`` omitted when ``None``).

        Does nothing once the connection is closed.

        Raises:
            LocalProtocolError: before the handshake completed.
            InvalidCommandError: ``data`` is not JSON-serialisable.
        """
        self._send(encode_error(request_id, code, message, data))

    # ---------------------------------------------------------------- server requests
    def send_event(
        self,
        event_type: str,
        params: Mapping[str, Any],
        *,
        event_id: str | None = None,
        envelope: Mapping[str, Any] | None = None,
    ) -> str:
        """Send a ``signalwire.event`` (``envelope`` adds keys such as ``timestamp`` beside
        ``event_type``/``params``). Returns its id; the ACK arrives as ``ClientResponse``.

        Raises:
            LocalProtocolError: before the handshake completed.
            InvalidCommandError: ``params`` or ``envelope`` is not a JSON-serialisable mapping.
        """
        body = _mapping("envelope", envelope or {})
        body["event_type"] = event_type
        body["params"] = _mapping("params", params)
        return self._request(_EVENT, body, event_id)

    def send_ping(self, params: Mapping[str, Any] | None = None) -> str:
        """Send ``signalwire.ping``; returns its id.

        Raises:
            LocalProtocolError: before the handshake completed.
        """
        return self._request(_PING, _mapping("params", params or {}), None)

    def send_disconnect(self, *, restart: bool = False) -> str:
        """Send ``signalwire.disconnect``; returns its id.

        Raises:
            LocalProtocolError: before the handshake completed.
        """
        return self._request(_DISCONNECT, {"restart": restart}, None)

    def send_raw_text(self, text: str) -> None:
        """Send arbitrary text as one WebSocket text message (for fault injection).

        Raises:
            LocalProtocolError: before the handshake completed.
        """
        self._send(text)

    @property
    def unacked(self) -> Mapping[str, str]:
        """Server request ids still waiting for a reply, mapped to their method (read-only)."""
        return MappingProxyType(self._unacked)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the WebSocket close handshake (``ClientClosed`` follows when it completes).

        Does nothing when the connection is not open.
        """
        if self._transport.is_open:
            self._transport.close(code, reason)

    # ---------------------------------------------------------------- internals
    def _check_started(self) -> None:
        if not self._opened:
            raise LocalProtocolError("the WebSocket handshake has not completed yet")

    def _send(self, text: str) -> None:
        self._check_started()
        if not self._transport.is_open:
            return  # the client is gone; the owner may not have noticed yet
        if self._observer is not None:
            self._observer("out", text)
        self._transport.send_text(text)

    def _request(self, method: str, params: dict[str, Any], request_id: str | None) -> str:
        self._check_started()
        if request_id is None:
            factory = self._id_factory or self._ids[method]
            request_id = factory()
        text = encode_request(request_id, method, params)
        if self._transport.is_open:
            self._unacked[request_id] = method
        self._send(text)
        return request_id

    def _transport_event(self, item: Opened | Dropped | Closed) -> None:
        if isinstance(item, Opened):
            self._opened = True
            self._events.append(ClientConnected(path=item.path, host=item.host))
        elif isinstance(item, Dropped):
            self._events.append(FrameDropped(reason=item.reason, raw=item.raw))
        else:
            self._events.append(ClientClosed(code=item.code, reason=item.reason))

    def _frame(self, text: str) -> None:
        if self._observer is not None:
            self._observer("in", text)
        frame = decode_frame(text)
        if isinstance(frame, Request):
            if frame.has_id:
                request = ClientRequest(
                    request_id=frame.id, method=frame.method, params=frame.params
                )
                self._events.append(request)
            else:
                # RELAY clients never send notifications; there is nobody to answer.
                reason = f"notification without id: {frame.method}"
                self._events.append(FrameDropped(reason=reason, raw=preview(text)))
        elif isinstance(frame, Invalid):
            reason = frame.reason
            if frame.has_id and frame.error_code:
                message = ERROR_MESSAGES[frame.error_code]
                try:
                    self._send(encode_error(frame.id, frame.error_code, message))
                except InvalidCommandError:  # an id that cannot be written back
                    reason += " (not answered: the id cannot be echoed)"
            self._events.append(FrameDropped(reason=reason, raw=preview(text)))
        else:
            self._response(frame, text)

    def _response(self, frame: Reply | ErrorReply, text: str) -> None:
        request_id = frame.id
        method = self._unacked.pop(request_id, None) if type(request_id) is str else None
        if method is None:
            dropped = FrameDropped(
                reason=DROP_UNKNOWN_REPLY, raw=preview(text), request_id=request_id
            )
            self._events.append(dropped)
        elif isinstance(frame, Reply):
            response = ClientResponse(request_id=request_id, method=method, result=frame.result)
            self._events.append(response)
        else:
            error: dict[str, Any] = {"code": frame.code, "message": frame.message}
            if frame.data is not None:
                error["data"] = frame.data
            self._events.append(ClientResponse(request_id=request_id, method=method, error=error))
