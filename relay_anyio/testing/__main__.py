"""``python -m relay_anyio.testing`` / ``relay-emulator``: run the RELAY emulator standalone.

It prints the URL to point a client at, then a live transcript. Commands typed on standard
input script the outside world (``help`` lists them), e.g.::

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
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence

import anyio

from ._emulator import RelayEmulator
from ._personas import Persona
from ._script import Hangup, Intent, Press, Say, Silence

__all__ = ["main", "parse_persona", "run_command"]

HELP = """commands:
  call CONTEXT FROM TO [INTENT...]   place an inbound call; intents: press:DIGITS,
                                     "say:WORDS", silence[:SECONDS], hangup[:AFTER]
  press CALL DIGITS | say CALL WORDS... | silence CALL [SECONDS] | hangup CALL
  sms CONTEXT FROM TO BODY...        deliver an inbound SMS
  persona NUMBER KIND[:AFTER]        human, machine, fax, busy, no_answer, fails, declines
  outcome NUMBER delivered|undelivered|failed [REASON]
  fault drop | disconnect [restart] | reject on|off | ignore-pings on|off
        | ignore METHOD | delay METHOD SECONDS | malformed KIND | duplicate on|off
        | reorder on|off | reset
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
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise CommandError("seconds must not be negative")
    return value


def _intent(token: str) -> Intent:
    kind, _, arg = token.partition(":")
    try:
        if kind == "press":
            return Press(arg)
        if kind == "say":
            return Say(arg)
        if kind == "silence":
            return Silence(_seconds(arg) if arg else None)
        if kind == "hangup":
            return Hangup(_seconds(arg) if arg else None)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    raise CommandError(f"unknown intent {token!r} (press:, say:, silence, hangup)")


def _on(word: str) -> bool:
    if word not in ("on", "off"):
        raise CommandError("expected on or off")
    return word == "on"


async def _fault(emu: RelayEmulator, args: list[str]) -> str:
    faults = emu.faults
    name, rest = (args[0], args[1:]) if args else ("", [])
    simple: dict[str, Callable[[bool], None]] = {
        "reject": faults.reject_credentials,
        "ignore-pings": faults.ignore_pings,
        "duplicate": faults.duplicate_events,
        "reorder": faults.reorder_events,
    }
    if name in simple and len(rest) == 1:
        simple[name](_on(rest[0]))
        return f"{name} {rest[0]}"
    if name == "drop":
        return f"dropped {faults.drop_all_now()} connection(s)"
    if name == "disconnect":
        restart = rest == ["restart"]
        return f"disconnect sent to {faults.disconnect(restart=restart)} client(s)"
    if name == "ignore" and len(rest) == 1:
        faults.ignore_method(rest[0])
        return f"ignoring {rest[0]}"
    if name == "delay" and len(rest) == 2:
        faults.delay_method(rest[0], _seconds(rest[1]))
        return f"delaying {rest[0]} by {rest[1]} s"
    if name == "malformed" and len(rest) == 1:
        try:
            return f"sent to {faults.send_malformed(rest[0])} connection(s)"
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if name == "reset":
        faults.reset()
        return "faults off"
    raise CommandError("bad fault command; try: help")


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
    if verb == "outcome" and len(args) in (2, 3):
        try:
            emu.message_outcome(args[0], args[1], args[2] if len(args) == 3 else "")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return f"messages to {args[0]}: {args[1]}"
    if verb == "fault":
        return await _fault(emu, args)
    if verb == "clients":
        lines = [f"conn{c.conn} {c.label} {c.agent} open={c.open}" for c in emu.clients]
        return "\n".join(lines) or "no clients have connected"
    if verb == "violations":
        return "\n".join(emu.violations) or "none"
    raise CommandError(f"unknown or incomplete command {verb!r}; try: help")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relay-emulator", description="Run a local SignalWire RELAY emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--project", help="project id clients must send (default: any)")
    parser.add_argument("--token", help="API token clients must send (default: any)")
    parser.add_argument("--jwt", dest="jwt_token", help="JWT clients may send instead")
    parser.add_argument("--time-scale", type=float, default=1.0, help="real s per simulated s")
    parser.add_argument("--ping-interval", type=float, default=30.0, help="server ping period")
    parser.add_argument(
        "--persona", action="append", default=[], metavar="NUMBER=KIND[:AFTER]",
        help="behaviour of a dialled number (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--idle-callers", choices=("wait", "silent"), default="wait",
        help="whether callers with nothing scripted hold initial timeouts (wait) or not",
    )  # fmt: skip
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--no-input", action="store_true", help="do not read commands")
    return parser


def _clock_note(time_scale: float) -> str:
    """The line saying what the transcript's times are."""
    pace = "real time" if time_scale == 1 else f"each lasts {time_scale:g} real seconds"
    return f"Transcript times are simulated seconds since start ([   1.20s sim]; {pace})."


def _print(text: str) -> None:
    print(text, flush=True)


async def _read_commands(emu: RelayEmulator, done: Callable[[], Awaitable[None]]) -> None:
    stdin = anyio.wrap_file(sys.stdin)
    async for line in stdin:
        if line.strip() in ("quit", "exit"):
            break
        try:
            output = await run_command(emu, line)
        except CommandError as exc:
            output = f"error: {exc}"
        if output:
            _print(output)
    await done()


async def _serve(args: argparse.Namespace, personas: dict[str, Persona]) -> None:
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
    )
    async with emulator as emu, anyio.create_task_group() as tg:
        for number, persona in personas.items():
            emu.persona(number, persona)
        _print(f"RELAY emulator listening on {emu.url} (give clients this URL as their host)")
        _print(_clock_note(args.time_scale))

        async def stop() -> None:
            tg.cancel_scope.cancel()

        if not args.no_input:
            tg.start_soon(_read_commands, emu, stop)
        else:
            await anyio.sleep_forever()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``relay-emulator``; returns the exit status."""
    args = _parser().parse_args(argv)
    personas: dict[str, Persona] = {}
    try:
        for spec in args.persona:
            number, sep, kind = spec.partition("=")
            if not sep or not number:
                raise CommandError(f"--persona wants NUMBER=KIND[:AFTER], got {spec!r}")
            personas[number] = parse_persona(kind)
        if args.time_scale <= 0:
            raise CommandError("--time-scale must be positive")
    except CommandError as exc:
        print(f"relay-emulator: {exc}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is the normal way to stop
        anyio.run(_serve, args, personas, backend=args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
