"""Personas: how a simulated number behaves when the client dials or connects to it.

A persona decides whether the far end answers (and after how long), is busy, never answers,
fails, declines, or is an answering machine or a fax; what a detector finds on it; and what
the person there does once the call is up (a script of intents, as for an inbound caller).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from ._outcomes import AIConversation, FaxOutcome, Payment
from ._script import Intent, coerce_script

__all__ = ["Persona"]

_ANSWERING_KINDS = frozenset({"human", "machine", "fax"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Persona:
    """Behaviour of a simulated number. Build one with the class methods.

    Attributes:
        kind: ``human``, ``machine``, ``fax``, ``busy``, ``no_answer``, ``fails`` or ``declines``.
        after: simulated seconds of ringing before it answers / rejects / fails.
        greeting_words: words of the machine greeting (machines) or of the first "Hello?"
            (humans); detection timing follows from it.
        hangup_after: once answered, hang up after this many simulated seconds (``None``: never
            on its own).
        script: intents of the person (or machine) at that number once the call is up.
        end_reason: reason reported when the call does not connect.
        greeting_pause_after: machines: the greeting pauses after this many words (``0``: no
            pause); a pause longer than the detector's ``end_silence_timeout`` makes it report
            ``READY`` then ``NOT_READY`` when the greeting resumes.
        greeting_pause: seconds of that pause.
        payment: what the party keys in to ``calling.pay`` and how the payment ends.
        ai: the conversation with a ``calling.ai`` agent (``None``: the agent runs until
            stopped).
        speech: what a transcription hears this party say (``calling.transcribe``, live
            transcription and translation), besides the ``Say`` intents it speaks meanwhile.
        translation: what a live translation of ``speech`` reads (default: ``speech`` tagged
            with the target language).
        fax_outcome: how a fax exchange with this party goes (fax machines only).
    """

    kind: str
    after: float = 1.0
    greeting_words: int = 1
    hangup_after: float | None = None
    script: tuple[Intent, ...] = field(default_factory=tuple)
    end_reason: str = ""
    greeting_pause_after: int = 0
    greeting_pause: float = 0.0
    payment: Payment = field(default_factory=Payment)
    ai: AIConversation | None = None
    speech: str = ""
    translation: str = ""
    fax_outcome: FaxOutcome = field(default_factory=FaxOutcome)

    def __post_init__(self) -> None:
        if self.after < 0:
            raise ValueError("after must not be negative")
        if self.hangup_after is not None and self.hangup_after < 0:
            raise ValueError("hangup_after must not be negative")
        if self.greeting_words < 0:
            raise ValueError("greeting_words must not be negative")
        if not 0 <= self.greeting_pause_after <= self.greeting_words or self.greeting_pause < 0:
            raise ValueError("the greeting pause must be inside the greeting and not negative")

    def scripted(
        self,
        *,
        payment: Payment | None = None,
        ai: AIConversation | None = None,
        speech: str | None = None,
        translation: str | None = None,
        fax: FaxOutcome | None = None,
    ) -> Persona:
        """A copy with scripted outcomes for the services a call uses (the others kept).

        ``Persona.human().scripted(payment=Payment.declined(), speech="I want a refund")``.
        """
        return dataclasses.replace(
            self,
            payment=payment or self.payment,
            ai=ai or self.ai,
            speech=self.speech if speech is None else speech,
            translation=self.translation if translation is None else translation,
            fax_outcome=fax or self.fax_outcome,
        )

    @property
    def picks_up(self) -> bool:
        """Whether calls to this persona get answered."""
        return self.kind in _ANSWERING_KINDS

    # ------------------------------------------------------------- constructors
    @classmethod
    def human(
        cls,
        *,
        after: float = 1.0,
        script: Sequence[Intent] = (),
        hangup_after: float | None = None,
    ) -> Persona:
        """A person who answers after ``after`` seconds and says "Hello?"."""
        return cls(
            kind="human",
            after=after,
            script=tuple(coerce_script(script)),
            hangup_after=hangup_after,
        )

    @classmethod
    def answers(
        cls,
        after: float = 1.0,
        *,
        script: Sequence[Intent] = (),
        hangup_after: float | None = None,
    ) -> Persona:
        """A person who answers after ``after`` seconds (same as :meth:`human`)."""
        return cls.human(after=after, script=script, hangup_after=hangup_after)

    @classmethod
    def machine(
        cls,
        *,
        greeting_words: int = 12,
        after: float = 1.0,
        hangup_after: float | None = None,
        pause_after: int = 0,
        pause: float = 2.0,
    ) -> Persona:
        """An answering machine: answers, plays a greeting of ``greeting_words`` words, beeps,
        then records in silence. Detectors report ``MACHINE`` then ``READY``.

        With ``pause_after``, the greeting stops for ``pause`` seconds after that many words
        ("Hi, this is Sam. ... Leave a message"): a detector waiting for the end of the message
        reports ``READY`` in the pause, ``NOT_READY`` when the greeting resumes, and ``READY``
        again at the beep."""
        return cls(
            kind="machine",
            after=after,
            greeting_words=greeting_words,
            hangup_after=hangup_after,
            greeting_pause_after=pause_after,
            greeting_pause=pause if pause_after else 0.0,
        )

    @classmethod
    def fax(cls, *, after: float = 1.0) -> Persona:
        """A fax machine: answers and sends a CED tone."""
        return cls(kind="fax", after=after, greeting_words=0)

    @classmethod
    def busy(cls, *, after: float = 0.5) -> Persona:
        """Busy: the leg ends with ``busy`` after ``after`` seconds."""
        return cls(kind="busy", after=after, end_reason="busy")

    @classmethod
    def no_answer(cls) -> Persona:
        """Rings until the device ``timeout`` (30 s by default), then ends with ``noAnswer``."""
        return cls(kind="no_answer", after=0.0, end_reason="noAnswer")

    @classmethod
    def fails(cls, *, reason: str = "error", after: float = 0.2) -> Persona:
        """The leg fails (``error`` by default; ``not_found`` for an unknown number)."""
        return cls(kind="fails", after=after, end_reason=reason)

    @classmethod
    def declines(cls, *, after: float = 1.0) -> Persona:
        """Rings, then the person rejects the call (``decline``)."""
        return cls(kind="declines", after=after, end_reason="decline")
