"""Fixtures of the relay_anyio tests: a clean environment and an emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from relay_anyio.testing import RelayEmulator

_CREDENTIAL_ENV = ("SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_JWT_TOKEN")


@pytest.fixture(autouse=True)
def relay_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials from the machine's environment; several clients per process allowed."""
    for name in (*_CREDENTIAL_ENV, "SIGNALWIRE_SPACE", "RELAY_MAX_ACTIVE_CALLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "50")


@pytest.fixture
async def emu() -> AsyncIterator[RelayEmulator]:
    """An emulator with credentials p/t and a fast clock (1 simulated second = 1 ms)."""
    async with RelayEmulator(project="p", token="t", time_scale=0.001) as emulator:
        yield emulator
        emulator.assert_no_violations()
