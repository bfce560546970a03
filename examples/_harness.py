"""What every example shares: where it runs, who plays the other side, and the transcript.

An example hands its application code to :func:`run` (async, asyncio or trio) or
:func:`run_sync` (blocking):

* With credentials (``SIGNALWIRE_PROJECT_ID`` + ``SIGNALWIRE_API_TOKEN``, or
  ``SIGNALWIRE_JWT_TOKEN``) and ``SIGNALWIRE_SPACE`` in the environment, the application runs
  against that space: the client reads its configuration from those variables, the example's
  ``program`` (outbound work) runs once, and handlers serve real calls and messages until
  Ctrl+C.
* Otherwise a local :class:`~relay_anyio.testing.RelayEmulator` is started (in-process; on a
  background thread for the blocking client), the example's ``remote`` coroutine plays the
  outside world (a caller pressing keys, a dialled number answering, an SMS arriving), and when
  it is over the client stops gracefully and a two-sided transcript is printed: what the
  application sent and received on the left, what the people and phones around it experienced
  on the right. The exit status is 0 only if nothing went wrong: no exception, no handler
  error, no protocol violation seen by the emulator.

Command line of every example: ``--time-scale S`` (real seconds per simulated second, default
0.01: a 3 s prompt takes 30 ms), ``--frames`` (also print every WebSocket frame) and
``--timeout T`` (real seconds before giving up).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import re
import shutil
import sys
import textwrap
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread

import relay_anyio
import relay_sync
from relay_anyio.testing import Persona, RelayEmulator

__all__ = [
    "AGENT",
    "CALLER",
    "CONTEXT",
    "LINE",
    "chat",
    "number",
    "real_space",
    "run",
    "run_bare",
    "run_sync",
    "tts",
]

CALLER = "+15551230001"
"""The emulated person who phones in."""
LINE = "+15551230002"
"""The application's own number: what callers dial, what it calls and texts from."""
AGENT = "+15552002000"
"""An emulated agent's phone."""
CONTEXT = os.environ.get("RELAY_CONTEXT", "office")
"""The context the examples receive calls and messages on (set your number's to it)."""

# Credentials the in-process emulator is configured with (nothing secret: loopback only).
_PROJECT = "example-project"
_TOKEN = "example-token"

Remote = Callable[[RelayEmulator], Coroutine[Any, Any, None]]
"""The outside world in emulator mode; returns when the scene is over."""


def tts(text: str) -> dict[str, Any]:
    """A text-to-speech media item for ``play`` / ``play_and_collect``."""
    return {"type": "tts", "params": {"text": text}}


async def chat(emu: RelayEmulator, seconds: float) -> None:
    """Let ``seconds`` of simulated time pass (people talking): what happens next still waits
    for what happened before, only the clock moves on."""
    await anyio.sleep(seconds * emu.time_scale)


def real_space() -> bool:
    """Whether SignalWire credentials and a space are configured in the environment."""
    env = os.environ
    has_credentials = bool(env.get("SIGNALWIRE_PROJECT_ID") and env.get("SIGNALWIRE_API_TOKEN"))
    return bool(env.get("SIGNALWIRE_SPACE")) and (
        has_credentials or bool(env.get("SIGNALWIRE_JWT_TOKEN"))
    )


def number(variable: str, emulated: str) -> str:
    """A phone number: ``emulated`` against the emulator, the variable's value otherwise.

    Exits with a message naming the variable when it is needed and missing.
    """
    if not real_space():
        return emulated
    value = os.environ.get(variable, "")
    if not value:
        raise SystemExit(f"set {variable} to a phone number (E.164, e.g. +15551234567)")
    return value


@dataclass(frozen=True)
class _Spec:
    """Everything an example hands over (see :func:`run`)."""

    title: str
    contexts: list[str]
    setup: Callable[[Any], None] | None
    on_call: Callable[[Any], Any] | None
    on_message: Callable[[Any], Any] | None
    program: Callable[[Any], Any] | None
    remote: Remote | None
    stage: Callable[[RelayEmulator], None] | None
    personas: Mapping[str, Persona]
    names: Mapping[str, str]

    @property
    def serves(self) -> bool:
        """Whether the application takes inbound calls or messages."""
        return any(x is not None for x in (self.setup, self.on_call, self.on_message))

    def register(self, client: Any) -> None:
        """Hand the application's handlers to ``client``."""
        if self.setup is not None:
            self.setup(client)
        if self.on_call is not None:
            client.on_call(self.on_call)
        if self.on_message is not None:
            client.on_message(self.on_message)

    def prepare(self, emu: RelayEmulator) -> None:
        """Set the emulated world up before the client connects (on the emulator's loop)."""
        for phone, persona in self.personas.items():
            emu.persona(phone, persona)
        if self.stage is not None:
            self.stage(emu)


