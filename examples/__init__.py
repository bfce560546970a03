"""Runnable examples of relay-sansio (``python -m examples.<name>``).

Each example holds the application code a user would write with ``signalwire.relay`` (only the
import line differs) and a small ``main()``. Without SignalWire credentials ``main()`` runs the
application against the built-in RELAY emulator, plays the other side of the call (callers,
dialled numbers, SMS senders) and prints a transcript of both sides; with
``SIGNALWIRE_PROJECT_ID``, ``SIGNALWIRE_API_TOKEN`` and ``SIGNALWIRE_SPACE`` set it runs against
that space instead. ``python -m examples.demo`` is the guided tour (``./scripts/demo``).
"""
