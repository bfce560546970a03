"""Logging: silent by default, and a DEBUG frame trace with every credential masked."""

from __future__ import annotations

import logging

import pytest

from relay_anyio import RelayClient
from relay_proto import SessionReady, TransportLost

from .scripted_server import ScriptedServer
from .support import watch

pytestmark = pytest.mark.anyio

PROJECT, TOKEN, AUTH_STATE = "proj-S3CRET-1", "tok-S3CRET-2", "QUJD-S3CRET-3:REVG"


def test_library_logger_is_silent_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("relay_anyio")
    # The application decides: no level set, records propagate to its handlers.
    assert logger.level == logging.NOTSET
    assert logger.propagate
    assert not logging.getLogger("relay_anyio.frames").isEnabledFor(logging.DEBUG)
    # An application that configured no logging at all (no root handler) sees nothing: without
    # the library's NullHandler, Python's last-resort handler would print this to stderr.
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    try:
        logger.warning("RELAY connection lost (test); reconnecting in 1.0 s")
        logging.getLogger("relay_anyio.frames").error("<< a frame")
    finally:
        root.handlers[:] = saved
    assert capsys.readouterr().err == ""


async def test_frame_trace_masks_credentials(caplog: pytest.LogCaptureFixture) -> None:
    async with ScriptedServer(project=PROJECT, token=TOKEN) as server:
        server.identity = f"relay-identity-{PROJECT}"  # a server may echo a secret elsewhere
        client = RelayClient(project=PROJECT, token=TOKEN, host=server.url)
        lost, ready = watch(client, TransportLost), watch(client, SessionReady)
        with caplog.at_level(logging.DEBUG, logger="relay_anyio.frames"):
            async with client:
                await server.push(
                    "signalwire.authorization.state", {"authorization_state": AUTH_STATE}
                )
                await client.execute("signalwire.ping", {})  # the event was processed before
                outage, back = lost[0], ready[0]
                await server.drop()
                await outage.wait()
                await back.wait()
        _, reconnect = await server.wait_request("signalwire.connect", index=1)
        assert reconnect.params["authorization_state"] == AUTH_STATE  # it was really sent
    trace = [r.getMessage() for r in caplog.records if r.name == "relay_anyio.frames"]
    text = "\n".join(trace)
    assert sum("signalwire.connect" in line for line in trace) == 2
    assert "signalwire.authorization.state" in text
    assert "relay-identity-***" in text
    for secret in (PROJECT, TOKEN, AUTH_STATE):
        assert secret not in text
    assert '"token": "***"' in text or '"token":"***"' in text


async def test_no_frame_trace_unless_debug(caplog: pytest.LogCaptureFixture) -> None:
    async with ScriptedServer(project=PROJECT, token=TOKEN) as server:
        with caplog.at_level(logging.INFO, logger="relay_anyio"):
            async with RelayClient(project=PROJECT, token=TOKEN, host=server.url) as client:
                assert client._conn is not None
                await client.execute("signalwire.ping", {})
    assert not [r for r in caplog.records if r.name == "relay_anyio.frames"]
    assert any("session ready" in r.getMessage() for r in caplog.records)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_frame_trace_masks_values_not_letters(caplog: pytest.LogCaptureFixture) -> None:
    # A short project and token ("me") must not turn every "me" of every frame into ***.
    async with ScriptedServer(project="me", token="me") as server:
        with caplog.at_level(logging.DEBUG, logger="relay_anyio.frames"):
            async with RelayClient(project="me", token="me", host=server.url) as client:
                await client.execute("x.measure", {"comment": "me", "name": "some media"})
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "relay_anyio.frames")
    assert '"method":"signalwire.connect"' in text
    assert '"method":"x.measure"' in text and '"name":"some media"' in text
    assert '"authentication":{"project":"***","token":"***"}' in text
    assert '"comment":"***"' in text  # the value itself, where it stands alone
    assert "***thod" not in text and "***dia" not in text
