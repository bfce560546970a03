"""RelayClient: the async RELAY client, on asyncio and trio.

A session is one :class:`relay_proto.RelayConnection` driven by a
:class:`~relay_anyio._runner.SessionRunner` inside a task group that also holds every handler
task. Three ways to run one:

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
import contextvars
import inspect
import logging
import random
import signal
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.abc

from relay_proto import (
    DEFAULT_DIAL_TIMEOUT,
    AuthRejected,
    CallCommand,
    Event,
    InvalidCommandError,
    LocalProtocolError,
    RelayConnection,
    RelayEvent,
    ServerDisconnect,
    SessionReady,
    TransportLost,
    mask_frame,
)

from ._config import ConnectionSlots, resolve_settings
from ._errors import RelayError
from ._message import Message
from ._primitives import Waiter
from ._router import Router
from ._runner import SessionRunner, spawn_detached
from ._transport import make_ssl_context

if TYPE_CHECKING:
    from ._actions import Action
    from ._call import Call
    from ._call_base import CallBase

__all__ = ["RelayClient"]

logger = logging.getLogger("relay_anyio")
frame_logger = logging.getLogger("relay_anyio.frames")

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

# Process-wide connection slots (RELAY_MAX_CONNECTIONS).
_SLOTS = ConnectionSlots()
# Set inside handler tasks, so that stop() called from a handler does not wait for itself.
_IN_HANDLER: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "relay_in_handler", default=False
)
# Bound on the WebSocket close handshake at disconnect (the core has its own, this is a backstop).
_CLOSE_WAIT = 5.0
# Bound on the best-effort unreceive sent when a graceful stop begins.
_UNRECEIVE_WAIT = 2.0


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

    Raises:
        ValueError: no project (checked first) or token without a JWT, naming the variable that
            supplies it; an invalid host (user info, a path, a query, whitespace...), saying why.

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
    ) -> None:
        settings = resolve_settings(project, token, jwt_token, host, contexts, max_active_calls)
        self.project = settings.project
        self.token = settings.token
        self.jwt_token = settings.jwt_token
        self.host = settings.host
        self.contexts = settings.contexts
        self._endpoint = settings.endpoint
        self._max_active_calls = settings.max_active_calls
        self._shutdown_timeout = shutdown_timeout
        self._on_call_handler: Callable[[Call], Any] | None = None
        self._on_message_handler: Callable[[Message], Any] | None = None
        self._router = Router(self)
        self._conn: RelayConnection | None = None
        self._runner: SessionRunner | None = None
        self._tg: anyio.abc.TaskGroup | None = None
        self._running = False
        self._draining = False
        self._fatal: BaseException | None = None
        self._connect_outcome: Waiter[None] | None = None
        # Per-session events, created by _prepare() (anyio objects need a running loop).
        self._stop_requested: anyio.Event | None = None
        self._finished: anyio.Event | None = None
        self._closed: anyio.Event | None = None
        self._handlers = 0
        self._handlers_idle: anyio.Event | None = None

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<RelayClient host={self.host!r} project={self.project!r} {state}>"

    # ---------------------------------------------------------------- handlers

    def on_call(self, handler: HandlerT) -> HandlerT:
        """Register the inbound call handler (usable as a decorator); replaces any previous one.

        ``handler(call)`` is normally an ``async def``. Each inbound call runs it in its own
        task; an exception it raises is logged with the call id and hurts nothing else.
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
            OSError, ssl.SSLError, TimeoutError: the socket could not be opened.
        """
        self._prepare()
        outcome: Waiter[None] = Waiter()
        self._connect_outcome = outcome
        spawn_detached(self._detached_session, "relay-anyio session")
        try:
            await outcome.wait()
        except BaseException:
            self._request_stop()
            with anyio.CancelScope(shield=True), anyio.move_on_after(_CLOSE_WAIT + 1):
                await self._wait_finished()
            raise
        finally:
            self._connect_outcome = None

    async def disconnect(self) -> None:
        """Close the session: requests and dials still pending fail with
        ``RelayError(-1, "Client disconnected")``, handlers are cancelled, the socket is closed.
        Does nothing when not connected."""
        if not self._running:
            return
        self._request_stop()
        await self._wait_finished()

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
        if self._running:
            await self._wait_finished()
        else:
            self._prepare()
            await self._session()
        fatal, self._fatal = self._fatal, None
        if fatal is not None:
            raise fatal

    async def stop(self) -> None:
        """Stop gracefully: take no new calls (new ones are passed back to the server, and the
        contexts are unreceived), let running handlers finish for up to ``shutdown_timeout``
        seconds, then disconnect. Called from a handler, it returns at once and the stop
        proceeds in the background."""
        if not self._running:
            return
        if _IN_HANDLER.get():
            self._spawn(self._graceful_stop, "relay-anyio stop")
            return
        await self._graceful_stop()

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
            anyio.run(self._run_until_signal, backend=backend, backend_options=backend_options)

    # ---------------------------------------------------------------- requests

    async def execute(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send any JSON-RPC request and return its result object.

        ``calling.*`` methods need ``node_id``/``call_id`` in ``params``. While the session is
        not ready (handshake, reconnect) the request is queued.

        Raises:
            RelayError: a JSON-RPC error, a non-2xx result code, a timeout (10 s), or the
                client is not connected.
        """
        conn = self._require_conn()
        with _core_errors():
            request_id = conn.execute(method, params, now=anyio.current_time())
        return await self._await_request(request_id)

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
            RelayError: the dial was refused or failed (``"Dial failed (tag=...)"``), timed out
                (``"Dial timed out waiting for answer (tag=...)"``; a late answer is hung up),
                or the connection closed during the dial.
        """
        conn = self._require_conn()
        tag = tag or self._new_id()
        dial_waiter: Waiter[Call] = Waiter()
        self._router.dials[tag] = dial_waiter
        try:
            with _core_errors():
                started = conn.dial(
                    devices,
                    now=anyio.current_time(),
                    tag=tag,
                    max_duration=max_duration,
                    dial_timeout=DEFAULT_DIAL_TIMEOUT if dial_timeout is None else dial_timeout,
                )
            if started.request_id is not None:
                await self._await_request(started.request_id)
            return await dial_waiter.wait()
        finally:
            if self._router.dials.get(tag) is dial_waiter:
                del self._router.dials[tag]

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
        conn = self._require_conn()
        with _core_errors():
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
        message = Message(
            # The core filled in the same default (spec 5.1) in the frame it queued.
            context=context or conn.relay_protocol or "default",
            direction="outbound",
            from_number=from_number,
            to_number=to_number,
            body=body or "",
            media=media,
            state="queued",
            tags=tags,
        )
        message._on_completed = on_completed
        message._spawn = self._spawn

        def accepted(result: dict[str, Any]) -> None:
            # Runs at dispatch time, so a state event right behind the reply finds it.
            message_id = result.get("message_id")
            if isinstance(message_id, str) and message_id:
                message.message_id = message_id
                self._router.track_message(message)

        if started.request_id is not None:
            await self._await_request(started.request_id, accepted)
        return message

    async def receive(self, contexts: list[str]) -> None:
        """Start receiving calls and messages on ``contexts`` (``signalwire.receive``); an empty
        list sends nothing. The contexts are kept across reconnects.

        Raises:
            ValueError: ``contexts`` is not a list of non-empty strings.
            RelayError: the server refused, or the request timed out.
        """
        conn = self._require_conn()
        with _core_errors():
            started = conn.receive(contexts, now=anyio.current_time())
        if started.request_id is not None:
            await self._await_request(started.request_id)

    async def unreceive(self, contexts: list[str]) -> None:
        """Stop receiving on ``contexts`` (``signalwire.unreceive``); an empty list sends
        nothing.

        Raises:
            ValueError: ``contexts`` is not a list of non-empty strings.
            RelayError: the server refused, or the request timed out.
        """
        conn = self._require_conn()
        with _core_errors():
            started = conn.unreceive(contexts, now=anyio.current_time())
        if started.request_id is not None:
            await self._await_request(started.request_id)

    # ---------------------------------------------------------------- private interface
    # Used by Call, the actions and Message (and mirrored by relay_sync's client).

    async def _call_command(
        self, call: CallBase, command: CallCommand, action: Action | None = None
    ) -> dict[str, Any]:
        """Send ``command`` for ``call``; register ``action`` first if it starts one."""
        conn = self._require_conn()
        if action is not None:
            self._router.actions[action.control_id] = action
        try:
            with _core_errors():
                started = conn.call_command(call.call_id, command, now=anyio.current_time())
            if started.request_id is None:
                return {}
            return await self._await_request(started.request_id)
        except BaseException as exc:
            # A refused start: the core dropped the action; wake anyone waiting on it.
            if action is not None and isinstance(exc, (RelayError, ValueError)):
                self._router.actions.pop(action.control_id, None)
                action._fail(exc)
            raise

    def _new_id(self) -> str:
        return str(uuid.uuid4())

    def _spawn(self, fn: Callable[[], Coroutine[Any, Any, Any]], name: str) -> bool:
        tg = self._tg
        if tg is None:
            return False
        try:
            tg.start_soon(fn, name=name)
        except RuntimeError:  # the task group is shutting down
            return False
        return True

    # ---------------------------------------------------------------- session internals

    def _require_conn(self) -> RelayConnection:
        if self._conn is None or not self._running:
            raise RelayError(
                -1, "Client is not connected: use connect(), async with, serve() or run()"
            )
        return self._conn

    async def _await_request(
        self, request_id: str, on_result: Callable[[dict[str, Any]], None] | None = None
    ) -> dict[str, Any]:
        waiter = self._router.expect(request_id, on_result)
        runner = self._runner
        if runner is not None:
            runner.pump()
            await runner.flush()
        return await waiter.wait()

    def _prepare(self) -> None:
        """Create the connection and runner of a new session (nothing runs yet)."""
        if self._running:
            raise RuntimeError("this RelayClient is already connected")
        ssl_context = make_ssl_context(self._endpoint)
        conn = RelayConnection(
            project=self.project,
            token=self.token,
            jwt_token=self.jwt_token,
            host=self._endpoint.authority,
            contexts=self.contexts,
            max_active_calls=self._max_active_calls,
            id_factory=self._new_id,
            rng=random.Random(),
            frame_observer=self._frame_observer(),
        )
        runner = SessionRunner(
            conn, self._endpoint, ssl_context, self._on_event, self._on_open_error
        )
        _SLOTS.acquire(self)  # last: nothing below can fail and leak the slot
        self._conn, self._runner = conn, runner
        self._running = True
        self._draining = False
        self._fatal = None
        self._stop_requested = anyio.Event()
        self._finished = anyio.Event()
        self._closed = anyio.Event()
        self._handlers_idle = anyio.Event()
        self._handlers_idle.set()

    async def _detached_session(self) -> None:
        try:
            await self._session()
        except BaseException as exc:  # a detached task must not raise (trio would crash)
            if not isinstance(exc, anyio.get_cancelled_exc_class()):
                logger.exception("the RELAY session ended with an error")

    async def _session(self) -> None:
        runner, stop_requested = self._runner, self._stop_requested
        if runner is None or stop_requested is None:  # pragma: no cover - _prepare() first
            raise RuntimeError("session not prepared")
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                tg.start_soon(self._guarded, runner.run_timer, name="relay-anyio timer")
                tg.start_soon(self._guarded, self._transports, name="relay-anyio reader")
                try:
                    await stop_requested.wait()
                except anyio.get_cancelled_exc_class():
                    # serve() cancelled from outside: say goodbye, but do not wait for it.
                    with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
                        runner.close()
                        await runner.flush()
                    raise
                await self._close(runner)
                tg.cancel_scope.cancel()
        finally:
            self._tg = None
            self._end_session()

    async def _transports(self) -> None:
        if self._runner is not None:
            await self._runner.serve_transports()
        self._request_stop()  # only returns when the first connect failed

    async def _guarded(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        # The I/O tasks must not take the task group down with an exception group: an error
        # here is a bug or an unforeseen failure, reported once, and it ends the session.
        try:
            await fn()
        except Exception as exc:
            logger.exception("RELAY session failed")
            if self._connect_outcome is not None:
                self._connect_outcome.fail(exc)
            if self._fatal is None:
                self._fatal = exc
            self._request_stop()

    async def _close(self, runner: SessionRunner) -> None:
        runner.close()
        await runner.flush()
        if self._closed is not None:
            with anyio.move_on_after(_CLOSE_WAIT):
                await self._closed.wait()

    def _end_session(self) -> None:
        error = RelayError(-1, "Client disconnected")
        self._router.fail_all(error)
        actions, self._router.actions = self._router.actions, {}
        for action in actions.values():
            action._fail(error)
        calls, self._router.calls = self._router.calls, {}
        for call in calls.values():
            call._abort(error)
        self._router.messages.clear()
        self._running = False
        _SLOTS.release(self)
        if self._connect_outcome is not None:
            self._connect_outcome.fail(self._fatal or error)
        if self._finished is not None:
            self._finished.set()

    def _request_stop(self) -> None:
        if self._stop_requested is not None:
            self._stop_requested.set()

    async def _wait_finished(self) -> None:
        if self._finished is not None:
            await self._finished.wait()

    def _on_open_error(self, error: BaseException) -> bool:
        outcome = self._connect_outcome
        if outcome is None or outcome.is_set():
            return False  # serve(), or a reconnect: the core backs off and retries
        outcome.fail(error)
        return True

    def _on_event(self, event: Event) -> None:
        if isinstance(event, SessionReady):
            self._session_ready(event)
        elif isinstance(event, AuthRejected):
            self._auth_rejected(event)
        elif isinstance(event, TransportLost):
            self._transport_lost(event)
        elif isinstance(event, ServerDisconnect):
            logger.info("server asked to disconnect (restart=%s)", event.restart)
        else:
            self._router.handle(event)

    def _session_ready(self, event: SessionReady) -> None:
        logger.info(
            "RELAY session ready (protocol %s, %s)",
            event.protocol,
            "resumed" if event.resumed else "new",
        )
        conn = self._conn
        if not event.resumed and conn is not None:
            self._router.forget_unknown_calls(lambda call_id: conn.get_call(call_id) is not None)
        if self._connect_outcome is not None:
            self._connect_outcome.set(None)

    def _auth_rejected(self, event: AuthRejected) -> None:
        error = RelayError(event.code, event.message or "Unknown error")
        logger.warning("authentication rejected (attempt %d): %s", event.attempt, error)
        outcome = self._connect_outcome
        if outcome is not None and not outcome.is_set():
            outcome.fail(error)  # connect() raises at the first rejection (D7)
            self._request_stop()
        elif event.final:
            self._fatal = error
            self._request_stop()

    def _transport_lost(self, event: TransportLost) -> None:
        if event.reconnect_at is None:
            if self._closed is not None:
                self._closed.set()
            if not self._stop_requested_is_set():
                logger.warning("RELAY connection closed for good: %s", event.reason)
                if self._fatal is None:
                    self._fatal = RelayError(-1, f"Connection closed: {event.reason}")
                self._request_stop()
            return
        delay = max(0.0, event.reconnect_at - anyio.current_time())
        logger.warning("RELAY connection lost (%s); reconnecting in %.1f s", event.reason, delay)
        outcome = self._connect_outcome
        if outcome is not None and not outcome.is_set():
            outcome.fail(RelayError(-1, f"Connection closed before authentication: {event.reason}"))
            self._request_stop()

    def _stop_requested_is_set(self) -> bool:
        return self._stop_requested is not None and self._stop_requested.is_set()

    # ---------------------------------------------------------------- handlers and shutdown

    def _inbound_call(self, call: Call) -> None:
        if self._draining:
            self._spawn(lambda: self._pass_back(call), f"pass {call.call_id}")
            return
        handler = self._on_call_handler
        if handler is None:
            logger.warning("inbound call %s: no on_call handler registered", call.call_id)
            return
        self._start_handler(handler, call, f"on_call handler for call {call.call_id}")

    def _inbound_message(self, message: Message) -> None:
        handler = self._on_message_handler
        if handler is None:
            logger.warning(
                "inbound message %s: no on_message handler registered", message.message_id
            )
            return
        self._start_handler(
            handler, message, f"on_message handler for message {message.message_id}"
        )

    def _start_handler(self, handler: Callable[[Any], Any], arg: Any, what: str) -> None:
        async def run() -> None:
            _IN_HANDLER.set(True)
            try:
                result = handler(arg)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("%s raised", what)
            finally:
                self._handler_done()

        self._handlers += 1
        if self._handlers_idle is not None and self._handlers_idle.is_set():
            self._handlers_idle = anyio.Event()
        if not self._spawn(run, what):
            self._handler_done()
            logger.error("%s not run: the client is shutting down", what)

    def _handler_done(self) -> None:
        self._handlers -= 1
        if self._handlers == 0 and self._handlers_idle is not None:
            self._handlers_idle.set()

    async def _pass_back(self, call: Call) -> None:
        try:
            await call.pass_()
        except Exception as exc:
            logger.warning("could not pass call %s back while stopping: %s", call.call_id, exc)

    async def _graceful_stop(self) -> None:
        if self._draining:
            await self._wait_finished()
            return
        self._draining = True
        logger.info("stopping: no new calls, waiting for %d handler(s)", self._handlers)
        conn = self._conn
        if conn is not None and conn.contexts:
            with anyio.move_on_after(_UNRECEIVE_WAIT):
                try:
                    await self.unreceive(list(conn.contexts))
                except (RelayError, ValueError) as exc:
                    logger.debug("unreceive at stop failed: %s", exc)
        if self._handlers_idle is not None:
            with anyio.move_on_after(self._shutdown_timeout):
                await self._handlers_idle.wait()
        await self.disconnect()

    async def _run_until_signal(self) -> None:
        error: BaseException | None = None
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch_signals, tg.cancel_scope)
            try:
                await self.serve()
            except Exception as exc:  # raised outside the task group: no exception group
                error = exc
            tg.cancel_scope.cancel()
        if error is not None:
            raise error

    async def _watch_signals(self, scope: anyio.CancelScope) -> None:
        wanted = [signal.SIGINT]
        if hasattr(signal, "SIGTERM"):
            wanted.append(signal.SIGTERM)
        try:
            receiver = anyio.open_signal_receiver(*wanted)
            signals = receiver.__enter__()
        except (NotImplementedError, RuntimeError, ValueError) as exc:
            logger.debug("no signal handling (not the main thread?): %s", exc)
            return
        try:
            stopping = False
            async for signum in signals:
                if stopping:
                    logger.warning("second signal %s: stopping now", signum)
                    scope.cancel()
                    return
                logger.info("signal %s: stopping gracefully", signum)
                stopping = True
                if not self._spawn(self.stop, "relay-anyio stop"):
                    scope.cancel()  # not connected yet: nothing to drain
        finally:
            receiver.__exit__(None, None, None)

    # ---------------------------------------------------------------- logging

    def _frame_observer(self) -> Callable[[str, str], None] | None:
        """A debug trace of every frame, masked, when ``relay_anyio.frames`` logs DEBUG."""
        if not frame_logger.isEnabledFor(logging.DEBUG):
            return None

        def observe(direction: str, text: str) -> None:
            conn = self._conn
            live = [self.project, self.token, self.jwt_token]
            state = getattr(conn, "authorization_state", "")
            if isinstance(state, str) and state:
                live.append(state)
            arrow = "<<" if direction == "in" else ">>"
            frame_logger.debug("%s %s", arrow, mask_frame(text, live))

        return observe


@contextlib.contextmanager
def _core_errors() -> Iterator[None]:
    """Report the core refusing a command in its current state (closed...) as a RelayError;
    invalid arguments stay ValueErrors."""
    try:
        yield
    except InvalidCommandError:
        raise
    except LocalProtocolError as exc:
        raise RelayError(-1, str(exc)) from None
