"""The client's table of requests: queued (offline queue), in flight, and their deadlines.

Every request gets a deadline when it is *issued* (decision D1: queued requests too). Deadlines
live in one heap, so ``next_deadline`` is O(1) amortised however many requests are pending.
Entries are removed from the heap lazily: a request answered before its deadline stays in the
heap as a stale entry until its deadline passes, or until stale entries outnumber live ones and
the heap is rebuilt (so a burst of long-timeout requests cannot make it grow without bound).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

from ._errors import InvalidCommandError, LocalProtocolError
from ._ids import IdFactory
from ._jsonrpc import request_encoder

__all__ = ["PendingRequest", "RequestKind", "RequestTable", "check_seconds"]


def check_seconds(name: str, value: object) -> float:
    """A positive, finite number of seconds.

    Raises:
        InvalidCommandError: anything else.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise InvalidCommandError(f"{name} must be a positive number of seconds")
    return float(value)


class RequestKind:
    """Who owns a request's outcome."""

    USER = "user"  # execute / call_command / dial / send_message: outcome is reported
    RECEIVE = "receive"  # signalwire.receive: contexts remembered on success, then reported
    UNRECEIVE = "unreceive"  # signalwire.unreceive: contexts forgotten on success, then reported
    CONNECT = "connect"  # signalwire.connect: the session's own, never reported as a request
    PING = "ping"  # the session's keepalive, never reported as a request


_QUEUED = 0
_SENT = 1
_DONE = 2


class PendingRequest:
    """One request between issue and outcome.

    ``text`` is the encoded frame (encoded once, at issue). ``purpose`` is the domain's opaque
    purpose (``None`` for plain requests); ``contexts`` is what a receive/unreceive carries.
    """

    __slots__ = ("contexts", "deadline", "id", "kind", "method", "purpose", "seq", "status", "text")

    def __init__(
        self,
        request_id: str,
        method: str,
        text: str,
        deadline: float,
        kind: str = RequestKind.USER,
        purpose: object | None = None,
        contexts: tuple[str, ...] = (),
    ) -> None:
        self.id = request_id
        self.method = method
        self.text = text
        self.deadline = deadline
        self.kind = kind
        self.purpose = purpose
        self.contexts = contexts
        self.status = _QUEUED
        self.seq = 0  # issue order, set by the table

    def __repr__(self) -> str:
        return f"PendingRequest({self.id!r}, {self.method!r}, kind={self.kind!r})"


