"""The simulated switch on its own: no sockets, time pushed in by hand (sans-I/O)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest

from relay_anyio.testing import Persona, Press
from relay_anyio.testing import _switch as switch_module
from relay_anyio.testing._media import MediaCatalog, MediaError, speech_seconds
from relay_anyio.testing._model import Deliver, RequestError, Session
from relay_anyio.testing._scheduler import DeferredTimer, Scheduler
from relay_anyio.testing._switch import Switch


def run_all(sw: Switch, until: float = 1e9) -> None:
    """Fire every timer due up to ``until``."""
    while (deadline := sw.next_deadline()) is not None and deadline <= until:
        sw.run_due(deadline)


def session(sw: Switch, *contexts: str) -> Session:
    s, _ = sw.open_session(contexts=contexts, resume=None)
    sw.attach(s)
    return s


def events(sw: Switch, event_type: str | None = None) -> list[Deliver]:
    return [d for d in sw.take_outputs() if event_type is None or d.event_type == event_type]


def ids(call: Any) -> dict[str, str]:
    return {"call_id": call.call_id, "node_id": call.node_id}


def test_scheduler_orders_by_deadline_then_insertion() -> None:
    fired: list[str] = []
    scheduler = Scheduler()
    scheduler.call_at(2.0, lambda: fired.append("b"))
    scheduler.call_at(1.0, lambda: fired.append("a"))
    scheduler.call_at(2.0, lambda: fired.append("c"))
    cancelled = scheduler.call_at(0.5, lambda: fired.append("never"))
    cancelled.cancel()
    assert scheduler.next_deadline() == 1.0 and len(scheduler) == 3
    while (timer := scheduler.pop_due(5.0)) is not None:
        timer.fire()
    assert fired == ["a", "b", "c"]
    assert scheduler.next_deadline() is None


def test_scheduler_sweeps_cancelled_timers() -> None:
    scheduler = Scheduler()
    for index in range(3000):
        scheduler.call_at(float(index), lambda: None).cancel()
    assert len(scheduler._heap) < 1024  # swept every 1024 timers set
    assert scheduler.next_deadline() is None


def test_deferred_timer() -> None:
    scheduler = Scheduler()
    handle = DeferredTimer()
    handle.cancel()
    timer = scheduler.call_at(1.0, lambda: None)
    handle.arm(timer)
    assert timer.cancelled


def test_media_catalog() -> None:
    media = MediaCatalog(default_audio_seconds=2.0)
    assert speech_seconds("<speak>one <break/> two</speak>") == 0.8
    assert media.audio_seconds("https://x/a.mp3?duration=bad") == 2.0
    with pytest.raises(MediaError):
        media.set_duration("https://x/a.mp3", -1)
    for bad in (
        "not an object",
        {"type": "tts"},
        {"type": "tts", "params": {"text": " "}},
        {"type": "audio", "params": {"url": 3}},
        {"type": "silence", "params": {"duration": True}},
        {"type": "silence", "params": {"duration": 1e9}},
        {"type": "ringtone", "params": {"name": "xx"}},
        {"type": "video", "params": {}},
    ):
        with pytest.raises(MediaError):
            media.item_seconds(bad)


def test_round_robin_skips_detached_sessions() -> None:
    sw = Switch()
    one, two = session(sw, "office"), session(sw, "office")
    picks = [sw.pick_session("office") for _ in range(4)]
    assert picks == [one, two, one, two]
    sw.detach(two)
    assert {sw.pick_session("office") for _ in range(3)} == {one}
    assert sw.pick_session("nowhere") is None


def test_a_session_without_its_owner_takes_control_of_a_call() -> None:
    sw = Switch()
    first = session(sw, "office")
    call = sw.place_call(context="office", from_number="+1555", to_number="+1556")
    assert call.owner == first.protocol
    second = session(sw)
    sw.request(second, "calling.answer", ids(call))
    assert call.owner == first.protocol  # the owner is attached: it keeps the call
    sw.detach(first)
    sw.request(
        second,
        "calling.play",
        {**ids(call), "control_id": "p", "play": [{"type": "silence", "params": {"duration": 1}}]},
    )
    assert call.owner == second.protocol
    assert [d.protocol for d in events(sw, "calling.call.play")] == [second.protocol]


def test_ended_calls_answer_410_until_forgotten() -> None:
    sw = Switch()
    s = session(sw, "office")
    first = sw.place_call(context="office", from_number="+1555", to_number="+1556")
    sw.request(s, "calling.end", ids(first))
    assert sw.request(s, "calling.answer", ids(first))["code"] == "410"
    for _ in range(1024):
        call = sw.place_call(context="office", from_number="+1555", to_number="+1556")
        sw.end_call(call, "hangup", by="test")
    assert sw.request(s, "calling.answer", ids(first))["code"] == "404"
    wrong_node = sw.place_call(context="office", from_number="+1555", to_number="+1556")
    assert sw.request(s, "calling.answer", {**ids(wrong_node), "node_id": "other"})["code"] == "404"


def test_unclaimed_items_are_bounded() -> None:
    sw = Switch()
    for _ in range(1001):
        sw.place_call(context="empty", from_number="+1555", to_number="+1556")
    assert len(sw._unclaimed) == 1000
    assert any("too many waiting" in line.text for line in sw.transcript)


def test_detached_sessions_are_pruned() -> None:
    sw = Switch()
    first, _ = sw.open_session(contexts=[], resume=None)
    for _ in range(1000):
        sw.open_session(contexts=[], resume=None)
    assert first.protocol not in sw.sessions and len(sw.sessions) == 1000


def test_forgotten_sessions_cannot_be_resumed() -> None:
    sw = Switch()
    s = session(sw, "office")
    sw.forget_sessions()
    again, restored = sw.open_session(contexts=[], resume=s.protocol)
    assert not restored and again.protocol != s.protocol


def test_connect_legs_are_cancelled_when_the_caller_hangs_up() -> None:
    sw = Switch()
    s = session(sw, "office")
    sw.personas["+15552002000"] = Persona.answers(after=10)
    call = sw.place_call(context="office", from_number="+1555", to_number="+1556")
    sw.request(s, "calling.answer", ids(call))
    device = {"type": "phone", "params": {"to_number": "+15552002000"}}
    sw.request(s, "calling.connect", {**ids(call), "devices": [[device], [device]]})
    leg = next(c for c in sw.calls.values() if c.created_by == "connect")
    sw.remote_hangup(call)
    assert leg.state == "ended" and leg.end_reason == "cancel"
    run_all(sw)
    assert not [c for c in sw.calls.values() if c.created_by == "connect"]  # no second group


def test_script_runs_from_the_answer_and_timed_intents() -> None:
    sw = Switch()
    s = session(sw, "office")
    call = sw.place_call(
        context="office", from_number="+1555", to_number="+1556", script=[Press("1")]
    )
    assert not call.party.started
    sw.request(s, "calling.answer", ids(call))
    assert call.party.started and call.party.intents  # waits for a consumer
    with pytest.raises(TypeError):
        sw.push_intent(call, cast(Press, 42))


def test_unknown_method_and_bad_call_id() -> None:
    sw = Switch()
    s = session(sw)
    with pytest.raises(RequestError) as caught:
        sw.request(s, "calling.fly", {})
    assert caught.value.code == -32601
    with pytest.raises(RequestError):
        sw.request(s, "calling.answer", {"call_id": 7})
    with pytest.raises(ValueError):
        Switch(idle_callers="maybe")


def test_transfer_to_an_empty_context_is_invalid() -> None:
    sw = Switch()
    s = session(sw, "office")
    call = sw.place_call(context="office", from_number="+1555", to_number="+1556")
    with pytest.raises(RequestError):
        sw.request(s, "calling.transfer", {**ids(call), "dest": "context:"})


def test_live_calls_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(switch_module, "MAX_LIVE_CALLS", 2)
    sw = Switch()
    s = session(sw, "office")
    sw.place_call(context="office", from_number="+1555", to_number="+1556")
    device = {"type": "phone", "params": {"to_number": "+15552002000"}}
    full = sw.request(s, "calling.dial", {"tag": "t", "devices": [[device, device]]})
    assert full["code"] == "503"
    sw.place_call(context="office", from_number="+1555", to_number="+1556")
    with pytest.raises(RuntimeError, match="capacity"):
        sw.place_call(context="office", from_number="+1555", to_number="+1556")


SIMULATION_MODULES = [
    "_switch", "_calls", "_actions", "_collect", "_dialing", "_rooms", "_messaging", "_media",
    "_personas", "_script", "_scheduler", "_model", "_params", "_faults", "_journal",
]  # fmt: skip


@pytest.mark.parametrize("name", SIMULATION_MODULES)
def test_the_simulation_is_pure(name: str) -> None:
    """The switch and its parts do no I/O and read no clock: the server drives them."""
    source = (Path(switch_module.__file__).parent / f"{name}.py").read_text()
    imports = re.findall(r"^\s*(?:import|from)\s+([\w.]+)", source, re.MULTILINE)
    forbidden = {"anyio", "asyncio", "trio", "socket", "ssl", "time", "threading", "random"}
    assert {i.split(".")[0] for i in imports} & forbidden == set()
