"""The machinery under :class:`relay_sync.RelayClient`: one session's lifecycle, its events,
its handler threads and the graceful stop.

A session is one :class:`relay_proto.RelayConnection` driven by a
:class:`~relay_sync._runner.SessionRunner` (reader and timer threads), plus a
:class:`~relay_sync._workers.WorkerPool` for the ``on_call``/``on_message`` handlers and a
pool for listeners and ``on_completed`` callbacks (in order per call or message). A
*session thread* owns it: it starts the runner, waits until a stop is requested, closes the
connection and tears everything down (``_end_session``). ``serve()`` runs the session
thread's loop in the caller's thread; ``connect()`` starts a daemon thread for it and returns
once authenticated.

Registries (the router) and the core are touched only under the runner's lock, so every public
method may be called from any thread.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import random
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from relay_proto import (
    MSG_CLIENT_NOT_CONNECTED,
    SESSION_EVENTS,
    CallInfo,
    Event,
    decide_session_event,
    mask_frame,
)
from relay_proto._connection import RelayConnection

from ._config import ConnectionSlots, make_ssl_context, uuid4_strings
from ._errors import RelayError, core_errors
from ._primitives import Waiter
from ._router import Router, _Request
from ._runner import SessionRunner, now
from ._workers import Strands, WorkerPool

if TYPE_CHECKING:
    from relay_proto import CallCommand, Endpoint

    from ._actions import Action
    from ._call import Call
    from ._call_base import CallBase
    from ._message import Message

__all__ = ["CallCommandWork", "ClientSession", "HandlerCount"]

logger = logging.getLogger("relay_sync")
frame_logger = logging.getLogger("relay_sync.frames")

# Process-wide connection slots (RELAY_MAX_CONNECTIONS); the set itself is not thread-safe.
_SLOTS = ConnectionSlots()
_SLOTS_LOCK = threading.Lock()
# Marks the threads that run user code, so that stop() called there does not wait for itself.
_LOCAL = threading.local()
# Bound on the WebSocket close handshake at disconnect (the core has its own; a backstop).
_CLOSE_WAIT = 5.0
# Bound on the best-effort unreceive sent when a graceful stop begins.
_UNRECEIVE_WAIT = 2.0
# Handlers waiting for a free worker (beyond that, inbound work is refused and logged).
_MAX_QUEUED_HANDLERS = 10_000
# Calls and messages whose listener/on_completed callbacks wait for a callback thread.
_MAX_QUEUED_CALLBACKS = 100_000

# Ids made per os.urandom read (see ClientSession._new_id).
_IDS_PER_READ = 64

NOT_CONNECTED = f"{MSG_CLIENT_NOT_CONNECTED}: use connect(), with, serve() or run()"


def in_user_thread() -> bool:
    """Whether the current thread is one of the client's handler or callback threads."""
    return bool(getattr(_LOCAL, "user_code", False))


