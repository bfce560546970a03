"""Connections under test, set up so that fuzzed input reaches deep code, and the invariants.

:class:`ClientWorld` is a :class:`relay_proto.RelayConnection` wired back to back with a
:class:`relay_proto._server.RelayServerConnection` (the in-memory peer). Its setup authenticates,
receives three inbound calls, starts one action of every kind, leaves some requests unanswered,
and has a pending dial and a tracked outbound message, so a fuzzed frame naming those ids reaches
the domain's routing, completion, dial and messaging code. :class:`ServerWorld` is a server
connection after the handshake with some of its own requests (events, a ping, a disconnect)
waiting for the client's reply.

Everything is deterministic (counter ids, a fixed ``now``, a constant jitter source), so a
failing input replays exactly.

The invariants (checked by :meth:`ClientWorld.feed` / :meth:`ServerWorld.feed` and the probes):

1. ``receive_data`` raises nothing but :class:`relay_proto.RemoteProtocolError`, and raises
   that only for a broken WebSocket stream (never for a well-framed message, whatever its text);
2. every event is a well-formed :class:`relay_proto.Event`;
3. every inbound message that is a JSON-RPC request with an ``id`` gets exactly one reply
   (client role: ACK, pong or JSON-RPC error; server role: a ``ClientRequest`` event or the
   core's own error reply), and nothing the core sends is malformed;
4. no inbound message vanishes silently: each one produces an event or output;
5. after any input that did not break the stream, the session still works: a request/response
   round trip and an event ACK succeed (:meth:`ClientWorld.probe`, :meth:`ServerWorld.probe`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from relay_proto import (
    CallCommand,
    ClientClosed,
    ClientRequest,
    ClientResponse,
    Event,
    FrameDropped,
    MessageReceived,
    RemoteProtocolError,
    RequestSucceeded,
    SessionReady,
    TransportLost,
    commands,
    counter_ids,
)
from relay_proto._connection import RelayConnection, SessionState
from relay_proto._server import RelayServerConnection
from relay_proto._transport import Closed, Opened, Transport

from .oracles import (
    UNKNOWN,
    InvariantError,
    canonical,
    check_event,
    expected_reply_id,
    loads,
    reply_id,
    reply_to,
    silence_allowed,
)
from .wsframes import message_frames

__all__ = [
    "CALL_IDS",
    "CONTROL_IDS",
    "HOST",
    "MAX_MESSAGE_SIZE",
    "MESSAGE_IDS",
    "NODE_IDS",
    "PENDING_REQUEST_IDS",
    "PROJECT",
    "PROTOCOL",
    "SERVER_UNACKED_IDS",
    "TAGS",
    "ClientWorld",
    "ServerWorld",
    "new_client_connection",
]

HOST = "relay.fuzz.test"
PROJECT = "p-fuzz-0001"
TOKEN = "PT-fuzz-token"
PROTOCOL = "signalwire_fuzz-proto-1"
IDENTITY = "fuzz-identity"

# Small, so that the fuzzers reach the "message too large" path without megabyte inputs, but
# above 4300 bytes: Python refuses int() of longer digit strings, and codes must reach that.
MAX_MESSAGE_SIZE = 8192
# Three inbound calls are set up; one more fits, the next one overflows (calling.pass).
MAX_ACTIVE_CALLS = 4

CALL_IDS = ("call-1", "call-2", "call-3", "call-leg-a", "call-leg-b", "call-leg-c", "call-9")
NODE_IDS = ("node-1", "node-2", "node-3", "node-7")
TAGS = ("tag-1", "tag-2")
MESSAGE_IDS = ("msg-1",)

_TTS = {"type": "tts", "params": {"text": "Welcome"}}

# action kind -> (control id, builder) for the actions started on call-1 during setup.
_ACTIONS: dict[str, tuple[str, Callable[[str], CallCommand]]] = {
    "play": ("ctl-play", lambda c: commands.play([_TTS], control_id=c)),
    "record": ("ctl-record", lambda c: commands.record({"format": "mp3"}, control_id=c)),
    "play_and_collect": (
        "ctl-pac",
        lambda c: commands.play_and_collect([_TTS], {"digits": {"max": 1}}, control_id=c),
    ),
    "collect": ("ctl-collect", lambda c: commands.collect(speech={}, control_id=c)),
    "detect": (
        "ctl-detect",
        lambda c: commands.detect({"type": "machine", "params": {}}, control_id=c),
    ),
    "send_fax": (
        "ctl-fax",
        lambda c: commands.send_fax("https://docs.fuzz.example/menu.pdf", control_id=c),
    ),
    "receive_fax": ("ctl-rfax", lambda c: commands.receive_fax(control_id=c)),
    "tap": (
        "ctl-tap",
        lambda c: commands.tap(
            {"type": "audio", "params": {"direction": "both"}},
            {"type": "rtp", "params": {"addr": "192.0.2.10", "port": 4000}},
            control_id=c,
        ),
    ),
    "stream": ("ctl-stream", lambda c: commands.stream("wss://s.fuzz.example", control_id=c)),
    "pay": ("ctl-pay", lambda c: commands.pay("https://pay.fuzz.example", control_id=c)),
    "transcribe": ("ctl-transcribe", lambda c: commands.transcribe(control_id=c)),
    "ai": ("ctl-ai", lambda c: commands.ai(control_id=c)),
}
CONTROL_IDS = (
    *(control for control, _ in _ACTIONS.values()),
    "ctl-digits",
    "ctl-queue",
    "ctl-play-2",
)

#: Request ids the client world leaves unanswered after its setup (answer and play on call-2,
#: the second dial, the second message, signalwire.receive). The seed corpus replies to them.
PENDING_REQUEST_IDS = ("req-18", "req-19", "req-20", "req-21", "req-22")

#: Server requests the server world leaves waiting for the client's reply.
SERVER_UNACKED_IDS = ("evt-1", "evt-2", "ping-1", "disc-1")

_PHONE = {"type": "phone", "params": {"from_number": "+15551230001", "to_number": "+15551230002"}}


class _NoJitter:
    """The injected jitter source: always the middle of the range."""

    def random(self) -> float:
        return 0.5


# --------------------------------------------------------------------------- client role


def new_client_connection() -> RelayConnection:
    """The client connection every client world uses (deterministic ids, no jitter)."""
    return RelayConnection(
        project=PROJECT,
        token=TOKEN,
        host=HOST,
        contexts=["office"],
        max_active_calls=MAX_ACTIVE_CALLS,
        max_message_size=MAX_MESSAGE_SIZE,
        id_factory=counter_ids("req"),
        rng=_NoJitter(),
    )


class ClientWorld:
    """A client connection with a session, calls, actions, dials and messages, and its peer."""

    def __init__(self, *, observe: bool = True) -> None:
        self.now = 1.0
        self.events: list[Event] = []
        self.server_events: list[Event] = []
        self.client_frames: list[str] = []  # text frames the client sent, seen by the server
        self.sent_bytes = bytearray()
        self.conn = new_client_connection()
        self.server = RelayServerConnection(
            frame_observer=self._observe if observe else None,
            max_message_size=16 * MAX_MESSAGE_SIZE,
        )
        self.pending: dict[str, str] = {}  # name -> request id left unanswered by the setup
        self.pings: set[str] = set()  # canonical ids of the client's own signalwire.ping requests
        self._setup()

    # ---------------------------------------------------------------- plumbing
    def _observe(self, direction: str, text: str) -> None:
        if direction == "in":
            self.client_frames.append(text)

    def drain(self) -> list[Event]:
        """Collect the client's new events (checking each) and return them."""
        new: list[Event] = []
        while (event := self.conn.next_event()) is not None:
            check_event(event)
            new.append(event)
        self.events.extend(new)
        return new

    def drain_server(self) -> list[Event]:
        """Collect the server's new events; remember the client's own pings."""
        new: list[Event] = []
        while (event := self.server.next_event()) is not None:
            new.append(event)
            if isinstance(event, ClientRequest) and event.method == "signalwire.ping":
                self.pings.add(canonical(event.request_id))
        self.server_events.extend(new)
        return new

    def app_request_ids(self) -> set[str]:
        """Request ids the application issued (a reply to them must be reported)."""
        return set()

    def silence_ok(self, text: str) -> bool:
        """Whether the client may consume ``text`` without an event or a reply: see
        :func:`fuzz.oracles.silence_allowed`, plus a reply to one of the client's own pings
        (a success only resets the missed-ping count)."""
        if silence_allowed(text):
            return True
        answered = reply_to(text)
        return answered in self.pings and answered not in {
            canonical(rid) for rid in self.app_request_ids()
        }

    def pump(self) -> None:
        """Move bytes both ways until both sides are quiet."""
        for _ in range(100):
            out = self.conn.data_to_send()
            if out:
                self.server.receive_data(out)
            back = self.server.data_to_send()
            if back:
                self.conn.receive_data(back, self.now)
            self.drain()
            self.drain_server()
            if not out and not back:
                return
        raise InvariantError("the connections never went quiet")

    def _requests(self) -> list[ClientRequest]:
        return [e for e in self.drain_server() if isinstance(e, ClientRequest)]

    def _answer_all(self, result: dict[str, Any] | None = None) -> list[ClientRequest]:
        self.pump()
        requests = [e for e in self.server_events if isinstance(e, ClientRequest)]
        self.server_events.clear()
        for request in requests:
            body = {"code": "200", "message": "OK"} if result is None else result
            if "control_id" in request.params:
                body = {**body, "control_id": request.params["control_id"]}
            self.server.send_result(request.request_id, body)
        self.pump()
        return requests

    # ---------------------------------------------------------------- setup
    def _setup(self) -> None:
        self.conn.start(self.now)
        self.pump()
        connect = [e for e in self.server_events if isinstance(e, ClientRequest)]
        if [r.method for r in connect] != ["signalwire.connect"]:
            raise InvariantError(f"expected one signalwire.connect, got {connect!r}")
        self.server_events.clear()
        result = {"protocol": PROTOCOL, "identity": IDENTITY, "session_restored": False}
        self.server.send_result(connect[0].request_id, result)
        self.pump()
        if not any(isinstance(e, SessionReady) for e in self.events):
            raise InvariantError("the session did not become ready")
        for n in (1, 2, 3):
            self.server.send_event(
                "calling.call.receive",
                {
                    "call_id": f"call-{n}",
                    "node_id": f"node-{n}",
                    "call_state": "created",
                    "direction": "inbound",
                    "context": "office",
                    "device": _PHONE,
                },
            )
        self.pump()
        self._start_actions()
        self._leave_pending()

    def _start_actions(self) -> None:
        for control_id, build in _ACTIONS.values():
            self.conn.call_command("call-1", build(control_id), now=self.now)
        self.conn.call_command(
            "call-1", commands.send_digits("1#", control_id="ctl-digits"), now=self.now
        )
        self.conn.call_command(
            "call-1", commands.queue_enter("support", control_id="ctl-queue"), now=self.now
        )
        self.conn.dial([[_PHONE]], now=self.now, tag="tag-1")
        self.conn.send_message(
            now=self.now, to_number="+15551230002", from_number="+15551230001", body="hi"
        )
        requests = self._answer_all({"code": "200", "message": "OK", "message_id": "msg-1"})
        if len(requests) != len(_ACTIONS) + 4:
            raise InvariantError(f"setup sent {len(requests)} requests")

    def _leave_pending(self) -> None:
        started = {
            "answer": self.conn.call_command("call-2", commands.answer(), now=self.now),
            "play-2": self.conn.call_command(
                "call-2", commands.play([_TTS], control_id="ctl-play-2"), now=self.now
            ),
            "dial-2": self.conn.dial([[_PHONE]], now=self.now, tag="tag-2"),
            "message-2": self.conn.send_message(
                now=self.now, to_number="+15551230002", from_number="+15551230001", body="2"
            ),
            "receive": self.conn.receive(["sales"], now=self.now),
        }
        for name, item in started.items():
            if item.request_id is None:
                raise InvariantError(f"setup request {name} was not sent")
            self.pending[name] = item.request_id
        if tuple(self.pending.values()) != PENDING_REQUEST_IDS:
            raise InvariantError(f"setup left {self.pending}, not {PENDING_REQUEST_IDS}")
        self.pump()
        self.server_events.clear()
        self.events.clear()
        self.client_frames.clear()
        self.sent_bytes = bytearray()  # what feed() made the client send

    # ---------------------------------------------------------------- fuzzing
    def feed(self, data: bytes | None) -> RemoteProtocolError | None:
        """Feed bytes as if the server sent them; check invariants 1 and 2.

        Returns the ``RemoteProtocolError`` raised, if any (then ``TransportLost`` must follow).
        """
        error: RemoteProtocolError | None = None
        try:
            self.conn.receive_data(data, self.now)
        except RemoteProtocolError as exc:
            error = exc
        new = self.drain()
        if error is not None and not any(isinstance(e, TransportLost) for e in new):
            raise InvariantError(f"RemoteProtocolError({error}) without TransportLost")
        self.forward()
        return error

    def forward(self) -> None:
        """Deliver what the client sent to the peer, which must find it well-formed."""
        out = self.conn.data_to_send()
        if out:
            self.sent_bytes += out
            self.server.receive_data(out)
        for event in self.drain_server():
            if isinstance(event, FrameDropped) and event.reason != "reply for unknown request id":
                raise InvariantError(f"the client sent a malformed frame: {event!r}")

    def feed_messages(self, texts: Sequence[str], cuts: Sequence[Sequence[int]] = ()) -> None:
        """Feed each text as one well-framed server message (fragmented at ``cuts``), checking
        invariants 1 to 4 after each."""
        for index, text in enumerate(texts):
            payload = text.encode("utf-8")
            pieces = cuts[index] if index < len(cuts) else ()
            data = message_frames(payload, masked=False, cuts=pieces, ping_between=bool(pieces))
            before_events = len(self.events)
            before_frames = len(self.client_frames)
            error = self.feed(data)
            if error is not None:
                raise InvariantError(f"a well-framed message broke the stream: {error}")
            sent = self.client_frames[before_frames:]
            if len(self.events) == before_events and not sent and not self.silence_ok(text):
                raise InvariantError(f"message dropped silently: {text[:200]!r}")
            self._check_replies(text, sent)

    def _check_replies(self, text: str, sent: list[str]) -> None:
        replies = [rid for rid in map(reply_id, sent) if rid is not None]
        expected = expected_reply_id(text, MAX_MESSAGE_SIZE)
        wanted = [] if expected is None else [expected]
        if expected is UNKNOWN:
            wanted = replies[:1]
        if replies != wanted:
            raise InvariantError(
                f"replies {replies!r} to {text[:200]!r}, expected exactly {wanted!r}"
            )

    def probe(self, tag: int = 0) -> None:
        """Invariant 5: a request round trip and an event ACK still work."""
        if self.conn.state != SessionState.READY:
            raise InvariantError(f"session not ready after the input: {self.conn.state}")
        self.server_events.clear()
        request_id = self.conn.execute("fuzz.probe", {"n": tag}, now=self.now)
        self.pump()
        asked = [e for e in self.server_events if isinstance(e, ClientRequest)]
        if not any(r.request_id == request_id and r.method == "fuzz.probe" for r in asked):
            raise InvariantError(f"probe request {request_id} did not reach the server")
        mark = len(self.events)
        self.server.send_result(request_id, {"code": "200", "message": "probe"})
        event_id = self.server.send_event(
            "messaging.receive",
            {"message_id": f"probe-{tag}", "direction": "inbound", "body": "probe"},
        )
        self.pump()
        new = self.events[mark:]
        if not any(isinstance(e, RequestSucceeded) and e.request_id == request_id for e in new):
            raise InvariantError(f"probe reply not reported: {new!r}")
        if not any(isinstance(e, MessageReceived) for e in new):
            raise InvariantError(f"probe event not reported: {new!r}")
        acks = [e for e in self.server_events if isinstance(e, ClientResponse)]
        if not any(a.request_id == event_id and a.error is None for a in acks):
            raise InvariantError(f"probe event {event_id} not acknowledged")
        if self.server.unacked:
            raise InvariantError(f"server requests left unanswered: {dict(self.server.unacked)}")


