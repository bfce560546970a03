"""Fuzz targets: each takes the fuzzer's bytes and raises on a broken invariant.

Byte-level targets (for atheris, and fed from hypothesis in the test suite):

* ``client_raw`` / ``server_raw``: arbitrary bytes after the handshake and setup (the WebSocket
  framing layer), then EOF;
* ``client_handshake`` / ``server_handshake``: arbitrary bytes where the HTTP upgrade response /
  request is expected, then EOF;
* ``client_frames`` / ``server_frames``: the input is split into lines, each line is one text
  message in a *valid* frame (so the JSON-RPC layer sees the fuzzed text); then the probe;
* ``differential``: the same byte stream fed whole, byte at a time and in fuzzer-chosen chunks
  must give equal events and equal output.

The structured target (the grammar of :mod:`fuzz.grammar` with client API calls, timeouts and
reconnects in between) lives in :mod:`fuzz.structured`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wsproto.frame_protocol import FrameProtocol

from relay_proto import ClientClosed, Event, RemoteProtocolError, TransportLost, _jsonrpc

from .oracles import InvariantError, check_event
from .world import ClientWorld, ServerWorld, new_client_connection
from .wsframes import OP_PING, close_frame, frame, message_frames

__all__ = [
    "HAS_FAST_DECODER",
    "TARGETS",
    "Run",
    "build_stream",
    "client_frames",
    "client_handshake",
    "client_raw",
    "decoders",
    "differential",
    "fast_decoder",
    "server_frames",
    "server_handshake",
    "server_raw",
    "split_messages",
]

_jsonrpc_stdlib = _jsonrpc._loads  # the standard decoder, whatever backend the process uses


def fast_decoder() -> Callable[[str], Any] | None:
    """relay_proto's orjson-backed decoder, or ``None`` when orjson is not installed (the
    default install: orjson comes with the optional ``speedups`` extra)."""
    try:
        return _jsonrpc._orjson_decoder("orjson")
    except ImportError:
        return None


#: Whether the ``decoders`` target has a second decoder to compare (orjson installed).
HAS_FAST_DECODER = fast_decoder() is not None

# Bounds that keep one execution short; the interesting inputs are small.
MAX_MESSAGES = 32


def split_messages(data: bytes) -> tuple[list[str], list[list[int]]]:
    """Lines of ``data`` as message texts (invalid UTF-8 replaced, so each is valid text), and
    for each one the cut offsets at which it is fragmented.

    A line starting with ``\\x01``..``\\x03`` is fragmented: the next byte(s) choose the cut
    offsets. This lets the fuzzer reach reassembly without breaking the framing.
    """
    texts: list[str] = []
    cuts: list[list[int]] = []
    for line in data.split(b"\n")[:MAX_MESSAGES]:
        pieces: list[int] = []
        body = line
        if line[:1] in (b"\x01", b"\x02", b"\x03") and len(line) > 1:
            count = line[0]
            pieces = list(line[1 : 1 + count])
            body = line[1 + count :]
        texts.append(body.decode("utf-8", "replace"))
        cuts.append(pieces)
    return texts, cuts


# --------------------------------------------------------------------------- client role


def client_raw(data: bytes) -> None:
    """Arbitrary bytes from the server after the session is set up, then EOF."""
    world = ClientWorld()
    if world.feed(data) is None:
        world.feed(None)
    _check_lost(world)


def client_handshake(data: bytes) -> None:
    """Arbitrary bytes where the server's HTTP 101 response is expected, then EOF."""
    conn = new_client_connection()
    conn.start(1.0)
    conn.data_to_send()
    for chunk in (data, None):
        try:
            conn.receive_data(chunk, 1.0)
        except RemoteProtocolError:
            break
    events: list[Event] = []
    while (event := conn.next_event()) is not None:
        check_event(event)
        events.append(event)
    if sum(isinstance(e, TransportLost) for e in events) != 1:
        raise InvariantError(f"expected one TransportLost after EOF in the handshake: {events!r}")


def client_frames(data: bytes) -> None:
    """Lines of ``data`` as well-framed server messages; then the session must still work."""
    texts, cuts = split_messages(data)
    world = ClientWorld()
    world.feed_messages(texts, cuts)
    world.probe()


def _check_lost(world: ClientWorld) -> None:
    lost = [e for e in world.events if isinstance(e, TransportLost)]
    if len(lost) != 1:
        raise InvariantError(f"expected exactly one TransportLost, got {lost!r}")
    if lost[0].reconnect_at is None:
        raise InvariantError(f"a lost transport must be retried: {lost[0]!r}")


# --------------------------------------------------------------------------- server role


def server_raw(data: bytes) -> None:
    """Arbitrary bytes from the client after the handshake, then EOF."""
    world = ServerWorld()
    if world.feed(data) is None:
        world.feed(None)
    _check_closed(world.events)


def server_handshake(data: bytes) -> None:
    """Arbitrary bytes where the client's HTTP upgrade request is expected, then EOF."""
    world = ServerWorld(handshake=False)
    if world.feed(data) is None:
        world.feed(None)
    _check_closed(world.events)


def server_frames(data: bytes) -> None:
    """Lines of ``data`` as well-framed client messages; then the connection must still work."""
    texts, cuts = split_messages(data)
    world = ServerWorld()
    world.feed_messages(texts, cuts)
    world.probe()


def _check_closed(events: list[Event]) -> None:
    closed = [e for e in events if isinstance(e, ClientClosed)]
    if len(closed) != 1:
        raise InvariantError(f"expected exactly one ClientClosed, got {events!r}")


# --------------------------------------------------------------------------- differential


