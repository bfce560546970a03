"""The structured target: a whole client session driven by a hypothesis-drawn script.

Each step is one of: well-framed server messages from :mod:`fuzz.grammar` (naming the ids that
exist *now*, including the client's in-flight requests), the server answering a request with a
fuzzed result or error, a typed event sent by the server, a client API call (call commands of
every kind, sub-commands, dials, messages, ``execute``, ``receive``/``unreceive``), time passing
(request and dial timeouts, pings), the transport breaking (EOF, garbage bytes, a close frame)
and reconnecting (resumed, fresh, or rejected). This reaches the session and domain code that a
byte-level fuzzer cannot find by itself.

Besides the per-message invariants of :mod:`fuzz.world`, the run checks the bookkeeping:

* every request the application issued gets exactly one outcome (``RequestSucceeded``,
  ``RequestFailed`` or ``RequestTimedOut``), never two;
* an action completes at most once, and once every call has ended and every deadline has passed
  no action is left waiting: it completed, or its start request failed or timed out (D14);
* a dial resolves at most once, and a dial whose request succeeded resolves exactly once;
* at the end the session is (again) ready, and the probe round trip works.

The same function runs as a hypothesis test and, through ``fuzz_one_input``, under atheris.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay_proto import (
    ActionCompleted,
    CallCommand,
    CallEvent,
    CallReceived,
    ClientRequest,
    DialAnswered,
    DialFailed,
    DialLegCreated,
    Event,
    ReconnectDue,
    RemoteProtocolError,
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    Started,
    TransportLost,
    commands,
    counter_ids,
)
from relay_proto._connection import SessionState
from relay_proto._server import RelayServerConnection

from . import grammar
from .oracles import InvariantError
from .world import CALL_IDS, CONTROL_IDS, PENDING_REQUEST_IDS, PROTOCOL, ClientWorld
from .wsframes import close_frame

__all__ = ["SessionWorld", "run_session", "session_target"]

MAX_STEPS = 14

_TTS = {"type": "tts", "params": {"text": "Hi"}}
_PHONE = {"type": "phone", "params": {"from_number": "+15551230001", "to_number": "+15551230002"}}

# Commands the script may send: (name, builder). Actions get a fresh control id from the
# connection's id factory, so each started action is unique.
_COMMANDS: dict[str, Callable[[], CallCommand]] = {
    "answer": commands.answer,
    "hangup": commands.hangup,
    "pass": commands.pass_,
    "hold": commands.hold,
    "denoise": commands.denoise,
    "echo": commands.echo,
    "user_event": lambda: commands.user_event(event="fuzz"),
    "send_digits": lambda: commands.send_digits("1#"),
    "queue_enter": lambda: commands.queue_enter("support"),
    "connect": lambda: commands.connect([[_PHONE]]),
    "play": lambda: commands.play([_TTS]),
    # The public docs' flat media forms (sent canonical) and values the service judges.
    "play_flat": lambda: commands.play([{"type": "tts", "text": "Hi"}], volume=99),
    "connect_flat_ringback": lambda: commands.connect(
        [[_PHONE]], ringback=[{"type": "ringtone", "name": "gb"}]
    ),
    "record": commands.record,
    "collect": lambda: commands.collect(digits={"max": 1}),
    "play_and_collect": lambda: commands.play_and_collect([_TTS], {"digits": {"max": 1}}),
    "detect": lambda: commands.detect({"type": "fax", "params": {}}),
    "send_fax": lambda: commands.send_fax("https://docs.fuzz.example/a.pdf"),
    "receive_fax": commands.receive_fax,
    "tap": lambda: commands.tap(
        {"type": "audio", "params": {}}, {"type": "ws", "params": {"uri": "wss://t.example"}}
    ),
    "stream": lambda: commands.stream("wss://s.fuzz.example"),
    "pay": lambda: commands.pay("https://pay.fuzz.example"),
    "transcribe": commands.transcribe,
    "ai": commands.ai,
}


class Outcomes:
    """What the application issued, and what the core reported about it."""

    def __init__(self) -> None:
        self.requests: dict[str, str] = {}  # request id -> what issued it
        self.outcome: dict[str, Event] = {}
        self.actions: dict[str, str] = {}  # control id -> start request id
        self.completed: Counter[str] = Counter()
        self.dials: dict[str, str] = {}  # tag -> request id
        self.dial_outcomes: Counter[str] = Counter()
        self.live_calls: dict[str, str] = {}  # call id -> node id

    def issued(self, started: Started, what: str, action: bool = False) -> None:
        if started.request_id is None:
            return
        self.requests[started.request_id] = what
        if action and started.control_id is not None:
            self.actions[started.control_id] = started.request_id
        if started.tag is not None:
            self.dials[started.tag] = started.request_id

    def observe(self, event: Event) -> None:
        if isinstance(event, (RequestSucceeded, RequestFailed, RequestTimedOut)):
            if event.request_id in self.outcome:
                raise InvariantError(f"two outcomes for {event.request_id}: {event!r}")
            self.outcome[event.request_id] = event
        elif isinstance(event, ActionCompleted):
            self.completed[event.control_id] += 1
            if self.completed[event.control_id] > 1:
                raise InvariantError(f"action {event.control_id} completed twice: {event!r}")
        elif isinstance(event, (DialAnswered, DialFailed)):
            self.dial_outcomes[event.tag] += 1
            if self.dial_outcomes[event.tag] > 1:
                raise InvariantError(f"dial {event.tag} resolved twice: {event!r}")
        self._track_calls(event)

    def _track_calls(self, event: Event) -> None:
        if isinstance(event, (CallReceived, DialLegCreated, DialAnswered)):
            self.live_calls[event.call.call_id] = event.call.node_id
        elif isinstance(event, CallEvent) and event.call_state == "ended":
            self.live_calls.pop(event.call_id, None)

    def check_final(self) -> None:
        """After every call ended and every deadline passed: nothing is left waiting."""
        for request_id, what in self.requests.items():
            if request_id not in self.outcome:
                raise InvariantError(f"request {request_id} ({what}) never got an outcome")
        for control_id, request_id in self.actions.items():
            start = self.outcome.get(request_id)
            failed = isinstance(start, (RequestFailed, RequestTimedOut))
            if not self.completed[control_id] and not failed:
                raise InvariantError(f"action {control_id} still waits: start {start!r}")
        for tag, request_id in self.dials.items():
            accepted = isinstance(self.outcome.get(request_id), RequestSucceeded)
            if accepted and self.dial_outcomes[tag] != 1:
                raise InvariantError(f"accepted dial {tag} resolved {self.dial_outcomes[tag]}x")


class SessionWorld(ClientWorld):
    """A :class:`ClientWorld` whose transport can break and be replaced, as an adapter would."""

    def __init__(self) -> None:
        self.outcomes = Outcomes()
        self.link = True  # a socket is open between the client and ``self.server``
        self.reconnects_due = 0
        self.transports = 1
        self.message_ids: set[str] = set()
        super().__init__()
        # What the setup left behind (see ClientWorld): three calls, the accepted actions and
        # dial, and the requests it left unanswered.
        self.outcomes.requests = dict.fromkeys(PENDING_REQUEST_IDS, "setup")
        self.outcomes.live_calls = {"call-1": "node-1", "call-2": "node-2", "call-3": "node-3"}
        self.outcomes.actions = dict.fromkeys(CONTROL_IDS[:-3], "setup-done")
        self.outcomes.outcome["setup-done"] = RequestSucceeded(
            request_id="setup-done", method="", result={}
        )
        self.outcomes.requests.pop("setup-done", None)
        self.outcomes.actions["ctl-play-2"] = PENDING_REQUEST_IDS[1]
        self.outcomes.dials = {"tag-1": "setup-done", "tag-2": PENDING_REQUEST_IDS[2]}

    # ---------------------------------------------------------------- plumbing
    def drain(self) -> list[Event]:
        new = super().drain()
        for event in new:
            if hasattr(self, "outcomes"):
                self.outcomes.observe(event)
            if isinstance(event, TransportLost):
                self.link = False  # the adapter closes the socket
            elif isinstance(event, ReconnectDue):
                self.reconnects_due += 1
        return new

    def pump(self) -> None:
        if self.link:
            super().pump()
        else:
            self.conn.data_to_send()  # written to a socket that is gone
            self.drain()

    def pools(self) -> grammar.Pools:
        """The ids that exist now, for the grammar: setup ids plus what this run created."""
        base, outcomes = grammar.DEFAULT_POOLS, self.outcomes
        requests = {r.request_id for r in self.unanswered() if isinstance(r.request_id, str)}
        return grammar.Pools(
            call_ids=(*base.call_ids, *sorted(set(outcomes.live_calls) - set(base.call_ids))),
            control_ids=(*base.control_ids, *sorted(set(outcomes.actions) - set(CONTROL_IDS))),
            tags=(*base.tags, *sorted(set(outcomes.dials) - set(base.tags))),
            message_ids=(*base.message_ids, *sorted(self.message_ids)),
            request_ids=(*base.request_ids, *sorted(requests)),
        )

    def app_request_ids(self) -> set[str]:
        return set(self.outcomes.requests)

    def unanswered(self) -> list[ClientRequest]:
        return [e for e in self.server_events if isinstance(e, ClientRequest)]

    def take_request(self, index: int) -> ClientRequest | None:
        requests = self.unanswered()
        if not requests:
            return None
        request = requests[index % len(requests)]
        self.server_events.remove(request)
        return request

    # ---------------------------------------------------------------- transport lifecycle
    def break_link(self, how: str) -> None:
        if not self.link:
            return
        if how == "eof":
            self.feed(None)
        elif how == "garbage":
            error = self.feed(b"\x8f\x00")  # a fragmented control frame: a protocol error
            if error is None:
                raise InvariantError("a broken frame did not raise RemoteProtocolError")
        else:
            self.feed(close_frame(1001, "going away"))
        self.pump()
        if self.link:
            raise InvariantError(f"the transport survived {how}")

    def reconnect(self, answer: str) -> None:
        """Open a new transport (ReconnectDue arrived) and answer signalwire.connect."""
        self.reconnects_due -= 1
        if answer == "refused":
            self.conn.connect_failed(self.now, "connection refused")
            self.drain()
            return
        # A real server never reuses an event id; the client remembers them across reconnects.
        self.transports += 1
        ids = counter_ids(f"t{self.transports}-srv")
        self.server = RelayServerConnection(id_factory=ids, frame_observer=self._observe)
        self.server_events = []
        self.link = True
        self.conn.start(self.now)
        self.pump()
        request = self.take_request(0)
        if request is None or request.method != "signalwire.connect":
            raise InvariantError(f"no signalwire.connect after start(): {request!r}")
        if answer == "rejected":
            self.server.send_error(request.request_id, -32000, "authentication failed")
        else:
            protocol = self.conn.relay_protocol if answer == "resumed" else "signalwire_fresh"
            self.server.send_result(request.request_id, {"protocol": protocol or PROTOCOL})
        self.pump()

    def advance(self, seconds: float, answer: Callable[[], str], serve: bool = False) -> None:
        """Let time pass, running every timeout when due and reconnecting when asked to."""
        target = self.now + seconds
        for _ in range(10_000):
            deadline = self.conn.next_deadline()
            if deadline is None or deadline > target:
                break
            self.now = max(self.now, deadline)
            self.conn.handle_timeout(self.now)
            self.pump()
            while self.reconnects_due > 0:
                self.reconnect(answer())
            if serve:
                self.serve_all()
        else:
            raise InvariantError("timeouts never stopped coming")
        self.now = target

    def serve_all(self) -> None:
        while (request := self.take_request(0)) is not None:
            body: dict[str, Any] = {"code": "200", "message": "OK"}
            if request.method == "messaging.send":
                body["message_id"] = f"msg-{request.request_id}"
                self.message_ids.add(body["message_id"])
            self.server.send_result(request.request_id, body)
            self.pump()

    # ---------------------------------------------------------------- the end
    def settle(self) -> None:
        """Bring the session back to ready, end every call, let every deadline pass; then
        nothing may be left waiting, and the probe must work."""
        for _ in range(20):
            if self.conn.state == SessionState.READY and self.link:
                break
            if self.conn.state == SessionState.DISCONNECTED:
                self.advance(60.0, lambda: "resumed", serve=True)
            else:
                self.serve_all()
        if self.conn.state != SessionState.READY:
            raise InvariantError(f"session never got ready again: {self.conn.state}")
        self.serve_all()
        for call_id, node_id in list(self.outcomes.live_calls.items()):
            params = {"call_id": call_id, "node_id": node_id, "call_state": "ended"}
            self.server.send_event("calling.call.state", params)
            self.pump()
        for _ in range(40):
            self.advance(30.0, lambda: "resumed", serve=True)
        self.outcomes.check_final()
        self.serve_all()
        self.probe()


# --------------------------------------------------------------------------- steps


def _step_frames(world: SessionWorld, data: st.DataObject) -> None:
    if not world.link or world.conn.state != SessionState.READY:
        return
    frames = data.draw(st.lists(grammar.server_frame(world.pools()), min_size=1, max_size=3))
    world.feed_messages([grammar.to_text(f) for f in frames])
    world.pump()


def _step_serve(world: SessionWorld, data: st.DataObject) -> None:
    request = world.take_request(data.draw(st.integers(0, 7))) if world.link else None
    if request is None:
        return
    if data.draw(st.booleans()):
        result = data.draw(grammar.result(world.pools()))
        body = {"jsonrpc": "2.0", "id": request.request_id, "result": result}
    else:
        body = {"jsonrpc": "2.0", "id": request.request_id, "error": data.draw(grammar.error())}
    world.server.send_raw_text(json.dumps(body))
    world.pump()


def _step_event(world: SessionWorld, data: st.DataObject) -> None:
    if not world.link or not world.server.is_open:
        return
    envelope = data.draw(grammar.envelope(world.pools()))
    if isinstance(envelope, dict) and isinstance(envelope.get("event_type"), str):
        params = envelope.get("params")
        world.server.send_event(envelope["event_type"], params if isinstance(params, dict) else {})
    else:
        world.server.send_raw_text(json.dumps({"id": "evt-raw", "method": "signalwire.event"}))
    world.pump()


def _step_command(world: SessionWorld, data: st.DataObject) -> None:
    call_id = data.draw(st.sampled_from((*CALL_IDS, *world.outcomes.live_calls, "call-none")))
    if data.draw(st.integers(0, 3)) == 0 and world.outcomes.actions:
        control_id = data.draw(st.sampled_from(sorted(world.outcomes.actions)))
        command = commands.action_stop("play", control_id)
        name = "stop"
    else:
        name = data.draw(st.sampled_from(sorted(_COMMANDS)))
        command = _COMMANDS[name]()
    timeout = data.draw(st.none() | st.sampled_from([0.5, 5.0, 60.0]))
    started = world.conn.call_command(call_id, command, now=world.now, timeout=timeout)
    world.outcomes.issued(started, name, action=command.action is not None)
    world.pump()


def _step_api(world: SessionWorld, data: st.DataObject) -> None:
    conn, now = world.conn, world.now
    what = data.draw(st.sampled_from(["dial", "message", "execute", "receive", "unreceive"]))
    if what == "dial":
        started = conn.dial([[_PHONE]], now=now, dial_timeout=data.draw(st.floats(1.0, 200.0)))
    elif what == "message":
        started = conn.send_message(now=now, to_number="+1555", from_number="+1556", body="x")
    elif what == "execute":
        method = data.draw(st.sampled_from(["calling.answer", "fuzz.custom", "signalwire.ping"]))
        started = Started(request_id=conn.execute(method, {}, now=now))
    else:
        contexts = data.draw(st.lists(st.sampled_from(["office", "sales", "x"]), max_size=2))
        call = conn.receive if what == "receive" else conn.unreceive
        started = call(contexts, now=now)
    world.outcomes.issued(started, what)
    world.pump()


def _step_time(world: SessionWorld, data: st.DataObject) -> None:
    seconds = data.draw(st.sampled_from([0.5, 5.0, 10.5, 31.0, 125.0]) | st.floats(0.0, 40.0))
    answers = st.sampled_from(["resumed", "fresh", "rejected", "refused"])
    world.advance(seconds, lambda: data.draw(answers))


def _step_transport(world: SessionWorld, data: st.DataObject) -> None:
    what = data.draw(st.sampled_from(["eof", "garbage", "close", "disconnect", "ping"]))
    if what in ("disconnect", "ping"):
        if world.link and world.server.is_open:
            if what == "ping":
                world.server.send_ping()
            else:
                world.server.send_disconnect(restart=data.draw(st.booleans()))
            world.pump()
        return
    world.break_link(what)


_STEPS: dict[str, Callable[[SessionWorld, st.DataObject], None]] = {
    "frames": _step_frames,
    "serve": _step_serve,
    "event": _step_event,
    "command": _step_command,
    "api": _step_api,
    "time": _step_time,
    "transport": _step_transport,
}


def run_session(data: st.DataObject) -> None:
    """One scripted session (see the module docstring); raises on a broken invariant."""
    world = SessionWorld()
    for _ in range(data.draw(st.integers(1, MAX_STEPS))):
        step = data.draw(st.sampled_from(sorted(_STEPS)))
        try:
            _STEPS[step](world, data)
        except RemoteProtocolError as exc:
            raise InvariantError(f"{step}: a valid stream raised {exc!r}") from exc
    world.settle()


@settings(
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.data())
def session_target(data: st.DataObject) -> None:
    """The structured target as a hypothesis test (atheris calls ``fuzz_one_input`` on it)."""
    run_session(data)
