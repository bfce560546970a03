"""RFC 6455 frame encoding for the fuzzers.

The harnesses need to put arbitrary text inside *well-formed* WebSocket frames (so the JSON-RPC
layer, not the framing layer, sees the fuzzed bytes), to split messages into fragments, to slip
control frames between fragments, and to wrap the same text in client (masked) or server
(unmasked) frames. wsproto can build frames, but only the ones its connection state allows;
here any frame can be written, which is the point.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterable, Sequence

__all__ = [
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONTINUATION",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "close_frame",
    "frame",
    "message_frames",
    "split_points",
]

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

# A fixed masking key: the fuzzers must be deterministic, and the key's value does not matter
# to the receiver (it only has to unmask with it).
_MASK = b"\x37\xfa\x21\x3d"


def frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = False) -> bytes:
    """One frame. ``masked`` must be true for client-to-server frames (RFC 6455 5.3)."""
    head = bytearray([(0x80 if fin else 0) | (opcode & 0x0F)])
    mask_bit = 0x80 if masked else 0
    size = len(payload)
    if size < 126:
        head.append(mask_bit | size)
    elif size < 1 << 16:
        head.append(mask_bit | 126)
        head += struct.pack("!H", size)
    else:
        head.append(mask_bit | 127)
        head += struct.pack("!Q", size)
    if not masked:
        return bytes(head) + payload
    body = bytes(b ^ _MASK[i & 3] for i, b in enumerate(payload))
    return bytes(head) + _MASK + body


def close_frame(code: int = 1000, reason: str = "", *, masked: bool = False) -> bytes:
    """A close frame with a status code and a reason."""
    payload = struct.pack("!H", code) + reason.encode("utf-8")
    return frame(OP_CLOSE, payload, masked=masked)


def split_points(size: int, cuts: Iterable[int]) -> list[int]:
    """Sorted, distinct cut offsets strictly inside ``0..size`` (fuzzer-chosen ``cuts`` are
    reduced modulo ``size``)."""
    if size < 2:
        return []
    return sorted({1 + cut % (size - 1) for cut in cuts})


def message_frames(
    payload: bytes,
    *,
    masked: bool,
    binary: bool = False,
    cuts: Sequence[int] = (),
    ping_between: bool = False,
) -> bytes:
    """A whole message as one frame, or fragmented at ``cuts`` (byte offsets in the payload).

    Fragment boundaries may fall inside a UTF-8 sequence: RFC 6455 validates UTF-8 over the
    whole message, and a receiver must accept that. With ``ping_between`` a ping frame is put
    between the fragments (control frames may be interleaved with a fragmented message).
    """
    opcode = OP_BINARY if binary else OP_TEXT
    points = split_points(len(payload), cuts)
    if not points:
        return frame(opcode, payload, masked=masked)
    bounds = [0, *points, len(payload)]
    out = bytearray()
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        last = index == len(bounds) - 2
        op = opcode if index == 0 else OP_CONTINUATION
        out += frame(op, payload[start:end], fin=last, masked=masked)
        if ping_between and not last:
            out += frame(OP_PING, b"fuzz", masked=masked)
    return bytes(out)
