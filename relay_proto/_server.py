"""The server side of a RELAY session, sans I/O (used by the emulator and in-memory tests).

(SKELETON — the interface below is the contract the emulator is written against. Bodies are being
implemented; see docs/design/architecture.md.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._conn_events import Event
from ._ids import IdFactory

__all__ = ["RelayServerConnection"]


class RelayServerConnection:
    """One client connection as seen by a RELAY server.

    It performs the WebSocket server handshake (accepting any path, reporting it in
    ``ClientConnected``), parses client frames into ``ClientRequest`` / ``ClientResponse`` events,
    answers malformed requests itself (-32700 parse error is *not* sent: bad JSON is dropped with
    ``FrameDropped``; a request whose params are not an object gets -32602), and keeps the table
    of server requests (events, pings, disconnects) still waiting for the client's reply.

    No timers: the owner decides when to ping or to give up on ACKs.

    Args:
        id_factory: ids for server requests (``"evt-1"``...); default a counter.
        max_message_size: largest inbound message accepted (10 MiB).
        frame_observer: optional ``observer("in" | "out", text)`` for journals.
    """

    def __init__(
        self,
        *,
        id_factory: IdFactory | None = None,
        max_message_size: int = 10 * 1024 * 1024,
        frame_observer: Callable[[str, str], None] | None = None,
    ) -> None:
        raise NotImplementedError

    def receive_data(self, data: bytes | None) -> None:
        """Feed bytes from the socket (``None`` = EOF). Raises ``RemoteProtocolError`` only for a
        broken WebSocket stream."""
        raise NotImplementedError

    def data_to_send(self) -> bytes:
        """Bytes to write now."""
        raise NotImplementedError

    def next_event(self) -> Event | None:
        """Pop the next event (``ClientConnected``, ``ClientRequest``, ``ClientResponse``,
        ``FrameDropped``, ``ClientClosed``)."""
        raise NotImplementedError

    @property
    def is_open(self) -> bool:
        """True between the handshake and the close."""
        raise NotImplementedError

    # ---------------------------------------------------------------- replies
    def send_result(self, request_id: Any, result: Mapping[str, Any]) -> None:
        """Reply ``{"jsonrpc": "2.0", "id": request_id, "result": result}``."""
        raise NotImplementedError

    def send_error(
        self, request_id: Any, code: int, message: str, data: Any = None
    ) -> None:
        """Reply with a JSON-RPC error object (``data`` omitted when ``None``)."""
        raise NotImplementedError

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
        ``event_type``/``params``). Returns its id; the ACK arrives as ``ClientResponse``."""
        raise NotImplementedError

    def send_ping(self, params: Mapping[str, Any] | None = None) -> str:
        """Send ``signalwire.ping``; returns its id."""
        raise NotImplementedError

    def send_disconnect(self, *, restart: bool = False) -> str:
        """Send ``signalwire.disconnect``; returns its id."""
        raise NotImplementedError

    def send_raw_text(self, text: str) -> None:
        """Send arbitrary text as one WebSocket text message (for fault injection)."""
        raise NotImplementedError

    @property
    def unacked(self) -> Mapping[str, str]:
        """Server request ids still waiting for a reply, mapped to their method."""
        raise NotImplementedError

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the WebSocket close handshake."""
        raise NotImplementedError
