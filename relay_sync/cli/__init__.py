"""``relay``: a command line for SignalWire RELAY, the way httpie is one for HTTP.

::

    relay listen --context office            # inbound calls (with their events) and messages
    relay dial +15551230003 --say "Hello"    # call, say it, print the events, hang up
    relay sms +15551230003 "Running late"    # send, wait for delivered / undelivered / failed
    relay ping                               # connect, authenticate, time a round trip

Credentials come from ``SIGNALWIRE_PROJECT_ID`` + ``SIGNALWIRE_API_TOKEN`` (or
``SIGNALWIRE_JWT_TOKEN``) and ``SIGNALWIRE_SPACE``, or from ``--project``, ``--token``,
``--jwt`` and ``--space``. ``--emulator`` starts a local RELAY emulator and points the command
at it: no account needed. On a terminal the output is colored text; otherwise (or with
``--json``) it is one JSON object per line. Exit statuses: 0 done, 1 failed (not answered,
undelivered, refused), 2 usage, 3 could not connect or authenticate, 4 timed out, 130 Ctrl+C.

Built on relay_sync, so it runs on a base install (``--emulator`` also needs anyio).
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from .._client import RelayClient
from .._errors import RelayError
from . import _commands
from ._commands import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    describe,
)
from ._local import (
    EMULATOR_CREDENTIALS,
    EMULATOR_LINE,
    EmulatorUnavailable,
    inbound_traffic,
    start_emulator,
)
from ._output import Printer

if TYPE_CHECKING:
    from relay_anyio.testing import ThreadedEmulator

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "main",
]

Command = Callable[[argparse.Namespace, RelayClient, Printer], int]
_COMMANDS: dict[str, Command] = {
    "listen": _commands.listen,
    "dial": _commands.dial,
    "sms": _commands.sms,
    "ping": _commands.ping,
}
EPILOG = """exit status: 0 done, 1 failed (not answered, undelivered, refused), 2 usage or
missing credentials, 3 could not connect or authenticate, 4 timed out, 130 interrupted.
credentials: SIGNALWIRE_PROJECT_ID, SIGNALWIRE_API_TOKEN (or SIGNALWIRE_JWT_TOKEN),
SIGNALWIRE_SPACE; --emulator needs none."""


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument("--project", help="project id (default: $SIGNALWIRE_PROJECT_ID)")
    group.add_argument("--token", help="API token (default: $SIGNALWIRE_API_TOKEN)")
    group.add_argument("--jwt", help="JWT instead of project and token ($SIGNALWIRE_JWT_TOKEN)")
    group.add_argument("--space", help="space host or ws(s):// URL (default: $SIGNALWIRE_SPACE)")
    group.add_argument(
        "--emulator", action="store_true", help="start a local RELAY emulator and use it"
    )
    output = common.add_argument_group("output")
    form = output.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="JSON lines (the default off a tty)")
    form.add_argument("--text", action="store_true", help="text even when not on a tty")
    output.add_argument("--no-color", action="store_true", help="no colors (also: $NO_COLOR)")
    return common


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    """The ``relay`` argument parser."""
    common = _common()
    top = argparse.ArgumentParser(
        prog="relay",
        description="A command line for SignalWire RELAY: listen, dial, send SMS, ping.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"relay {_version()}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listen = sub.add_parser(
        "listen", parents=[common], help="print inbound calls and messages as they arrive"
    )
    listen.add_argument(
        "--context", "-c", action="append", required=True, help="context (repeatable)"
    )
    listen.add_argument("--count", type=_count, help="exit after N calls ended / messages")
    listen.add_argument("--timeout", type=_positive, help="exit after S seconds (status 4 "
                        "if --count was not reached)")  # fmt: skip
    listen.add_argument("--answer", action="store_true", help="answer calls, then hang up")
    listen.add_argument("--say", help="answer calls, say this, then hang up")
    dial = sub.add_parser("dial", parents=[common], help="call a number, say something")
    dial.add_argument("to", help="number to call (E.164, e.g. +15551230003)")
    dial.add_argument(
        "--from", dest="from_", metavar="NUMBER", help="caller id (default: $RELAY_FROM_NUMBER)"
    )
    dial.add_argument("--say", help="text to say once answered")
    dial.add_argument("--timeout", type=_positive, default=30.0, help="seconds to ring")
    sms = sub.add_parser("sms", parents=[common], help="send an SMS/MMS, wait for delivery")
    sms.add_argument("to", help="number to text")
    sms.add_argument("body", nargs="*", metavar="TEXT", help="the message body")
    sms.add_argument(
        "--from", dest="from_", metavar="NUMBER", help="sender (default: $RELAY_FROM_NUMBER)"
    )
    sms.add_argument("--media", action="append", help="media URL for an MMS (repeatable)")
    sms.add_argument("--context", help="context for the message's state events")
    sms.add_argument("--timeout", type=_positive, default=60.0, help="seconds to wait")
    ping = sub.add_parser("ping", parents=[common], help="connect, authenticate, round trip")
    ping.add_argument("--count", type=_count, default=1, help="round trips to time")
    return top


def _version() -> str:
    from relay_proto import __version__

    return __version__


def _check(args: argparse.Namespace, top: argparse.ArgumentParser) -> None:
    if args.command in ("dial", "sms"):
        args.from_ = args.from_ or os.environ.get("RELAY_FROM_NUMBER", "")
        if not args.from_:
            if not args.emulator:
                top.error(f"{args.command} needs --from (or RELAY_FROM_NUMBER)")
            args.from_ = EMULATOR_LINE
    if args.command == "sms" and not args.body and not args.media:
        top.error("sms needs a text or --media")


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run ``relay`` with ``argv`` (default: the process's); return the exit status.

    Args:
        argv: the arguments after the program name.
        out: where records go (default: standard output).
    """
    top = parser()
    try:
        args = top.parse_args(argv)
        _check(args, top)
    except SystemExit as exc:  # argparse: --help, --version, or a usage error (printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    printer = Printer(
        out if out is not None else sys.stdout,
        json_lines=True if args.json else (False if args.text else None),
        color=False if args.no_color else None,
    )
    emulator: ThreadedEmulator | None = None
    try:
        if args.emulator:
            emulator = start_emulator()
            printer.emit("info", f"local RELAY emulator at {emulator.url}", url=emulator.url)
        return _run(args, printer, emulator)
    except EmulatorUnavailable as exc:
        printer.emit("error", str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        printer.emit("info", "interrupted")
        return EXIT_INTERRUPTED
    finally:
        if emulator is not None:
            emulator.close()


def _client(args: argparse.Namespace, emulator: ThreadedEmulator | None) -> RelayClient:
    contexts = list(getattr(args, "context", None) or []) if args.command == "listen" else []
    if emulator is not None:
        return RelayClient(
            project=EMULATOR_CREDENTIALS,
            token=EMULATOR_CREDENTIALS,
            host=emulator.url,
            contexts=contexts,
        )
    return RelayClient(
        project=args.project, token=args.token, jwt_token=args.jwt, host=args.space,
        contexts=contexts,
    )  # fmt: skip


def _run(args: argparse.Namespace, printer: Printer, emulator: ThreadedEmulator | None) -> int:
    try:
        client = _client(args, emulator)
    except (TypeError, ValueError) as exc:
        printer.emit("error", str(exc))
        return EXIT_USAGE
    if emulator is not None and args.command == "listen":
        answering = bool(args.answer or args.say)
        if args.count is None:
            args.count = 2  # the emulator's one call and one message
        emulator.start_soon(inbound_traffic, emulator.emulator, args.context[0], answering)
    try:
        return _COMMANDS[args.command](args, client, printer)
    except RelayError as exc:
        connected = bool(client.relay_protocol)
        printer.emit("error", describe(exc), code=exc.code)
        return EXIT_FAILED if connected else EXIT_UNAVAILABLE
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        printer.emit("error", f"cannot reach {client.host}: {describe(exc)}")
        return EXIT_UNAVAILABLE
    finally:
        client.disconnect()
