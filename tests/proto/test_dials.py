"""Dials: pending tags, legs, winners, failures, timeouts and orphans, transport loss."""

from __future__ import annotations

from typing import Any

import pytest

from relay_proto import (
    CallEvent,
    CallInfo,
    CallReceived,
    DialAnswered,
    DialFailed,
    DialLegCreated,
    EventIgnored,
    LocalProtocolError,
    OrphanHungUp,
    UnroutedEvent,
)
from relay_proto._constants import TIMED_OUT_DIAL_MEMORY
from relay_proto._dials import DialTable
from relay_proto._domain import Outgoing

from .test_domain_harness import Harness

DEV_A = {"type": "phone", "params": {"from_number": "+1000", "to_number": "+1001"}}
DEV_B = {"type": "phone", "params": {"from_number": "+1000", "to_number": "+1002"}}


def dial(h: Harness, tag: str = "t1", timeout: float = 30.0, **kw: Any) -> Outgoing:
    kw.setdefault("devices", [[DEV_A]])
    kw.setdefault("max_duration", None)
    kw.setdefault("extra", None)
    return h.domain.prepare_dial(tag=tag, dial_timeout=timeout, now=h.now, **kw)


def leg_state(h: Harness, call_id: str, state: str, tag: str = "t1", **kw: Any) -> list[Any]:
    kw.setdefault("node_id", "node-9")
    kw.setdefault("device", DEV_A)
    return h.state(call_id, state, tag=tag, direction="outbound", created_by="dial", **kw)


def dial_event(h: Harness, dial_state: str, tag: str = "t1", **call: Any) -> list[Any]:
    params: dict[str, Any] = {"node_id": "node-9", "tag": tag, "dial_state": dial_state}
    if call:
        params["call"] = call
    return h.feed("calling.call.dial", **params)


# --------------------------------------------------------------------------- the request


def test_dial_request_params() -> None:
    h = Harness()
    out = dial(h, devices=[[DEV_A, DEV_B]])
    assert out.method == "calling.dial"
    assert out.params == {"tag": "t1", "devices": [[DEV_A, DEV_B]]}
    out = dial(h, tag="t2", max_duration=5, extra={"region": "us", "tag": "ignored"})
    assert out.params == {"tag": "t2", "devices": [[DEV_A]], "max_duration": 5, "region": "us"}
    out = dial(h, tag="t3", max_duration=0)
    assert "max_duration" not in out.params


def test_dial_deadline() -> None:
    h = Harness()
    assert h.domain.next_deadline() is None
    dial(h, "a", timeout=50)
    dial(h, "b", timeout=20)
    assert h.domain.next_deadline() == h.now + 20
    h.domain.handle_timeout(h.now + 19.9)
    assert h.take() == []
    assert h.domain.next_deadline() == h.now + 20


@pytest.mark.parametrize("tag", ["", None, 5])
def test_dial_needs_a_tag(tag: Any) -> None:
    with pytest.raises(LocalProtocolError, match="tag"):
        dial(Harness(), tag=tag)


def test_dial_tag_must_not_be_pending_already() -> None:
    h = Harness()
    dial(h, "same")
    with pytest.raises(LocalProtocolError, match="already pending"):
        dial(h, "same")


# --------------------------------------------------------------------------- legs and winners


