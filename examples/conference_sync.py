"""Conference, blocking: ``examples/conference.py`` on relay_sync.

``python -m examples.conference_sync`` runs it against the built-in emulator; with
``SIGNALWIRE_*`` set it serves your real calls until Ctrl+C (``HOST_NUMBER``: the host).
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from examples.conference import GUEST, HOST, ROOM, standup
from relay_sync import CALL_STATE_ENDED, EVENT_CONFERENCE, Call, RelayEvent

log = logging.getLogger(__name__)


def handle_call(call: Call) -> None:
    """The on_call handler."""
    caller = call.device.get("params", {}).get("from_number", "")
    is_host = caller == HOST

    def on_conference(event: RelayEvent) -> None:
        log.info(
            "%s: %s (%s in the room)",
            caller,
            event.params.get("status"),
            event.params.get("participants", 0),
        )

    call.on(EVENT_CONFERENCE, on_conference)
    call.answer()
    welcome = "Welcome to the Acme standup." + (" You are the host." if is_host else "")
    call.play([tts(welcome)]).wait()
    call.join_conference(ROOM, beep="onEnter", end_on_exit=is_host)
    call.wait_for(
        EVENT_CONFERENCE,
        predicate=lambda e: (
            e.params.get("status") == "participant-leave"
            and e.params.get("call_id") == call.call_id
        ),
    )
    if call.state != CALL_STATE_ENDED:
        call.play([tts("The host has ended the meeting. Goodbye!")]).wait()
        call.hangup()


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run_sync(
        title="Conference (blocking): the host leaves, the meeting ends",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=standup,
        names={HOST: "host", GUEST: "guest"},
    )


if __name__ == "__main__":
    main()
