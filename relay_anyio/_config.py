"""Constructor settings of RelayClient: environment fallbacks and their validation (spec 8.1,
1.12), and the process-wide connection limit (``RELAY_MAX_CONNECTIONS``).

Every rule here matches the official SDK except where a decision says otherwise: the host may
also be a ``ws://``/``wss://`` URL (D24) and ``RELAY_MAX_CONNECTIONS`` is read at each connect
rather than once at import (spec open question 15).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from relay_proto import Endpoint, parse_host

from ._errors import (
    ConnectCertificateError,
    ConnectDNSError,
    ConnectRefusedError,
    ConnectTimeoutError,
    ConnectTLSError,
    RelayConnectError,
)

__all__ = [
    "CA_FILE_ENV",
    "ConnectionSlots",
    "Settings",
    "connect_error",
    "describe_error",
    "make_ssl_context",
    "new_id",
    "report_open_failure",
    "resolve_settings",
    "uuid4_strings",
]

DEFAULT_HOST = "relay.signalwire.com"
DEFAULT_MAX_ACTIVE_CALLS = 1000
DEFAULT_MAX_CONNECTIONS = 1
# A PEM CA bundle trusted for wss:// besides the system store (D22).
CA_FILE_ENV = "SIGNALWIRE_RELAY_CA_FILE"


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved constructor arguments."""

    project: str
    token: str
    jwt_token: str
    host: str
    endpoint: Endpoint
    contexts: list[str]
    max_active_calls: int


def _env(name: str) -> str:
    return os.environ.get(name, "")


def _int_env(name: str, default: int) -> int:
    # As the SDK: a missing or invalid value gives the default; anything below 1 becomes 1.
    text = _env(name)
    if not text:
        return default
    try:
        return max(1, int(text))
    except ValueError:
        return default


def resolve_settings(
    project: str | None,
    token: str | None,
    jwt_token: str | None,
    host: str | None,
    contexts: list[str] | None,
    max_active_calls: int | None,
) -> Settings:
    """Apply the environment fallbacks (empty strings count as not given) and validate.

    Raises:
        TypeError: an argument of the wrong type (``project=123``, ``contexts="office"``...),
            naming the argument and the type given.
        ValueError: without a JWT, a missing project (checked first) or token, naming the
            variable that supplies it; an invalid host, saying why; bad contexts.
    """
    for name, value in (
        ("project", project),
        ("token", token),
        ("jwt_token", jwt_token),
        ("host", host),
    ):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string, not {_type_name(value)}: {value!r}")
    if max_active_calls is not None and (
        not isinstance(max_active_calls, int) or isinstance(max_active_calls, bool)
    ):
        raise TypeError(
            f"max_active_calls must be an int, not {_type_name(max_active_calls)}: "
            f"{max_active_calls!r}"
        )
    project = project or _env("SIGNALWIRE_PROJECT_ID")
    token = token or _env("SIGNALWIRE_API_TOKEN")
    jwt_token = jwt_token or _env("SIGNALWIRE_JWT_TOKEN")
    host = host or _env("SIGNALWIRE_SPACE") or DEFAULT_HOST
    if not jwt_token:
        if not project:
            raise ValueError(
                "project is required: pass project=... or set SIGNALWIRE_PROJECT_ID "
                "(or authenticate with jwt_token=... / SIGNALWIRE_JWT_TOKEN instead)"
            )
        if not token:
            raise ValueError(
                "token is required: pass token=... or set SIGNALWIRE_API_TOKEN "
                "(or authenticate with jwt_token=... / SIGNALWIRE_JWT_TOKEN instead)"
            )
    try:
        endpoint = parse_host(host)
    except ValueError as exc:
        raise ValueError(f"invalid host (host= or SIGNALWIRE_SPACE): {exc}") from None
    context_list = _check_contexts(contexts)
    if max_active_calls is not None:
        limit = max(1, int(max_active_calls))
    else:
        limit = _int_env("RELAY_MAX_ACTIVE_CALLS", DEFAULT_MAX_ACTIVE_CALLS)
    return Settings(project, token, jwt_token, host, endpoint, context_list, limit)


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_contexts(contexts: Any) -> list[str]:
    if contexts is None:
        return []
    if isinstance(contexts, (str, bytes)):
        # A lone string would otherwise be split into one-letter contexts.
        raise TypeError(f"contexts must be a list of strings, not the string {contexts!r}")
    if isinstance(contexts, dict) or not hasattr(contexts, "__iter__"):
        raise TypeError(
            f"contexts must be a list of strings, not {_type_name(contexts)}: {contexts!r}"
        )
    result = list(contexts)
    for context in result:
        if not isinstance(context, str):
            raise TypeError(
                f"contexts must be a list of strings; {context!r} is {_type_name(context)}"
            )
        if not context:
            raise ValueError("contexts must be non-empty strings, got ''")
    return result


