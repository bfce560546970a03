"""What an emulator run of an example prints: the two-sided transcript and the verdict.

:class:`Report` collects during the run (the emulator's transcript lines, what the
application logs, library warnings and errors, exceptions) and prints at the end; the run
failed if anything went wrong.

Left: what the application did, read from the emulator's journal of frames (``→`` a request
it sent, ``←`` an event it received) and from what it logged (``»``). Right: what the people
and phones around it lived through, from the emulator's transcript, re-told from each party's
side ("caller: hears ...", "agent: picks up"). The two are merged in the order things really
happened: each transcript line knows its place among the journaled frames
(``TranscriptLine.journal_position``), each log line is stamped with the journal's
``next_index`` when it is written, and both go right after the frames that came before them.
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
import textwrap
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from relay_anyio.testing import RelayEmulator, TranscriptLine

__all__ = ["AppLog", "Capture", "Report", "Row", "describe_frame", "merge", "render", "world_line"]


@dataclass(frozen=True)
class Row:
    """One line of the transcript: simulated seconds since the start, side, text."""

    t: float
    side: str  # "app" or "world"
    text: str


def merge(
    emu: RelayEmulator,
    world: Sequence[TranscriptLine],
    app_log: Sequence[tuple[int, float, str]],
    names: Mapping[str, str],
) -> list[Row]:
    """Both sides in order.

    Args:
        emu: the emulator (its journal gives the frames).
        world: the emulator's transcript lines (``emu.transcript_lines``).
        app_log: (journal position when logged, simulated time, message) of the application.
        names: transcript names of phone numbers.
    """
    # (journal position, sub-order, time, side, text). A line at position n came after the
    # frame at index n - 1 and before the one at index n.
    items: list[tuple[int, int, float, str, str]] = []
    for entry in emu.journal:
        text = describe_frame(entry.direction, entry.method, entry.params)
        if text is not None:
            items.append((entry.index + 1, 0, entry.t, "app", text))
    for line in world:
        told = world_line(emu, line, names)
        if told is not None:
            items.append((line.journal_position, 1, line.t, "world", told))
    for position, t, message in app_log:
        items.append((position, 1, t, "app", f"» {message}"))
    items.sort(key=lambda item: item[:3])
    start = items[0][2] if items else 0.0  # the transcript starts when the client connects
    rows: list[Row] = []
    for _, _, t, side, text in items:
        if rows and (rows[-1].side, rows[-1].text) == (side, text):
            continue  # the same event for both legs of a bridge
        rows.append(Row(max(t - start, rows[-1].t) if rows else 0.0, side, text))
    return rows


class AppLog(logging.Handler):
    """Collects what the examples log (the application's own words) and library trouble.

    Each line is stamped with the simulated time and the journal position at that moment, so
    it lands in the transcript right after the frames that led to it.
    """

    def __init__(self, stamp: Callable[[], tuple[int, float]]) -> None:
        super().__init__(logging.INFO)
        self._stamp = stamp
        self.lines: list[tuple[int, float, str]] = []
        self.trouble: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("examples", "__main__")):
            self.lines.append((*self._stamp(), record.getMessage()))
        if record.levelno >= logging.WARNING:
            self.trouble.append(record)


class Report:
    """Collects what happened during an emulator run and prints it.

    The two sides are merged in the order things really happened: every transcript line of
    the emulator (and every line the application logs) knows how many frames were journaled
    before it, and goes right after them.
    """

    def __init__(
        self,
        title: str,
        names: Mapping[str, str],
        time_scale: float,
        timeout: float,
        frames: bool,
    ) -> None:
        self._title = title
        self._names = names
        self._time_scale = time_scale
        self._timeout = timeout
        self._want_frames = frames
        self._emu: RelayEmulator | None = None
        self._origin = (0.0, 0.0)  # (monotonic, simulated) when the emulator started
        self._log = AppLog(self._stamp)
        self._rows: list[Row] = []
        self._frames = ""
        self._violations: list[str] = []
        self._errors: list[str] = []

    def _stamp(self) -> tuple[int, float]:
        # Journal position and simulated time, from any thread (the emulator's clock runs at
        # 1/time_scale real speed; reading the journal's position is a couple of int reads).
        position = self._emu.journal.next_index if self._emu is not None else 0
        mono, sim = self._origin
        return position, sim + (time.monotonic() - mono) / self._time_scale

    def emulator(self, **kwargs: Any) -> RelayEmulator:
        """Build the emulator whose run this report tells."""
        self._emu = RelayEmulator(**kwargs)
        return self._emu

    def attach(self, emu: RelayEmulator) -> None:
        """Start the clock (called on the emulator's loop once it runs)."""
        self._origin = (time.monotonic(), emu.now())

    def capturing(self) -> Capture:
        """Route the examples' and the libraries' log records here while running."""
        return Capture(self._log)

    def failed(self, exc: BaseException) -> None:
        """Record an exception that ended the run."""
        for leaf in _leaves(exc):
            if isinstance(leaf, TimeoutError):
                self._errors.append(f"gave up after {self._timeout:g} s (--timeout)")
            else:
                text = "".join(traceback.format_exception(type(leaf), leaf, leaf.__traceback__))
                self._errors.append(text.rstrip())

    def collect(self, emu: RelayEmulator) -> None:
        """Read the emulator's journal and transcript (called on the emulator's loop)."""
        self._violations = emu.violations + [repr(e) for e in emu.internal_errors]
        if self._want_frames:
            self._frames = emu.journal.text()
        self._rows = merge(emu, emu.transcript_lines, self._log.lines, self._names)

    def finish(self) -> None:
        """Print everything; exit non-zero if the run had problems."""
        if self._frames:
            print("--- frames (<- from the client, -> to the client) ---")
            print(self._frames)
        print(f"== {self._title} ==")
        print("(against the built-in RELAY emulator; set SIGNALWIRE_PROJECT_ID,")
        print(" SIGNALWIRE_API_TOKEN and SIGNALWIRE_SPACE to run it against your space)")
        print()
        print(render(self._rows))
        errors = self._errors + [_record_text(r) for r in self._log.trouble if _is_error(r)]
        notes = [_record_text(r) for r in self._log.trouble if not _is_error(r)]
        for title, items in (("notes", notes), ("violations", self._violations)):
            if items:
                print(f"\n{title}:\n" + "\n".join(f"  {item}" for item in items))
        if errors:
            print("\nFAILED:\n" + "\n".join(f"  {e}" for e in errors), file=sys.stderr)
        if errors or self._violations:
            raise SystemExit(1)
        print("\nDone: the scenario ran to completion.")


class Capture:
    """Context manager: attach the report's log handler to the relevant loggers."""

    _LOGGERS = ("examples", "__main__", "relay_anyio", "relay_sync")

    def __init__(self, handler: logging.Handler) -> None:
        self._handler = handler
        self._saved: list[tuple[logging.Logger, int, bool]] = []

    def __enter__(self) -> None:
        for name in self._LOGGERS:
            logger = logging.getLogger(name)
            self._saved.append((logger, logger.level, logger.propagate))
            logger.addHandler(self._handler)
            app = name in ("examples", "__main__")
            logger.setLevel(logging.INFO if app else logging.WARNING)
            logger.propagate = False

    def __exit__(self, *exc: object) -> None:
        for logger, level, propagate in self._saved:
            logger.removeHandler(self._handler)
            logger.setLevel(level)
            logger.propagate = propagate


def _leaves(exc: BaseException) -> list[BaseException]:
    nested = getattr(exc, "exceptions", None)
    if isinstance(nested, (list, tuple)):
        return [leaf for inner in nested for leaf in _leaves(inner)]
    return [exc]


def _is_error(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


def _record_text(record: logging.LogRecord) -> str:
    text = f"{record.name}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        text += f" ({type(error).__name__}: {error})"
    return text


def render(rows: Sequence[Row]) -> str:
    """Two columns (as wide as the terminal, or ``COLUMNS``), long lines wrapped."""
    width = min(max(shutil.get_terminal_size((100, 24)).columns, 80), 300)
    column = (width - 12) // 2
    rule = "─" * column
    out = [
        f"{'time':>7}  {'APPLICATION (your code)':<{column}} │ OUTSIDE WORLD (emulated)",
        f"{'─' * 7}  {rule}─┼─{rule}",
    ]
    for row in rows:
        lines = textwrap.wrap(row.text, column, subsequent_indent="  ") or [""]
        for i, line in enumerate(lines):
            stamp = f"{row.t:6.1f}s" if i == 0 else ""
            if row.side == "app":
                out.append(f"{stamp:>7}  {line:<{column}} │")
            else:
                out.append(f"{stamp:>7}  {'':<{column}} │ {line}")
    return "\n".join(out)


# ------------------------------------------------------------- describing the client's frames


def _quote(text: object, limit: int = 120) -> str:
    value = str(text)
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def _media(items: object) -> str:
    if not isinstance(items, list) or not items:
        return "nothing"
    parts = []
    for item in items:
        kind = item.get("type") if isinstance(item, dict) else None
        params = item.get("params", {}) if isinstance(item, dict) else {}
        if kind == "tts":
            parts.append(_quote(params.get("text", "")))
        elif kind == "audio":
            parts.append(f"audio {params.get('url', '?')}")
        elif kind == "silence":
            parts.append(f"{params.get('duration', '?')} s of silence")
        elif kind == "ringtone":
            parts.append(f"the {params.get('name', '?')} ringtone")
        else:
            parts.append(str(kind))
    return " + ".join(parts)


def _collect(spec: object) -> str:
    if not isinstance(spec, dict):
        return "input"
    wants = []
    digits = spec.get("digits")
    if isinstance(digits, dict):
        count = digits.get("max", 1)
        ends = f" ending with {digits['terminators']}" if digits.get("terminators") else ""
        wants.append(f"{count} key{'s' if count != 1 else ''}{ends}")
    if isinstance(spec.get("speech"), dict):
        wants.append("speech")
    return " or ".join(wants) or "input"


def _numbers(devices: object) -> str:
    found = []
    for group in devices if isinstance(devices, list) else []:
        for device in group if isinstance(group, list) else []:
            if isinstance(device, dict):
                params = device.get("params", {})
                found.append(str(params.get("to_number") or device.get("type", "?")))
    return " / ".join(found) or "?"


_REQUESTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "signalwire.connect": lambda p: (
        "connects and authenticates"
        + (f", receiving on {', '.join(p['contexts'])}" if p.get("contexts") else "")
    ),
    "signalwire.receive": lambda p: f"starts receiving on {', '.join(p.get('contexts', []))}",
    "signalwire.unreceive": lambda p: f"stops receiving on {', '.join(p.get('contexts', []))}",
    "calling.answer": lambda p: "answers",
    "calling.end": lambda p: "hangs up",
    "calling.pass": lambda p: "passes the call on",
    "calling.play": lambda p: f"plays {_media(p.get('play'))}",
    "calling.play_and_collect": lambda p: (
        f"plays {_media(p.get('play'))}, listening for {_collect(p.get('collect'))}"
    ),
    "calling.collect": lambda p: f"listens for {_collect(p)}",
    "calling.connect": lambda p: f"connects the call to {_numbers(p.get('devices'))}",
    "calling.disconnect": lambda p: "ends the bridge",
    "calling.dial": lambda p: f"dials {_numbers(p.get('devices'))}",
    "calling.record": lambda p: "starts recording",
    "calling.record.pause": lambda p: "pauses the recording",
    "calling.record.resume": lambda p: "resumes the recording",
    "calling.record.stop": lambda p: "stops the recording",
    "calling.send_digits": lambda p: f"sends the keys {p.get('digits', '?')}",
    "calling.join_conference": lambda p: f"puts the call in conference {_quote(p.get('name'))}",
    "calling.leave_conference": lambda p: "takes the call out of its conference",
    "calling.detect": lambda p: f"starts a {p.get('detect', {}).get('type', '?')} detector",
    "calling.hold": lambda p: "puts the call on hold",
    "calling.unhold": lambda p: "takes the call off hold",
    "messaging.send": lambda p: (
        f"sends a message to {p.get('to_number', '?')}: {_quote(p.get('body', ''))}"
        + (f" + {len(p['media'])} media file(s)" if p.get("media") else "")
    ),
}


_CONFERENCE_NEWS = ("participant-join", "participant-leave", "conference-end")


def _event(params: dict[str, Any]) -> str | None:
    kind, inner = params.get("event_type"), params.get("params")
    if not isinstance(inner, dict):
        return None
    if kind == "calling.call.receive":
        device = inner.get("device", {}).get("params", {})
        return f"incoming call from {device.get('from_number', '?')}"
    if kind == "calling.call.collect" and "result" in inner and inner.get("final") is not False:
        result = inner["result"]
        value = result.get("params", {})
        if result.get("type") == "digit":
            return f"gets the keys {value.get('digits', '')}{value.get('terminator', '')}"
        if result.get("type") == "speech":
            return f"hears {_quote(value.get('text', ''))}"
        return f"collect result: {result.get('type', '?')}"
    if kind == "calling.call.connect":
        return f"bridge {inner.get('connect_state', '?')}"
    if kind == "calling.call.record" and inner.get("state") == "finished":
        duration = inner.get("record", {}).get("duration", "?")
        return f"recording finished ({duration} s)"
    if kind == "calling.call.dial" and inner.get("dial_state") in ("answered", "failed"):
        return f"dial {inner['dial_state']}"
    if kind == "calling.conference" and inner.get("status") in _CONFERENCE_NEWS:
        return f"conference {_quote(inner.get('name'))}: {inner['status']}"
    if kind == "messaging.receive":
        return f"message from {inner.get('from_number')}: {_quote(inner.get('body', ''))}"
    if kind == "messaging.state" and inner.get("message_state") in ("delivered", "failed"):
        return f"message to {inner.get('to_number')} {inner['message_state']}"
    if kind == "messaging.state" and inner.get("message_state") == "undelivered":
        return f"message to {inner.get('to_number')} undelivered: {inner.get('reason', '')}"
    return None


def describe_frame(direction: str, method: str, params: dict[str, Any]) -> str | None:
    """One line for the application column, or ``None`` for plumbing (ACKs, pings...)."""
    if direction == "out":
        text = _event(params) if method == "signalwire.event" else None
        return None if text is None else f"← {text}"
    if not method or method == "signalwire.ping":
        return None
    describe = _REQUESTS.get(method)
    if describe is not None:
        return f"→ {describe(params)}"
    return f"→ {method.split('.', 1)[-1].replace('_', ' ').replace('.', ' ')}"


# ------------------------------------------------------------- describing the outside world

# Lines about the sessions (sockets, logins) are in the left column already, as frames.
_SESSION_SUBJECT = re.compile(r"^(conn\d+|client#\d+)$")
# The emulator narrates; on the right we say what each party lives through.
_REPHRASE: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(r"^incoming call from \S+ to (\S+) on .*$"), r"dials \1"),
    (re.compile(r"^waiting for a client on .*$"), None),
    (re.compile(r"^offered to client#\d+$"), "hears it ring"),
    (re.compile(r"^collecting input$"), None),
    (re.compile(r"^answered by client#\d+$"), "is answered"),
    (re.compile(r"^played (.*)$"), r"hears \1"),
    # The emulator names who acts ("caller", or the number, already stripped): drop it.
    (re.compile(r"^(?:caller )?pressed (.*)$"), r"presses \1"),
    (re.compile(r"^(?:caller )?said (.*)$"), r"says \1"),
    (re.compile(r"^(?:caller )?silent for (.*)$"), r"stays silent for \1"),
    (re.compile(r"^(?:caller )?gave no input$"), "says nothing"),
    (re.compile(r"^(?:caller )?interrupted the prompt$"), "interrupts the prompt"),
    (re.compile(r"^(?:caller )?hears ringback (.*)$"), r"hears ringback: \1"),
    (re.compile(r"^dialling \S+ \(\w+\)$"), "phone rings"),
    (re.compile(r"^dial \S+ (answered by|failed).*$"), None),  # the app column has it
    (re.compile(r"^answered$"), "picks up"),
    (re.compile(r"^client#\d+ hung up \((.*)\)$"), r"is hung up on by the application (\1)"),
    (re.compile(r"^(?:caller )?hung up \((.*)\)$"), r"hangs up (\1)"),
    (re.compile(r"^connected to (.*)$"), r"is connected to \1"),
    (re.compile(r"^recording started.*$"), "is being recorded"),
    (re.compile(r"^recording finished: (\S+) s at .*$"), r"recording finished (\1 s)"),
    (re.compile(r"^disconnected from (.*)$"), r"is no longer connected to \1"),
]


