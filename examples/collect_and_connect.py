"""Inbound collect and connect: ask for an account number, put the caller through to its manager.

The application answers, asks for an account number (keys, ended by ``#``), looks the account
up and connects the caller to the account manager's phone, with a ringback tone while it
rings. It stays on the call until the caller or the manager hangs up. An unknown account, or a
manager who does not answer, gets an apology.

``handle_call`` is what you would write with ``signalwire.relay``: only the import differs.

``python -m examples.collect_and_connect`` runs it against the built-in emulator (the caller
types 4242#, talks to the manager for a while and hangs up); with ``SIGNALWIRE_*`` set it
serves your real calls until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from relay_anyio import CALL_STATE_ANSWERED, EVENT_CALL_CONNECT, Call, RelayEvent
from relay_anyio.testing import Persona, Press, RelayEmulator

log = logging.getLogger(__name__)

# Account number -> the account manager's phone.
ACCOUNTS = {"4242": harness.AGENT, "1000": "+15552003000"}
SORRY = "Sorry, your manager is not available. Please call again later."


async def ask_account(call: Call) -> str:
    """Ask for the account number; return the keys typed ("" for none)."""
    prompt = await call.play(
        [tts("Welcome to Acme business support. Please type your account number, then hash.")]
    )
    await prompt.wait()
    collect = await call.collect(
        digits={"max": 8, "digit_timeout": 4.0, "terminators": "#"},
        initial_timeout=8.0,
    )
    event = await collect.wait()
    result = event.params.get("result", {})
    return str(result.get("params", {}).get("digits", "")) if result.get("type") == "digit" else ""


async def handle_call(call: Call) -> None:
    """The on_call handler."""
    await call.answer()
    account = await ask_account(call)
    manager = ACCOUNTS.get(account)
    if manager is None:
        log.info("unknown account %r", account)
        await (await call.play([tts("Sorry, we could not find that account.")])).wait()
        await call.hangup()
        return
    log.info("account %s: connecting to its manager at %s", account, manager)

    async def after_bridge(event: RelayEvent) -> None:
        # "failed": the manager did not answer; "disconnected" with the caller still here:
        # the manager hung up first.
        state = event.params.get("connect_state")
        if state in ("disconnected", "failed") and call.state == CALL_STATE_ANSWERED:
            text = SORRY if state == "failed" else "Thank you for calling Acme. Goodbye!"
            await (await call.play([tts(text)])).wait()
            await call.hangup()

    call.on(EVENT_CALL_CONNECT, after_bridge)  # before connect(): nothing is missed
    line = call.device.get("params", {}).get("to_number", "")
    await call.connect(
        [[{"type": "phone", "params": {"to_number": manager, "from_number": line}}]],
        ringback=[{"type": "ringtone", "params": {"name": "us"}}],
    )
    await call.wait_for_ended()
    log.info("call with account %s over", account)


# ------------------------------------------------------------------ emulator only: the world

PERSONAS = {harness.AGENT: Persona.answers(after=2.0)}


async def caller_types_account(emu: RelayEmulator) -> None:
    """The caller types 4242#, talks to the manager for a while and hangs up."""
    caller = await emu.call(
        context=harness.CONTEXT,
        from_number=harness.CALLER,
        to_number=harness.LINE,
        script=[Press("4242#")],
    )
    await caller.wait_connected(timeout=None)
    await harness.chat(emu, 10.0)
    await caller.hangup()
    await caller.wait_ended(timeout=None)


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run(
        title="Collect and connect: the caller types an account number, meets its manager",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=caller_types_account,
        personas=PERSONAS,
        names={harness.AGENT: "manager"},
    )


if __name__ == "__main__":
    main()