class ClientSession:
    """Session state and internals of the blocking client (see :class:`relay_sync.RelayClient`).

    Subclasses set the configuration attributes before calling :meth:`_init_session`.
    """

    project: str
    token: str
    jwt_token: str
    host: str
    contexts: list[str]
    _endpoint: Endpoint
    _max_active_calls: int
    _dead_link_timeout: float | None
    _max_workers: int
    _shutdown_timeout: float
    _on_call_handler: Callable[[Call], Any] | None
    _on_message_handler: Callable[[Message], Any] | None
    _on_handler_error: str

    def _init_session(self) -> None:
        # Guards lifecycle transitions (prepare, start of a graceful stop).
        self._state_lock = threading.Lock()
        self._router = Router(self)  # type: ignore[arg-type]  # a RelayClient in practice
        self._conn: RelayConnection | None = None
        self._runner: SessionRunner | None = None
        self._running = False
        self._draining = False
        self._fatal: BaseException | None = None
        self._connect_outcome: Waiter[None] | None = None
        self._stop_requested = threading.Event()
        self._finished = threading.Event()
        self._finished.set()  # nothing running yet
        self._closed = threading.Event()
        self._handlers = HandlerCount()
        self._pool: WorkerPool | None = None
        self._callbacks: Strands | None = None
        self._ids: Iterator[str] = iter(())

    # ---------------------------------------------------------------- core access

    @contextlib.contextmanager
    def _core(self) -> Iterator[RelayConnection]:
        """The core, under the runner's lock, for a session that is running.

        Raises:
            RelayError: not connected (or the session ended meanwhile); the core refused the
                command in its state.
            ValueError: the core found an argument invalid.
        """
        runner = self._runner
        if runner is None or not self._running:
            raise RelayError(-1, NOT_CONNECTED)
        with runner.core() as conn:
            # Checked again under the lock: _end_session fails every waiter under it, so a
            # request registered after that would never be answered.
            if not self._running:
                raise RelayError(-1, NOT_CONNECTED)
            with core_errors():
                yield conn

    @contextlib.contextmanager
    def _registry_lock(self) -> Iterator[None]:
        runner = self._runner
        if runner is None:
            yield
            return
        with runner.locked():
            yield

    def _new_id(self) -> str:
        """A fresh ``uuid4`` string (request ids, control ids, dial tags).

        The core asks for ids under its lock; ``uuid.uuid4()`` reads ``os.urandom``, which lets
        go of the GIL for the system call, and another thread then runs into the lock the
        caller holds. The random bytes are therefore read 64 ids at a time."""
        try:
            return next(self._ids)
        except StopIteration:
            self._ids = uuid4_strings(_IDS_PER_READ)
            return next(self._ids)

    def _spawn(self, fn: Callable[[], Any], name: str, key: str = "") -> bool:
        """Run ``fn`` on a callback thread, after earlier work of ``key`` (a call or message);
        ``False`` when no session runs."""
        strands = self._callbacks
        if strands is None:
            return False

        def job() -> None:
            _LOCAL.user_code = True
            fn()

        return strands.submit(key, job, name)

    # ---------------------------------------------------------------- lifecycle

    def _prepare(self) -> None:
        """Create the connection, runner and pools of a new session (nothing runs yet).

        Raises:
            RuntimeError: already connected, or the process-wide connection limit is reached.
            OSError, ssl.SSLError: ``SIGNALWIRE_RELAY_CA_FILE`` names an unusable file.
        """
        with self._state_lock:
            if self._running:
                raise RuntimeError("this RelayClient is already connected")
            ssl_context = make_ssl_context(self._endpoint)
            # A client that disconnected on purpose and connects again resumes its session and
            # keeps the contexts it receive()d (the core decides what to do with them).
            previous = self._conn
            conn = RelayConnection(
                project=self.project,
                token=self.token,
                jwt_token=self.jwt_token,
                host=self._endpoint.authority,
                contexts=previous.contexts if previous is not None else self.contexts,
                protocol=previous.relay_protocol if previous is not None else "",
                authorization_state=previous.authorization_state if previous is not None else "",
                max_active_calls=self._max_active_calls,
                dead_link_timeout=self._dead_link_timeout,
                id_factory=self._new_id,
                rng=random.Random(),
                frame_observer=self._frame_observer(),
            )
            with _SLOTS_LOCK:
                _SLOTS.acquire(self)
            self._conn = conn
            self._runner = SessionRunner(
                conn,
                self._endpoint,
                ssl_context,
                self._on_event,
                self._on_open_error,
                self._on_crash,
            )
            self._draining = False
            self._fatal = None
            self._stop_requested = threading.Event()
            self._finished = threading.Event()
            self._closed = threading.Event()
            # A fresh count: handlers left running by an earlier session finish against theirs.
            self._handlers = HandlerCount()
            self._pool = WorkerPool(self._max_workers, _MAX_QUEUED_HANDLERS, "relay-sync-handler")
            self._callbacks = Strands(
                WorkerPool(self._max_workers, _MAX_QUEUED_CALLBACKS, "relay-sync-callbacks")
            )
            self._running = True

    def _session(self) -> None:
        """Run the prepared session until a stop is requested, then tear it down."""
        runner, stop_requested = self._runner, self._stop_requested
        if runner is None:  # pragma: no cover - _prepare() first
            raise RuntimeError("session not prepared")
        try:
            runner.start()
            stop_requested.wait()
            runner.close()
            if runner.reading:  # the server's close frame can still arrive
                self._closed.wait(_CLOSE_WAIT)
        finally:
            runner.shutdown()
            self._end_session(runner)

    def _detached_session(self) -> None:
        try:
            self._session()
        except Exception:
            logger.exception("the RELAY session ended with an error")

    def _end_session(self, runner: SessionRunner) -> None:
        error = RelayError(-1, "Client disconnected")
        with runner.locked():
            self._running = False
            self._router.fail_all(error)
        if self._pool is not None:
            self._pool.close(drain=False)
        if self._callbacks is not None:
            self._callbacks.close(drain=True)
        with _SLOTS_LOCK:
            _SLOTS.release(self)
        outcome = self._connect_outcome
        if outcome is not None:
            outcome.fail(self._fatal or error)
        self._handlers.session_over()
        self._finished.set()

    def _request_stop(self) -> None:
        self._stop_requested.set()

    def _on_open_error(self, error: BaseException) -> bool:
        outcome = self._connect_outcome
        if outcome is None or outcome.is_set():
            return False  # serve(), or a reconnect: the core backs off and retries
        outcome.fail(error)
        return True

    def _on_crash(self, error: BaseException) -> None:
        # A reader or timer thread died of a bug: end the session with that error rather than
        # leave a connection that silently stopped reading or keeping time.
        if self._fatal is None:
            self._fatal = error
        outcome = self._connect_outcome
        if outcome is not None:
            outcome.fail(error)
        self._request_stop()

    # ---------------------------------------------------------------- events (lock held)

    def _on_event(self, event: Event) -> None:
        if type(event) in SESSION_EVENTS:
            self._session_event(event)
        else:
            self._router.handle(event)

    def _session_event(self, event: Event) -> None:
        # relay_proto decides (D7 and the rest); the session carries the decision out.
        outcome = self._connect_outcome
        connecting = outcome is not None and not outcome.is_set()
        decision = decide_session_event(
            event, connecting=connecting, stopping=self._stop_requested.is_set(), now=now()
        )
        if decision is None:  # pragma: no cover - SESSION_EVENTS are all decided
            return
        logger.log(decision.log_level, "%s", decision.log)
        if decision.connected and connecting and outcome is not None:
            outcome.set(None)
        if decision.closed:
            self._closed.set()
        if decision.error is not None:
            error = RelayError(*decision.error)
            if decision.fail_connect and connecting and outcome is not None:
                outcome.fail(error)
            if decision.fatal and self._fatal is None:
                self._fatal = error
        if decision.stop:
            self._request_stop()

    # ---------------------------------------------------------------- handlers

    def _inbound_call(self, call: Call) -> None:
        # While draining, the core passes new calls back itself and never reports them here.
        handler = self._on_call_handler
        if handler is None:
            logger.warning("inbound call %s: no on_call handler registered", call.call_id)
            return
        policy = self._on_handler_error

        def on_error(error: Exception) -> None:
            # Hang the call up unless the handler handed it on (relay_proto decides).
            call._handler_failed(error, policy, self._call_info(call.call_id))

        self._start_handler(handler, call, f"on_call handler for call {call.call_id}", on_error)

    def _call_info(self, call_id: str) -> CallInfo | None:
        # The core's view of the call now; None once the session is over (nothing to end).
        try:
            with self._core() as conn:
                return conn.get_call(call_id)
        except RelayError:
            return None

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

    def _start_handler(
        self,
        handler: Callable[[Any], Any],
        arg: Any,
        what: str,
        on_error: Callable[[Exception], Any] | None = None,
    ) -> None:
        # on_error, when given, gets the handler's exception (and logs it) on the same thread.
        count = self._handlers

        def run() -> None:
            _LOCAL.user_code = True
            try:
                result = handler(arg)
                if inspect.isawaitable(result):
                    if inspect.iscoroutine(result):
                        result.close()
                    logger.error("%s is async; relay_sync runs plain functions only", what)
            except Exception as exc:
                _report(on_error, exc, what)
            finally:
                count.leave()

        count.enter()
        pool = self._pool
        if pool is None or not pool.submit(run, what):
            count.leave()
            logger.error("%s not run: the client is shutting down or overloaded", what)

    # ---------------------------------------------------------------- graceful stop

    def _graceful_stop(self) -> None:
        with self._state_lock:
            already = self._draining
            self._draining = True
        if already:
            self._finished.wait()
            return
        logger.info("stopping: no new calls, waiting for %d handler(s)", self._handlers.running)
        try:
            self._unreceive_all()
        except (RelayError, ValueError, TimeoutError) as exc:
            logger.debug("unreceive at stop failed: %s", exc)
        self._handlers.wait_idle(self._shutdown_timeout)
        self._request_stop()
        self._finished.wait()

    def _unreceive_all(self) -> None:
        waiter: Waiter[dict[str, Any]] | None = None
        with self._core() as conn:
            started = conn.drain(now=now())
            if started.request_id is not None:
                waiter = self._router.expect(started.request_id)
        if waiter is not None:
            waiter.wait(_UNRECEIVE_WAIT)

    # ---------------------------------------------------------------- logging

    def _frame_observer(self) -> Callable[[str, str], None] | None:
        """A debug trace of every frame, masked, when ``relay_sync.frames`` logs DEBUG."""
        if not frame_logger.isEnabledFor(logging.DEBUG):
            return None

        def observe(direction: str, text: str) -> None:
            live = [self.project, self.token, self.jwt_token]
            conn = self._conn
            state = getattr(conn, "authorization_state", "")
            if isinstance(state, str) and state:
                live.append(state)
            arrow = "<<" if direction == "in" else ">>"
            frame_logger.debug("%s %s", arrow, mask_frame(text, live))

        return observe


