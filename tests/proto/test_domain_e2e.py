"""End to end through the core: a RelayConnection and a RelayServerConnection back to back, in
memory. Checks what the domain does as the wire and the application see it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relay_proto import (
    ActionCompleted,
    CallCommand,
    CallEvent,
    CallOverflow,
    CallPassed,
    CallReceived,
    ClientRequest,
    ClientResponse,
    DialAnswered,
    DialFailed,
    DialLegCreated,
    Event,
    EventIgnored,
    MessageStateChanged,
    OrphanHungUp,
    RelayEvent,
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    SessionReady,
    commands,
    counter_ids,
    kept_device,
    parse_event,
)
from relay_proto._connection import RelayConnection
from relay_proto._server import RelayServerConnection

from .helpers import Pair

PROTOCOL = "signalwire_e2e"
DEV = {"type": "phone", "params": {"from_number": "+1000", "to_number": "+1001"}}


class Wire:
    """A client and a server connected in memory, with a clock and the events of each side."""

    def __init__(self, **client_kw: Any) -> None:
        self.now = 100.0
        self.client = RelayConnection(
            project="proj",
            token="tok",
            host="relay.test",
            contexts=["office"],
            id_factory=counter_ids("c"),
            **client_kw,
        )
        self.server = RelayServerConnection()
        self.client_events: list[Event] = []
        self.server_events: list[Event] = []
        self.client.start(self.now)
        self.pump()
        connect = self.request("signalwire.connect")
        self.server.send_result(connect.request_id, {"protocol": PROTOCOL, "identity": "id"})
        self.pump()
        assert any(isinstance(e, SessionReady) for e in self.take_client())

    def pump(self) -> None:
        for _ in range(100):
            moved = False
            data = self.client.data_to_send()
            if data:
                self.server.receive_data(data)
                moved = True
            data = self.server.data_to_send()
            if data:
                self.client.receive_data(data, self.now)
                moved = True
            while (ev := self.client.next_event()) is not None:
                self.client_events.append(ev)
            while (sev := self.server.next_event()) is not None:
                self.server_events.append(sev)
            if not moved:
                return
        raise AssertionError("the two sides never went quiet")

    def take_client(self) -> list[Event]:
        out, self.client_events = self.client_events, []
        return out

    def requests(self) -> list[ClientRequest]:
        """Client requests the server received since the last call (ACKs etc. are dropped)."""
        out = [e for e in self.server_events if isinstance(e, ClientRequest)]
        self.server_events = []
        return out

    def request(self, method: str) -> ClientRequest:
        matching = [r for r in self.requests() if r.method == method]
        assert len(matching) == 1, matching
        return matching[0]

    def event(self, event_type: str, **params: Any) -> list[Event]:
        """Push a signalwire.event; return the client events it caused (ACK checked)."""
        event_id = self.server.send_event(event_type, params)
        self.pump()
        acks = [
            e
            for e in self.server_events
            if isinstance(e, ClientResponse) and e.request_id == event_id
        ]
        assert len(acks) == 1 and acks[0].result == {}
        self.server_events = [e for e in self.server_events if e not in acks]
        return self.take_client()

    def inbound_call(self, call_id: str = "call-1") -> None:
        [ev] = self.event(
            "calling.call.receive",
            call_id=call_id,
            node_id="node-1",
            call_state="created",
            context="office",
            direction="inbound",
            device=DEV,
        )
        assert isinstance(ev, CallReceived)

    def reply(self, request: ClientRequest, result: dict[str, Any]) -> list[Event]:
        self.server.send_result(request.request_id, result)
        self.pump()
        return self.take_client()


@pytest.fixture
def wire() -> Wire:
    return Wire()


def test_inbound_call_answer_and_play(wire: Wire) -> None:
    wire.inbound_call()
    assert wire.client.get_call("call-1") is not None
    started = wire.client.call_command("call-1", CallCommand(method="calling.answer"), now=wire.now)
    wire.pump()
    answer = wire.request("calling.answer")
    assert answer.params == {"node_id": "node-1", "call_id": "call-1"}
    [ok] = wire.reply(answer, {"code": "200", "message": "Answered"})
    assert isinstance(ok, RequestSucceeded) and ok.request_id == started.request_id
    play = CallCommand(
        method="calling.play",
        params={"play": [{"type": "silence", "params": {"duration": 1}}]},
        action="play",
        uses_control_id=True,
        control_id="ctl-1",
    )
    started = wire.client.call_command("call-1", play, now=wire.now)
    assert started.control_id == "ctl-1"
    wire.pump()
    request = wire.request("calling.play")
    assert request.params["control_id"] == "ctl-1"
    # The terminal event races ahead of the reply: the action was registered before sending.
    events = wire.event(
        "calling.call.play",
        call_id="call-1",
        node_id="node-1",
        control_id="ctl-1",
        state="finished",
    )
    assert [type(e) for e in events] == [CallEvent, ActionCompleted]
    [ok] = wire.reply(request, {"code": "200", "message": "Playing", "control_id": "ctl-1"})
    assert isinstance(ok, RequestSucceeded) and not ok.call_gone


@pytest.mark.parametrize("how", ["404", "410", "empty"])
def test_action_start_call_gone(wire: Wire, how: str) -> None:
    wire.inbound_call()
    record = CallCommand(
        method="calling.record",
        params={"record": {"audio": {}}},
        action="record",
        uses_control_id=True,
    )
    started = wire.client.call_command("call-1", record, now=wire.now)
    assert started.control_id  # generated by the connection
    wire.pump()
    request = wire.request("calling.record")
    if how == "empty":
        events = wire.reply(request, {})
    else:
        wire.server.send_error(request.request_id, int(how), "Call not found")
        wire.pump()
        events = wire.take_client()
    gone = [e for e in events if isinstance(e, ActionCompleted)]
    ok = [e for e in events if isinstance(e, RequestSucceeded)]
    assert len(gone) == 1 and gone[0].reason == "call_gone"
    assert gone[0].control_id == started.control_id
    assert len(ok) == 1 and ok[0].call_gone and ok[0].result == {}


def test_action_start_other_failure(wire: Wire) -> None:
    wire.inbound_call()
    play = CallCommand(
        method="calling.play", params={"play": []}, action="play", uses_control_id=True
    )
    started = wire.client.call_command("call-1", play, now=wire.now)
    wire.pump()
    request = wire.request("calling.play")
    [failed] = wire.reply(request, {"code": "500", "message": "boom"})
    assert isinstance(failed, RequestFailed) and failed.code == 500
    # Unregistered: the call's end completes nothing.
    events = wire.event("calling.call.state", call_id="call-1", call_state="ended")
    assert [type(e) for e in events] == [CallEvent]
    assert started.control_id


def test_call_end_completes_pending_actions_and_later_commands(wire: Wire) -> None:
    wire.inbound_call()
    play = CallCommand(
        method="calling.play",
        params={"play": []},
        action="play",
        uses_control_id=True,
        control_id="p",
    )
    wire.client.call_command("call-1", play, now=wire.now)
    wire.pump()
    wire.reply(wire.request("calling.play"), {"code": "200", "message": "ok"})
    events = wire.event(
        "calling.call.state", call_id="call-1", call_state="ended", end_reason="hangup"
    )
    assert [type(e) for e in events] == [CallEvent, ActionCompleted]
    assert events[1].reason == "call_ended"  # type: ignore[attr-defined]
    assert wire.client.get_call("call-1") is None
    # A new action on the ended call: nothing on the wire, both outcomes at once.
    play2 = CallCommand(
        method="calling.play",
        params={"play": []},
        action="play",
        uses_control_id=True,
        control_id="p2",
    )
    wire.client.call_command("call-1", play2, now=wire.now)
    wire.pump()
    assert wire.requests() == []
    events = wire.take_client()
    assert {type(e) for e in events} == {ActionCompleted, RequestSucceeded}


def test_overflow_is_passed_back_on_the_wire() -> None:
    wire = Wire(max_active_calls=1)
    wire.inbound_call("a")
    [ev] = wire.event("calling.call.receive", call_id="b", node_id="node-2", context="office")
    assert isinstance(ev, CallOverflow)
    passed = wire.request("calling.pass")
    assert passed.params == {"node_id": "node-2", "call_id": "b"}


def test_dial_legs_winner_and_orphan(wire: Wire) -> None:
    started = wire.client.dial([[DEV]], now=wire.now, tag="tag-1", dial_timeout=30)
    assert started.tag == "tag-1"
    wire.pump()
    request = wire.request("calling.dial")
    assert request.params == {"tag": "tag-1", "devices": [[DEV]]}
    wire.reply(request, {"code": "200", "message": "Dialing"})
    events = wire.event(
        "calling.call.state",
        call_id="leg",
        node_id="n",
        tag="tag-1",
        call_state="created",
        direction="outbound",
        device=DEV,
    )
    assert [type(e) for e in events] == [DialLegCreated, CallEvent]
    [answered] = wire.event(
        "calling.call.dial",
        tag="tag-1",
        node_id="n",
        dial_state="answered",
        call={"call_id": "leg", "node_id": "n", "dial_winner": True},
    )
    assert isinstance(answered, DialAnswered) and answered.call.call_id == "leg"

    # A second dial times out; its late answer is hung up by the core.
    wire.client.dial([[DEV]], now=wire.now, tag="tag-2", dial_timeout=5)
    wire.pump()
    wire.reply(wire.request("calling.dial"), {"code": "200", "message": "Dialing"})
    wire.now += 5
    wire.client.handle_timeout(wire.now)
    wire.pump()
    [failed] = [e for e in wire.take_client() if isinstance(e, DialFailed)]
    assert failed.timed_out and failed.message == "Dial timed out waiting for answer (tag=tag-2)"
    [orphan] = wire.event(
        "calling.call.dial",
        tag="tag-2",
        node_id="n",
        dial_state="answered",
        call={"call_id": "late", "node_id": "n"},
    )
    assert orphan == OrphanHungUp(tag="tag-2", call_id="late")
    end = wire.request("calling.end")
    assert end.params == {"node_id": "n", "call_id": "late", "reason": "hangup"}


def test_dial_failed(wire: Wire) -> None:
    wire.client.dial([[DEV]], now=wire.now, tag="t")
    wire.pump()
    wire.reply(wire.request("calling.dial"), {"code": "200", "message": "Dialing"})
    [failed] = wire.event("calling.call.dial", tag="t", dial_state="failed")
    assert isinstance(failed, DialFailed) and failed.message == "Dial failed (tag=t)"


def test_messaging(wire: Wire) -> None:
    started = wire.client.send_message(
        now=wire.now, to_number="+1002", from_number="+1001", body="hello"
    )
    wire.pump()
    request = wire.request("messaging.send")
    assert request.params["context"] == PROTOCOL
    [ok] = wire.reply(request, {"code": "200", "message": "Message accepted", "message_id": "m1"})
    assert isinstance(ok, RequestSucceeded) and ok.request_id == started.request_id
    [sent] = wire.event("messaging.state", message_id="m1", message_state="sent")
    assert isinstance(sent, MessageStateChanged) and not sent.terminal
    [done] = wire.event("messaging.state", message_id="m1", message_state="delivered")
    assert isinstance(done, MessageStateChanged) and done.terminal
    [late] = wire.event("messaging.state", message_id="m1", message_state="delivered")
    assert type(late).__name__ == "EventIgnored"


def test_frames_are_compact_json(wire: Wire) -> None:
    # The domain's params survive the trip unchanged.
    wire.inbound_call()
    cmd = CallCommand(method="calling.user_event", params={"event": "x", "nested": {"a": [1]}})
    wire.client.call_command("call-1", cmd, now=wire.now)
    wire.pump()
    request = wire.request("calling.user_event")
    assert json.dumps(request.params, sort_keys=True) == json.dumps(
        {"node_id": "node-1", "call_id": "call-1", "event": "x", "nested": {"a": [1]}},
        sort_keys=True,
    )


# --------------------------------------------------------------------------- transport loss
# Through the session engineer's Pair (tests/proto/helpers.py), which can reconnect.

RESUMED = {"protocol": "signalwire_proto-1", "identity": "identity-1", "session_restored": True}
FRESH = {"protocol": "signalwire_proto-2", "identity": "identity-1"}


def _dialled_pair(*, accepted: bool) -> tuple[Pair, str | None]:
    pair = Pair()
    pair.connect()
    started = pair.client.dial([[DEV]], now=pair.now, tag="t")
    pair.pump()
    if accepted:
        pair.reply("calling.dial", {"code": "200", "message": "Dialing"})
    pair.take_client_events()
    return pair, started.request_id


def test_accepted_dial_survives_a_resumed_session() -> None:
    pair, _ = _dialled_pair(accepted=True)
    pair.drop_transport()
    pair.reconnect(RESUMED)
    assert any(isinstance(e, SessionReady) and e.resumed for e in pair.take_client_events())
    pair.event(
        "calling.call.dial", {"tag": "t", "dial_state": "answered", "call": {"call_id": "w"}}
    )
    [answered] = pair.client_events_of(DialAnswered)
    assert answered.call.call_id == "w"
    assert pair.client_events_of(DialFailed) == []


def test_accepted_dial_fails_when_the_session_is_new() -> None:
    pair, _ = _dialled_pair(accepted=True)
    pair.drop_transport()
    pair.reconnect(FRESH)
    [failed] = pair.client_events_of(DialFailed)
    assert (failed.tag, failed.code, failed.message) == ("t", -1, "Connection closed during dial")


def test_in_flight_dial_fails_with_its_request_only() -> None:
    pair, request_id = _dialled_pair(accepted=False)
    pair.drop_transport()
    [failed] = pair.client_events_of(RequestFailed)
    assert (failed.request_id, failed.message) == (request_id, "Connection closed")
    pair.reconnect(FRESH)
    assert pair.client_events_of(DialFailed) == []
    pair.event(
        "calling.call.dial", {"tag": "t", "dial_state": "answered", "call": {"call_id": "w"}}
    )
    assert pair.client_events_of(DialAnswered) == []


def test_dial_queued_while_disconnected_goes_out_with_the_new_session() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    pair.client.dial([[DEV]], now=pair.now, tag="q")
    pair.reconnect(FRESH)
    assert pair.client_events_of(DialFailed) == []
    pair.reply("calling.dial", {"code": "200", "message": "Dialing"})
    pair.event(
        "calling.call.dial", {"tag": "q", "dial_state": "answered", "call": {"call_id": "w"}}
    )
    [answered] = pair.client_events_of(DialAnswered)
    assert answered.tag == "q"


def test_dial_timeout_counts_from_issue_including_offline_queue_time() -> None:
    # D18: dial() as a whole is bounded by dial_timeout, however long the request was queued.
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    issued = pair.now
    pair.client.dial([[DEV]], now=pair.now, tag="q", dial_timeout=8)
    pair.advance(5)  # queued while disconnected
    pair.reconnect(FRESH)
    pair.reply("calling.dial", {"code": "200", "message": "Dialing"})
    pair.advance_to(issued + 7.9)
    assert pair.client_events_of(DialFailed) == []
    pair.advance_to(issued + 8)
    [failed] = pair.client_events_of(DialFailed)
    assert failed.timed_out and failed.tag == "q"


def test_close_fails_pending_dials() -> None:
    pair, _ = _dialled_pair(accepted=True)
    pair.client.close(pair.now)
    pair.pump()
    [failed] = pair.client_events_of(DialFailed)
    assert failed.message == "Client disconnected"


# --------------------------------------------------------------------------- calling.pass
# After a successful calling.pass the server routes the call elsewhere; this client never hears
# of its end, so the core stops tracking it there and then.

INBOUND = {"node_id": "node-1", "call_state": "created", "context": "office", "device": DEV}


def _receive(pair: Pair, call_id: str) -> list[Event]:
    pair.take_client_events()
    pair.event("calling.call.receive", {**INBOUND, "call_id": call_id})
    return pair.take_client_events()


def _pass_pair_with_pending_play() -> Pair:
    pair = Pair(max_active_calls=1)
    pair.connect()
    [received] = _receive(pair, "a")
    assert isinstance(received, CallReceived)
    pair.client.call_command("a", commands.play_silence(1.0), now=pair.now)
    pair.pump()
    play = pair.expect_request("calling.play")
    pair.reply("calling.play", {"code": "200", "control_id": play.params["control_id"]})
    pair.client.call_command("a", commands.pass_(), now=pair.now)
    pair.pump()
    assert pair.expect_request("calling.pass").params == {"node_id": "node-1", "call_id": "a"}
    pair.take_client_events()
    return pair


def test_a_passed_call_is_no_longer_tracked() -> None:
    pair = _pass_pair_with_pending_play()
    control_id = pair.expect_request("calling.play").params["control_id"]
    pair.reply("calling.pass", {"code": "200", "message": "Passing call"})
    completed, passed, succeeded = pair.take_client_events()
    assert completed == ActionCompleted(
        call_id="a", control_id=control_id, event=RelayEvent("", {}), reason="call_ended"
    )
    assert passed == CallPassed(call_id="a")
    assert isinstance(succeeded, RequestSucceeded) and succeeded.method == "calling.pass"
    assert not succeeded.call_gone
    assert pair.client.get_call("a") is None
    # It no longer counts toward max_active_calls: the next inbound call is taken.
    [received] = _receive(pair, "b")
    assert isinstance(received, CallReceived) and received.call.call_id == "b"
    assert len(pair.requests("calling.pass")) == 1


def test_late_events_and_commands_for_a_passed_call() -> None:
    pair = _pass_pair_with_pending_play()
    pair.reply("calling.pass")
    pair.take_client_events()
    pair.event("calling.call.state", {"call_id": "a", "node_id": "node-1", "call_state": "ended"})
    [ignored] = pair.take_client_events()
    assert isinstance(ignored, EventIgnored) and ignored.reason == "call ended"
    started = pair.client.call_command("a", commands.record(), now=pair.now)
    pair.pump()
    assert pair.requests("calling.record") == []
    completed, gone = pair.take_client_events()
    assert completed == ActionCompleted(
        call_id="a",
        control_id=str(started.control_id),
        event=RelayEvent("", {}),
        reason="not_started",
    )
    assert isinstance(gone, RequestSucceeded) and gone.call_gone


def test_a_passed_call_offered_again_is_a_new_call() -> None:
    pair = _pass_pair_with_pending_play()
    pair.reply("calling.pass")
    [received] = _receive(pair, "a")
    assert isinstance(received, CallReceived) and received.call.call_id == "a"
    assert pair.client.get_call("a") is not None


@pytest.mark.parametrize("outcome", ["error reply", "bad code", "timeout"])
def test_a_pass_that_fails_keeps_the_call(outcome: str) -> None:
    pair = _pass_pair_with_pending_play()
    if outcome == "error reply":
        pair.server.send_error(pair.expect_request("calling.pass").request_id, -32000, "no")
        pair.pump()
    elif outcome == "bad code":
        pair.reply("calling.pass", {"code": "500", "message": "no"})
    else:
        pair.advance(10.5)  # past the request timeout
        assert pair.client_events_of(RequestTimedOut)
    assert pair.client_events_of(ActionCompleted) == []
    assert pair.client.get_call("a") is not None
    [overflow] = _receive(pair, "b")
    assert isinstance(overflow, CallOverflow)


def test_the_overflow_pass_still_works() -> None:
    pair = _pass_pair_with_pending_play()
    pair.reply("calling.pass")
    _receive(pair, "b")
    [overflow] = _receive(pair, "c")
    assert isinstance(overflow, CallOverflow) and overflow.reason == "max_active_calls"
    assert pair.expect_request("calling.pass").params == {"node_id": "node-1", "call_id": "c"}
    pair.reply("calling.pass")
    assert pair.client.get_call("b") is not None and pair.client.get_call("c") is None
    assert pair.client_events_of(ActionCompleted) == []
    # "c" was never tracked: offered again, it is still over the limit.
    [again] = _receive(pair, "c")
    assert isinstance(again, CallOverflow)


def test_the_ended_event_kept_shares_the_calls_strings(wire: Wire) -> None:
    # The core remembers each ended call's ended event (D15): it keeps, and reports, an equal
    # copy whose params share the call's strings and a shallow copy of its device instead of
    # the decoded frame's own copies of them.
    wire.inbound_call()
    [received_call] = [wire.client.get_call("call-1")]
    assert received_call is not None
    events = wire.event(
        "calling.call.state",
        call_id="call-1",
        node_id="node-1",
        call_state="ended",
        end_reason="hangup",
        device=DEV,
    )
    [call_event] = events
    assert isinstance(call_event, CallEvent) and call_event.call_state == "ended"
    ended = call_event.event
    params = {
        "call_id": "call-1",
        "node_id": "node-1",
        "call_state": "ended",
        "end_reason": "hangup",
        "device": DEV,
    }
    assert ended.params == params
    assert ended == parse_event(
        {"event_type": "calling.call.state", "params": params, "timestamp": ended.timestamp}
    )
    # Later actions on the ended call complete with that same object.
    play = CallCommand(
        method="calling.play",
        params={"play": []},
        action="play",
        uses_control_id=True,
        control_id="p",
    )
    wire.client.call_command("call-1", play, now=wire.now)
    wire.pump()
    [completed] = [e for e in wire.take_client() if isinstance(e, ActionCompleted)]
    assert completed.reason == "not_started" and completed.event is ended
    # Its strings are the call's: one copy per call, not one per kept event.
    snapshot = wire.client._domain._calls.ended("call-1")
    assert snapshot is not None
    info, kept = snapshot
    assert kept is ended
    assert kept.params["call_id"] is info.call_id and kept.params["node_id"] is info.node_id
    assert kept.params["device"] == info.device and kept.params["device"] is not info.device
    assert kept.params["device"]["params"] is info.device["params"]


def test_a_tracked_calls_device_holds_one_string_per_key(wire: Wire) -> None:
    # A call's device is kept for the call's life: the core keeps it with one string object
    # per known key (and device type), not the decoded frame's own copies, and equal to it.
    wire.inbound_call()
    wire.inbound_call("call-2")
    first, second = wire.client.get_call("call-1"), wire.client.get_call("call-2")
    assert first is not None and second is not None
    assert first.device == DEV and second.device == DEV
    for a, b in zip(first.device, second.device, strict=True):
        assert a is b
    for a, b in zip(first.device["params"], second.device["params"], strict=True):
        assert a is b
    assert first.device["type"] is second.device["type"]


def test_kept_device_is_an_equal_copy() -> None:
    decoded = json.loads('{"type": "sip", "params": {"from": "a", "to": "b", "x": [1]}, "y": 2}')
    kept = kept_device(decoded)
    assert kept == decoded and kept is not decoded and kept["params"] is not decoded["params"]
    assert kept["params"]["x"] is decoded["params"]["x"]  # values are shared, not copied
    assert kept_device({"params": "odd"}) == {"params": "odd"}
