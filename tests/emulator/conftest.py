"""Fixtures for the emulator's tests (the plugin's fixture is imported so it works uninstalled)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from relay_anyio.testing import RelayEmulator
from relay_anyio.testing.pytest_plugin import relay_emulator  # noqa: F401 - registers the fixture

from .rawclient import RawClient, connected


@pytest.fixture
async def emu(anyio_backend: str) -> AsyncIterator[RelayEmulator]:
    """An emulator with fixed credentials and a fast clock."""
    async with RelayEmulator(project="p", token="t", time_scale=0.001) as emulator:
        yield emulator
        emulator.assert_no_violations()


@pytest.fixture
async def client(emu: RelayEmulator) -> AsyncIterator[RawClient]:
    """A raw client authenticated and subscribed to "office"."""
    async with connected(emu.port, contexts=["office"]) as raw:
        yield raw
