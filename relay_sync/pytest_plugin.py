"""pytest plugin of relay-sansio: the ``relay_emulator`` and ``relay_emulator_sync`` fixtures.

Installed with the package (entry point ``pytest11``), so every test suite of a project that has
relay-sansio installed loads it. It therefore imports nothing beyond pytest and the standard
library: a plain ``pip install relay-sansio`` (no anyio) must never break pytest. The emulator
itself needs anyio; a test that asks for a fixture without it fails with the command to run.

* ``relay_emulator``: a :class:`relay_anyio.testing.RelayEmulator` on the test's anyio backend
  (``anyio_backend`` fixture), for ``async`` tests marked ``@pytest.mark.anyio``.
* ``relay_emulator_sync``: a :class:`relay_anyio.testing.ThreadedEmulator` (the same emulator
  on an event loop in a background thread, scripted with plain calls), for blocking tests and
  ``relay_sync`` clients. Its loop runs on the test's ``anyio_backend`` if the test asks for
  that fixture, else on the marker's ``backend=``, else on asyncio.

Both use ``time_scale=0.001``; the ``relay_emulator`` marker overrides any ``RelayEmulator``
argument: ``@pytest.mark.relay_emulator(project="p", token="t")``. When a test fails, its report
gets a "relay emulator transcript" section; a test during which the emulator hit an internal
error fails at teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from relay_anyio.testing import RelayEmulator, ThreadedEmulator

__all__ = ["INSTALL_HINT", "relay_emulator", "relay_emulator_sync"]

INSTALL_HINT = "pip install 'relay-sansio[anyio]' (or 'relay-sansio[trio]' for trio)"
"""What to install for the emulator on top of a plain ``pip install relay-sansio``."""

_TRANSCRIPT = pytest.StashKey[Callable[[], str]]()
_DEFAULTS: dict[str, Any] = {"time_scale": 0.001}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``relay_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "relay_emulator(**options): RelayEmulator keyword arguments for the relay_emulator "
        "and relay_emulator_sync fixtures (backend= too for relay_emulator_sync)",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options = dict(_DEFAULTS)
    marker = request.node.get_closest_marker("relay_emulator")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("relay_emulator marker takes keyword arguments only")
        options.update(marker.kwargs)
    return options


def _testing(fixture: str) -> Any:
    try:
        from relay_anyio import testing
    except ImportError as exc:
        missing = str(exc)
    else:
        return testing
    pytest.fail(
        f"the {fixture} fixture needs anyio, which is not installed ({missing}): {INSTALL_HINT}",
        pytrace=False,
    )


def _check_internal_errors(errors: list[BaseException]) -> None:
    if errors:
        pytest.fail(
            "the RELAY emulator hit internal errors:\n" + "\n".join(repr(e) for e in errors),
            pytrace=False,
        )


def _transcript_in_report_only(emu: RelayEmulator) -> None:
    # A failed test's report has a section with the whole transcript: the EmulatorTimeout
    # messages need not repeat its tail (so it shows once, not twice).
    emu._server.transcript_in_timeouts = False


@pytest.fixture
async def relay_emulator(
    request: pytest.FixtureRequest, anyio_backend: object
) -> AsyncIterator[RelayEmulator]:
    """A running :class:`~relay_anyio.testing.RelayEmulator` on the test's backend, closed
    after the test."""
    options = _options(request)
    options.pop("backend", None)  # relay_emulator_sync's; this one runs on the test's loop
    async with _testing("relay_emulator").RelayEmulator(**options) as emu:
        _transcript_in_report_only(emu)
        request.node.stash[_TRANSCRIPT] = emu.transcript_text
        yield emu
    _check_internal_errors(emu.internal_errors)


def _backend(request: pytest.FixtureRequest, options: dict[str, Any]) -> tuple[str, Any]:
    backend: Any = options.pop("backend", None)
    if backend is None and "anyio_backend" in request.fixturenames:
        backend = request.getfixturevalue("anyio_backend")
    if isinstance(backend, tuple):  # ("trio", {options}), as the anyio plugin allows
        return str(backend[0]), backend[1] if len(backend) > 1 else None
    return (str(backend) if backend else "asyncio"), None


@pytest.fixture
def relay_emulator_sync(request: pytest.FixtureRequest) -> Iterator[ThreadedEmulator]:
    """A running :class:`~relay_anyio.testing.ThreadedEmulator` (the emulator in a background
    thread, scripted with plain calls), closed after the test."""
    testing = _testing("relay_emulator_sync")
    options = _options(request)
    backend, backend_options = _backend(request, options)
    with testing.ThreadedEmulator(
        backend=backend, backend_options=backend_options, **options
    ) as emu:
        _transcript_in_report_only(emu.emulator)
        request.node.stash[_TRANSCRIPT] = emu.transcript_text
        yield emu
    _check_internal_errors(emu.internal_errors)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the emulator's transcript to the report of a failed test."""
    report = yield
    transcript = item.stash.get(_TRANSCRIPT, None)
    if transcript is not None and report.failed:
        report.sections.append(("relay emulator transcript", transcript() or "(empty)"))
    return report
