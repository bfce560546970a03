"""relay_sync: no quiet failures, and the same exception types as relay_anyio."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from typing import Any

import pytest

import relay_anyio
from relay_sync import (
    ConnectRefusedError,
    ConnectTLSError,
    RelayClient,
    RelayConnectError,
)

from .conftest import LogWatch
from .helpers import PROJECT, TOKEN, WAIT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed: nothing listens there


def test_connect_refused_names_the_host_with_the_standard_type() -> None:
    port = _free_port()
    client = RelayClient(project="p", token="t", host=f"ws://127.0.0.1:{port}")
    with pytest.raises(ConnectRefusedError) as info:
        client.connect()
    assert isinstance(info.value, ConnectionRefusedError)
    assert isinstance(info.value, RelayConnectError) and info.value.cause == "refused"
    assert f"ws://127.0.0.1:{port}" in str(info.value)
    # The same names as relay_anyio's, and the same standard bases.
    assert type(info.value).__name__ in relay_anyio.__all__
    assert [k.__name__ for k in type(info.value).__mro__] == [
        k.__name__ for k in relay_anyio.ConnectRefusedError.__mro__
    ]


def test_a_plain_server_behind_wss_is_a_tls_error(emulator: Any) -> None:
    url: str = emulator.url
    client = RelayClient(project=PROJECT, token=TOKEN, host=url.replace("ws://", "wss://"))
    with pytest.raises(ConnectTLSError) as info:
        client.connect()
    assert isinstance(info.value, ssl.SSLError)
    assert url.replace("ws://", "wss://") in str(info.value)


def test_an_unreachable_host_is_reported_under_serve(relay_log: LogWatch) -> None:
    port = _free_port()
    client = RelayClient(project="p", token="t", host=f"ws://127.0.0.1:{port}")
    thread = threading.Thread(target=client.serve)
    thread.start()
    try:
        relay_log.wait_for("cannot connect")
    finally:
        client.stop()
        thread.join(WAIT)
    assert not thread.is_alive()
    [record] = [r for r in relay_log.records if r.getMessage().startswith("cannot connect")]
    assert record.levelno == logging.WARNING
    assert f"ws://127.0.0.1:{port}" in record.getMessage()
    assert "connection refused" in record.getMessage()


def test_malformed_frames_are_warned_about(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()
    client.connect()
    assert emulator.faults.send_malformed("bad_json") == 1
    assert emulator.faults.send_malformed("unknown_method") == 1
    # Frames are handled in order: once this answer is back, both were seen.
    assert client.execute("signalwire.receive", {"contexts": ["x"]})["code"] == "200"
    warned = [r for r in relay_log.records if "malformed frame from the server" in r.getMessage()]
    assert [r.levelno for r in warned] == [logging.WARNING, logging.WARNING]
    assert "JSON" in warned[0].getMessage()
    assert TOKEN not in " ".join(r.getMessage() for r in warned)
