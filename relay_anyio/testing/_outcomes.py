"""Scripted outcomes of the services a call uses: payments, AI agents, faxes.

These are plain frozen values a test attaches to a remote party's :class:`~._personas.Persona`
(``Persona.human().scripted(payment=Payment.declined())``): the caller of an inbound call, or
the number a client dials. The simulated switch reads them when the client starts the matching
action on that call. Without one, the happy path runs: the payment succeeds, the fax goes
through, the AI agent talks until it is stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AIConversation", "FaxOutcome", "Payment", "card_type"]

PAYMENT_RESULTS = ("success", "declined", "invalid_card", "timeout", "error")


def _luhn(number: str) -> bool:
    digits = [int(d) for d in number]
    odd = digits[-1::-2]
    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(odd) + sum(even)) % 10 == 0


def card_type(number: str) -> str:
    """The card network of a card number, from its prefix (``visa``, ``amex``...)."""
    if number.startswith(("34", "37")):
        return "amex"
    if number.startswith(("51", "52", "53", "54", "55", "2")):
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    if number.startswith("35"):
        return "jcb"
    if number.startswith(("36", "38")):
        return "diners-club"
    return "visa" if number.startswith("4") else "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment:
    """What the party keys in to ``calling.pay`` and what the payment connector answers.

    Attributes:
        result: ``success``; ``declined`` (the connector refuses the card); ``invalid_card``
            (the card number fails its check digit at every attempt); ``timeout`` (the party
            keys in nothing); ``error`` (the connector fails with ``error_code`` /
            ``error_message``).
        card_number, expiration_date (MMYY), security_code, postal_code: what is keyed in.

    Raises:
        ValueError: an unknown result, or fields that are not digits.
    """

    result: str = "success"
    card_number: str = "4111111111111111"
    expiration_date: str = "1230"
    security_code: str = "123"
    postal_code: str = "94105"
    error_code: str = "500"
    error_message: str = "payment connector unavailable"

    def __post_init__(self) -> None:
        if self.result not in PAYMENT_RESULTS:
            raise ValueError(f"result must be one of {', '.join(PAYMENT_RESULTS)}")
        for name in ("card_number", "expiration_date", "security_code", "postal_code"):
            if not getattr(self, name).isdigit():
                raise ValueError(f"{name} must be digits")
        if self.result == "invalid_card" and _luhn(self.card_number):
            raise ValueError("an invalid_card payment needs a card number failing its check")

    @property
    def card_valid(self) -> bool:
        """Whether the card number passes its check digit (Luhn)."""
        return _luhn(self.card_number)

    @classmethod
    def success(cls, card_number: str = "4111111111111111") -> Payment:
        """The card is accepted and charged."""
        return cls(card_number=card_number)

    @classmethod
    def declined(cls, card_number: str = "4000000000000002") -> Payment:
        """A valid card number that the connector declines."""
        return cls(result="declined", card_number=card_number)

    @classmethod
    def invalid_card(cls, card_number: str = "4111111111111112") -> Payment:
        """The party keys in a card number with a wrong check digit, at every attempt."""
        return cls(result="invalid_card", card_number=card_number)

    @classmethod
    def timeout(cls) -> Payment:
        """The party keys in nothing: every attempt times out."""
        return cls(result="timeout")

    @classmethod
    def error(cls, code: str = "500", message: str = "payment connector unavailable") -> Payment:
        """The connector fails while charging."""
        return cls(result="error", error_code=code, error_message=message)


@dataclass(frozen=True, slots=True, kw_only=True)
class AIConversation:
    """A conversation between the party and a ``calling.ai`` agent.

    Attributes:
        caller: what the party says, one line per turn.
        agent: what the agent answers, one line per turn (missing answers are ``"OK."``).
        summary: the agent's summary of the call, reported when the session ends
            (default: the party's lines joined).
        result: ``success``; ``error`` ends the session with ``state: error``.
        caller_hangs_up: the party hangs up after the last turn; otherwise the agent ends its
            session and the call stays up for the client.

    Raises:
        ValueError: no turns, a blank line, or an unknown result.
    """

    caller: tuple[str, ...]
    agent: tuple[str, ...] = ()
    summary: str = ""
    result: str = "success"
    caller_hangs_up: bool = False

    def __post_init__(self) -> None:
        if not self.caller or any(not line.strip() for line in self.caller + self.agent):
            raise ValueError("an AI conversation needs non-blank caller lines")
        if self.result not in ("success", "error"):
            raise ValueError("result must be success or error")
        object.__setattr__(self, "caller", tuple(self.caller))
        object.__setattr__(self, "agent", tuple(self.agent))

    def reply(self, turn: int) -> str:
        """The agent's answer to turn ``turn`` (0-based)."""
        return self.agent[turn] if turn < len(self.agent) else "OK."

    @property
    def summary_text(self) -> str:
        """The summary reported at the end."""
        return self.summary or " ".join(self.caller)


@dataclass(frozen=True, slots=True, kw_only=True)
class FaxOutcome:
    """How a fax exchange with a fax machine goes.

    Attributes:
        pages: pages transferred when it succeeds.
        fails_after: fail after this many pages (``None``: succeed).
        error: the ``result_text`` of a failure.

    Raises:
        ValueError: negative or zero pages, or ``fails_after`` beyond ``pages``.
    """

    pages: int = 1
    fails_after: int | None = None
    error: str = "communication error"

    def __post_init__(self) -> None:
        if self.pages < 1:
            raise ValueError("a fax has at least one page")
        if self.fails_after is not None and not 0 <= self.fails_after < self.pages:
            raise ValueError("fails_after must be between 0 and pages - 1")
