"""Scripted outcomes of the services a call uses, event by event over a real socket."""

from __future__ import annotations

from typing import Any

import pytest

from relay_anyio.testing import (
    AIConversation,
    FaxOutcome,
    Payment,
    Persona,
    RelayEmulator,
    Say,
)

from .conftest import answered_call
from .rawclient import RawClient

pytestmark = pytest.mark.anyio

CONNECTOR = "https://pay.example.com/charge"


def seconds(value: float) -> Any:
    return pytest.approx(value, abs=1e-3)


async def events_until(
    client: RawClient, event_type: str, last: Any, *, key: str = "state"
) -> list[dict[str, Any]]:
    """Events of ``event_type`` up to the first whose ``key`` is in ``last``."""
    out = []
    while True:
        params = await client.event(event_type)
        out.append(params)
        if params.get(key) in last:
            return out


async def pay(
    emu: RelayEmulator, client: RawClient, payment: Payment | None, **params: Any
) -> list[dict[str, Any]]:
    persona = Persona.human() if payment is None else Persona.human().scripted(payment=payment)
    _, call = await answered_call(emu, client, persona=persona)
    await client.call(
        "calling.pay", call, control_id="p", payment_connector_url=CONNECTOR, **params
    )
    return await events_until(client, "calling.call.pay", ("finished", "error"))


async def test_payment_succeeds_with_the_collected_fields(
    emu: RelayEmulator, client: RawClient
) -> None:
    events = await pay(emu, client, None)
    assert [(e["state"], e.get("for")) for e in events] == [
        ("started", None),
        ("updated", "expiration-date"),
        ("updated", "security-code"),
        ("updated", "postal-code"),
        ("updated", "payment-processing"),
        ("finished", None),
    ]
    final = events[-1]
    assert final["result"] == "success" and final["payment_token"] == "tok-p"
    assert final["payment_card_number"] == "************1111"
    assert final["payment_card_type"] == "visa"
    assert final["payment_card_expiration_date"] == "1230"
    assert final["payment_card_security_code"] == "***"
    assert final["payment_card_postal_code"] == "94105"
    assert final["control_id"] == "p"


async def test_payment_declined(emu: RelayEmulator, client: RawClient) -> None:
    final = (await pay(emu, client, Payment.declined(), security_code="false"))[-1]
    assert (final["state"], final["result"], final["payment_error"]) == (
        "error",
        "payment-connector-error",
        "card-declined",
    )
    assert final["payment_card_number"].endswith("0002")
    assert "payment_card_security_code" not in final  # not asked for


async def test_invalid_card_number_until_attempts_run_out(
    emu: RelayEmulator, client: RawClient
) -> None:
    events = await pay(emu, client, Payment.invalid_card(), max_attempts="2")
    errors = [(e["for"], e["error_type"], e["attempt"]) for e in events if "error_type" in e]
    assert errors == [
        ("payment-card-number", "invalid-card-number", 1),
        ("payment-card-number", "invalid-card-number", 2),
    ]
    final = events[-1]
    assert (final["state"], final["result"], final["payment_error"]) == (
        "error",
        "too-many-failed-attempts",
        "invalid-card-number",
    )


async def test_payment_timeout(emu: RelayEmulator, client: RawClient) -> None:
    events = await pay(emu, client, Payment.timeout(), timeout=7)
    start = emu.journal.events("calling.call.pay")[0].params["timestamp"]
    final = events[-1]
    assert (final["result"], final["payment_error"]) == ("too-many-failed-attempts", "timeout")
    # One prompt (2 s) and the 7 s the caller had to start keying in.
    assert client.last_envelope["timestamp"] - start == seconds(9.0)


async def test_payment_connector_error(emu: RelayEmulator, client: RawClient) -> None:
    final = (await pay(emu, client, Payment.error("503", "bank offline"), postal_code="90210"))[-1]
    assert final["connector_error"] == {"code": "503", "message": "bank offline"}
    assert final["state"] == "error" and "payment_card_postal_code" not in final


