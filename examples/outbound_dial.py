"""Outbound dial: phone patients to confirm tomorrow's appointments.

For each appointment the application dials the patient, and once they answer reads a reminder
and asks them to press 1 to confirm or 2 to cancel, then says goodbye and hangs up. A patient
who cannot be reached (busy, no answer) is logged and skipped: ``dial()`` raises
``RelayError`` for that.

``remind`` is what you would write with ``signalwire.relay``: only the import differs.

``python -m examples.outbound_dial`` runs it against the built-in emulator (the first patient
confirms, the second is busy). With ``SIGNALWIRE_*`` set it phones ``RELAY_TO_NUMBER`` from
``RELAY_FROM_NUMBER`` (a number of your project) instead.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from relay_anyio import Call, RelayClient, RelayError
from relay_anyio.testing import Persona, Press, RelayEmulator

log = logging.getLogger(__name__)

FROM = harness.number("RELAY_FROM_NUMBER", harness.LINE)
PATIENTS = [
    (harness.number("RELAY_TO_NUMBER", "+15553004001"), "Alex", "10 AM"),
    *([] if harness.real_space() else [("+15553004002", "Sam", "2 PM")]),
]


async def confirm(call: Call, name: str, when: str) -> str:
    """Read the reminder on an answered call; return "confirmed", "cancelled" or "unsure"."""
    menu = await call.prompt_tts(
        f"Hello {name}, this is Acme Dental reminding you of your appointment tomorrow at "
        f"{when}. Press 1 to confirm, or 2 to cancel.",
        {"digits": {"max": 1, "digit_timeout": 5.0}, "initial_timeout": 8.0},
    )
    result = (await menu.wait()).params.get("result", {})
    key = result.get("params", {}).get("digits", "") if result.get("type") == "digit" else ""
    answer = {"1": "confirmed", "2": "cancelled"}.get(key, "unsure")
    goodbye = {
        "confirmed": "Thank you, see you tomorrow!",
        "cancelled": "Your appointment is cancelled. Goodbye.",
    }.get(answer, "We will call you again later. Goodbye.")
    await (await call.play_tts(goodbye)).wait()
    return answer


async def remind(client: RelayClient) -> None:
    """Phone every patient in turn (the client is connected)."""
    for number, name, when in PATIENTS:
        devices = [[{"type": "phone", "params": {"to_number": number, "from_number": FROM}}]]
        try:
            call = await client.dial(devices, dial_timeout=40.0)
        except RelayError as exc:
            log.info("could not reach %s at %s: %s", name, number, exc)
            continue
        answer = await confirm(call, name, when)
        await call.hangup()
        log.info("%s (%s): appointment %s", name, number, answer)


# ------------------------------------------------------------------ emulator only: the world

PERSONAS = {
    # Alex answers after 3 s of ringing and presses 1 at the prompt; Sam's line is busy.
    "+15553004001": Persona.answers(after=3.0, script=[Press("1")]),
    "+15553004002": Persona.busy(after=2.0),
}


async def patients(emu: RelayEmulator) -> None:
    """Wait until both patients were called and the calls are over."""
    for number in PERSONAS:
        party = await emu.wait_for_call_to(number, timeout=None)
        await party.wait_ended(timeout=None)


def main() -> None:
    """Phone the patients: emulated ones, or RELAY_TO_NUMBER when SIGNALWIRE_* is set."""
    harness.run(
        title="Outbound dial: appointment reminders (one patient confirms, one is busy)",
        program=remind,
        remote=patients,
        personas=PERSONAS,
        names={"+15553004001": "Alex", "+15553004002": "Sam"},
    )


if __name__ == "__main__":
    main()
