"""RelayError, the one exception type the client raises for RELAY failures.

The core reports failures as events (``RequestFailed``, ``RequestTimedOut``, ``DialFailed``,
``AuthRejected``); this module turns them into ``RelayError(code, message)`` with exactly the
codes and messages the official SDK uses (spec 8.5), so ``except RelayError`` code ports as is.
"""

from __future__ import annotations

from relay_proto import AuthRejected, DialFailed, RequestFailed, RequestTimedOut

__all__ = ["RelayError", "error_from_event"]


class RelayError(Exception):
    """An error reported by the RELAY server, or a client-side failure with code ``-1``.

    ``str(error)`` is ``"RELAY error <code>: <message>"``.

    Attributes:
        code: the server's error or result code (an ``int``), or ``-1`` for client-side failures
            (``"Request timeout for <method>"``, ``"Connection closed"``,
            ``"Dial failed (tag=<tag>)"``, ``"Client disconnected"`` ...).
        message: the server's message, or the client-side message.
    """

    # Reported (repr, tracebacks) under the package it is imported from, not this module.
    __module__ = __name__.rpartition(".")[0]

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"RELAY error {code}: {message}")

    def __reduce__(self) -> tuple[type[RelayError], tuple[int, str]]:
        # Exception pickles self.args (the rendered text); rebuild from code and message.
        return (type(self), (self.code, self.message))


def error_from_event(
    event: RequestFailed | RequestTimedOut | DialFailed | AuthRejected,
) -> RelayError:
    """The :class:`RelayError` a failure event stands for (spec 8.5 messages)."""
    if isinstance(event, RequestTimedOut):
        return RelayError(-1, f"Request timeout for {event.method}")
    return RelayError(event.code, event.message or "Unknown error")
