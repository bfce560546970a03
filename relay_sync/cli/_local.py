"""``relay ... --emulator``: a local RELAY emulator on a thread of its own, for a try without an
account. It needs the emulator's dependencies (``pip install "relay-sansio[anyio]"``); the rest
of the command works on a base install.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

__all__ = ["EMULATOR_CALLER", "EMULATOR_LINE", "EmulatorUnavailable", "LocalEmulator"]

EMULATOR_CALLER = "+15551230001"  # who calls in (listen)
EMULATOR_LINE = "+15551230002"  # the number it calls, and the default --from for dial and sms
_CREDENTIALS = "cli"  # project and token the emulator accepts
# Simulated seconds are ten times faster: a 3-second prompt takes 0.3 s.
_TIME_SCALE = 0.1


class EmulatorUnavailable(RuntimeError):
    """The emulator's dependencies (anyio) are not installed."""


class LocalEmulator:
    """A running :class:`relay_anyio.testing.RelayEmulator` driven from blocking code."""

    def __init__(self, time_scale: float = _TIME_SCALE) -> None:
        try:
            import anyio.from_thread

            from relay_anyio.testing import RelayEmulator
        except ImportError as exc:
            raise EmulatorUnavailable(
                f"--emulator needs the emulator's dependencies ({exc.name} is missing): "
                'pip install "relay-sansio[anyio]"'
            ) from None
        self._stack = contextlib.ExitStack()
        portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
        self._portal = portal
        try:
            emulator = portal.call(
                functools.partial(
                    RelayEmulator,
                    project=_CREDENTIALS,
                    token=_CREDENTIALS,
                    time_scale=time_scale,
                )
            )
            self._stack.enter_context(portal.wrap_async_context_manager(emulator))
        except BaseException:
            self._stack.close()
            raise
        self.emulator = emulator
        self.project = self.token = _CREDENTIALS
        self.url: str = emulator.url

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` (sync or async) on the emulator's loop; return its result."""
        return self._portal.call(functools.partial(fn, *args, **kwargs))

    def start_soon(self, fn: Any, *args: Any) -> None:
        """Start the async ``fn(*args)`` on the emulator's loop without waiting for it."""
        self._portal.start_task_soon(fn, *args)

    def close(self) -> None:
        """Stop the emulator and its thread."""
        self._stack.close()

    def __enter__(self) -> LocalEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def inbound_traffic(emulator: Any, context: str, answered: bool) -> None:
    """What ``relay listen --emulator`` receives: one call, then one SMS, on ``context``.

    The caller says hello and hangs up when asked for anything; if the listener does not
    answer, the caller hangs up once the call has been offered (a missed call).
    """
    from relay_anyio.testing import Hangup, Say

    caller = await emulator.call(
        context=context,
        from_number=EMULATOR_CALLER,
        to_number=EMULATOR_LINE,
        script=[Say("hello, is anyone there"), Hangup()],
    )
    if not answered:
        await emulator.wait_for_event("calling.call.receive", timeout=None)
        await caller.hangup()
    await caller.wait_ended(timeout=None)
    await emulator.send_sms(
        context=context,
        from_number=EMULATOR_CALLER,
        to_number=EMULATOR_LINE,
        body="Hello from the RELAY emulator",
    )
