"""A blocking WebSocket link for the fuzzer: relay_proto's sans-I/O transport on a socket.

The fuzzer needs to send what no well-behaved peer sends (text that is not UTF-8, oversized or
binary messages), so :meth:`Link.send_raw` writes a hand-built frame next to the transport's
own output; wsproto keeps no state about outgoing data frames, so the stream stays consistent.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from relay_proto import RemoteProtocolError
from relay_proto._transport import Closed, Dropped, Opened, Transport
from relay_proto.stateful import ws_message

__all__ = ["Endpoint", "Link", "LinkClosed", "LinkTimeout", "is_loopback", "parse_url"]


class LinkClosed(Exception):
    """The peer closed the connection (``code`` is the WebSocket close code, if any)."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(f"{reason} (close code {code})" if code is not None else reason)
        self.reason = reason
        self.code = code


class LinkTimeout(Exception):
    """Nothing arrived in time."""


@dataclass(frozen=True)
class Endpoint:
    """Where to connect or listen: ``ws://host:port/path``."""

    host: str
    port: int
    path: str = "/"


def parse_url(url: str) -> Endpoint:
    """``ws://host:port[/path]`` (``wss`` is refused: the fuzzer speaks plain WebSocket).

    Raises:
        ValueError: not a ``ws://`` URL with a host.
    """
    parts = urlsplit(url)
    if parts.scheme != "ws" or not parts.hostname:
        raise ValueError(f"expected ws://host:port, got {url!r}")
    return Endpoint(parts.hostname, parts.port or 80, parts.path or "/")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    return host in ("localhost", "::1") or host.startswith("127.")


class Link:
    """One WebSocket connection (client or server side) over a blocking socket."""

    def __init__(self, sock: socket.socket, transport: Transport, *, client: bool) -> None:
        self.sock = sock
        self.transport = transport
        self.client = client
        self.closed: LinkClosed | None = None
        self._inbox: list[str] = []
        self.dropped: list[Dropped] = []

    # ---------------------------------------------------------------- opening
    @classmethod
    def connect(cls, endpoint: Endpoint, timeout: float) -> Link:
        """Open a client connection and complete the handshake."""
        sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
        transport = Transport(client=True, max_message_size=64 * 1024 * 1024)
        transport.start(f"{endpoint.host}:{endpoint.port}", endpoint.path)
        link = cls(sock, transport, client=True)
        link._flush()
        link._wait_open(timeout)
        return link

    @classmethod
    def accept(cls, server: socket.socket, timeout: float) -> Link:
        """Accept one client on a listening socket and complete the handshake."""
        server.settimeout(timeout)
        sock, _ = server.accept()
        transport = Transport(client=False, max_message_size=64 * 1024 * 1024)
        link = cls(sock, transport, client=False)
        link._wait_open(timeout)
        return link

    def _wait_open(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.transport.is_open:
            self._read(deadline)

    # ---------------------------------------------------------------- sending
    def send_text(self, text: str) -> None:
        """Send one text message."""
        self.transport.send_text(text)
        self._flush()

    def send_raw(self, payload: bytes, *, binary: bool = False) -> None:
        """Send ``payload`` as one message, as is (need not be valid UTF-8)."""
        self._flush()
        self._write(ws_message(payload, binary=binary, masked=self.client))

    def _flush(self) -> None:
        data = self.transport.data_to_send()
        if data:
            self._write(data)

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            self.closed = self.closed or LinkClosed(f"socket error on write: {exc}")
            raise self.closed from exc

    # ---------------------------------------------------------------- receiving
    def receive(self, timeout: float) -> str:
        """The next text message. Raises :class:`LinkTimeout` or :class:`LinkClosed`."""
        deadline = time.monotonic() + timeout
        while not self._inbox:
            if self.closed is not None:
                raise self.closed
            self._read(deadline)
        return self._inbox.pop(0)

    def _read(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LinkTimeout("nothing arrived in time")
        self.sock.settimeout(remaining)
        try:
            data: bytes | None = self.sock.recv(65536) or None
        except TimeoutError as exc:
            raise LinkTimeout("nothing arrived in time") from exc
        except OSError as exc:
            self.closed = LinkClosed(f"socket error: {exc}")
            raise self.closed from exc
        try:
            self.transport.receive_data(data)
        except RemoteProtocolError as exc:
            self.closed = LinkClosed(f"broken WebSocket stream: {exc}")
        for item in self.transport.take_events():
            if isinstance(item, str):
                self._inbox.append(item)
            elif isinstance(item, Closed):
                self.closed = LinkClosed(item.reason, item.code)
            elif isinstance(item, Dropped):
                self.dropped.append(item)
            elif not isinstance(item, Opened):  # pragma: no cover - exhaustive above
                raise TypeError(item)
        self._flush_quietly()
        if self.closed is not None and not self._inbox:
            raise self.closed

    def _flush_quietly(self) -> None:
        with contextlib.suppress(LinkClosed):
            self._flush()

    def close(self) -> None:
        """Close the WebSocket (politely when possible) and the socket."""
        try:
            if self.transport.is_open:
                self.transport.close(1000, "fuzzing done")
                self._flush()
        except (LinkClosed, OSError):
            pass
        finally:
            self.sock.close()