async def test_payment_stopped_or_abandoned(emu: RelayEmulator, client: RawClient) -> None:
    slow = Persona.human().scripted(payment=Payment.timeout())  # still keying in at the stop
    caller, call = await answered_call(emu, client, persona=slow)
    params = {"payment_connector_url": CONNECTOR, "timeout": 600}
    await client.call("calling.pay", call, control_id="p", **params)
    await client.call("calling.pay.stop", call, control_id="p")
    stopped = await client.event("calling.call.pay", lambda p: p["state"] == "error")
    assert stopped["result"] == "relay-pay-stop"
    await client.call("calling.pay", call, control_id="q", **params)
    await caller.hangup()
    gone = await client.event("calling.call.pay", lambda p: p["state"] == "error")
    assert (gone["control_id"], gone["result"]) == ("q", "caller-hung-up")


def test_bad_payment_scripts() -> None:
    with pytest.raises(ValueError, match="check"):
        Payment(result="invalid_card")
    with pytest.raises(ValueError, match="result"):
        Payment(result="maybe")
    with pytest.raises(ValueError, match="digits"):
        Payment(card_number="4111-1111")


async def test_ai_conversation_and_summary(emu: RelayEmulator, client: RawClient) -> None:
    chat = AIConversation(
        caller=("I need a table for two", "At eight tonight"),
        agent=("For what time?", "Booked, see you at eight."),
        summary="Table for two at 8 pm",
    )
    caller, call = await answered_call(emu, client, persona=Persona.human().scripted(ai=chat))
    await client.call(
        "calling.ai", call, control_id="ai", post_prompt_url="https://example.com/summary"
    )
    events = await events_until(client, "calling.call.ai", ("finished", "error"))
    turns = [(e["conversation"]["role"], e["conversation"]["content"]) for e in events[1:-1]]
    assert turns == [
        ("user", "I need a table for two"),
        ("assistant", "For what time?"),
        ("user", "At eight tonight"),
        ("assistant", "Booked, see you at eight."),
    ]
    final = events[-1]
    assert (final["state"], final["result"], final["summary"]) == (
        "finished",
        "success",
        "Table for two at 8 pm",
    )
    assert caller.heard == ["For what time?", "Booked, see you at eight."]
    assert caller.state == "answered"  # the agent ended its session; the call goes on
    [hook] = emu.webhooks
    assert hook.url == "https://example.com/summary"
    assert hook.payload["post_prompt_data"] == {"raw": "Table for two at 8 pm"}


async def test_ai_caller_hangs_up_or_fails(emu: RelayEmulator, client: RawClient) -> None:
    chat = AIConversation(caller=("Cancel my order",), result="error", caller_hangs_up=True)
    caller, call = await answered_call(emu, client, persona=Persona.human().scripted(ai=chat))
    await client.call("calling.ai", call, control_id="ai")
    final = await client.event(
        "calling.call.ai", lambda p: p["state"] not in ("started", "conversation")
    )
    assert (final["state"], final["summary"]) == ("error", "Cancel my order")
    assert await caller.wait_ended() == "hangup"
    with pytest.raises(ValueError):
        AIConversation(caller=())


async def test_ai_hears_what_the_caller_says(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client, script=[Say("Is anyone there")])
    await client.call("calling.ai", call, control_id="ai")
    said = await client.event("calling.call.ai", lambda p: p["state"] == "conversation")
    assert said["conversation"] == {"role": "user", "content": "Is anyone there"}
    await client.call("calling.ai.stop", call, control_id="ai")
    final = await client.event("calling.call.ai", lambda p: p["state"] == "finished")
    assert final["summary"] == "Is anyone there"


async def test_transcription_text(emu: RelayEmulator, client: RawClient) -> None:
    persona = Persona.human().scripted(speech="I want a refund")
    caller, call = await answered_call(emu, client, persona=persona, script=[Say("order 42")])
    await client.call(
        "calling.transcribe", call, control_id="t", status_url="https://example.com/t"
    )
    await emu.wait_for_transcript("transcribe heard 'I want a refund'")
    await caller.hangup()
    final = await client.event("calling.call.transcribe", lambda p: p["state"] == "finished")
    assert final["text"] == "order 42 I want a refund"
    [hook] = emu.webhooks
    assert hook.payload["text"] == final["text"] and hook.url == "https://example.com/t"


