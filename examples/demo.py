"""The relay-sansio demo (``./scripts/demo``, or ``python -m examples.demo``).

It starts the built-in RELAY emulator on 127.0.0.1, connects the IVR of ``examples/ivr.py`` to
it as an ordinary RELAY client (relay_anyio over a real WebSocket), and has an emulated caller
ring in and press 1 when the menu asks. The caller is put through to an emulated sales agent
who hangs up after a short chat; the application says goodbye and hangs up. Then it prints a
transcript of the call from both sides: what the application sent and received, and what the
caller (and the agent) heard and did. It exits 0 when all of that went as it should.

With ``SIGNALWIRE_PROJECT_ID``, ``SIGNALWIRE_API_TOKEN`` and ``SIGNALWIRE_SPACE`` set, the same
IVR serves real calls on your space instead (context ``office``, or ``RELAY_CONTEXT``) until
Ctrl+C.

Options: ``--time-scale S`` (real seconds per simulated second; the default 0.1 plays the
25-second call in under 3 seconds), ``--frames`` (print every WebSocket frame too).
"""

from __future__ import annotations

from collections.abc import Sequence

from examples import _harness as harness
from examples import ivr

INTRO = f"""\
relay-sansio demo
  * a local RELAY emulator starts on 127.0.0.1 (no SignalWire account needed);
  * the IVR of examples/ivr.py connects to it and answers calls on '{harness.CONTEXT}';
  * an emulated caller, {harness.CALLER}, dials {harness.LINE} and presses 1 for sales;
  * the emulated sales agent, {ivr.SALES}, picks up and hangs up after a short chat.
Running the call (simulated time runs 10 times faster)...
"""

OUTRO = """
More examples (each runs against the emulator the same way): python -m examples.<name>
  ivr, collect_and_connect, outbound_dial, recording, conference, messaging, listeners
  (and their blocking twins, <name>_sync), trio_balance, sansio_socket.
See examples/README.md, and docs/index.md to get started with your own application."""


def main(argv: Sequence[str] | None = None) -> None:
    """Run the demo (against the emulator unless SIGNALWIRE_* credentials are set)."""
    harness.run(
        title="relay-sansio demo: the IVR answers, the caller presses 1, sales takes the call",
        contexts=[harness.CONTEXT],
        on_call=ivr.handle_call,
        remote=ivr.caller_presses_1,
        personas=ivr.PERSONAS,
        time_scale=0.1,
        intro=INTRO,
        argv=argv,
    )
    if not harness.real_space():
        print(OUTRO)


if __name__ == "__main__":
    main()
