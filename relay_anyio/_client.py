"""RelayClient: the async RELAY client, on asyncio and trio.

Each run of the client is a :class:`~relay_anyio._session.ClientSession`: one
:class:`relay_proto.RelayConnection` driven by a :class:`~relay_anyio._runner.SessionRunner`
inside a task group that also holds every handler task. Three ways to run one:

* ``client.run()`` blocks (``anyio.run``; asyncio by default, ``backend="trio"``) and stops
  cleanly on SIGINT/SIGTERM;
* ``await client.serve()`` is the same inside a running loop; it returns after
  ``await client.stop()`` (or when its scope is cancelled);
* ``await client.connect()`` / ``async with client:`` returns once authenticated and keeps the
  session running in a background task until ``disconnect()``.

In every mode a lost socket comes back by itself: the core schedules reconnects (with backoff
and session resume) and the runner opens the sockets. The modes differ only at the very first
attempt: ``connect()`` raises if it fails (refused, TLS, rejected credentials), while
``serve()``/``run()`` retry transport failures for ever and give up after 3 rejected
authentications (decision D7).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from relay_proto import (
    DEAD_LINK_TIMEOUT,
    DEFAULT_DIAL_TIMEOUT,
    MSG_CLIENT_NOT_CONNECTED,
    CallCommand,
    Event,
    RelayConnection,
    RelayEvent,
    check_dead_link_timeout,
    check_on_handler_error,
)

from ._config import ConnectionSlots, new_id, resolve_settings
from ._errors import RelayError, core_errors
from ._handlers import in_handler
from ._message import Message
from ._router import Router
from ._runner import serve_until_signal, spawn_detached
from ._session import ClientSession

if TYPE_CHECKING:
    from ._actions import Action
    from ._call import Call
    from ._call_base import CallBase

__all__ = ["RelayClient"]

logger = logging.getLogger("relay_anyio")

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

# Process-wide connection slots (RELAY_MAX_CONNECTIONS).
_SLOTS = ConnectionSlots()
# Bound on tearing a failed connect() down before its error is raised.
_CONNECT_CLEANUP_WAIT = 6.0


class RelayClient:
    """The RELAY client: inbound and outbound calls and messages over one WebSocket session.

    Args:
        project: project id; falls back to ``SIGNALWIRE_PROJECT_ID``.
        token: API token; falls back to ``SIGNALWIRE_API_TOKEN``.
        jwt_token: JWT; falls back to ``SIGNALWIRE_JWT_TOKEN``. When set it is used instead of
            project/token, which become optional.
        host: space host (``example.signalwire.com``), ``host:port`` (both mean ``wss``), or
            a ``ws://`` / ``wss://`` URL such as an emulator's; falls back to
            ``SIGNALWIRE_SPACE``, then ``relay.signalwire.com``. ``wss`` checks the server
            against the system trust store plus the CA file named by
            ``SIGNALWIRE_RELAY_CA_FILE``, if set.
        contexts: contexts to receive inbound calls and messages on.
        max_active_calls: inbound calls tracked at once (default ``RELAY_MAX_ACTIVE_CALLS``,
            else 1000); an inbound call over the limit is passed back to the server.
        shutdown_timeout: seconds a graceful stop (``stop()``, SIGINT/SIGTERM under ``run()``)
            lets running handlers finish before they are cancelled.
        dead_link_timeout: once the server has been seen pinging on the current connection,
            seconds without any frame from it after which the connection counts as dead
            (half-open): it is closed and reconnected, and the session resumed. Default 20;
            ``None`` turns this off. The client's own pings (every 30 s) run either way.
        on_handler_error: what happens to a call whose ``on_call`` handler raises (the error
            is always logged at ERROR with its traceback). ``"hangup"`` (default): the call is
            hung up (rejected if not yet answered) so the caller is not left in dead air,
            unless the handler handed it on: passed it (``pass_()``), connected it to another
            party (``connect()``), or transferred it (``transfer()``/``refer()``), or it has
            ended. ``"keep"``: the call is left as the handler left it (the official SDK's
            behaviour).

    Raises:
        TypeError: an argument of the wrong type (``project=123``, ``contexts="office"``,
            ``max_active_calls="5"``...), naming it.
        ValueError: no project (checked first) or token without a JWT, naming the variable that
            supplies it; an invalid host (user info, a path, a query, whitespace...), saying why;
            an ``on_handler_error`` other than ``"hangup"``/``"keep"``.

    Attributes:
        project, token, jwt_token, host: the resolved configuration.
        contexts: the contexts given at construction (``receive``/``unreceive`` do not change
            this list, but the session remembers them across reconnects: decision D8).
    """

    def __init__(
        self,
        project: str | None = None,
        token: str | None = None,
        jwt_token: str | None = None,
        host: str | None = None,
        contexts: list[str] | None = None,
        max_active_calls: int | None = None,
        *,
        shutdown_timeout: float = 10.0,
        dead_link_timeout: float | None = DEAD_LINK_TIMEOUT,
        on_handler_error: str = "hangup",
    ) -> None:
        settings = resolve_settings(project, token, jwt_token, host, contexts, max_active_calls)
        self._on_handler_error = check_on_handler_error(on_handler_error)
        self.project = settings.project
        self.token = settings.token
        self.jwt_token = settings.jwt_token
        self.host = settings.host
        self.contexts = settings.contexts
        self._endpoint = settings.endpoint
        self._max_active_calls = settings.max_active_calls
        self._dead_link_timeout = check_dead_link_timeout(dead_link_timeout)
        self._shutdown_timeout = shutdown_timeout
        self._on_call_handler: Callable[[Call], Any] | None = None
        self._on_message_handler: Callable[[Message], Any] | None = None
        self._router = Router(self)
        self._session: ClientSession | None = None
        self._conn: RelayConnection | None = None  # the current or last session's core
        # Called with every core event after the client handled it (tests, debugging).
        self._event_hooks: list[Callable[[Event], None]] = []

    def __repr__(self) -> str:
        state = "running" if self._session is not None else "stopped"
        return f"<RelayClient host={self.host!r} project={self.project!r} {state}>"

    # ---------------------------------------------------------------- handlers

    def on_call(self, handler: HandlerT) -> HandlerT:
        """Register the inbound call handler (usable as a decorator); replaces any previous one.

        ``handler(call)`` is normally an ``async def``. Each inbound call runs it in its own
        task; an exception it raises is logged with the call id and its traceback, hurts no
        other call, and ends this call unless the handler handed it on (see the
        ``on_handler_error`` argument of :class:`RelayClient`).
        """
        self._on_call_handler = handler
        return handler

    def on_message(self, handler: HandlerT) -> HandlerT:
        """Register the inbound message handler (usable as a decorator); replaces any previous.

        ``handler(message)`` runs in its own task for each inbound SMS/MMS; exceptions are
        logged.
        """
        self._on_message_handler = handler
        return handler

    @property
    def relay_protocol(self) -> str:
        """The session's protocol string (``""`` before the first connect and after the server
        asked for a fresh session)."""
        return self._conn.relay_protocol if self._conn is not None else ""

    # ---------------------------------------------------------------- lifecycle

    async def connect(self) -> None:
        """Connect and authenticate; return once the session is ready.

        The session then runs in the background until :meth:`disconnect`: a lost socket is
        reopened automatically and the session resumed, and requests issued meanwhile wait
        for it (up to their 10 s timeout).

        Raises:
            RuntimeError: already connected, or ``RELAY_MAX_CONNECTIONS`` clients are.
            RelayError: the server rejected the credentials, or closed before authenticating.
            RelayConnectError: the socket could not be opened; the message names the host and
                the cause. Its subclasses are also the standard types (``socket.gaierror`` for
                DNS, ``ConnectionRefusedError``, ``ssl.SSLError`` /
                ``ssl.SSLCertVerificationError`` for TLS, ``TimeoutError``), the same in
                relay_anyio and relay_sync.
        """
        session = self._new_session(fail_fast=True)
        spawn_detached(session.run_detached, "relay-anyio session")
        try:
            await session.wait_connected()
        except BaseException:
            session.request_stop()
            with anyio.CancelScope(shield=True), anyio.move_on_after(_CONNECT_CLEANUP_WAIT):
                await session.wait_finished()
            raise

    async def disconnect(self) -> None:
        """Close the session: requests and dials still pending fail with
        ``RelayError(-1, "Client disconnected")``, handlers are cancelled, the socket is closed.
        Does nothing when not connected."""
        session = self._session
        if session is None:
            return
        session.request_stop()
        await session.wait_finished()

    async def __aenter__(self) -> RelayClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    async def serve(self) -> None:
        """Run the session in the current task until :meth:`stop` is called.

        Connects, keeps reconnecting (transport failures are retried for ever with backoff),
        and runs the handlers. If the client is already connected, just waits for it to stop.

        Raises:
            RuntimeError: ``RELAY_MAX_CONNECTIONS`` clients are already connected.
            RelayError: the credentials were rejected 3 times before any success.
        """
        session = self._session
        if session is None:
            session = self._new_session(fail_fast=False)
            await session.run()
        else:
            await session.wait_finished()
        if session.fatal is not None:
            raise session.fatal

    async def stop(self) -> None:
        """Stop gracefully: take no new calls (new ones are passed back to the server, and the
        contexts are unreceived), let running handlers finish for up to ``shutdown_timeout``
        seconds, then disconnect. Called from a handler, it returns at once and the stop
        proceeds in the background."""
        session = self._session
        if session is None:
            return
        if in_handler():
            session.spawn(lambda: session.graceful_stop(self._shutdown_timeout), "relay-anyio stop")
            return
        await session.graceful_stop(self._shutdown_timeout)

    def run(
        self, backend: str = "asyncio", *, backend_options: dict[str, Any] | None = None
    ) -> None:
        """Run the client until SIGINT/SIGTERM (blocking): :meth:`serve` under ``anyio.run``.

        The first signal stops gracefully (see :meth:`stop`); a second one cancels at once.

        Args:
            backend: ``"asyncio"`` (default) or ``"trio"``.
            backend_options: passed to ``anyio.run`` (e.g. ``{"use_uvloop": True}``).

        Raises:
            RelayError: the credentials were rejected 3 times before any success.
        """
        # KeyboardInterrupt can still escape when SIGINT arrives before the handler is set up.
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(self._serve_until_signal, backend=backend, backend_options=backend_options)

    # ---------------------------------------------------------------- requests

    async def execute(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send any JSON-RPC request and return its result object.

        ``calling.*`` methods need ``node_id``/``call_id`` in ``params``. While the session is
        not ready (handshake, reconnect) the request is queued.

        Raises:
            RelayError: a JSON-RPC error, a non-2xx result code, a timeout (10 s), or the
                client is not connected.
        """
        session = self._require_session()
        conn = session.conn
        with core_errors():
            request_id = conn.execute(method, params, now=session.runner.now())
        return await session.request(request_id)

    async def dial(
        self,
        devices: Sequence[Sequence[Mapping[str, Any]]],
        *,
        tag: str | None = None,
        max_duration: int | None = None,
        dial_timeout: float | None = None,
    ) -> Call:
        """Place an outbound call and return it once a device answers.

        Args:
            devices: list of lists of device objects (``{"type": "phone", "params":
                {"to_number": ..., "from_number": ...}}``); inner lists ring together.
            tag: correlation tag (generated when omitted); set on the returned call.
            max_duration: maximum call length in minutes.
            dial_timeout: seconds to wait for an answer (default 120).

        Returns:
            The answered :class:`Call` (the same object that received the leg's events).

        Raises:
            ValueError: malformed ``devices``; nothing is sent.
            RelayTimeoutError: no answer within ``dial_timeout``: ``RelayError(-1, "Dial timed
                out waiting for answer (tag=...)")`` that is also a ``TimeoutError``; a late
                answer is hung up.
            RelayError: the dial was refused, or failed (``"Dial failed (tag=...): busy"``;
                ``reason`` holds the service's reason: ``busy``, ``noAnswer``...), or the
                connection closed during the dial.
        """
        session = self._require_session()
        conn = session.conn
        tag = tag or self._new_id()
        with core_errors():
            started = conn.dial(
                devices,
                now=anyio.current_time(),
                tag=tag,
                max_duration=max_duration,
                dial_timeout=DEFAULT_DIAL_TIMEOUT if dial_timeout is None else dial_timeout,
            )
        # Its outcome cannot be missed: events are dispatched by pump(), which runs after this.
        dial_waiter = self._router.expect_dial(tag)
        try:
            if started.request_id is not None:
                await session.request(started.request_id)
            return await dial_waiter.wait()
        finally:
            self._router.forget_dial(tag, dial_waiter)

    async def send_message(
        self,
        *,
        to_number: str,
        from_number: str,
        context: str | None = None,
        body: str | None = None,
        media: list[str] | None = None,
        tags: list[str] | None = None,
        region: str | None = None,
        on_completed: Callable[[RelayEvent], Any] | None = None,
    ) -> Message:
        """Send an SMS (``body``) or MMS (``media``) and return the outbound :class:`Message`.

        The message starts ``queued``; ``await message.wait()`` returns its terminal state
        event, and ``on_completed(event)`` (sync or async) runs then.

        Raises:
            ValueError: neither ``body`` nor ``media``, or other invalid arguments.
            RelayError: the server refused the message, or the request timed out.
        """
        session = self._require_session()
        conn = session.conn
        with core_errors():
            started = conn.send_message(
                now=anyio.current_time(),
                to_number=to_number,
                from_number=from_number,
                context=context,
                body=body,
                media=media,
                tags=tags,
                region=region,
            )
        message, accepted = self._router.outbound_message(
            context=started.context or "",  # the core resolved the default (spec 5.1)
            to_number=to_number,
            from_number=from_number,
            body=body,
            media=media,
            tags=tags,
            on_completed=on_completed,
            spawn=self._spawn,
        )
        if started.request_id is not None:
            await session.request(started.request_id, accepted)
        return message

    async def receive(self, contexts: list[str]) -> None:
        """Start receiving calls and messages on ``contexts`` (``signalwire.receive``); an empty
        list sends nothing. The contexts are kept across reconnects.

        Raises:
            ValueError: ``contexts`` is not a list of non-empty strings.
            RelayError: the server refused, or the request timed out.
        """
        session = self._require_session()
        conn = session.conn
        with core_errors():
            started = conn.receive(contexts, now=anyio.current_time())
        if started.request_id is not None:
            await session.request(started.request_id)

    async def unreceive(self, contexts: list[str]) -> None:
        """Stop receiving on ``contexts`` (``signalwire.unreceive``); an empty list sends
        nothing.

        Raises:
            ValueError: ``contexts`` is not a list of non-empty strings.
            RelayError: the server refused, or the request timed out.
        """
        session = self._require_session()
        conn = session.conn
        with core_errors():
            started = conn.unreceive(contexts, now=anyio.current_time())
        if started.request_id is not None:
            await session.request(started.request_id)

    # ---------------------------------------------------------------- private interface
    # Used by Call, the actions and Message (and mirrored by relay_sync's client).

    async def _call_command(
        self, call: CallBase, command: CallCommand, action: Action | None = None
    ) -> dict[str, Any]:
        """Send ``command`` for ``call``; if it starts ``action``, register that action for its
        events once the core has accepted the command."""
        session = self._require_session()
        conn = session.conn
        actions = self._router.actions
        try:
            with core_errors():
                started = conn.call_command(call.call_id, command, now=session.runner.now())
            # Registered only once the core accepted the command: a refused one (its control id
            # belongs to a pending action) must not replace that action. Its completion cannot
            # be missed: events are dispatched by pump(), which runs after this.
            if action is not None:
                actions[action.control_id] = action
            if started.request_id is None:
                return {}
            return await session.request(started.request_id, None, call)
        except BaseException as exc:
            # A refused or failed start: the core dropped the action; wake anyone waiting on it.
            if action is not None and isinstance(exc, (RelayError, ValueError)):
                if actions.get(action.control_id) is action:
                    del actions[action.control_id]
                action._fail(exc)
            raise

    def _new_id(self) -> str:
        return new_id()

    def _spawn(self, fn: Callable[[], Coroutine[Any, Any, Any]], name: str) -> bool:
        session = self._session
        return session.spawn(fn, name) if session is not None else False

    # ---------------------------------------------------------------- session plumbing

    @property
    def _running(self) -> bool:
        return self._session is not None

    def _require_session(self) -> ClientSession:
        session = self._session
        if session is None or not session.running:
            raise RelayError(
                -1, f"{MSG_CLIENT_NOT_CONNECTED}: use connect(), async with, serve() or run()"
            )
        return session

    def _new_session(self, *, fail_fast: bool) -> ClientSession:
        if self._session is not None:
            raise RuntimeError("this RelayClient is already connected")
        session = ClientSession(self, fail_fast=fail_fast)
        _SLOTS.acquire(self)
        self._session, self._conn = session, session.conn
        return session

    def _session_ended(self, session: ClientSession) -> None:
        if self._session is session:
            self._session = None
            _SLOTS.release(self)

    def _inbound_call(self, call: Call) -> None:
        if self._session is not None:
            self._session.inbound_call(call, self._on_call_handler)

    def _inbound_message(self, message: Message) -> None:
        if self._session is not None:
            self._session.inbound_message(message, self._on_message_handler)

    async def _serve_until_signal(self) -> None:
        def on_signal() -> bool:
            return self._spawn(self.stop, "relay-anyio stop")

        await serve_until_signal(self.serve, on_signal)