class CallCommandWork:
    """A call command for :meth:`SessionRunner.submit`: issued under the core's lock by
    whichever thread holds it; the outcome (the reply, or the error that refused the command)
    reaches the sending thread through :attr:`waiter`."""

    __slots__ = ("action", "call", "client", "command", "given_up", "request_id", "waiter")

    def __init__(
        self, client: ClientSession, call: CallBase, command: CallCommand, action: Action | None
    ) -> None:
        self.client = client
        self.call = call
        self.command = command
        self.action = action
        self.waiter: Waiter[dict[str, Any]] = Waiter()
        self.request_id: str | None = None
        self.given_up = False

    def __call__(self, conn: RelayConnection) -> None:
        # Lock held (any thread).
        if self.given_up:
            return  # the sender stopped waiting before the command was issued: never send it
        client, waiter = self.client, self.waiter
        try:
            if not client._running:  # the session ended (_end_session failed every waiter)
                raise RelayError(-1, NOT_CONNECTED)
            with core_errors():
                started = conn.call_command(self.call.call_id, self.command, now=now())
            action = self.action
            if action is not None:
                # Registered only once the core accepted the command: a refused one (its
                # control id belongs to a pending action) must not replace that action. Still
                # under the lock, before the core's events are dispatched: its completion
                # cannot be missed.
                client._router.actions[action.control_id] = action
            if started.request_id is None:
                waiter.set({})
            else:
                self.request_id = started.request_id
                client._router.requests[started.request_id] = _Request(waiter, None, self.call)
        except Exception as exc:
            waiter.fail(exc)
        except BaseException:  # KeyboardInterrupt in the thread running it: not its sender's
            waiter.fail(RelayError(-1, "interrupted before the command was sent"))
            raise

    def give_up(self, runner: SessionRunner) -> None:
        """The sender stopped waiting (KeyboardInterrupt...): a command not issued yet never
        will be; one still queued offline is withdrawn by the core (never sent)."""
        with runner.core() as conn:
            self.given_up = True
            request_id = self.request_id
            if request_id is not None:
                self.client._router.requests.pop(request_id, None)
                if conn.cancel_request(request_id, now=now()):
                    logger.debug("request %s withdrawn from the offline queue", request_id)


class HandlerCount:
    """How many handlers of one session are running (or queued); the graceful stop waits for
    none, or for the end of the session."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.running = 0
        self._over = False

    def enter(self) -> None:
        with self._cond:
            self.running += 1

    def leave(self) -> None:
        with self._cond:
            self.running -= 1
            if self.running == 0:
                self._cond.notify_all()

    def session_over(self) -> None:
        """Wake :meth:`wait_idle`: nothing is worth waiting for any more."""
        with self._cond:
            self._over = True
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until no handler runs or the session is over."""
        with self._cond:
            return self._cond.wait_for(lambda: self.running == 0 or self._over, timeout)


def _report(on_error: Callable[[Exception], Any] | None, error: Exception, what: str) -> None:
    if on_error is None:
        logger.error("%s raised", what, exc_info=error)
        return
    try:
        on_error(error)
    except Exception:  # a bug in the reporting itself: never lose the handler's error
        logger.error("%s raised", what, exc_info=error)
        logger.exception("handling the error of %s failed", what)
