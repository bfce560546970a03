"""Property tests: the domain never raises on network input, never drops an event silently, and
keeps its action bookkeeping consistent whatever order things happen in."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from relay_proto import (
    ActionCompleted,
    CallEvent,
    CallReceived,
    DialAnswered,
    DialFailed,
    Event,
    strategies,
)
from relay_proto import _grammar as grammar

from .test_domain_harness import ACTION_METHODS, Harness

EVENT_TYPES = [
    "calling.call.state",
    "calling.call.receive",
    "calling.call.dial",
    "calling.call.play",
    "calling.call.record",
    "calling.call.collect",
    "calling.call.detect",
    "calling.call.fax",
    "calling.call.tap",
    "calling.call.stream",
    "calling.call.pay",
    "calling.call.transcribe",
    "calling.call.ai",
    "calling.conference",
    "calling.error",
    "messaging.state",
    "messaging.receive",
    "calling.call.unknown",
    "",
]
CALL_IDS = ["c1", "c2", "leg1", "leg2"]
CONTROL_IDS = ["k1", "k2", "k3"]
TAGS = ["t1", "t2"]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def _pick(values: list[str]) -> st.SearchStrategy[Any]:
    # Mostly meaningful values, sometimes anything at all.
    return st.sampled_from(values) | json_values


# Event params from the protocol grammar (relay_proto._grammar, the one the shipped strategies
# and fuzz/ use), in the fuzzers' mode (keys missing, values of the wrong type), naming the ids
# of the harness; drawn independently of the envelope's event_type, so mismatches happen too.
POOLS = strategies.Pools(
    call_ids=tuple(CALL_IDS),
    node_ids=("n1",),
    control_ids=tuple(CONTROL_IDS),
    tags=tuple(TAGS),
    message_ids=("m1", "m2"),
    new_control_ids=tuple(CONTROL_IDS),
    new_tags=tuple(TAGS),
)
params_strategy = st.sampled_from(sorted(grammar.EVENTS)).flatmap(
    lambda event_type: strategies.from_spec(grammar.EVENTS[event_type], POOLS, wrong=True)
)
envelope_strategy = st.fixed_dictionaries(
    {"event_type": _pick(EVENT_TYPES)},
    optional={"params": params_strategy | json_values, "timestamp": json_values},
)


# derandomize: the same examples on every run (tests must be deterministic).
@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
    derandomize=True,
)
@given(st.lists(envelope_strategy, max_size=12))
def test_any_envelopes_each_give_at_least_one_event(envelopes: list[dict[str, Any]]) -> None:
    h = Harness(max_active_calls=2)
    h.receive_call("c1", "n1")
    h.domain.prepare_dial(
        tag="t1", devices=[[{}]], max_duration=None, dial_timeout=5, extra=None, now=h.now
    )
    h.start("play", "k1", call_id="c1")
    for envelope in envelopes:
        events = h.feed_envelope(envelope)
        assert events, envelope
        assert all(isinstance(e, Event) for e in events)
        h.now += 1


class DomainMachine(RuleBasedStateMachine):
    """Random interleavings of events, commands and request outcomes."""

    def __init__(self) -> None:
        super().__init__()
        self.h = Harness(max_active_calls=3)
        self.outgoing: list[Any] = []
        # (call_id, control_id) -> seq of the start still expecting a completion.
        self.started: dict[tuple[str, str], int] = {}
        # tag -> seq of the pending dial expecting an outcome.
        self.dials_open: dict[str, int] = {}

    def _collect(self, events: list[Event]) -> None:
        for e in events:
            if isinstance(e, ActionCompleted):
                key = (e.call_id, e.control_id)
                # An action completes exactly once per start.
                assert key in self.started, key
                del self.started[key]
            elif isinstance(e, DialAnswered | DialFailed):
                assert e.tag in self.dials_open, e
                del self.dials_open[e.tag]
            elif isinstance(e, CallEvent):
                info = self.h.domain.get_call(e.call_id)
                assert (info is None) == (e.call_state == "ended")
            elif isinstance(e, CallReceived):
                assert e.call.call_id

    @rule(envelope=envelope_strategy)
    def event(self, envelope: dict[str, Any]) -> None:
        events = self.h.feed_envelope(envelope)
        assert events
        self._collect(events)

    @rule(call_id=st.sampled_from(CALL_IDS))
    def inbound(self, call_id: str) -> None:
        self._collect(self.h.feed("calling.call.receive", call_id=call_id, node_id="n1"))

    @rule(
        call_id=st.sampled_from(CALL_IDS),
        control_id=st.sampled_from(CONTROL_IDS),
        kind=st.sampled_from(sorted(ACTION_METHODS)),
    )
    def start_action(self, call_id: str, control_id: str, kind: str) -> None:
        record = self.h.domain._calls.get(call_id)
        if record is not None and control_id in record.actions:
            return  # refused by design (tested elsewhere)
        self.started[(call_id, control_id)] = -1
        out = self.h.start(kind, control_id, call_id=call_id)
        if out is not None:
            self.started[(call_id, control_id)] = out.purpose.seq
            self.outgoing.append(out)
        self._collect(self.h.take())

    @precondition(lambda self: self.outgoing)
    @rule(
        index=st.integers(min_value=0),
        outcome=st.sampled_from(["ok", "empty", "404", "500", "timeout"]),
    )
    def reply(self, index: int, outcome: str) -> None:
        out = self.outgoing.pop(index % len(self.outgoing))
        d, now = self.h.domain, self.h.now
        if outcome == "ok":
            d.request_succeeded(out.purpose, {"code": "200"}, now)
        elif outcome == "empty":
            assert d.request_succeeded(out.purpose, {}, now)[1] == (out.method != "calling.dial")
        elif outcome == "404":
            gone = d.request_failed(out.purpose, 404, "gone", now)
            assert (gone is not None) == (out.method != "calling.dial")
        elif outcome == "500":
            assert d.request_failed(out.purpose, 500, "err", now) is None
        else:
            d.request_timed_out(out.purpose, now)
        # The request error is the outcome, of this start or dial only (ids may be reused).
        if out.method != "calling.dial" and outcome in ("500", "timeout"):
            key = (out.params["call_id"], out.params["control_id"])
            if self.started.get(key) == out.purpose.seq:
                del self.started[key]
        if out.method == "calling.dial" and outcome in ("404", "500", "timeout"):
            tag = out.params["tag"]
            if self.dials_open.get(tag) == out.purpose.seq:
                del self.dials_open[tag]
        self._collect(self.h.take())

    @rule(tag=st.sampled_from(TAGS))
    def dial(self, tag: str) -> None:
        if tag in self.h.domain._dials:
            return
        out = self.h.domain.prepare_dial(
            tag=tag, devices=[[{}]], max_duration=None, dial_timeout=3, extra=None, now=self.h.now
        )
        self.dials_open[tag] = out.purpose.seq
        self.outgoing.append(out)

    @rule(step=st.floats(min_value=0, max_value=4))
    def tick(self, step: float) -> None:
        self.h.now += step
        self.h.domain.handle_timeout(self.h.now)
        self._collect(self.h.take())

    @rule(resumed=st.booleans())
    def reconnect(self, resumed: bool) -> None:
        self.h.domain.transport_lost(self.h.now)
        self.h.domain.session_ready(resumed, self.h.now)
        self._collect(self.h.take())

    @invariant()
    def nothing_waits_forever(self) -> None:
        calls = self.h.domain._calls
        # Every start still expecting an outcome is registered on a tracked call (so its call's
        # end completes it), and every registered action is one of those starts.
        for (call_id, control_id), seq in self.started.items():
            record = calls.get(call_id)
            assert record is not None, (call_id, control_id)
            assert record.actions[control_id].seq == seq
        for call_id in CALL_IDS:
            record = calls.get(call_id)
            for control_id in record.actions if record is not None else ():
                assert (call_id, control_id) in self.started
        # Every dial expecting an outcome is pending, with a deadline.
        dials = self.h.domain._dials
        assert set(self.dials_open) == set(dials._pending)
        for tag, seq in self.dials_open.items():
            assert dials._pending[tag].seq == seq
        deadline = self.h.domain.next_deadline()
        assert (deadline is None) == (len(dials) == 0)
        self.h.domain.take_outgoing()


TestDomainMachine = DomainMachine.TestCase
TestDomainMachine.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
