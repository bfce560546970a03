"""``python -m relay_anyio.testing`` / ``relay-emulator``: run the RELAY emulator standalone.

It prints the URL to point a client at, then a live transcript, and serves until SIGINT
(Ctrl+C) or SIGTERM, whatever its standard input is: in the background, under ``nohup``, in a
container without a terminal. Commands are read from standard input when it is a terminal, or
with ``--interactive`` (``--no-input`` never reads them); the end of that input stops reading,
never serving. The commands script the outside world (``help`` lists them), e.g.::

    call office +15551230001 +15551230002 press:2 "say:sales please" hangup
    sms office +15551230009 +15551230002 Running 5 min late
    persona +15552002000 busy
    fault disconnect restart

Any RELAY client can connect: the official SDK with ``host="127.0.0.1:<port>"`` and a
``ws://`` redirect, our own ``relay_anyio``/``relay_sync`` clients with the ``ws://`` URL.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

import anyio
from anyio.from_thread import BlockingPortal

from . import _load
from ._cli_faults import FAULT_HELP, fault_command
from ._emulator import DEFAULT_PING_INTERVAL, RelayEmulator
from ._personas import Persona
from ._routing import check_route
from ._script import Intent

__all__ = ["CommandError", "build_parser", "main", "parse_persona", "parse_route", "run_command"]

HELP = f"""commands:
  call CONTEXT FROM TO [INTENT...]   place an inbound call; intents: press:DIGITS,
                                     "say:WORDS", silence[:SECONDS], hangup[:AFTER]
  press CALL DIGITS | say CALL WORDS... | silence CALL [SECONDS] | hangup CALL
  sms CONTEXT FROM TO BODY...        deliver an inbound SMS
  persona NUMBER KIND[:AFTER]        human, machine, fax, busy, no_answer, fails, declines
  route NUMBER CONTEXT | unroute NUMBER   calls and SMS to NUMBER reach clients on CONTEXT
  outcome NUMBER delivered|undelivered|failed [REASON]
  unreachable TARGET [REASON...]     streams/taps to TARGET (URL, addr[:port]) fail
  queue-wait QUEUE SECONDS|off       calls leave QUEUE after waiting that long
{FAULT_HELP}
  clients | violations | help | quit"""

_PERSONAS: dict[str, Callable[[float | None], Persona]] = {
    "human": lambda a: Persona.human(after=1.0 if a is None else a),
    "answers": lambda a: Persona.human(after=1.0 if a is None else a),
    "machine": lambda a: Persona.machine(after=1.0 if a is None else a),
    "fax": lambda a: Persona.fax(after=1.0 if a is None else a),
    "busy": lambda a: Persona.busy(after=0.5 if a is None else a),
    "no_answer": lambda a: Persona.no_answer(),
    "fails": lambda a: Persona.fails(after=0.2 if a is None else a),
    "declines": lambda a: Persona.declines(after=1.0 if a is None else a),
}


class CommandError(ValueError):
    """A command line that cannot be carried out; the message says why."""


def parse_persona(spec: str) -> Persona:
    """``KIND`` or ``KIND:AFTER`` -> a :class:`Persona`.

    Raises:
        CommandError: unknown kind or a bad number.
    """
    kind, _, after = spec.partition(":")
    if kind not in _PERSONAS:
        raise CommandError(f"unknown persona {kind!r}; one of {', '.join(_PERSONAS)}")
    return _PERSONAS[kind](_seconds(after) if after else None)


def _seconds(text: str) -> float:
    # The load generator's parser (one grammar for both), with the CLI's error type.
    try:
        return _load._seconds(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _intent(token: str) -> Intent:
    try:
        return _load._intent(token)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


async def _fault(emu: RelayEmulator, args: list[str]) -> str:
    try:
        return await fault_command(emu, args)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


async def _party_command(emu: RelayEmulator, verb: str, args: list[str]) -> str:
    if not args:
        raise CommandError(f"usage: {verb} CALL ...")
    try:
        party = emu.party(args[0])
    except KeyError:
        raise CommandError(f"unknown call {args[0]!r}") from None
    try:
        if verb == "press" and len(args) == 2:
            await party.press(args[1])
        elif verb == "say" and len(args) >= 2:
            await party.say(" ".join(args[1:]))
        elif verb == "silence" and len(args) <= 2:
            await party.silence(_seconds(args[1]) if len(args) == 2 else None)
        elif verb == "hangup" and len(args) == 1:
            await party.hangup()
        else:
            raise CommandError(f"bad arguments for {verb}; try: help")
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return "ok"


async def run_command(emu: RelayEmulator, line: str) -> str:
    """Carry out one command line; return what to print.

    Raises:
        CommandError: the command is unknown or malformed.
    """
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if not words:
        return ""
    verb, args = words[0], words[1:]
    if verb == "help":
        return HELP
    if verb == "call" and len(args) >= 3:
        script = [_intent(token) for token in args[3:]]
        party = await emu.call(
            context=args[0], from_number=args[1], to_number=args[2], script=script
        )
        return f"placed {party.call_id}"
    if verb in ("press", "say", "silence", "hangup"):
        return await _party_command(emu, verb, args)
    if verb == "sms" and len(args) >= 4:
        message_id = await emu.send_sms(
            context=args[0], from_number=args[1], to_number=args[2], body=" ".join(args[3:])
        )
        return f"sent {message_id}"
    if verb == "persona" and len(args) == 2:
        emu.persona(args[0], parse_persona(args[1]))
        return f"{args[0]} is now {args[1]}"
    if verb == "route" and len(args) == 2:
        try:
            emu.route(args[0], args[1])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return f"{args[0]} routes to context {args[1]!r}"
    if verb == "unroute" and len(args) == 1:
        emu.unroute(args[0])
        return f"{args[0]} is no longer routed"
    if verb == "outcome" and len(args) in (2, 3):
        try:
            emu.message_outcome(args[0], args[1], args[2] if len(args) == 3 else "")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return f"messages to {args[0]}: {args[1]}"
    if verb in ("unreachable", "queue-wait"):
        return _service_command(emu, verb, args)
    if verb == "fault":
        return await _fault(emu, args)
    if verb == "clients":
        lines = [f"conn{c.conn} {c.label} {c.agent} open={c.open}" for c in emu.clients]
        return "\n".join(lines) or "no clients have connected"
    if verb == "violations":
        return "\n".join(emu.violations) or "none"
    raise CommandError(f"unknown or incomplete command {verb!r}; try: help")


def _service_command(emu: RelayEmulator, verb: str, args: list[str]) -> str:
    try:
        if verb == "unreachable" and args:
            reason = " ".join(args[1:]) or "connection refused"
            emu.unreachable(args[0], reason=reason)
            return f"media forks to {args[0]} fail ({reason})"
        if verb == "queue-wait" and len(args) == 2:
            limit = None if args[1] == "off" else _seconds(args[1])
            emu.queue_max_wait(args[0], limit)
            return f"queue {args[0]!r}: " + ("no limit" if limit is None else f"{limit:g} s")
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    raise CommandError(f"bad arguments for {verb}; try: help")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``relay-emulator`` (its ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="relay-emulator",
        description=(
            "Run a local SignalWire RELAY emulator (plain ws://, loopback by default). It "
            "serves until SIGINT/SIGTERM; commands are read from standard input when it is a "
            "terminal or with --interactive."
        ),
        epilog="relay-emulator load --help: offer many calls to connected workers and report.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--project", help="project id clients must send (default: any)")
    parser.add_argument("--token", help="API token clients must send (default: any)")
    parser.add_argument("--jwt", dest="jwt_token", help="JWT clients may send instead")
    parser.add_argument("--time-scale", type=float, default=1.0, help="real s per simulated s")
    parser.add_argument(
        "--ping-interval", type=float, default=DEFAULT_PING_INTERVAL,
        help=f"seconds between server pings (default {DEFAULT_PING_INTERVAL:g})",
    )  # fmt: skip
    parser.add_argument(
        "--persona", action="append", default=[], metavar="NUMBER=KIND[:AFTER]",
        help="behaviour of a dialled number (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--route", action="append", default=[], metavar="NUMBER=CONTEXT",
        help="calls and SMS to NUMBER reach the clients on CONTEXT (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--idle-callers", choices=("wait", "silent"), default="wait",
        help="whether callers with nothing scripted hold initial timeouts (wait) or not",
    )  # fmt: skip
    parser.add_argument(
        "--fault", action="append", default=[], metavar="COMMAND",
        help='a fault switched on at start, as the fault command: "delay calling.answer 2", '
        '"stall connect", "reject on"... (repeatable)',
    )  # fmt: skip
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    reading = parser.add_mutually_exclusive_group()
    reading.add_argument(
        "--interactive", action="store_true",
        help="read commands from standard input even when it is not a terminal",
    )  # fmt: skip
    reading.add_argument(
        "--no-input", action="store_true",
        help="never read commands (the default when standard input is not a terminal)",
    )  # fmt: skip
    return parser


def _clock_note(time_scale: float) -> str:
    """The line saying what the transcript's times are."""
    pace = "real time" if time_scale == 1 else f"each lasts {time_scale:g} real seconds"
    return f"Transcript times are simulated seconds since start ([   1.20s sim]; {pace})."


