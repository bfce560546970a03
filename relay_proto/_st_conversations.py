"""Whole valid RELAY conversations, as Hypothesis strategies (re-exported by
:mod:`relay_proto.strategies`; needs the ``fuzz`` extra).

A :class:`Conversation` is the ordered list of frames both peers exchange, each :class:`Step`
saying who sends it. Ids are deterministic and readable (``req-1``, ``evt-1``, ``call-1``,
``ctl-1``, ``tag-1``), so a shrunk counterexample reads like the examples of the protocol
reference. What varies: devices, media, the collect settings and the caller's input, the hangup
reason, the number of dial legs and the winner, and the order of the events that race each
other (events ahead of the response to the request that caused them, leg events of a parallel
dial interleaved, the dial outcome before the winner's ``answered`` state).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st

from . import _grammar as g

__all__ = [
    "Conversation",
    "Step",
    "conversations",
    "dial_conversations",
    "inbound_call_conversations",
    "reconnect_conversations",
]

Sender = Literal["client", "server"]
PROTOCOL = "signalwire_sig1_session1"


@dataclass(frozen=True)
class Step:
    """One frame sent by ``sender``; ``frame`` is ``None`` for a reconnect (the transport
    closes, the client opens a new one and sends ``signalwire.connect`` next)."""

    sender: Sender
    frame: dict[str, Any] | None

    def __repr__(self) -> str:
        arrow = "C->S" if self.sender == "client" else "S->C"
        if self.frame is None:
            return "-- reconnect --"
        return f"{arrow} {json.dumps(self.frame, separators=(',', ':'))}"


@dataclass(frozen=True)
class Conversation:
    """A named sequence of :class:`Step` (``repr`` prints one frame per line)."""

    name: str
    steps: tuple[Step, ...]

    def frames(self, sender: Sender) -> list[dict[str, Any]]:
        """The frames ``sender`` sends, in order (reconnects left out)."""
        return [s.frame for s in self.steps if s.sender == sender and s.frame is not None]

    def __repr__(self) -> str:
        body = "\n  ".join(repr(step) for step in self.steps)
        return f"Conversation({self.name!r}):\n  {body}"


class _Script:
    """Builds a conversation with sequential ids."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.requests = 0
        self.events = 0

    def request(self, method: str, params: dict[str, Any]) -> str:
        self.requests += 1
        request_id = f"req-{self.requests}"
        frame = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        self.steps.append(Step("client", frame))
        return request_id

    def result(self, request_id: str, result: dict[str, Any]) -> None:
        self.steps.append(Step("server", {"jsonrpc": "2.0", "id": request_id, "result": result}))

    def call(self, method: str, params: dict[str, Any]) -> None:
        """A request answered at once with its usual success result."""
        self.result(self.request(method, params), g.result_for(method, params))

    def event(self, event_type: str, params: dict[str, Any]) -> None:
        """An event and its ACK."""
        self.events += 1
        event_id = f"evt-{self.events}"
        envelope = {"event_type": event_type, "params": params}
        frame = {"jsonrpc": "2.0", "id": event_id, "method": "signalwire.event", "params": envelope}
        self.steps.append(Step("server", frame))
        self.steps.append(Step("client", {"jsonrpc": "2.0", "id": event_id, "result": {}}))

    def connect(self, connect: dict[str, Any], restored: bool = False) -> None:
        request_id = self.request("signalwire.connect", connect)
        self.result(
            request_id,
            {"protocol": PROTOCOL, "identity": "relay-identity-1", "session_restored": restored},
        )

    def done(self, name: str) -> Conversation:
        return Conversation(name, tuple(self.steps))


def _value(spec: g.Spec) -> st.SearchStrategy[Any]:
    from .strategies import from_spec

    strategy: st.SearchStrategy[Any] = from_spec(spec)
    return strategy


def _connect_params(draw: st.DrawFn, context: str) -> dict[str, Any]:
    params: dict[str, Any] = draw(_value(g.CONNECT_PARAMS))
    params["contexts"] = [context]
    return params


_CALL = {"call_id": "call-1", "node_id": "node-1"}


@st.composite
def _inbound(draw: st.DrawFn) -> Conversation:
    script = _Script()
    context = draw(st.sampled_from(["office", "support"]))
    script.connect(_connect_params(draw, context))
    device = draw(_value(g.DEVICE))
    receive = {**_CALL, "call_state": "created", "direction": "inbound", "device": device}
    script.event("calling.call.receive", {**receive, "context": context})
    script.call("calling.answer", dict(_CALL))
    script.event("calling.call.state", {**_CALL, "call_state": "answered", "direction": "inbound"})
    play = draw(st.lists(_value(g.MEDIA), min_size=1, max_size=2))
    collect = draw(_value(g.COLLECT))
    params = {**_CALL, "control_id": "ctl-1", "play": play, "collect": collect}
    request_id = script.request("calling.play_and_collect", params)
    action = {**_CALL, "control_id": "ctl-1"}
    race = draw(st.booleans())  # the first event overtakes the response
    if race:
        script.event("calling.call.play", {**action, "state": "playing"})
    script.result(request_id, g.result_for("calling.play_and_collect", params))
    if not race:
        script.event("calling.call.play", {**action, "state": "playing"})
    script.event("calling.call.play", {**action, "state": "finished"})
    collect_event = draw(_value(g.EVENTS["calling.call.collect"]))
    script.event("calling.call.collect", {**collect_event, **action})
    reason = draw(st.sampled_from(["hangup", "busy", "decline"]))
    script.call("calling.end", {**_CALL, "reason": reason})
    for state in ("ending", "ended"):
        ended = {**_CALL, "call_state": state, "direction": "inbound", "end_reason": reason}
        script.event("calling.call.state", ended)
    return script.done("inbound call: answer, prompt, collect, hangup")


