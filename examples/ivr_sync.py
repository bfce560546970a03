"""IVR, blocking: ``examples/ivr.py`` written for relay_sync (no ``async``, no ``await``).

The same menu: 1 connects the caller to sales, 2 reads the opening hours, anything else says
goodbye. Each call's handler runs on a worker thread of the client.

``python -m examples.ivr_sync`` runs it against the built-in emulator (the caller presses 1);
with ``SIGNALWIRE_*`` set it serves your real calls until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from examples.ivr import GOODBYE, HOURS, MENU, PERSONAS, SALES, caller_presses_1
from relay_sync import CALL_STATE_ANSWERED, CALL_STATE_ENDED, EVENT_CALL_CONNECT, Call, RelayEvent

log = logging.getLogger(__name__)


def choose(call: Call) -> str:
    """Play the menu (at most twice) and return the key pressed, or "" for none."""
    for attempt in range(2):
        prompt = MENU if attempt == 0 else "Sorry, I did not get that. " + MENU
        menu = call.play_and_collect(
            media=[tts(prompt)],
            collect={"digits": {"max": 1, "digit_timeout": 5.0}, "initial_timeout": 6.0},
        )
        result = menu.wait().params.get("result", {})
        key = result.get("params", {}).get("digits", "") if result.get("type") == "digit" else ""
        if key in ("1", "2"):
            return key
        if call.state == CALL_STATE_ENDED:
            return ""
        log.info("no valid choice (%s)", key or result.get("type", "no result"))
    return ""


def connect_to_sales(call: Call) -> None:
    """Bridge the caller to the sales line; return when the call is over."""

    def after_bridge(event: RelayEvent) -> None:
        # The bridge ends with "disconnected" (or "failed" if sales did not answer). If the
        # caller is still on the line, the agent hung up first: say goodbye.
        state = event.params.get("connect_state")
        if state in ("disconnected", "failed") and call.state == CALL_STATE_ANSWERED:
            text = GOODBYE if state == "disconnected" else "Sorry, nobody from sales is free."
            call.play_tts(text).wait()
            call.hangup()

    # Registered before connecting: the bridge may be over before connect() even returns.
    call.on(EVENT_CALL_CONNECT, after_bridge)
    line = call.device.get("params", {}).get("to_number", "")
    call.connect(
        devices=[[{"type": "phone", "params": {"to_number": SALES, "from_number": line}}]],
        ringback=[{"type": "ringtone", "params": {"name": "us"}}],
    )
    call.wait_for_ended()


def handle_call(call: Call) -> None:
    """The on_call handler."""
    caller = call.device.get("params", {}).get("from_number", "unknown")
    log.info("call from %s", caller)
    call.answer()
    choice = choose(call)
    if choice == "1":
        log.info("%s chose sales: connecting to %s", caller, SALES)
        connect_to_sales(call)
    elif choice == "2":
        log.info("%s asked for the opening hours", caller)
        call.play_tts(HOURS).wait()
    elif call.state != CALL_STATE_ENDED:
        call.play_tts("Goodbye!").wait()
    if call.state != CALL_STATE_ENDED:
        call.hangup()
    log.info("call from %s done", caller)


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run_sync(
        title="IVR (blocking): a caller presses 1 and is connected to sales",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=caller_presses_1,
        personas=PERSONAS,
    )


if __name__ == "__main__":
    main()
