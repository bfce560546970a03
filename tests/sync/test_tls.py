"""``wss``: the blocking client's TLS (memory BIOs under a plain socket) against a real TLS
server, with the CA named by ``SIGNALWIRE_RELAY_CA_FILE`` (decision D22).

A TLS-terminating proxy (anyio, on a loop thread of its own) sits in front of the emulator, so
the whole RELAY session runs over TLS. The certificate is made for the test with the
``openssl`` command line tool (the test is skipped without it).
"""

from __future__ import annotations

import functools
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import anyio.from_thread
import pytest
from anyio.streams.tls import TLSListener

from relay_proto import parse_host
from relay_sync import Call, ConnectTLSError, RelayClient
from relay_sync._transport import Stream, open_stream

from .helpers import CALLER, LINE, PROJECT, TOKEN, WAIT, Outcome

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA): (cert, key)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=relay-sansio test", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


async def _pipe(source: anyio.abc.ByteStream, sink: anyio.abc.ByteStream) -> None:
    try:
        async for chunk in source:
            await sink.send(chunk)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, ssl.SSLError, OSError):
        pass
    finally:
        await sink.aclose()


async def _proxy(
    context: ssl.SSLContext,
    target_port: int,
    *,
    task_status: anyio.abc.TaskStatus[int] = anyio.TASK_STATUS_IGNORED,
) -> None:
    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1")
    listener = TLSListener(tcp, context, standard_compatible=False)

    async def handle(client: anyio.abc.ByteStream) -> None:
        upstream = await anyio.connect_tcp("127.0.0.1", target_port)
        async with client, upstream, anyio.create_task_group() as tg:
            tg.start_soon(_pipe, client, upstream)
            tg.start_soon(_pipe, upstream, client)

    async with listener:
        task_status.started(tcp.extra(anyio.abc.SocketAttribute.local_port))
        await listener.serve(handle)


@pytest.fixture
def tls_front(emulator: Any, certificate: tuple[Path, Path]) -> Iterator[str]:
    """``wss://127.0.0.1:<port>``: TLS in front of the emulator."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        future, port = portal.start_task(functools.partial(_proxy, context, emulator.port))
        yield f"wss://127.0.0.1:{port}"
        future.cancel()


def test_a_session_over_tls(
    tls_front: str,
    emulator: Any,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIGNALWIRE_RELAY_CA_FILE", str(certificate[0]))
    client = RelayClient(project=PROJECT, token=TOKEN, host=tls_front, contexts=["office"])
    outcome = Outcome()

    @client.on_call
    @outcome.track
    def handle(call: Call) -> str:
        call.answer()
        event = call.play_tts("Encrypted hello").wait(timeout=WAIT)
        call.hangup()
        return str(event.params["state"])

    with client:
        caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
        assert outcome.wait() == ["finished"]
        assert caller.wait_ended() == "hangup"
        # Big frames cross TLS records and reads in both directions.
        body = "x" * 200_000
        message = client.send_message(to_number=CALLER, from_number=LINE, body=body)
        assert message.wait(timeout=WAIT).params["body"] == body
    assert caller.heard == ["Encrypted hello"]


def test_an_unknown_certificate_is_refused(tls_front: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the CA file, the system trust store does not know the test certificate.
    monkeypatch.delenv("SIGNALWIRE_RELAY_CA_FILE", raising=False)
    client = RelayClient(project=PROJECT, token=TOKEN, host=tls_front)
    with pytest.raises(ssl.SSLCertVerificationError):
        client.connect()


def test_stream_reads_and_writes_at_the_same_time(
    tls_front: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Stream itself: one thread writes a WebSocket upgrade while another reads the answer,
    # and interrupt() wakes a reader blocked on the socket.
    monkeypatch.setenv("SIGNALWIRE_RELAY_CA_FILE", str(certificate[0]))
    endpoint = parse_host(tls_front)
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(certificate[0]))
    stream: Stream = open_stream(endpoint, context, timeout=WAIT, io_timeout=WAIT)
    received: list[bytes] = []
    got_answer = threading.Event()

    def read() -> None:
        while True:
            data = stream.recv()
            if data is None:
                return
            received.append(data)
            if b"\r\n\r\n" in b"".join(received):
                got_answer.set()

    reader = threading.Thread(target=read)
    reader.start()
    stream.send(
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert got_answer.wait(WAIT)
    assert b"".join(received).startswith(b"HTTP/1.1 101")
    stream.interrupt()
    reader.join(WAIT)
    assert not reader.is_alive()
    stream.close()
    stream.close()  # idempotent


def test_a_server_that_hangs_up_during_the_handshake() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)  # the ClientHello
        conn.close()

    thread = threading.Thread(target=hang_up)
    thread.start()
    client = RelayClient(project=PROJECT, token=TOKEN, host=f"wss://127.0.0.1:{port}")
    try:
        with pytest.raises(ConnectTLSError, match="TLS handshake"):
            client.connect()
    finally:
        thread.join(WAIT)
        listener.close()


def test_wss_to_a_plain_websocket_server_fails_cleanly(emulator: Any) -> None:
    client = RelayClient(project=PROJECT, token=TOKEN, host=f"wss://127.0.0.1:{emulator.port}")
    with pytest.raises(OSError):
        client.connect()
    with RelayClient(project=PROJECT, token=TOKEN, host=emulator.url) as plain:
        assert plain.relay_protocol  # nothing was left behind (slot, threads)
