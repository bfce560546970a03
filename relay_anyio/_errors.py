"""RelayError, the one exception type the client raises for RELAY failures.

The core reports failures as events (``RequestFailed``, ``RequestTimedOut``, ``DialFailed``,
``AuthRejected``); this module turns them into ``RelayError(code, message)`` with exactly the
codes and messages the official SDK uses (spec 8.5), so ``except RelayError`` code ports as is.
Timeouts are :class:`RelayTimeoutError`, both a ``RelayError`` and a ``TimeoutError`` (the
official docs promise ``TimeoutError`` for ``dial_timeout``; the SDK raises ``RelayError``).
"""

from __future__ import annotations

import socket
import ssl
from types import TracebackType

from relay_proto import (
    AuthRejected,
    DialFailed,
    InvalidCommandError,
    LocalProtocolError,
    RequestFailed,
    RequestTimedOut,
)

__all__ = [
    "ConnectCertificateError",
    "ConnectDNSError",
    "ConnectRefusedError",
    "ConnectTLSError",
    "ConnectTimeoutError",
    "RelayConnectError",
    "RelayError",
    "RelayTimeoutError",
    "SessionReplacedError",
    "core_errors",
    "error_from_event",
]


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


class SessionReplacedError(RelayError):
    """The server started a new session instead of resuming this client's (it restarted and
    lost its state, or asked for a fresh session): the calls, actions, dials and message waits
    of the old session are over. Raised by every wait on them, at once; the call's ``state``
    is ``"ended"``. A :class:`RelayError` with code ``-1``.

    Attributes:
        previous_protocol: the protocol string of the session that is gone.
    """

    def __init__(self, code: int, message: str, previous_protocol: str = "") -> None:
        super().__init__(code, message)
        self.previous_protocol = previous_protocol

    def __reduce__(self) -> tuple[type[RelayError], tuple[int, str, str]]:  # type: ignore[override]
        return (type(self), (self.code, self.message, self.previous_protocol))


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


class RelayConnectError(OSError):
    """The connection to the RELAY host could not be opened (``connect()``). The message names
    the host and the cause; the original error is its ``__cause__``.

    Both adapters raise the same classes. Each cause also has the standard type a program may
    already catch: :class:`ConnectDNSError` is a ``socket.gaierror``,
    :class:`ConnectRefusedError` a ``ConnectionRefusedError``, :class:`ConnectTLSError` an
    ``ssl.SSLError`` (:class:`ConnectCertificateError` an ``ssl.SSLCertVerificationError``),
    :class:`ConnectTimeoutError` a ``TimeoutError``; all are ``OSError``.

    Attributes:
        host: the ``host:port`` that was tried.
        cause: ``"dns"``, ``"refused"``, ``"tls"``, ``"certificate"``, ``"timeout"`` or
            ``"network"`` (unreachable, reset, anything else).
    """

    def __init__(self, message: str, host: str = "", cause: str = "network") -> None:
        super().__init__(message)
        self.host = host
        self.cause = cause

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[type[RelayConnectError], tuple[str, str, str]]:
        return (type(self), (str(self), self.host, self.cause))


class ConnectDNSError(RelayConnectError, socket.gaierror):
    """The host name could not be resolved (mistyped or unknown host)."""


class ConnectRefusedError(RelayConnectError, ConnectionRefusedError):
    """Nothing listens on the host's port."""


class ConnectTLSError(RelayConnectError, ssl.SSLError):
    """The TLS handshake failed (not a TLS server, protocol mismatch...)."""


class ConnectCertificateError(ConnectTLSError, ssl.SSLCertVerificationError):
    """The server's certificate is not trusted (see ``SIGNALWIRE_RELAY_CA_FILE``)."""


class ConnectTimeoutError(RelayConnectError, TimeoutError):
    """The connection did not open in time."""


class _CoreErrors:
    """See :func:`core_errors` (a class, not a generator: it wraps every request)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, LocalProtocolError) and not isinstance(exc, InvalidCommandError):
            raise RelayError(-1, str(exc)) from None


_CORE_ERRORS = _CoreErrors()


def core_errors() -> _CoreErrors:
    """Report the core refusing a command in its current state (closed...) as a RelayError;
    invalid arguments stay ValueErrors."""
    return _CORE_ERRORS
