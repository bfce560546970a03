"""The asyncio transport (``relay_anyio._aio_stream``) on real loopback sockets.

The protocol path exists on asyncio only (trio reads through the anyio stream), so these tests
run on asyncio; every client test in this directory covers the protocol path on asyncio and
the stream path on trio.
"""

from __future__ import annotations

import asyncio

import pytest

from relay_anyio._aio_stream import AioStream, open_protocol
from relay_proto import parse_host

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Peer:
    """A loopback server that accepts one connection and reads only when told to."""

    def __init__(self) -> None:
        self.accepted = asyncio.Event()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader, self.writer = reader, writer
        self.accepted.set()


async def _open(peer: _Peer, chunks: list[bytes | None], arrived: asyncio.Event) -> AioStream:
    server = await asyncio.start_server(peer.on_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    def on_data(data: bytes | None) -> None:
        chunks.append(data)
        arrived.set()

    stream = await open_protocol(parse_host(f"ws://127.0.0.1:{port}"), None, 5.0, on_data)
    await peer.accepted.wait()
    server.close()
    return stream


async def test_bytes_go_both_ways_and_the_end_is_reported_once() -> None:
    peer, arrived = _Peer(), asyncio.Event()
    chunks: list[bytes | None] = []
    stream = await _open(peer, chunks, arrived)
    assert peer.reader is not None and peer.writer is not None
    assert stream.write(b"ping")
    assert await peer.reader.readexactly(4) == b"ping"
    peer.writer.write(b"pong")
    await arrived.wait()
    assert b"".join(c for c in chunks if c) == b"pong"
    peer.writer.close()
    await stream.wait_closed()
    assert chunks.count(None) == 1 and chunks[-1] is None
    assert not stream.write(b"late")  # closed: refused, not silently dropped


async def test_drain_waits_while_the_peer_does_not_read() -> None:
    peer, arrived = _Peer(), asyncio.Event()
    chunks: list[bytes | None] = []
    stream = await _open(peer, chunks, arrived)
    assert peer.reader is not None
    total = 0
    while not stream._paused:  # fill the socket and the transport's buffer
        assert stream.write(b"x" * 262144)
        total += 262144
    drain = asyncio.ensure_future(stream.drain())
    await asyncio.sleep(0)
    assert not drain.done()
    got = 0
    while got < total:
        got += len(await peer.reader.read(1 << 20))
    await asyncio.wait_for(drain, 10.0)  # the buffer fell below its low-water mark
    await stream.aclose(2.0)
    assert chunks == []  # detached before the close: nothing reported after it


async def test_an_error_in_the_consumer_ends_the_connection_and_is_raised() -> None:
    peer = _Peer()
    server = await asyncio.start_server(peer.on_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    def broken(data: bytes | None) -> None:
        raise RuntimeError("bug in the consumer")

    stream = await open_protocol(parse_host(f"ws://127.0.0.1:{port}"), None, 5.0, broken)
    await peer.accepted.wait()
    server.close()
    assert peer.writer is not None and peer.reader is not None
    peer.writer.write(b"data")
    with pytest.raises(RuntimeError, match="bug in the consumer"):
        await stream.wait_closed()
    try:  # the connection was aborted: end of stream or a reset
        rest = await peer.reader.read()
    except ConnectionResetError:
        rest = b""
    assert rest == b""
