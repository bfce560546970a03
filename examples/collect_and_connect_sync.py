"""Inbound collect and connect, blocking: ``examples/collect_and_connect.py`` on relay_sync.

``python -m examples.collect_and_connect_sync`` runs it against the built-in emulator; with
``SIGNALWIRE_*`` set it serves your real calls until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from examples.collect_and_connect import ACCOUNTS, PERSONAS, SORRY, caller_types_account
from relay_sync import CALL_STATE_ANSWERED, EVENT_CALL_CONNECT, Call, RelayEvent

log = logging.getLogger(__name__)


def ask_account(call: Call) -> str:
    """Ask for the account number; return the keys typed ("" for none)."""
    call.play(
        [tts("Welcome to Acme business support. Please type your account number, then hash.")]
    ).wait()
    collect = call.collect(
        digits={"max": 8, "digit_timeout": 4.0, "terminators": "#"},
        initial_timeout=8.0,
    )
    result = collect.wait().params.get("result", {})
    return str(result.get("params", {}).get("digits", "")) if result.get("type") == "digit" else ""


def handle_call(call: Call) -> None:
    """The on_call handler."""
    call.answer()
    account = ask_account(call)
    manager = ACCOUNTS.get(account)
    if manager is None:
        log.info("unknown account %r", account)
        call.play([tts("Sorry, we could not find that account.")]).wait()
        call.hangup()
        return
    log.info("account %s: connecting to its manager at %s", account, manager)

    def after_bridge(event: RelayEvent) -> None:
        # "failed": the manager did not answer; "disconnected" with the caller still here:
        # the manager hung up first.
        state = event.params.get("connect_state")
        if state in ("disconnected", "failed") and call.state == CALL_STATE_ANSWERED:
            text = SORRY if state == "failed" else "Thank you for calling Acme. Goodbye!"
            call.play([tts(text)]).wait()
            call.hangup()

    call.on(EVENT_CALL_CONNECT, after_bridge)  # before connect(): nothing is missed
    line = call.device.get("params", {}).get("to_number", "")
    call.connect(
        [[{"type": "phone", "params": {"to_number": manager, "from_number": line}}]],
        ringback=[{"type": "ringtone", "params": {"name": "us"}}],
    )
    call.wait_for_ended()
    log.info("call with account %s over", account)


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run_sync(
        title="Collect and connect (blocking): an account number, then its manager",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=caller_types_account,
        personas=PERSONAS,
        names={harness.AGENT: "manager"},
    )


if __name__ == "__main__":
    main()
