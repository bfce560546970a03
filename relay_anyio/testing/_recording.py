"""Recordings: a RELAY conversation as JSON lines, from the emulator's journal or a client's
frame trace, credentials scrubbed; :class:`~._replay.ReplayServer` plays one back.

The format (``relay-journal`` version 1), one JSON object per line::

    {"relay_journal": 1, "source": "emulator", "recorded_at": "2026-12-07T00:10:00+00:00"}
    {"t": 0.0, "from": "client", "conn": 1, "frame": {"jsonrpc": "2.0", "id": "1", ...}}
    {"t": 0.004, "from": "server", "conn": 1, "frame": {...}}
    {"t": 0.9, "from": "server", "conn": 1, "text": "not JSON"}

The first line is the header (``source``: ``"emulator"`` or ``"client"``; other keys are
free). Each other line is one WebSocket text message: ``t`` seconds since the recording began,
``from`` who sent it, ``conn`` the connection it went over (1, 2... in order: a reconnect is a
new connection), and the message as ``frame`` (a JSON object) or as ``text`` (anything else).
Lines that are empty or start with ``#`` are ignored, so a recording can be annotated by hand.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ._journal import Journal

__all__ = [
    "FORMAT_VERSION",
    "FrameRecorder",
    "RecordedFrame",
    "Recording",
    "load_recording",
    "save_journal",
    "scrub_frame",
]

FORMAT_VERSION = 1
SCRUBBED = "<scrubbed>"
# Keys whose values are credentials or bearer material, wherever they appear.
_SECRET_KEYS = frozenset(
    {"authentication", "authorization_state", "token", "jwt_token", "password", "signature"}
)


def scrub_frame(frame: Any) -> Any:
    """A copy of ``frame`` with credential values replaced by ``"<scrubbed>"``: the
    ``authentication`` object of a connect, ``authorization_state``, tokens, JWTs and
    signatures, at any depth. Only values are replaced, never parts of other strings."""
    if isinstance(frame, dict):
        return {
            k: (SCRUBBED if k in _SECRET_KEYS and v not in (None, "") else scrub_frame(v))
            for k, v in frame.items()
        }
    if isinstance(frame, list):
        return [scrub_frame(v) for v in frame]
    return frame


@dataclass(frozen=True, slots=True)
class RecordedFrame:
    """One recorded WebSocket message (``frame`` parsed, or ``text`` when not an object)."""

    t: float
    sender: str  # "client" or "server"
    conn: int
    frame: dict[str, Any] | None
    text: str = ""

    @property
    def method(self) -> str:
        """The JSON-RPC method, or ``""``."""
        value = self.frame.get("method") if self.frame else None
        return value if isinstance(value, str) else ""

    @property
    def is_reply(self) -> bool:
        """A JSON-RPC response (``result`` or ``error``)."""
        return self.frame is not None and ("result" in self.frame or "error" in self.frame)

    def line(self) -> str:
        """The JSON line of this frame."""
        body: dict[str, Any] = {"t": round(self.t, 6), "from": self.sender, "conn": self.conn}
        if self.frame is not None:
            body["frame"] = self.frame
        else:
            body["text"] = self.text
        return json.dumps(body, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Recording:
    """A loaded recording: its header and its frames in order."""

    header: dict[str, Any]
    frames: tuple[RecordedFrame, ...]

    def requests(self, method: str | None = None) -> list[RecordedFrame]:
        """Client requests (optionally of one method)."""
        return [
            f
            for f in self.frames
            if f.sender == "client" and f.method and (method is None or f.method == method)
        ]

    def save(self, dest: str | Path | IO[str]) -> None:
        """Write it as JSON lines."""
        _write(dest, self.header, self.frames)


def _write(
    dest: str | Path | IO[str], header: dict[str, Any], frames: Iterable[RecordedFrame]
) -> None:
    lines = [json.dumps({"relay_journal": FORMAT_VERSION, **header})]
    lines.extend(f.line() for f in frames)
    text = "\n".join(lines) + "\n"
    if isinstance(dest, (str, Path)):
        Path(dest).write_text(text, encoding="utf-8")
    else:
        dest.write(text)


def _now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def save_journal(
    journal: Journal,
    dest: str | Path | IO[str],
    *,
    time_scale: float = 1.0,
    scrub: bool = True,
) -> Recording:
    """Write the emulator's journal (``emu.journal``) as a recording; return it.

    ``t`` is real seconds (the journal's simulated time times ``time_scale``), from the first
    frame. With ``scrub`` (the default) credentials are replaced (:func:`scrub_frame`).
    """
    entries = list(journal)
    start = entries[0].t if entries else 0.0
    frames = []
    for e in entries:
        frame = scrub_frame(e.frame) if scrub and e.frame is not None else e.frame
        sender = "client" if e.direction == "in" else "server"
        t = (e.t - start) * time_scale
        frames.append(RecordedFrame(t, sender, e.conn, frame, "" if frame else e.text))
    recording = Recording({"source": "emulator", "recorded_at": _now_iso()}, tuple(frames))
    recording.save(dest)
    return recording


def _parse_line(number: int, line: str) -> RecordedFrame:
    try:
        body = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"line {number}: not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ValueError(f"line {number}: not a JSON object")
    sender, conn, t = body.get("from"), body.get("conn", 1), body.get("t", 0.0)
    if sender not in ("client", "server"):
        raise ValueError(f'line {number}: \'from\' must be "client" or "server"')
    if not isinstance(conn, int) or conn < 1 or not isinstance(t, (int, float)):
        raise ValueError(f"line {number}: 'conn' must be a positive integer, 't' a number")
    frame, text = body.get("frame"), body.get("text", "")
    if frame is not None and not isinstance(frame, dict):
        raise ValueError(f"line {number}: 'frame' must be a JSON object")
    if frame is None and not isinstance(text, str):
        raise ValueError(f"line {number}: 'text' must be a string")
    return RecordedFrame(float(t), sender, conn, frame, "" if frame is not None else text)


def load_recording(source: str | Path | IO[str] | Iterable[str]) -> Recording:
    """Read a recording (a path, an open text file, or lines).

    Raises:
        ValueError: not a relay-journal recording, or a bad line (its number is given).
    """
    if isinstance(source, (str, Path)):
        lines: Iterable[str] = Path(source).read_text(encoding="utf-8").splitlines()
    else:
        lines = source
    header: dict[str, Any] | None = None
    frames: list[RecordedFrame] = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if header is None:
            parsed = json.loads(line) if line.startswith("{") else None
            if not isinstance(parsed, dict) or parsed.get("relay_journal") != FORMAT_VERSION:
                raise ValueError(f"line {number}: not a relay_journal {FORMAT_VERSION} header")
            header = {k: v for k, v in parsed.items() if k != "relay_journal"}
            continue
        frames.append(_parse_line(number, line))
    if header is None:
        raise ValueError("empty recording: no relay_journal header")
    return Recording(header, tuple(frames))


class FrameRecorder(logging.Handler):
    """Records a relay_anyio client's frames as a recording (source ``"client"``).

    relay_anyio traces every frame at DEBUG on the ``relay_anyio.frames`` logger, masked. Attach
    a recorder there (``FrameRecorder.attach()``), run the client against the real service, then
    :meth:`save` what it saw; credentials are scrubbed again (:func:`scrub_frame`). A new
    ``signalwire.connect`` from the client starts a new connection number.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.frames: list[RecordedFrame] = []
        self._start: float | None = None
        self._conn = 0

    @classmethod
    def attach(cls, logger_name: str = "relay_anyio.frames") -> FrameRecorder:
        """A recorder added to ``logger_name``, whose level is set to DEBUG."""
        recorder = cls()
        logger = logging.getLogger(logger_name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(recorder)
        return recorder

    def detach(self, logger_name: str = "relay_anyio.frames") -> None:
        """Stop recording."""
        logging.getLogger(logger_name).removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        """Take one trace line (``">> text"``: sent, ``"<< text"``: received)."""
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) != 2 or args[0] not in (">>", "<<"):
            return
        sender = "client" if args[0] == ">>" else "server"
        text = str(args[1])
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        frame = scrub_frame(parsed) if isinstance(parsed, dict) else None
        if sender == "client" and frame is not None and frame.get("method") == "signalwire.connect":
            self._conn += 1
        if self._start is None:
            self._start = record.created
        conn = max(1, self._conn)
        self.frames.append(
            RecordedFrame(record.created - self._start, sender, conn, frame, "" if frame else text)
        )

    def recording(self) -> Recording:
        """What was recorded so far."""
        return Recording({"source": "client", "recorded_at": _now_iso()}, tuple(self.frames))

    def save(self, dest: str | Path | IO[str]) -> Recording:
        """Write what was recorded so far; return it."""
        recording = self.recording()
        recording.save(dest)
        return recording


def iter_conversation(recording: Recording) -> Iterator[RecordedFrame]:
    """The frames a replay acts on: pings and their replies are left out (their timing is the
    peers' own business)."""
    pings: set[tuple[str, int, str]] = set()
    for f in recording.frames:
        if f.frame is None:
            continue
        if f.method == "signalwire.ping":
            pings.add((f.sender, f.conn, json.dumps(f.frame.get("id"))))
            continue
        if f.is_reply:
            other = "server" if f.sender == "client" else "client"
            if (other, f.conn, json.dumps(f.frame.get("id"))) in pings:
                continue
        yield f
