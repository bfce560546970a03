"""Listeners, blocking: ``examples/listeners.py`` on relay_sync.

Listeners and ``on_completed`` callbacks are plain functions here; relay_sync runs them in
order on a callback thread of its own, never on the thread reading the socket.

``python -m examples.listeners_sync`` runs it against the built-in emulator; with
``SIGNALWIRE_*`` set it serves your real calls until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from examples.listeners import happy_customer, speech
from relay_sync import (
    CALL_STATE_ENDED,
    EVENT_CALL_COLLECT,
    EVENT_CALL_PLAY,
    EVENT_CALL_STATE,
    Call,
    RelayEvent,
)

log = logging.getLogger(__name__)


def handle_call(call: Call) -> None:
    """The on_call handler."""

    def on_state(event: RelayEvent) -> None:
        log.info("call state: %s", event.params.get("call_state"))

    def on_play(event: RelayEvent) -> None:
        log.info("playback %s", event.params.get("state"))

    def on_collect(event: RelayEvent) -> None:
        if event.params.get("final") is False:
            log.info("heard so far: %r", speech(event))

    call.on(EVENT_CALL_STATE, on_state)
    call.on(EVENT_CALL_PLAY, on_play)
    call.on(EVENT_CALL_COLLECT, on_collect)
    call.answer()
    question = call.play_and_collect(
        media=[tts("In a word or two, how was your visit to Acme today?")],
        collect={"speech": {"end_silence_timeout": 1.0}, "partial_results": True},
        on_completed=lambda event: log.info("survey answer: %r", speech(event)),
    )
    question.wait()
    if call.state != CALL_STATE_ENDED:
        call.play_tts("Thank you for your feedback!").wait()
        call.hangup()


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run_sync(
        title="Listeners (blocking): a spoken survey followed through call.on",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=happy_customer,
    )


if __name__ == "__main__":
    main()
