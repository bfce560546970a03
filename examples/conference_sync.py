"""Conference, blocking: ``examples/conference.py`` on relay_sync.

``python -m examples.conference_sync`` runs it against the built-in emulator; with
``SIGNALWIRE_*`` set it serves your real calls until Ctrl+C (``HOST_NUMBER``: the host).
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from examples.conference import GOODBYE, GUEST, HOST, ROOM, standup
from relay_sync import CALL_STATE_ANSWERED, EVENT_CONFERENCE, Call, RelayEvent

log = logging.getLogger(__name__)


def handle_call(call: Call) -> None:
    """The on_call handler."""
    caller = call.device.get("params", {}).get("from_number", "")
    is_host = caller == HOST

    def on_conference(event: RelayEvent) -> None:
        status = event.params.get("status")
        log.info("%s: %s (%s in the room)", caller, status, event.params.get("participants", 0))
        # Taken out of the room while still on the line: the host ended the meeting.
        left = status == "participant-leave" and event.params.get("call_id") == call.call_id
        if left and call.state == CALL_STATE_ANSWERED:
            call.play([tts(GOODBYE)]).wait()
            call.hangup()

    call.on(EVENT_CONFERENCE, on_conference)  # before joining: nothing is missed
    call.answer()
    welcome = "Welcome to the Acme standup." + (" You are the host." if is_host else "")
    call.play([tts(welcome)]).wait()
    call.join_conference(ROOM, beep="onEnter", end_on_exit=is_host)
    call.wait_for_ended()


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
