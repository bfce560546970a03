"""The byte stream to a RELAY endpoint: a plain TCP socket, plus TLS for ``wss``.

One thread reads the stream while others write to it. A Python ``ssl.SSLSocket`` is not safe
for a read and a write at the same time from two threads, so TLS runs over memory BIOs
(``ssl.SSLContext.wrap_bio``): the TCP socket (which is safe for one reader and one writer) is
read and written directly, and the TLS state is touched only under a short lock that is never
held across socket I/O. Writes are serialised by a second lock, so TLS records leave in the
order they were made.

Decision D22: ``wss`` verifies the server against the system trust store
(``ssl.create_default_context()``); ``SIGNALWIRE_RELAY_CA_FILE``, when set, adds a CA bundle.
The variable is read when a connection is opened.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time

from relay_proto import Endpoint

__all__ = ["OPEN_ERRORS", "Stream", "open_stream"]


# What opening a socket can raise for reasons outside the program's control: refused, DNS,
# unreachable, TLS handshake or certificate failures (ssl.SSLError is an OSError), timeouts.
OPEN_ERRORS: tuple[type[BaseException], ...] = (OSError,)

_READ_SIZE = 65536


class Stream:
    """A connected byte stream: one thread may :meth:`recv` while others :meth:`send`.

    Args:
        sock: a connected TCP socket; its timeout bounds each ``send`` (a peer that stops
            reading for that long is treated as gone) and each ``recv`` wait (which then
            simply returns to the caller's loop).
        tls: the TLS object and its two BIOs, after a completed handshake, or ``None``.
    """

    def __init__(
        self,
        sock: socket.socket,
        tls: tuple[ssl.SSLObject, ssl.MemoryBIO, ssl.MemoryBIO] | None = None,
    ) -> None:
        self._sock = sock
        self._tls = tls
        self._tls_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False

    def recv(self) -> bytes | None:
        """Read what is available, blocking until something is.

        Returns:
            Some bytes; ``b""`` when nothing arrived within the socket timeout (call again);
            ``None`` at end of stream (EOF, TLS close, or :meth:`interrupt`).

        Raises:
            OSError: the socket broke (reset...).
        """
        if self._tls is None:
            try:
                data = self._sock.recv(_READ_SIZE)
            except TimeoutError:
                return b""
            return data or None
        return self._recv_tls()

    def _recv_tls(self) -> bytes | None:
        assert self._tls is not None
        tls, incoming, _ = self._tls
        while True:
            with self._tls_lock:
                try:
                    data = tls.read(_READ_SIZE)
                except ssl.SSLWantReadError:
                    data = None
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    return None  # TLS closed, with or without close_notify
            if data is not None:
                self._send_tls_output()  # a post-handshake message may want an answer
                return data or None
            try:
                raw = self._sock.recv(_READ_SIZE)
            except TimeoutError:
                return b""
            with self._tls_lock:
                if raw:
                    incoming.write(raw)
                else:
                    incoming.write_eof()

    def send(self, data: bytes) -> None:
        """Write all of ``data``.

        Raises:
            OSError: the socket broke, or the peer did not take the data within the socket
                timeout (part of it may have been written: the stream is unusable).
        """
        with self._write_lock:
            if self._tls is None:
                self._sock.sendall(data)
                return
            tls, _, outgoing = self._tls
            with self._tls_lock:
                tls.write(data)
                raw = outgoing.read()
            self._sock.sendall(raw)

    def _send_tls_output(self) -> None:
        assert self._tls is not None
        outgoing = self._tls[2]
        if not outgoing.pending:
            return
        # Under the write lock from the read of the BIO to the end of the write, like send():
        # TLS records must reach the socket in the order they were made.
        with self._write_lock:
            with self._tls_lock:
                raw = outgoing.read()
            with contextlib.suppress(OSError):  # the reader finds out on its next recv
                self._sock.sendall(raw)

    def interrupt(self) -> None:
        """Make a blocked :meth:`recv` return ``None`` soon (from another thread)."""
        with contextlib.suppress(OSError):  # not connected any more: recv fails anyway
            self._sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Close the socket (idempotent). No TLS close_notify: the WebSocket closing handshake
        already ended the session."""
        if self._closed:
            return
        self._closed = True
        self.interrupt()
        self._sock.close()


def open_stream(
    endpoint: Endpoint, ssl_context: ssl.SSLContext | None, timeout: float, io_timeout: float
) -> Stream:
    """Open TCP (and TLS) to ``endpoint``.

    Args:
        endpoint: where to connect.
        ssl_context: TLS context for ``wss``, ``None`` for ``ws``.
        timeout: bound on the TCP connect and the TLS handshake together, in seconds.
        io_timeout: socket timeout once open (see :class:`Stream`).

    Raises:
        OSError: refused, unreachable, DNS failure, a TLS failure (``ssl.SSLError`` for
            certificate problems, ``ConnectionError`` when the server hangs up during the
            handshake) or ``TimeoutError``.
    """
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = None
        if ssl_context is not None:
            tls = _handshake(sock, ssl_context, endpoint.host, deadline)
        sock.settimeout(io_timeout)
    except BaseException:
        sock.close()
        raise
    return Stream(sock, tls)


def _handshake(
    sock: socket.socket, context: ssl.SSLContext, host: str, deadline: float
) -> tuple[ssl.SSLObject, ssl.MemoryBIO, ssl.MemoryBIO]:
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=host)
    while True:
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        else:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("TLS handshake timed out")
        sock.settimeout(remaining)
        if outgoing.pending:
            sock.sendall(outgoing.read())
        raw = sock.recv(_READ_SIZE)
        if not raw:
            # A TLS failure like any other (ssl.SSLError), as relay_anyio reports it.
            raise ssl.SSLError(
                f"TLS handshake with {host} failed: the server closed the connection"
            )
        incoming.write(raw)
    if outgoing.pending:
        sock.sendall(outgoing.read())
    return tls, incoming, outgoing
