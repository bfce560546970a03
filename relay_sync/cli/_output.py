"""What the ``relay`` command prints: one record per line, as colored text on a terminal or as
JSON lines (``--json``, and whenever standard output is not a terminal).

Every record is a flat dict with a ``type`` (``connected``, ``call``, ``event``, ``message``,
``message_state``, ``ping``, ``result``, ``error``, ``info``), ``t`` (the seconds since the
command started), ``text`` (the human line) and the record's data. The JSON form is the dict
itself, so scripts read exactly what the text shows.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from typing import Any, TextIO

from relay_proto import RelayEvent

__all__ = ["Printer", "event_record", "summarize_event"]

_RESET = "\x1b[0m"
_COLORS = {
    "connected": "\x1b[32m",  # green
    "call": "\x1b[1;36m",  # bold cyan
    "event": "\x1b[36m",  # cyan
    "message": "\x1b[1;35m",  # bold magenta
    "message_state": "\x1b[35m",  # magenta
    "ping": "\x1b[32m",
    "result": "\x1b[1;32m",  # bold green
    "error": "\x1b[1;31m",  # bold red
    "info": "\x1b[2m",  # dim
}
# Event params worth a word in the one-line summary, in this order.
_SUMMARY_KEYS = ("call_state", "state", "end_reason", "reason", "digits", "url", "detect")


class Printer:
    """Writes records to ``out``, thread-safely (handlers and listeners run on other threads).

    Args:
        out: the stream (standard output).
        json_lines: JSON lines; ``None`` decides from the stream: JSON unless it is a terminal.
        color: ANSI colors in text mode; ``None``: on a terminal unless ``NO_COLOR`` is set.
    """

    def __init__(
        self, out: TextIO, *, json_lines: bool | None = None, color: bool | None = None
    ) -> None:
        tty = _isatty(out)
        self.json_lines = (not tty) if json_lines is None else json_lines
        if color is None:
            color = tty and not os.environ.get("NO_COLOR")
        self.color = color and not self.json_lines
        self._out = out
        self._lock = threading.Lock()
        self._start = time.monotonic()

    def emit(self, kind: str, text: str, **fields: Any) -> None:
        """Print one record: ``text`` is the human line, ``fields`` the data (both forms)."""
        record: dict[str, Any] = {"type": kind, "t": round(time.monotonic() - self._start, 3)}
        record["text"] = text
        record.update(fields)
        if self.json_lines:
            line = json.dumps(record, default=str, ensure_ascii=False)
        else:
            line = f"{record['t']:8.3f}  {kind:<13} {text}"
            if self.color:
                line = f"{_COLORS.get(kind, '')}{line}{_RESET}"
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def summarize_event(event: RelayEvent) -> str:
    """A few words about an event: its state and the details that matter."""
    params = event.params
    words: list[str] = []
    for key in _SUMMARY_KEYS:
        value = params.get(key)
        if isinstance(value, str) and value:
            words.append(value if key in ("call_state", "state") else f"{key}={value}")
    result = params.get("result")
    if isinstance(result, Mapping):
        inner = result.get("params")
        detail = inner if isinstance(inner, Mapping) else result
        shown = ", ".join(f"{k}={v}" for k, v in detail.items() if isinstance(v, (str, int)))
        words.append(f"result: {result.get('type', '')} {shown}".rstrip())
    return " ".join(words)


def event_record(event: RelayEvent) -> dict[str, Any]:
    """The data fields of an ``event`` record."""
    return {
        "call_id": event.call_id,
        "event_type": event.event_type,
        "summary": summarize_event(event),
        "params": event.params,
    }
