"""The request side of the session: writing frames, withdrawing queued requests, and reporting
the outcomes of requests (failed without a reply, succeeded).

:class:`SessionRequests` is a base of :class:`~relay_proto._session.Session` (whose theory of
operation describes the rules); it holds no state of its own and neither reads nor changes the
session state: issuing a request (which depends on that state), the lifecycle table and its
transitions stay in ``_session``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._errors import LocalProtocolError
from ._requests import PendingRequest, RequestKind, RequestTable
from ._session_parts import (
    PingSchedule,
    ResumeData,
    SessionHooks,
)
from ._transport import Transport

__all__ = ["SessionRequests"]


class SessionRequests:
    """Requests and their outcomes, for :class:`~relay_proto._session.Session`."""

    # Set by Session.__init__ (see there).
    _transport: Transport | None
    _observer: Callable[[str, str], None] | None
    _hooks: SessionHooks
    _requests: RequestTable
    _resume: ResumeData
    _pings: PingSchedule

    def cancel_request(self, request_id: object, now: float) -> bool:
        """The application gave up on a request: if it is still queued (offline), it is removed
        and will never be sent; the domain forgets what it registered for it (action, dial).
        No outcome event follows. Returns ``False`` (and changes nothing) when the request is
        not queued: already on the wire, settled, or unknown."""
        request = self._requests.withdraw(request_id)
        if request is None:
            return False
        self._hooks.request_withdrawn(request, now)
        return True

    def withdraw_queued(
        self, stale: Callable[[PendingRequest], bool], message: str, now: float
    ) -> int:
        """Remove every queued request for which ``stale(request)`` holds; each fails with
        code -1 and ``message`` (reported as usual). Returns how many."""
        requests = self._requests.withdraw_queued(stale)
        for request in requests:
            self._abort(request, message, now)
        return len(requests)

    def _write(self, text: str) -> bool:
        """Send one frame; ``False`` when the transport cannot take it any more."""
        transport = self._transport
        # Writes happen only while READY or AUTHENTICATING, and the transport is open then:
        # input is handled as it is parsed, so a close ends the session's use of it at once.
        # Should that ever not hold, a request stays queued rather than being lost.
        if transport is None:  # pragma: no cover - defensive
            return False
        if self._observer is not None:
            self._observer("out", text)
        try:
            transport.send_text(text)
        except LocalProtocolError:  # pragma: no cover - defensive: the transport is not open
            return False
        return True

    def _abort(self, request: PendingRequest, message: str, now: float) -> None:
        """``request`` cannot get a reply (transport lost, closed, queue full): it fails with
        code -1. The session's own requests just end; they concern nobody else."""
        if request.kind is not RequestKind.CONNECT and request.kind is not RequestKind.PING:
            self._hooks.request_failed(request, -1, message, None, now)

    def _succeeded(self, request: PendingRequest, result: dict[str, Any], now: float) -> None:
        kind = request.kind
        if kind is RequestKind.PING:
            self._pings.succeeded(now)
            return
        if kind is RequestKind.RECEIVE:
            self._resume.receive(request.contexts)
        elif kind is RequestKind.UNRECEIVE:
            self._resume.unreceive(request.contexts)
        self._hooks.request_succeeded(request, result, now)