def test_serial_dial_leg_then_answered() -> None:
    h = Harness(project_id="proj-x")
    out = dial(h)
    assert h.succeed(out, {"code": "200", "message": "Dialing"}) == (
        {"code": "200", "message": "Dialing"},
        False,
    )
    created, call_event = leg_state(h, "leg-a", "created")
    assert isinstance(created, DialLegCreated)
    assert created.tag == "t1"
    assert created.call == CallInfo(
        call_id="leg-a",
        node_id="node-9",
        project_id="proj-x",
        context="signalwire_proto-1",
        tag="t1",
        direction="outbound",
        device=DEV_A,
        state="created",
    )
    assert isinstance(call_event, CallEvent) and call_event.call_state == "created"
    [ringing] = leg_state(h, "leg-a", "ringing")
    assert isinstance(ringing, CallEvent)
    # Other events now reach the leg by call_id.
    [play] = h.feed("calling.call.play", call_id="leg-a", control_id="x", state="playing")
    assert isinstance(play, CallEvent)
    [progress] = dial_event(h, "dialing")
    assert isinstance(progress, UnroutedEvent)
    [answered] = dial_event(h, "answered", call_id="leg-a", node_id="node-9", dial_winner=True)
    assert isinstance(answered, DialAnswered)
    assert answered.tag == "t1"
    assert answered.call.call_id == "leg-a"
    assert answered.call.state == "ringing"  # the resolving event does not change the state
    assert answered.event.event_type == "calling.call.dial"
    assert h.domain.next_deadline() is None
    [state] = leg_state(h, "leg-a", "answered")
    assert isinstance(state, CallEvent) and state.call_state == "answered"


@pytest.mark.parametrize("winner_flag", [True, "true"])
def test_the_service_shape_of_the_winner_is_accepted(winner_flag: object) -> None:
    # The service sends dial_winner as the string "true" and the winner's call_state and
    # direction (spec 4.3 [js]); test servers send a boolean. Both resolve the dial alike, with
    # the winner known from the event alone (no state event seen for it).
    h = Harness()
    dial(h)
    winner = {
        "call_id": "leg-z",
        "node_id": "node-9",
        "tag": "t1",
        "device": DEV_A,
        "call_state": "answered",
        "direction": "outbound",
        "dial_winner": winner_flag,
    }
    [answered] = dial_event(h, "answered", **winner)
    assert isinstance(answered, DialAnswered)
    assert (answered.call.call_id, answered.call.state) == ("leg-z", "answered")
    assert answered.call.device == DEV_A and answered.call.direction == "outbound"


def test_leg_created_from_its_first_state_even_if_ended() -> None:
    h = Harness()
    dial(h)
    created, ended = leg_state(h, "leg-x", "ended", end_reason="busy")
    assert isinstance(created, DialLegCreated) and created.call.state == "ended"
    assert isinstance(ended, CallEvent) and ended.call_state == "ended"
    assert h.domain.get_call("leg-x") is None
    [late] = leg_state(h, "leg-x", "ended")
    assert isinstance(late, EventIgnored) and late.reason == "call ended"


def test_leg_defaults_for_missing_fields() -> None:
    h = Harness()
    dial(h)
    created, _ = h.feed(
        "calling.call.state", call_id="leg", tag="t1", project_id="p-ev", device="bad", context="c"
    )
    assert isinstance(created, DialLegCreated)
    assert created.call.state == "created"
    assert created.call.node_id == ""
    assert created.call.project_id == "p-ev"
    assert created.call.device == {}
    assert created.call.context == "c"


def test_non_state_events_do_not_create_legs() -> None:
    h = Harness()
    dial(h)
    [ev] = h.feed("calling.call.play", call_id="leg", tag="t1", state="playing")
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown call"


def test_state_with_other_tag_does_not_create_legs() -> None:
    h = Harness()
    dial(h)
    [ev] = leg_state(h, "leg", "created", tag="other")
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown call"
    [ev] = h.state("leg", "created")  # no tag at all
    assert isinstance(ev, EventIgnored)


def test_answered_without_prior_leg_creates_the_winner() -> None:
    h = Harness(project_id="proj-x")
    dial(h)
    [ev] = dial_event(h, "answered", call_id="win", node_id="node-3", device=DEV_B)
    assert isinstance(ev, DialAnswered)
    assert ev.call == CallInfo(
        call_id="win",
        node_id="node-3",
        project_id="proj-x",
        context="signalwire_proto-1",
        tag="t1",
        direction="outbound",
        device=DEV_B,
        state="answered",
    )
    assert h.domain.get_call("win") == ev.call


