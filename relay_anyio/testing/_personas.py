"""Personas: how a simulated number behaves when the client dials or connects to it.

A persona decides whether the far end answers (and after how long), is busy, never answers,
fails, declines, or is an answering machine or a fax; what a detector finds on it; and what
the person there does once the call is up (a script of intents, as for an inbound caller).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    """

    kind: str
    after: float = 1.0
    greeting_words: int = 1
    hangup_after: float | None = None
    script: tuple[Intent, ...] = field(default_factory=tuple)
    end_reason: str = ""

    def __post_init__(self) -> None:
        if self.after < 0:
            raise ValueError("after must not be negative")
        if self.hangup_after is not None and self.hangup_after < 0:
            raise ValueError("hangup_after must not be negative")
        if self.greeting_words < 0:
            raise ValueError("greeting_words must not be negative")

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
    ) -> Persona:
        """An answering machine: answers, plays a greeting of ``greeting_words`` words, beeps,
        then records in silence. Detectors report ``MACHINE`` then ``READY``."""
        return cls(
            kind="machine",
            after=after,
            greeting_words=greeting_words,
            hangup_after=hangup_after,
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
