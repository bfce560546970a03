"""A small scripted RELAY server for adapter tests, over real loopback sockets.

Built from ``relay_proto.RelayServerConnection`` and anyio only. Unlike the emulator it has no
call simulation: a test scripts it request by request (``reply``) and pushes the events it
wants (``push``), which makes the adapter's plumbing (reconnects, resume, faults, races)
easy to pin down exactly.
"""

from __future__ import annotations

import itertools
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc
from anyio.streams.tls import TLSListener

from relay_proto import (
    ClientClosed,
    ClientRequest,
    ClientResponse,
    RelayServerConnection,
    RemoteProtocolError,
)

Reply = dict[str, Any] | tuple[int, str] | None
"""What a replier returns: a result object, ``(code, message)`` for a JSON-RPC error, or
``None`` to leave the request unanswered."""


@dataclass
class Peer:
    """One client connection."""

    number: int
    conn: RelayServerConnection
    stream: anyio.abc.ByteStream
    lock: anyio.Lock = field(default_factory=anyio.Lock)
    authed: bool = False
    closed: bool = False

    async def flush(self) -> None:
        async with self.lock:
            data = self.conn.data_to_send()
            if data and not self.closed:
                try:
                    await self.stream.send(data)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                    self.closed = True


class ScriptedServer:
    """``async with ScriptedServer() as server:`` listens on 127.0.0.1 (``server.url``).

    ``signalwire.connect`` is answered by :meth:`connect_reply` (credentials checked, protocol
    ``signalwire_<n>``, resume honoured when the client sends a known protocol); every other
    request by ``repliers[method]`` if set, else ``{"code": "200", "message": "OK"}``.
    """

    def __init__(
        self, project: str = "p", token: str = "t", ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.project, self.token = project, token
        self.ssl_context = ssl_context
        self.peers: list[Peer] = []
        self.requests: list[tuple[Peer, ClientRequest]] = []
        self.acks: list[tuple[Peer, ClientResponse]] = []
        self.repliers: dict[str, Callable[[Peer, ClientRequest], Reply]] = {}
        self.reject_auth = False
        self.identity = "id"
        self.refuse_next = 0  # close this many new connections before the WebSocket handshake
        self.protocols: set[str] = set()
        # After lose_sessions(): a connect naming an unknown protocol gets that same string back
        # with session_restored false (a restarted server reissuing it).
        self.reissue_protocols = False
        self._counter = itertools.count(1)
        self._changed = anyio.Event()
        self._tg: anyio.abc.TaskGroup | None = None
        self.url = ""

    async def __aenter__(self) -> ScriptedServer:
        tcp = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = tcp.extra(anyio.abc.SocketAttribute.local_port)
        listener: anyio.abc.Listener[Any] = tcp
        if self.ssl_context is not None:
            listener = TLSListener(tcp, self.ssl_context, standard_compatible=False)
        self.url = f"{'wss' if self.ssl_context else 'ws'}://127.0.0.1:{port}"
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(listener.serve, self._serve_peer)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._tg is not None
        self._tg.cancel_scope.cancel()
        await self._tg.__aexit__(None, None, None)

    # ---------------------------------------------------------------- waiting

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(self, check: Callable[[], Any]) -> Any:
        """Wait until ``check()`` returns something truthy, and return it."""
        while not (result := check()):
            await self._changed.wait()
        return result

    async def wait_request(
        self,
        method: str,
        predicate: Callable[[ClientRequest], bool] | None = None,
        *,
        index: int = 0,
    ) -> tuple[Peer, ClientRequest]:
        """The ``index``-th (0-based) request of ``method`` matching ``predicate``."""

        def find() -> tuple[Peer, ClientRequest] | None:
            found = [
                (peer, req)
                for peer, req in self.requests
                if req.method == method and (predicate is None or predicate(req))
            ]
            return found[index] if len(found) > index else None

        result: tuple[Peer, ClientRequest] = await self.wait_for(find)
        return result

    def methods(self) -> list[str]:
        return [req.method for _, req in self.requests]

    # ---------------------------------------------------------------- acting

    async def push(
        self,
        event_type: str,
        params: dict[str, Any],
        peer: Peer | None = None,
        event_id: str | None = None,
    ) -> str:
        """Send a ``signalwire.event`` to ``peer`` (default: the latest authenticated one);
        ``event_id`` defaults to the connection's counter (``evt-N``, per connection)."""
        target = peer or self.latest()
        if event_id is None:
            event_id = target.conn.send_event(event_type, params)
        else:
            event_id = target.conn.send_event(event_type, params, event_id=event_id)
        await target.flush()
        return event_id

    def latest(self) -> Peer:
        live = [p for p in self.peers if p.authed and not p.closed]
        assert live, "no authenticated client"
        return live[-1]

    async def drop(self, peer: Peer | None = None) -> None:
        """Close the TCP connection abruptly (no WebSocket close)."""
        target = peer or self.latest()
        target.closed = True
        await target.stream.aclose()
        self._notify()

    async def disconnect(self, *, restart: bool, peer: Peer | None = None) -> None:
        """Send ``signalwire.disconnect``, wait for its ACK, then close the socket as a server
        would."""
        target = peer or self.latest()
        request_id = target.conn.send_disconnect(restart=restart)
        await target.flush()
        await self.wait_for(
            lambda: any(p is target and a.request_id == request_id for p, a in self.acks)
        )
        if restart:
            self.protocols.clear()
        await self.drop(target)

    def lose_sessions(self) -> None:
        """Forget every session, as a server that restarted and lost its state; it reissues a
        protocol string a client sends back, with ``session_restored: false``."""
        self.protocols.clear()
        self.reissue_protocols = True

    # ---------------------------------------------------------------- serving

    def connect_reply(self, peer: Peer, request: ClientRequest) -> Reply:
        auth = request.params.get("authentication", {})
        ok = auth.get("project") == self.project and auth.get("token") == self.token
        if self.reject_auth or not ok:
            return (-32000, "authentication failed")
        sent = request.params.get("protocol")
        sent = sent if isinstance(sent, str) else ""
        resumed = sent in self.protocols
        if resumed or (self.reissue_protocols and sent):
            protocol = sent
        else:
            protocol = f"signalwire_{next(self._counter)}"
        self.protocols.add(protocol)
        peer.authed = True
        return {"protocol": protocol, "identity": self.identity, "session_restored": resumed}

    async def _serve_peer(self, stream: anyio.abc.ByteStream) -> None:
        peer = Peer(len(self.peers) + 1, RelayServerConnection(), stream)
        self.peers.append(peer)
        if self.refuse_next > 0:
            self.refuse_next -= 1
            peer.closed = True
        try:
            while not peer.closed:
                try:
                    data: bytes | None = await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    data = None
                try:
                    peer.conn.receive_data(data)
                except RemoteProtocolError:  # not a WebSocket client (e.g. a TLS hello)
                    break
                self._handle_events(peer)
                await peer.flush()
                if data is None:
                    break
        finally:
            peer.closed = True
            self._notify()
            with anyio.CancelScope(shield=True):
                await stream.aclose()

    def _handle_events(self, peer: Peer) -> None:
        while (event := peer.conn.next_event()) is not None:
            if isinstance(event, ClientRequest):
                self.requests.append((peer, event))
                self._answer(peer, event)
            elif isinstance(event, ClientResponse):
                self.acks.append((peer, event))
            elif isinstance(event, ClientClosed):
                peer.closed = True
            self._notify()

    def _answer(self, peer: Peer, request: ClientRequest) -> None:
        if request.method == "signalwire.connect":
            reply = self.connect_reply(peer, request)
        elif request.method in self.repliers:
            reply = self.repliers[request.method](peer, request)
        else:
            reply = {"code": "200", "message": "OK"}
        if isinstance(reply, tuple):
            peer.conn.send_error(request.request_id, reply[0], reply[1])
        elif reply is not None:
            peer.conn.send_result(request.request_id, reply)
