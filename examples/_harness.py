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
  on the right (see ``_transcript``). The exit status is 0 only if nothing went wrong: no
  exception, no handler error, no protocol violation seen by the emulator.

Command line of every example: ``--time-scale S`` (real seconds per simulated second, default
0.01: a 3 s prompt takes 30 ms), ``--frames`` (also print every WebSocket frame),
``--timeout T`` (real seconds before giving up) and, for the async examples,
``--backend asyncio|trio`` (the event loop; default: the example's own).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread

import relay_anyio
import relay_sync
from examples._transcript import Report
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


def _warn_partial_configuration() -> None:
    # Some SIGNALWIRE_* set but not enough for a space: say why the emulator is used.
    names = ("PROJECT_ID", "API_TOKEN", "JWT_TOKEN", "SPACE")
    present = [f"SIGNALWIRE_{n}" for n in names if os.environ.get(f"SIGNALWIRE_{n}")]
    if present and not real_space():
        print(
            f"note: {', '.join(present)} set, but a space needs SIGNALWIRE_SPACE and "
            "SIGNALWIRE_PROJECT_ID + SIGNALWIRE_API_TOKEN (or SIGNALWIRE_JWT_TOKEN): "
            "using the built-in emulator",
            file=sys.stderr,
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
    backend: str | None = None


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
    parser.add_argument(
        "--backend",
        choices=("asyncio", "trio"),
        help="async examples: the event loop to run on (default: the example's own)",
    )
    args = parser.parse_args(argv)
    if args.time_scale <= 0 or args.timeout <= 0:
        parser.error("--time-scale and --timeout must be positive")
    return _Options(args.time_scale, args.frames, args.timeout, args.backend)


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
    backend = opts.backend or backend
    _warn_partial_configuration()
    if real_space():
        _real_async(spec, backend)
        return
    report = Report(spec.title, spec.names, opts.time_scale, opts.timeout, opts.frames)
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
    _warn_partial_configuration()
    if real_space():
        _real_sync(spec)
        return
    report = Report(spec.title, spec.names, opts.time_scale, opts.timeout, opts.frames)
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


async def _emulated_async(spec: _Spec, opts: _Options, report: Report) -> None:
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


def _emulated_sync(spec: _Spec, opts: _Options, report: Report) -> None:
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
    report: Report,
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
    _warn_partial_configuration()
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
    report = Report(spec.title, spec.names, opts.time_scale, opts.timeout, opts.frames)

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
