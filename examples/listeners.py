"""Listeners: follow a call through its events with ``call.on`` and ``on_completed``.

A one-question survey. The application registers listeners on the call before answering: a
plain function for state changes (it runs at once: keep it quick), ``async def`` listeners for
playback and for the speech recogniser's partial results (each runs in a task of its own). It
then asks the question, with an ``on_completed`` callback that logs the answer, thanks the
caller and hangs up.

``handle_call`` is what you would write with ``signalwire.relay``: only the import differs.

``python -m examples.listeners`` runs it against the built-in emulator (the caller says
"excellent service"); with ``SIGNALWIRE_*`` set it serves your real calls until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from relay_anyio import (
    CALL_STATE_ENDED,
    EVENT_CALL_COLLECT,
    EVENT_CALL_PLAY,
    EVENT_CALL_STATE,
    Call,
    RelayEvent,
)
from relay_anyio.testing import RelayEmulator, Say

log = logging.getLogger(__name__)


def speech(event: RelayEvent) -> str:
    """The recognised text in a collect event ("" for none)."""
    result = event.params.get("result", {})
    return str(result.get("params", {}).get("text", "")) if result.get("type") == "speech" else ""


async def handle_call(call: Call) -> None:
    """The on_call handler."""

    def on_state(event: RelayEvent) -> None:
        log.info("call state: %s", event.params.get("call_state"))

    async def on_play(event: RelayEvent) -> None:
        log.info("playback %s", event.params.get("state"))

    async def on_collect(event: RelayEvent) -> None:
        if event.params.get("final") is False:
            log.info("heard so far: %r", speech(event))

    call.on(EVENT_CALL_STATE, on_state)
    call.on(EVENT_CALL_PLAY, on_play)
    call.on(EVENT_CALL_COLLECT, on_collect)
    await call.answer()
    question = await call.play_and_collect(
        media=[tts("In a word or two, how was your visit to Acme today?")],
        collect={"speech": {"end_silence_timeout": 1.0}, "partial_results": True},
        on_completed=lambda event: log.info("survey answer: %r", speech(event)),
    )
    await question.wait()
    if call.state != CALL_STATE_ENDED:
        await (await call.play_tts("Thank you for your feedback!")).wait()
        await call.hangup()


# ------------------------------------------------------------------ emulator only: the world


async def happy_customer(emu: RelayEmulator) -> None:
    """The caller answers the survey question."""
    caller = await emu.call(
        context=harness.CONTEXT,
        from_number=harness.CALLER,
        to_number=harness.LINE,
        script=[Say("excellent service")],
    )
    await caller.wait_ended(timeout=None)


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run(
        title="Listeners: a spoken survey followed through call.on and on_completed",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=happy_customer,
    )


if __name__ == "__main__":
    main()
