"""Call, actions, Message and the primitives, driven directly (no socket, no core).

A small fake stands in for the client's private interface (``_call_command``, ``_spawn``,
``_new_id``), so these tests pin down what the objects do with events the client routes to
them: state, listeners, waits that never spoil (D20), waits that finish when the call ends
(D21), action completion and ``on_completed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import anyio.abc
import pytest

from relay_anyio import (
    Call,
    CollectAction,
    FaxAction,
    Message,
    PlayAction,
    RecordAction,
    RelayError,
    RelayEvent,
    StandaloneCollectAction,
)
from relay_anyio._primitives import Waiter, run_callback
from relay_proto import CallCommand, parse_event

pytestmark = pytest.mark.anyio


class FakeClient:
    """The private client interface Call/actions/Message use, recording what they send."""

    project = "proj"

    def __init__(self, tg: anyio.abc.TaskGroup | None = None) -> None:
        self.tg = tg
        self.sent: list[tuple[CallCommand, Any]] = []
        self.result: dict[str, Any] = {"code": "200", "message": "OK"}
        self.error: Exception | None = None
        self.ids = 0

    def _new_id(self) -> str:
        self.ids += 1
        return f"gen-{self.ids}"

    def _spawn(self, fn: Callable[[], Coroutine[Any, Any, Any]], name: str) -> bool:
        if self.tg is None:
            return False
        self.tg.start_soon(fn, name=name)
        return True

    async def _call_command(
        self, call: Any, command: CallCommand, action: Any = None
    ) -> dict[str, Any]:
        self.sent.append((command, action))
        await anyio.lowlevel.checkpoint()
        if self.error is not None:
            raise self.error
        return self.result


def make_call(client: FakeClient, state: str = "created") -> Call:
    return Call(client, "call-1", "node-1", "proj", "office", direction="inbound", state=state)  # type: ignore[arg-type]


def state_event(state: str, **extra: Any) -> RelayEvent:
    params = {"call_id": "call-1", "node_id": "node-1", "call_state": state, **extra}
    return parse_event({"event_type": "calling.call.state", "params": params})


def event(event_type: str, **params: Any) -> RelayEvent:
    return parse_event({"event_type": event_type, "params": {"call_id": "call-1", **params}})


# --------------------------------------------------------------------------- Waiter


async def test_waiter_timeout_does_not_spoil_a_later_wait() -> None:
    waiter: Waiter[int] = Waiter()
    with pytest.raises(TimeoutError):
        await waiter.wait(0.01)
    assert not waiter.is_set()
    async with anyio.create_task_group() as tg:
        results: list[int] = []

        async def wait_it() -> None:
            results.append(await waiter.wait())

        tg.start_soon(wait_it)
        tg.start_soon(wait_it)
        await anyio.wait_all_tasks_blocked()
        waiter.set(7)
        waiter.set(8)  # ignored: first one wins
    assert results == [7, 7]
    assert await waiter.wait(0) == 7


async def test_waiter_fail_raises_for_every_wait() -> None:
    waiter: Waiter[int] = Waiter()
    waiter.fail(RelayError(-1, "Client disconnected"))
    waiter.set(1)
    for _ in range(2):
        with pytest.raises(RelayError, match="Client disconnected"):
            await waiter.wait()
    assert waiter.value is None


def test_waiter_needs_no_running_loop() -> None:
    waiter: Waiter[str] = Waiter()
    waiter.set("x")
    assert waiter.is_set() and waiter.value == "x"


# --------------------------------------------------------------------------- run_callback


async def test_run_callback_sync_inline_and_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []
    run_callback(None, seen.append, 1, "cb")
    assert seen == [1]

    def boom(_: object) -> None:
        raise ValueError("boom")

    with caplog.at_level(logging.ERROR, logger="relay_anyio"):
        run_callback(None, boom, 1, "my listener")
    assert "my listener raised" in caplog.text


async def test_run_callback_async_runs_in_a_task(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []

    async def listener(value: int) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(value)

    async def failing(_: int) -> None:
        raise RuntimeError("async boom")

    async with anyio.create_task_group() as tg:
        client = FakeClient(tg)
        with caplog.at_level(logging.ERROR, logger="relay_anyio"):
            run_callback(client._spawn, listener, 5, "listener")
            run_callback(client._spawn, failing, 5, "failing listener")
            assert seen == []  # not awaited inline
    assert seen == [5]
    assert "failing listener raised" in caplog.text


async def test_run_callback_async_without_client_is_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def listener(_: int) -> None:
        raise AssertionError("must not run")

    with caplog.at_level(logging.ERROR, logger="relay_anyio"):
        run_callback(None, listener, 1, "orphan")
    assert "no client is running" in caplog.text


# --------------------------------------------------------------------------- Call events


async def test_state_listeners_and_repr() -> None:
    async with anyio.create_task_group() as tg:
        client = FakeClient(tg)
        call = make_call(client)
        sync_seen: list[str] = []
        async_seen: list[str] = []

        def bad(_: RelayEvent) -> None:
            raise ValueError("listener bug")

        async def async_listener(ev: RelayEvent) -> None:
            async_seen.append(ev.params["call_state"])

        call.on("calling.call.state", bad)
        call.on("calling.call.state", lambda ev: sync_seen.append(ev.params["call_state"]))
        call.on("calling.call.state", async_listener)
        call._dispatch(state_event("answered"), "answered")
        assert call.state == "answered"
        assert sync_seen == ["answered"]  # ran despite the raising listener before it
    assert async_seen == ["answered"]
    assert repr(call) == "<Call id='call-1' state='answered' direction='inbound'>"


async def test_wait_for_with_predicate_and_timeout_recovery() -> None:
    call = make_call(FakeClient())
    with pytest.raises(TimeoutError):
        await call.wait_for("calling.call.play", timeout=0.01)
    assert not call._waiters  # the timed-out wait cleaned up after itself
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
        call._dispatch(event("calling.call.play", state="playing"), "answered")
        call._dispatch(event("calling.call.record", state="finished"), "answered")
        await anyio.wait_all_tasks_blocked()
        assert result == []
        call._dispatch(event("calling.call.play", state="finished"), "answered")
    assert result[0].params["state"] == "finished"


async def test_wait_for_predicate_error_reaches_the_waiter() -> None:
    call = make_call(FakeClient())

    def predicate(_: RelayEvent) -> bool:
        raise KeyError("oops")

    async with anyio.create_task_group() as tg:
        errors: list[BaseException] = []

        async def wait() -> None:
            try:
                await call.wait_for("calling.call.play", predicate=predicate)
            except KeyError as exc:
                errors.append(exc)

        tg.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        call._dispatch(event("calling.call.play", state="playing"), "answered")
    assert len(errors) == 1


async def test_wait_for_ended_timeout_never_spoils_d20() -> None:
    call = make_call(FakeClient(), "answered")
    with pytest.raises(TimeoutError):
        await call.wait_for_ended(timeout=0.01)
    with pytest.raises(TimeoutError):
        await call.wait_for_ended(timeout=0.01)
    ended = state_event("ended", end_reason="hangup")
    call._dispatch(ended, "ended")
    assert await call.wait_for_ended(timeout=0.01) is ended
    assert await call.wait_for_ended() is ended


async def test_state_waits_already_past_return_synthetic_event() -> None:
    call = make_call(FakeClient(), "answered")
    for wait in (call.wait_for_ringing, call.wait_for_answered):
        ev = await wait(timeout=0.01)
        assert (ev.event_type, ev.params) == ("calling.call.state", {"call_state": "answered"})
    with pytest.raises(TimeoutError):
        await call.wait_for_ending(timeout=0.01)


async def test_state_waits_finish_when_the_call_ends_first_d21() -> None:
    call = make_call(FakeClient(), "ringing")
    results: dict[str, RelayEvent] = {}
    async with anyio.create_task_group() as tg:

        async def wait(name: str, fn: Callable[..., Any]) -> None:
            results[name] = await fn()

        tg.start_soon(wait, "answered", call.wait_for_answered)
        tg.start_soon(wait, "ending", call.wait_for_ending)
        tg.start_soon(wait, "play", lambda: call.wait_for("calling.call.play"))
        await anyio.wait_all_tasks_blocked()
        ended = state_event("ended", end_reason="busy")
        call._dispatch(ended, "ended")
    assert results == {"answered": ended, "ending": ended, "play": ended}
    # Later waits on an ended call return at once.
    assert await call.wait_for("calling.call.collect") is ended
    assert await call.wait_for_answered() is ended


async def test_wait_for_state_exact_target_only() -> None:
    call = make_call(FakeClient(), "created")
    async with anyio.create_task_group() as tg:
        got: list[RelayEvent] = []

        async def wait() -> None:
            got.append(await call.wait_for_ringing())

        tg.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        ringing = state_event("ringing")
        call._dispatch(ringing, "ringing")
    assert got == [ringing]


async def test_state_wait_with_a_predicate_is_level_triggered_d28() -> None:
    call = make_call(FakeClient(), "created")
    answered = state_event("answered")
    call._dispatch(answered, "answered")  # e.g. before dial() returned the call
    got = await call.wait_for(
        "calling.call.state",
        predicate=lambda e: e.params["call_state"] == "answered",
        timeout=0.01,
    )
    assert got is answered
    with pytest.raises(TimeoutError):  # without a predicate: the next state event
        await call.wait_for("calling.call.state", timeout=0.01)
    with pytest.raises(TimeoutError):  # a predicate the latest state does not satisfy
        await call.wait_for(
            "calling.call.state",
            predicate=lambda e: e.params["call_state"] == "ending",
            timeout=0.01,
        )
    call._dispatch(event("calling.call.play", state="finished"), "answered")
    with pytest.raises(TimeoutError):  # other event types are always edges
        await call.wait_for("calling.call.play", predicate=lambda e: True, timeout=0.01)


async def test_abort_fails_pending_and_later_waits() -> None:
    call = make_call(FakeClient(), "answered")
    error = RelayError(-1, "Client disconnected")
    async with anyio.create_task_group() as tg:
        failures: list[BaseException] = []

        async def wait() -> None:
            try:
                await call.wait_for_ended()
            except RelayError as exc:
                failures.append(exc)

        tg.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        call._abort(error)
    assert failures == [error]
    with pytest.raises(RelayError):
        await call.wait_for("calling.call.play")


# --------------------------------------------------------------------------- Call commands


async def test_action_gets_a_control_id_before_sending() -> None:
    client = FakeClient()
    call = make_call(client, "answered")
    action = await call.play_tts("Hello", voice="v1")
    command, registered = client.sent[0]
    assert isinstance(action, PlayAction) and registered is action
    assert command.method == "calling.play" and command.control_id == action.control_id
    assert command.params["play"] == [{"type": "tts", "params": {"text": "Hello", "voice": "v1"}}]
    explicit = await call.record({"format": "wav"}, control_id="rec-1")
    assert isinstance(explicit, RecordAction) and explicit.control_id == "rec-1"
    assert client.sent[1][0].control_id == "rec-1"


async def test_plain_commands_return_the_result() -> None:
    client = FakeClient()
    client.result = {"code": "200", "message": "Answered", "extra": 1}
    call = make_call(client)
    assert await call.answer(max_duration=60) == client.result
    command, action = client.sent[0]
    assert (command.method, command.params, action) == (
        "calling.answer",
        {"max_duration": 60},
        None,
    )
    await call.hangup("busy")
    assert client.sent[1][0].params == {"reason": "busy"}
    await call.hangup("whenever")  # the service decides on reasons (docs/deviations.md)
    assert client.sent[2][0].params == {"reason": "whenever"}
    with pytest.raises(ValueError, match="control_id"):
        await call.send_digits("1", control_id="")
    assert len(client.sent) == 3  # nothing sent for the invalid one


async def test_action_subcommands_use_their_prefix() -> None:
    client = FakeClient()
    call = make_call(client, "answered")
    fax = await call.send_fax("https://example.com/doc.pdf")
    received = await call.receive_fax()
    collect = await call.prompt_tts("Press 1", {"digits": {"max": 1}})
    standalone = await call.collect(digits={"max": 4})
    assert isinstance(fax, FaxAction) and isinstance(collect, CollectAction)
    assert isinstance(standalone, StandaloneCollectAction)
    client.sent.clear()
    await fax.stop()
    await received.stop()
    await collect.volume(-3.0)
    await collect.pause()
    await collect.start_input_timers()
    await standalone.start_input_timers()
    methods = [(c.method, c.control_id) for c, _ in client.sent]
    assert methods == [
        ("calling.send_fax.stop", fax.control_id),
        ("calling.receive_fax.stop", received.control_id),
        ("calling.play_and_collect.volume", collect.control_id),
        ("calling.play_and_collect.pause", collect.control_id),
        ("calling.collect.start_input_timers", collect.control_id),
        ("calling.collect.start_input_timers", standalone.control_id),
    ]


async def test_a_handle_built_directly_has_no_kind_unless_a_fax_handle_is_given_one() -> None:
    client = FakeClient()
    call = make_call(client, "answered")
    play = PlayAction(call, "ctl")
    for sub_command in (play.stop, play.pause, play.resume, lambda: play.volume(1.0)):
        with pytest.raises(ValueError, match="not started by a Call method"):
            await sub_command()
    with pytest.raises(ValueError, match="not started by a Call method"):
        await FaxAction(call, "fax-0").stop()
    assert client.sent == []
    await FaxAction(call, "fax-1", "receive_fax").stop()
    assert [(c.method, c.control_id) for c, _ in client.sent] == [
        ("calling.receive_fax.stop", "fax-1")
    ]


async def test_action_completion_and_on_completed() -> None:
    seen: list[str] = []

    async def async_done(ev: RelayEvent) -> None:
        seen.append("async:" + ev.params["state"])

    async with anyio.create_task_group() as tg:
        client = FakeClient(tg)
        call = make_call(client, "answered")
        sync_action = await call.play_audio(
            "https://x/a.wav", on_completed=lambda ev: seen.append("sync:" + ev.params["state"])
        )
        async_action = await call.play_silence(1.0, on_completed=async_done)
        with pytest.raises(TimeoutError):
            await sync_action.wait(timeout=0.01)
        assert not sync_action.is_done and sync_action.result is None
        finished = event("calling.call.play", control_id=sync_action.control_id, state="finished")
        sync_action._complete(finished)
        sync_action._complete(finished)  # a second completion changes nothing
        assert seen == ["sync:finished"]
        assert sync_action.completed and sync_action.is_done
        assert await sync_action.wait() is finished
        async_action._complete(event("calling.call.play", state="error"))
    assert seen == ["sync:finished", "async:error"]


@pytest.mark.parametrize(
    ("reason", "fires"),
    [("event", True), ("call_gone", True), ("call_ended", True), ("not_started", False)],
)
async def test_on_completed_follows_the_reason_the_core_gives(reason: str, fires: bool) -> None:
    # The call's own state does not matter: relay_proto's reason decides (fires_on_completed).
    for state in ("answered", "ended"):
        call = make_call(FakeClient(), state)
        fired: list[RelayEvent] = []
        action = await call.play_tts("bye", on_completed=fired.append)
        done = RelayEvent("", {})
        action._complete(done, reason)
        assert fired == ([done] if fires else [])
        assert action.is_done and action.result is done


async def test_failed_start_wakes_waiters_and_skips_callback() -> None:
    fired: list[RelayEvent] = []
    action = PlayAction(make_call(FakeClient()), "ctl")
    action._on_completed = fired.append
    action._fail(RelayError(500, "boom"))
    with pytest.raises(RelayError, match="boom"):
        await action.wait()
    action._complete(RelayEvent("", {}))
    assert fired == []


# --------------------------------------------------------------------------- Message


async def test_message_states_listeners_and_completion() -> None:
    async with anyio.create_task_group() as tg:
        client = FakeClient(tg)
        message = Message(
            message_id="m1", direction="outbound", state="queued", from_number="+1", to_number="+2"
        )
        message._spawn = client._spawn
        seen: list[str] = []
        done: list[str] = []

        async def async_listener(ev: RelayEvent) -> None:
            seen.append("async:" + ev.params["message_state"])

        def bad(_: RelayEvent) -> None:
            raise RuntimeError("listener bug")

        message.on(bad)
        message.on(lambda ev: seen.append(ev.params["message_state"]))
        message.on(async_listener)
        message._on_completed = lambda ev: done.append(ev.params["message_state"])
        sent = RelayEvent("messaging.state", {"message_id": "m1", "message_state": "sent"})
        message._dispatch(sent, "sent", "", False)
        assert (message.state, message.is_done, message.result) == ("sent", False, None)
        with pytest.raises(TimeoutError):
            await message.wait(timeout=0.01)
        failed = RelayEvent(
            "messaging.state",
            {"message_id": "m1", "message_state": "undelivered", "reason": "spam"},
        )
        message._dispatch(failed, "undelivered", "spam", True)
        assert (message.state, message.reason) == ("undelivered", "spam")
        assert message.is_done and message.result is failed
        assert await message.wait(timeout=0.01) is failed
    assert done == ["undelivered"]
    assert sorted(seen) == sorted(["sent", "undelivered", "async:sent", "async:undelivered"])
    assert repr(message) == (
        "Message(id='m1', direction='outbound', state='undelivered', from='+1', to='+2')"
    )


def test_message_copies_its_lists() -> None:
    media = ["https://x/1.png"]
    message = Message(media=media, tags=None)
    media.append("https://x/2.png")
    assert message.media == ["https://x/1.png"] and message.tags == []


async def test_waiter_wait_started_after_the_result_came() -> None:
    # The awaitable wait() returns may be awaited later: a result stored in between is seen.
    waiter: Waiter[int] = Waiter()
    pending = waiter.wait()
    waiter.set(3)
    with anyio.fail_after(5):  # a lost wake-up would wait for ever
        assert await pending == 3
    failing: Waiter[int] = Waiter()
    pending = failing.wait()
    failing.fail(RelayError(-1, "gone"))
    with anyio.fail_after(5), pytest.raises(RelayError, match="gone"):
        await pending
