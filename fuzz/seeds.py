"""Seed inputs for every fuzz target, built from the corpus of realistic frames.

The committed corpus is text: ``fuzz/corpus/to_client/*.jsonl`` holds frames a RELAY server
sends (one message per line: every event type of the wire spec, replies of every shape, pings,
disconnects, and malformed frames), ``fuzz/corpus/to_server/*.jsonl`` frames a client sends. The
byte-level targets get the same frames wrapped the way each target reads its input: WebSocket
frames for the raw targets, an HTTP upgrade request/response in front for the handshake targets,
a role byte for the differential target.
"""

from __future__ import annotations

from pathlib import Path

from relay_proto._transport import Transport

from .targets import build_stream
from .world import HOST

__all__ = ["CORPUS", "corpus_files", "seed_inputs"]

CORPUS = Path(__file__).resolve().parent / "corpus"


def corpus_files(direction: str) -> list[Path]:
    """The seed files of ``"to_client"`` or ``"to_server"``, sorted."""
    return sorted((CORPUS / direction).glob("*.jsonl"))


def _lines(direction: str) -> list[bytes]:
    return [path.read_bytes().rstrip(b"\n") for path in corpus_files(direction)]


def _upgrade_request() -> bytes:
    client = Transport(client=True)
    client.start(HOST)
    return client.data_to_send()


# An upgrade response whose accept key cannot match (the client's key is random): it exercises
# the response parser up to the key check. The others are refusals a proxy could send.
_RESPONSES = [
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden",
    b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nproxy\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\n\r\n",
]


def seed_inputs(target: str) -> list[bytes]:
    """The seed inputs of one target (see :data:`fuzz.targets.TARGETS`)."""
    to_client, to_server = _lines("to_client"), _lines("to_server")
    if target == "client_frames":
        return to_client
    if target == "server_frames":
        return to_server
    if target == "client_raw":
        return [build_stream(lines, masked=False) for lines in to_client]
    if target == "server_raw":
        return [build_stream(lines, masked=True) for lines in to_server]
    if target == "server_handshake":
        request = _upgrade_request()
        return [request] + [request + build_stream(lines, masked=True) for lines in to_server]
    if target == "client_handshake":
        return list(_RESPONSES)
    if target == "differential":
        # First byte: role (even client, odd server) and chunk-plan length (see differential()).
        plans = [b"\x00", b"\x04\x03\x11", b"\x0c\x01\x07\x3f\x02\x05\x09"]
        seeds = [plans[i % 3] + lines for i, lines in enumerate(to_client)]
        seeds += [
            bytes([plans[i % 3][0] | 1]) + plans[i % 3][1:] + lines
            for i, lines in enumerate(to_server)
        ]
        return seeds
    if target == "decoders":
        return [line for lines in to_client + to_server for line in lines.split(b"\n")]
    if target == "structured":
        return []  # hypothesis's own choice sequences; the fuzzer starts from nothing
    raise KeyError(f"unknown target {target!r}")
