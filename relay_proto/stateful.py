"""Hypothesis state machines that play one side of a RELAY session against your code.

Install the optional extra: ``pip install 'relay-sansio[fuzz]'``.

* :class:`RelayServerMachine` plays the **server** against a :class:`relay_proto.RelayConnection`
  (the client core) and the handler code you hook in with :meth:`~RelayServerMachine.on_event`:
  inbound calls, events of every kind about them (from :mod:`relay_proto.strategies`), answers
  and errors to the client's requests, pings, malformed frames, time passing, the link breaking
  and the session resuming.
* :class:`RelayClientMachine` plays the **client** against a
  :class:`relay_proto.RelayServerConnection` and the server code you hook in with
  :meth:`~RelayClientMachine.on_request`: valid requests of every method, near-valid and
  malformed frames, ACKs and pings.

Subclass one, override the hook, and run it as a test::

    class TestMyIvr(RelayServerMachine):
        def on_event(self, event):
            my_ivr.handle(self.client, event, now=self.now)

    TestIvr = TestMyIvr.TestCase

The protocol's invariants are checked after every step, and a failure is shrunk to a minimal
sequence of steps. Server side (:class:`RelayServerMachine`):

* every event and ping the server sends is answered exactly once (an ACK is ``{}``);
* the client never sends a call command for a call the server never offered or one whose end
  it acknowledged, nor a sub-command (``stop``, ``pause``...) for an action it never started;
* every request the client sends gets exactly one outcome (``RequestSucceeded``,
  ``RequestFailed`` or ``RequestTimedOut``): never two, and at the end (after every deadline)
  none is missing;
* a malformed frame gets the documented answer (:class:`relay_proto.strategies.Malformed`) and
  the session goes on.

Client side (:class:`RelayClientMachine`): every request gets exactly one reply with its id (by
your code or by the core's own -32600/-32602), a malformed frame the documented answer, and
everything the server sends is well-formed JSON-RPC 2.0.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections import Counter
from typing import Any

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "relay_proto.stateful needs Hypothesis, an optional dependency: "
        "pip install 'relay-sansio[fuzz]' (or pip install hypothesis)"
    ) from exc

from . import _grammar as g
from . import strategies as rs
from ._conn_events import (
    ClientRequest,
    ClientResponse,
    Event,
    FrameDropped,
    ReconnectDue,
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    TransportLost,
)
from ._connection import RelayConnection
from ._errors import RemoteProtocolError
from ._ids import counter_ids
from ._server import RelayServerConnection
from ._transport import Transport

__all__ = ["ProtocolViolation", "RelayClientMachine", "RelayServerMachine", "ws_message"]

_PROTOCOL = "signalwire_sig1_session1"
_OUTCOMES = (RequestSucceeded, RequestFailed, RequestTimedOut)
_NO_OUTCOME = frozenset({"signalwire.connect", "signalwire.ping"})
_CALL_EVENTS = tuple(
    t
    for t in rs.EVENT_TYPES
    if t.startswith("calling.call.")
    and t not in ("calling.call.receive", "calling.call.dial", "calling.call.state")
)


class ProtocolViolation(AssertionError):
    """The code under test broke a RELAY protocol invariant."""


def ws_message(payload: bytes, *, binary: bool = False, masked: bool = False) -> bytes:
    """One unfragmented WebSocket message (RFC 6455) carrying ``payload`` as is (a text
    message need not be valid UTF-8: that is how the malformed ``invalid UTF-8`` frames are
    sent). Client frames are masked with a fixed all-zero key (the bytes stay readable)."""
    header = bytearray([0x82 if binary else 0x81])
    mask_bit = 0x80 if masked else 0
    size = len(payload)
    if size < 126:
        header.append(mask_bit | size)
    elif size < 1 << 16:
        header += bytes([mask_bit | 126]) + size.to_bytes(2, "big")
    else:
        header += bytes([mask_bit | 127]) + size.to_bytes(8, "big")
    if masked:
        header += b"\x00\x00\x00\x00"
    return bytes(header) + payload


class _Half:
    def random(self) -> float:
        return 0.5


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolViolation(f"the peer sent invalid JSON: {text[:200]!r}") from exc


def _check_expectation(bad: rs.Malformed, replies: list[Any]) -> None:
    """Whether ``replies`` (frames the receiver sent back) are what ``bad`` documents."""
    answers = [r for r in replies if isinstance(r, dict) and ("result" in r or "error" in r)]
    if bad.expect == "error":
        codes = [(a.get("id"), (a.get("error") or {}).get("code")) for a in answers]
        if codes != [(bad.request_id, bad.code)]:
            raise ProtocolViolation(f"{bad!r} was answered {answers!r}, not error {bad.code}")
    elif bad.expect == "ack":
        if [(a.get("id"), a.get("result")) for a in answers] != [(bad.request_id, {})]:
            raise ProtocolViolation(f"{bad!r} was answered {answers!r}, not ACKed once")
    elif bad.expect == "answer":
        if [a.get("id") for a in answers] != [bad.request_id]:
            raise ProtocolViolation(f"{bad!r} was answered {answers!r}, not exactly once")
    elif bad.expect == "ignored" and any(a.get("id") is not None for a in answers):
        raise ProtocolViolation(f"{bad!r} should get no answer; got {answers!r}")


def _with_id(bad: rs.Malformed, request_id: str) -> rs.Malformed:
    """``bad`` with its id replaced by ``request_id`` (so that injected frames never collide
    with the ids of the session), when it has one to replace."""
    if bad.request_id is None or bad.expect == "ignored":
        return bad
    frame = json.loads(bad.payload)
    frame["id"] = request_id
    payload = json.dumps(frame, separators=(",", ":")).encode()
    return dataclasses.replace(bad, payload=payload, request_id=request_id)


# =========================================================================== server side


class RelayServerMachine(RuleBasedStateMachine):
    """Plays the RELAY server against :attr:`client`, a :class:`RelayConnection` (see the
    module docstring). Override :meth:`on_event` (your handler) and, to configure the client,
    :meth:`make_client`. Time is :attr:`now` (simulated seconds); pass it to every command."""

    #: Contexts the client subscribes to (inbound calls arrive on the first one).
    contexts: tuple[str, ...] = ("office",)
    #: The client's inbound message limit, and the size of the oversized malformed frames.
    max_message_size = 64 * 1024

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0
        self.client = self.make_client()
        self.events: list[Event] = []  #: every event the client emitted
        self.calls: dict[str, str] = {}  #: live calls: call id -> node id
        self.gone: set[str] = set()  #: calls whose end the client acknowledged
        self.actions: dict[str, str] = {}  #: control id -> call id, from the client's requests
        self.pending: dict[str, ClientRequest] = {}  #: client requests not answered yet
        self.issued: dict[str, str] = {}  #: every request id the client sent -> method
        self.outcomes: Counter[str] = Counter()
        self._ending: dict[str, str] = {}  # event id -> call id of an "ended" state event
        self._replies: list[Any] = []  # frames the client sent in the current step
        self._reconnect_due = False
        self._server = self._new_server()
        self._count = 0
        self.client.start(self.now)
        self._pump()
        self._answer_connect(restored=False)

    # ---------------------------------------------------------------- hooks
    def make_client(self) -> RelayConnection:
        """The connection under test (override to configure it)."""
        return RelayConnection(
            project="p-1",
            token="PT-1",
            host="relay.test",
            contexts=list(self.contexts),
            id_factory=counter_ids("req"),
            rng=_Half(),
            max_message_size=self.max_message_size,
        )

    def on_event(self, event: Event) -> None:
        """Your handler: called with every event the client emits (issue commands on
        :attr:`client` with ``now=self.now``). The default does nothing."""

    # ---------------------------------------------------------------- plumbing
    def _new_server(self) -> RelayServerConnection:
        return RelayServerConnection(frame_observer=self._observe)

    def _observe(self, direction: str, text: str) -> None:
        if direction == "in":
            self._replies.append(_decode(text))

    def _pump(self) -> None:
        for _ in range(1000):
            up = self.client.data_to_send()
            if up:
                self._server.receive_data(up)
            down = self._server.data_to_send()
            if down:
                self._feed(down)
            self._collect()
            if not up and not down:
                return
        raise ProtocolViolation("the client and the server never went quiet")

    def _feed(self, data: bytes | None) -> None:
        with contextlib.suppress(RemoteProtocolError):  # a broken stream: TransportLost follows
            self.client.receive_data(data, self.now)

    def _collect(self) -> None:
        while (event := self.client.next_event()) is not None:
            self.events.append(event)
            if isinstance(event, ReconnectDue):
                self._reconnect_due = True
            if isinstance(event, _OUTCOMES):
                self.outcomes[event.request_id] += 1
                if self.outcomes[event.request_id] > 1:
                    raise ProtocolViolation(f"two outcomes for {event.request_id}: {event!r}")
            self.on_event(event)
        while (item := self._server.next_event()) is not None:
            if isinstance(item, ClientRequest):
                self._check_request(item)
            elif isinstance(item, ClientResponse):
                call_id = self._ending.pop(item.request_id, None)
                if call_id is not None:
                    self.gone.add(call_id)
            elif isinstance(item, FrameDropped) and item.request_id is not None:
                if str(item.request_id).startswith("inj-"):
                    continue  # the client's answer to an injected frame (checked there)
                raise ProtocolViolation(f"a second or unexpected reply: {item!r}")

    def _check_request(self, request: ClientRequest) -> None:
        params, method = request.params, request.method
        if not isinstance(request.request_id, str):
            raise ProtocolViolation(f"request id is not a string: {request!r}")
        if request.request_id in self.issued:
            raise ProtocolViolation(f"request id {request.request_id} used twice")
        self.issued[request.request_id] = method
        if method == "signalwire.ping":  # a server answers pings at once
            self._server.send_result(request.request_id, {})
            return
        self.pending[request.request_id] = request
        if method.startswith("calling.") and method != "calling.dial":
            call_id = params.get("call_id")
            if call_id not in self.calls and call_id not in self.gone:
                raise ProtocolViolation(f"{method} for a call never offered: {request!r}")
            if call_id in self.gone:
                raise ProtocolViolation(f"{method} for call {call_id} after it ended")
            control_id = params.get("control_id")
            if method in g.ACTION_METHODS and isinstance(control_id, str):
                self.actions[control_id] = call_id
            elif method.count(".") == 2 and control_id not in self.actions:
                raise ProtocolViolation(f"{method} for an action never started: {request!r}")

    def _answer_connect(self, *, restored: bool) -> None:
        request = self.pending.pop(self._last("signalwire.connect"), None)
        if request is None:
            raise ProtocolViolation("the client sent no signalwire.connect")
        result = {"protocol": _PROTOCOL, "identity": "id-1", "session_restored": restored}
        self._server.send_result(request.request_id, result)
        self._pump()

    def _last(self, method: str) -> str:
        ids = [rid for rid, r in self.pending.items() if r.method == method]
        return ids[-1] if ids else ""

    def _send_event(self, event_type: str, params: dict[str, Any]) -> str:
        event_id = self._server.send_event(event_type, params)
        if event_type == "calling.call.state" and params.get("call_state") == "ended":
            self._ending[event_id] = str(params.get("call_id"))
            self.calls.pop(str(params.get("call_id")), None)
        self._pump()
        return event_id

    def _advance(self, seconds: float) -> None:
        target = self.now + seconds
        while (deadline := self.client.next_deadline()) is not None and deadline <= target:
            self.now = max(self.now, deadline)
            self.client.handle_timeout(self.now)
            self._pump()
            if self._reconnect_due and not self.linked:
                self._reconnect()
        self.now = target

    @property
    def linked(self) -> bool:
        """Whether a transport is open between the client and the server."""
        return self._server.is_open

    def _reconnect(self) -> None:
        self._reconnect_due = False
        self._server = self._new_server()
        self.client.start(self.now)
        self._pump()
        self._answer_connect(restored=True)

    # ---------------------------------------------------------------- rules
    @precondition(lambda self: self.linked)
    @rule()
    def incoming_call(self) -> None:
        """A caller rings: ``calling.call.receive`` for a new call."""
        self._count += 1
        call_id, node_id = f"call-{self._count}", "node-1"
        self.calls[call_id] = node_id
        device = {
            "type": "phone",
            "params": {"from_number": "+15551230001", "to_number": "+15551230002"},
        }
        self._send_event(
            "calling.call.receive",
            {
                "call_id": call_id,
                "node_id": node_id,
                "call_state": "created",
                "direction": "inbound",
                "device": device,
                "context": self.contexts[0],
            },
        )

    @precondition(lambda self: self.linked and self.pending)
    @rule(data=st.data())
    def answer_request(self, data: st.DataObject) -> None:
        """The server answers one pending request: success, or an error."""
        request_id = data.draw(st.sampled_from(sorted(self.pending)), label="request")
        request = self.pending.pop(request_id)
        if data.draw(st.integers(0, 3), label="error?") == 0:
            code = data.draw(st.sampled_from([-32602, 404, -32000]), label="code")
            self._server.send_error(request_id, code, "refused")
        else:
            self._server.send_result(request_id, g.result_for(request.method, request.params))
        self._pump()

    @precondition(lambda self: self.linked and self.calls)
    @rule(data=st.data())
    def call_event(self, data: st.DataObject) -> None:
        """An event about a live call (any call-scoped type, valid params naming the call and,
        for action events, one of the actions the client started on it)."""
        call_id = data.draw(st.sampled_from(sorted(self.calls)), label="call")
        controls = tuple(sorted(c for c, owner in self.actions.items() if owner == call_id))
        pools = rs.Pools(
            call_ids=(call_id,),
            node_ids=(self.calls[call_id],),
            control_ids=controls or ("ctl-none",),
        )
        event_type = data.draw(st.sampled_from(_CALL_EVENTS), label="event type")
        params = data.draw(rs.event_params(event_type, pools), label="params")
        self._send_event(event_type, params)

    @precondition(lambda self: self.linked and self.calls)
    @rule(data=st.data())
    def caller_hangs_up(self, data: st.DataObject) -> None:
        """The far end hangs up: ``ending`` then ``ended``."""
        call_id = data.draw(st.sampled_from(sorted(self.calls)), label="call")
        base = {
            "call_id": call_id,
            "node_id": self.calls[call_id],
            "direction": "inbound",
            "end_reason": "hangup",
        }
        self._send_event("calling.call.state", {**base, "call_state": "ending"})
        self._send_event("calling.call.state", {**base, "call_state": "ended"})

    @precondition(lambda self: self.linked)
    @rule()
    def ping(self) -> None:
        """``signalwire.ping`` from the server."""
        self._server.send_ping()
        self._pump()

    @precondition(lambda self: self.linked)
    @rule(bad=rs.malformed_frames("client", limit=64 * 1024).filter(lambda m: m.expect != "close"))
    def malformed_frame(self, bad: rs.Malformed) -> None:
        """A near-valid or malformed frame: it must get its documented answer."""
        self._count += 1
        bad = _with_id(bad, f"inj-{self._count}")
        self._replies.clear()
        self._feed(ws_message(bad.payload, binary=bad.binary))
        self._pump()
        _check_expectation(bad, self._replies)
        if not self.linked or not self._server.is_open:
            raise ProtocolViolation(f"{bad!r} broke the connection")

    @rule(seconds=st.sampled_from([1.0, 5.0, 15.0, 31.0]))
    def time_passes(self, seconds: float) -> None:
        """Time passes (request timeouts, the client's pings, a due reconnect)."""
        self._advance(seconds)

    @precondition(lambda self: self.linked)
    @rule()
    def link_breaks(self) -> None:
        """The socket dies; the client reconnects later and the server resumes the session."""
        self._feed(None)
        self._collect()
        self.pending.clear()  # in flight on the dead socket: the client fails them (D5)
        self._server = self._new_server()
        if not any(isinstance(e, TransportLost) for e in self.events[-5:]):
            raise ProtocolViolation("EOF did not produce TransportLost")
        self._advance(40.0)

    # ---------------------------------------------------------------- invariants
    @invariant()
    def every_server_request_was_answered(self) -> None:
        """While linked and quiet, no event or ping waits for the client's reply."""
        if self.linked and self._server.unacked:
            raise ProtocolViolation(f"not answered: {dict(self._server.unacked)}")

    def teardown(self) -> None:
        """Let every deadline pass, then every request must have exactly one outcome."""
        if self.linked:
            for request_id, request in list(self.pending.items()):
                self._server.send_result(request_id, g.result_for(request.method, {}))
            self.pending.clear()
            self._pump()
        self._advance(300.0)
        missing = [
            rid
            for rid, method in self.issued.items()
            if method not in _NO_OUTCOME and self.outcomes[rid] != 1
        ]
        if missing:
            raise ProtocolViolation(f"requests without exactly one outcome: {missing}")


# =========================================================================== client side


class RelayClientMachine(RuleBasedStateMachine):
    """Plays a RELAY client against :attr:`server`, a :class:`RelayServerConnection` (see
    the module docstring). Override :meth:`on_request` (your server code; the default answers
    every request with a success result) and, to configure the server, :meth:`make_server`."""

    #: The server's inbound message limit, and the size of the oversized malformed frames.
    max_message_size = 64 * 1024

    def __init__(self) -> None:
        super().__init__()
        self.server = self.make_server()
        self.events: list[Event] = []  #: every event the server core reported
        self.received: list[Any] = []  #: every frame the server sent, decoded
        self.sent: dict[Any, str] = {}  #: request ids this client sent -> method
        self.replies: Counter[str] = Counter()  #: replies the server sent, by id (canonical)
        self._client = Transport(client=True)
        self._client.start("relay.test")
        self.server.receive_data(self._client.data_to_send())
        self._pump()
        self._count = 0
        connect = {
            "jsonrpc": "2.0",
            "id": "req-0",
            "method": "signalwire.connect",
            "params": {
                "version": {"major": 2, "minor": 0, "revision": 0},
                "agent": "relay-sansio-stateful",
                "event_acks": True,
                "authentication": {"project": "p-1", "token": "PT-1"},
            },
        }
        self._send(connect)

    # ---------------------------------------------------------------- hooks
    def make_server(self) -> RelayServerConnection:
        """The connection under test (override to configure it)."""
        return RelayServerConnection(max_message_size=self.max_message_size)

    def on_request(self, request: ClientRequest) -> None:
        """Your server code: called with every request the core reports. The default answers a
        method of the protocol with a success result (``code`` ``"200"``) and any other with
        -32601 (Method not found), as the service does."""
        if request.method not in g.REQUESTS:
            self.server.send_error(request.request_id, -32601, "Method not found")
            return
        self.server.send_result(request.request_id, g.result_for(request.method, request.params))

    def on_response(self, response: ClientResponse) -> None:
        """Called with every reply of the client to a server request. Does nothing by default."""

    # ---------------------------------------------------------------- plumbing
    def _pump(self) -> None:
        for _ in range(1000):
            busy = False
            while (event := self.server.next_event()) is not None:
                busy = True
                self.events.append(event)
                if isinstance(event, ClientRequest):
                    self.on_request(event)
                elif isinstance(event, ClientResponse):
                    self.on_response(event)
            down = self.server.data_to_send()
            if down:
                busy = True
                self._client.receive_data(down)
                for item in self._client.take_events():
                    if isinstance(item, str):
                        self._received(item)
            if not busy:
                return
        raise ProtocolViolation("the server never went quiet")

    def _received(self, text: str) -> None:
        frame = _decode(text)
        if not isinstance(frame, dict) or frame.get("jsonrpc") != "2.0":
            raise ProtocolViolation(f"not a JSON-RPC 2.0 object: {text[:200]!r}")
        self.received.append(frame)
        if "result" in frame or "error" in frame:
            if ("result" in frame) == ("error" in frame) or "id" not in frame:
                raise ProtocolViolation(f"a malformed reply: {text[:200]!r}")
            if "error" in frame:
                error = frame["error"]
                if not isinstance(error, dict) or type(error.get("code")) is not int:
                    raise ProtocolViolation(f"a malformed error object: {text[:200]!r}")
                if not isinstance(error.get("message"), str):
                    raise ProtocolViolation(f"an error without a message: {text[:200]!r}")
            key = json.dumps(frame["id"])
            if key in self.sent:
                self.replies[key] += 1
        elif not isinstance(frame.get("method"), str) or "id" not in frame:
            raise ProtocolViolation(f"a server request without method or id: {text[:200]!r}")

    def _send(self, frame: dict[str, Any]) -> None:
        if "method" in frame and "id" in frame:
            self.sent[json.dumps(frame["id"])] = frame["method"]
        self._send_payload(rs.encode(frame).encode("utf-8"))

    def _send_payload(self, payload: bytes, binary: bool = False) -> None:
        self.server.receive_data(ws_message(payload, binary=binary, masked=True))
        self._pump()

    # ---------------------------------------------------------------- rules
    @rule(
        frame=rs.requests(
            methods=[m for m in g.REQUESTS if m != "signalwire.connect"],
            ids=st.integers(1, 10**6).map(lambda n: f"c-{n}"),
        )
    )
    def send_request(self, frame: dict[str, Any]) -> None:
        """A valid request of any method (fresh id)."""
        self._count += 1
        frame["id"] = f"c-{self._count}"
        self._send(frame)

    @rule(bad=rs.malformed_frames("server", limit=64 * 1024).filter(lambda m: m.expect != "close"))
    def malformed_frame(self, bad: rs.Malformed) -> None:
        """A near-valid or malformed frame: it must get its documented answer."""
        mark = len(self.received)
        self._count += 1
        bad = _with_id(bad, f"c-{self._count}")  # fresh: answered exactly once
        if bad.expect == "answer":
            self.sent[json.dumps(bad.request_id)] = "near-valid"
            self._send_payload(bad.payload)
        else:
            self._send_payload(bad.payload, bad.binary)
            _check_expectation(bad, self.received[mark:])
        if not self.server.is_open:
            raise ProtocolViolation(f"{bad!r} closed the connection")

    @rule()
    def ack_server_requests(self) -> None:
        """The client ACKs everything the server asked."""
        for request_id in list(self.server.unacked):
            self._send({"jsonrpc": "2.0", "id": request_id, "result": {}})

    # ---------------------------------------------------------------- invariants
    @invariant()
    def every_request_answered_at_most_once(self) -> None:
        """No request id is answered twice."""
        twice = [rid for rid, n in self.replies.items() if n > 1]
        if twice:
            raise ProtocolViolation(f"answered more than once: {twice}")

    def teardown(self) -> None:
        """Every request the client sent got a reply (never two: the invariant)."""
        missing = [rid for rid in self.sent if not self.replies[rid]]
        if missing:
            raise ProtocolViolation(f"requests never answered: {missing}")