# Message lines, told from the phone's side: (pattern, group naming the phone, new text).
_SMS: list[tuple[re.Pattern[str], str, str | None]] = [
    (re.compile(r"^message from \S+ to (?P<phone>\S+) accepted: .*$"), "phone", None),
    (re.compile(r"^message to (?P<phone>\S+) delivered$"), "phone", "receives the text"),
    (re.compile(r"^message to (?P<phone>\S+) (?P<what>.*)$"), "phone", r"text \g<what>"),
    (
        re.compile(r"^inbound message from (?P<phone>\S+) to (?P<to>\S+) on \S+: (?P<b>.*)$"),
        "phone",
        r"texts \g<to>: \g<b>",
    ),
    (re.compile(r"^inbound message delivered to .*$"), "", None),
]


def _who(emu: RelayEmulator, subject: str, names: Mapping[str, str]) -> tuple[str, str]:
    """(name for the transcript, phone number or "") of a transcript subject."""
    if subject.startswith("call-"):
        try:
            party = emu.party(subject)
        except KeyError:
            return subject, ""
        return names.get(party.number, party.number), party.number
    return subject or "network", ""


def _sms_line(text: str, names: Mapping[str, str]) -> str | None:
    for pattern, group, replacement in _SMS:
        found = pattern.match(text)
        if found is not None:
            if replacement is None:
                return None
            phone = found[group]
            return f"{names.get(phone, phone)}: {found.expand(replacement)}"
    return f"SMS: {text}"


def world_line(emu: RelayEmulator, line: TranscriptLine, names: Mapping[str, str]) -> str | None:
    """One emulator transcript line told from the party's side, or ``None`` to leave it out."""
    subject, text = line.subject, line.text
    if _SESSION_SUBJECT.match(subject):
        return None
    if subject.startswith("msg"):
        return _sms_line(text, names)
    who, phone = _who(emu, subject, names)
    if phone and text.startswith(phone + " "):
        text = text[len(phone) + 1 :]  # "+1555... was busy": the row is already labelled
    for pattern, replacement in _REPHRASE:
        if pattern.match(text):
            if replacement is None:
                return None
            text = pattern.sub(replacement, text)
            break
    return f"{who}: {text}"
