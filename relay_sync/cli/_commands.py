"""The ``relay`` subcommands, on relay_sync: ``listen``, ``dial``, ``sms`` and ``ping``.

Each takes the parsed arguments, a connected-or-not :class:`~relay_sync.RelayClient` and the
:class:`~relay_sync.cli._output.Printer`, and returns the exit status (see ``EXIT_*``).
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from relay_proto import (
    EVENT_CLASSES,
    CallEndedResult,
    MessageStateEvent,
    RelayEvent,
)

from .._call import Call
from .._client import RelayClient
from .._errors import RelayError
from .._message import Message
from .._primitives import order_key
from ._output import Printer, event_record

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "dial",
    "listen",
    "ping",
    "sms",
]

EXIT_OK = 0  # done: the call was answered, the message delivered, the count reached
EXIT_FAILED = 1  # the operation failed: not answered (busy, no answer...), undelivered, refused
EXIT_USAGE = 2  # bad arguments or missing credentials
EXIT_UNAVAILABLE = 3  # could not connect or authenticate
EXIT_TIMEOUT = 4  # a --timeout passed first
EXIT_INTERRUPTED = 130  # Ctrl+C

_CALL_EVENT_TYPES = sorted(t for t in EVENT_CLASSES if t.startswith("calling."))
_FINAL_MESSAGE_STATES = frozenset(("delivered", "undelivered", "failed"))


def print_call(printer: Printer, call: Call) -> None:
    """A ``call`` record: who calls whom, on which context."""
    params = call.device.get("params", {}) if isinstance(call.device, dict) else {}
    caller = params.get("from_number", "")
    callee = params.get("to_number", "")
    context = f" on {call.context}" if call.context else ""
    printer.emit(
        "call",
        f"{call.call_id}  {call.direction} {caller} -> {callee}{context}",
        call_id=call.call_id,
        direction=call.direction,
        from_number=caller,
        to_number=callee,
        context=call.context,
        state=call.state,
    )


class _Follower:
    """Prints every event of a call from now on, until :meth:`wait_ended` closes the stream
    with the call's ``ended`` event (so nothing prints after it, and it prints once)."""

    def __init__(self, printer: Printer, call: Call) -> None:
        self.printer = printer
        self.call = call
        self._lock = threading.Lock()
        self._closed = False
        self._end_shown = False
        for event_type in _CALL_EVENT_TYPES:
            call.on(event_type, self.show)

    def show(self, event: RelayEvent) -> None:
        with self._lock:
            if not self._closed:
                self._print(event)

    def _print(self, event: RelayEvent) -> None:
        record = event_record(event)
        text = f"{self.call.call_id}  {event.event_type}  {record['summary']}".rstrip()
        if event.params.get("call_state") == "ended":
            self._end_shown = True
        self.printer.emit("event", text, **record)

    def wait_ended(self) -> RelayEvent:
        """Wait for the call's end; show its ``ended`` event unless a listener did (it may
        have come before the listeners: a caller who hangs up at once).

        The listeners run on the client's callback threads, behind the thread that ends the
        wait: first let the ones already queued for this call (its last events) print.
        """
        ended = self.call.wait_for_ended()
        drained = threading.Event()
        # Jobs of one call run in order: this one runs once the queued listeners are done.
        key = order_key(ended)
        if not self.call._client._spawn(drained.set, "end of the printed events", key):
            drained.set()  # no session left: nothing is queued any more
        drained.wait()
        with self._lock:
            self._closed = True
            if not self._end_shown:
                self._print(ended)
        return ended


def follow_call(printer: Printer, call: Call) -> _Follower:
    """Print every event of ``call`` from now on."""
    return _Follower(printer, call)


def print_message(printer: Printer, message: Message) -> None:
    """A ``message`` record."""
    body = message.body or ""
    media = list(message.media or [])
    shown = body if not media else f"{body} [{len(media)} media]".strip()
    printer.emit(
        "message",
        f"{message.message_id}  {message.direction} {message.from_number} -> "
        f"{message.to_number}: {shown}",
        message_id=message.message_id,
        direction=message.direction,
        from_number=message.from_number,
        to_number=message.to_number,
        context=message.context,
        body=body,
        media=media,
        state=message.state,
    )


class _MessageFollower:
    """Prints a message's state changes; :meth:`finish` prints the final one last, once."""

    def __init__(self, printer: Printer, message: Message) -> None:
        self.printer = printer
        self.message = message
        self._lock = threading.Lock()
        self._closed = False
        message.on(self.show)

    def show(self, event: RelayEvent) -> None:
        with self._lock:
            if not self._closed and _state_of(event)[0] not in _FINAL_MESSAGE_STATES:
                self._print(event)

    def _print(self, event: RelayEvent) -> None:
        state, reason = _state_of(event)
        text = f"{self.message.message_id}  {state}" + (f" ({reason})" if reason else "")
        self.printer.emit(
            "message_state", text, message_id=self.message.message_id, state=state, reason=reason
        )

    def finish(self, final: RelayEvent) -> str:
        """Stop following; print the final state event; return its state."""
        with self._lock:
            self._closed = True
            self._print(final)
        return _state_of(final)[0]


