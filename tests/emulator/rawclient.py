"""A minimal RELAY client for the emulator's tests: wsproto + anyio sockets + json, nothing else.

It deliberately does not use relay_proto or relay_anyio: driving the emulator with hand-made
JSON-RPC proves it speaks the wire protocol, not one client's dialect. It is pull-based: frames
are read (and events ACKed, pings answered, when enabled) only while a test waits for something.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.abc import SocketStream
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    Request,
    TextMessage,
)

Frame = dict[str, Any]
WAIT = 5.0  # real seconds; only reached when a test is about to fail


class Closed(Exception):
    """The server closed the connection."""


class RawClient:
    """One WebSocket connection speaking JSON-RPC by hand."""

    def __init__(self, stream: SocketStream, ws: WSConnection) -> None:
        self.stream = stream
        self.ws = ws
        self.inbox: list[Frame] = []  # frames not consumed yet
        self.received: list[Frame] = []  # every frame, for assertions
        self.raw: list[str] = []  # every text message (malformed ones too)
        self.auto_ack = True
        self.auto_pong = True
        self.closed = False
        self.close_code: int | None = None
        self.last_envelope: dict[str, Any] = {}  # envelope of the last event() returned
        self._ids = itertools.count(1)
        self._partial = ""

    @classmethod
    async def open(cls, port: int) -> RawClient:
        stream = await anyio.connect_tcp("127.0.0.1", port)
        ws = WSConnection(ConnectionType.CLIENT)
        await stream.send(ws.send(Request(host=f"127.0.0.1:{port}", target="/")))
        client = cls(stream, ws)
        with anyio.fail_after(WAIT):
            while True:
                data = await stream.receive()
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, AcceptConnection):
                        return client
                    raise AssertionError(f"handshake failed: {event!r}")

    # ------------------------------------------------------------------ sending
    async def send_text(self, text: str) -> None:
        await self.stream.send(self.ws.send(TextMessage(data=text)))

    async def send(self, frame: Frame) -> None:
        await self.send_text(json.dumps(frame))

    async def start_request(self, method: str, params: Any = None) -> str:
        """Send a request without waiting; return its id."""
        rid = f"req-{next(self._ids)}"
        await self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params or {}})
        return rid

    async def request(self, method: str, params: Any = None) -> Frame:
        """Send a request and return the whole response frame."""
        rid = await self.start_request(method, params)
        return await self.response(rid)

    async def result(self, method: str, params: Any = None) -> Frame:
        """Send a request and return its ``result`` (fail on an error reply)."""
        frame = await self.request(method, params)
        assert "result" in frame, frame
        result: Frame = frame["result"]
        return result

    async def response(self, rid: str, timeout: float = WAIT) -> Frame:
        return await self.take(lambda f: f.get("id") == rid and "method" not in f, timeout)

    async def close(self, code: int = 1000) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):  # the socket may already be gone
                await self.stream.send(self.ws.send(CloseConnection(code=code)))
        await self.stream.aclose()
        self.closed = True

    # ------------------------------------------------------------------ receiving
    async def _read(self) -> None:
        try:
            data = await self.stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            self.closed = True
            raise Closed("connection closed by the server") from None
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, TextMessage):
                self._partial += event.data
                if event.message_finished:
                    text, self._partial = self._partial, ""
                    await self._message(text)
            elif isinstance(event, Ping):
                await self.stream.send(self.ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                self.close_code = event.code
                self.closed = True
                with contextlib.suppress(Exception):
                    await self.stream.send(self.ws.send(event.response()))

    async def _message(self, text: str) -> None:
        self.raw.append(text)
        try:
            frame = json.loads(text)
        except ValueError:
            return
        if not isinstance(frame, dict):
            return
        self.received.append(frame)
        method = frame.get("method")
        wanted = {"signalwire.event": self.auto_ack, "signalwire.ping": self.auto_pong}
        if "id" in frame and wanted.get(str(method)):
            await self.send({"jsonrpc": "2.0", "id": frame["id"], "result": {}})
        self.inbox.append(frame)

    async def take(self, match: Callable[[Frame], bool], timeout: float = WAIT) -> Frame:
        """Remove and return the first inbox frame matching, reading more as needed."""
        with anyio.fail_after(timeout):
            while True:
                for index, frame in enumerate(self.inbox):
                    if match(frame):
                        return self.inbox.pop(index)
                if self.closed:
                    raise Closed("connection closed before a matching frame arrived")
                await self._read()

    async def event(
        self,
        event_type: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = WAIT,
    ) -> dict[str, Any]:
        """The inner params of the next ``signalwire.event`` of ``event_type``."""

        def match(frame: Frame) -> bool:
            if frame.get("method") != "signalwire.event":
                return False
            params = frame.get("params") or {}
            if params.get("event_type") != event_type:
                return False
            return predicate is None or predicate(params.get("params") or {})

        frame = await self.take(match, timeout)
        self.last_envelope = frame["params"]
        inner: dict[str, Any] = frame["params"]["params"]
        return inner

    async def barrier(self) -> None:
        """A ping round trip: the server has handled everything sent before it."""
        await self.result("signalwire.ping", {})

    async def wait_closed(self, timeout: float = WAIT) -> None:
        with anyio.fail_after(timeout):
            while not self.closed:
                try:
                    await self._read()
                except Closed:
                    return

    # ------------------------------------------------------------------ RELAY helpers
    async def login(
        self,
        project: str = "p",
        token: str = "t",
        contexts: list[str] | None = None,
        **extra: Any,
    ) -> Frame:
        """``signalwire.connect``; return the whole response frame."""
        params: dict[str, Any] = {
            "version": {"major": 2, "minor": 0, "revision": 0},
            "agent": "raw-test-client/1.0",
            "event_acks": True,
            "authentication": {"project": project, "token": token},
        }
        if contexts:
            params["contexts"] = contexts
        params.update(extra)
        return await self.request("signalwire.connect", params)

    async def call(self, method: str, call: dict[str, Any], **params: Any) -> Frame:
        """A call command: ``call`` holds call_id/node_id (an event's params will do)."""
        body = {"node_id": call["node_id"], "call_id": call["call_id"], **params}
        return await self.result(method, body)


@asynccontextmanager
async def connected(
    port: int, *, contexts: list[str] | None = None, project: str = "p", token: str = "t"
) -> AsyncIterator[RawClient]:
    """An authenticated raw client."""
    client = await RawClient.open(port)
    try:
        reply = await client.login(project, token, contexts)
        assert "result" in reply, reply
        yield client
    finally:
        await client.close()