def test_winner_node_id_falls_back_to_the_event() -> None:
    h = Harness()
    dial(h)
    [ev] = dial_event(h, "answered", call_id="win")
    assert isinstance(ev, DialAnswered) and ev.call.node_id == "node-9"


def test_winner_leg_gets_its_missing_node_id() -> None:
    h = Harness()
    dial(h)
    leg_state(h, "leg", "created", node_id="")
    [ev] = dial_event(h, "answered", call_id="leg", node_id="node-late")
    assert isinstance(ev, DialAnswered) and ev.call.node_id == "node-late"
    info = h.domain.get_call("leg")
    assert info is not None and info.node_id == "node-late"


def test_parallel_dial_winner_is_the_leg_losers_end() -> None:
    h = Harness()
    dial(h, devices=[[DEV_A, DEV_B]])
    assert isinstance(leg_state(h, "a", "created")[0], DialLegCreated)
    assert isinstance(leg_state(h, "b", "created", device=DEV_B)[0], DialLegCreated)
    leg_state(h, "a", "ringing")
    leg_state(h, "b", "ringing")
    leg_state(h, "a", "answered")
    [won] = dial_event(h, "answered", call_id="a", node_id="node-9")
    assert isinstance(won, DialAnswered)
    assert won.call.call_id == "a" and won.call.state == "answered"
    [lost] = leg_state(h, "b", "ended", end_reason="cancel")
    assert isinstance(lost, CallEvent) and lost.call_state == "ended"
    assert h.domain.get_call("b") is None
    assert h.domain.get_call("a") is not None


def test_dial_failed() -> None:
    h = Harness()
    dial(h)
    leg_state(h, "a", "created")
    [failed] = dial_event(h, "failed")
    assert isinstance(failed, DialFailed)
    assert (failed.tag, failed.code, failed.message) == ("t1", -1, "Dial failed (tag=t1)")
    assert failed.timed_out is False
    assert failed.reason == ""  # the service gave none
    assert failed.event is not None and failed.event.event_type == "calling.call.dial"
    assert h.domain.next_deadline() is None
    [ended] = leg_state(h, "a", "ended")
    assert isinstance(ended, CallEvent)


def test_answered_without_winner_id_keeps_waiting() -> None:
    h = Harness()
    dial(h)
    [ev] = dial_event(h, "answered")
    assert isinstance(ev, EventIgnored) and ev.reason == "dial answered without call.call_id"
    [ev] = h.feed("calling.call.dial", tag="t1", dial_state="answered", call="x")
    assert isinstance(ev, EventIgnored)
    [ev] = dial_event(h, "answered", call_id="w")
    assert isinstance(ev, DialAnswered)


def test_dial_events_after_resolution_go_to_the_call() -> None:
    h = Harness()
    dial(h)
    dial_event(h, "answered", call_id="w")
    [again] = dial_event(h, "answered", call_id="w")
    assert isinstance(again, CallEvent) and again.call_id == "w"
    [other] = dial_event(h, "answered", call_id="stranger")
    assert isinstance(other, EventIgnored) and other.reason == "unknown call"
    [bare] = dial_event(h, "dialing")
    assert isinstance(bare, EventIgnored) and bare.reason == "dial event for an unknown tag"


def test_dial_event_for_unknown_tag() -> None:
    h = Harness()
    [ev] = dial_event(h, "answered", tag="nobody", call_id="c")
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown call"
    assert h.domain.get_call("c") is None
    [ev] = h.feed("calling.call.dial", dial_state="failed")
    assert isinstance(ev, EventIgnored) and ev.reason == "dial event for an unknown tag"


def test_tagged_state_after_resolution_creates_no_leg() -> None:
    h = Harness()
    dial(h)
    dial_event(h, "answered", call_id="w")
    [ev] = leg_state(h, "late-leg", "created")
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown call"


def test_winner_already_ended_is_reported_as_ended() -> None:
    h = Harness()
    dial(h)
    leg_state(h, "a", "created")
    leg_state(h, "a", "ended")
    [ev] = dial_event(h, "answered", call_id="a")
    assert isinstance(ev, DialAnswered)
    assert ev.call.call_id == "a" and ev.call.state == "ended"
    assert h.domain.get_call("a") is None