async def test_live_transcription_and_translation(emu: RelayEmulator, client: RawClient) -> None:
    persona = Persona.human().scripted(speech="Where is my parcel", translation="Donde esta")
    caller, call = await answered_call(emu, client, persona=persona)
    start = {"start": {"webhook": "https://example.com/live", "lang": "en-US"}}
    assert (await client.call("calling.live_transcribe", call, action=start))["code"] == "200"
    translate = {"start": {"webhook": "https://example.com/tr", "target": "es"}}
    await emu.wait_for_transcript("live transcription: 'Where is my parcel'")
    await client.call("calling.live_translate", call, action=translate)
    await emu.wait_for_transcript("live translation: 'Donde esta'")
    await caller.say("tracking 123")
    await emu.wait_for_transcript("live translation: '[es] tracking 123'")
    await client.call("calling.live_transcribe", call, action={"summarize": {}})
    await client.call("calling.live_translate", call, action={"inject": {"text": "un momento"}})
    await client.call("calling.live_transcribe", call, action={"stop": {}})
    live = [h.payload for h in emu.webhooks if h.url == "https://example.com/live"]
    assert live == [
        {"type": "transcription", "text": "Where is my parcel", "language": "en-US"},
        {"type": "transcription", "text": "tracking 123", "language": "en-US"},
        {"type": "summary", "summary": "Where is my parcel tracking 123"},
    ]
    translated = [h.payload["translation"] for h in emu.webhooks if h.url.endswith("/tr")]
    assert translated == ["Donde esta", "[es] tracking 123", "[es] un momento"]
    again = await client.call("calling.live_translate", call, action=translate)
    assert again["code"] == "409"


async def test_machine_with_a_pause_in_its_greeting(emu: RelayEmulator, client: RawClient) -> None:
    machine = Persona.machine(greeting_words=10, pause_after=4, pause=2.0)
    await emu.call(
        context="office", from_number="+15551230001", to_number="+15551230002", persona=machine
    )
    call = await client.event("calling.call.receive")
    await client.call(  # detection asked before the answer starts listening at the answer
        "calling.detect",
        call,
        control_id="d",
        detect={"type": "machine", "params": {"end_silence_timeout": 1.0}},
    )
    await client.call("calling.answer", call)
    await client.event("calling.call.state", lambda p: p["call_state"] == "answered")
    answered = client.last_envelope["timestamp"]
    seen = []
    while not seen or seen[-1][0] != "finished":
        event = await client.event("calling.call.detect")
        seen.append((event["detect"]["params"]["event"], client.last_envelope["timestamp"]))
    when = [(value, round(t - answered, 3)) for value, t in seen]
    # MACHINE after 1.25 s of voice; 4 words (1.6 s) then a 2 s pause: READY 1 s into it,
    # NOT_READY when the greeting resumes, READY at the beep after the last 6 words.
    assert when == [
        ("MACHINE", 1.25),
        ("READY", 2.6),
        ("NOT_READY", 3.6),
        ("READY", 6.5),
        ("finished", 6.5),
    ]


@pytest.mark.parametrize("direction", ["send", "receive"])
async def test_fax_pages_and_failure(emu: RelayEmulator, client: RawClient, direction: str) -> None:
    params = {"document": "https://x.test/doc.pdf"} if direction == "send" else {}
    fax = Persona.fax().scripted(fax=FaxOutcome(pages=3))
    _, call = await answered_call(emu, client, persona=fax)
    await client.call(f"calling.{direction}_fax", call, control_id="f", **params)
    events = await events_until(client, "calling.call.fax", ("finished", "error"))
    assert [e["fax"]["params"]["pages"] for e in events] == ["1", "2", "3", "3"]
    assert events[-1]["fax"]["params"]["success"] is True
    broken = Persona.fax().scripted(fax=FaxOutcome(pages=3, fails_after=1, error="line noise"))
    _, call = await answered_call(emu, client, persona=broken)
    await client.call(f"calling.{direction}_fax", call, control_id="g", **params)
    events = await events_until(client, "calling.call.fax", ("finished", "error"))
    assert [e["fax"]["type"] for e in events] == ["page", "error"]
    assert events[-1]["fax"]["params"] == {
        **events[-1]["fax"]["params"],
        "success": False,
        "pages": "1",
        "result_text": "line noise",
    }
    with pytest.raises(ValueError):
        FaxOutcome(pages=2, fails_after=2)


