"""RelayClient: the blocking RELAY client, for code without an event loop.

The same API as :class:`relay_anyio.RelayClient` (and ``signalwire.relay``), minus
``async``/``await``. Three ways to run one:

* ``client.run()`` blocks until ``client.stop()`` is called from any thread, or Ctrl+C /
  SIGTERM (a graceful stop; a second Ctrl+C disconnects at once);
* ``client.serve()`` is the same managed mode without the signal handling, for a thread of
  your own (``threading.Thread(target=client.serve).start()``); it returns after ``stop()``;
* ``client.connect()`` / ``with RelayClient(...) as client:`` returns once authenticated and
  keeps the session running on background threads until ``disconnect()``.

In every mode a lost socket comes back by itself: the core schedules reconnects (with backoff
and session resume) and the reader thread opens the sockets. ``connect()`` raises if the first
attempt fails (refused, TLS, rejected credentials); ``serve()``/``run()`` retry transport
failures for ever and give up after 3 rejected authentications (decision D7).

Threads (see ``_runner`` and ``_workers``): a reader and a timer thread drive the core; inbound
call and message handlers run on a bounded pool of worker threads; listeners and
``on_completed`` callbacks run on callback threads, in order for each call or message and in
parallel across them. No user code ever runs on the reader or timer thread. Every method may
be called from any thread.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from relay_proto import (
    DEAD_LINK_TIMEOUT,
    DEFAULT_DIAL_TIMEOUT,
    CallCommand,
    RelayEvent,
    check_dead_link_timeout,
    check_on_handler_error,
)

from ._call import Call
from ._config import resolve_settings
from ._errors import RelayError
from ._message import Message
from ._primitives import Waiter
from ._runner import now
from ._session import NOT_CONNECTED, CallCommandWork, ClientSession, in_user_thread
from ._signals import Interrupts

if TYPE_CHECKING:
    from ._actions import Action
    from ._call_base import CallBase

__all__ = ["RelayClient"]

logger = logging.getLogger("relay_sync")

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


class RelayClient(ClientSession):
    """The blocking RELAY client: inbound and outbound calls and messages over one session.

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
        shutdown_timeout: seconds a graceful stop (``stop()``, Ctrl+C/SIGTERM under ``run()``)
            lets running handlers finish before the client disconnects.
        dead_link_timeout: once the server has been seen pinging on the current connection,
            seconds without any frame from it after which the connection counts as dead
            (half-open): it is closed and reconnected, and the session resumed. Default 20;
            ``None`` turns this off. The client's own pings (every 30 s) run either way.
        max_workers: threads that run ``on_call``/``on_message`` handlers at once, and
            threads for listeners and callbacks (default: ``max_active_calls``, so every
            tracked call can have its handler running). It can only make the pool smaller: a
            larger value is lowered to ``max_active_calls``. With a smaller pool, further
            handlers wait for a free thread.
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
            a ``max_workers`` or ``shutdown_timeout`` that is not a positive number; an
            ``on_handler_error`` other than ``"hangup"``/``"keep"``.

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
        max_workers: int | None = None,
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
        self._shutdown_timeout = _check_seconds("shutdown_timeout", shutdown_timeout)
        self._max_workers = _check_workers(max_workers, settings.max_active_calls)
        self._on_call_handler = None
        self._on_message_handler = None
        self._init_session()

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<RelayClient host={self.host!r} project={self.project!r} {state}>"

    # ---------------------------------------------------------------- handlers

    def on_call(self, handler: HandlerT) -> HandlerT:
        """Register the inbound call handler (usable as a decorator); replaces any previous one.

        ``handler(call)`` is a plain function. Each inbound call runs it on a worker thread;
        an exception it raises is logged with the call id and its traceback, hurts no other
        call, and ends this call unless the handler handed it on (see the
        ``on_handler_error`` argument of :class:`RelayClient`).

        The handler may block for as long as the call needs it: wait on the call and its
        actions, call any client method, do its own blocking I/O, start threads. It holds its
        worker thread meanwhile, so ``max_workers`` handlers run at once and further calls wait
        for a free thread; long pure-Python computations hold the interpreter from the thread
        that reads the connection (docs/production.md, "Blocking handlers").

        Raises:
            TypeError: ``handler`` is not callable, or is an ``async def``.
        """
        self._on_call_handler = _check_handler(handler, "on_call")
        return handler

    def on_message(self, handler: HandlerT) -> HandlerT:
        """Register the inbound message handler (usable as a decorator); replaces any previous.

        ``handler(message)`` runs on a worker thread for each inbound SMS/MMS; exceptions are
        logged.

        Raises:
            TypeError: ``handler`` is not callable, or is an ``async def``.
        """
        self._on_message_handler = _check_handler(handler, "on_message")
        return handler

    @property
    def relay_protocol(self) -> str:
        """The session's protocol string (``""`` before the first connect and after the server
        asked for a fresh session)."""
        conn = self._conn
        return conn.relay_protocol if conn is not None else ""

    # ---------------------------------------------------------------- lifecycle

    def connect(self) -> None:
        """Connect and authenticate; return once the session is ready.

        The session then runs on background threads until :meth:`disconnect`: a lost socket
        is reopened automatically and the session resumed, and requests issued meanwhile wait
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
        self._prepare()
        outcome: Waiter[None] = Waiter()
        self._connect_outcome = outcome
        threading.Thread(
            target=self._detached_session, name="relay-sync-session", daemon=True
        ).start()
        try:
            outcome.wait()
        except BaseException:
            self._request_stop()
            self._finished.wait()
            raise
        finally:
            self._connect_outcome = None

    def disconnect(self) -> None:
        """Close the session: requests and dials still pending fail with
        ``RelayError(-1, "Client disconnected")``, waits on calls fail the same way, the socket
        is closed. Handlers still running are not interrupted, but whatever they ask of the
        client from then on fails. Does nothing when not connected."""
        if not self._running:
            return
        self._request_stop()
        self._finished.wait()

    def __enter__(self) -> RelayClient:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    def serve(self) -> None:
        """Run the session in the current thread until :meth:`stop` (or :meth:`disconnect`)
        is called from another thread or a handler.

        Connects, keeps reconnecting (transport failures are retried for ever with backoff),
        and runs the handlers. If the client is already connected, just waits for it to stop.
        A ``KeyboardInterrupt`` here disconnects at once and propagates (``run()`` turns it
        into a graceful stop instead).

        Raises:
            RuntimeError: ``RELAY_MAX_CONNECTIONS`` clients are already connected.
            RelayError: the credentials were rejected 3 times before any success.
        """
        if self._running:
            self._finished.wait()
        else:
            self._prepare()
            self._session()
        fatal, self._fatal = self._fatal, None
        if fatal is not None:
            raise fatal

    def stop(self) -> None:
        """Stop gracefully: take no new calls (new ones are passed back to the server, and the
        contexts are unreceived), let running handlers finish for up to ``shutdown_timeout``
        seconds, then disconnect; returns when that is done. Called from a handler, listener
        or callback, it returns at once and the stop proceeds on a thread of its own."""
        if not self._running:
            return
        if in_user_thread():
            threading.Thread(
                target=self._graceful_stop, name="relay-sync-stop", daemon=True
            ).start()
            return
        self._graceful_stop()

    def run(self) -> None:
        """Run the client until :meth:`stop`, Ctrl+C or SIGTERM (blocking).

        The session runs on a thread of its own (as in :meth:`serve`; if the client is already
        connected, that session) while this thread only waits for it. The first
        Ctrl+C/SIGTERM stops gracefully (see :meth:`stop`); a second one disconnects at once;
        a third stops waiting for the disconnect to finish.
        ``KeyboardInterrupt`` is never raised: signals are handled (from the main thread, when
        the application has not installed handlers of its own).

        Raises:
            RuntimeError: ``RELAY_MAX_CONNECTIONS`` clients are already connected.
            RelayError: the credentials were rejected 3 times before any success.
        """
        with Interrupts() as interrupts:
            if self._running:  # connected already: wait for that session, as serve() does
                logger.debug("run(): waiting for the session connect() started")
                target: Callable[[Interrupts], None] = self._finished_then
            else:
                self._prepare()
                target = self._session_until
            threading.Thread(
                target=target, args=(interrupts,), name="relay-sync-session", daemon=True
            ).start()
            self._wait_for_session(interrupts)
        fatal, self._fatal = self._fatal, None
        if fatal is not None:
            raise fatal

    def _finished_then(self, interrupts: Interrupts) -> None:
        self._finished.wait()
        interrupts.finish()

    def _session_until(self, interrupts: Interrupts) -> None:
        try:
            self._detached_session()
        finally:
            interrupts.finish()

    def _wait_for_session(self, interrupts: Interrupts) -> None:
        handled = 0
        while True:
            count = interrupts.wait()
            if interrupts.finished:
                return
            while handled < count:
                handled += 1
                if handled == 1:
                    logger.info("interrupted: stopping gracefully (again to stop at once)")
                    threading.Thread(
                        target=self._graceful_stop, name="relay-sync-stop", daemon=True
                    ).start()
                elif handled == 2:
                    logger.warning("interrupted again: disconnecting now")
                    self._request_stop()
                else:
                    logger.warning("interrupted a third time: not waiting for the disconnect")
                    return

    # ---------------------------------------------------------------- requests

    def execute(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send any JSON-RPC request and return its result object.

        ``calling.*`` methods need ``node_id``/``call_id`` in ``params``. While the session is
        not ready (handshake, reconnect) the request is queued.

        Raises:
            RelayError: a JSON-RPC error, a non-2xx result code, a timeout (10 s), or the
                client is not connected.
        """
        with self._core() as conn:
            request_id = conn.execute(method, params, now=now())
            waiter = self._router.expect(request_id)
        return self._await(request_id, waiter)

    def dial(
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
        tag = tag or self._new_id()
        request: Waiter[dict[str, Any]] | None = None
        with self._core() as conn:
            started = conn.dial(
                devices,
                now=now(),
                tag=tag,
                max_duration=max_duration,
                dial_timeout=DEFAULT_DIAL_TIMEOUT if dial_timeout is None else dial_timeout,
            )
            dial_waiter = self._router.expect_dial(tag)
            if started.request_id is not None:
                request = self._router.expect(started.request_id)
        try:
            if request is not None and started.request_id is not None:
                self._await(started.request_id, request)
            return dial_waiter.wait()
        finally:
            with self._registry_lock():
                self._router.forget_dial(tag, dial_waiter)

    def send_message(
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

        The message starts ``queued``; ``message.wait()`` returns its terminal state event,
        and ``on_completed(event)`` runs then (on a callback thread of the client).

        Raises:
            ValueError: neither ``body`` nor ``media``, or other invalid arguments.
            RelayError: the server refused the message, or the request timed out.
        """
        waiter: Waiter[dict[str, Any]] | None = None
        with self._core() as conn:
            started = conn.send_message(
                now=now(),
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
                waiter = self._router.expect(started.request_id, accepted)
        if waiter is not None and started.request_id is not None:
            self._await(started.request_id, waiter)
        return message

    def receive(self, contexts: list[str]) -> None:
        """Start receiving calls and messages on ``contexts`` (``signalwire.receive``); an empty
        list sends nothing. The contexts are kept across reconnects.

        Raises:
            ValueError: ``contexts`` is not a list of non-empty strings.
            RelayError: the server refused, or the request timed out.
        """
        with self._core() as conn:
            started = conn.receive(contexts, now=now())
            waiter = None if started.request_id is None else self._router.expect(started.request_id)
        if waiter is not None:
            waiter.wait()

    def unreceive(self, contexts: list[str]) -> None:
        """Stop receiving on ``contexts`` (``signalwire.unreceive``); an empty list sends
        nothing.

        Raises:
            ValueError: ``contexts`` is not a list of non-empty strings.
            RelayError: the server refused, or the request timed out.
        """
        with self._core() as conn:
            started = conn.unreceive(contexts, now=now())
            waiter = None if started.request_id is None else self._router.expect(started.request_id)
        if waiter is not None:
            waiter.wait()

    # ---------------------------------------------------------------- private interface
    # Used by Call, the actions and Message (generated from relay_anyio's, which use the same).

    def _call_command(
        self, call: CallBase, command: CallCommand, action: Action | None = None
    ) -> dict[str, Any]:
        """Send ``command`` for ``call``; if it starts ``action``, register that action for its
        events once the core has accepted the command."""
        runner = self._runner
        if runner is None or not self._running:
            raise RelayError(-1, NOT_CONNECTED)
        work = CallCommandWork(self, call, command, action)
        try:
            # Issued by whichever thread holds the core's lock (this one when it is free): the
            # thread then sleeps once, for the reply, instead of also for the lock.
            runner.submit(work)
            try:
                return work.waiter.wait()
            except BaseException:
                if not work.waiter.is_set():
                    work.give_up(runner)
                raise
        except (RelayError, ValueError) as exc:
            # A refused or failed start: the core dropped the action; wake anyone waiting on it.
            if action is not None:
                actions = self._router.actions
                with self._registry_lock():
                    if actions.get(action.control_id) is action:
                        del actions[action.control_id]
                action._fail(exc)
            raise

    def _await(self, request_id: str, waiter: Waiter[dict[str, Any]]) -> dict[str, Any]:
        """Wait for a request's outcome. If the wait ends otherwise (KeyboardInterrupt...),
        the request is given up: still queued offline, the core withdraws it (never sent)."""
        try:
            return waiter.wait()
        except BaseException:
            if not waiter.is_set():
                self._give_up(request_id)
            raise

    def _give_up(self, request_id: str) -> None:
        runner = self._runner
        if runner is None:
            return
        with runner.core() as conn:
            self._router.requests.pop(request_id, None)
            if conn.cancel_request(request_id, now=now()):
                logger.debug("request %s withdrawn from the offline queue", request_id)


def _check_handler(handler: Any, name: str) -> Any:
    if not callable(handler):
        raise TypeError(f"{name} needs a callable, got {type(handler).__name__}")
    if inspect.iscoroutinefunction(handler):
        raise TypeError(
            f"{name} got an async def handler; relay_sync runs plain functions "
            "(use relay_anyio for async handlers)"
        )
    return handler


def _check_seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _check_workers(value: Any, max_active_calls: int) -> int:
    if value is None:
        return max_active_calls
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_workers must be a positive int, got {value!r}")
    # The pool is sized by max_active_calls or a smaller explicit option: never more threads
    # than calls the client may hold (the limit that bounds its resources).
    return min(value, max_active_calls)
