"""Opening the byte stream to a RELAY endpoint: TCP, plus TLS for ``wss``.

Decision D22: ``wss`` verifies the server against the system trust store
(``ssl.create_default_context()``); ``SIGNALWIRE_RELAY_CA_FILE``, when set, adds a CA bundle
(the official SDK fails to connect to any ``wss`` endpoint without that variable). The variable
is read when a connection is opened, so a bad path fails the connect with a clear error instead
of the constructor.
"""

from __future__ import annotations

import ssl

import anyio
import anyio.abc

from relay_proto import Endpoint

from ._config import describe_error

__all__ = ["OPEN_ERRORS", "open_stream"]


# What opening a socket can raise for reasons outside the program's control: refused, DNS,
# unreachable, TLS handshake or certificate failures, and the open timeout.
OPEN_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ssl.SSLError,
    TimeoutError,
    anyio.BrokenResourceError,
    anyio.EndOfStream,
)


async def open_stream(
    endpoint: Endpoint, ssl_context: ssl.SSLContext | None, timeout: float
) -> anyio.abc.ByteStream:
    """Open TCP (and TLS) to ``endpoint`` within ``timeout`` seconds.

    Raises:
        OSError: the connection failed (``ssl.SSLError``, a subclass, for certificate
            problems and when the peer broke off the TLS handshake).
        TimeoutError: it did not complete within ``timeout``.
    """
    with anyio.fail_after(timeout):
        if ssl_context is None:
            return await anyio.connect_tcp(endpoint.host, endpoint.port)
        try:
            # tls_standard_compatible=False: WebSocket has its own closing handshake, so a
            # peer that closes without a TLS close_notify must not turn a clean close into an
            # error.
            return await anyio.connect_tcp(
                endpoint.host,
                endpoint.port,
                ssl_context=ssl_context,
                tls_hostname=endpoint.host,
                tls_standard_compatible=False,
            )
        except (anyio.EndOfStream, anyio.BrokenResourceError) as exc:
            # anyio's own types for a peer that hung up or broke the TLS handshake: report a
            # TLS failure (ssl.SSLError, an OSError) as relay_sync does.
            cause = exc.__cause__ or exc.__context__
            detail = describe_error(cause) if cause is not None else "connection closed"
            raise ssl.SSLError(f"TLS handshake with {endpoint.authority} failed: {detail}") from exc
