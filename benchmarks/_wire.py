"""The benchmark server's side of the WebSocket wire, in a few lines of stdlib code.

The server must cost as little as possible and the same for every client, so it does not use
wsproto (whose per-frame cost is what the clients are measured on): frames to the client are
built once, unmasked, as the bytes that go on the wire; frames from the client are unmasked with
one big-integer XOR each. Only what RFC 6455 requires of a server for these clients is here: the
upgrade handshake, text/close/ping frames and fragment reassembly (no extensions are offered,
so no client compresses).
"""

from __future__ import annotations

import base64
import hashlib
import struct

__all__ = [
    "OP_CLOSE",
    "OP_PING",
    "OP_TEXT",
    "ClientFrames",
    "WireError",
    "close_frame",
    "handshake_response",
    "server_frame",
]

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# Bound on a client's upgrade request and on one client message: these clients send small
# frames, so anything larger is a bug in the harness or the client.
_MAX_HEAD = 16 * 1024
_MAX_MESSAGE = 1024 * 1024


class WireError(Exception):
    """The client broke the WebSocket protocol (or the harness's assumptions)."""


def server_frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """One unfragmented, unmasked frame (server to client) carrying ``payload``."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


def close_frame(code: int = 1000) -> bytes:
    """A close frame with ``code`` and no reason."""
    return server_frame(struct.pack("!H", code), OP_CLOSE)


def handshake_response(head: bytes) -> bytes:
    """The ``101 Switching Protocols`` answer to the upgrade request ``head`` (its bytes up to
    and including the blank line).

    Raises:
        WireError: no ``Sec-WebSocket-Key`` header.
    """
    key = b""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
    if not key:
        raise WireError("upgrade request without Sec-WebSocket-Key")
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


def _unmask(mask: bytes, payload: bytes) -> bytes:
    n = len(payload)
    if not n:
        return payload
    key = (mask * (n // 4 + 1))[:n]
    # One XOR of two big integers: far cheaper than a per-byte loop.
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


class ClientFrames:
    """Incremental parser of the client's side of a connection: the upgrade request, then
    masked frames. :meth:`feed` returns ``(opcode, payload)`` for every complete message (text
    fragments joined; control frames as they come)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.head: bytes | None = None  # the upgrade request, once complete
        self._fragments: list[bytes] = []
        self._fragment_op = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Add ``data``; return the messages it completed.

        Raises:
            WireError: a malformed upgrade request or frame, or an unmasked frame.
        """
        buf = self._buf
        buf += data
        if self.head is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_HEAD:
                    raise WireError("upgrade request too long")
                return []
            self.head = bytes(buf[: end + 4])
            del buf[: end + 4]
        out: list[tuple[int, bytes]] = []
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            if not b1 & 0x80:
                raise WireError("unmasked client frame")
            n = b1 & 0x7F
            start = pos + 2
            if n == 126:
                if size - start < 2:
                    break
                n = int.from_bytes(buf[start : start + 2], "big")
                start += 2
            elif n == 127:
                if size - start < 8:
                    break
                n = int.from_bytes(buf[start : start + 8], "big")
                start += 8
            if n > _MAX_MESSAGE:
                raise WireError(f"client frame of {n} bytes")
            end = start + 4 + n
            if end > size:
                break
            payload = _unmask(bytes(buf[start : start + 4]), bytes(buf[start + 4 : end]))
            pos = end
            self._frame(b0 & 0x80, b0 & 0x0F, payload, out)
        del buf[:pos]
        return out

    def _frame(self, fin: int, opcode: int, payload: bytes, out: list[tuple[int, bytes]]) -> None:
        if opcode >= OP_CLOSE:  # control frames are never fragmented
            out.append((opcode, payload))
        elif opcode == OP_CONT:
            if not self._fragment_op:
                raise WireError("continuation frame without a message")
            self._fragments.append(payload)
            if fin:
                out.append((self._fragment_op, b"".join(self._fragments)))
                self._fragments.clear()
                self._fragment_op = 0
        elif fin:
            out.append((opcode, payload))
        else:
            self._fragment_op = opcode
            self._fragments = [payload]