def _print(text: str) -> None:
    print(text, flush=True)


def reads_commands(args: argparse.Namespace, stdin: TextIO | None) -> bool:
    """Whether to read commands: asked for (``--interactive``), or a terminal and not refused."""
    if args.no_input or stdin is None:
        return False
    if args.interactive:
        return True
    try:
        return stdin.isatty()
    except (OSError, ValueError):  # closed or detached
        return False


def _stdin_lines(portal: BlockingPortal, send: Callable[[str | None], object]) -> None:
    # A daemon thread: a blocked readline() never holds up the process when it stops.
    stdin = sys.stdin
    try:
        while True:
            line = stdin.readline()
            portal.call(send, line or None)
            if not line:
                return
    except Exception:  # the emulator stopped (portal or stream closed), or stdin went away
        return


async def _read_commands(emu: RelayEmulator, stop: Callable[[], None]) -> None:
    send, receive = anyio.create_memory_object_stream[str | None](16)
    async with BlockingPortal() as portal, receive:
        reader = threading.Thread(
            target=_stdin_lines, args=(portal, send.send), name="relay-emulator stdin", daemon=True
        )
        reader.start()
        async for line in receive:
            if line is None:
                _print("end of input: still serving until SIGINT (Ctrl+C) or SIGTERM")
                break
            if line.strip() in ("quit", "exit"):
                stop()
                break
            try:
                output = await run_command(emu, line)
            except CommandError as exc:
                output = f"error: {exc}"
            if output:
                _print(output)
        await portal.stop(cancel_remaining=True)
    await anyio.sleep_forever()


