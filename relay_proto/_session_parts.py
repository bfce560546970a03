"""Building blocks of the client session (:mod:`relay_proto._session`): its validated settings,
the hooks through which it reports to its owner, and small pieces of policy kept apart so that
each can be tested alone: the resume data (spec 1.4, D8), the reconnect backoff (D6), the ping
schedule (D2) and the memory of recent event ids (D10).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, Protocol

from ._constants import (
    EVENT_ID_MEMORY,
    RECONNECT_BACKOFF_FACTOR,
    RECONNECT_MAX_DELAY,
    RECONNECT_MIN_DELAY,
)
from ._errors import InvalidCommandError
from ._ids import SupportsRandom
from ._requests import PendingRequest, check_seconds

__all__ = [
    "MSG_CANCELLED",
    "MSG_CLIENT_DISCONNECTED",
    "MSG_CONNECTION_CLOSED",
    "MSG_QUEUE_FULL",
    "MSG_SESSION_REPLACED",
    "Backoff",
    "EventIdMemory",
    "PingSchedule",
    "ResumeData",
    "SessionConfig",
    "SessionHooks",
    "check_dead_link_timeout",
    "signature_matches",
]

# The RELAY protocol version the official SDK announces.
PROTOCOL_VERSION = {"major": 2, "minor": 0, "revision": 0}

MSG_CONNECTION_CLOSED = "Connection closed"
MSG_CLIENT_DISCONNECTED = "Client disconnected"
MSG_QUEUE_FULL = "Execute queue full — too many requests while disconnected"
MSG_SESSION_REPLACED = "Session replaced: the server started a new session and the call is gone"
MSG_CANCELLED = "Request cancelled"


class SessionHooks(Protocol):
    """What the session tells its owner (the connection, which involves the domain)."""

    def relay_event(self, envelope: dict[str, Any], now: float) -> None:
        """An ACKed, non-duplicate ``signalwire.event`` for the domain."""

    def request_succeeded(
        self, request: PendingRequest, result: dict[str, Any], now: float
    ) -> None:
        """A reported request succeeded (result already code-checked)."""

    def request_failed(
        self, request: PendingRequest, code: int, message: str, data: Any, now: float
    ) -> None:
        """A reported request failed (error reply, bad code, transport lost, close...)."""

    def request_timed_out(self, request: PendingRequest, now: float) -> None:
        """A reported request reached its deadline without a reply."""

    def request_withdrawn(self, request: PendingRequest, now: float) -> None:
        """A queued request the application gave up on was removed; it is not reported."""

    def protocol_changed(self, protocol: str) -> None:
        """The session protocol changed (new session, or wiped by a restart)."""

    def session_replaced(self, previous_protocol: str, now: float) -> None:
        """A session that is not a resume follows an earlier one (whose calls, dials and
        messages are gone); called after ``SessionReady``, before the offline queue is flushed,
        so the owner can withdraw queued requests that concern the old session."""

    def session_ready(self, resumed: bool, now: float) -> None:
        """Authenticated; called after ``SessionReady`` is emitted and the offline queue has been
        flushed (so requests the domain issues from here go out after the queued ones)."""

    def transport_lost(self, now: float) -> None:
        """The transport is gone (in-flight requests already failed)."""

    def closed(self, now: float) -> None:
        """Intentional close or final rejection (every request already failed)."""


class SessionConfig:
    """The session's settings, validated once (see ``RelayConnection`` for their meaning).

    Raises:
        InvalidCommandError: a setting of the wrong type or out of range.
    """

    __slots__ = (
        "agent",
        "authentication",
        "dead_link_timeout",
        "host",
        "max_message_size",
        "max_missed_pings",
        "max_offline_queue",
        "ping_interval",
        "request_timeout",
    )

    def __init__(
        self,
        *,
        authentication: dict[str, str],
        host: str,
        agent: str,
        request_timeout: float,
        ping_interval: float,
        max_missed_pings: int,
        max_offline_queue: int,
        max_message_size: int,
        dead_link_timeout: float | None = None,
    ) -> None:
        self.authentication = authentication
        self.dead_link_timeout = check_dead_link_timeout(dead_link_timeout)
        self.host = _check_str("host", host)
        self.agent = _check_str("agent", agent)
        self.request_timeout = check_seconds("request_timeout", request_timeout)
        self.ping_interval = check_seconds("ping_interval", ping_interval)
        self.max_missed_pings = _check_int("max_missed_pings", max_missed_pings, 1)
        self.max_offline_queue = _check_int("max_offline_queue", max_offline_queue, 0)
        self.max_message_size = _check_int("max_message_size", max_message_size, 1)


def check_dead_link_timeout(value: object) -> float | None:
    """A valid ``dead_link_timeout``: a positive finite number of seconds, or ``None`` (off).

    The one rule for this setting, used by the core and by the adapters' clients.

    Raises:
        InvalidCommandError: anything else (a ``ValueError``).
    """
    return None if value is None else check_seconds("dead_link_timeout", value)


def _check_str(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidCommandError(f"{name} must be a non-empty string")
    return value


def _check_int(name: str, value: object, minimum: int) -> int:
    if type(value) is not int or value < minimum:
        raise InvalidCommandError(f"{name} must be an int >= {minimum}")
    return value


class ResumeData:
    """What one client remembers across its transports (spec 1.4, D8) and puts in the next
    ``signalwire.connect``: the session protocol, the authorization state blob, the contexts.

    Args:
        contexts: the initial contexts (already validated).
    """

    __slots__ = ("_contexts", "_sent_protocol", "authorization_state", "identity", "protocol")

    def __init__(self, contexts: Iterable[str]) -> None:
        self.protocol = ""
        self.authorization_state = ""
        self.identity = ""
        self._sent_protocol = ""
        self._contexts: dict[str, None] = dict.fromkeys(contexts)  # an ordered set

    @property
    def contexts(self) -> tuple[str, ...]:
        """Contexts the next connect sends: the initial ones, plus received, minus unreceived."""
        return tuple(self._contexts)

    def connect_params(self, config: SessionConfig) -> dict[str, Any]:
        """The params of the next ``signalwire.connect`` (spec 1.3): ``contexts`` only when
        there are some, ``protocol`` and ``authorization_state`` only when resuming with them."""
        params: dict[str, Any] = {
            "version": dict(PROTOCOL_VERSION),
            "agent": config.agent,
            "event_acks": True,
            "authentication": dict(config.authentication),
        }
        if self._contexts:
            params["contexts"] = list(self._contexts)
        if self.protocol:
            params["protocol"] = self.protocol
        if self.authorization_state:
            params["authorization_state"] = self.authorization_state
        self._sent_protocol = self.protocol
        return params

    @property
    def sent_protocol(self) -> str:
        """The protocol the last ``signalwire.connect`` asked to resume (``""``: none)."""
        return self._sent_protocol

    def connected(self, result: dict[str, Any]) -> bool:
        """Take in a connect result; returns whether the server resumed the session.

        The server decides (spec 1.3): a boolean ``session_restored`` is its answer. Only when
        that key is absent does the protocol string count, and then only if it is the one we
        sent *and* its signature part is the result's ``authorization.signature``
        (``protocol.split("_")[1]``, the rule of the official JS SDK). A server that restarted
        reissues the same protocol string with ``session_restored: false``: a new session.
        """
        protocol = result.get("protocol")
        if type(protocol) is str and protocol:
            self.protocol = protocol  # absent: the previous one is kept (spec 1.3)
        identity = result.get("identity")
        self.identity = identity if type(identity) is str else ""
        restored = result.get("session_restored")
        if type(restored) is bool:
            return restored
        sent = self._sent_protocol
        return bool(sent) and protocol == sent and signature_matches(sent, result)

    def store_authorization_state(self, inner: object) -> None:
        """Keep the blob of a ``signalwire.authorization.state`` event (an empty or invalid
        value keeps the previous one)."""
        value = inner.get("authorization_state") if type(inner) is dict else None
        if type(value) is str and value:
            self.authorization_state = value

    def wipe(self) -> None:
        """``signalwire.disconnect`` with ``restart``: the next session starts fresh."""
        self.protocol = ""
        self.authorization_state = ""

    def receive(self, contexts: Iterable[str]) -> None:
        """``signalwire.receive`` succeeded: remember these contexts too (D8)."""
        self._contexts.update(dict.fromkeys(contexts))

    def unreceive(self, contexts: Iterable[str]) -> None:
        """``signalwire.unreceive`` succeeded: forget these contexts."""
        for context in contexts:
            self._contexts.pop(context, None)


def signature_matches(protocol: str, result: dict[str, Any]) -> bool:
    """Whether ``protocol`` (``signalwire_<signature>_<session id>``) carries the signature of
    the connect ``result`` (``authorization.signature``), as the JS SDK checks before resuming."""
    authorization = result.get("authorization")
    signature = authorization.get("signature") if type(authorization) is dict else None
    parts = protocol.split("_")
    return type(signature) is str and bool(signature) and len(parts) > 1 and parts[1] == signature


class Backoff:
    """Reconnect delays (D6): 1 s, doubled after each wait, at most 30 s, times a jitter factor
    in [0.8, 1.2) when an rng is given (it spreads the reconnects of many clients after a
    server restart). Only :meth:`reset` (a successful authentication) starts over."""

    __slots__ = ("_delay", "_rng")

    def __init__(self, rng: SupportsRandom | None) -> None:
        self._rng = rng
        self._delay = RECONNECT_MIN_DELAY

    def next_delay(self) -> float:
        """The delay before the next attempt; the one after will be longer (up to the cap)."""
        delay = self._delay
        if self._rng is not None:
            delay *= 0.8 + 0.4 * self._rng.random()
        self._delay = min(self._delay * RECONNECT_BACKOFF_FACTOR, RECONNECT_MAX_DELAY)
        return delay

    def reset(self) -> None:
        """Start again from the minimum delay."""
        self._delay = RECONNECT_MIN_DELAY


class PingSchedule:
    """When the next client ping is due (D2), and whether failed pings mean a dead link.

    A ping every ``interval`` seconds while the session is ready; after the n-th consecutive
    failure the next one follows after min(2^n, 30) s; ``max_missed`` consecutive failures
    give up. ``due`` is ``None`` while no ping is scheduled (not ready, or one in flight).

    The dead-link watchdog (``silence_timeout``, ``None`` = off): once the server has pinged on
    the current transport, ``silence_due`` is the time by which the next frame from it must
    arrive; the session gives the link up when it passes. The client's own pings stay, for
    servers that never ping.
    """

    __slots__ = (
        "_interval",
        "_max_missed",
        "_silence",
        "due",
        "failures",
        "server_pings_seen",
        "silence_due",
    )

    # Cap of the pause after a failed ping, in seconds.
    BACKOFF_CAP = 30.0

    def __init__(
        self, interval: float, max_missed: int, silence_timeout: float | None = None
    ) -> None:
        self._interval = interval
        self._max_missed = max_missed
        self._silence = silence_timeout
        self.due: float | None = None
        self.failures = 0
        # The dead-link watchdog: armed by the first server ping of a transport; then every
        # frame from the server pushes ``silence_due`` on.
        self.server_pings_seen = False
        self.silence_due: float | None = None

    def start(self, now: float) -> None:
        """The session became ready: first ping one interval from now."""
        self.failures = 0
        self.due = now + self._interval

    def stop(self) -> None:
        """No session (the transport is gone): no pings, no watchdog."""
        self.failures = 0
        self.due = None
        self.server_pings_seen = False
        self.silence_due = None

    def server_ping(self, now: float) -> None:
        """The server pinged: the link is alive, and from now on a silence means it is dead."""
        self.failures = 0
        if self._silence is not None:
            self.server_pings_seen = True
            self.silence_due = now + self._silence

    def heard(self, now: float) -> None:
        """A frame arrived from the server: the silence starts over (once pings were seen)."""
        if self.server_pings_seen:
            self.silence_due = now + self._silence  # type: ignore[operator]  # set with seen

    def sent(self) -> None:
        """A ping went out; the next is scheduled by its outcome."""
        self.due = None

    def succeeded(self, now: float) -> None:
        """The ping was answered: the count starts over."""
        self.failures = 0
        self.due = now + self._interval

    def failed(self, now: float) -> bool:
        """The ping failed or timed out. Returns ``True`` when the link must be given up."""
        self.failures += 1
        if self.failures >= self._max_missed:
            self.due = None
            return True
        self.due = now + min(2.0 ** min(self.failures, 16), self.BACKOFF_CAP)
        return False


# Longest event id the dedup memory keeps (real ids are UUIDs or short counters).
MAX_REMEMBERED_ID = 256


class EventIdMemory:
    """The ids of the last ``size`` events (D10): redelivered events are recognised.

    Event ids are only unique within one server session: a session that is not resumed numbers
    its events afresh, so the ids learnt before it began must then be forgotten (else its
    first events look like redeliveries and are dropped). :meth:`transport_started` marks where
    the current transport's ids begin; :meth:`forget_earlier_transports` drops those before.
    """

    __slots__ = ("_added", "_mark", "_order", "_seen", "_size")

    def __init__(self, size: int = EVENT_ID_MEMORY) -> None:
        self._size = size
        self._seen: set[str] = set()
        self._order: deque[str] = deque()
        self._added = 0  # ids remembered so far, ever
        self._mark = 0  # value of _added when the current transport started

    def seen_before(self, event_id: Any) -> bool:
        """Remember ``event_id``; ``True`` if it was already remembered.

        Ids longer than ``MAX_REMEMBERED_ID`` characters are not remembered (never reported as
        duplicates): the memory must stay bounded in bytes, not only in entries, whatever ids a
        hostile server sends (1024 ids near the 10 MiB message limit would pin 10 GiB).
        """
        # Ids are opaque (D26): a non-string id gets a key no string id can collide with.
        key = event_id if type(event_id) is str else "\0" + repr(event_id)
        if len(key) > MAX_REMEMBERED_ID:
            return False
        if key in self._seen:
            return True
        self._seen.add(key)
        self._order.append(key)
        self._added += 1
        if len(self._order) > self._size:
            self._seen.discard(self._order.popleft())
        return False

    def transport_started(self) -> None:
        """A new transport starts: ids from here on belong to the session it will carry."""
        self._mark = self._added

    def forget_earlier_transports(self) -> None:
        """The session is not a resume: forget the ids remembered before this transport (those
        it delivered itself, before its connect result, stay)."""
        keep = min(self._added - self._mark, len(self._order))
        while len(self._order) > keep:
            self._seen.discard(self._order.popleft())