# --------------------------------------------------------------------------- server role


class ServerWorld:
    """A server connection after the handshake, with requests of its own awaiting replies, and a
    client transport that reads what it sends."""

    def __init__(self, *, handshake: bool = True) -> None:
        self.events: list[Event] = []
        self.sent_bytes = bytearray()  # everything the server wrote since the setup
        self.received: list[str] = []  # text messages the server sent, read by the client side
        self.server = RelayServerConnection(max_message_size=MAX_MESSAGE_SIZE)
        self.client = Transport(client=True)
        self.client.start(HOST)
        request = self.client.data_to_send()
        self.reading = handshake  # whether self.client is the peer of what the server says
        if not handshake:
            return  # the caller feeds a handshake (or garbage) of its own
        self.server.receive_data(request)
        self._read_output()
        self.server.send_event("calling.call.play", {"call_id": "call-1", "state": "playing"})
        self.server.send_event("calling.call.state", {"call_id": "call-1", "call_state": "ended"})
        self.server.send_ping()
        self.server.send_disconnect(restart=False)
        self._read_output()
        self.drain()
        self.events.clear()
        self.received.clear()
        self.sent_bytes = bytearray()

    def drain(self) -> list[Event]:
        new: list[Event] = []
        while (event := self.server.next_event()) is not None:
            check_event(event)
            new.append(event)
        self.events.extend(new)
        return new

    def _read_output(self) -> None:
        out = self.server.data_to_send()
        self.sent_bytes += out
        if not out or not self.reading:
            return
        self.client.receive_data(out)  # a broken stream from the server raises here: a bug
        for item in self.client.take_events():
            if isinstance(item, str):
                self.received.append(item)
            elif not isinstance(item, (Opened, Closed)):
                raise InvariantError(f"the server sent something unusable: {item!r}")

    def feed(self, data: bytes | None) -> RemoteProtocolError | None:
        """Feed bytes as if the client sent them; check invariants 1 and 2."""
        error: RemoteProtocolError | None = None
        try:
            self.server.receive_data(data)
        except RemoteProtocolError as exc:
            error = exc
        new = self.drain()
        if error is not None and not any(isinstance(e, ClientClosed) for e in new):
            raise InvariantError(f"RemoteProtocolError({error}) without ClientClosed")
        self._read_output()
        return error

    def feed_messages(self, texts: Sequence[str], cuts: Sequence[Sequence[int]] = ()) -> None:
        """Feed each text as one well-framed (masked) client message, checking invariants 1-4."""
        for index, text in enumerate(texts):
            payload = text.encode("utf-8")
            pieces = cuts[index] if index < len(cuts) else ()
            data = message_frames(payload, masked=True, cuts=pieces, ping_between=bool(pieces))
            mark_events, mark_sent = len(self.events), len(self.received)
            if self.feed(data) is not None:
                raise InvariantError(f"a well-framed message broke the stream: {text[:200]!r}")
            new, sent = self.events[mark_events:], self.received[mark_sent:]
            if not new:
                raise InvariantError(f"message dropped silently: {text[:200]!r}")
            self._check_answer(text, new, sent)

    def _check_answer(self, text: str, new: list[Event], sent: list[str]) -> None:
        expected = expected_reply_id(text, MAX_MESSAGE_SIZE)
        reported = [canonical(e.request_id) for e in new if isinstance(e, ClientRequest)]
        replies = [rid for rid in map(reply_id, sent) if rid is not None]
        answers = reported + replies
        wanted = [] if expected is None else [expected]
        if expected is UNKNOWN:
            wanted = answers[:1]
        if answers != wanted:
            raise InvariantError(f"answers {answers!r} to {text[:200]!r}, expected {wanted!r}")
        for event in new:
            if isinstance(event, ClientRequest):
                # The owner answers what the core reports; any id it was given must echo.
                self.server.send_result(event.request_id, {})
        self._read_output()

    def probe(self, tag: int = 0) -> None:
        """Invariant 5: a request round trip and an event ACK still work."""
        if not self.server.is_open:
            raise InvariantError("server connection closed by a well-framed input")
        mark = len(self.events)
        self.client.send_text(json.dumps({"id": f"probe-{tag}", "method": "fuzz.probe"}))
        self.server.receive_data(self.client.data_to_send())
        self.drain()
        asked = [e for e in self.events[mark:] if isinstance(e, ClientRequest)]
        if [(r.request_id, r.method) for r in asked] != [(f"probe-{tag}", "fuzz.probe")]:
            raise InvariantError(f"probe not reported: {self.events[mark:]!r}")
        self.server.send_result(f"probe-{tag}", {"ok": True})
        event_id = self.server.send_event("calling.call.play", {"call_id": "call-1"})
        mark_sent = len(self.received)
        self._read_output()
        frames = [loads(text) for text in self.received[mark_sent:]]
        if frames[:1] != [{"jsonrpc": "2.0", "id": f"probe-{tag}", "result": {"ok": True}}]:
            raise InvariantError(f"probe reply not sent: {frames!r}")
        self.client.send_text(json.dumps({"jsonrpc": "2.0", "id": event_id, "result": {}}))
        self.server.receive_data(self.client.data_to_send())
        acked = [e for e in self.drain() if isinstance(e, ClientResponse)]
        if [(a.request_id, a.method) for a in acked] != [(event_id, "signalwire.event")]:
            raise InvariantError(f"ACK of {event_id} not reported: {acked!r}")