async def _until_signal(stop: Callable[[], None]) -> None:
    try:
        signals = anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM)
        with signals as received:
            async for signum in received:
                _print(f"{signal.Signals(signum).name}: stopping")
                stop()
                return
    except NotImplementedError:  # no signal handling here (Windows): Ctrl+C still works
        await anyio.sleep_forever()


def parse_route(spec: str) -> tuple[str, str]:
    """``NUMBER=CONTEXT`` -> ``(number, context)``.

    Raises:
        CommandError: not of that form, or not a valid route.
    """
    number, sep, context = spec.partition("=")
    if not sep:
        raise CommandError(f"--route wants NUMBER=CONTEXT, got {spec!r}")
    try:
        check_route(number, context)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return number, context


async def _serve(
    args: argparse.Namespace, personas: dict[str, Persona], routes: dict[str, str]
) -> None:
    emulator = RelayEmulator(
        project=args.project,
        token=args.token,
        jwt_token=args.jwt_token,
        time_scale=args.time_scale,
        host=args.host,
        port=args.port,
        ping_interval=args.ping_interval,
        idle_callers=args.idle_callers,
        on_transcript=_print,
        routes=routes,
    )
    async with emulator as emu:
        for number, persona in personas.items():
            emu.persona(number, persona)
        for command in args.fault:
            try:
                _print(f"fault {command}: {await _fault(emu, shlex.split(command))}")
            except (CommandError, ValueError) as exc:
                print(f"relay-emulator: --fault {command!r}: {exc}", file=sys.stderr)
                raise SystemExit(2) from None
        _print(f"RELAY emulator listening on {emu.url} (give clients this URL as their host)")
        _print(_clock_note(args.time_scale))
        async with anyio.create_task_group() as tg:
            stop = tg.cancel_scope.cancel
            tg.start_soon(_until_signal, stop)
            if reads_commands(args, sys.stdin):
                tg.start_soon(_read_commands, emu, stop)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``relay-emulator``; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["load"]:  # relay-emulator load ...: the load generator
        from ._load_cli import main as load_main

        return load_main(words[1:])
    args = build_parser().parse_args(words)
    personas: dict[str, Persona] = {}
    routes: dict[str, str] = {}
    try:
        routes.update(parse_route(spec) for spec in args.route)
        for spec in args.persona:
            number, sep, kind = spec.partition("=")
            if not sep or not number:
                raise CommandError(f"--persona wants NUMBER=KIND[:AFTER], got {spec!r}")
            personas[number] = parse_persona(kind)
        if args.time_scale <= 0:
            raise CommandError("--time-scale must be positive")
        if args.backend == "trio" and importlib.util.find_spec("trio") is None:
            raise CommandError("--backend trio needs trio: pip install 'relay-sansio[trio]'")
    except CommandError as exc:
        print(f"relay-emulator: {exc}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is the normal way to stop
        anyio.run(_serve, args, personas, routes, backend=args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
