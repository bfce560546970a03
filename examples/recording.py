"""Recording: record a payment call, pausing while the caller types their card number.

The application answers, starts recording the whole call, and tells the caller so. Before it
asks for the card number it pauses the recording (nothing sensitive ends up on tape), resumes
it once the number is in, confirms the payment, then stops the recording and logs where it is
and how long it lasts (the paused part skipped).

``handle_call`` is what you would write with ``signalwire.relay``: only the import differs.

``python -m examples.recording`` runs it against the built-in emulator; with ``SIGNALWIRE_*``
set it serves your real calls until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples._harness import tts
from relay_anyio import CALL_STATE_ENDED, Call
from relay_anyio.testing import RelayEmulator, Say

log = logging.getLogger(__name__)


async def say(call: Call, text: str) -> None:
    """Play a sentence and wait until it has been heard."""
    await (await call.play([tts(text)])).wait()


async def handle_call(call: Call) -> None:
    """The on_call handler."""
    await call.answer()
    # Record both sides until stopped: no silence or key ends this recording by itself.
    recording = await call.record(
        audio={
            "format": "mp3",
            "direction": "both",
            "initial_timeout": 0,
            "end_silence_timeout": 0,
            "terminators": "",
        }
    )
    await say(call, "This call is recorded. Welcome to Acme payments.")
    await recording.pause(behavior="skip")
    log.info("recording paused for the card number")
    await say(call, "Please type your card number, then hash.")
    collect = await call.collect(
        digits={"max": 19, "digit_timeout": 5.0, "terminators": "#"}, initial_timeout=10.0
    )
    result = (await collect.wait()).params.get("result", {})
    card = result.get("params", {}).get("digits", "") if result.get("type") == "digit" else ""
    await recording.resume()
    if card:
        log.info("card ending in %s charged", card[-4:])
        await say(call, "Thank you, your payment of 25 dollars is accepted.")
    else:
        await say(call, "We did not get a card number. Please call again.")
    await recording.stop()
    done = await recording.wait()
    log.info(
        "recording %s: %s s at %s",
        done.params.get("state"),
        done.params.get("duration"),
        done.params.get("url"),
    )
    if call.state != CALL_STATE_ENDED:
        await call.hangup()


# ------------------------------------------------------------------ emulator only: the world


async def paying_caller(emu: RelayEmulator) -> None:
    """The caller says hello, and types the card number when the application listens."""
    caller = await emu.call(
        context=harness.CONTEXT,
        from_number=harness.CALLER,
        to_number=harness.LINE,
        script=[Say("Hi, I would like to pay for my order.")],
    )
    await emu.wait_for_request("calling.collect", timeout=None)
    await caller.press("4111111111111111#")
    await caller.wait_ended(timeout=None)


def main() -> None:
    """Serve calls: against the emulator, or your space when SIGNALWIRE_* is set."""
    harness.run(
        title="Recording: pause while the card number is typed, resume, stop",
        contexts=[harness.CONTEXT],
        on_call=handle_call,
        remote=paying_caller,
    )


if __name__ == "__main__":
    main()
