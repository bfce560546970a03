"""``relay ... --emulator``: a local RELAY emulator for a try without an account.

It is :class:`relay_anyio.testing.ThreadedEmulator` (the emulator on a thread of its own) with
the credentials and time scale the command uses. The emulator needs anyio, which a base install
lacks: without it, :func:`start_emulator` says what to install; the rest of the command works on
a base install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relay_anyio.testing import ThreadedEmulator

__all__ = [
    "EMULATOR_CALLER",
    "EMULATOR_CREDENTIALS",
    "EMULATOR_LINE",
    "EmulatorUnavailable",
    "inbound_traffic",
    "start_emulator",
]

EMULATOR_CALLER = "+15551230001"  # who calls in (listen)
EMULATOR_LINE = "+15551230002"  # the number it calls, and the default --from for dial and sms
EMULATOR_CREDENTIALS = "cli"  # project and token the emulator accepts
# Simulated seconds are ten times faster: a 3-second prompt takes 0.3 s.
_TIME_SCALE = 0.1


class EmulatorUnavailable(RuntimeError):
    """The emulator's dependencies (anyio) are not installed."""


def start_emulator(time_scale: float = _TIME_SCALE) -> ThreadedEmulator:
    """Start a local emulator on its own thread (close it with ``.close()``).

    Raises:
        EmulatorUnavailable: anyio (or another dependency of the emulator) is missing; the
            message says what to install.
    """
    try:
        from relay_anyio.testing import ThreadedEmulator
    except ImportError as exc:
        raise EmulatorUnavailable(
            f"--emulator needs the emulator's dependencies ({exc.name} is missing): "
            'pip install "relay-sansio[anyio]"'
        ) from None
    emulator = ThreadedEmulator(
        project=EMULATOR_CREDENTIALS, token=EMULATOR_CREDENTIALS, time_scale=time_scale
    )
    return emulator.start()


async def inbound_traffic(emulator: Any, context: str, answered: bool) -> None:
    """What ``relay listen --emulator`` receives, in the emulator's thread (``emulator`` is the
    :class:`~relay_anyio.testing.RelayEmulator`): once a client listens on ``context``, one
    call, then one SMS.

    The caller says hello and hangs up when asked for anything; if the listener does not
    answer, the caller hangs up once the call has been offered (a missed call).
    """
    from relay_anyio.testing import Hangup, Say

    await emulator.wait_for_clients(context=context, timeout=None)
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
