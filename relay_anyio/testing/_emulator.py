"""``RelayEmulator``: a local RELAY service for tests, demos and any RELAY client.

It listens on ``127.0.0.1`` and behaves like the SignalWire RELAY service: authentication,
sessions and resume, event ACKs, pings, inbound calls and messages routed round robin to
subscribed clients, and a simulated telephone network behind every call command. Tests script
the outside world (callers, dialled numbers, SMS senders) and assert on what the client did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from ._caller import DEFAULT_TIMEOUT, RemoteParty
from ._faults import Faults
from ._journal import Journal, JournalEntry
from ._live import Webhook, webhooks
from ._media import MediaCatalog
from ._messaging import OutboundMessage, inject, messaging
from ._model import SimCall
from ._personas import Persona
from ._rooms import conferences, queue_limits, rooms
from ._routing import check_route, routes
from ._script import Intent, coerce_script
from ._server import ClientInfo, Credentials, EmulatorServer
from ._services import unreachable
from ._switch import Switch, TranscriptLine

__all__ = ["DEFAULT_PING_INTERVAL", "RelayEmulator"]

DEFAULT_PING_INTERVAL = 5.0
"""Real seconds between the server's ``signalwire.ping`` requests by default. The service pings
more often than every 15 s (clients of it reconnect after 15 s without one); 5 s leaves room for
a late or lost ping."""

Predicate = Callable[[dict[str, Any]], bool]


class RelayEmulator:
    """A RELAY server on loopback with a simulated switch behind it.

    Use it as an async context manager (``async with RelayEmulator() as emu``), on asyncio or
    trio.

    Args:
        project: the project id ``signalwire.connect`` must carry; ``None`` accepts any
            non-empty value.
        token: the API token ``signalwire.connect`` must carry; ``None`` accepts any non-empty
            value.
        jwt_token: a JWT accepted instead of project/token; ``None`` accepts any JWT unless a
            project is configured.
        time_scale: real seconds per simulated second (``0.001``: a 3 s prompt takes 3 ms).
        host: the address to listen on (loopback by default).
        port: the port to listen on (``0``: a free port; see :attr:`url`).
        ping_interval: real seconds between server ``signalwire.ping`` requests (5 s, like
            the service: more often than every 15 s).
        ack_timeout: real seconds after which an unacknowledged event is a violation.
        max_unacked: events in flight per session before the rest wait for ACKs.
        max_missed_pings: close a connection after this many unanswered server pings
            (``None``: never, just record violations).
        default_persona: behaviour of dialled numbers without a persona (answers after 1 s).
        default_audio_seconds: duration of audio files nobody declared.
        idle_callers: ``"wait"`` (default): while a remote party has nothing left in its script,
            initial timeouts (collect, record) wait for the test to decide what it does, so a
            fast clock never races the test; ``"silent"``: such a party is silent and the
            timeouts run (humans at the CLI, real-time demos).
        on_transcript: called with each new transcript line (the CLI prints them).
        routes: numbers routed to contexts (``{"+15551234567": "office"}``), as with
            :meth:`route`.

    Raises:
        ValueError: ``time_scale`` not positive, ``max_unacked`` below 1, an unknown
            ``idle_callers``, or a bad route.
    """

    def __init__(
        self,
        *,
        project: str | None = None,
        token: str | None = None,
        jwt_token: str | None = None,
        time_scale: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        ping_interval: float = DEFAULT_PING_INTERVAL,
        ack_timeout: float = 10.0,
        max_unacked: int = 64,
        max_missed_pings: int | None = None,
        default_persona: Persona | None = None,
        default_audio_seconds: float = 3.0,
        idle_callers: str = "wait",
        on_transcript: Callable[[str], None] | None = None,
        routes: Mapping[str, str] | None = None,
    ) -> None:
        self._switch = Switch(
            media=MediaCatalog(default_audio_seconds=default_audio_seconds),
            default_persona=default_persona,
            idle_callers=idle_callers,
        )
        if on_transcript is not None:
            self._switch.on_log = lambda line: on_transcript(str(line))
        self._server = EmulatorServer(
            self._switch,
            credentials=Credentials(project, token, jwt_token),
            time_scale=time_scale,
            host=host,
            port=port,
            ping_interval=ping_interval,
            ack_timeout=ack_timeout,
            max_unacked=max_unacked,
            max_missed_pings=max_missed_pings,
        )
        self._parties: dict[str, RemoteParty] = {}
        for number, context in (routes or {}).items():
            self.route(number, context)
        self._consumed: set[int] = set()
        self._taken_calls: set[str] = set()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start listening (``async with`` does it for you)."""
        await self._server.start()

    async def aclose(self) -> None:
        """Close every connection and stop."""
        await self._server.aclose()

    async def __aenter__(self) -> RelayEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ facts
    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>``: the ``host`` to give relay_anyio and relay_sync clients
        (``RelayClient(host=emu.url, ...)``), or any client that takes a ``ws://`` URL."""
        return self._server.url

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``, without a scheme.

        Not for relay_anyio or relay_sync: they read a bare host as ``wss://``, and the
        emulator speaks plain ``ws://`` (use :attr:`url`). This is for clients that always
        build ``wss://<host>`` themselves and whose connection a test redirects to :attr:`url`
        (the official SDK in ``tests/emulator/test_official_interop.py``).
        """
        return f"{self._server.host}:{self._server.port}"

    @property
    def port(self) -> int:
        """The listening port."""
        return self._server.port

    @property
    def time_scale(self) -> float:
        """Real seconds per simulated second."""
        return self._server.time_scale

    def now(self) -> float:
        """Simulated seconds since the emulator started."""
        return self._server.sim_now()

    @property
    def epoch(self) -> float:
        """Wall-clock time (``time.time()``) of simulated time zero: an event's envelope
        ``timestamp`` is ``epoch`` plus the simulated time it happened at."""
        return self._server.epoch

    @property
    def faults(self) -> Faults:
        """Fault injection switches."""
        return self._server.faults

    @property
    def journal(self) -> Journal:
        """Every frame in both directions."""
        return self._server.journal

    @property
    def transcript(self) -> list[str]:
        """Readable lines of what happened, oldest first (``"[t] subject: text"``; the records
        behind them are :attr:`transcript_lines`)."""
        return [str(line) for line in self._switch.transcript]

    @property
    def transcript_lines(self) -> list[TranscriptLine]:
        """The transcript as frozen records, oldest first: ``t`` (simulated seconds),
        ``subject`` (a call id, ``"client#1"``, ``"conn1"``, ``"emulator"``...), ``text``, and
        ``journal_position`` (the line came after the journal entries whose ``index`` is
        smaller), so nothing needs to parse :attr:`transcript`."""
        return list(self._switch.transcript)

    def transcript_text(
        self, call: RemoteParty | str | None = None, *, compact: bool = False
    ) -> str:
        """The transcript as text: all of it, or one call's (``compact``: one sentence)."""
        lines: list[TranscriptLine] = list(self._switch.transcript)
        if call is not None:
            call_id = call.call_id if isinstance(call, RemoteParty) else call
            lines = [line for line in lines if line.subject == call_id]
        if compact:
            return ", ".join(line.text for line in lines)
        return "\n".join(str(line) for line in lines)

    @property
    def violations(self) -> list[str]:
        """Protocol mistakes the clients made (unACKed events, malformed frames...)."""
        return list(self._server.violations)

    @property
    def internal_errors(self) -> list[BaseException]:
        """Bugs of the emulator itself caught while serving (should stay empty)."""
        return list(self._server.internal_errors)

    def assert_no_violations(self) -> None:
        """Raise ``AssertionError`` listing client violations and internal errors, if any."""
        problems = self.violations + [repr(e) for e in self.internal_errors]
        if problems:
            raise AssertionError("RELAY emulator saw problems:\n" + "\n".join(problems))

    @property
    def clients(self) -> list[ClientInfo]:
        """Every connection so far (``open`` tells whether it still is)."""
        return self._server.clients

    @property
    def messages(self) -> list[OutboundMessage]:
        """Messages clients sent (``messaging.send``), with their state history."""
        return list(messaging(self._switch).sent)

    @property
    def webhooks(self) -> list[Webhook]:
        """Requests the service would have made to status and result URLs, oldest first:
        live transcription and translation results, ``calling.transcribe``'s ``status_url``,
        an AI agent's ``post_prompt_url`` (each a :class:`Webhook`: ``t``, ``url``,
        ``call_id``, ``payload``)."""
        return list(webhooks(self._switch))

    def room(self, name: str) -> list[str] | None:
        """Call ids in the room ``name`` (``calling.join_room``), or ``None`` if it is empty."""
        members = rooms(self._switch).get(name)
        return list(members) if members else None

    def conference(self, name: str) -> list[str] | None:
        """Call ids in the running conference ``name``, or ``None`` if there is none."""
        conf = conferences(self._switch).get(name)
        return list(conf.members) if conf is not None else None

    def party(self, call_id: str) -> RemoteParty:
        """The remote party of any call the emulator simulated.

        Raises:
            KeyError: unknown call id.
        """
        if call_id not in self._parties:
            call = next((c for c in self._switch.history if c.call_id == call_id), None)
            if call is None:
                raise KeyError(call_id)
            self._parties[call_id] = RemoteParty(self._server, call)
        return self._parties[call_id]

    # ------------------------------------------------------------------ world setup
    def persona(self, number: str, persona: Persona) -> None:
        """How ``number`` behaves when a client dials or connects to it."""
        self._switch.personas[number] = persona

    def route(self, number: str, context: str) -> None:
        """Route ``number`` to ``context``: calls and messages to it reach the clients there.

        A ``dial``, ``connect`` or ``transfer`` to ``number`` rings an inbound call on
        ``context`` (offered round robin to its clients) and bridges the two legs once a client
        answers; an SMS to ``number`` arrives there as ``messaging.receive``. A route takes
        precedence over a persona for the same number.

        Raises:
            ValueError: ``number`` is not E.164 or ``context`` is empty.
        """
        check_route(number, context)
        routes(self._switch)[number] = context

    def unroute(self, number: str) -> None:
        """Remove the route of ``number`` (its persona applies again)."""
        routes(self._switch).pop(number, None)

    @property
    def routes(self) -> dict[str, str]:
        """Routed numbers: number -> context (a copy)."""
        return dict(routes(self._switch))

    def unreachable(
        self, target: str, *, reason: str = "connection refused", after: float = 0.5
    ) -> None:
        """Make a media fork target fail: a ``calling.stream`` URL, or a ``calling.tap``
        WebSocket URI, RTP address or ``addr:port``. The fork starts, then ``after`` simulated
        seconds later ends with ``reason`` (a stream with ``state: error``, a tap with
        ``finished``, the only end state a tap has).

        Raises:
            ValueError: an empty target or a negative delay.
        """
        if not target or after < 0:
            raise ValueError("unreachable needs a target and a delay that is not negative")
        unreachable(self._switch)[target] = (reason, after)

    def queue_max_wait(self, name: str, seconds: float | None) -> None:
        """Calls waiting longer than ``seconds`` in queue ``name`` leave it (``leave`` with
        ``reason: timeout``); ``None`` removes the limit.

        Raises:
            ValueError: a negative limit.
        """
        if seconds is None:
            queue_limits(self._switch).pop(name, None)
        elif seconds < 0:
            raise ValueError("seconds must not be negative")
        else:
            queue_limits(self._switch)[name] = seconds

    def set_default_persona(self, persona: Persona) -> None:
        """How numbers without a persona behave."""
        self._switch.default_persona = persona

    def set_audio_duration(self, url: str, seconds: float) -> None:
        """How long the audio file at ``url`` plays.

        Raises:
            ValueError: a negative duration.
        """
        self._switch.media.set_duration(url, seconds)

    def message_outcome(self, number: str, outcome: str, reason: str = "") -> None:
        """What happens to messages sent to ``number``: delivered, undelivered or failed.

        Raises:
            ValueError: an unknown outcome.
        """
        messaging(self._switch).set_outcome(number, outcome, reason)

    # ------------------------------------------------------------------ scripting
    async def call(
        self,
        *,
        context: str,
        from_number: str,
        to_number: str,
        script: Sequence[Intent | str] | None = None,
        persona: Persona | None = None,
    ) -> RemoteParty:
        """Place an inbound call; return its caller.

        The call is offered to a client subscribed to ``context`` (round robin), or waits for
        one. ``script`` lists what the caller does once answered (``Press``, ``Say``,
        ``Silence``, ``Hangup``; a bare string means ``Press``); more can be added with the
        caller's methods. ``persona`` makes the caller a machine or a fax for detectors.

        Raises:
            TypeError: the script holds something that is not an intent.
        """
        intents = coerce_script(script)

        def place() -> SimCall:
            return self._switch.place_call(
                context=context,
                from_number=from_number,
                to_number=to_number,
                script=intents,
                persona=persona,
            )

        call = self._server.act(place)
        self._taken_calls.add(call.call_id)
        return self.party(call.call_id)

    async def send_sms(
        self,
        *,
        context: str,
        from_number: str,
        to_number: str,
        body: str = "",
        media: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> str:
        """Deliver an inbound SMS/MMS to a client subscribed to ``context``; return its id.

        Raises:
            ValueError: neither body nor media.
        """
        if not body and not media:
            raise ValueError("an SMS needs a body or media")

        def deliver() -> str:
            msg = inject(
                self._switch,
                context=context,
                from_number=from_number,
                to_number=to_number,
                body=body,
                media=list(media or []),
                tags=list(tags or []),
            )
            return msg.message_id

        return self._server.act(deliver)

    def send_calling_error(
        self, code: str = "5001", message: str = "Internal error", *, call: str | None = None
    ) -> int:
        """Send a ``calling.error`` event, as the service does for a failure nobody asked about:
        about the call ``call`` (a call id) to the client controlling it, or, without a call,
        to every connected client. Returns how many sessions it was sent to.

        Raises:
            KeyError: ``call`` is not a live call.
        """

        def send() -> int:
            target = None
            if call is not None:
                target = self._switch.calls.get(call)
                if target is None:
                    raise KeyError(call)
            return self._switch.calling_error(code, message, target)

        return self._server.act(send)

    # ------------------------------------------------------------------ waiting
    async def wait_for_request(
        self,
        method: str,
        predicate: Predicate | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> JournalEntry:
        """Wait for a client request of ``method`` (whose params satisfy ``predicate``).

        Each request is returned once: calling again waits for the next matching one, so a test
        can step through ``calling.play`` requests in order. Requests that came before the call
        count too.

        Raises:
            EmulatorTimeout: none in time.
        """

        def match(entry: JournalEntry) -> bool:
            return (
                entry.direction == "in"
                and entry.method == method
                and entry.index not in self._consumed
                and (predicate is None or predicate(entry.params))
            )

        def check() -> JournalEntry | None:
            found = self.journal.find(match)
            if found is not None:
                self._consumed.add(found.index)
            return found

        return await self._server.wait_until(check, timeout=timeout, what=f"request {method}")

    async def wait_for_event(
        self,
        event_type: str,
        predicate: Predicate | None = None,
        *,
        acked: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> JournalEntry:
        """Wait until the emulator sent an event of ``event_type`` (whose inner params satisfy
        ``predicate``), and with ``acked`` until the client acknowledged it.

        Raises:
            EmulatorTimeout: not in time.
        """

        def check() -> JournalEntry | None:
            for entry in self.journal.events(event_type):
                if predicate is not None and not predicate(entry.event_params):
                    continue
                if not acked or self.journal.replies_to(entry):
                    return entry
            return None

        return await self._server.wait_until(check, timeout=timeout, what=f"event {event_type}")

    async def wait_for_reply(
        self, entry: JournalEntry, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> JournalEntry:
        """Wait for the reply to a journaled request (ours to the client's, or its ACK).

        Raises:
            EmulatorTimeout: not in time.
        """

        def check() -> JournalEntry | None:
            replies = self.journal.replies_to(entry)
            return replies[0] if replies else None

        return await self._server.wait_until(check, timeout=timeout, what=f"reply to {entry.id}")

    async def wait_for_clients(
        self,
        count: int = 1,
        *,
        context: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> list[ClientInfo]:
        """Wait until ``count`` authenticated connections are open (subscribed to ``context``).

        Raises:
            EmulatorTimeout: not in time.
        """

        def check() -> list[ClientInfo] | None:
            ready = [
                c
                for c in self.clients
                if c.open and c.protocol and (context is None or context in c.contexts)
            ]
            return ready if len(ready) >= count else None

        return await self._server.wait_until(check, timeout=timeout, what=f"{count} client(s)")

    async def wait_for_call_to(
        self, number: str, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> RemoteParty:
        """Wait until a client dials or connects to ``number``; return that party.

        Each leg is returned once, oldest first.

        Raises:
            EmulatorTimeout: not in time.
        """

        def check() -> RemoteParty | None:
            for call in self._switch.history:
                if (
                    call.direction == "outbound"
                    and call.party.number == number
                    and call.call_id not in self._taken_calls
                ):
                    self._taken_calls.add(call.call_id)
                    return self.party(call.call_id)
            return None

        return await self._server.wait_until(check, timeout=timeout, what=f"a call to {number}")

    async def wait_for_violation(
        self, text: str = "", *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> str:
        """Wait until a client violation containing ``text`` is recorded; return it.

        Raises:
            EmulatorTimeout: not in time.
        """

        def check() -> str | None:
            return next((v for v in self._server.violations if text in v), None)

        return await self._server.wait_until(check, timeout=timeout, what=f"violation {text!r}")

    async def wait_for_transcript(
        self, text: str, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> str:
        """Wait until a transcript line contains ``text``; return the line.

        Raises:
            EmulatorTimeout: not in time.
        """

        def check() -> str | None:
            return next((str(x) for x in self._switch.transcript if text in x.text), None)

        return await self._server.wait_until(check, timeout=timeout, what=f"transcript {text!r}")