def _state_of(event: RelayEvent) -> tuple[str, str]:
    if isinstance(event, MessageStateEvent):
        return event.message_state, event.reason
    state, reason = event.params.get("message_state"), event.params.get("reason")
    return (state if isinstance(state, str) else "", reason if isinstance(reason, str) else "")


class _Counter:
    """Finished items (ended calls, received messages) for ``listen --count``."""

    def __init__(self, target: int | None) -> None:
        self.target = target
        self.seen = 0
        self.done = threading.Event()

    def add(self) -> None:
        self.seen += 1
        if self.target is not None and self.seen >= self.target:
            self.done.set()


def listen(args: argparse.Namespace, client: RelayClient, printer: Printer) -> int:
    """``relay listen``: print inbound calls (with their events) and messages as they come."""
    counter = _Counter(args.count)
    lock = threading.Lock()
    # A call or message can come in as soon as the server has taken the subscription, before
    # connect() returns here: the handlers print only once the "connected" line is out.
    banner_out = threading.Event()

    @client.on_call
    def on_call(call: Call) -> None:
        banner_out.wait()
        print_call(printer, call)
        follower = follow_call(printer, call)
        try:
            if args.answer or args.say:
                call.answer()
                if args.say:
                    call.play_tts(args.say).wait()
                call.hangup()
            follower.wait_ended()
        finally:
            with lock:
                counter.add()

    @client.on_message
    def on_message(message: Message) -> None:
        banner_out.wait()
        print_message(printer, message)
        with lock:
            counter.add()

    try:
        client.connect()
        contexts = ", ".join(args.context)
        printer.emit("connected", f"listening on {contexts}", contexts=list(args.context))
    finally:
        banner_out.set()
    finished = counter.done.wait(args.timeout)  # None: until --count or Ctrl+C
    client.disconnect()
    if args.count is None or finished:
        printer.emit("result", f"received {counter.seen}", received=counter.seen)
        return EXIT_OK
    printer.emit(
        "error",
        f"timed out after {args.timeout:g} s: received {counter.seen} of {args.count}",
        received=counter.seen,
        expected=args.count,
    )
    return EXIT_TIMEOUT


def dial(args: argparse.Namespace, client: RelayClient, printer: Printer) -> int:
    """``relay dial``: call a number, say something, print the events, hang up."""
    device = {"type": "phone", "params": {"to_number": args.to, "from_number": args.from_}}
    client.connect()
    printer.emit("info", f"dialing {args.to} from {args.from_}", to_number=args.to)
    try:
        call = client.dial([[device]], dial_timeout=args.timeout)
    except TimeoutError:
        printer.emit("error", f"{args.to} did not answer within {args.timeout:g} s")
        return EXIT_TIMEOUT
    except RelayError as exc:
        reason = getattr(exc, "reason", "")
        printer.emit("error", f"{args.to} was not reached: {exc.message}", reason=reason)
        return EXIT_FAILED
    print_call(printer, call)
    follower = follow_call(printer, call)
    status = EXIT_OK
    if args.say:
        result = call.play_tts(args.say).wait()
        if isinstance(result, CallEndedResult):
            printer.emit("error", f"the call ended before the message was played ({result})")
            status = EXIT_FAILED
        elif result.params.get("state") == "error":
            printer.emit("error", "the message could not be played")
            status = EXIT_FAILED
    call.hangup()
    ended = follower.wait_ended()
    reason = ended.params.get("end_reason", "")
    printer.emit("result", f"{call.call_id}  ended ({reason})", call_id=call.call_id)
    return status


def sms(args: argparse.Namespace, client: RelayClient, printer: Printer) -> int:
    """``relay sms``: send a message and wait for its final state."""
    client.connect()
    message = client.send_message(
        to_number=args.to,
        from_number=args.from_,
        context=args.context,
        body=" ".join(args.body) or None,
        media=args.media or None,
    )
    print_message(printer, message)
    follower = _MessageFollower(printer, message)
    try:
        final = message.wait(timeout=args.timeout)
    except TimeoutError:
        printer.emit("error", f"no final state within {args.timeout:g} s", state=message.state)
        return EXIT_TIMEOUT
    state = follower.finish(final)
    printer.emit("result", f"{message.message_id}  {state}", state=state)
    return EXIT_OK if state == "delivered" else EXIT_FAILED


def ping(args: argparse.Namespace, client: RelayClient, printer: Printer) -> int:
    """``relay ping``: connect, authenticate, and time a round trip."""
    started = time.monotonic()
    client.connect()
    connected = time.monotonic()
    printer.emit(
        "connected",
        f"connected to {client.host} in {1000 * (connected - started):.1f} ms",
        host=client.host,
        protocol=client.relay_protocol,
        connect_ms=round(1000 * (connected - started), 1),
    )
    for _ in range(args.count):
        sent = time.monotonic()
        client.execute("signalwire.ping", {})
        elapsed = round(1000 * (time.monotonic() - sent), 1)
        printer.emit("ping", f"signalwire.ping answered in {elapsed} ms", round_trip_ms=elapsed)
    client.disconnect()
    return EXIT_OK


def describe(value: Any) -> str:
    """A one-line description of an exception for an ``error`` record."""
    text = str(value)
    return f"{type(value).__name__}: {text}" if text else type(value).__name__
