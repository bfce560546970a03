"""A WebSocket transport for RELAY frames, built on wsproto, for either role.

The transport turns bytes into *whole text messages* and back. It knows nothing of JSON-RPC.
What it adds to wsproto:

* the opening handshake for both roles (client: ``GET /`` with the given ``Host``; server:
  accept any path and report it);
* reassembly of fragmented text messages, with a size limit: an oversized message is thrown
  away piece by piece as it streams in (memory stays bounded by the limit) and reported as
  :class:`Dropped` once it ends; the connection carries on;
* binary messages are dropped with a reason (RELAY only uses text);
* WebSocket pings are answered with pongs; the close handshake works both ways;
* a broken stream (bad HTTP, bad framing, invalid UTF-8...) marks the transport closed, queues a
  :class:`Closed` event and raises :class:`~relay_proto.RemoteProtocolError`;
* outgoing text messages are framed here (:func:`text_frame`), not by wsproto: every frame the
  core sends is one final, unfragmented text frame and no extension is ever negotiated (none is
  offered or accepted), so the frame is a fixed header, the client's masking key and the
  payload. That is the bytes wsproto builds, for a fraction of its per-frame work; wsproto still
  frames everything else (handshake, close, pongs);
* in the client role, incoming text messages that fit in one final, unmasked frame without RSV
  bits are parsed here too (:meth:`Transport._receive_frames`) while the transport is open:
  such a frame is its header and its UTF-8 payload, and decoding it here costs a fraction of
  wsproto's frame parser. Every other frame (control, binary, fragments and whatever comes
  while a fragmented message is in progress, masked, RSV bits, invalid UTF-8, over the size
  limit, not complete in the bytes at hand) goes to wsproto whole and in order, so wsproto
  judges it exactly as before (and as soon as before); the
  server role (the emulator) and a transport that is not open use wsproto alone.

Incoming results are a plain ``str`` for each complete text message (the fast path), or an
:class:`Opened` / :class:`Dropped` / :class:`Closed` record. They go to the handler given to
:meth:`Transport.receive_data` *as they are parsed*, so a reply the handler sends (an ACK) goes
out before the rest of the input is looked at, even when that rest breaks the stream; without a
handler they are collected for :meth:`Transport.take_events`.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
from collections.abc import Callable
from typing import NamedTuple

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.events import Event as WsEvent
from wsproto.utilities import ProtocolError as WsProtocolError

from ._errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "Closed",
    "Dropped",
    "Opened",
    "Transport",
    "TransportEvent",
    "TransportState",
    "is_valid_host",
    "text_frame",
]

# Spec 1.1: the largest inbound message the official SDK accepts. Larger ones are dropped, so
# one huge frame cannot make the process buffer an unbounded amount of memory.
DEFAULT_MAX_MESSAGE_SIZE = 10 * 1024 * 1024

# Kept of a dropped message, for FrameDropped.raw.
_PREVIEW_CHARS = 200

# An authority (host, host:port, [v6]:port): no spaces, controls, or URL delimiters that would
# make the Host header mean something else.
_HOST_RE = re.compile(r"[^\s\x00-\x1f\x7f/?#@\\]+")

# Text frame headers (RFC 6455 section 5.2): FIN + text opcode, then the payload length in 7 bits,
# or 126/127 and 16/64 bits; the high bit of the second byte says a masking key follows.
_FIN_TEXT = 0x81
_MASKED = 0x80
_unpack16 = struct.Struct("!H").unpack_from
_unpack64 = struct.Struct("!Q").unpack_from
_pack_head16 = struct.Struct("!BBH").pack
_pack_head64 = struct.Struct("!BBQ").pack
_urandom = os.urandom
# Masking keys come from a pool of random bytes drawn from os.urandom: a fresh key for every
# frame, one system call per 256 frames instead of one per frame.
_KEY_POOL_BYTES = 1024

# RFC 6455 close codes we send.
_NORMAL_CLOSURE = 1000
_PROTOCOL_ERROR = 1002


class TransportState:
    """String constants for :attr:`Transport.state`."""

    CONNECTING = "connecting"  # opening handshake not finished
    OPEN = "open"  # messages flow both ways
    CLOSING = "closing"  # we sent a close frame and wait for the peer's
    CLOSED = "closed"  # final


class Opened(NamedTuple):
    """The opening handshake completed. ``path`` is the request target, ``host`` its Host."""

    path: str
    host: str


class Dropped(NamedTuple):
    """An inbound message was discarded (too large, or binary). ``raw`` is its beginning."""

    reason: str
    raw: str


class Closed(NamedTuple):
    """The transport is finished (always the last event). ``code`` is the WebSocket close code
    when there was one; ``broken`` is true when the peer broke the protocol."""

    reason: str
    code: int | None = None
    broken: bool = False


TransportEvent = str | Opened | Dropped | Closed


def is_valid_host(host: object) -> bool:
    """Whether ``host`` can be the authority of the handshake (``host``, ``host:port``,
    ``[v6]:port``): a non-empty string without spaces, controls or URL delimiters, that IDNA
    can encode for the ``Host`` header (no empty or over-long labels)."""
    if not isinstance(host, str) or _HOST_RE.fullmatch(host) is None:
        return False
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def _utf8_size(text: str) -> int:
    # isascii() is O(1) on CPython (a flag of the string), so ASCII JSON costs nothing here.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _head(parts: list[str]) -> str:
    """The first characters of a message split in ``parts`` (without joining all of them)."""
    head = ""
    for part in parts:
        head += part[: _PREVIEW_CHARS - len(head)]
        if len(head) >= _PREVIEW_CHARS:
            break
    return head


def text_frame(payload: bytes, mask: bytes | None) -> bytes:
    """One final, unfragmented text frame carrying ``payload`` (UTF-8): masked with the 4-byte
    ``mask`` (client role), or unmasked when ``mask`` is ``None`` (server role). The bytes are
    those wsproto produces for a ``TextMessage`` when no extension is in use."""
    n = len(payload)
    masked = _MASKED if mask is not None else 0
    if n < 126:
        head = bytes((_FIN_TEXT, masked | n))
    elif n < 65536:
        head = _pack_head16(_FIN_TEXT, masked | 126, n)
    else:
        head = _pack_head64(_FIN_TEXT, masked | 127, n)
    if mask is None:
        return head + payload
    if not n:
        return head + mask
    # Masking XORs the payload with the key repeated (section 5.3): one XOR of two big
    # integers does it in C, where a loop or wsproto's four table translations would not.
    key = (mask * ((n >> 2) + 1))[:n]
    masked_payload = int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")
    return head + mask + masked_payload.to_bytes(n, "little")


class Transport:
    """One WebSocket connection, client or server side, sans I/O.

    Args:
        client: ``True`` for the client role (call :meth:`start` to send the upgrade request),
            ``False`` for the server role (the upgrade request is accepted when it arrives).
        max_message_size: largest inbound message in bytes (UTF-8) that is delivered.

    Raises:
        LocalProtocolError: ``max_message_size`` is not a positive int.
    """

    def __init__(self, *, client: bool, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        if type(max_message_size) is not int or max_message_size < 1:
            raise LocalProtocolError("max_message_size must be a positive int")
        self._client = client
        self._ws = WSConnection(ConnectionType.CLIENT if client else ConnectionType.SERVER)
        self._max = max_message_size
        self._max_chars = max_message_size // 4
        self._state = TransportState.CONNECTING
        self._out: list[bytes] = []
        self._events: list[TransportEvent] = []
        self._sink: Callable[[TransportEvent], None] = self._events.append
        self._broken = ""  # why the stream broke during the current receive_data call
        self._host = ""
        # Reassembly of the current inbound message.
        self._parts: list[str] = []
        self._size = 0
        self._dropping = ""  # reason while the rest of an unusable message is discarded
        self._drop_preview = ""
        # Masking keys not used yet (client role): self._keys[self._key_at:].
        self._keys = b""
        self._key_at = 0
        # Inbound frames parsed here while open (client role; see _receive_frames). _fbuf holds
        # what is not parsed yet, from a frame boundary: a frame header not complete (it needs
        # _fneed bytes to make progress), bytes that came with the upgrade response, or a read
        # held back behind events a handler's exception left in wsproto; its
        # first _ws_given bytes already went to wsproto. _ws_owed: bytes of the current frame
        # that are still wsproto's. _ws_frag: wsproto holds a fragmented message in progress.
        self._fast = client
        self._fbuf = bytearray()
        self._fneed = 0
        self._ws_given = 0
        self._ws_owed = 0
        self._ws_frag = False

    # ---------------------------------------------------------------- state
    @property
    def state(self) -> str:
        """One of the :class:`TransportState` strings."""
        return self._state

    @property
    def is_open(self) -> bool:
        """True while messages can be sent."""
        return self._state is TransportState.OPEN

    # ---------------------------------------------------------------- output
    def start(self, host: str, target: str = "/") -> None:
        """(client role) Queue the HTTP upgrade request for ``host`` (the ``Host`` header).

        Raises:
            LocalProtocolError: server role, already started, or an invalid host.
        """
        if not self._client or self._host:
            raise LocalProtocolError("start() is for a new client transport only")
        if not is_valid_host(host):
            raise LocalProtocolError(f"invalid host for the WebSocket handshake: {host!r}")
        self._out.append(self._ws.send(Request(host=host, target=target)))
        self._host = host

    def send_text(self, text: str) -> None:
        """Queue one text message.

        Lone surrogates (which JSON text can only hold inside strings, e.g. an id echoed from a
        ``"\\ud800"`` escape) cannot be UTF-8 encoded; they are sent as ``\\uXXXX`` escapes,
        which is the same JSON value.

        Raises:
            LocalProtocolError: the transport is not open.
        """
        if self._state is not TransportState.OPEN:
            raise LocalProtocolError(f"cannot send a message in transport state {self._state}")
        try:
            payload = text.encode("utf-8")
        except UnicodeEncodeError:
            payload = text.encode("utf-8", "backslashreplace")
        mask = None
        if self._client:
            # RFC 6455 section 5.3: a fresh, unpredictable key for every frame a client sends
            # (each is used once; the ones not used yet were never on the wire).
            at = self._key_at
            if at >= len(self._keys):
                self._keys = _urandom(_KEY_POOL_BYTES)
                at = 0
            self._key_at = at + 4
            mask = self._keys[at : at + 4]
        self._out.append(text_frame(payload, mask))

    def close(self, code: int = _NORMAL_CLOSURE, reason: str = "") -> bool:
        """Start the close handshake (or just give up a transport that never opened).

        Returns ``True`` when the transport is now closed (nothing to wait for), ``False`` when
        a close frame was sent and the peer's answer is awaited. Closing twice is harmless.
        """
        if self._state is TransportState.OPEN:
            self._out.append(self._ws.send(CloseConnection(code=code, reason=reason)))
            self._state = TransportState.CLOSING
            return False
        if self._state is TransportState.CONNECTING:
            self._state = TransportState.CLOSED
        return self._state is TransportState.CLOSED

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket now (possibly ``b""``)."""
        if not self._out:
            return b""
        data = b"".join(self._out)
        self._out.clear()
        return data

    # ---------------------------------------------------------------- input
    def take_events(self) -> list[TransportEvent]:
        """Return and forget the events produced by :meth:`receive_data` so far."""
        events = self._events[:]
        self._events.clear()
        return events

    def receive_data(
        self, data: bytes | None, handle: Callable[[TransportEvent], None] | None = None
    ) -> None:
        """Feed bytes from the socket (``None`` = EOF).

        Each result is passed to ``handle`` as soon as it is parsed (the handler may send), or
        collected for :meth:`take_events` when there is no handler. Data after the transport
        closed is ignored.

        Raises:
            RemoteProtocolError: the peer broke the WebSocket protocol. The transport is then
                closed, and ``Closed(broken=True)`` was delivered after whatever the data
                produced before the fault.
        """
        if self._state is TransportState.CLOSED:
            return
        self._sink = self._events.append if handle is None else handle
        self._broken = ""
        if data is None:
            self._finish("eof")
            return
        try:
            if self._ws_given and self._fast and self._state is TransportState.OPEN:
                # wsproto holds bytes of the frame begun in _fbuf (or that came with the upgrade
                # response): the events a handler's exception left unparsed in them come before
                # anything new, which waits in _fbuf meanwhile (a handler may raise again).
                self._fbuf += data
                data = b""
                self._ws_events()
            if self._fast and self._state is TransportState.OPEN:
                self._receive_frames(data)
            elif self._state is not TransportState.CLOSED:
                if self._fbuf:  # the transport left OPEN with a frame begun: wsproto's now
                    data = bytes(self._fbuf[self._ws_given :]) + data
                    self._fbuf = bytearray()
                    self._ws_given = 0
                self._to_ws(data)
        except (WsProtocolError, ValueError) as exc:
            # ValueError: wsproto decodes the Host header and request target without guarding
            # against bad bytes (UnicodeError).
            self._reject_handshake(exc)
            self._finish(f"websocket error: {exc}", _PROTOCOL_ERROR, broken=True)
        if self._broken:
            raise RemoteProtocolError(self._broken)

    # ---------------------------------------------------------------- internals
    def _to_ws(self, data: bytes) -> None:
        """Give ``data`` to wsproto and handle what it parses."""
        self._ws.receive_data(data)
        self._ws_events()

    def _ws_events(self) -> None:
        """Handle what wsproto has parsed (until the transport closes)."""
        for event in self._ws.events():
            self._handle(event)
            if self._state is TransportState.CLOSED:
                break

    def _receive_frames(self, data: bytes) -> None:
        """(client role, open) Parse final unmasked text frames here, hand the rest to wsproto.

        ``buf[pos:]`` always starts at a frame boundary (or inside a frame that is wsproto's).
        A text frame is taken here only when it is complete in the bytes at hand; every other
        frame goes to wsproto as soon as its header is known (or its first two bytes show it
        cannot be a final unmasked text frame), streamed: only a header is ever buffered here,
        and wsproto never holds part of a frame parsed here.
        """
        if self._fbuf:
            self._fbuf += data
            if len(self._fbuf) < self._fneed:
                return
            buf: bytes = bytes(self._fbuf)
            self._fbuf = bytearray()
        else:
            buf = data
        pos = 0
        end = len(buf)
        need = 0  # stays 0 if a handler's exception stops the loop: parse again next time
        try:
            while pos < end:
                owed = self._ws_owed
                if owed:  # the rest (or part) of a frame that is wsproto's
                    n = owed if owed < end - pos else end - pos
                    self._ws_owed = owed - n
                    pos += n
                    self._to_ws(buf[pos - n : pos])
                elif end - pos < 2:
                    need = 2
                    break
                else:
                    b0 = buf[pos]
                    b1 = buf[pos + 1]
                    n = b1 & 0x7F
                    head = 2 if n < 126 else 4 if n == 126 else 10
                    if b1 & _MASKED:
                        head += 4
                    if end - pos < head:
                        need = head
                        if b0 != _FIN_TEXT or b1 & _MASKED:
                            # wsproto's frame whatever its length: it judges the header bytes
                            # there are now and gets each new one (it refuses a bad header as
                            # soon as it can, as without this path).
                            need = 0
                            given = self._ws_given
                            if given < end - pos:
                                self._ws_given = end - pos
                                self._to_ws(buf[pos + given : end])
                        break
                    if n == 126:
                        n = _unpack16(buf, pos + 2)[0]
                        minimal = n > 125
                    elif n == 127:
                        n = _unpack64(buf, pos + 2)[0]
                        minimal = 65535 < n < 1 << 63
                    else:
                        minimal = True
                    text = None
                    if (
                        b0 == _FIN_TEXT
                        and not b1 & _MASKED
                        and n <= self._max
                        and minimal
                        and not self._ws_given
                        and not self._ws_frag
                        and end - pos >= head + n
                    ):
                        # Complete only: wsproto takes one begun (it judges its UTF-8 as it
                        # arrives, so a bad byte is refused at once, as without this path).
                        try:
                            text = str(buf[pos + head : pos + head + n], "utf-8")
                        except UnicodeDecodeError:
                            text = None  # wsproto reports it (1007), with its own message
                    if text is None:
                        pos += self._to_wsproto(b0, head + n)
                    else:
                        pos += head + n
                        self._sink(text)
                if self._state is not TransportState.OPEN:
                    if self._state is not TransportState.CLOSED and pos < end:
                        # Closing: the rest is wsproto's, from a frame boundary.
                        rest = buf[pos + self._ws_given :]
                        self._ws_given = 0
                        pos = end
                        self._to_ws(rest)
                    break
        finally:
            if pos < end and self._state is not TransportState.CLOSED:
                self._fbuf = bytearray(buf[pos:])
                self._fneed = need

    def _to_wsproto(self, b0: int, size: int) -> int:
        """The frame at the current position (``size`` bytes) is wsproto's: what wsproto does
        not have of it yet becomes owed to it. Returns how many of its bytes wsproto has."""
        if not b0 & 0x08:  # a data frame: a non-final one leaves a message in progress
            self._ws_frag = not b0 & 0x80
        given = self._ws_given
        if given >= size:  # wsproto already has all of it (bytes that followed the handshake)
            self._ws_given = given - size
            return size
        self._ws_given = 0
        self._ws_owed = size - given
        return given

    def _finish(self, reason: str, code: int | None = None, *, broken: bool = False) -> None:
        self._state = TransportState.CLOSED
        self._parts.clear()
        # wsproto gives close codes as an IntEnum for the known ones; report plain ints.
        if broken:
            self._broken = reason
        self._sink(Closed(reason, None if code is None else int(code), broken))

    def _handle(self, event: WsEvent) -> None:
        if isinstance(event, TextMessage):
            self._text(event)
        elif isinstance(event, Ping):
            if self._ws.state is ConnectionState.OPEN:
                self._out.append(self._ws.send(event.response()))
        elif isinstance(event, CloseConnection):
            self._close_frame(event)
        elif isinstance(event, BytesMessage):
            self._binary(event)
        elif isinstance(event, Request):
            self._accept(event)
        elif isinstance(event, AcceptConnection):
            self._state = TransportState.OPEN
            self._after_handshake()
            self._sink(Opened("/", self._host))
        elif isinstance(event, RejectConnection):
            self._finish(f"websocket handshake rejected (HTTP {event.status_code})")
        # Pong and RejectData need nothing.

    def _accept(self, request: Request) -> None:
        self._out.append(self._ws.send(AcceptConnection()))
        self._state = TransportState.OPEN
        self._sink(Opened(request.target, request.host))
        # wsproto's server handshake forgets bytes that arrived right after the upgrade request
        # (a client that pipelines its first frame); hand them over to the new connection.
        h11_conn = getattr(self._ws.handshake, "_h11_connection", None)
        trailing = getattr(h11_conn, "trailing_data", (b"", False))[0]
        if trailing:
            self._ws.receive_data(bytes(trailing))

    def _after_handshake(self) -> None:
        # (client role) Bytes that came right after the upgrade response are in wsproto already
        # and it parses them now; keep a copy so the frame parser knows where wsproto's frames
        # end. If wsproto's handshake ever hides them, wsproto alone parses this connection.
        if not self._fast:
            return
        h11_conn = getattr(self._ws.handshake, "_h11_connection", None)
        trailing = getattr(h11_conn, "trailing_data", None)
        if not isinstance(trailing, tuple) or not isinstance(trailing[0], (bytes, bytearray)):
            self._fast = False
        elif trailing[0]:
            self._fbuf = bytearray(trailing[0])
            self._ws_given = len(trailing[0])
            self._fneed = 0

    def _reject_handshake(self, exc: Exception) -> None:
        # A server answers a bad upgrade request with an HTTP error (wsproto's hint, else 400).
        if self._client or self._state is not TransportState.CONNECTING:
            return
        hint = getattr(exc, "event_hint", None) or RejectConnection(status_code=400)
        with contextlib.suppress(WsProtocolError, ValueError):  # h11 may refuse in its state
            self._out.append(self._ws.send(hint))

    def _close_frame(self, event: CloseConnection) -> None:
        state = self._ws.state
        if state is ConnectionState.REMOTE_CLOSING:
            self._out.append(self._ws.send(event.response()))
            self._finish("closed by peer", event.code)
        elif state is ConnectionState.CLOSED:  # the peer answered our close frame
            self._finish("close handshake complete", event.code)
        else:
            # wsproto reports a framing error (bad opcode, invalid UTF-8, unmasked frame...) as a
            # CloseConnection without changing its state: the stream is broken.
            if state is ConnectionState.OPEN:
                self._out.append(self._ws.send(CloseConnection(code=event.code)))
            self._finish(f"websocket error: {event.reason}", event.code, broken=True)

    def _text(self, event: TextMessage) -> None:
        text = event.data
        if self._dropping:
            if len(self._drop_preview) < _PREVIEW_CHARS:
                # Keep the preview independent of how the message was chunked.
                self._drop_preview += text[: _PREVIEW_CHARS - len(self._drop_preview)]
            if event.message_finished:
                self._end_drop()
            return
        if event.message_finished and not self._parts:
            # Fast path: the whole message arrived in one piece. A character is at most 4 bytes
            # of UTF-8, so a message of at most max/4 characters needs no counting.
            if len(text) <= self._max_chars or _utf8_size(text) <= self._max:
                self._sink(text)
            else:
                self._start_drop(text, "message too large")
                self._end_drop()
            return
        self._size += _utf8_size(text)
        self._parts.append(text)
        if self._size > self._max:
            self._start_drop(_head(self._parts), "message too large")
            if event.message_finished:
                self._end_drop()
        elif event.message_finished:
            # Reset before the handler runs: its exception must not leave parts behind.
            text = "".join(self._parts)
            self._parts.clear()
            self._size = 0
            self._sink(text)

    def _binary(self, event: BytesMessage) -> None:
        # latin-1 maps each byte to one character, so the preview does not depend on chunking.
        piece = bytes(event.data[:_PREVIEW_CHARS]).decode("latin-1")
        if not self._dropping:
            self._start_drop(piece, "binary message")
        elif len(self._drop_preview) < _PREVIEW_CHARS:
            self._drop_preview += piece[: _PREVIEW_CHARS - len(self._drop_preview)]
        if event.message_finished:
            self._end_drop()

    def _start_drop(self, preview: str, reason: str) -> None:
        self._dropping = reason
        self._drop_preview = preview[:_PREVIEW_CHARS]
        self._parts.clear()
        self._size = 0

    def _end_drop(self) -> None:
        reason = self._dropping
        if reason == "message too large":
            reason = f"message too large (limit {self._max} bytes)"
        preview = self._drop_preview
        self._dropping = ""  # reset before the handler runs (it may raise)
        self._drop_preview = ""
        self._sink(Dropped(reason, preview))
