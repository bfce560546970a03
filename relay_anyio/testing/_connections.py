"""Records the emulator's server keeps per socket and per session (no tasks, no timers here).

A :class:`ClientSocket` is one WebSocket connection with its
:class:`relay_proto._server.RelayServerConnection`; a :class:`Mailbox` holds the events of one
session, sent or waiting, so that they survive the socket (a resumed session gets the
unacknowledged ones again, with the same ids).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import SocketAttribute, SocketStream, TaskGroup
from anyio.streams.stapled import MultiListener

from relay_proto._server import RelayServerConnection

from ._model import Session

__all__ = ["ClientInfo", "ClientSocket", "Credentials", "Mailbox", "Outbound", "PortListener"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What ``signalwire.connect`` must carry (``None`` = any non-empty value)."""

    project: str | None = None
    token: str | None = None
    jwt_token: str | None = None

    def check(self, auth: object) -> tuple[str, str] | None:
        """``None`` if ``auth`` is acceptable, else ``(signalwire_error_code, message)``."""
        if not isinstance(auth, dict):
            return "AUTH_REQUIRED", "Authentication required"
        jwt, project, token = auth.get("jwt_token"), auth.get("project"), auth.get("token")
        if jwt:
            if self.jwt_token is not None and jwt != self.jwt_token:
                return "AUTH_FAILED", "Invalid JWT token"
            if self.jwt_token is None and self.project is not None:
                return "AUTH_FAILED", "JWT authentication is not enabled on this emulator"
            return None
        if not project or not token:
            return "AUTH_REQUIRED", "Authentication required: project and token, or jwt_token"
        if (self.project is not None and project != self.project) or (
            self.token is not None and token != self.token
        ):
            return "AUTH_FAILED", "Invalid project or token"
        return None


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """A client connection as the emulator sees it (``emu.clients``)."""

    conn: int
    label: str
    protocol: str
    contexts: tuple[str, ...]
    agent: str
    open: bool


@dataclass(eq=False)
class Outbound:
    """One event for a session."""

    event_id: str
    event_type: str
    params: dict[str, Any]
    t: float  # simulated time the event happened
    sent_at: float = 0.0  # real time of the last send
    late: bool = False  # already reported as not acknowledged in time


@dataclass(eq=False)
class Mailbox:
    """A session's events: waiting (``queue``) and sent but not acknowledged (``inflight``)."""

    queue: deque[Outbound] = field(default_factory=deque)
    inflight: dict[str, Outbound] = field(default_factory=dict)
    client: ClientSocket | None = None
    held: Outbound | None = None  # reorder fault

    def requeue(self) -> None:
        """The socket went away: events in flight go back to the front, in order."""
        pending = list(self.inflight.values()) + ([self.held] if self.held else [])
        self.inflight.clear()
        self.held = None
        self.queue.extendleft(reversed(pending))
        self.client = None


FrameObserver = Callable[["ClientSocket", str, str], None]


class ClientSocket:
    """One WebSocket connection and what the server tracks about it."""

    def __init__(self, number: int, stream: SocketStream, on_frame: FrameObserver) -> None:
        self.number = number
        self.stream = stream
        self.conn = RelayServerConnection(
            frame_observer=lambda direction, text: on_frame(self, direction, text)
        )
        self.session: Session | None = None
        self.agent = ""
        self.wake = anyio.Event()
        self.eof = anyio.Event()  # the client's side of the stream ended
        self.writer_done = anyio.Event()  # the writer task (the only sender) has finished
        self.dead = False  # nothing more is sent or processed
        self.abort: str | None = None  # "now": drop unsent bytes; "flush": send them first
        self.closing = False  # close the socket once the WebSocket close frame is out
        self.drop_after: int | None = None
        self.frames = 0
        self.ping_id: str | None = None
        self.missed_pings = 0
        self.disconnect_ids: set[str] = set()
        self.stall: str | None = None  # fault: "handshake" / "connect" never answered
        self.frozen = False  # fault: half-open, nothing sent or processed any more
        self.tg: TaskGroup | None = None

    def kill(self, mode: str) -> None:
        """Stop everything on this socket; the writer closes it (``mode``: now / flush)."""
        self.dead = True
        self.abort = self.abort or mode
        self.wake.set()


class PortListener:
    """The listening socket; a fault closes it for a while and reopens it on the same port."""

    def __init__(self) -> None:
        self._listener: MultiListener[SocketStream] | None = None
        self._scope: anyio.CancelScope | None = None
        self._done: anyio.Event | None = None

    @property
    def listening(self) -> bool:
        """Whether the port is open."""
        return self._listener is not None

    async def open(
        self,
        host: str,
        port: int,
        handler: Callable[[SocketStream], Awaitable[None]],
        tg: TaskGroup,
    ) -> int:
        """Listen (no-op when listening); return the port. Connections are handled in ``tg``,
        so closing the port later does not cut them."""
        if self._listener is not None:
            return int(self._listener.extra(SocketAttribute.local_port))
        listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
        self._listener = listener
        scope = self._scope = anyio.CancelScope()
        done = self._done = anyio.Event()

        async def accept() -> None:
            try:
                with scope:
                    await listener.serve(handler, task_group=tg)
            finally:
                done.set()

        tg.start_soon(accept)
        return int(listener.extra(SocketAttribute.local_port))

    async def close(self) -> None:
        """Stop accepting: new connections are refused."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        if self._scope is not None:
            self._scope.cancel()
            if self._done is not None:
                await self._done.wait()  # the accept loop is out before its socket closes
        await listener.aclose()
