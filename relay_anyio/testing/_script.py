"""What a remote party does: the intents a scripted caller (or a dialled persona) works through.

A call's remote party keeps a queue of intents. *Input* intents (:class:`Press`, :class:`Say`,
:class:`Silence`) wait at the head of the queue until the switch asks the party for input: a
collect, a prompt-and-collect, a recording, a digit detector or a digit binding. The control
intent :class:`Hangup` is taken the same way (the caller hangs up instead of answering the next
prompt), or on its own after ``after`` simulated seconds at the head of the queue.

These are plain frozen values, validated when built, so a bad script fails in the test that
wrote it rather than deep inside the switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

__all__ = [
    "DTMF_KEYS",
    "Hangup",
    "Intent",
    "Press",
    "Say",
    "Silence",
    "coerce_script",
]

# Keys a caller can press (RFC 4733 events 0-15).
DTMF_KEYS = frozenset("0123456789*#ABCD")


@dataclass(frozen=True, slots=True)
class Press:
    """Press DTMF keys, one every 0.25 simulated seconds.

    Args:
        digits: keys among ``0-9 * # A-D``.
        barge_in: press as soon as a prompt starts instead of waiting for it to end.

    Raises:
        ValueError: empty ``digits`` or a character that is not a DTMF key.
    """

    digits: str
    barge_in: bool = False

    def __post_init__(self) -> None:
        if not self.digits:
            raise ValueError("Press needs at least one key")
        bad = sorted(set(self.digits) - DTMF_KEYS)
        if bad:
            raise ValueError(f"not DTMF keys: {''.join(bad)!r} (use 0-9 * # A-D)")


@dataclass(frozen=True, slots=True)
class Say:
    """Speak words (0.4 simulated seconds per word).

    Args:
        text: what the caller says; a speech collector returns it as the result text.
        confidence: recogniser confidence reported with the result (0..1).
        recognised: ``False`` makes a speech collector answer ``no_match`` (mumbling).
        barge_in: speak as soon as a prompt starts.

    Raises:
        ValueError: blank ``text`` or ``confidence`` outside 0..1.
    """

    text: str
    confidence: float = 0.93
    recognised: bool = True
    barge_in: bool = False

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("Say needs some words")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError("confidence must be between 0 and 1")

    @property
    def words(self) -> int:
        """Number of words spoken."""
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class Silence:
    """Stay silent.

    Args:
        seconds: ``None`` stays silent until the current input gives up (a collect answers
            ``no_input`` after its initial timeout); a number stays silent for that long and then
            moves on to the next intent.

    Raises:
        ValueError: a negative duration.
    """

    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.seconds is not None and self.seconds < 0:
            raise ValueError("Silence seconds must not be negative")


@dataclass(frozen=True, slots=True)
class Hangup:
    """Hang up.

    Args:
        after: ``None`` hangs up when next asked for input; a number hangs up that many simulated
            seconds after this intent reaches the head of the script, or earlier if asked for
            input first.

    Raises:
        ValueError: a negative delay.
    """

    after: float | None = None

    def __post_init__(self) -> None:
        if self.after is not None and self.after < 0:
            raise ValueError("Hangup after must not be negative")


Intent = Union[Press, Say, Silence, Hangup]  # noqa: UP007 - a runtime alias, py3.10 safe
"""Anything a remote party can do."""


def coerce_script(script: object) -> list[Intent]:
    """Validate a script: a sequence of intents; a bare string is shorthand for ``Press``.

    Raises:
        TypeError: the script or one of its items has the wrong type.
    """
    if script is None:
        return []
    if isinstance(script, (str, bytes)) or not hasattr(script, "__iter__"):
        raise TypeError("script must be a list of Press/Say/Silence/Hangup intents")
    out: list[Intent] = []
    for item in script:
        if isinstance(item, str):
            out.append(Press(item))
        elif isinstance(item, (Press, Say, Silence, Hangup)):
            out.append(item)
        else:
            raise TypeError(f"not a caller intent: {item!r}")
    return out
