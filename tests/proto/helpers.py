"""In-memory client/server pairs for core tests: no sockets, no sleeps, a settable clock.

:class:`Pair` wires a :class:`~relay_proto.RelayConnection` (the client under test) back to back
with a :class:`~relay_proto._server.RelayServerConnection` (a scriptable server), moves bytes
both ways until both sides are quiet, and records what each side reported::

    pair = Pair(contexts=["office"])
    pair.connect()                                   # handshake + signalwire.connect answered
    rid = pair.client.execute("calling.answer", {...}, now=pair.now)
    pair.pump()
    request = pair.expect_request("calling.answer")  # the server saw it
    pair.server.send_result(request.request_id, {"code": "200"})
    pair.pump()
    assert pair.client_events_of(RequestSucceeded)[0].request_id == rid

Time only moves when a test says so: ``pair.advance(seconds)`` sets ``now`` and runs every
``handle_timeout`` that became due (in deadline order), pumping after each. ``chunk_size`` makes
the pump deliver bytes in pieces of that size (1 = byte at a time) to check that framing does not
depend on how the stream is cut.

A reconnect is explicit: ``pair.reconnect()`` gives the client a fresh server (a new socket)
and calls ``start``; ``server_events`` then starts afresh (``all_server_events`` keeps every
server's). Frames are journaled as decoded JSON in ``client_frames_out`` / ``client_frames_in``
through the client's ``frame_observer`` (another observer passed in is still called).
``FakeRandom`` is a scripted ``rng`` for jitter tests.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from relay_proto import (
    ClientRequest,
    ClientResponse,
    Event,
    RemoteProtocolError,
    counter_ids,
)
from relay_proto._connection import RelayConnection
from relay_proto._server import RelayServerConnection

E = TypeVar("E", bound=Event)

DEFAULT_CONNECT_RESULT: dict[str, Any] = {
    "protocol": "signalwire_proto-1",
    # The signature part of the protocol (spec 1.3): the same protocol back means a resume.
    "authorization": {"signature": "proto-1"},
    "identity": "identity-1",
    "sessionid": "session-1",
}


class FakeRandom:
    """A ``SupportsRandom`` that returns the given values in turn (then repeats the last)."""

    def __init__(self, *values: float) -> None:
        self.values = list(values) or [0.5]
        self.calls = 0

    def random(self) -> float:
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        return value


class Pair:
    """A client under test and a scriptable server, connected in memory.

    Args:
        now: the initial clock value.
        chunk_size: deliver bytes in pieces of this size (``None`` = all at once).
        **client_kwargs: passed to ``RelayConnection`` (defaults: project ``"p1"``, token
            ``"t1"``, host ``"relay.test"``, counter ids ``"req-N"``).
    """

    def __init__(
        self, *, now: float = 1000.0, chunk_size: int | None = None, **client_kwargs: Any
    ) -> None:
        self.now = now
        self.chunk_size = chunk_size
        self.client_frames_out: list[Any] = []
        self.client_frames_in: list[Any] = []
        observer = client_kwargs.pop("frame_observer", None)

        def journal(direction: str, text: str) -> None:
            target = self.client_frames_out if direction == "out" else self.client_frames_in
            try:
                target.append(json.loads(text))
            except (ValueError, RecursionError):
                target.append(text)
            if observer is not None:
                observer(direction, text)

        kwargs: dict[str, Any] = {
            "project": "p1",
            "token": "t1",
            "host": "relay.test",
            "id_factory": counter_ids("req"),
        }
        kwargs.update(client_kwargs)
        self.client = RelayConnection(frame_observer=journal, **kwargs)
        self.server = RelayServerConnection()
        self.servers = [self.server]
        self.client_events: list[Event] = []
        self.server_events: list[Event] = []  # the current server's
        self.all_server_events: list[Event] = []
        self.client_errors: list[RemoteProtocolError] = []

    # ---------------------------------------------------------------- moving bytes
    def _feed(self, feed: Any, data: bytes) -> None:
        if self.chunk_size is None:
            feed(data)
            return
        for i in range(0, len(data), self.chunk_size):
            feed(data[i : i + self.chunk_size])

    def _to_client(self, data: bytes) -> None:
        def feed(piece: bytes) -> None:
            try:
                self.client.receive_data(piece, self.now)
            except RemoteProtocolError as exc:
                self.client_errors.append(exc)

        self._feed(feed, data)

    def pump(self) -> None:
        """Move bytes both ways until neither side has anything to send; collect events."""
        for _ in range(1000):
            up = self.client.data_to_send()
            if up and self.server is not None:
                self._feed(self.server.receive_data, up)
            down = self.server.data_to_send() if self.server is not None else b""
            if down:
                self._to_client(down)
            self.collect()
            if not up and not down:
                return
        raise AssertionError("the pair never went quiet")

    def collect(self) -> None:
        """Drain both sides' events into the journals."""
        while (event := self.client.next_event()) is not None:
            self.client_events.append(event)
        while self.server is not None and (event := self.server.next_event()) is not None:
            self.server_events.append(event)
            self.all_server_events.append(event)

    # ---------------------------------------------------------------- time
    def advance(self, seconds: float) -> None:
        """Move the clock forward, running every timeout that falls due on the way."""
        target = self.now + seconds
        while (deadline := self.client.next_deadline()) is not None and deadline <= target:
            self.now = max(self.now, deadline)
            self.client.handle_timeout(self.now)
            self.pump()
        self.now = target
        self.pump()

    def advance_to(self, when: float) -> None:
        """Advance to the absolute time ``when``."""
        self.advance(when - self.now)

    # ---------------------------------------------------------------- session helpers
    def start(self) -> None:
        """``client.start`` and the WebSocket handshake (``signalwire.connect`` is then sent)."""
        self.client.start(self.now)
        self.pump()

    def connect(self, result: dict[str, Any] | None = None) -> ClientRequest:
        """Start and answer ``signalwire.connect`` with ``result``; returns the connect request."""
        self.start()
        request = self.expect_request("signalwire.connect")
        self.server.send_result(
            request.request_id, DEFAULT_CONNECT_RESULT if result is None else result
        )
        self.pump()
        return request

    def reconnect(self, result: dict[str, Any] | None = None) -> ClientRequest:
        """A new socket and server for the client, then :meth:`connect`."""
        self.new_server()
        return self.connect(result)

    def new_server(self) -> RelayServerConnection:
        """Replace the server (the old socket is gone). ``server_events`` starts afresh; the
        old server's events stay in ``all_server_events``."""
        self.server = RelayServerConnection()
        self.servers.append(self.server)
        self.server_events = []
        return self.server

    def drop_transport(self) -> None:
        """The socket reaches EOF on the client side."""
        self.client.receive_data(None, self.now)
        self.collect()

    # ---------------------------------------------------------------- queries
    def requests(self, method: str | None = None) -> list[ClientRequest]:
        """Client requests the current server saw (optionally of one method)."""
        return [
            e
            for e in self.server_events
            if isinstance(e, ClientRequest) and (method is None or e.method == method)
        ]

    def expect_request(self, method: str) -> ClientRequest:
        """The latest request of ``method`` the server saw (fails when there is none)."""
        found = self.requests(method)
        assert found, f"the server saw no {method} request; it saw {self.server_events!r}"
        return found[-1]

    def responses(self) -> list[ClientResponse]:
        """The client's replies to server requests (ACKs, pongs...)."""
        return [e for e in self.server_events if isinstance(e, ClientResponse)]

    def client_events_of(self, kind: type[E]) -> list[E]:
        """Client events of one class, in order."""
        return [e for e in self.client_events if isinstance(e, kind)]

    def take_client_events(self) -> list[Event]:
        """The client events so far, forgotten."""
        events, self.client_events = self.client_events, []
        return events

    def reply(self, method: str, result: dict[str, Any] | None = None) -> str:
        """Answer the latest ``method`` request with ``result`` (default ``{"code": "200"}``)."""
        request = self.expect_request(method)
        self.server.send_result(request.request_id, {"code": "200"} if result is None else result)
        self.pump()
        return str(request.request_id)

    def event(self, event_type: str, params: dict[str, Any], **kwargs: Any) -> str:
        """Send a ``signalwire.event`` from the server; returns its id."""
        event_id = self.server.send_event(event_type, params, **kwargs)
        self.pump()
        return event_id
