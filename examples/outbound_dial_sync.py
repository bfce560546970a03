"""Outbound dial, blocking: ``examples/outbound_dial.py`` on relay_sync.

``python -m examples.outbound_dial_sync`` runs it against the built-in emulator (the first
patient confirms, the second is busy); with ``SIGNALWIRE_*`` set it phones ``RELAY_TO_NUMBER``
from ``RELAY_FROM_NUMBER``.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples.outbound_dial import FROM, PATIENTS, PERSONAS, patients
from relay_sync import Call, RelayClient, RelayError

log = logging.getLogger(__name__)


def confirm(call: Call, name: str, when: str) -> str:
    """Read the reminder on an answered call; return "confirmed", "cancelled" or "unsure"."""
    menu = call.prompt_tts(
        f"Hello {name}, this is Acme Dental reminding you of your appointment tomorrow at "
        f"{when}. Press 1 to confirm, or 2 to cancel.",
        {"digits": {"max": 1, "digit_timeout": 5.0}, "initial_timeout": 8.0},
    )
    result = menu.wait().params.get("result", {})
    key = result.get("params", {}).get("digits", "") if result.get("type") == "digit" else ""
    answer = {"1": "confirmed", "2": "cancelled"}.get(key, "unsure")
    goodbye = {
        "confirmed": "Thank you, see you tomorrow!",
        "cancelled": "Your appointment is cancelled. Goodbye.",
    }.get(answer, "We will call you again later. Goodbye.")
    call.play_tts(goodbye).wait()
    return answer


def remind(client: RelayClient) -> None:
    """Phone every patient in turn (the client is connected)."""
    for number, name, when in PATIENTS:
        devices = [[{"type": "phone", "params": {"to_number": number, "from_number": FROM}}]]
        try:
            call = client.dial(devices, dial_timeout=40.0)
        except RelayError as exc:
            log.info("could not reach %s at %s: %s", name, number, exc)
            continue
        answer = confirm(call, name, when)
        call.hangup()
        log.info("%s (%s): appointment %s", name, number, answer)


def main() -> None:
    """Phone the patients: emulated ones, or RELAY_TO_NUMBER when SIGNALWIRE_* is set."""
    harness.run_sync(
        title="Outbound dial (blocking): reminders (one patient confirms, one is busy)",
        program=remind,
        remote=patients,
        personas=PERSONAS,
        names={"+15553004001": "Alex", "+15553004002": "Sam"},
    )


if __name__ == "__main__":
    main()
