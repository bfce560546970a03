"""How a Call consumes the core's ``CallEvent``: the typed event is built only when a state
update, a listener or a wait uses it; otherwise only the call's state moves."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from relay_anyio import RelayEvent
from relay_proto import CallEvent, CallStateEvent, PlayEvent, _conn_events, parse_event
from relay_proto._conn_events import lazy_call_event
from relay_proto._events import build_event

from .test_objects import FakeClient, make_call

pytestmark = pytest.mark.anyio


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The event types of the typed events built by CallEvents from here on."""
    built: list[str] = []
    build = build_event

    def counting(event_type: str, params: dict[str, Any], timestamp: object) -> RelayEvent:
        built.append(event_type)
        return build(event_type, params, timestamp)

    monkeypatch.setattr(_conn_events, "build_event", counting)
    return built


def play(state: str, call_state: str = "answered") -> CallEvent:
    params = {"call_id": "call-1", "control_id": "ctl", "state": state}
    return lazy_call_event("call-1", call_state, "calling.call.play", params, 1.5)


def state(call_state: str) -> CallEvent:
    params = {"call_id": "call-1", "node_id": "node-1", "call_state": call_state}
    return lazy_call_event("call-1", call_state, "calling.call.state", params, 2.5)


async def test_events_nobody_uses_are_not_built(builds: list[str]) -> None:
    call = make_call(FakeClient(), "answered")
    call.on("calling.call.record", lambda _: None)  # another type: not a listener of plays
    for i in range(3):
        call._call_event(play("playing" if i % 2 else "finished"))
    assert builds == []
    assert call.state == "answered"
    call._call_event(play("playing", call_state="ending"))
    assert call.state == "ending" and builds == []


async def test_state_events_are_built_and_kept(builds: list[str]) -> None:
    call = make_call(FakeClient())
    answered = state("answered")
    call._call_event(answered)
    assert builds == ["calling.call.state"]
    assert call.state == "answered"
    # A state wait with a predicate returns the latest state event when it already holds.
    latest = await call.wait_for("calling.call.state", predicate=lambda e: True, timeout=0)
    assert latest == answered.event  # an equal copy holding the call's strings (next test)
    ended = state("ended")
    call._call_event(ended)
    assert await call.wait_for_ended(timeout=0) is ended.event
    assert ended.event == parse_event(
        {"event_type": "calling.call.state", "params": ended.event.params, "timestamp": 2.5}
    )


async def test_the_latest_state_event_holds_what_the_call_holds() -> None:
    # The call keeps its latest state event as long as it lives: an equal event whose params
    # share the call's ids and device instead of keeping a decoded frame's copies of them.
    call = make_call(FakeClient())
    call.device = {"type": "phone", "params": {"from_number": "+1555", "to_number": "+1666"}}
    device = {"type": "phone", "params": {"from_number": "+1555", "to_number": "+1666"}}
    params = {"call_id": "call-1", "node_id": "node-1", "call_state": "answered", "device": device}
    answered = lazy_call_event("call-1", "answered", "calling.call.state", params, 2.5)
    seen: list[RelayEvent] = []
    call.on("calling.call.state", seen.append)
    call._call_event(answered)
    latest = await call.wait_for("calling.call.state", predicate=lambda e: True, timeout=0)
    assert seen == [latest]  # listeners, waits and the kept event: one object
    assert latest == answered.event
    assert latest.params["call_id"] is call.call_id and latest.params["node_id"] is call.node_id
    assert isinstance(latest, CallStateEvent)
    kept = latest.params["device"]
    assert kept == call.device and kept is not call.device
    assert kept["params"] is call.device["params"] and latest.device is kept
    # A device that differs from the call's is kept as it came.
    other = {"type": "sip", "params": {"from": "sip:a@b"}}
    params = {"call_id": "call-1", "call_state": "ending", "device": other}
    call._call_event(lazy_call_event("call-1", "ending", "calling.call.state", params, 3.0))
    latest = await call.wait_for("calling.call.state", predicate=lambda e: True, timeout=0)
    assert latest.params["device"] is other and latest.timestamp == 3.0


async def test_a_listener_gets_the_typed_event_built_once(builds: list[str]) -> None:
    call = make_call(FakeClient(), "answered")
    seen: list[RelayEvent] = []
    call.on("calling.call.play", seen.append)
    call.on("calling.call.play", seen.append)
    event = play("finished")
    call._call_event(event)
    assert builds == ["calling.call.play"]
    assert seen == [event.event, event.event] and seen[0] is seen[1] is event.event
    assert isinstance(seen[0], PlayEvent) and seen[0].state == "finished"


async def test_a_wait_gets_the_typed_event(builds: list[str]) -> None:
    call = make_call(FakeClient(), "answered")
    result: list[RelayEvent] = []
    async with anyio.create_task_group() as tg:

        async def wait() -> None:
            result.append(
                await call.wait_for(
                    "calling.call.play", predicate=lambda e: e.params.get("state") == "finished"
                )
            )

        tg.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        call._call_event(play("playing"))
        await anyio.wait_all_tasks_blocked()
        assert result == []
        finished = play("finished")
        call._call_event(finished)
    assert result == [finished.event]
    assert builds == ["calling.call.play", "calling.call.play"]  # both offered to the wait
    call._call_event(play("playing"))  # the wait is over: nothing is built any more
    assert len(builds) == 2