async def test_tap_and_stream_failures(emu: RelayEmulator, client: RawClient) -> None:
    emu.unreachable("wss://media.example.com/down", reason="handshake failed", after=1.0)
    emu.unreachable("192.0.2.1:1234")
    _, call = await answered_call(emu, client)
    await client.call("calling.stream", call, control_id="s", url="wss://media.example.com/down")
    stream = await events_until(client, "calling.call.stream", ("finished", "error"))
    assert [e["state"] for e in stream] == ["streaming", "error"]
    assert stream[-1]["reason"] == "handshake failed"
    tap = {"type": "audio", "params": {"direction": "both"}}
    device = {"type": "rtp", "params": {"addr": "192.0.2.1", "port": 1234}}
    await client.call("calling.tap", call, control_id="t", tap=tap, device=device)
    taps = await events_until(client, "calling.call.tap", ("finished",))
    assert [e["state"] for e in taps] == ["tapping", "finished"]
    assert taps[-1]["reason"] == "connection refused"
    await client.call("calling.stream", call, control_id="ok", url="wss://media.example.com/up")
    assert (await client.event("calling.call.stream"))["state"] == "streaming"
    with pytest.raises(ValueError):
        emu.unreachable("", after=1)


async def test_queue_positions_and_leaving_by_timeout(
    emu: RelayEmulator, client: RawClient
) -> None:
    emu.queue_max_wait("support", 60)
    calls = [(await answered_call(emu, client))[1] for _ in range(3)]
    for index, call in enumerate(calls):
        await client.call("calling.queue.enter", call, control_id=f"q{index}", queue_name="support")
        await client.event("calling.call.queue", lambda p: p["status"] == "enqueue")
    await client.call("calling.queue.leave", calls[0], control_id="q0", queue_name="support")
    left = await client.event("calling.call.queue", lambda p: p["status"] == "leave")
    assert (left["control_id"], left["position"], left["size"]) == ("q0", 1, 2)
    updates = [await client.event("calling.call.queue") for _ in range(2)]
    assert [(u["status"], u["control_id"], u["position"]) for u in updates] == [
        ("update", "q1", 1),
        ("update", "q2", 2),
    ]
    timed_out = await client.event("calling.call.queue", lambda p: p.get("reason") == "timeout")
    assert (timed_out["status"], timed_out["control_id"]) == ("leave", "q1")
    moved_up = await client.event("calling.call.queue", lambda p: p["status"] == "update")
    assert (moved_up["control_id"], moved_up["position"]) == ("q2", 1)
    emu.queue_max_wait("support", None)
    with pytest.raises(ValueError):
        emu.queue_max_wait("support", -1)


async def test_conference_with_a_participant_who_leaves(
    emu: RelayEmulator, client: RawClient
) -> None:
    leaver, first = await answered_call(emu, client)
    others = [(await answered_call(emu, client))[1] for _ in range(2)]
    for call in (first, *others):
        await client.call("calling.join_conference", call, name="standup")
    await emu.wait_for_transcript("joined conference 'standup' (3 participants)")
    await leaver.hangup()
    statuses = await events_until(
        client, "calling.conference", ("participant-leave",), key="status"
    )
    assert [e["status"] for e in statuses] == [
        "conference-start",
        "participant-join",
        "participant-join",
        "participant-join",
        "participant-leave",
    ]
    assert statuses[-1]["call_id"] == leaver.call_id and statuses[-1]["participants"] == 2
    assert emu.conference("standup") == [c["call_id"] for c in others]


async def test_rooms(emu: RelayEmulator, client: RawClient) -> None:
    caller, first = await answered_call(emu, client)
    _, second = await answered_call(emu, client)
    for call in (first, second):
        assert (await client.call("calling.join_room", call, name="lobby"))["code"] == "200"
    states = [await client.event("calling.call.room") for _ in range(4)]
    assert sorted(e["room_state"] for e in states) == ["join", "join", "joining", "joining"]
    assert emu.room("lobby") == [first["call_id"], second["call_id"]]
    assert (await client.call("calling.join_room", first, name="other"))["code"] == "409"
    await client.call("calling.leave_room", second)
    leaving = [await client.event("calling.call.room") for _ in range(2)]
    assert [e["room_state"] for e in leaving] == ["leaving", "leave"]
    await caller.hangup()
    gone = [await client.event("calling.call.room") for _ in range(2)]
    assert [(e["room_state"], e["members"]) for e in gone] == [("leaving", 0), ("leave", 0)]
    assert emu.room("lobby") is None