def test_legs_and_winners_ignore_the_call_limit() -> None:
    h = Harness(max_active_calls=1)
    h.receive_call("in", "n")
    dial(h, "t1")
    assert isinstance(leg_state(h, "leg", "created")[0], DialLegCreated)
    dial(h, "t2")
    assert isinstance(dial_event(h, "answered", tag="t2", call_id="w2")[0], DialAnswered)
    assert h.domain.get_call("leg") is not None and h.domain.get_call("w2") is not None


def test_leg_ids_already_tracked_are_not_recreated() -> None:
    h = Harness()
    h.receive_call("shared", "n")
    dial(h)
    [ev] = leg_state(h, "shared", "ringing")
    assert isinstance(ev, CallEvent)


@pytest.mark.parametrize(
    ("reason", "expected_reason", "message"),
    [
        ("busy", "busy", "Dial failed (tag=t1): busy"),
        ("noAnswer", "noAnswer", "Dial failed (tag=t1): noAnswer"),
        (17, "", "Dial failed (tag=t1)"),  # not a string: as if absent
        ("", "", "Dial failed (tag=t1)"),
    ],
)
def test_dial_failed_carries_the_service_reason(
    reason: object, expected_reason: str, message: str
) -> None:
    # Spec 4.3: a failed calling.call.dial says why (busy, noAnswer, error...).
    h = Harness()
    dial(h)
    [failed] = h.feed(
        "calling.call.dial",
        node_id="node-9", tag="t1", dial_state="failed", reason=reason, source="outbound",
    )  # fmt: skip
    assert isinstance(failed, DialFailed)
    assert (failed.code, failed.message, failed.reason) == (-1, message, expected_reason)
    assert not failed.timed_out


# --------------------------------------------------------------------------- timeouts, orphans


def test_dial_timeout_then_orphan_hang_up() -> None:
    h = Harness()
    dial(h, timeout=30)
    leg_state(h, "leg", "created")
    h.domain.handle_timeout(h.now + 30)
    [failed] = h.take()
    assert isinstance(failed, DialFailed)
    assert failed.timed_out is True
    assert (failed.code, failed.message) == (-1, "Dial timed out waiting for answer (tag=t1)")
    assert failed.event is None and failed.reason == ""
    assert h.domain.next_deadline() is None
    h.now += 40
    [orphan] = dial_event(h, "answered", call_id="leg", node_id="node-9")
    assert orphan == OrphanHungUp(tag="t1", call_id="leg")
    [out] = h.domain.take_outgoing()
    assert out.method == "calling.end"
    assert out.params == {"node_id": "node-9", "call_id": "leg", "reason": "hangup"}
    assert h.succeed(out) == ({"code": "200", "message": "OK"}, False)
    assert h.fail(out, 404) is None
    # Handled once: a repeat of the outcome just reaches the tracked leg.
    [again] = dial_event(h, "answered", call_id="leg")
    assert isinstance(again, CallEvent)
    assert h.domain.take_outgoing() == []


def test_orphan_node_id_from_the_tracked_leg() -> None:
    h = Harness()
    dial(h, timeout=1)
    leg_state(h, "leg", "created", node_id="node-leg")
    h.domain.handle_timeout(h.now + 1)
    h.take()
    h.feed("calling.call.dial", tag="t1", dial_state="answered", call={"call_id": "leg"})
    [out] = h.domain.take_outgoing()
    assert out.params["node_id"] == "node-leg"


def test_orphan_without_any_node_id() -> None:
    h = Harness()
    dial(h, timeout=1)
    h.domain.handle_timeout(h.now + 1)
    h.take()
    h.feed("calling.call.dial", tag="t1", dial_state="answered", call={"call_id": "w"})
    [out] = h.domain.take_outgoing()
    assert out.params == {"node_id": "", "call_id": "w", "reason": "hangup"}