def inbound_call_conversations() -> st.SearchStrategy[Conversation]:
    """An inbound call from connect to hangup: ``calling.call.receive``, answer, a
    ``play_and_collect`` prompt (its ``playing`` event may overtake the response), the
    caller's input, ``calling.end`` and the ``ending``/``ended`` states; every event ACKed."""
    return _inbound()


def _interleave(draw: st.DrawFn, queues: list[list[tuple[str, dict[str, Any]]]]) -> list[Any]:
    """Merge ``queues`` keeping each one's order; the drawn merge is the race."""
    merged: list[Any] = []
    queues = [list(q) for q in queues if q]
    while queues:
        index = draw(st.integers(0, len(queues) - 1))
        merged.append(queues[index].pop(0))
        queues = [q for q in queues if q]
    return merged


@st.composite
def _dial(draw: st.DrawFn) -> Conversation:
    script = _Script()
    script.connect(_connect_params(draw, "office"))
    legs = draw(st.lists(_value(g.DEVICE), min_size=1, max_size=3))
    params = {"tag": "tag-1", "devices": [legs]}
    request_id = script.request("calling.dial", params)
    answered = draw(st.booleans())
    winner = draw(st.integers(0, len(legs) - 1)) if answered else -1
    queues: list[list[Any]] = []
    for index, device in enumerate(legs):
        leg = {
            "call_id": f"call-leg-{index + 1}",
            "node_id": "node-1",
            "tag": "tag-1",
            "direction": "outbound",
            "device": device,
        }
        states = ["created", "ringing", "answered" if index == winner else "ended"]
        queue = [("calling.call.state", {**leg, "call_state": s}) for s in states]
        if index == winner:  # the outcome may overtake the winner's "answered" state
            call = {**{k: leg[k] for k in ("call_id", "node_id", "tag", "device")}}
            outcome = {"node_id": "node-1", "tag": "tag-1", "dial_state": "answered"}
            queue.insert(
                draw(st.integers(1, 2)),
                ("calling.call.dial", {**outcome, "call": {**call, "dial_winner": True}}),
            )
        queues.append(queue)
    merged: list[Any] = [("result", None), *_interleave(draw, queues)]
    # The response to calling.dial races the leg events: put it anywhere.
    position = draw(st.integers(0, len(merged) - 1))
    merged.insert(position, merged.pop(0))
    for kind, params_ in merged:
        if kind == "result":
            script.result(request_id, g.result_for("calling.dial", params))
        else:
            script.event(kind, params_)
    if not answered:
        script.event(
            "calling.call.dial", {"node_id": "node-1", "tag": "tag-1", "dial_state": "failed"}
        )
        return script.done("dial: every leg failed")
    leg = {"call_id": f"call-leg-{winner + 1}", "node_id": "node-1"}
    script.call("calling.end", {**leg, "reason": "hangup"})
    script.event(
        "calling.call.state",
        {**leg, "call_state": "ended", "direction": "outbound", "end_reason": "hangup"},
    )
    return script.done("dial: racing leg events, one winner")


def dial_conversations() -> st.SearchStrategy[Conversation]:
    """``calling.dial`` of one to three parallel legs: the legs' state events interleaved
    in any order, the dial's response anywhere among them, then the outcome (``answered``
    with a winner, which may overtake the winner's ``answered`` state, or ``failed``) and,
    when answered, a hangup of the winner."""
    return _dial()


@st.composite
def _reconnect(draw: st.DrawFn) -> Conversation:
    script = _Script()
    connect = _connect_params(draw, "office")
    script.connect(connect)
    script.event("signalwire.authorization.state", {"authorization_state": "QUJD:REVG"})
    device = draw(_value(g.DEVICE))
    receive = {**_CALL, "call_state": "created", "direction": "inbound", "device": device}
    script.event("calling.call.receive", {**receive, "context": "office"})
    script.call("calling.answer", dict(_CALL))
    script.steps.append(Step("client", None))
    resume = {**connect, "protocol": PROTOCOL, "authorization_state": "QUJD:REVG"}
    script.connect(resume, restored=True)
    # Events that happened while the client was away, then the caller hangs up.
    if draw(st.booleans()):
        script.event(
            "calling.call.state", {**_CALL, "call_state": "answered", "direction": "inbound"}
        )
    script.event(
        "calling.call.state",
        {
            **_CALL,
            "call_state": "ended",
            "direction": "inbound",
            "end_reason": draw(st.sampled_from(["hangup", "error"])),
        },
    )
    return script.done("reconnect: the session resumes, the call's events follow")


def reconnect_conversations() -> st.SearchStrategy[Conversation]:
    """A session with an answered call loses its transport and resumes it (``protocol`` and
    ``authorization_state`` sent back, ``session_restored: true``); the call's events that
    follow are delivered on the new transport."""
    return _reconnect()


def conversations() -> st.SearchStrategy[Conversation]:
    """Any of the conversations above."""
    return inbound_call_conversations() | dial_conversations() | reconnect_conversations()
