"""pytest plugin: a ``relay_emulator`` fixture that runs a :class:`RelayEmulator` per test.

Installed with the package (entry point ``pytest11``), so tests can simply ask for it::

    import pytest

    @pytest.mark.anyio
    async def test_greets_callers(relay_emulator):
        client = RelayClient(project="p", token="t", host=relay_emulator.url, ...)

The emulator runs on the test's anyio backend (asyncio or trio, from the ``anyio_backend``
fixture) with ``time_scale=0.001``. Override any :class:`RelayEmulator` argument with the
``relay_emulator`` marker: ``@pytest.mark.relay_emulator(project="p", token="t")``. When a test
fails, its report gets a "relay emulator transcript" section; a test during which the emulator
hit an internal error fails at teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any

import pytest

from ._emulator import RelayEmulator

__all__ = ["relay_emulator"]

_EMULATOR = pytest.StashKey[RelayEmulator]()
_DEFAULTS: dict[str, Any] = {"time_scale": 0.001}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``relay_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "relay_emulator(**options): RelayEmulator keyword arguments for the relay_emulator fixture",
    )


@pytest.fixture
async def relay_emulator(
    request: pytest.FixtureRequest, anyio_backend: object
) -> AsyncIterator[RelayEmulator]:
    """A running :class:`RelayEmulator` on the test's backend, closed after the test."""
    options = dict(_DEFAULTS)
    marker = request.node.get_closest_marker("relay_emulator")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("relay_emulator marker takes keyword arguments only")
        options.update(marker.kwargs)
    async with RelayEmulator(**options) as emu:
        # A failed test's report carries the whole transcript: timeouts need not repeat it.
        emu._server.transcript_in_timeouts = False
        request.node.stash[_EMULATOR] = emu
        yield emu
    if emu.internal_errors:
        pytest.fail(
            "the RELAY emulator hit internal errors:\n"
            + "\n".join(repr(e) for e in emu.internal_errors),
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the emulator's transcript to the report of a failed test."""
    report = yield
    emu = item.stash.get(_EMULATOR, None)
    if emu is not None and report.failed:
        report.sections.append(("relay emulator transcript", emu.transcript_text() or "(empty)"))
    return report