def test_timeout_is_noticed_when_the_late_event_arrives() -> None:
    h = Harness()
    dial(h, timeout=10)
    h.now += 11  # handle_timeout was not called in between
    events = dial_event(h, "answered", call_id="w", node_id="n")
    assert [type(e) for e in events] == [DialFailed, OrphanHungUp]
    assert events[0].timed_out
    assert [o.method for o in h.domain.take_outgoing()] == ["calling.end"]


def test_timed_out_dial_other_outcomes_are_ignored() -> None:
    h = Harness()
    dial(h, timeout=1)
    h.domain.handle_timeout(h.now + 1)
    h.take()
    [ev] = dial_event(h, "dialing")
    assert isinstance(ev, EventIgnored) and ev.reason == "dial timed out"
    [ev] = dial_event(h, "answered")  # no winner id: nothing to hang up
    assert isinstance(ev, EventIgnored) and ev.reason == "dial timed out"
    [ev] = dial_event(h, "failed")
    assert isinstance(ev, EventIgnored) and ev.reason == "dial timed out"
    # The dial is resolved now: a later answer is not ours to hang up.
    [ev] = dial_event(h, "answered", call_id="w")
    assert isinstance(ev, EventIgnored) and ev.reason == "unknown call"
    assert h.domain.take_outgoing() == []


def test_timed_out_tags_memory_is_bounded() -> None:
    h = Harness()
    for i in range(TIMED_OUT_DIAL_MEMORY + 1):
        dial(h, f"t{i}", timeout=1)
    h.domain.handle_timeout(h.now + 1)
    assert len(h.take()) == TIMED_OUT_DIAL_MEMORY + 1
    [ev] = dial_event(h, "answered", tag="t0", call_id="w0")
    assert isinstance(ev, EventIgnored)
    [ev] = dial_event(h, "answered", tag="t1", call_id="w1")
    assert isinstance(ev, OrphanHungUp)


def test_reusing_a_timed_out_tag_starts_afresh() -> None:
    h = Harness()
    dial(h, "t1", timeout=1)
    h.domain.handle_timeout(h.now + 1)
    h.take()
    h.now += 5
    dial(h, "t1", timeout=10)
    [ev] = dial_event(h, "answered", call_id="w")
    assert isinstance(ev, DialAnswered)
    assert h.domain.take_outgoing() == []


def test_timeouts_fire_in_deadline_order() -> None:
    h = Harness()
    dial(h, "late", timeout=20)
    dial(h, "early", timeout=10)
    dial(h, "gone", timeout=5)
    dial_event(h, "failed", tag="gone")
    h.take()
    h.domain.handle_timeout(h.now + 100)
    assert [e.tag for e in h.take()] == ["early", "late"]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- request outcome


@pytest.mark.parametrize("code", [400, 404, 500, -1])
def test_dial_request_failure_drops_the_dial(code: int) -> None:
    h = Harness()
    out = dial(h)
    assert h.fail(out, code, "refused") is None
    assert h.take() == []
    assert h.domain.next_deadline() is None
    [ev] = dial_event(h, "answered", call_id="w")
    assert isinstance(ev, EventIgnored)
    dial(h)  # the tag is free again


def test_dial_request_timeout_drops_the_dial() -> None:
    h = Harness()
    out = dial(h)
    h.domain.request_timed_out(out.purpose, h.now)
    assert h.take() == []
    assert h.domain.next_deadline() is None


def test_dial_outcome_before_the_reply() -> None:
    h = Harness()
    out = dial(h)
    [ev] = dial_event(h, "answered", call_id="w")
    assert isinstance(ev, DialAnswered)
    assert h.succeed(out) == ({"code": "200", "message": "OK"}, False)
    assert h.fail(out, 500) is None
    assert h.take() == []


# --------------------------------------------------------------------------- transport loss