@dataclass
class Run:
    """What one way of feeding a stream produced."""

    events: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    error: str | None = None


def build_stream(data: bytes, *, masked: bool) -> bytes:
    """A stream of frames from the fuzzer's bytes: text messages (some fragmented, with pings
    between the fragments), a binary message for lines starting with ``\\x04``, a ping for
    lines starting with ``\\x05``, and a close frame when the input ends with ``\\x06``."""
    texts, cuts = split_messages(data)
    out = bytearray()
    for text, pieces in zip(texts, cuts, strict=True):
        if text.startswith("\x04"):
            out += message_frames(text[1:].encode(), masked=masked, binary=True, cuts=pieces)
        elif text.startswith("\x05"):
            out += frame(OP_PING, text[1:].encode()[:125], masked=masked)
        else:
            out += message_frames(text.encode(), masked=masked, cuts=pieces, ping_between=True)
    if data.endswith(b"\x06"):
        out += close_frame(1000, "bye", masked=masked)
    return bytes(out)


def _chunkings(stream: bytes, plan: bytes) -> dict[str, list[bytes]]:
    sizes = [1 + b % 64 for b in plan] or [7]
    chunks, pos, index = [], 0, 0
    while pos < len(stream):
        size = sizes[index % len(sizes)]
        chunks.append(stream[pos : pos + size])
        pos += size
        index += 1
    return {
        "whole": [stream],
        "bytewise": [stream[i : i + 1] for i in range(len(stream))],
        "chunks": chunks,
    }


def _client_frames(data: bytes) -> list[str]:
    """The frames in the client's output, unmasked: wsproto masks client frames with random
    keys, so the bytes differ from run to run while the frames must not."""
    parser = FrameProtocol(client=False, extensions=[])
    parser.receive_bytes(data)
    frames = []
    for item in parser.received_frames():
        payload = item.payload if isinstance(item.payload, (bytes, str)) else repr(item.payload)
        frames.append(f"{item.opcode.name} fin={item.frame_finished} {payload!r}")
    return frames


def _client_run(chunks: list[bytes]) -> Run:
    world = ClientWorld()
    run = Run()
    for chunk in chunks:
        error = world.feed(chunk)
        if error is not None:
            run.error = str(error)
            break
    run.events = [repr(e) for e in world.events]
    run.output = _client_frames(bytes(world.sent_bytes))
    return run


def _server_run(chunks: list[bytes]) -> Run:
    world = ServerWorld()
    run = Run()
    for chunk in chunks:
        error = world.feed(chunk)
        if error is not None:
            run.error = str(error)
            break
    run.events = [repr(e) for e in world.events]
    run.output = [bytes(world.sent_bytes).hex()]  # unmasked: the bytes themselves must agree
    return run


def differential(data: bytes) -> None:
    """Whole input, byte at a time and fuzzer-chosen chunks give the same events and output.

    The first byte picks the role (even: client, odd: server) and the length of the chunk plan
    that follows it; the rest is the stream description (see :func:`build_stream`).
    """
    if not data:
        return
    server = bool(data[0] & 1)
    plan_len = (data[0] >> 1) % 8
    plan, rest = data[1 : 1 + plan_len], data[1 + plan_len :]
    stream = build_stream(rest, masked=server)
    run: Callable[[list[bytes]], Run] = _server_run if server else _client_run
    results = {name: run(chunks) for name, chunks in _chunkings(stream, plan).items()}
    whole = results.pop("whole")
    for name, other in results.items():
        for attr in ("events", "output", "error"):
            if getattr(other, attr) != getattr(whole, attr):
                raise InvariantError(
                    f"{name} feeding differs in {attr}:\n"
                    f"whole: {json.dumps(getattr(whole, attr))[:2000]}\n"
                    f"{name}: {json.dumps(getattr(other, attr))[:2000]}"
                )


# --------------------------------------------------------------------------- decoders


def _verdict(loads: Callable[[str], Any], text: str) -> tuple[str, str]:
    try:
        value = loads(text)
    except RecursionError:
        return ("deep", "")
    except ValueError:
        return ("invalid", "")
    try:
        return ("value", repr(value))  # repr tells 1 from 1.0 and True, and -0.0 from 0.0
    except RecursionError:
        return ("deep", "")


def decoders(data: bytes) -> None:
    """The optional orjson-backed frame decoder agrees with the standard one on every text.

    relay_proto parses with orjson when it is installed and falls back to the standard decoder
    for what orjson refuses; a text they read differently would make the core's behaviour
    depend on an optional dependency. The one tolerated difference: nesting the standard
    decoder gives up on (its limit is the interpreter's recursion limit, orjson's is 1024).

    Without orjson (the default install) there is only one decoder and nothing to compare: the
    target accepts every input (``run_atheris.py`` leaves it out of ``--target=all``).
    """
    fast = fast_decoder()
    if fast is None:
        return
    text = data.decode("utf-8", "replace")
    standard = _verdict(_jsonrpc_stdlib, text)
    if standard[0] == "deep":
        return
    other = _verdict(fast, text)
    if other != standard:
        raise InvariantError(
            f"decoders disagree on {text[:300]!r}: orjson {other[1][:300] or other[0]}, "
            f"standard {standard[1][:300] or standard[0]}"
        )


TARGETS: dict[str, Callable[[bytes], None]] = {
    "client_raw": client_raw,
    "client_handshake": client_handshake,
    "client_frames": client_frames,
    "server_raw": server_raw,
    "server_handshake": server_handshake,
    "server_frames": server_frames,
    "differential": differential,
    "decoders": decoders,
}
