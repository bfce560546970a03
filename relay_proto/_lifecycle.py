"""What a client adapter does with the session-level events: one decision for every adapter.

The core reports what happened (``SessionReady``, ``AuthRejected``, ``TransportLost``,
``ServerDisconnect``); an adapter must then decide whether a pending ``connect()`` succeeds or
raises, whether the run is over and with which error, and what to log. Those are protocol
decisions (D7: ``connect()`` raises at the first rejection; ``serve()`` gives up only after the
core's final rejection; a connection closed for good ends the run), so they live here, and
``relay_anyio`` and ``relay_sync`` only carry the :class:`Decision` out: resolve or fail their
connect waiter, record the fatal error, request a stop, log the line.

Pure: the log line comes as a level number and a message; the adapter logs it.
"""

from __future__ import annotations

from ._conn_events import AuthRejected, Event, ServerDisconnect, SessionReady, TransportLost
from ._fastinit import dataclass

__all__ = [
    "MSG_CALL_PASSED",
    "MSG_CLIENT_NOT_CONNECTED",
    "SESSION_EVENTS",
    "Decision",
    "decide_session_event",
]

# Log levels, as the numbers of the standard logging module (the core never imports it).
DEBUG, INFO, WARNING = 10, 20, 30

MSG_CLIENT_NOT_CONNECTED = "Client is not connected"
"""The start of the error a command raises at once when no session runs (no queueing: a program
that forgot to connect hears it now, not after a request timeout)."""

MSG_CALL_PASSED = "Call passed to another consumer"
"""The error of every wait on a call whose ``calling.pass`` succeeded (D29)."""


SESSION_EVENTS: frozenset[type[Event]] = frozenset(
    (SessionReady, AuthRejected, TransportLost, ServerDisconnect)
)
"""The event types :func:`decide_session_event` decides on (the rest go to the calls)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the adapter does with one session-level event, in this order: log
    (``log_level``/``log``), then ``connected`` (resolve a pending ``connect()``), or the error
    ``(code, message)`` (``fail_connect``: raise it from the pending ``connect()``; ``fatal``:
    it is the run's outcome unless one is already recorded), ``closed`` (no transport will come
    back), then ``stop`` (end the run).
    """

    log_level: int
    log: str
    connected: bool = False
    error: tuple[int, str] | None = None
    fail_connect: bool = False
    fatal: bool = False
    closed: bool = False
    stop: bool = False


def decide_session_event(
    event: Event, *, connecting: bool, stopping: bool, now: float
) -> Decision | None:
    """The :class:`Decision` for a session-level event, or ``None`` for any other event.

    Args:
        event: a core event.
        connecting: a ``connect()`` waits for the first authentication.
        stopping: the application asked the run to end (a close is expected).
        now: the adapter's clock (for the reconnect delay in the log line).
    """
    if isinstance(event, SessionReady):
        kind = "resumed" if event.resumed else "new"
        return Decision(INFO, f"RELAY session ready (protocol {event.protocol}, {kind})", True)
    if isinstance(event, AuthRejected):
        return _auth_rejected(event, connecting)
    if isinstance(event, TransportLost):
        return _transport_lost(event, connecting, stopping, now)
    if isinstance(event, ServerDisconnect):
        return Decision(INFO, f"server asked to disconnect (restart={event.restart})")
    return None


def _auth_rejected(event: AuthRejected, connecting: bool) -> Decision:
    message = event.message or "Unknown error"
    log = f"authentication rejected (attempt {event.attempt}): RELAY error {event.code}: {message}"
    error = (event.code, message)
    if connecting:  # D7: connect() raises at the first rejection
        return Decision(WARNING, log, error=error, fail_connect=True, stop=True)
    if event.final:  # serve()/run(): the core gave up (3 rejections before any success)
        return Decision(WARNING, log, error=error, fatal=True, stop=True)
    return Decision(WARNING, log)


def _transport_lost(event: TransportLost, connecting: bool, stopping: bool, now: float) -> Decision:
    if event.reconnect_at is None:
        if stopping:
            return Decision(DEBUG, f"RELAY connection closed ({event.reason})", closed=True)
        return Decision(
            WARNING,
            f"RELAY connection closed for good: {event.reason}",
            error=(-1, f"Connection closed: {event.reason}"),
            fatal=True,
            closed=True,
            stop=True,
        )
    delay = max(0.0, event.reconnect_at - now)
    # A socket that could not be opened was reported by the adapter (first and every n-th).
    level = WARNING if event.socket_opened else DEBUG
    log = f"RELAY connection lost ({event.reason}); reconnecting in {delay:.1f} s"
    if connecting:
        error = (-1, f"Connection closed before authentication: {event.reason}")
        return Decision(level, log, error=error, fail_connect=True, stop=True)
    return Decision(level, log)
