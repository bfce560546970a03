"""Fixtures for the emulator's tests (the plugin's fixture is imported so it works uninstalled)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from relay_anyio.testing import Intent, Persona, RelayEmulator, RemoteParty
from relay_anyio.testing.pytest_plugin import (  # noqa: F401 - registers the fixtures
    relay_emulator,
    relay_emulator_sync,
)

from .rawclient import RawClient, connected


@pytest.fixture
async def emu(anyio_backend: str, request: pytest.FixtureRequest) -> AsyncIterator[RelayEmulator]:
    """An emulator with fixed credentials and a fast clock (``@pytest.mark.time_scale(s)``
    slows it for a test whose script races the test's own real-time steps)."""
    marker = request.node.get_closest_marker("time_scale")
    scale = float(marker.args[0]) if marker is not None else 0.001
    async with RelayEmulator(project="p", token="t", time_scale=scale) as emulator:
        yield emulator
        emulator.assert_no_violations()


@pytest.fixture
async def client(emu: RelayEmulator) -> AsyncIterator[RawClient]:
    """A raw client authenticated and subscribed to "office"."""
    async with connected(emu.port, contexts=["office"]) as raw:
        yield raw


async def answered_call(
    emu: RelayEmulator,
    client: RawClient,
    script: list[Intent | str] | None = None,
    persona: Persona | None = None,
) -> tuple[RemoteParty, dict[str, Any]]:
    """Place a call to "office" and answer it with ``client``; return (caller, call params)."""
    caller = await emu.call(
        context="office",
        from_number="+15551230001",
        to_number="+15551230002",
        script=script,
        persona=persona,
    )
    call = await client.event("calling.call.receive")
    await client.call("calling.answer", call)
    await client.event("calling.call.state", lambda p: p["call_state"] == "answered")
    return caller, call
