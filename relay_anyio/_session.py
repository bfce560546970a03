"""One run of a RelayClient, from ``connect()``/``serve()`` to its end.

A :class:`ClientSession` owns a :class:`relay_proto.RelayConnection`, the
:class:`~relay_anyio._runner.SessionRunner` that drives it, the task group holding the I/O tasks
and every handler task, and the session-level outcome (ready, rejected, closed for good). The
core decides; the session reacts: it resolves ``connect()``, records a fatal error for
``serve()``, and tears everything down exactly once (:meth:`ClientSession.run`'s ``finally``).

Calls, actions, dials and messages live in the client's :class:`~relay_anyio._router.Router`;
the session routes every event that is not about the session itself there.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import sniffio

from relay_proto import (
    SESSION_EVENTS,
    Event,
    RelayConnection,
    decide_session_event,
)

from ._config import make_ssl_context
from ._errors import RelayError, core_errors
from ._handlers import HandlerPool
from ._primitives import Waiter
from ._runner import SessionRunner, frame_tracer

if TYPE_CHECKING:
    from ._aio_stream import AioTasks
    from ._call import Call
    from ._call_base import CallBase
    from ._client import RelayClient
    from ._message import Message

__all__ = ["ClientSession"]

logger = logging.getLogger("relay_anyio")

# Bound on the WebSocket close handshake at disconnect (the core has its own, this is a backstop).
_CLOSE_WAIT = 5.0
# Bound on the best-effort unreceive sent when a graceful stop begins.
_UNRECEIVE_WAIT = 2.0


class ClientSession:
    """The connection, runner and task group of one client run. Build it inside a running loop.

    Args:
        client: the owner (configuration, router, handlers).
        fail_fast: ``connect()`` semantics: the first failure (socket, rejection, close before
            authentication) ends the session and is raised by :meth:`wait_connected`.

    Raises:
        OSError, ssl.SSLError: the CA file named by ``SIGNALWIRE_RELAY_CA_FILE`` is unusable.
    """

    def __init__(self, client: RelayClient, *, fail_fast: bool) -> None:
        self._client = client
        self._router = client._router
        ssl_context = make_ssl_context(client._endpoint)
        # A client that disconnected on purpose and connects again resumes its session and keeps
        # the contexts it receive()d (the core decides what to do with them).
        previous = client._conn
        self.conn = RelayConnection(
            project=client.project,
            token=client.token,
            jwt_token=client.jwt_token,
            host=client._endpoint.authority,
            contexts=previous.contexts if previous is not None else client.contexts,
            protocol=previous.relay_protocol if previous is not None else "",
            authorization_state=previous.authorization_state if previous is not None else "",
            max_active_calls=client._max_active_calls,
            dead_link_timeout=client._dead_link_timeout,
            id_factory=client._new_id,
            rng=random.Random(),
            frame_observer=frame_tracer(self._live_secrets),
        )
        self.runner = SessionRunner(
            self.conn, client._endpoint, ssl_context, self._on_event, self._on_open_error
        )
        self.fatal: BaseException | None = None
        self.running = True
        self._draining = False
        self._tg: anyio.abc.TaskGroup | None = None
        # On trio, the nursery of handler tasks (see _trio_nursery).
        self._nursery: Any = None
        # On asyncio, handler tasks are plain tasks (see AioTasks); trio uses the task group.
        self._aio_tasks: AioTasks | None = None
        if sniffio.current_async_library() == "asyncio":
            # Imported here: a process on trio never imports asyncio.
            from ._aio_stream import AioTasks

            self._aio_tasks = AioTasks.on_running_loop()
        self.handlers = HandlerPool(self.spawn, self._aio_tasks)
        self._on_call_error = self._call_handler_failed  # one bound method for every call
        self._connected: Waiter[None] | None = Waiter() if fail_fast else None
        self._stop_requested = anyio.Event()
        self._finished = anyio.Event()
        self._closed = anyio.Event()

    # ---------------------------------------------------------------- used by the client

    def spawn(self, fn: Callable[..., Coroutine[Any, Any, Any]], name: str, *args: Any) -> bool:
        """Start ``fn(*args)`` in the session's task group; ``False`` if the session is not
        running."""
        tg = self._tg
        if tg is None:
            return False
        if self._aio_tasks is not None:
            self._aio_tasks.start(fn(*args), name)
            return True
        try:
            if self._nursery is not None:
                self._nursery.start_soon(fn, *args, name=name)
            else:
                tg.start_soon(fn, *args, name=name)
        except RuntimeError:  # the task group (or nursery) is shutting down
            return False
        return True

    async def request(
        self,
        request_id: str,
        on_result: Callable[[dict[str, Any]], None] | None = None,
        call: CallBase | None = None,
    ) -> dict[str, Any]:
        """Wait for the outcome of a request the caller just issued on :attr:`conn`
        (``on_result`` and ``call``: see :meth:`Router.expect`).

        Raises:
            RelayError: the request failed or timed out, or the session ended.
        """
        waiter = self._router.expect(request_id, on_result, call)
        try:
            runner = self.runner
            runner.pump()
            if not runner.write_nowait():
                await runner.flush()
            return await waiter.wait()
        except BaseException:
            if not waiter.is_set():
                self.give_up(request_id)
            raise

    def give_up(self, request_id: str) -> None:
        """The caller stopped waiting for ``request_id`` (cancelled, its timeout passed): if it
        is still queued offline the core withdraws it, so it is never sent."""
        self._router.requests.pop(request_id, None)
        if self.conn.cancel_request(request_id, now=self.runner.now()):
            logger.debug("request %s withdrawn from the offline queue", request_id)
        self.runner.pump()

    async def wait_connected(self) -> None:
        """(``fail_fast`` sessions) Wait for the first authentication.

        Raises:
            RelayError: credentials rejected, or the server closed before authentication.
            RelayConnectError: the socket could not be opened (an ``OSError``).
        """
        if self._connected is not None:
            await self._connected.wait()

    def request_stop(self) -> None:
        """Make :meth:`run` close the connection and end (returns at once)."""
        self._stop_requested.set()

    async def wait_finished(self) -> None:
        """Wait until :meth:`run` has torn everything down."""
        await self._finished.wait()

    def inbound_call(self, call: Call, handler: Callable[[Call], Any] | None) -> None:
        """Run ``handler`` for a new inbound call (while draining, the core passes new calls
        back itself and never reports them here)."""
        if handler is None:
            logger.warning("inbound call %s: no on_call handler registered", call.call_id)
            return
        what = f"on_call handler for call {call.call_id}"
        self.handlers.start(handler, call, what, self._on_call_error)

    async def _call_handler_failed(self, call: Call, error: Exception) -> None:
        # Hang the call up unless the handler handed it on (relay_proto decides).
        policy = self._client._on_handler_error
        await call._handler_failed(error, policy, self.conn.get_call(call.call_id))

    def inbound_message(self, message: Message, handler: Callable[[Message], Any] | None) -> None:
        """Run ``handler`` for a new inbound message."""
        if handler is None:
            logger.warning("inbound message %s: no on_message handler", message.message_id)
        else:
            what = f"on_message handler for message {message.message_id}"
            self.handlers.start(handler, message, what)

    async def graceful_stop(self, shutdown_timeout: float) -> None:
        """Stop taking calls, let handlers finish for up to ``shutdown_timeout`` seconds, then
        close. A second call just waits for the first one's outcome."""
        if self._draining:
            await self.wait_finished()
            return
        self._draining = True
        logger.info("stopping: no new calls, waiting for %d handler(s)", self.handlers.running)
        with anyio.move_on_after(_UNRECEIVE_WAIT):
            try:
                with core_errors():
                    started = self.conn.drain(now=self.runner.now())
                if started.request_id is not None:
                    await self.request(started.request_id)
            except (RelayError, ValueError) as exc:
                logger.debug("unreceive at stop failed: %s", exc)
        if not await self.handlers.wait_idle(shutdown_timeout):
            logger.warning("%d handler(s) still running: cancelling them", self.handlers.running)
        self.request_stop()
        await self.wait_finished()

    # ---------------------------------------------------------------- the run

    async def run(self) -> None:
        """Run until :meth:`request_stop` (or cancellation), then close and clean up."""
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                if self._aio_tasks is None and sniffio.current_async_library() == "trio":
                    self._nursery = await tg.start(self._trio_nursery)
                tg.start_soon(self._guarded, self.runner.run_timer, name="relay-anyio timer")
                tg.start_soon(self._guarded, self._transports, name="relay-anyio reader")
                try:
                    await self._stop_requested.wait()
                except anyio.get_cancelled_exc_class():
                    # Cancelled from outside: say goodbye, but do not wait for the answer.
                    with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
                        self.runner.close()
                        await self.runner.flush()
                    raise
                await self._close()
                tg.cancel_scope.cancel()
        finally:
            self._tg = self._nursery = None
            if self._aio_tasks is not None:
                with anyio.CancelScope(shield=True):
                    await self._aio_tasks.cancel_all()
            self._end()

    async def _trio_nursery(self, *, task_status: anyio.abc.TaskStatus[Any]) -> None:
        # On trio, handler tasks go to a plain trio nursery inside the task group: an anyio
        # task-group child carries a task handle with its own cancel scope and event (about
        # 1 KB per held call). Cancelling the task group cancels the nursery and its tasks.
        import trio

        async with trio.open_nursery() as nursery:
            task_status.started(nursery)
            await trio.sleep_forever()

    async def run_detached(self) -> None:
        """:meth:`run` for a task nobody awaits: never raises (trio would crash on it)."""
        try:
            await self.run()
        except BaseException as exc:
            if not isinstance(exc, anyio.get_cancelled_exc_class()):
                logger.exception("the RELAY session ended with an error")

    async def _transports(self) -> None:
        await self.runner.serve_transports()
        self.request_stop()  # it only returns when the first connect failed

    async def _guarded(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        # The I/O tasks must not take the task group down with an exception group: an error
        # here is a bug or an unforeseen failure, reported once, and it ends the session.
        try:
            await fn()
        except Exception as exc:
            logger.exception("RELAY session failed")
            self._fail_connect(exc)
            if self.fatal is None:
                self.fatal = exc
            self.request_stop()

    async def _close(self) -> None:
        self.runner.close()
        await self.runner.flush()
        with anyio.move_on_after(_CLOSE_WAIT):
            await self._closed.wait()

    def _end(self) -> None:
        error = RelayError(-1, "Client disconnected")
        router = self._router
        router.fail_all(error)
        self.running = False
        self._fail_connect(self.fatal or error)
        self._client._session_ended(self)
        self._finished.set()

    def _live_secrets(self) -> list[str]:
        client = self._client
        return [client.project, client.token, client.jwt_token, self.conn.authorization_state]

    # ---------------------------------------------------------------- core events

    def _fail_connect(self, error: BaseException) -> bool:
        """Fail a pending ``connect()``; ``True`` if there was one."""
        connected = self._connected
        if connected is None or connected.is_set():
            return False
        connected.fail(error)
        return True

    def _on_open_error(self, error: BaseException) -> bool:
        # connect(): raise at the first failure. serve() or a reconnect: the core backs off.
        return self._fail_connect(error)

    def _on_event(self, event: Event) -> None:
        if type(event) in SESSION_EVENTS:
            self._session_event(event)
        else:
            self._router.handle(event)
        hooks = self._client._event_hooks
        if hooks:  # no copy of an empty list for every event
            for hook in list(hooks):
                hook(event)

    def _session_event(self, event: Event) -> None:
        # relay_proto decides (D7 and the rest); the session carries the decision out.
        connecting = self._connected is not None and not self._connected.is_set()
        decision = decide_session_event(
            event,
            connecting=connecting,
            stopping=self._stop_requested.is_set(),
            now=self.runner.now(),
        )
        if decision is None:  # pragma: no cover - SESSION_EVENTS are all decided
            return
        logger.log(decision.log_level, "%s", decision.log)
        if decision.connected and connecting and self._connected is not None:
            self._connected.set(None)
        if decision.closed:
            self._closed.set()
        if decision.error is not None:
            error = RelayError(*decision.error)
            if decision.fail_connect:
                self._fail_connect(error)
            if decision.fatal and self.fatal is None:
                self.fatal = error
        if decision.stop:
            self.request_stop()