class RequestTable:
    """Queued and in-flight requests, with their deadlines.

    Args:
        id_factory: request ids.
        default_timeout: seconds from issue to deadline when a request names none.
        max_queued: the offline queue bound (D4); :meth:`queue_full` tells when it is reached.
    """

    def __init__(self, id_factory: IdFactory, default_timeout: float, *, max_queued: int) -> None:
        self._ids = id_factory
        self._default_timeout = default_timeout
        self._max_queued = max_queued
        # Dicts keep insertion order (the FIFO order of the offline queue) and remove in O(1)
        # when a queued request times out.
        self._queued: dict[str, PendingRequest] = {}
        self._inflight: dict[str, PendingRequest] = {}
        self._heap: list[tuple[float, int, PendingRequest]] = []
        self._seq = 0  # tie-breaker: the heap never compares requests
        self._encode = request_encoder()

    def __len__(self) -> int:
        return len(self._queued) + len(self._inflight)

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._queued or request_id in self._inflight

    def queue_full(self) -> bool:
        """True when one more queued request would exceed the offline-queue bound."""
        return len(self._queued) >= self._max_queued

    # ---------------------------------------------------------------- adding
    def create(
        self,
        method: str,
        params: Any,
        now: float,
        timeout: float | None,
        kind: str,
        purpose: object | None = None,
        contexts: tuple[str, ...] = (),
    ) -> PendingRequest:
        """A new request with a fresh id, its frame encoded and its deadline set (not added).

        Raises:
            InvalidCommandError: a bad ``timeout``, or ``params`` not JSON-serialisable.
            LocalProtocolError: the id factory returned a non-string, empty or pending id.
        """
        seconds = self._default_timeout if timeout is None else check_seconds("timeout", timeout)
        request_id = self._ids()
        if (
            type(request_id) is not str
            or not request_id
            or request_id in self._inflight
            or request_id in self._queued
        ):
            raise LocalProtocolError(f"the id factory returned an unusable id: {request_id!r}")
        text = self._encode(request_id, method, params)
        return PendingRequest(request_id, method, text, now + seconds, kind, purpose, contexts)

    def add_queued(self, request: PendingRequest) -> None:
        """Keep ``request`` until :meth:`take_queued` (the caller checked :meth:`queue_full`)."""
        request.status = _QUEUED
        self._queued[request.id] = request
        self._push(request)

    def add_sent(self, request: PendingRequest) -> None:
        """Track a request that was just written to the transport."""
        request.status = _SENT
        self._inflight[request.id] = request
        # _push(request), inline: this is every request's path.
        self._seq = seq = self._seq + 1
        request.seq = seq
        heap = self._heap
        heapq.heappush(heap, (request.deadline, seq, request))
        if len(heap) > 64 and len(heap) > 2 * (len(self._queued) + len(self._inflight)):
            self._rebuild()

    def mark_sent(self, request: PendingRequest) -> None:
        """A request taken with :meth:`take_queued` was written; its deadline is kept."""
        request.status = _SENT
        self._inflight[request.id] = request

    def _push(self, request: PendingRequest) -> None:
        self._seq = seq = self._seq + 1
        request.seq = seq
        heap = self._heap
        heapq.heappush(heap, (request.deadline, seq, request))
        if len(heap) > 64 and len(heap) > 2 * (len(self._queued) + len(self._inflight)):
            self._rebuild()

    def _rebuild(self) -> None:
        self._heap = [entry for entry in self._heap if entry[2].status != _DONE]
        heapq.heapify(self._heap)

    # ---------------------------------------------------------------- removing
    def take_reply(self, request_id: Any) -> PendingRequest | None:
        """The in-flight request a reply with this id answers, removed; ``None`` if unknown."""
        if type(request_id) is not str:
            return None  # our ids are strings; anything else answers nothing of ours
        request = self._inflight.pop(request_id, None)
        if request is not None:
            request.status = _DONE
        return request

    def take_queued(self) -> list[PendingRequest]:
        """Every queued request, oldest first, removed from the queue (to be sent now)."""
        requests = list(self._queued.values())
        self._queued.clear()
        return requests

    def withdraw(self, request_id: object) -> PendingRequest | None:
        """The *queued* request ``request_id``, removed (it will never be sent); ``None`` when
        it is not queued (unknown, already sent or settled)."""
        request = self._queued.pop(request_id, None) if type(request_id) is str else None
        if request is not None:
            request.status = _DONE
        return request

    def withdraw_queued(self, stale: Callable[[PendingRequest], bool]) -> list[PendingRequest]:
        """Every queued request for which ``stale(request)`` is true, removed, oldest first."""
        found = [request for request in self._queued.values() if stale(request)]
        for request in found:
            del self._queued[request.id]
            request.status = _DONE
        return found

    def take_inflight(self) -> list[PendingRequest]:
        """Every in-flight request, in issue order, removed (the transport is gone)."""
        return self._finish(self._inflight)

    def take_all(self) -> list[PendingRequest]:
        """Every request, queued or in flight, in issue order, removed."""
        requests = sorted([*self._queued.values(), *self._inflight.values()], key=_seq)
        self._finish(self._queued)
        self._finish(self._inflight)
        return requests

    def take_expired(self, now: float) -> list[PendingRequest]:
        """Requests whose deadline is at or before ``now``, removed, earliest first."""
        expired = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            request = heapq.heappop(heap)[2]
            if request.status == _DONE:
                continue
            table = self._queued if request.status == _QUEUED else self._inflight
            del table[request.id]
            request.status = _DONE
            expired.append(request)
        return expired

    def next_deadline(self) -> float | None:
        """The earliest deadline of a live request, or ``None``."""
        heap = self._heap
        while heap and heap[0][2].status == _DONE:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    @staticmethod
    def _finish(table: dict[str, PendingRequest]) -> list[PendingRequest]:
        requests = list(table.values())
        table.clear()
        for request in requests:
            request.status = _DONE
        return requests


def _seq(request: PendingRequest) -> int:
    return request.seq
