"""Fixtures for the relay_sync tests: the RELAY emulator on a background event-loop thread.

relay_sync is blocking, so its tests are plain functions. The emulator (an anyio server) runs
in an anyio blocking portal, i.e. an event loop on a thread of its own; :class:`OnLoop` wraps
it so that every attribute read and method call (sync or async) happens on that loop's thread,
as the emulator expects, and blocks the test until it is done.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
import pytest

from relay_anyio.testing import Faults, Journal, RelayEmulator, RemoteParty
from relay_sync import RelayClient

from .helpers import PROJECT, TIME_SCALE, TOKEN, WAIT


class OnLoop:
    """A blocking view of an emulator object: everything runs on the emulator's loop thread."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, target: Any) -> None:
        self._portal = portal
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = self._portal.call(getattr, self._target, name)
        if callable(value) and not isinstance(value, type):
            return functools.partial(self._invoke, value)
        return self._wrap(value)

    def _invoke(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # portal.call awaits what an async method returns, and runs a sync one on the loop.
        return self._wrap(self._portal.call(functools.partial(fn, *args, **kwargs)))

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, (RemoteParty, Faults, Journal)):
            return OnLoop(self._portal, value)
        return value

    def __repr__(self) -> str:
        return f"OnLoop({self._target!r})"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "emulator_time_scale(scale): run the emulator fixture with this time scale",
    )


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A RelayEmulator (credentials PROJECT/TOKEN) on a background loop thread.

    Its time scale is TIME_SCALE unless the test is marked ``emulator_time_scale(x)``.
    """
    marker = request.node.get_closest_marker("emulator_time_scale")
    scale = TIME_SCALE if marker is None else float(marker.args[0])
    # The emulator runs on asyncio: relay_sync never touches that loop, only the socket.
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        emu = portal.call(
            functools.partial(RelayEmulator, project=PROJECT, token=TOKEN, time_scale=scale)
        )
        with portal.wrap_async_context_manager(emu):
            yield OnLoop(portal, emu)


@pytest.fixture
def make_client(emulator: Any) -> Iterator[Callable[..., RelayClient]]:
    """Build clients pointed at the emulator; each is disconnected at teardown."""
    clients: list[RelayClient] = []

    def make(**kwargs: Any) -> RelayClient:
        kwargs.setdefault("project", PROJECT)
        kwargs.setdefault("token", TOKEN)
        kwargs.setdefault("host", emulator.url)
        kwargs.setdefault("contexts", ["office"])
        client = RelayClient(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.disconnect()


class LogWatch(logging.Handler):
    """Collect records of the ``relay_sync`` logger; wait for one containing some text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.records.append(record)
            self._changed.notify_all()

    def messages(self) -> list[str]:
        with self._changed:
            return [record.getMessage() for record in self.records]

    def wait_for(self, text: str, count: int = 1, timeout: float = WAIT) -> None:
        """Block until ``count`` records contain ``text``.

        Raises:
            AssertionError: not within ``timeout`` seconds.
        """

        def seen() -> bool:
            return sum(text in record.getMessage() for record in self.records) >= count

        with self._changed:
            if not self._changed.wait_for(seen, timeout):
                raise AssertionError(f"no log record with {text!r} (x{count}) in {timeout} s")


@pytest.fixture
def relay_log() -> Iterator[LogWatch]:
    """Everything the ``relay_sync`` logger says during the test (DEBUG and up)."""
    watch = LogWatch()
    logger = logging.getLogger("relay_sync")
    previous = logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.DEBUG)
    yield watch
    logger.removeHandler(watch)
    logger.setLevel(previous)