@dataclass(frozen=True)
class _Options:
    time_scale: float
    frames: bool
    timeout: float


def _options(argv: Sequence[str] | None, default_scale: float) -> _Options:
    parser = argparse.ArgumentParser(
        description="Runs against the built-in RELAY emulator unless SIGNALWIRE_PROJECT_ID, "
        "SIGNALWIRE_API_TOKEN and SIGNALWIRE_SPACE are set."
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=default_scale,
        help="emulator: real seconds per simulated second (default %(default)s)",
    )
    parser.add_argument("--frames", action="store_true", help="emulator: print every frame")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="emulator: give up after this many seconds"
    )
    args = parser.parse_args(argv)
    if args.time_scale <= 0 or args.timeout <= 0:
        parser.error("--time-scale and --timeout must be positive")
    return _Options(args.time_scale, args.frames, args.timeout)


def run(
    *,
    title: str,
    contexts: Sequence[str] = (),
    setup: Callable[[relay_anyio.RelayClient], None] | None = None,
    on_call: Callable[[relay_anyio.Call], Awaitable[None]] | None = None,
    on_message: Callable[[relay_anyio.Message], Awaitable[None]] | None = None,
    program: Callable[[relay_anyio.RelayClient], Awaitable[None]] | None = None,
    remote: Remote | None = None,
    stage: Callable[[RelayEmulator], None] | None = None,
    personas: Mapping[str, Persona] | None = None,
    names: Mapping[str, str] | None = None,
    backend: str = "asyncio",
    time_scale: float = 0.01,
    intro: str = "",
    argv: Sequence[str] | None = None,
) -> None:
    """Run an async example (see the module docstring); exits non-zero if anything failed.

    Args:
        title: one line saying what the example shows.
        contexts: contexts the client receives calls and messages on.
        setup: ``setup(client)`` registers handlers that need the client (to send replies).
        on_call, on_message: the application's handlers.
        program: outbound work, ``await program(client)`` with a connected client.
        remote: emulator only: the outside world (callers, SMS senders...); runs alongside
            ``program``, and the client stops when both are over.
        stage: emulator only: ``stage(emu)`` sets the world up before the client connects.
        personas: emulator only: how dialled numbers behave.
        names: emulator only: transcript names of numbers (``{AGENT: "agent"}``).
        backend: ``"asyncio"`` or ``"trio"``.
        time_scale: the default of ``--time-scale``.
        intro: emulator only: printed before the run starts.
        argv: command line (default ``sys.argv[1:]``).
    """
    spec = _spec(locals())
    opts = _options(argv, time_scale)
    if real_space():
        _real_async(spec, backend)
        return
    report = _Report(spec, opts)
    if intro:
        print(intro, flush=True)
    with report.capturing():
        try:
            anyio.run(_emulated_async, spec, opts, report, backend=backend)
        except Exception as exc:
            report.failed(exc)
    report.finish()


def run_sync(
    *,
    title: str,
    contexts: Sequence[str] = (),
    setup: Callable[[relay_sync.RelayClient], None] | None = None,
    on_call: Callable[[relay_sync.Call], None] | None = None,
    on_message: Callable[[relay_sync.Message], None] | None = None,
    program: Callable[[relay_sync.RelayClient], None] | None = None,
    remote: Remote | None = None,
    stage: Callable[[RelayEmulator], None] | None = None,
    personas: Mapping[str, Persona] | None = None,
    names: Mapping[str, str] | None = None,
    time_scale: float = 0.01,
    intro: str = "",
    argv: Sequence[str] | None = None,
) -> None:
    """Run a blocking example: as :func:`run`, with relay_sync handlers and ``program``.

    The emulator (an async server) runs on an event loop in a background thread; the client,
    its handlers and ``program`` never see that loop. ``remote`` and ``stage`` run on it.
    """
    spec = _spec(locals())
    opts = _options(argv, time_scale)
    if real_space():
        _real_sync(spec)
        return
    report = _Report(spec, opts)
    if intro:
        print(intro, flush=True)
    with report.capturing():
        try:
            _emulated_sync(spec, opts, report)
        except Exception as exc:
            report.failed(exc)
    report.finish()


