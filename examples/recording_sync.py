"""Recording, blocking: ``examples/recording.py`` on relay_sync.

``python -m examples.recording_sync`` runs it against the built-in emulator; with
``SIGNALWIRE_*`` set it serves your real calls until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from examples.recording import paying_caller
from relay_sync import CALL_STATE_ENDED, Call

log = logging.getLogger(__name__)


def say(call: Call, text: str) -> None:
    """Play a sentence and wait until it has been heard."""
    call.play([tts(text)]).wait()


def handle_call(call: Call) -> None:
    """The on_call handler."""
    call.answer()
    recording = call.record(
        audio={
            "format": "mp3",
            "direction": "both",
            "initial_timeout": 0,
            "end_silence_timeout": 0,
            "terminators": "",
        }
    )
    say(call, "This call is recorded. Welcome to Acme payments.")
    recording.pause(behavior="skip")
    log.info("recording paused for the card number")
    say(call, "Please type your card number, then hash.")
    collect = call.collect(
        digits={"max": 19, "digit_timeout": 5.0, "terminators": "#"}, initial_timeout=10.0
    )
    result = collect.wait().params.get("result", {})
    card = result.get("params", {}).get("digits", "") if result.get("type") == "digit" else ""
    recording.resume()
    if card:
        log.info("card ending in %s charged", card[-4:])
        say(call, "Thank you, your payment of 25 dollars is accepted.")
    else:
        say(call, "We did not get a card number. Please call again.")
    recording.stop()
    done = recording.wait()
    log.info(
        "recording %s: %s s at %s",
        done.params.get("state"),
        done.params.get("duration"),
        done.params.get("url"),
    )
    if call.state != CALL_STATE_ENDED:
        call.hangup()


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run_sync(
        title="Recording (blocking): pause while the card number is typed, resume, stop",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=paying_caller,
    )


if __name__ == "__main__":
    main()