class ConnectionSlots:
    """The process-wide count of connected (or connecting) clients.

    Weak references: a client that is garbage-collected gives its slot back.
    """

    def __init__(self) -> None:
        self._holders: weakref.WeakSet[Any] = weakref.WeakSet()

    def acquire(self, holder: object) -> None:
        """Take a slot for ``holder`` (no-op if it holds one).

        Raises:
            RuntimeError: ``RELAY_MAX_CONNECTIONS`` (read now) clients already hold one.
        """
        if holder in self._holders:
            return
        limit = _int_env("RELAY_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS)
        others = len(self._holders)
        if others >= limit:
            raise RuntimeError(
                f"RelayClient connection limit reached ({limit}): {others} client(s) already "
                "connected in this process. Disconnect one first, or raise the limit with the "
                "RELAY_MAX_CONNECTIONS environment variable."
            )
        self._holders.add(holder)

    def release(self, holder: object) -> None:
        """Give ``holder``'s slot back (no-op if it holds none)."""
        self._holders.discard(holder)


def new_id() -> str:
    """A random UUID (version 4) as a string: the client's request, control and tag ids.

    What ``str(uuid.uuid4())`` gives, built from ``os.urandom`` directly: importing
    :mod:`uuid` would import :mod:`platform` too (about 0.25 MB), and this is about twice as
    fast.
    """
    return _uuid4_text(os.urandom(16).hex())


def uuid4_strings(count: int) -> Iterator[str]:
    """``count`` ids as :func:`new_id` makes them, from one ``os.urandom`` read."""
    raw = os.urandom(16 * count).hex()
    return iter([_uuid4_text(raw[start : start + 32]) for start in range(0, 32 * count, 32)])


def _uuid4_text(h: str) -> str:
    # h: 32 random hex digits. Version 4 in the 13th digit; the variant (binary 10) in the top
    # bits of the 17th.
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


_VARIANT = "89ab"


def make_ssl_context(endpoint: Endpoint) -> ssl.SSLContext | None:
    """The TLS context for ``endpoint`` (``None`` for ``ws://``).

    Raises:
        OSError: the file named by ``SIGNALWIRE_RELAY_CA_FILE`` cannot be read.
        ssl.SSLError: that file is not a PEM CA bundle.
    """
    if not endpoint.secure:
        return None
    context = ssl.create_default_context()
    ca_file = os.environ.get(CA_FILE_ENV, "")
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def describe_error(error: BaseException) -> str:
    """A short reason for logs and for ``RelayConnection.connect_failed``."""
    text = str(error)
    name = type(error).__name__
    return f"{name}: {text}" if text else name


# Causes of a failed open, most specific first: (cause, standard type, what it means).
_CAUSES: tuple[tuple[str, type[BaseException], str], ...] = (
    ("dns", socket.gaierror, "the host name could not be resolved"),
    ("certificate", ssl.SSLCertVerificationError, "the server's certificate is not trusted"),
    ("tls", ssl.SSLError, "the TLS handshake failed"),
    ("refused", ConnectionRefusedError, "connection refused (nothing listens there)"),
    ("timeout", TimeoutError, "timed out"),
)
_ERROR_TYPES: dict[str, type[RelayConnectError]] = {
    "dns": ConnectDNSError,
    "certificate": ConnectCertificateError,
    "tls": ConnectTLSError,
    "refused": ConnectRefusedError,
    "timeout": ConnectTimeoutError,
}


def _chain(error: BaseException) -> list[BaseException]:
    """``error``, its causes and contexts, and the members of exception groups among them."""
    seen: list[BaseException] = []
    stack = [error]
    while stack and len(seen) < 32:
        item = stack.pop()
        if any(item is s for s in seen):
            continue
        seen.append(item)
        stack.extend(getattr(item, "exceptions", ()))  # (Base)ExceptionGroup
        for linked in (item.__context__, item.__cause__):
            if linked is not None:
                stack.append(linked)
    return seen


def _classify(error: BaseException) -> tuple[str, str, BaseException]:
    """(cause, what it means, the error that shows it) for a failed open."""
    chain = _chain(error)
    for cause, kind, meaning in _CAUSES:
        found = next((e for e in chain if isinstance(e, kind)), None)
        if found is not None:
            return cause, meaning, found
    return "network", "network error", error


def connect_error(error: BaseException, endpoint: Endpoint) -> RelayConnectError:
    """The error ``connect()`` raises for a socket that could not be opened: the same class in
    both adapters, naming the host and the cause (DNS, refused, TLS, certificate, timeout)."""
    if isinstance(error, RelayConnectError):
        return error
    cause, meaning, found = _classify(error)
    message = f"cannot connect to {endpoint.url}: {meaning} ({describe_error(found)})"
    failure = _ERROR_TYPES.get(cause, RelayConnectError)(message, endpoint.authority, cause)
    failure.__cause__ = error
    return failure


# Consecutive failures to open a socket: the first is reported, then every this many.
REPORT_EVERY = 10


def report_open_failure(logger: logging.Logger, failure: RelayConnectError, attempt: int) -> None:
    """Log the ``attempt``-th consecutive failure to open a socket (1-based): the first and
    every ``REPORT_EVERY``-th at WARNING, the rest at DEBUG. The WARNING reaches stderr through
    logging's last-resort handler even when the application configured no logging at all (the
    package's NullHandler would otherwise swallow it): a mistyped host must not go unnoticed."""
    if attempt != 1 and attempt % REPORT_EVERY:
        logger.debug("%s (attempt %d)", failure, attempt)
        return
    text = f"{failure} (attempt {attempt}; retrying with backoff)"
    if _has_real_handler(logger) or logging.lastResort is None:
        logger.warning("%s", text)
    elif logger.isEnabledFor(logging.WARNING):
        record = logger.makeRecord(logger.name, logging.WARNING, __file__, 0, text, (), None)
        logging.lastResort.handle(record)


def _has_real_handler(logger: logging.Logger) -> bool:
    current: logging.Logger | None = logger
    while current is not None:
        if any(not isinstance(h, logging.NullHandler) for h in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False
