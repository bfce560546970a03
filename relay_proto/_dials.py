"""Bookkeeping of outbound dials: pending tags, their deadlines and timed-out tags.

A dial is *pending* from ``prepare_dial`` (before its request is sent, so events that race the
reply are honoured; spec 4.4 step 1) until one of:

* a ``calling.call.dial`` outcome for its tag (``answered`` or ``failed``);
* its request failing or timing out (the request error is then the dial's outcome);
* its deadline (``now + dial_timeout``) passing: ``DialFailed(timed_out=True)``, and the tag is
  remembered so a late ``answered`` makes the core hang the orphan up (decision D18);
* a transport loss followed by a session that is *not* a resume, for dials the previous session
  had accepted (D5): the server's outcome events went with that session;
* ``closed()``.

This module only keeps the state; :mod:`relay_proto._domain` turns it into events. Deadlines
live in a heap with lazy deletion so ``next_deadline`` stays cheap with many dials in flight.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from ._constants import TIMED_OUT_DIAL_MEMORY
from ._errors import LocalProtocolError
from ._fastinit import dataclass

__all__ = ["DialPurpose", "DialTable", "HangupPurpose", "PassPurpose"]


@dataclass(frozen=True, slots=True)
class DialPurpose:
    """``Outgoing.purpose`` of a ``calling.dial`` request.

    ``seq`` tells dials with the same tag apart: a tag may be dialled again once its dial is
    resolved, and the late outcome of the earlier request must not touch the new dial.
    """

    tag: str
    seq: int


@dataclass(frozen=True, slots=True)
class PassPurpose:
    """``Outgoing.purpose`` of the ``calling.pass`` sent for an inbound call over the limit."""

    call_id: str


@dataclass(frozen=True, slots=True)
class HangupPurpose:
    """``Outgoing.purpose`` of the ``calling.end`` sent for an orphan dial winner."""

    tag: str
    call_id: str


@dataclass(slots=True)
class _Pending:
    deadline: float
    seq: int  # identifies this dial's heap entry (a tag may be reused after it resolves)
    accepted: bool = False  # the calling.dial request got a successful reply
    interrupted: bool = False  # accepted, then the transport was lost


class DialTable:
    """Pending dials by tag, their deadlines, and the memory of timed-out tags."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}
        #: The same dict, for a check on every event that costs no call (read it, never write).
        self.pending: Mapping[str, object] = self._pending
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        # Insertion-ordered dict used as a FIFO set.
        self._timed_out: dict[str, None] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, tag: object) -> bool:
        return tag in self._pending

    def add(self, tag: str, deadline: float) -> int:
        """Register a pending dial; returns its sequence number.

        Raises:
            LocalProtocolError: a dial with this tag is already pending (its events could not be
                told apart).
        """
        if tag in self._pending:
            raise LocalProtocolError(f"a dial with tag {tag!r} is already pending")
        self._seq += 1
        self._pending[tag] = _Pending(deadline, self._seq)
        # A tag that timed out and is dialled again belongs to the new dial now.
        self._timed_out.pop(tag, None)
        heapq.heappush(self._heap, (deadline, self._seq, tag))
        self._compact()
        return self._seq

    def remove(self, tag: str, seq: int | None = None) -> bool:
        """Forget a pending dial (only the one numbered ``seq`` when given).

        Returns whether a dial was removed.
        """
        pending = self._pending.get(tag)
        if pending is None or (seq is not None and pending.seq != seq):
            return False
        del self._pending[tag]
        return True

    def accept(self, tag: str, seq: int) -> None:
        """Note that the request of dial ``seq`` was accepted by the server."""
        pending = self._pending.get(tag)
        if pending is not None and pending.seq == seq:
            pending.accepted = True

    def mark_interrupted(self) -> None:
        """Transport lost: accepted dials now depend on the next session being a resume."""
        for pending in self._pending.values():
            if pending.accepted:
                pending.interrupted = True

    def resume(self) -> None:
        """The session was resumed: interrupted dials carry on as before."""
        for pending in self._pending.values():
            pending.interrupted = False

    def take_interrupted(self) -> list[str]:
        """Remove and return the tags of interrupted dials (the new session is not a resume)."""
        tags = [tag for tag, pending in self._pending.items() if pending.interrupted]
        for tag in tags:
            del self._pending[tag]
        return tags

    def take_all(self) -> list[str]:
        """Remove and return every pending tag."""
        tags = list(self._pending)
        self._pending.clear()
        self._heap.clear()
        return tags

    def next_deadline(self) -> float | None:
        """The earliest deadline of a pending dial, or ``None``."""
        heap = self._heap
        while heap and not self._is_live(heap[0]):
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def take_expired(self, now: float) -> list[str]:
        """Remove and return the tags whose deadline is at or before ``now``, earliest first.

        Each is remembered as timed out.
        """
        expired: list[str] = []
        heap = self._heap
        while heap and (not self._is_live(heap[0]) or heap[0][0] <= now):
            entry = heapq.heappop(heap)
            if self._is_live(entry):
                tag = entry[2]
                del self._pending[tag]
                self._remember_timed_out(tag)
                expired.append(tag)
        return expired

    def is_timed_out(self, tag: str) -> bool:
        """True when ``tag`` is in the memory of dials that timed out."""
        return tag in self._timed_out

    def forget_timed_out(self, tag: str) -> None:
        """Forget a timed-out tag (its late outcome has been handled)."""
        self._timed_out.pop(tag, None)

    # ---------------------------------------------------------------- internals
    def _is_live(self, entry: tuple[float, int, str]) -> bool:
        pending = self._pending.get(entry[2])
        return pending is not None and pending.seq == entry[1]

    def _remember_timed_out(self, tag: str) -> None:
        # Bounded FIFO (D18): a late outcome follows its timeout within the devices' own
        # timeouts, so only recent tags matter.
        self._timed_out[tag] = None
        while len(self._timed_out) > TIMED_OUT_DIAL_MEMORY:
            del self._timed_out[next(iter(self._timed_out))]

    def _compact(self) -> None:
        # Entries of resolved dials stay in the heap until they reach its top. Rebuild it when
        # they outnumber the live ones, so its size stays proportional to the pending dials.
        if len(self._heap) > 2 * len(self._pending) + 64:
            self._heap = [entry for entry in self._heap if self._is_live(entry)]
            heapq.heapify(self._heap)
