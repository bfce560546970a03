"""Hypothesis drives a client and a scriptable server through random interleavings of every
input the session knows: starts, connect results and rejections, requests and replies (good,
failing, malformed, late), events (some redelivered), pings both ways, server disconnects,
garbage, EOF, peer closes, socket failures, and time.

Invariants checked after every step and at the end:

* nothing but the documented exceptions escapes (no exception at all here: every input is legal);
* ``state`` is a SessionState; ``next_deadline`` is a float or None, and running the timeout
  it names always makes progress;
* every request the application issued gets exactly one outcome, at the latest at ``close``;
* every event delivery with an id is answered at most once per delivery, and every server
  request the client saw while its transport was up is answered.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from relay_proto import (
    ClientRequest,
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    SessionState,
)

from .helpers import FakeRandom, Pair

STATES = {
    SessionState.IDLE,
    SessionState.CONNECTING,
    SessionState.AUTHENTICATING,
    SessionState.READY,
    SessionState.DISCONNECTED,
    SessionState.CLOSING,
    SessionState.CLOSED,
}

GARBAGE = [
    "nope",
    "[]",
    "{}",
    '{"id":"zz","result":{}}',
    '{"id":"e","method":"signalwire.event","params":5}',
    '{"id":"u","method":"vendor.x"}',
    '{"jsonrpc":"2.0","id":"e9","method":"signalwire.event","params":{"event_type":""}}',
]


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.pair = Pair(rng=FakeRandom(0.1, 0.9, 0.5), max_offline_queue=5, request_timeout=10)
        self.issued: list[str] = []
        self.answered: set[Any] = set()
        self.closed = False

    # ---------------------------------------------------------------- helpers
    @property
    def state(self) -> str:
        return self.pair.client.state

    def pending_server_side(self) -> list[ClientRequest]:
        handled = self.answered
        return [
            r
            for r in self.pair.requests()
            if r.request_id not in handled and r.method != "signalwire.connect"
        ]

    # ---------------------------------------------------------------- rules
    @initialize(connect_first=st.booleans())
    def setup(self, connect_first: bool) -> None:
        # Half the runs start from a healthy session, after which rejections are never final
        # and the client keeps coming back: that is where most of the interleavings live.
        if connect_first:
            self.pair.connect()

    @precondition(lambda self: self.state in (SessionState.IDLE, SessionState.DISCONNECTED))
    @rule()
    def start(self) -> None:
        self.pair.new_server()
        self.answered = set()
        self.pair.start()

    @precondition(lambda self: self.state in (SessionState.IDLE, SessionState.DISCONNECTED))
    @rule(roll=st.integers(0, 2))
    def socket_fails(self, roll: int) -> None:
        if roll:
            self.start()
            return
        self.pair.client.connect_failed(self.pair.now, "refused")
        self.pair.collect()

    @precondition(lambda self: self.state == SessionState.AUTHENTICATING)
    @rule(roll=st.integers(0, 4), resume=st.booleans())
    def answer_connect(self, roll: int, resume: bool) -> None:
        accept = roll > 0  # mostly: three rejections before a success close the client
        request = self.pair.expect_request("signalwire.connect")
        self.answered.add(request.request_id)
        if accept:
            result = {"protocol": "p-1" if resume else f"p-{self.pair.now}", "identity": "i"}
            self.pair.server.send_result(request.request_id, result)
        else:
            self.pair.server.send_error(request.request_id, -32000, "denied")
        self.pair.pump()

    @rule(method=st.sampled_from(["calling.answer", "signalwire.receive", "m"]))
    def execute(self, method: str) -> None:
        if method == "signalwire.receive":
            started = self.pair.client.receive(["ctx"], now=self.pair.now)
            assert started.request_id is not None
            self.issued.append(started.request_id)
        else:
            self.issued.append(self.pair.client.execute(method, {}, now=self.pair.now))
        self.pair.pump()

    @precondition(lambda self: self.pair.server.is_open)
    @rule(data=st.data(), how=st.sampled_from(["ok", "code", "error", "raw", "twice"]))
    def reply(self, data: st.DataObject, how: str) -> None:
        pending = self.pending_server_side()
        if not pending:
            return
        request = data.draw(st.sampled_from(pending))
        self.answered.add(request.request_id)
        server = self.pair.server
        if how == "ok":
            server.send_result(request.request_id, {"code": "200"})
        elif how == "code":
            server.send_result(request.request_id, {"code": "404", "message": "gone"})
        elif how == "error":
            server.send_error(request.request_id, -32603, "internal")
        elif how == "raw":
            server.send_raw_text(f'{{"jsonrpc":"2.0","id":"{request.request_id}","result":7}}')
        else:
            server.send_result(request.request_id, {})
            server.send_result(request.request_id, {})
        self.pair.pump()

    @precondition(lambda self: self.pair.server.is_open)
    @rule(
        event_type=st.sampled_from(
            ["x.custom", "calling.call.play", "signalwire.authorization.state"]
        ),
        event_id=st.sampled_from([None, "dup-1", "dup-2"]),
    )
    def event(self, event_type: str, event_id: str | None) -> None:
        self.pair.server.send_event(
            event_type, {"authorization_state": "a:b", "call_id": "c"}, event_id=event_id
        )
        self.pair.pump()

    @precondition(lambda self: self.pair.server.is_open)
    @rule(kind=st.sampled_from(["ping", "disconnect", "restart"]), text=st.sampled_from(GARBAGE))
    def server_talks(self, kind: str, text: str) -> None:
        server = self.pair.server
        if kind == "ping":
            server.send_ping()
        else:
            server.send_disconnect(restart=kind == "restart")
        server.send_raw_text(text)
        self.pair.pump()

    @precondition(lambda self: self.pair.server.is_open)
    @rule(how=st.integers(0, 3))
    def link_ends(self, how: int) -> None:
        if how > 1:
            return  # keep healthy links around for a while
        if how:
            self.pair.drop_transport()
        else:
            self.pair.server.close(1001)
            self.pair.pump()

    @rule(seconds=st.sampled_from([0.0, 0.5, 1.0, 3.0, 9.99, 10.0, 31.0, 65.0]))
    def time_passes(self, seconds: float) -> None:
        self.pair.advance(seconds)

    @rule()
    def run_due_timeout(self) -> None:
        deadline = self.pair.client.next_deadline()
        if deadline is None:
            return
        self.pair.now = max(self.pair.now, deadline)
        self.pair.client.handle_timeout(self.pair.now)
        self.pair.pump()
        later = self.pair.client.next_deadline()
        assert later is None or later > deadline or later > self.pair.now - 1e-9

    @precondition(lambda self: not self.closed)
    @rule(roll=st.integers(0, 9))
    def close(self, roll: int) -> None:
        if roll:
            return  # closing ends everything: keep it rare so the other rules get a chance
        self.closed = True
        self.pair.client.close(self.pair.now)
        self.pair.pump()

    # ---------------------------------------------------------------- invariants
    @invariant()
    def sane(self) -> None:
        assert self.state in STATES
        deadline = self.pair.client.next_deadline()
        assert deadline is None or isinstance(deadline, float)
        assert self.pair.client_errors == []
        # No request has two outcomes.
        outcomes = [
            e.request_id
            for e in self.pair.client_events
            if isinstance(e, RequestSucceeded | RequestFailed | RequestTimedOut)
        ]
        assert len(outcomes) == len(set(outcomes))
        if self.closed:
            assert self.state in (SessionState.CLOSING, SessionState.CLOSED)

    def teardown(self) -> None:
        pair = self.pair
        pair.client.close(pair.now)
        pair.pump()
        pair.advance(10.0)
        assert pair.client.state == SessionState.CLOSED
        outcomes = [
            e.request_id
            for e in pair.client_events
            if isinstance(e, RequestSucceeded | RequestFailed | RequestTimedOut)
        ]
        assert sorted(set(self.issued)) == sorted(set(self.issued) & set(outcomes))
        assert pair.client.next_deadline() is None


SessionMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_session_machine = SessionMachine.TestCase
