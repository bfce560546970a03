"""The client against the emulator when things go wrong or get busy: dropped sockets, server
restarts, bad credentials, raising handlers, timed-out waits, 200 calls at once, calls over the
limit, graceful shutdown (calls still arriving are passed back), serve() and requests cancelled
from outside, and calls the application passes on. Real loopback sockets, on asyncio and trio."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

from relay_anyio import Call, RelayClient, RelayError, RelayEvent
from relay_anyio.testing import RelayEmulator, Silence
from relay_proto import SessionReady, TransportLost

from .support import watch

pytestmark = pytest.mark.anyio

CALLER, OFFICE = "+15551230001", "+15551230002"
LONG_AUDIO = "https://media.example.com/hold-music.mp3"
# Simulated seconds; 86.4 s of real time at time_scale 0.001: longer than any test.
ONE_DAY = 86400.0


def client_for(emu: RelayEmulator, **kwargs: Any) -> RelayClient:
    kwargs.setdefault("contexts", ["office"])
    return RelayClient(project="p", token="t", host=emu.url, **kwargs)


async def test_reconnect_with_resume_keeps_calls_and_queues_requests(emu: RelayEmulator) -> None:
    emu.set_audio_duration(LONG_AUDIO, ONE_DAY)
    client = client_for(emu)
    lost = watch(client, TransportLost)
    ready = watch(client, SessionReady)
    actions: list[Any] = []
    started = anyio.Event()

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        actions.append(await call.play_audio(LONG_AUDIO))
        started.set()

    await client.connect()
    try:
        protocol = client.relay_protocol
        caller = await emu.call(
            context="office", from_number=CALLER, to_number=OFFICE, script=[Silence(ONE_DAY)]
        )
        await started.wait()
        outage, back = lost[0], ready[0]
        assert emu.faults.drop_all_now() == 1
        await outage.wait()
        # Issued while the socket is down: queued, sent after re-authentication, answered.
        await client.receive(["sales"])
        await back.wait()
        assert client.relay_protocol == protocol  # the session was resumed
        connects = emu.journal.requests("signalwire.connect")
        assert connects[-1].params["protocol"] == protocol
        # The call survived: its action is stopped and completes over the new socket.
        play = actions[0]
        await play.stop()
        event = await play.wait()
        assert event.params["state"] == "finished"
        # And the context added during the outage routes calls to us.
        sales = await emu.call(context="sales", from_number=CALLER, to_number=OFFICE)
        await sales.wait_answered()
        await caller.hangup()
    finally:
        await client.disconnect()


async def test_server_disconnect_with_restart_gives_a_fresh_session(emu: RelayEmulator) -> None:
    client = client_for(emu)
    ready = watch(client, SessionReady)
    handled: list[str] = []

    @client.on_call
    async def handle(call: Call) -> None:
        handled.append(call.call_id)
        await call.hangup()

    async with client:
        first = client.relay_protocol
        fresh = ready[0]
        assert emu.faults.disconnect(restart=True) == 1
        await fresh.wait()
        assert client.relay_protocol not in ("", first)
        assert "protocol" not in emu.journal.requests("signalwire.connect")[-1].params
        caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await caller.wait_ended()
    assert len(handled) == 1


async def test_bad_credentials_are_a_clear_error_after_bounded_attempts(
    emu: RelayEmulator,
) -> None:
    wrong = RelayClient(project="p", token="nope", host=emu.url)
    with pytest.raises(RelayError) as info:
        await wrong.connect()
    assert info.value.code == -32002
    assert len(emu.journal.requests("signalwire.connect")) == 1
    emu.faults.reject_credentials(True)
    with pytest.raises(RelayError):
        await client_for(emu).serve()
    assert len(emu.journal.requests("signalwire.connect")) == 1 + 3


async def test_a_raising_handler_hurts_nothing(
    emu: RelayEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(emu)
    answered: list[str] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        if call.device["params"]["from_number"] == "+15550000666":
            raise RuntimeError("bug in the application")
        answered.append(call.call_id)
        await call.hangup()

    with caplog.at_level(logging.ERROR, logger="relay_anyio"):
        async with client:
            bad = await emu.call(context="office", from_number="+15550000666", to_number=OFFICE)
            await bad.wait_answered()
            good = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
            await good.wait_ended()
            await bad.hangup()
    assert answered == [good.call_id]
    assert f"on_call handler for call {bad.call_id} raised" in caplog.text
    assert "bug in the application" in caplog.text


async def test_timed_out_waits_recover(emu: RelayEmulator) -> None:
    emu.set_audio_duration(LONG_AUDIO, ONE_DAY)
    client = client_for(emu)
    outcome: list[Any] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        play = await call.play_audio(LONG_AUDIO)
        with pytest.raises(TimeoutError):
            await play.wait(timeout=0.01)
        with pytest.raises(TimeoutError):
            await call.wait_for_ended(timeout=0.01)
        assert not play.is_done
        await play.stop()
        outcome.append(await play.wait(timeout=30))  # the same action still completes
        outcome.append(await call.wait_for_ended(timeout=30))  # and the call still ends
        finished.set()

    finished = anyio.Event()

    async with client:
        caller = await emu.call(
            context="office", from_number=CALLER, to_number=OFFICE, script=[Silence(ONE_DAY)]
        )
        await emu.wait_for_request("calling.play.stop")
        await caller.hangup()
        await caller.wait_ended()
        await finished.wait()
    play_event, ended = outcome
    assert play_event.params["state"] == "finished"
    assert ended.params["call_state"] == "ended"


async def test_waits_finish_when_the_call_ends(emu: RelayEmulator) -> None:
    emu.set_audio_duration(LONG_AUDIO, ONE_DAY)
    client = client_for(emu)
    results: list[RelayEvent] = []
    done = anyio.Event()

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        play = await call.play_audio(LONG_AUDIO)
        results.append(await play.wait())  # no timeout: the end of the call ends it
        results.append(await call.wait_for("calling.call.collect"))
        results.append(await call.wait_for_answered())
        done.set()

    async with client:
        caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await caller.wait_heard("")  # the hold music started
        await caller.hangup()
        await done.wait()
    play_result, collect_wait, answered_wait = results
    # The play ends with its own final event if the server sends one first, else with the
    # call's ended event (decision D14); the other waits get the ended event (D21, D28).
    assert play_result.params.get("state") == "finished" or play_result.event_type == (
        "calling.call.state"
    )
    assert collect_wait.params["call_state"] == answered_wait.params["call_state"] == "ended"


async def test_200_inbound_calls_in_parallel(emu: RelayEmulator) -> None:
    total = 200
    client = client_for(emu)
    started = 0
    everyone_in = anyio.Event()
    done: list[str] = []

    @client.on_call
    async def handle(call: Call) -> None:
        nonlocal started
        await call.answer()
        started += 1
        if started == total:
            everyone_in.set()
        # Only possible if all 200 handlers run at the same time.
        await everyone_in.wait()
        await (await call.play_tts(f"Hello caller {call.call_id}")).wait()
        await call.hangup()
        done.append(call.call_id)
        if len(done) == total:
            all_done.set()

    all_done = anyio.Event()
    async with client:
        with anyio.fail_after(60):
            callers = [
                await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
                for _ in range(total)
            ]
            for caller in callers:
                await caller.wait_ended()
            await all_done.wait()
    assert sorted(done) == sorted(c.call_id for c in callers)


async def test_calls_over_the_limit_are_passed_back(emu: RelayEmulator) -> None:
    small = client_for(emu, max_active_calls=1)
    spare = client_for(emu)
    hold = anyio.Event()
    by_client: dict[str, list[str]] = {"small": [], "spare": []}

    def handler(name: str) -> Any:
        async def handle(call: Call) -> None:
            by_client[name].append(call.call_id)
            await call.answer()
            await hold.wait()
            await call.hangup()

        return handle

    small.on_call(handler("small"))
    spare.on_call(handler("spare"))
    async with small, spare:
        callers = [
            await emu.call(context="office", from_number=CALLER, to_number=OFFICE) for _ in range(4)
        ]
        for caller in callers:
            await caller.wait_answered()
        hold.set()
        for caller in callers:
            await caller.wait_ended()
    assert len(by_client["small"]) == 1
    assert len(by_client["spare"]) == 3
    passes = emu.journal.requests("calling.pass")
    assert passes, "the client over its limit passed a call back"


async def test_graceful_stop_unreceives_then_lets_a_running_handler_finish(
    emu: RelayEmulator,
) -> None:
    client = client_for(emu, shutdown_timeout=30.0)
    release = anyio.Event()
    in_handler = anyio.Event()
    finished: list[str] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        in_handler.set()
        await release.wait()
        await call.hangup()
        finished.append(call.call_id)

    async with anyio.create_task_group() as tg:
        tg.start_soon(client.serve)
        first = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await in_handler.wait()
        tg.start_soon(client.stop)
        await emu.wait_for_request("signalwire.unreceive")
        assert client._running  # still draining: the handler has not finished
        release.set()
        await first.wait_ended()
    assert finished == [first.call_id]
    assert not client._running


async def test_stop_cancels_handlers_after_the_bound(emu: RelayEmulator) -> None:
    client = client_for(emu, shutdown_timeout=0.05)
    cancelled = anyio.Event()

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(client.serve)
        caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await caller.wait_answered()
        await client.stop()
    assert cancelled.is_set()


async def test_stop_from_a_handler_does_not_wait_for_itself(emu: RelayEmulator) -> None:
    client = client_for(emu)
    events: list[RelayEvent] = []

    @client.on_call
    async def handle(call: Call) -> None:
        await call.answer()
        await client.stop()  # returns at once; the stop waits for this handler to finish
        events.append(await call.wait_for_answered())
        await call.hangup()

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.serve)
            caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
            await caller.wait_ended()
    assert len(events) == 1


async def test_connect_after_disconnect_resumes_the_session(emu: RelayEmulator) -> None:
    # Official behaviour 12: a later connect on the same client sends the protocol back.
    client = client_for(emu)
    await client.connect()
    first = client.relay_protocol
    await client.receive(["sales"])
    await client.disconnect()
    await client.connect()
    try:
        again = emu.journal.requests("signalwire.connect")[-1].params
        assert again["protocol"] == first
        assert again["contexts"] == ["office", "sales"]  # receive()d contexts kept (D8)
        assert client.relay_protocol == first
    finally:
        await client.disconnect()


async def test_calls_arriving_while_stopping_are_passed_back(emu: RelayEmulator) -> None:
    # The core's drain() (unreceive + pass back what still arrives) is covered in
    # tests/proto/test_connection_lifecycle_extras.py; here: the whole stop over a socket.
    client = client_for(emu, shutdown_timeout=30.0)
    answered = anyio.Event()
    release = anyio.Event()
    handled: list[str] = []

    @client.on_call
    async def handle(call: Call) -> None:
        handled.append(call.call_id)
        await call.answer()
        answered.set()
        await release.wait()
        await call.hangup()

    # The server never confirms the unreceive (the stop gives up on it after 2 s), so it keeps
    # offering calls to this client while it drains: those must go back with calling.pass.
    emu.faults.ignore_method("signalwire.unreceive")
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.serve)
        first = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await answered.wait()
        tg.start_soon(client.stop)
        await emu.wait_for_request("signalwire.unreceive")
        late = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await emu.wait_for_request("calling.pass", lambda params: params["call_id"] == late.call_id)
        release.set()  # the running handler finishes its call during the stop
        await first.wait_ended()
    assert handled == [first.call_id]  # the late call never reached the handler
    assert [entry.params["call_id"] for entry in emu.journal.requests("calling.answer")] == [
        first.call_id
    ]
    assert late.state != "ended"  # handed back to the server, not hung up
    assert not client._running


async def test_disconnect_fails_message_waits(emu: RelayEmulator) -> None:
    from relay_anyio import Message

    client = client_for(emu)
    await client.connect()
    pending = Message(message_id="m-never", direction="outbound", state="queued")
    client._router.track_message(pending)
    errors: list[BaseException] = []

    async def wait() -> None:
        try:
            await pending.wait()
        except RelayError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        await client.disconnect()
    assert [str(e) for e in errors] == ["RELAY error -1: Client disconnected"]


async def test_serve_cancelled_from_outside_returns_and_frees_everything(
    emu: RelayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "1")
    client = client_for(emu)
    ready = watch(client, SessionReady)
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.serve)
        await ready[0].wait()
        protocol = client.relay_protocol
        tg.cancel_scope.cancel()  # serve() returns: nothing escapes the cancelled scope
    assert not client._running
    # It said goodbye on the way out, and the emulator saw the socket go.
    await emu.wait_for_transcript("client closed the WebSocket")
    await emu.wait_for_transcript("socket closed")
    assert not any(info.open for info in emu.clients)
    with pytest.raises(RelayError, match="not connected"):
        await client.execute("signalwire.ping", {})
    # The one connection slot was given back: another client may connect, then this one again.
    async with client_for(emu) as other:
        assert other.relay_protocol not in ("", protocol)
    async with client:
        assert client.relay_protocol == protocol  # the session resumes
        assert (await client.execute("signalwire.receive", {"contexts": ["sales"]}))[
            "code"
        ] == "200"


async def test_a_cancelled_request_leaves_the_session_working(emu: RelayEmulator) -> None:
    emu.faults.ignore_method("signalwire.receive")
    async with client_for(emu) as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.receive, ["sales"])
            await emu.wait_for_request("signalwire.receive")
            tg.cancel_scope.cancel()  # the application gives up on the unanswered request
        emu.faults.ignore_method("signalwire.receive", on=False)
        assert (await client.execute("signalwire.receive", {"contexts": ["support"]}))[
            "code"
        ] == "200"
        assert len(emu.journal.requests("signalwire.connect")) == 1


async def test_waits_on_a_passed_call_fail_at_once_and_the_client_drops_it(
    emu: RelayEmulator,
) -> None:
    # D29: the server tells this client nothing more about a call it passed, not even its end.
    first = client_for(emu)
    other = client_for(emu)
    passed: list[Call] = []
    errors: list[str] = []
    taken: list[str] = []
    done = anyio.Event()

    @first.on_call
    async def hand_over(call: Call) -> None:
        try:
            await pass_and_wait(call)
        finally:
            done.set()

    async def pass_and_wait(call: Call) -> None:
        async def wait_ended() -> None:
            try:
                await call.wait_for_ended()
            except RelayError as exc:
                errors.append(f"pending: {exc.message}")

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait_ended)  # a wait already pending when the call is passed
            await anyio.wait_all_tasks_blocked()
            await call.pass_()
            passed.append(call)
            with anyio.fail_after(10), pytest.raises(RelayError) as info:
                await call.wait_for_ended()  # and one started after
            errors.append(f"later: {info.value.message}")
        assert await call.answer() == {}  # nothing is sent for a call the client let go

    @other.on_call
    async def take(call: Call) -> None:
        taken.append(call.call_id)
        await call.answer()
        await call.hangup()

    async with first:
        await emu.wait_for_clients(1, context="office")
        caller = await emu.call(context="office", from_number=CALLER, to_number=OFFICE)
        await emu.wait_for_request("calling.pass")
        async with other:  # the next consumer of the context gets the call
            assert await caller.wait_ended() == "hangup"
        await done.wait()
        assert sorted(errors) == [
            "later: Call passed to another consumer",
            "pending: Call passed to another consumer",
        ]
    assert [call.call_id for call in passed] == taken == [caller.call_id]
    assert caller.call_id not in first._router.calls
    assert [entry.conn for entry in emu.journal.requests("calling.answer")] == [2]
