"""relay_anyio.testing: a local RELAY emulator for tests, demos and any RELAY client.

A real WebSocket server on ``127.0.0.1`` that speaks RELAY (JSON-RPC 2.0) with a simulated
switch behind it: inbound and outbound calls with scripted remote parties, media with
durations, collection, detection, conferences, queues and messaging, plus fault injection. It
runs on asyncio and trio::

    from relay_anyio.testing import Persona, Press, RelayEmulator

    async with RelayEmulator(project="p", token="t", time_scale=0.001) as emu:
        emu.persona("+15552002000", Persona.answers(after=2.0))
        caller = await emu.call(context="office", from_number="+15551230001",
                                to_number="+15551230002", script=[Press("2")])
        await caller.wait_ended()
        print(emu.transcript_text(caller, compact=True))

Blocking code uses :class:`ThreadedEmulator` (the same emulator in a background thread). See
``docs/emulator.md``. The pytest plugin (``relay_emulator`` and ``relay_emulator_sync``
fixtures) lives in :mod:`relay_sync.pytest_plugin` (it must load without anyio), the
``relay-emulator`` command line in :mod:`relay_anyio.testing.__main__`.
"""

from ._caller import RemoteParty
from ._emulator import RelayEmulator
from ._faults import MALFORMED_KINDS, Faults
from ._journal import Journal, JournalEntry
from ._live import Webhook
from ._load import CallerScript, LoadProgress, LoadReport, generate_load
from ._messaging import OutboundMessage
from ._outcomes import AIConversation, FaxOutcome, Payment
from ._personas import Persona
from ._recording import FrameRecorder, RecordedFrame, Recording, load_recording, save_journal
from ._replay import ReplayMismatch, ReplayServer
from ._script import Hangup, Intent, Press, Say, Silence
from ._server import ClientInfo, EmulatorTimeout
from ._switch import TranscriptLine
from ._threaded import Blocking, ThreadedEmulator

Caller = RemoteParty
"""Alias: the remote party of an inbound call is its caller."""

__all__ = [
    "MALFORMED_KINDS",
    "AIConversation",
    "Blocking",
    "Caller",
    "CallerScript",
    "ClientInfo",
    "EmulatorTimeout",
    "Faults",
    "FaxOutcome",
    "FrameRecorder",
    "Hangup",
    "Intent",
    "Journal",
    "JournalEntry",
    "LoadProgress",
    "LoadReport",
    "OutboundMessage",
    "Payment",
    "Persona",
    "Press",
    "RecordedFrame",
    "Recording",
    "RelayEmulator",
    "RemoteParty",
    "ReplayMismatch",
    "ReplayServer",
    "Say",
    "Silence",
    "ThreadedEmulator",
    "TranscriptLine",
    "Webhook",
    "generate_load",
    "load_recording",
    "save_journal",
]
