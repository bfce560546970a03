"""The journal: every frame the emulator received or sent, parsed, in order.

Tests assert on it (``emu.journal.requests("calling.play")``) and wait on it
(``await emu.wait_for_request(...)``). Each entry keeps the raw text (malformed frames too) and
the parsed JSON when there was any, with the connection number and the simulated time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Journal", "JournalEntry"]

# Keep the journal bounded for long-running emulators; tests never get near it.
_MAX_ENTRIES = 100_000
# An oversized fault frame is journaled by its start only.
_MAX_TEXT = 64 * 1024


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One frame.

    Attributes:
        index: position in the journal (0-based, never reused).
        t: simulated time in seconds.
        direction: ``"in"`` (client to emulator) or ``"out"``.
        conn: connection number (1-based, in accept order).
        text: the frame as sent (truncated to 64 KiB).
        frame: the parsed JSON object, or ``None`` when the text was not a JSON object.
    """

    index: int
    t: float
    direction: str
    conn: int
    text: str
    frame: dict[str, Any] | None

    @property
    def method(self) -> str:
        """The JSON-RPC method (``""`` for replies and malformed frames)."""
        value = self.frame.get("method") if self.frame else None
        return value if isinstance(value, str) else ""

    @property
    def id(self) -> Any:
        """The JSON-RPC id, or ``None``."""
        return self.frame.get("id") if self.frame else None

    @property
    def params(self) -> dict[str, Any]:
        """The request's params (``{}`` when absent or not an object)."""
        value = self.frame.get("params") if self.frame else None
        return value if isinstance(value, dict) else {}

    @property
    def result(self) -> dict[str, Any]:
        """A reply's ``result`` (``{}`` when absent or not an object)."""
        value = self.frame.get("result") if self.frame else None
        return value if isinstance(value, dict) else {}

    @property
    def error(self) -> dict[str, Any]:
        """An error reply's ``error`` object (``{}`` when absent or not an object)."""
        value = self.frame.get("error") if self.frame else None
        return value if isinstance(value, dict) else {}

    @property
    def event_type(self) -> str:
        """For a ``signalwire.event``, its ``event_type``; else ``""``."""
        if self.method != "signalwire.event":
            return ""
        value = self.params.get("event_type")
        return value if isinstance(value, str) else ""

    @property
    def event_params(self) -> dict[str, Any]:
        """For a ``signalwire.event``, the inner params."""
        value = self.params.get("params")
        return value if isinstance(value, dict) else {}

    @property
    def is_reply(self) -> bool:
        """True for a response (``result`` or ``error``)."""
        return self.frame is not None and ("result" in self.frame or "error" in self.frame)

    def __str__(self) -> str:
        arrow = "<-" if self.direction == "in" else "->"
        return f"[{self.t:8.2f}s sim] conn{self.conn} {arrow} {self.text[:300]}"


class Journal:
    """Frames in both directions, oldest first (iterable, indexable, ``len()``)."""

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._first = 0  # index of _entries[0] once old entries were dropped

    def record(self, t: float, direction: str, conn: int, text: str) -> JournalEntry:
        """Add a frame."""
        frame: dict[str, Any] | None
        try:
            parsed = json.loads(text) if len(text) <= _MAX_TEXT else None
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deeply
            parsed = None
        frame = parsed if isinstance(parsed, dict) else None
        entry = JournalEntry(self.next_index, t, direction, conn, text[:_MAX_TEXT], frame)
        self._entries.append(entry)
        if len(self._entries) > _MAX_ENTRIES:
            drop = len(self._entries) - _MAX_ENTRIES
            del self._entries[:drop]
            self._first += drop
        return entry

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, position: int) -> JournalEntry:
        return self._entries[position]

    @property
    def next_index(self) -> int:
        """The ``index`` the next frame will get (entries dropped by the bound count too)."""
        return self._first + len(self._entries)

    def since(self, index: int) -> list[JournalEntry]:
        """Entries with ``entry.index >= index``."""
        return self._entries[max(0, index - self._first) :]

    def find(self, match: Callable[[JournalEntry], bool], start: int = 0) -> JournalEntry | None:
        """The first entry from index ``start`` on for which ``match`` is true."""
        return next((e for e in self.since(start) if match(e)), None)

    def requests(self, method: str | None = None, *, conn: int | None = None) -> list[JournalEntry]:
        """Client requests (optionally one method / one connection)."""
        return [
            e
            for e in self._entries
            if e.direction == "in"
            and e.method
            and (method is None or e.method == method)
            and (conn is None or e.conn == conn)
        ]

    def events(self, event_type: str | None = None) -> list[JournalEntry]:
        """``signalwire.event`` frames sent (optionally of one event type)."""
        return [
            e
            for e in self._entries
            if e.direction == "out"
            and e.method == "signalwire.event"
            and (event_type is None or e.event_type == event_type)
        ]

    def replies_to(self, request: JournalEntry) -> list[JournalEntry]:
        """Replies on the other side of the connection carrying ``request``'s id."""
        other = "out" if request.direction == "in" else "in"
        return [
            e
            for e in self.since(request.index)
            if e.direction == other and e.conn == request.conn and e.is_reply and e.id == request.id
        ]

    def text(self) -> str:
        """The whole journal, one readable line per frame."""
        return "\n".join(str(e) for e in self._entries)
