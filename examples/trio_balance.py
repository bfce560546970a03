"""trio: an account-balance line whose handler uses trio directly (nursery, deadline).

relay_anyio runs on trio as well as asyncio (``client.run(backend="trio")``, or
``await client.serve()`` inside ``trio.run``), and handlers can use trio's own primitives.
Here the greeting plays while the account is looked up in a (simulated, slow) database, both
at once in a trio nursery; the lookup gets a deadline with ``trio.move_on_after``.

``python -m examples.trio_balance`` runs it on trio against the built-in emulator; with
``SIGNALWIRE_*`` set it serves your real calls on trio until Ctrl+C.
"""

from __future__ import annotations

import logging

import trio

from examples import _harness as harness
from relay_anyio import CALL_STATE_ENDED, Call
from relay_anyio.testing import RelayEmulator

log = logging.getLogger(__name__)

ACCOUNTS = {harness.CALLER: ("Alice", "42 dollars and 50 cents")}


async def find_account(number: str) -> tuple[str, str] | None:
    """Stands in for a database query that takes a while."""
    await trio.sleep(0.05)
    return ACCOUNTS.get(number)


async def handle_call(call: Call) -> None:
    """The on_call handler."""
    number = call.device.get("params", {}).get("from_number", "")
    await call.answer()
    found: list[tuple[str, str] | None] = []

    async def lookup() -> None:
        with trio.move_on_after(2.0):  # a slow database must not keep the caller waiting
            found.append(await find_account(number))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(lookup)
        greeting = await call.play_tts("Welcome to Acme. One moment while we find your account.")
        await greeting.wait()
    account = found[0] if found else None
    log.info("account for %s: %s", number, account[0] if account else "not found")
    if account is None:
        text = "Sorry, we could not find an account for this phone number."
    else:
        text = f"Hello {account[0]}. Your balance is {account[1]}."
    if call.state != CALL_STATE_ENDED:
        await (await call.play_tts(text)).wait()
        await call.hangup()


# ------------------------------------------------------------------ emulator only: the world


async def alice_calls(emu: RelayEmulator) -> None:
    """Alice calls the balance line and listens."""
    caller = await emu.call(
        context=harness.CONTEXT, from_number=harness.CALLER, to_number=harness.LINE
    )
    await caller.wait_ended(timeout=None)


def main() -> None:
    """Serve calls on trio: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run(
        title="trio: greeting and account lookup at once, in a trio nursery",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=alice_calls,
        names={harness.CALLER: "Alice"},
        backend="trio",
    )


if __name__ == "__main__":
    main()
