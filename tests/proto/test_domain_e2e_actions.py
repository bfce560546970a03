"""The completion rule of every action kind, end to end: a RelayConnection and a scriptable
server back to back (tests/proto/helpers.py). Each case starts the action with
``call_command`` and a :mod:`relay_proto.commands` builder, has the server accept it with its
control id, then sends events: those that must not complete the action (progress, other event
types sharing the control id, partial results), the terminal one, and what may follow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from relay_proto import (
    ActionCompleted,
    CallCommand,
    CallEvent,
    CallReceived,
    Event,
    RequestSucceeded,
    commands,
)

from .helpers import Pair

_Frame = tuple[str, dict[str, Any]]

PLAY = "calling.call.play"
RECORD = "calling.call.record"
COLLECT = "calling.call.collect"
DETECT = "calling.call.detect"
FAX = "calling.call.fax"
TAP = "calling.call.tap"
STREAM = "calling.call.stream"
PAY = "calling.call.pay"
TRANSCRIBE = "calling.call.transcribe"
AI = "calling.call.ai"

DIGITS = {"type": "digit", "params": {"digits": "2", "terminator": "#"}}
SPEECH = {"type": "speech", "params": {"text": "sales", "confidence": 0.9}}
HUMAN = {"type": "machine", "params": {"event": "HUMAN"}}
TAP_OBJ = {"type": "audio", "params": {"direction": "listen"}}
RTP = {"type": "rtp", "params": {"addr": "10.0.0.1", "port": 5000}}


@dataclass(frozen=True)
class Case:
    """One action kind and a scenario of events for it."""

    build: Callable[[], CallCommand]
    method: str
    terminal: _Frame
    before: list[_Frame] = field(default_factory=list)  # must not complete it
    after: list[_Frame] = field(default_factory=list)  # arrive once it is complete


def _play() -> CallCommand:
    return commands.play_tts("Hello")


def _record() -> CallCommand:
    return commands.record({"beep": True, "format": "wav"})


def _prompt() -> CallCommand:
    return commands.prompt_tts("Press 2", {"digits": {"max": 1}, "speech": {}})


def _collect() -> CallCommand:
    return commands.collect(speech={"language": "en-US"}, partial_results=True)


def _send_fax() -> CallCommand:
    return commands.send_fax("https://docs.example.com/f.pdf")


def _pay() -> CallCommand:
    return commands.pay("https://pay.example.com/connector", charge_amount="9.99")


CASES: dict[str, Case] = {
    # ------------------------------------------------------------ play
    "play-finished": Case(
        _play,
        "calling.play",
        (PLAY, {"state": "finished"}),
        before=[(PLAY, {"state": "playing"}), (PLAY, {"state": "paused"})],
    ),
    "play-error": Case(_play, "calling.play", (PLAY, {"state": "error"})),
    # ------------------------------------------------------------ record
    "record-finished": Case(
        _record,
        "calling.record",
        (RECORD, {"state": "finished", "url": "https://r.example.com/1.wav", "duration": 4}),
        before=[
            (RECORD, {"state": "recording"}),
            (RECORD, {"state": "paused"}),
            (PLAY, {"state": "finished"}),  # another kind's terminal event type (D12)
        ],
    ),
    "record-no_input": Case(_record, "calling.record", (RECORD, {"state": "no_input"})),
    # ------------------------------------------------------------ play_and_collect
    "play_and_collect-digits": Case(
        _prompt,
        "calling.play_and_collect",
        (COLLECT, {"result": DIGITS, "final": True}),
        before=[
            # The prompt's play events share the control id and never complete it.
            (PLAY, {"state": "playing"}),
            (PLAY, {"state": "finished"}),
            (PLAY, {"state": "error"}),
            # A partial result (final: false) is interim only.
            (COLLECT, {"result": SPEECH, "final": False}),
        ],
        after=[(COLLECT, {"result": DIGITS, "final": True})],
    ),
    "play_and_collect-no_input": Case(
        _prompt,
        "calling.play_and_collect",
        (COLLECT, {"state": "no_input"}),
        before=[(PLAY, {"state": "finished"})],
    ),
    # ------------------------------------------------------------ collect
    "collect-speech": Case(
        _collect,
        "calling.collect",
        (COLLECT, {"result": SPEECH, "final": True}),
        before=[
            (COLLECT, {"result": SPEECH, "final": False}),
            (COLLECT, {"result": SPEECH, "final": False, "state": "finished"}),
            (COLLECT, {"state": "collecting"}),
            (PLAY, {"state": "finished"}),
        ],
    ),
    "collect-no_match": Case(_collect, "calling.collect", (COLLECT, {"state": "no_match"})),
    "collect-result-without-final": Case(
        _collect, "calling.collect", (COLLECT, {"result": DIGITS})
    ),
    # ------------------------------------------------------------ detect
    "detect-first-result": Case(
        commands.detect_answering_machine,
        "calling.detect",
        (DETECT, {"detect": HUMAN}),
        before=[(DETECT, {"detect": {}}), (PLAY, {"state": "finished"})],
        # Later results only reach listeners (spec 9.9).
        after=[
            (DETECT, {"detect": {"type": "machine", "params": {"event": "READY"}}}),
            (DETECT, {"state": "finished"}),
        ],
    ),
    "detect-digit": Case(
        lambda: commands.detect_digit(digits="12"),
        "calling.detect",
        (DETECT, {"detect": {"type": "digit", "params": {"event": "1"}}}),
    ),
    "detect-state-finished": Case(
        lambda: commands.detect_fax(tone="CED"), "calling.detect", (DETECT, {"state": "finished"})
    ),
    # ------------------------------------------------------------ fax (D13: both shapes)
    "send_fax-fax.type": Case(
        _send_fax,
        "calling.send_fax",
        (FAX, {"fax": {"type": "finished", "params": {"success": True, "pages": "2"}}}),
        before=[(FAX, {"fax": {"type": "page", "params": {"pages": "1"}}})],
    ),
    "send_fax-state": Case(
        _send_fax,
        "calling.send_fax",
        (FAX, {"state": "finished"}),
        before=[(FAX, {"fax": {"type": "page"}})],
    ),
    "receive_fax-fax.type": Case(
        commands.receive_fax,
        "calling.receive_fax",
        (FAX, {"fax": {"type": "error", "params": {"result_text": "busy"}}}),
        before=[(FAX, {"fax": {"type": "page"}})],
    ),
    "receive_fax-state": Case(
        commands.receive_fax, "calling.receive_fax", (FAX, {"state": "error"})
    ),
    # ------------------------------------------------------------ tap and stream
    "tap": Case(
        lambda: commands.tap(TAP_OBJ, RTP),
        "calling.tap",
        (TAP, {"state": "finished", "tap": TAP_OBJ, "device": RTP}),
        before=[(TAP, {"state": "tapping"}), (STREAM, {"state": "finished"})],
    ),
    "stream-finished": Case(
        lambda: commands.stream("wss://stream.example.com/a", name="s1"),
        "calling.stream",
        (STREAM, {"state": "finished", "name": "s1"}),
        before=[(STREAM, {"state": "streaming", "name": "s1"}), (TAP, {"state": "finished"})],
    ),
    "stream-error": Case(
        lambda: commands.stream("wss://stream.example.com/a"),
        "calling.stream",
        (STREAM, {"state": "error"}),
    ),
    # ------------------------------------------------------------ pay
    "pay-finished": Case(
        _pay,
        "calling.pay",
        (PAY, {"state": "finished"}),
        before=[(PAY, {"state": "collecting"}), (PLAY, {"state": "finished"})],
    ),
    "pay-error": Case(_pay, "calling.pay", (PAY, {"state": "error"})),
    # ------------------------------------------------------------ transcribe
    "transcribe": Case(
        commands.transcribe,
        "calling.transcribe",
        (TRANSCRIBE, {"state": "finished", "url": "https://t.example.com/1", "duration": 3}),
        before=[(TRANSCRIBE, {"state": "transcribing"}), (TRANSCRIBE, {"state": "error"})],
    ),
    # ------------------------------------------------------------ ai
    "ai-finished": Case(
        lambda: commands.ai(prompt={"text": "You are helpful."}),
        "calling.ai",
        (AI, {"state": "finished"}),
        before=[(AI, {"state": "listening"}), (PLAY, {"state": "finished"})],
    ),
    "ai-error": Case(commands.ai, "calling.ai", (AI, {"state": "error"})),
}

CALL = {"call_id": "call-1", "node_id": "node-1"}


def _send(pair: Pair, frame: _Frame, control_id: str) -> list[Event]:
    event_type, params = frame
    pair.take_client_events()
    pair.event(event_type, {**CALL, "control_id": control_id, **params})
    return pair.take_client_events()


def _started_action(case: Case) -> tuple[Pair, str]:
    pair = Pair()
    pair.connect()
    pair.event(
        "calling.call.receive",
        {**CALL, "call_state": "answered", "context": "office", "direction": "inbound"},
    )
    assert pair.client_events_of(CallReceived)
    started = pair.client.call_command("call-1", case.build(), now=pair.now)
    pair.pump()
    control_id = started.control_id
    assert control_id
    request = pair.expect_request(case.method)
    assert (request.params["call_id"], request.params["control_id"]) == ("call-1", control_id)
    pair.take_client_events()
    pair.reply(case.method, {"code": "200", "message": "OK", "control_id": control_id})
    [accepted] = pair.take_client_events()
    assert isinstance(accepted, RequestSucceeded) and not accepted.call_gone
    return pair, control_id


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_action_completes_on_its_own_terminal_event_only(case: Case) -> None:
    pair, control_id = _started_action(case)
    for frame in case.before:
        assert [type(e) for e in _send(pair, frame, control_id)] == [CallEvent], frame
    # The terminal event of another action on the same call completes nothing here.
    assert [type(e) for e in _send(pair, case.terminal, "someone-else")] == [CallEvent]
    call_event, completed = _send(pair, case.terminal, control_id)
    assert isinstance(call_event, CallEvent)
    assert call_event.event.event_type == case.terminal[0]
    assert completed == ActionCompleted(
        call_id="call-1", control_id=control_id, event=call_event.event, reason="event"
    )
    for frame in case.after:
        assert [type(e) for e in _send(pair, frame, control_id)] == [CallEvent], frame
    # Complete, so unregistered: the call's end completes nothing more.
    ended = _send(pair, ("calling.call.state", {"call_state": "ended"}), control_id)
    assert [type(e) for e in ended] == [CallEvent]


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_action_pending_when_the_call_ends_completes_call_ended(case: Case) -> None:
    pair, control_id = _started_action(case)
    for frame in case.before:
        _send(pair, frame, control_id)
    call_event, completed = _send(
        pair, ("calling.call.state", {"call_state": "ended", "end_reason": "hangup"}), control_id
    )
    assert isinstance(call_event, CallEvent) and call_event.call_state == "ended"
    assert completed == ActionCompleted(
        call_id="call-1", control_id=control_id, event=call_event.event, reason="call_ended"
    )


def test_every_action_kind_has_a_case() -> None:
    kinds = {case.build().action for case in CASES.values()}
    assert kinds == set(commands.ACTION_KINDS)
