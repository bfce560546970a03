"""Conference: a standup line where callers meet; the meeting ends when the host leaves.

Every caller is welcomed and put into the ``standup`` conference. The host's number joins with
``end_on_exit``: when the host hangs up, everybody else is taken out of the conference, and the
application (listening to the ``calling.conference`` events of each call) says goodbye to them
and hangs up.

``handle_call`` is what you would write with ``signalwire.relay``: only the import differs.

``python -m examples.conference`` runs it against the built-in emulator (the host calls, a guest
joins, they talk, the host hangs up); with ``SIGNALWIRE_*`` set it serves your real calls until
Ctrl+C (``HOST_NUMBER`` names the host's phone).
"""

from __future__ import annotations

import logging
import os

from examples import _harness as harness
from examples._harness import tts
from relay_anyio import CALL_STATE_ANSWERED, EVENT_CONFERENCE, Call, RelayEvent
from relay_anyio.testing import RelayEmulator

log = logging.getLogger(__name__)

ROOM = "standup"
HOST = os.environ.get("HOST_NUMBER", harness.CALLER)
GOODBYE = "The host has ended the meeting. Goodbye!"


async def handle_call(call: Call) -> None:
    """The on_call handler."""
    caller = call.device.get("params", {}).get("from_number", "")
    is_host = caller == HOST

    async def on_conference(event: RelayEvent) -> None:
        status = event.params.get("status")
        log.info("%s: %s (%s in the room)", caller, status, event.params.get("participants", 0))
        # Taken out of the room while still on the line: the host ended the meeting.
        left = status == "participant-leave" and event.params.get("call_id") == call.call_id
        if left and call.state == CALL_STATE_ANSWERED:
            await (await call.play([tts(GOODBYE)])).wait()
            await call.hangup()

    call.on(EVENT_CONFERENCE, on_conference)  # before joining: nothing is missed
    await call.answer()
    welcome = "Welcome to the Acme standup." + (" You are the host." if is_host else "")
    await (await call.play([tts(welcome)])).wait()
    await call.join_conference(ROOM, beep="onEnter", end_on_exit=is_host)
    await call.wait_for_ended()


# ------------------------------------------------------------------ emulator only: the world

GUEST = "+15551230003"


async def standup(emu: RelayEmulator) -> None:
    """The host calls in; once she is in the room a guest calls; after a chat she hangs up."""
    host = await emu.call(context=harness.CONTEXT, from_number=HOST, to_number=harness.LINE)
    await emu.wait_for_transcript(f"joined conference {ROOM!r} (1 participants)", timeout=None)
    guest = await emu.call(context=harness.CONTEXT, from_number=GUEST, to_number=harness.LINE)
    await emu.wait_for_transcript(f"joined conference {ROOM!r} (2 participants)", timeout=None)
    await harness.chat(emu, 15.0)
    await host.hangup()
    await host.wait_ended(timeout=None)
    await guest.wait_ended(timeout=None)


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run(
        title="Conference: the host and a guest meet; the host leaves, the meeting ends",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=standup,
        names={HOST: "host", GUEST: "guest"},
    )


if __name__ == "__main__":
    main()
