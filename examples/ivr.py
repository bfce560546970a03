"""IVR: answer, offer a menu, route the caller on the key they press.

Every call on the ``office`` context is answered with a menu; the caller presses one key
(the menu is offered twice if they press nothing or a wrong key):

* 1: sales. The caller hears a ringback while the sales line is dialled and is then bridged to
  it; if the agent hangs up first, the caller is thanked and the call ends.
* 2: the opening hours are read out.
* anything else: goodbye.

``handle_call`` is what you would write with ``signalwire.relay``: only the import differs.

Run it with ``python -m examples.ivr``: against the built-in emulator a caller presses 1 and
talks to an emulated sales agent, and the transcript of both sides is printed. With
``SIGNALWIRE_PROJECT_ID``, ``SIGNALWIRE_API_TOKEN`` and ``SIGNALWIRE_SPACE`` set it serves
your real calls on the ``office`` context until Ctrl+C (``SALES_NUMBER`` names the number to
connect to).
"""

from __future__ import annotations

import logging
import os

from examples import _harness as harness
from examples._harness import tts
from relay_anyio import CALL_STATE_ANSWERED, CALL_STATE_ENDED, EVENT_CALL_CONNECT, Call, RelayEvent
from relay_anyio.testing import Persona, Press, RelayEmulator

log = logging.getLogger(__name__)

SALES = os.environ.get("SALES_NUMBER", harness.AGENT)
MENU = "Thanks for calling Acme. Press 1 for sales, or 2 for our opening hours."
HOURS = "We are open Monday to Friday, from 9 in the morning to 5 in the afternoon."
GOODBYE = "Thanks for calling Acme. Goodbye!"


async def choose(call: Call) -> str:
    """Play the menu (at most twice) and return the key pressed, or "" for none."""
    for attempt in range(2):
        prompt = MENU if attempt == 0 else "Sorry, I did not get that. " + MENU
        menu = await call.play_and_collect(
            media=[tts(prompt)],
            collect={"digits": {"max": 1, "digit_timeout": 5.0}, "initial_timeout": 6.0},
        )
        event = await menu.wait()
        result = event.params.get("result", {})
        key = result.get("params", {}).get("digits", "") if result.get("type") == "digit" else ""
        if key in ("1", "2"):
            return key
        if call.state == CALL_STATE_ENDED:
            return ""
        log.info("no valid choice (%s)", key or result.get("type", "no result"))
    return ""


async def connect_to_sales(call: Call) -> None:
    """Bridge the caller to the sales line; return when the call is over."""

    async def after_bridge(event: RelayEvent) -> None:
        # The bridge ends with "disconnected" (or "failed" if sales did not answer). If the
        # caller is still on the line, the agent hung up first: say goodbye.
        state = event.params.get("connect_state")
        if state in ("disconnected", "failed") and call.state == CALL_STATE_ANSWERED:
            text = GOODBYE if state == "disconnected" else "Sorry, nobody from sales is free."
            await (await call.play_tts(text)).wait()
            await call.hangup()

    # Registered before connecting: the bridge may be over before connect() even returns.
    call.on(EVENT_CALL_CONNECT, after_bridge)
    line = call.device.get("params", {}).get("to_number", "")
    await call.connect(
        devices=[[{"type": "phone", "params": {"to_number": SALES, "from_number": line}}]],
        ringback=[{"type": "ringtone", "params": {"name": "us"}}],
    )
    await call.wait_for_ended()


async def handle_call(call: Call) -> None:
    """The on_call handler."""
    caller = call.device.get("params", {}).get("from_number", "unknown")
    log.info("call from %s", caller)
    await call.answer()
    choice = await choose(call)
    if choice == "1":
        log.info("%s chose sales: connecting to %s", caller, SALES)
        await connect_to_sales(call)
    elif choice == "2":
        log.info("%s asked for the opening hours", caller)
        await (await call.play_tts(HOURS)).wait()
    elif call.state != CALL_STATE_ENDED:
        await (await call.play_tts("Goodbye!")).wait()
    if call.state != CALL_STATE_ENDED:
        await call.hangup()
    log.info("call from %s done", caller)


# ------------------------------------------------------------------ emulator only: the world

# The sales agent picks up after 3 s of ringing and hangs up 8 s into the conversation.
PERSONAS = {SALES: Persona.answers(after=3.0, hangup_after=8.0)}


async def caller_presses_1(emu: RelayEmulator) -> None:
    """A caller dials the office line and presses 1 when the menu asks."""
    caller = await emu.call(
        context=harness.CONTEXT,
        from_number=harness.CALLER,
        to_number=harness.LINE,
        script=[Press("1")],
    )
    await caller.wait_ended(timeout=None)


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run(
        title="IVR: a caller presses 1 and is connected to sales",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=caller_presses_1,
        personas=PERSONAS,
    )


if __name__ == "__main__":
    main()
