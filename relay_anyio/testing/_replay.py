"""``ReplayServer``: a recorded conversation played back as the server side of a test.

Theory of operation. The recording (see ``_recording``) is walked in order. A frame the
*server* sent is sent again once every frame before it has happened: replies go out with the
id the client used this time, events with fresh ids. A request the *client* sent is waited
for: the next request of the same method (and the same call) is taken, compared with the
recorded one, and from then on its ids stand in for the recorded ones. Pings in either
direction are left out (the client's are answered at once); ACKs are not waited for one by one,
but every event must be acknowledged by the end. A change of connection number in the
recording cuts the socket; the client must come back on a new one.

Remapping. Ids the server made up (call, node, message, session ids, the protocol string) get
fresh values, consistently; ids the client made up (request ids, ``control_id``, ``tag``) are
learnt from the client's requests and put into the server's later frames; every
``timestamp`` is moved by the same offset so that the first one is now.

A difference is a :class:`ReplayMismatch` from :meth:`ReplayServer.wait_done`: the client
asked for something else (a different method, or with ``strict`` different params), or did not
ask in time, or closed the connection.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import SocketStream, TaskGroup

from relay_proto import ClientClosed, ClientRequest, ClientResponse
from relay_proto._server import RelayServerConnection

from ._connections import PortListener
from ._recording import RecordedFrame, Recording, iter_conversation

__all__ = ["ReplayMismatch", "ReplayServer"]

# Keys whose values the server makes up: remapped to fresh values.
_SERVER_KEYS = frozenset(
    {
        "call_id",
        "node_id",
        "message_id",
        "protocol",
        "event_channel",
        "identity",
        "sessionid",
        "conference_id",
        "segment_id",
        "room_session_id",
        "master_nodeid",
        "nodeid",
        "requester_nodeid",
        "responder_nodeid",
    }
)
# Keys whose values the client makes up: learnt from its requests.
_CLIENT_KEYS = frozenset({"control_id", "tag"})
# Params not compared between the recorded and the actual request.
_UNCOMPARED = frozenset({"authentication", "agent", "version", "protocol", "authorization_state"})
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


class ReplayMismatch(AssertionError):
    """The client did not go through the recorded conversation; the message says where."""


class _Peer:
    """One client connection of the replay."""

    def __init__(self, stream: SocketStream) -> None:
        self.stream = stream
        self.conn = RelayServerConnection()
        self.requests: list[ClientRequest] = []
        self.acked: set[str] = set()
        self.closed = False
        self.client_closed = False
        self.changed = anyio.Event()
        self._lock = anyio.Lock()

    async def flush(self) -> None:
        data = self.conn.data_to_send()
        if data and not self.closed:
            async with self._lock:
                try:
                    await self.stream.send(data)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                    self.closed = True

    def _notify(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()

    async def read(self) -> None:
        while not self.closed:
            try:
                data: bytes | None = await self.stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                data = None
            try:
                self.conn.receive_data(data)
            except Exception:
                data = None
            while (event := self.conn.next_event()) is not None:
                self._on_event(event)
            await self.flush()  # the reply to a close frame included
            if data is None or self.client_closed:
                self.closed = True
                await self.stream.aclose()
            self._notify()

    def _on_event(self, event: object) -> None:
        if isinstance(event, ClientRequest):
            if event.method == "signalwire.ping":
                self.conn.send_result(event.request_id, {})
            else:
                self.requests.append(event)
        elif isinstance(event, ClientResponse):
            self.acked.add(event.request_id)
        elif isinstance(event, ClientClosed):
            self.client_closed = True


class ReplayServer:
    """Serve a :class:`~._recording.Recording` to one client over a real socket.

    Use as an async context manager; give the client :attr:`url`; then
    ``await replay.wait_done()``.

    Args:
        recording: what to play back (``load_recording(path)``).
        host, port: where to listen (port 0: a free one).
        strict: compare each request's params with the recorded ones (after remapping), not
            only its method and call.
        step_timeout: real seconds to wait for each expected client request or connection.
    """

    def __init__(
        self,
        recording: Recording,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        strict: bool = True,
        step_timeout: float = 10.0,
    ) -> None:
        self.recording = recording
        self.host, self.port = host, port
        self.strict = strict
        self.step_timeout = step_timeout
        self._script = list(iter_conversation(recording))
        self.position = 0  # frames of the conversation done
        self.mismatch: ReplayMismatch | None = None
        self._ports = PortListener()
        self._peers: list[_Peer] = []
        self._peers_taken = 0
        self._new_peer: anyio.Event | None = None
        self._done: anyio.Event | None = None
        self._tg: TaskGroup | None = None
        self._server_ids: dict[str, str] = {}
        self._client_ids: dict[str, str] = {}
        self._request_ids: dict[str, Any] = {}  # recorded (conn, id) -> the client's id now
        self._events_sent: list[tuple[_Peer, str]] = []
        self._time_offset: float | None = None
        self._fresh = 0

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """``ws://host:port``: the client's host."""
        return f"ws://{self.host}:{self.port}"

    @property
    def total(self) -> int:
        """Frames in the conversation (pings left out)."""
        return len(self._script)

    async def __aenter__(self) -> ReplayServer:
        self._done = anyio.Event()
        self._new_peer = anyio.Event()
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self.port = await self._ports.open(self.host, self.port, self._serve, self._tg)
        self._tg.start_soon(self._play)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._ports.close()
        for peer in self._peers:
            peer.closed = True
            await peer.stream.aclose()
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)
            self._tg = None

    async def wait_done(self, timeout: float = 30.0) -> None:
        """Wait until the whole conversation happened and every event was acknowledged.

        Raises:
            ReplayMismatch: the client went another way (or not in time).
        """
        assert self._done is not None, "use ReplayServer as an async context manager"
        with anyio.move_on_after(timeout):
            await self._done.wait()
        if self.mismatch is not None:
            raise self.mismatch
        if not self._done.is_set():
            raise ReplayMismatch(f"replay not over after {timeout} s: {self._where()}")
        await self._wait(lambda: all(eid in p.acked for p, eid in self._events_sent), timeout)
        missing = [eid for p, eid in self._events_sent if eid not in p.acked]
        if missing:
            raise ReplayMismatch(f"events never acknowledged: {missing[:10]}")

    @property
    def extra_requests(self) -> list[tuple[str, dict[str, Any]]]:
        """Client requests no recorded frame matched: (method, params)."""
        return [(r.method, r.params) for p in self._peers for r in p.requests]

    # ------------------------------------------------------------------ serving
    async def _serve(self, stream: SocketStream) -> None:
        peer = _Peer(stream)
        self._peers.append(peer)
        arrived, self._new_peer = self._new_peer, anyio.Event()
        if arrived is not None:
            arrived.set()
        await peer.read()

    async def _wait(self, check: Callable[[], bool], timeout: float) -> bool:
        with anyio.move_on_after(timeout):
            while not check():
                events = {p.changed for p in self._peers}
                if self._new_peer is not None:
                    events.add(self._new_peer)
                async with anyio.create_task_group() as tg:
                    for event in events:
                        tg.start_soon(_set_then_cancel, event, tg)
            return True
        return False

    def _where(self) -> str:
        if self.position >= len(self._script):
            return "at the end"
        frame = self._script[self.position]
        return f"at frame {self.position + 1}/{len(self._script)}: {frame.line()[:300]}"

    async def _play(self) -> None:
        assert self._done is not None
        peer: _Peer | None = None
        conn = 0
        try:
            for position, rec in enumerate(self._script):
                self.position = position
                if rec.conn != conn:
                    peer = await self._next_peer(peer)
                    conn = rec.conn
                assert peer is not None
                if rec.sender == "client":
                    if not rec.is_reply:
                        await self._expect(peer, rec)
                else:
                    self._send(peer, rec)
                    await peer.flush()
            self.position = len(self._script)
        except ReplayMismatch as exc:
            self.mismatch = exc
        self._done.set()

    async def _next_peer(self, current: _Peer | None) -> _Peer:
        if current is not None and not current.closed:
            current.closed = True  # the recording moved to a new connection: cut this one
            await current.stream.aclose()
        wanted = self._peers_taken
        if not await self._wait(lambda: len(self._peers) > wanted, self.step_timeout):
            raise ReplayMismatch(f"no new connection from the client; {self._where()}")
        self._peers_taken += 1
        return self._peers[wanted]

    # ------------------------------------------------------------------ client requests
    async def _expect(self, peer: _Peer, rec: RecordedFrame) -> None:
        assert rec.frame is not None
        params = _object(rec.frame.get("params"))
        call_id = params.get("call_id")
        want_call = self._map(call_id) if isinstance(call_id, str) else None

        def find() -> ClientRequest | None:
            for request in peer.requests:
                if request.method == rec.method and (
                    want_call is None or request.params.get("call_id") == want_call
                ):
                    return request
            return None

        found: list[ClientRequest] = []

        def arrived() -> bool:
            request = find()
            if request is not None:
                found.append(request)
            return request is not None or peer.closed

        await self._wait(arrived, self.step_timeout)
        if not found:
            sent = [f"{r.method} {json.dumps(r.params)[:120]}" for r in peer.requests]
            why = "closed the connection" if peer.closed else "sent nothing matching in time"
            raise ReplayMismatch(
                f"expected the client's {rec.method}; it {why} (unmatched: {sent}); "
                + self._where()
            )
        request = found[0]
        peer.requests.remove(request)
        self._learn(params, request.params)
        self._request_ids[json.dumps([rec.conn, rec.frame.get("id")])] = request.request_id
        if self.strict and rec.method != "signalwire.connect":
            self._compare(rec.method, params, request.params)

    def _learn(self, recorded: Any, actual: Any) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key, value in recorded.items():
                other = actual.get(key)
                if key in _CLIENT_KEYS and isinstance(value, str) and isinstance(other, str):
                    self._client_ids[value] = other
                else:
                    self._learn(value, other)
        elif isinstance(recorded, list) and isinstance(actual, list):
            for value, other in zip(recorded, actual, strict=False):
                self._learn(value, other)

    def _compare(self, method: str, recorded: dict[str, Any], actual: dict[str, Any]) -> None:
        want = {k: v for k, v in self._map(recorded).items() if k not in _UNCOMPARED}
        got = {k: v for k, v in actual.items() if k not in _UNCOMPARED}
        if want != got:
            raise ReplayMismatch(
                f"the client's {method} differs from the recording:\n"
                f"  recorded: {json.dumps(want, sort_keys=True)[:600]}\n"
                f"  now:      {json.dumps(got, sort_keys=True)[:600]}\n{self._where()}"
            )

    # ------------------------------------------------------------------ server frames
    def _send(self, peer: _Peer, rec: RecordedFrame) -> None:
        frame = rec.frame
        assert frame is not None
        if rec.is_reply:
            key = json.dumps([rec.conn, frame.get("id")])
            if key not in self._request_ids:
                return  # the reply to a request the replay left out
            request_id = self._request_ids.pop(key)
            if "result" in frame:
                result = self._map(frame["result"])
                peer.conn.send_result(request_id, result if isinstance(result, dict) else {})
            else:
                error = _object(frame.get("error"))
                code = error["code"] if isinstance(error.get("code"), int) else -32000
                peer.conn.send_error(
                    request_id, code, str(error.get("message", "")), error.get("data")
                )
            return
        params = self._map(_object(frame.get("params")))
        if rec.method == "signalwire.event":
            event_type = str(params.pop("event_type", ""))
            inner = params.pop("params", {})
            event_id = peer.conn.send_event(
                event_type, inner if isinstance(inner, dict) else {}, envelope=params
            )
            self._events_sent.append((peer, event_id))
        elif rec.method == "signalwire.disconnect":
            peer.conn.send_disconnect(restart=bool(params.get("restart")))
        else:
            self._fresh += 1
            text = {"jsonrpc": "2.0", "id": f"replay-{self._fresh}", "method": rec.method}
            peer.conn.send_raw_text(json.dumps({**text, "params": params}))

    # ------------------------------------------------------------------ remapping
    def _map(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._map(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._map(v, key) for v in value]
        if isinstance(value, str):
            if value in self._client_ids:
                return self._client_ids[value]
            if value in self._server_ids:
                return self._server_ids[value]
            if key in _SERVER_KEYS and value:
                self._server_ids[value] = self._fresh_id(value)
                return self._server_ids[value]
            return value
        if key == "timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._timestamp(float(value))
        return value

    def _fresh_id(self, old: str) -> str:
        self._fresh += 1
        if _UUID.match(old):
            return str(uuid.uuid4())
        if old.startswith("signalwire_"):
            return f"signalwire_replay{self._fresh}_{uuid.uuid4().hex}"
        return f"{old}~r{self._fresh}"

    def _timestamp(self, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            return value  # 0.0 and friends mean "unknown": kept
        if self._time_offset is None:
            self._time_offset = time.time() - value
        return round(value + self._time_offset, 6)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def _set_then_cancel(event: anyio.Event, tg: TaskGroup) -> None:
    await event.wait()
    tg.cancel_scope.cancel()
