"""No quiet failures: malformed server frames, an unreachable host and connection errors are
visible, name the host, and have the same types in relay_anyio and relay_sync."""

from __future__ import annotations

import logging
import socket
import ssl

import anyio
import anyio.abc
import pytest

from relay_anyio import (
    ConnectCertificateError,
    ConnectDNSError,
    ConnectRefusedError,
    ConnectTimeoutError,
    ConnectTLSError,
    RelayClient,
    RelayConnectError,
)
from relay_anyio._config import REPORT_EVERY, connect_error, report_open_failure
from relay_proto import parse_host

from .scripted_server import ScriptedServer

pytestmark = pytest.mark.anyio

WAIT = 15.0


async def _free_port() -> int:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port: int = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()  # nothing listens on that port any more
    return port


def _records(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(text)]


async def test_malformed_frames_are_warned_about_rate_limited_truncated_and_scrubbed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with ScriptedServer(project="proj-1", token="secret-token-9") as server:
        client = RelayClient(project="proj-1", token="secret-token-9", host=server.url)
        with caplog.at_level(logging.WARNING, logger="relay_anyio"), anyio.fail_after(WAIT):
            async with client:
                peer = server.latest()
                peer.conn.send_raw_text('{"token": "secret-token-9", "x": ' + "[1, " * 500)
                for _ in range(7):
                    peer.conn.send_raw_text("not json at all")
                await peer.flush()
                # Processed in order: once this answer is back, every frame before it was seen.
                assert await client.execute("signalwire.receive", {"contexts": ["x"]})
    warned = _records(caplog, "malformed frame from the server dropped")
    assert all(r.levelno == logging.WARNING for r in warned)
    assert len(warned) == 5  # 8 frames, at most 5 lines a minute
    first = warned[0].getMessage()
    assert "secret-token-9" not in first and '"token": "***"' in first
    assert "..." in first and len(first) < 400  # truncated
    assert all("not json" in r.getMessage() for r in warned[1:])


async def test_an_unreachable_host_is_reported_under_serve(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = await _free_port()
    client = RelayClient(project="p", token="t", host=f"ws://127.0.0.1:{port}")
    with caplog.at_level(logging.WARNING, logger="relay_anyio"), anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.serve)
            while not _records(caplog, "cannot connect"):
                await anyio.lowlevel.checkpoint()
            await client.stop()
    [record] = _records(caplog, "cannot connect")
    text = record.getMessage()
    assert record.levelno == logging.WARNING
    assert f"ws://127.0.0.1:{port}" in text and "connection refused" in text
    assert "attempt 1" in text


async def test_connect_errors_name_the_host_and_have_the_standard_types() -> None:
    port = await _free_port()
    client = RelayClient(project="p", token="t", host=f"ws://127.0.0.1:{port}")
    with pytest.raises(ConnectRefusedError) as info:
        await client.connect()
    assert isinstance(info.value, ConnectionRefusedError) and isinstance(info.value, OSError)
    assert info.value.host == f"127.0.0.1:{port}" and info.value.cause == "refused"
    assert f"ws://127.0.0.1:{port}" in str(info.value)
    async with ScriptedServer() as server:  # plain WebSocket behind wss://
        tls_client = RelayClient(project="p", token="t", host=server.url.replace("ws://", "wss://"))
        with pytest.raises(ConnectTLSError) as tls:
            await tls_client.connect()
        assert isinstance(tls.value, ssl.SSLError) and tls.value.cause in ("tls", "certificate")


def test_causes_are_classified() -> None:
    endpoint = parse_host("wss://relay.example.test")
    cases: list[tuple[BaseException, type[RelayConnectError], str]] = [
        (socket.gaierror(-2, "Name or service not known"), ConnectDNSError, "dns"),
        (ConnectionRefusedError(111, "refused"), ConnectRefusedError, "refused"),
        (ssl.SSLCertVerificationError("bad cert"), ConnectCertificateError, "certificate"),
        (ssl.SSLError("handshake"), ConnectTLSError, "tls"),
        (TimeoutError(), ConnectTimeoutError, "timeout"),
        (OSError(101, "Network is unreachable"), RelayConnectError, "network"),
    ]
    for error, kind, cause in cases:
        wrapped: BaseException = OSError("All connection attempts failed")
        wrapped.__cause__ = error  # as anyio reports a failed multi-address connect
        for raised in (error, wrapped):
            failure = connect_error(raised, endpoint)
            assert type(failure) is kind and failure.cause == cause
            assert "relay.example.test" in str(failure)
            assert failure.__cause__ is raised
    dns = connect_error(socket.gaierror(-2, "x"), endpoint)
    assert isinstance(dns, socket.gaierror) and "could not be resolved" in str(dns)


def test_the_first_and_every_nth_failure_are_warnings(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("relay_anyio")
    failure = connect_error(ConnectionRefusedError(111, "refused"), parse_host("h.test"))
    with caplog.at_level(logging.DEBUG, logger="relay_anyio"):
        for attempt in range(1, 2 * REPORT_EVERY + 1):
            report_open_failure(logger, failure, attempt)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 3
    for record, attempt in zip(warned, (1, REPORT_EVERY, 2 * REPORT_EVERY), strict=True):
        assert f"attempt {attempt};" in record.getMessage()
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG]) == 2 * REPORT_EVERY - 3


def test_an_unconfigured_application_still_sees_the_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    failure = connect_error(socket.gaierror(-2, "unknown"), parse_host("mistyped.example"))
    try:
        report_open_failure(logging.getLogger("relay_anyio"), failure, 1)
    finally:
        root.handlers[:] = saved
    err = capsys.readouterr().err
    assert "mistyped.example" in err and "could not be resolved" in err
