"""The remote party of a simulated call, as a test drives it (``caller = await emu.call(...)``).

For an inbound call this is the person who phoned in; for a call the client dialled or
connected, it is whoever is at the dialled number. Input methods queue intents (see
``_script``): a collect or recording started later takes them in order. :meth:`hangup` acts at
once. The ``wait_*`` methods wait on the simulation itself, never on the clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._model import SimCall
from ._script import Intent, Press, Say, Silence

if TYPE_CHECKING:
    from ._server import EmulatorServer

__all__ = ["RemoteParty"]

_ORDER = {"created": 0, "ringing": 1, "answered": 2, "ending": 3, "ended": 4}
DEFAULT_TIMEOUT = 10.0


class RemoteParty:
    """The far end of one simulated call."""

    def __init__(self, server: EmulatorServer, call: SimCall) -> None:
        self._server = server
        self._call = call

    # ------------------------------------------------------------------ facts
    @property
    def call_id(self) -> str:
        """The call's id (as the client sees it)."""
        return self._call.call_id

    @property
    def number(self) -> str:
        """This party's number (the caller's ``from_number``, or the dialled number)."""
        return self._call.party.number

    @property
    def direction(self) -> str:
        """``inbound`` (the party phoned in) or ``outbound`` (the client called it)."""
        return self._call.direction

    @property
    def state(self) -> str:
        """The call state: created, ringing, answered, ending or ended."""
        return self._call.state

    @property
    def end_reason(self) -> str:
        """Why the call ended (``""`` while it is up)."""
        return self._call.end_reason

    @property
    def context(self) -> str:
        """The context an inbound call arrived on."""
        return self._call.context

    @property
    def was_answered(self) -> bool:
        """Whether the call was ever answered (it may have ended since)."""
        return self._call.answered_at is not None

    @property
    def heard(self) -> list[str]:
        """Everything played to this party, in order (TTS text, audio URLs...)."""
        return list(self._call.party.heard)

    @property
    def received_digits(self) -> list[str]:
        """DTMF strings the client sent to this party (``calling.send_digits``)."""
        return list(self._call.party.received_digits)

    @property
    def connected_to(self) -> str | None:
        """The number this call is bridged to, or ``None``."""
        peer = self._call.bridged
        return peer.party.number if peer is not None else None

    @property
    def pending_intents(self) -> list[Intent]:
        """Intents not taken yet."""
        return list(self._call.party.intents)

    def transcript(self, *, compact: bool = False) -> str:
        """This call's transcript lines (``compact``: one comma-separated sentence)."""
        lines = [line for line in self._server.switch.transcript if line.subject == self.call_id]
        if compact:
            return ", ".join(line.text for line in lines)
        return "\n".join(str(line) for line in lines)

    def __repr__(self) -> str:
        return f"<RemoteParty {self.number} {self.call_id} {self.state}>"

    # ------------------------------------------------------------------ acting
    def _push(self, intent: Intent) -> None:
        call = self._call
        self._server.act(lambda: self._server.switch.push_intent(call, intent))

    async def press(self, digits: str, *, barge_in: bool = False) -> None:
        """Press DTMF keys (when next asked for input, or during a prompt with ``barge_in``).

        Raises:
            ValueError: not DTMF keys.
        """
        self._push(Press(digits, barge_in=barge_in))

    async def say(
        self,
        text: str,
        *,
        confidence: float = 0.93,
        recognised: bool = True,
        barge_in: bool = False,
    ) -> None:
        """Say words (``recognised=False`` makes a speech collector answer ``no_match``).

        Raises:
            ValueError: blank text or confidence outside 0..1.
        """
        self._push(Say(text, confidence=confidence, recognised=recognised, barge_in=barge_in))

    async def silence(self, seconds: float | None = None) -> None:
        """Stay silent: for the next input (``None``), or for ``seconds`` of simulated time."""
        self._push(Silence(seconds))

    async def hangup(self) -> None:
        """Hang up now (``cancel`` before the call was answered, ``hangup`` after)."""
        call = self._call
        self._server.act(lambda: self._server.switch.remote_hangup(call))

    # ------------------------------------------------------------------ waiting
    async def wait_state(self, state: str, *, timeout: float | None = DEFAULT_TIMEOUT) -> str:
        """Wait until the call reaches ``state`` (or a later one); return the current state.

        Raises:
            ValueError: unknown state.
            EmulatorTimeout: not in time.
        """
        if state not in _ORDER:
            raise ValueError(f"unknown call state {state!r}")
        target = _ORDER[state]

        def reached() -> str | None:
            return self.state if _ORDER[self.state] >= target else None

        return await self._server.wait_until(
            reached, timeout=timeout, what=f"{self.call_id} to be {state}"
        )

    async def wait_answered(self, *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        """Wait until the call is answered.

        Raises:
            AssertionError: the call ended without being answered.
            EmulatorTimeout: not in time.
        """
        await self.wait_state("answered", timeout=timeout)
        if self._call.answered_at is None:
            raise AssertionError(f"{self.call_id} ended ({self.end_reason}) without being answered")

    async def wait_ended(self, *, timeout: float | None = DEFAULT_TIMEOUT) -> str:
        """Wait until the call ended; return the end reason.

        Raises:
            EmulatorTimeout: not in time.
        """
        await self.wait_state("ended", timeout=timeout)
        return self.end_reason

    async def wait_heard(self, text: str, *, timeout: float | None = DEFAULT_TIMEOUT) -> str:
        """Wait until something containing ``text`` was played to this party; return it.

        Raises:
            EmulatorTimeout: not in time.
        """

        def found() -> str | None:
            return next((item for item in self._call.party.heard if text in item), None)

        return await self._server.wait_until(
            found, timeout=timeout, what=f"{self.call_id} to hear {text!r}"
        )

    async def wait_connected(self, *, timeout: float | None = DEFAULT_TIMEOUT) -> str:
        """Wait until the call is bridged to another party; return that party's number.

        Raises:
            EmulatorTimeout: not in time.
        """
        return await self._server.wait_until(
            lambda: self.connected_to, timeout=timeout, what=f"{self.call_id} to be connected"
        )

    async def wait_input_taken(self, *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        """Wait until every queued intent was taken by the switch.

        Raises:
            EmulatorTimeout: not in time.
        """
        await self._server.wait_until(
            lambda: True if not self._call.party.intents else None,
            timeout=timeout,
            what=f"{self.call_id} to use up its script",
        )
