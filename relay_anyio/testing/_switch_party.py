"""The remote parties of the simulated switch: each call's far end working through its script.

:class:`RemoteParties` is a base of :class:`~relay_anyio.testing._switch.Switch` (see its theory
of operation, "Remote parties"): it starts a party's script when the call is up, hands the
intent at the head of the queue to the input consumer that wants it (a collection, a digit
binding, a recording) or runs the head's own timer, holds the caller timeouts of undecided
parties (``idle_callers="wait"``), and turns a ``Hangup`` into the end of the call. It keeps no
state of its own: everything lives on :class:`~._model.Party`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ._model import InputConsumer, InputListener, SimCall
from ._scheduler import DeferredTimer, Timer
from ._script import Hangup, Intent, Press, Say, Silence, coerce_script

__all__ = ["RemoteParties"]


class RemoteParties:
    """The remote-party half of :class:`~relay_anyio.testing._switch.Switch`."""

    # Provided by Switch.
    now: float
    idle_callers: str

    if TYPE_CHECKING:

        def later(
            self, delay: float, callback: Callable[[], None], call: SimCall | None = None
        ) -> Timer: ...

        def log(
            self, subject: SimCall | str | None, text: str, *, t: float | None = None
        ) -> None: ...

        def end_call(self, call: SimCall, reason: str, *, by: str, text: str = "") -> None: ...

        def _idle_consumer(self, call: SimCall, head: Intent) -> InputConsumer | None: ...

    def start_script(self, call: SimCall) -> None:
        """The call is up: the party starts working through its intents."""
        party = call.party
        if party.started:
            return
        party.started = True
        if party.persona.hangup_after is not None:
            self.later(party.persona.hangup_after, lambda: self.remote_hangup(call), call)
        self._advance_party(call)

    def push_intent(self, call: SimCall, intent: Intent) -> None:
        """Append an intent to the party's queue (interactive scripting)."""
        call.party.intents.extend(coerce_script([intent]))
        self._decided(call)
        if len(call.party.intents) == 1:
            self._advance_party(call)

    def caller_timeout(
        self,
        call: SimCall,
        delay: float,
        callback: Callable[[], None],
        consumer: InputConsumer,
    ) -> DeferredTimer:
        """A timer waiting for the remote party to give ``consumer`` some input.

        With ``idle_callers="wait"``, while the party has nothing in its script (and did not
        choose ``Silence()`` for this consumer), it only starts counting once the party gets an
        intent (see the ``idle_callers`` argument of :class:`~._switch.Switch`).
        """
        party = call.party
        handle = DeferredTimer()

        def arm() -> None:
            if not handle.cancelled and not call.ended:
                handle.arm(self.later(delay, callback, call))

        undecided = not party.intents and party.busy_until <= self.now
        if self.idle_callers == "wait" and undecided and party.silent_for is not consumer:
            party.undecided.append(arm)
        else:
            arm()
        return handle

    def _decided(self, call: SimCall) -> None:
        held, call.party.undecided = call.party.undecided, []
        for start in held:
            start()

    def request_input(self, call: SimCall, consumer: InputConsumer) -> None:
        """``consumer`` wants the party's next intent (now, or when there is one)."""
        call.party.waiting = consumer
        self._advance_party(call)

    def cancel_input(self, call: SimCall, consumer: InputConsumer) -> None:
        """``consumer`` no longer wants input (nor to listen)."""
        if call.party.waiting is consumer:
            call.party.waiting = None
        if consumer in call.party.recorders:
            call.party.recorders.remove(consumer)

    def listen_input(self, call: SimCall, listener: InputListener) -> None:
        """A recording listens to the party until :meth:`cancel_input`.

        Scripted intents are answers to prompts: they go to the next input collection
        (collect, prompt-and-collect, digit detector) even if a recording started earlier, and
        every listening recording records them too. A recording takes the party's input itself
        only when no collection wants it and the party has heard a prompt since it last gave
        input (a play, or the recording's beep): the voicemail after "leave a message".
        """
        if listener not in call.party.recorders:
            call.party.recorders.append(listener)
        self._advance_party(call)

    def prompted(self, call: SimCall) -> None:
        """Something was played to the party: its next input answers that prompt."""
        call.party.prompted = True
        self._advance_party(call)

    def _answering_recorder(self, call: SimCall) -> InputConsumer | None:
        party = call.party
        # A prompt-and-collect still playing its prompt is the one being answered.
        if any(getattr(action, "prompting", False) for action in call.actions.values()):
            return None
        if party.answering is not None and party.answering in party.recorders:
            # The party goes on speaking into it, once it has finished its last sentence.
            return None if getattr(party.answering, "busy", False) else party.answering
        if not party.recorders or not party.prompted:
            return None
        return party.recorders[-1]

    def nudge(self, call: SimCall) -> None:
        """Look at the party's script again: a new listener may take what waits at its head."""
        self._advance_party(call)

    def _advance_party(self, call: SimCall) -> None:
        # Hand the head intent to a waiting consumer, or arm the head's own timer.
        party = call.party
        if call.ended or not party.started or party.busy_until > self.now:
            return
        if party.head_timer is not None:
            party.head_timer.cancel()
            party.head_timer = None
        if not party.intents:
            return
        head = party.intents[0]
        if isinstance(head, Silence) and head.seconds is not None:
            party.intents.popleft()
            party.busy_until = self.now + head.seconds
            self.log(call, f"{call.who} silent for {head.seconds:g} s")
            party.head_timer = self.later(head.seconds, lambda: self._advance_party(call), call)
            return
        consumer = (
            party.waiting or self._idle_consumer(call, head) or self._answering_recorder(call)
        )
        if consumer is None:
            if isinstance(head, Hangup) and head.after is not None:
                party.head_timer = self.later(head.after, lambda: self._do_hangup(call), call)
            return
        party.intents.popleft()
        party.waiting = None
        if isinstance(head, Hangup):
            self.remote_hangup(call)
            return
        party.silent_for = consumer if isinstance(head, Silence) else None
        party.prompted = False
        party.answering = consumer if consumer in party.recorders else None
        overhearing = [recorder for recorder in party.recorders if recorder is not consumer]
        consumer.take(head)
        for recorder in overhearing:
            if recorder in party.recorders and hasattr(recorder, "overhear"):
                recorder.overhear(head)
        for listener in list(call.listeners):  # transcribers and AI agents hear it too
            listener(head)
        # Arm the timer of whatever is at the head now (a consumer may already have taken it).
        self._advance_party(call)

    def take_barge_in(self, call: SimCall) -> Intent | None:
        """Pop the head intent if it interrupts prompts (``barge_in``); else ``None``."""
        party = call.party
        if not party.started or party.busy_until > self.now or not party.intents:
            return None
        head = party.intents[0]
        if isinstance(head, (Press, Say)) and head.barge_in:
            if party.head_timer is not None:
                party.head_timer.cancel()
                party.head_timer = None
            return party.intents.popleft()
        return None

    def _do_hangup(self, call: SimCall) -> None:
        if call.party.intents and isinstance(call.party.intents[0], Hangup):
            call.party.intents.popleft()
        self.remote_hangup(call)

    def remote_hangup(self, call: SimCall) -> None:
        """The remote party hangs up (``cancel`` before answer, ``hangup`` after)."""
        reason = "hangup" if call.answered_at is not None else "cancel"
        self.end_call(call, reason, by=call.party.number)
