"""RelayError, the one exception type the client raises for RELAY failures.

The core reports failures as events (``RequestFailed``, ``RequestTimedOut``, ``DialFailed``,
``AuthRejected``); this module turns them into ``RelayError(code, message)`` with exactly the
codes and messages the official SDK uses (spec 8.5), so ``except RelayError`` code ports as is.
Timeouts are :class:`RelayTimeoutError`, both a ``RelayError`` and a ``TimeoutError`` (the
official docs promise ``TimeoutError`` for ``dial_timeout``; the SDK raises ``RelayError``).
"""

from __future__ import annotations

from relay_proto import AuthRejected, DialFailed, RequestFailed, RequestTimedOut

__all__ = ["RelayError", "RelayTimeoutError", "error_from_event"]


class RelayError(Exception):
    """An error reported by the RELAY server, or a client-side failure with code ``-1``.

    ``str(error)`` is ``"RELAY error <code>: <message>"``.

    Attributes:
        code: the server's error or result code (an ``int``), or ``-1`` for client-side failures
            (``"Request timeout for <method>"``, ``"Connection closed"``,
            ``"Dial failed (tag=<tag>)"``, ``"Client disconnected"`` ...).
        message: the server's message, or the client-side message. A failed dial's message
            ends with the reason the service gave: ``"Dial failed (tag=<tag>): busy"``.
        reason: for a failed dial, the reason the service gave (``"busy"``, ``"noAnswer"``,
            ``"decline"``, ``"error"`` ...); ``""`` when it gave none, and for other errors.
    """

    # Reported (repr, tracebacks) under the package it is imported from, not this module.
    __module__ = __name__.rpartition(".")[0]

    def __init__(self, code: int, message: str, *, reason: str = "") -> None:
        self.code = code
        self.message = message
        self.reason = reason
        super().__init__(f"RELAY error {code}: {message}")

    def __reduce__(
        self,
    ) -> tuple[type[RelayError], tuple[int, str], dict[str, str]]:
        # Exception pickles self.args (the rendered text); rebuild from code and message.
        return (type(self), (self.code, self.message), {"reason": self.reason})


class RelayTimeoutError(RelayError, TimeoutError):
    """A :class:`RelayError` that is also a :class:`TimeoutError`: ``dial()`` got no answer
    within ``dial_timeout`` (``"Dial timed out waiting for answer (tag=<tag>)"``), or a request
    got no reply in time (``"Request timeout for <method>"``). Code ``-1``, as with the official
    SDK, whose docs promise a ``TimeoutError`` here; ``except RelayError`` still catches it.
    """

    __module__ = __name__.rpartition(".")[0]


def error_from_event(
    event: RequestFailed | RequestTimedOut | DialFailed | AuthRejected,
) -> RelayError:
    """The :class:`RelayError` a failure event stands for (spec 8.5 messages); a timeout gives
    a :class:`RelayTimeoutError`, a failed dial carries the service's ``reason``."""
    if isinstance(event, RequestTimedOut):
        return RelayTimeoutError(-1, f"Request timeout for {event.method}")
    if isinstance(event, DialFailed):
        kind = RelayTimeoutError if event.timed_out else RelayError
        return kind(event.code, event.message or "Unknown error", reason=event.reason)
    return RelayError(event.code, event.message or "Unknown error")