def test_accepted_dial_survives_a_resumed_session() -> None:
    h = Harness()
    h.succeed(dial(h))
    h.domain.transport_lost(h.now)
    h.domain.session_ready(True, h.now + 2)
    assert h.take() == []
    # Interruption is forgotten: a later non-resumed session does not fail it.
    h.domain.transport_lost(h.now)
    h.domain.session_ready(True, h.now + 2)
    [ev] = dial_event(h, "answered", call_id="w")
    assert isinstance(ev, DialAnswered)


def test_accepted_dial_fails_when_the_session_is_not_resumed() -> None:
    h = Harness()
    h.succeed(dial(h, "accepted"))
    queued = dial(h, "queued")  # its request never went out
    h.domain.transport_lost(h.now)
    h.domain.session_ready(False, h.now + 2)
    [failed] = h.take()
    assert failed == DialFailed(tag="accepted", code=-1, message="Connection closed during dial")
    # The queued dial goes out with the new session and works.
    h.succeed(queued)
    [ev] = dial_event(h, "answered", tag="queued", call_id="w")
    assert isinstance(ev, DialAnswered)
    [ev] = dial_event(h, "answered", tag="accepted", call_id="w2")
    assert isinstance(ev, EventIgnored)


def test_in_flight_dial_is_dropped_with_its_request() -> None:
    h = Harness()
    in_flight = dial(h)
    h.domain.transport_lost(h.now)
    # The session fails the unanswered request.
    assert h.fail(in_flight, -1, "Connection closed") is None
    h.domain.session_ready(False, h.now + 1)
    assert h.take() == []
    assert h.domain.next_deadline() is None


def test_session_ready_without_loss_does_nothing() -> None:
    h = Harness()
    h.succeed(dial(h))
    h.domain.session_ready(False, h.now)
    assert h.take() == []


def test_close_fails_every_pending_dial() -> None:
    h = Harness()
    h.succeed(dial(h, "a"))
    dial(h, "b")
    h.domain.closed(h.now)
    assert h.take() == [
        DialFailed(tag="a", code=-1, message="Client disconnected"),
        DialFailed(tag="b", code=-1, message="Client disconnected"),
    ]
    assert h.domain.next_deadline() is None
    h.domain.handle_timeout(h.now + 1000)
    assert h.take() == []


def test_inbound_calls_still_work_during_dials() -> None:
    h = Harness()
    dial(h)
    [ev] = h.feed("calling.call.receive", call_id="in", node_id="n", tag="t1")
    assert isinstance(ev, CallReceived)


# --------------------------------------------------------------------------- DialTable


def test_heap_stays_proportional_to_pending_dials() -> None:
    table = DialTable()
    for i in range(2000):
        table.add(f"t{i}", 100.0 + i)
        table.remove(f"t{i}")
    assert len(table) == 0
    assert len(table._heap) <= 64 + 1
    assert table.next_deadline() is None


def test_stale_heap_entry_does_not_expire_a_reused_tag() -> None:
    table = DialTable()
    table.add("t", 10.0)
    table.remove("t")
    table.add("t", 50.0)
    assert table.take_expired(20.0) == []
    assert "t" in table
    assert table.next_deadline() == 50.0
    assert table.take_expired(50.0) == ["t"]
    assert table.is_timed_out("t")


def test_accept_unknown_tag_is_harmless() -> None:
    table = DialTable()
    table.accept("nope", 1)
    assert table.remove("nope") is False


def test_late_failure_of_an_earlier_dial_leaves_a_reused_tag_alone() -> None:
    h = Harness()
    first = dial(h)
    dial_event(h, "answered", call_id="w1")
    second = dial(h)
    assert h.fail(first, 500) is None
    h.domain.request_timed_out(first.purpose, h.now)
    h.succeed(first)  # must not mark the second dial accepted
    h.domain.transport_lost(h.now)
    h.domain.session_ready(False, h.now)
    assert h.take() == []
    [ev] = dial_event(h, "answered", call_id="w2")
    assert isinstance(ev, DialAnswered)
    assert second.purpose != first.purpose