def _spec(args: dict[str, Any]) -> _Spec:
    known = {CALLER: "caller", AGENT: "agent", LINE: "the application's line"}
    return _Spec(
        title=args["title"],
        contexts=list(args["contexts"]),
        setup=args["setup"],
        on_call=args["on_call"],
        on_message=args["on_message"],
        program=args["program"],
        remote=args["remote"],
        stage=args["stage"],
        personas=dict(args["personas"] or {}),
        names={**known, **(args["names"] or {})},
    )


# --------------------------------------------------------------------------- emulator runs


async def _emulated_async(spec: _Spec, opts: _Options, report: _Report) -> None:
    emulator = report.emulator(project=_PROJECT, token=_TOKEN, time_scale=opts.time_scale)
    async with emulator as emu:
        report.attach(emu)
        spec.prepare(emu)
        client = relay_anyio.RelayClient(
            project=_PROJECT, token=_TOKEN, host=emu.url, contexts=spec.contexts
        )
        spec.register(client)
        try:
            with anyio.fail_after(opts.timeout):
                await client.connect()
                async with anyio.create_task_group() as tg:
                    if spec.remote is not None:
                        tg.start_soon(spec.remote, emu)
                    if spec.program is not None:
                        tg.start_soon(spec.program, client)
                await client.stop()  # graceful: running handlers finish first
        finally:
            with anyio.CancelScope(shield=True):
                await client.disconnect()
                report.collect(emu)


def _emulated_sync(spec: _Spec, opts: _Options, report: _Report) -> None:
    def body(url: str, start_world: Callable[[], Future[None] | None]) -> None:
        client = relay_sync.RelayClient(
            project=_PROJECT, token=_TOKEN, host=url, contexts=spec.contexts
        )
        spec.register(client)
        try:
            client.connect()
            world = start_world()
            if spec.program is not None:
                spec.program(client)
            if world is not None:
                world.result(timeout=opts.timeout)
            client.stop()  # graceful: running handlers finish first
        finally:
            client.disconnect()

    _in_background(spec, opts, report, body)


def _in_background(
    spec: _Spec,
    opts: _Options,
    report: _Report,
    body: Callable[[str, Callable[[], Future[None] | None]], None],
) -> None:
    """Run the emulator on a loop in a background thread while ``body(url, start_world)``
    runs here; ``start_world()`` starts ``spec.remote`` on that loop."""
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        emu = portal.call(
            functools.partial(
                report.emulator, project=_PROJECT, token=_TOKEN, time_scale=opts.time_scale
            )
        )
        with portal.wrap_async_context_manager(emu):
            portal.call(report.attach, emu)
            portal.call(spec.prepare, emu)
            remote = spec.remote

            def start_world() -> Future[None] | None:
                return portal.start_task_soon(remote, emu) if remote is not None else None

            try:
                body(emu.url, start_world)
            finally:
                portal.call(report.collect, emu)


def run_bare(
    *,
    title: str,
    program: Callable[[str, str, str, str], None],
    remote: Remote | None = None,
    time_scale: float = 0.01,
    argv: Sequence[str] | None = None,
) -> None:
    """Run a program that brings its own client: ``program(host, project, token, context)``.

    Against the emulator (on a background thread) with ``remote`` playing the world, or, with
    ``SIGNALWIRE_*`` set, against your space (project/token credentials only).
    """
    spec = _spec(
        {
            "title": title,
            "contexts": [CONTEXT],
            "setup": None,
            "on_call": None,
            "on_message": None,
            "program": None,
            "remote": remote,
            "stage": None,
            "personas": None,
            "names": None,
        }
    )
    opts = _options(argv, time_scale)
    env = os.environ
    if real_space():
        _banner(spec)
        program(
            env["SIGNALWIRE_SPACE"],
            env.get("SIGNALWIRE_PROJECT_ID", ""),
            env.get("SIGNALWIRE_API_TOKEN", ""),
            CONTEXT,
        )
        return
    report = _Report(spec, opts)

    def body(url: str, start_world: Callable[[], Future[None] | None]) -> None:
        world = start_world()
        program(url, _PROJECT, _TOKEN, CONTEXT)
        if world is not None:
            world.result(timeout=opts.timeout)

    with report.capturing():
        try:
            _in_background(spec, opts, report, body)
        except Exception as exc:
            report.failed(exc)
    report.finish()


