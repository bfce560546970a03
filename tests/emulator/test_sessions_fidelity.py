"""Sessions, credentials and pings as the service does them (spec 1.3, 1.4, 1.7), on the wire."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from relay_anyio.testing import RelayEmulator

from .rawclient import RawClient

pytestmark = pytest.mark.anyio


async def _login(port: int, **kwargs: Any) -> dict[str, Any]:
    raw = await RawClient.open(port)
    try:
        reply = await raw.login(**kwargs)
    finally:
        await raw.close()
    result: dict[str, Any] = reply["result"]
    return result


async def test_the_connect_result_has_the_services_shape(emu: RelayEmulator) -> None:
    result = await _login(emu.port, contexts=["office"])
    prefix, signature, session_id = result["protocol"].split("_")
    assert prefix == "signalwire"
    # What the JS SDK checks before it resumes: protocol.split("_")[1] is the signature.
    assert result["authorization"] == {
        "project": "p",
        "expires_at": None,
        "scopes": ["calling", "messaging", "tasking"],
        "signature": signature,
    }
    assert result["sessionid"] == session_id and len(session_id) == 36
    assert result["session_restored"] is False
    assert result["identity"] and result["nodeid"] and result["master_nodeid"]
    assert result["protocols"] == [result["protocol"]]
    assert result["subscriptions"] == ["office"]
    assert result["host"] == emu.host
    for key in ("accesses", "authorizations", "ice_servers", "protocols_uncertified"):
        assert result[key] == [], key
    # The signature belongs to the project: the same for another session of it.
    again = await _login(emu.port)
    assert again["protocol"].split("_")[1] == signature
    assert again["sessionid"] != session_id


async def test_session_ids_are_unique_and_differ_between_emulators(emu: RelayEmulator) -> None:
    ids = {(await _login(emu.port))["sessionid"] for _ in range(20)}
    assert len(ids) == 20
    async with RelayEmulator(project="p", token="t") as other:
        first_elsewhere = await _login(other.port)
        assert first_elsewhere["sessionid"] not in ids
        # Nor is a restarted emulator's first session anybody's old one.
        old = await _login(emu.port)
        stale = await _login(other.port, protocol=old["protocol"])
        assert stale["session_restored"] is False
        assert stale["protocol"] != old["protocol"]


async def test_resume_needs_the_same_project(anyio_backend: str) -> None:
    async with RelayEmulator() as emu:  # any credentials: two projects on one emulator
        mine = await _login(emu.port, project="proj-a", token="t")
        theirs = await _login(emu.port, project="proj-b", token="t", protocol=mine["protocol"])
        assert theirs["session_restored"] is False
        assert theirs["protocol"] != mine["protocol"]
        assert theirs["authorization"]["project"] == "proj-b"
        assert theirs["protocol"].split("_")[1] != mine["protocol"].split("_")[1]
        # The owner's session was not touched: it still resumes it.
        back = await _login(emu.port, project="proj-a", token="t", protocol=mine["protocol"])
        assert back["session_restored"] is True
        assert back["protocol"] == mine["protocol"]
        assert back["sessionid"] == mine["sessionid"]


async def test_a_rejected_connect_is_32002(emu: RelayEmulator) -> None:
    raw = await RawClient.open(emu.port)
    reply = await raw.login(token="wrong")
    assert reply["error"]["code"] == -32002
    assert reply["error"]["message"].startswith("Authentication service failed with status")
    await raw.close()


async def test_the_server_pings_every_five_seconds_by_default(anyio_backend: str) -> None:
    async with RelayEmulator() as emu:
        raw = await RawClient.open(emu.port)
        await raw.login()
        start = anyio.current_time()
        ping = await raw.take(lambda f: f.get("method") == "signalwire.ping", timeout=10)
        # Well under the 15 s after which clients of the service give up on a silent link.
        assert anyio.current_time() - start < 10
        assert ping["params"] == {}
        await raw.close()