# --------------------------------------------------------------------------- real space


def _banner(spec: _Spec) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr
    )
    print(f"== {spec.title} ==")
    print(f"RELAY space {os.environ.get('SIGNALWIRE_SPACE')} (credentials from SIGNALWIRE_*)")


def _waiting(spec: _Spec) -> None:
    print(f"Waiting for calls and messages on {spec.contexts}; Ctrl+C to stop.", flush=True)


def _real_async(spec: _Spec, backend: str) -> None:
    _banner(spec)
    client = relay_anyio.RelayClient(contexts=spec.contexts)
    spec.register(client)
    if spec.program is None:
        _waiting(spec)
        client.run(backend=backend)  # until Ctrl+C / SIGTERM, then a graceful stop
        return
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(_real_program, spec, client, backend=backend)


async def _real_program(spec: _Spec, client: relay_anyio.RelayClient) -> None:
    await client.connect()
    try:
        if spec.program is not None:
            await spec.program(client)
        if spec.serves:
            _waiting(spec)
            await client.serve()
    finally:
        with anyio.CancelScope(shield=True):
            await client.stop()


def _real_sync(spec: _Spec) -> None:
    _banner(spec)
    client = relay_sync.RelayClient(contexts=spec.contexts)
    spec.register(client)
    if spec.program is None:
        _waiting(spec)
        client.run()  # until Ctrl+C / SIGTERM, then a graceful stop
        return
    client.connect()
    try:
        spec.program(client)
        if spec.serves:
            _waiting(spec)
            client.serve()
    except KeyboardInterrupt:
        pass
    finally:
        client.stop()


# --------------------------------------------------------------------------- the transcript


@dataclass(frozen=True)
class _Row:
    t: float
    side: str  # "app" or "world"
    text: str


class _AppLog(logging.Handler):
    """Collects what the examples log (the application's own words) and library trouble.

    Each line is stamped with the simulated time and the journal length at that moment, so it
    lands in the transcript right after the frames that led to it.
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


class _Report:
    """Collects what happened during an emulator run and prints it.

    The two sides are merged in the order things really happened: every transcript line of
    the emulator (and every line the application logs) is stamped with the number of frames
    journaled so far, and goes right after them.
    """

    def __init__(self, spec: _Spec, opts: _Options) -> None:
        self._spec = spec
        self._opts = opts
        self._emu: RelayEmulator | None = None
        self._origin = (0.0, 0.0)  # (monotonic, simulated) when the emulator started
        self._log = _AppLog(self._stamp)
        self._world: list[tuple[int, str]] = []
        self._rows: list[_Row] = []
        self._frames = ""
        self._violations: list[str] = []
        self._errors: list[str] = []

    def _stamp(self) -> tuple[int, float]:
        # Journal position and simulated time, from any thread (the emulator's clock runs at
        # 1/time_scale real speed; reading a list's length is atomic).
        journal = self._emu.journal if self._emu is not None else ()
        mono, sim = self._origin
        return len(journal), sim + (time.monotonic() - mono) / self._opts.time_scale

    def emulator(self, **kwargs: Any) -> RelayEmulator:
        """Build the emulator, reporting its transcript lines here."""
        self._emu = RelayEmulator(on_transcript=self._on_line, **kwargs)
        return self._emu

    def _on_line(self, line: str) -> None:
        self._world.append((self._stamp()[0], line))

    def attach(self, emu: RelayEmulator) -> None:
        """Start the clock (called on the emulator's loop once it runs)."""
        self._origin = (time.monotonic(), emu.now())

    def capturing(self) -> _Capture:
        """Route the examples' and the libraries' log records here while running."""
        return _Capture(self._log)

    def failed(self, exc: BaseException) -> None:
        """Record an exception that ended the run."""
        for leaf in _leaves(exc):
            if isinstance(leaf, TimeoutError):
                self._errors.append(f"gave up after {self._opts.timeout:g} s (--timeout)")
            else:
                text = "".join(traceback.format_exception(type(leaf), leaf, leaf.__traceback__))
                self._errors.append(text.rstrip())

    def collect(self, emu: RelayEmulator) -> None:
        """Read the emulator's journal and transcript (called on the emulator's loop)."""
        self._violations = emu.violations + [repr(e) for e in emu.internal_errors]
        if self._opts.frames:
            self._frames = emu.journal.text()
        # (journal position, sub-order, time, side, text). A line stamped with position n came
        # after the frame at index n - 1 and before the one at index n.
        items: list[tuple[int, int, float, str, str]] = []
        for index, entry in enumerate(emu.journal):
            text = _describe_frame(entry.direction, entry.method, entry.params)
            if text is not None:
                items.append((index + 1, 0, entry.t, "app", text))
        for position, line in self._world:
            parsed = _world_line(emu, line, self._spec.names)
            if parsed is not None:
                items.append((position, 1, parsed[0], "world", parsed[1]))
        for position, t, message in self._log.lines:
            items.append((position, 1, t, "app", f"» {message}"))
        items.sort(key=lambda item: item[:3])
        start = items[0][2] if items else 0.0  # the transcript starts when the client connects
        rows: list[_Row] = []
        for _, _, t, side, text in items:
            if rows and (rows[-1].side, rows[-1].text) == (side, text):
                continue  # the same event for both legs of a bridge
            rows.append(_Row(max(t - start, rows[-1].t) if rows else 0.0, side, text))
        self._rows = rows

    def finish(self) -> None:
        """Print everything; exit non-zero if the run had problems."""
        if self._frames:
            print("--- frames (<- from the client, -> to the client) ---")
            print(self._frames)
        print(f"== {self._spec.title} ==")
        print("(against the built-in RELAY emulator; set SIGNALWIRE_PROJECT_ID,")
        print(" SIGNALWIRE_API_TOKEN and SIGNALWIRE_SPACE to run it against your space)")
        print()
        print(_render(self._rows))
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


class _Capture:
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


def _render(rows: Sequence[_Row]) -> str:
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


def _describe_frame(direction: str, method: str, params: dict[str, Any]) -> str | None:
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

_LINE = re.compile(r"^\[\s*(?P<t>-?[\d.]+)\]\s+(?:(?P<subject>[\w#.-]+):\s)?(?P<text>.*)$")
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
    (re.compile(r"^caller pressed (.*)$"), r"presses \1"),
    (re.compile(r"^caller said (.*)$"), r"says \1"),
    (re.compile(r"^caller silent for (.*)$"), r"stays silent for \1"),
    (re.compile(r"^caller gave no input$"), "says nothing"),
    (re.compile(r"^caller hears ringback (.*)$"), r"hears ringback: \1"),
    (re.compile(r"^dialling \S+ \(\w+\)$"), "phone rings"),
    (re.compile(r"^dial \S+ (answered by|failed).*$"), None),  # the app column has it
    (re.compile(r"^answered$"), "picks up"),
    (re.compile(r"^client#\d+ hung up \((.*)\)$"), r"is hung up on by the application (\1)"),
    (re.compile(r"^(caller )?hung up \((.*)\)$"), r"hangs up (\2)"),
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


def _world_line(
    emu: RelayEmulator, line: str, names: Mapping[str, str]
) -> tuple[float, str] | None:
    found = _LINE.match(line)
    if found is None:
        return (0.0, line)
    subject, text = found["subject"] or "", found["text"]
    if _SESSION_SUBJECT.match(subject):
        return None
    if subject.startswith("msg"):
        told = _sms_line(text, names)
        return None if told is None else (float(found["t"]), told)
    who, phone = _who(emu, subject, names)
    if phone and text.startswith(phone + " "):
        text = text[len(phone) + 1 :]  # "+1555... was busy": the row is already labelled
    for pattern, replacement in _REPHRASE:
        if pattern.match(text):
            if replacement is None:
                return None
            text = pattern.sub(replacement, text)
            break
    return (float(found["t"]), f"{who}: {text}")
