"""Fault injection: drops, silence, delays, malformed frames, duplicates, reordering,
server disconnects and credential rejection."""

from __future__ import annotations

import json

import pytest

from relay_anyio.testing import MALFORMED_KINDS, RelayEmulator

from .conftest import answered_call
from .rawclient import Closed, RawClient, connected

pytestmark = pytest.mark.anyio


async def test_drop_next_connection_after_frames(emu: RelayEmulator) -> None:
    emu.faults.drop_next_connection(after_frames=3)
    raw = await RawClient.open(emu.port)
    assert "result" in await raw.login()  # frames 1 and 2
    await raw.wait_closed()  # frame 3 (the authorization push) and then the drop
    assert raw.close_code is None  # no WebSocket close: the TCP socket just went away
    out = [e for e in emu.journal if e.conn == 1 and e.direction == "out"]
    assert [e.method or "reply" for e in out] == ["reply", "signalwire.event"]
    # Only the next connection is affected.
    async with connected(emu.port) as second:
        await second.barrier()


async def test_drop_right_after_the_handshake(emu: RelayEmulator) -> None:
    emu.faults.drop_next_connection()
    raw = await RawClient.open(emu.port)
    with pytest.raises(Closed):
        await raw.login()
    with pytest.raises(ValueError):
        emu.faults.drop_next_connection(after_frames=-1)


async def test_drop_all_now(emu: RelayEmulator) -> None:
    one, two = await RawClient.open(emu.port), await RawClient.open(emu.port)
    await one.login(contexts=["office"])
    await two.login()
    caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
    await one.event("calling.call.receive")
    assert emu.faults.drop_all_now() == 2
    await one.wait_closed()
    await two.wait_closed()
    assert one.close_code is None
    assert caller.state == "created"  # the call itself is untouched


async def test_ignore_pings(emu: RelayEmulator, client: RawClient) -> None:
    emu.faults.ignore_pings()
    ping = await client.start_request("signalwire.ping")
    await client.result("signalwire.receive", {"contexts": ["x"]})  # answered: pings are not
    assert not [f for f in client.inbox if f.get("id") == ping]
    emu.faults.ignore_pings(False)
    await client.barrier()


async def test_stop_server_pings(anyio_backend: str) -> None:
    def pings(emu: RelayEmulator) -> int:
        return len(
            [e for e in emu.journal if e.method == "signalwire.ping" and e.direction == "out"]
        )

    async with RelayEmulator(ping_interval=0.005) as emu, connected(emu.port) as raw:
        await raw.take(lambda f: f.get("method") == "signalwire.ping")
        emu.faults.stop_server_pings()
        sent = pings(emu)
        await emu.wait_for_transcript("server ping skipped (fault)")
        assert pings(emu) == sent
        emu.faults.stop_server_pings(False)
        await raw.take(lambda f: f.get("method") == "signalwire.ping")  # they resume


async def test_ignore_method(emu: RelayEmulator, client: RawClient) -> None:
    emu.faults.ignore_method("calling.answer")
    caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
    call = await client.event("calling.call.receive")
    answer = await client.start_request(
        "calling.answer", {"call_id": call["call_id"], "node_id": call["node_id"]}
    )
    await client.barrier()
    assert not [f for f in client.inbox if f.get("id") == answer]
    assert caller.state == "created"  # not carried out either
    entry = await emu.wait_for_request("calling.answer")
    assert emu.journal.replies_to(entry) == []
    emu.faults.ignore_method("calling.answer", on=False)
    await client.call("calling.answer", call)
    await caller.wait_answered()


async def test_delay_method(emu: RelayEmulator, client: RawClient) -> None:
    emu.faults.delay_method("calling.answer", 0.3)
    caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
    call = await client.event("calling.call.receive")
    answer = await client.start_request(
        "calling.answer", {"call_id": call["call_id"], "node_id": call["node_id"]}
    )
    reply = await client.response(answer)
    assert reply["result"]["message"] == "Answered"
    assert caller.state == "answered"
    # The journal and the transcript run on simulated time: 0.3 real seconds are 300 simulated
    # seconds at this time scale. Nothing here depends on how fast the machine is.
    request = await emu.wait_for_request("calling.answer")
    (sent,) = emu.journal.replies_to(request)
    late = 0.3 / emu.time_scale
    assert sent.t - request.t >= late * 0.999  # a timer may fire a clock tick early
    answered = next(x for x in emu.transcript_lines if x.text.startswith("answered by"))
    assert answered.t >= request.t + late * 0.999
    assert "delaying calling.answer by 0.3 s (fault)" in emu.transcript_text()
    emu.faults.delay_method("calling.answer", 0)
    assert emu.faults.delays == {}
    with pytest.raises(ValueError):
        emu.faults.delay_method("x", -1)


async def test_delay_method_holds_back_only_that_method(
    emu: RelayEmulator, client: RawClient
) -> None:
    # An hour: the delayed answer never comes during the test (closing the emulator drops it).
    emu.faults.delay_method("calling.answer", 3600)
    caller = await emu.call(context="office", from_number="+1555", to_number="+1556")
    call = await client.event("calling.call.receive")
    answer = await client.start_request(
        "calling.answer", {"call_id": call["call_id"], "node_id": call["node_id"]}
    )
    await client.barrier()  # sent after the answer, answered at once
    request = await emu.wait_for_request("calling.answer")
    ping = await emu.wait_for_request("signalwire.ping")
    assert ping.index > request.index
    assert emu.journal.replies_to(request) == []
    assert emu.journal.replies_to(ping) != []
    assert not [f for f in client.inbox if f.get("id") == answer]
    assert caller.state == "created"


@pytest.mark.parametrize("kind", sorted(MALFORMED_KINDS))
async def test_send_malformed(emu: RelayEmulator, client: RawClient, kind: str) -> None:
    assert emu.faults.send_malformed(kind) == 1
    await client.barrier()
    text = client.raw[-2]  # the malformed frame, then the ping reply
    if kind == "oversized":
        assert len(text) > 10 * 1024 * 1024
    elif kind == "bad_json":
        with pytest.raises(ValueError):
            json.loads(text)
    else:
        assert isinstance(json.loads(text), (dict, list))
    if kind in (
        "unknown_event",
        "unknown_call",
        "empty_event_type",
        "params_not_object",
        "wrong_types",
    ):
        # Events carry ids: the raw client acknowledged them; the emulator expected that.
        frame = json.loads(text)
        sent = emu.journal.find(lambda e: e.direction == "out" and e.id == frame["id"])
        assert sent is not None
        await emu.wait_for_reply(sent)
    assert f"sending a malformed frame: {kind} (fault)" in emu.transcript_text()


async def test_send_malformed_targets_one_connection(emu: RelayEmulator) -> None:
    async with connected(emu.port) as one, connected(emu.port) as two:
        await emu.wait_for_clients(2)
        assert emu.faults.send_malformed("not_object", conn=2) == 1
        await one.barrier()
        await two.barrier()
        assert "[1, 2, 3]" in two.raw and "[1, 2, 3]" not in one.raw
    with pytest.raises(ValueError, match="unknown malformed kind"):
        emu.faults.send_malformed("gibberish")


async def test_duplicate_events(emu: RelayEmulator, client: RawClient) -> None:
    emu.faults.duplicate_events()
    caller = await emu.call(context="office", from_number="+1555", to_number="+1556")

    def offer(frame: dict[str, object]) -> bool:
        return frame.get("method") == "signalwire.event" and "calling.call.receive" in str(frame)

    first = await client.take(offer)
    second = await client.take(offer)
    assert first == second and first["params"]["params"]["call_id"] == caller.call_id
    await client.barrier()  # both copies ACKed; the second ACK is expected, not a violation
    emu.faults.duplicate_events(False)


async def test_duplicate_events_long_acks(emu: RelayEmulator, client: RawClient) -> None:
    # The id of an ACK may come after the first 200 characters of the frame: the second ACK
    # is still recognised as expected (the core reports the id, nobody parses the text).
    emu.faults.duplicate_events()
    client.auto_ack = False
    await emu.call(context="office", from_number="+1555", to_number="+1556")

    def offer(frame: dict[str, object]) -> bool:
        return frame.get("method") == "signalwire.event" and "calling.call.receive" in str(frame)

    first = await client.take(offer)
    second = await client.take(offer)
    assert first["id"] == second["id"]
    ack = {"jsonrpc": "2.0", "result": {}, "note": "x" * 300, "id": first["id"]}
    await client.send(ack)
    await client.send(ack)
    await client.barrier()
    emu.faults.duplicate_events(False)
    assert emu.violations == []
    acks = emu.journal.replies_to(emu.journal.events("calling.call.receive")[0])
    assert len(acks) == 2


@pytest.mark.parametrize("rid", ["evt-999", 7, ["evt-1"], {"id": 1}])
async def test_stray_reply_is_a_violation(anyio_backend: str, rid: object) -> None:
    async with RelayEmulator() as emu, connected(emu.port) as raw:
        await raw.send({"jsonrpc": "2.0", "id": rid, "result": {}})
        await raw.barrier()
        violation = await emu.wait_for_violation("reply for unknown request id")
        assert violation.startswith("conn1: unusable frame")
        assert emu.internal_errors == []


async def test_reorder_events(emu: RelayEmulator, client: RawClient) -> None:
    _, call = await answered_call(emu, client)
    emu.faults.reorder_events()
    await client.call("calling.end", call)
    first = await client.event("calling.call.state")
    second = await client.event("calling.call.state")
    assert (first["call_state"], second["call_state"]) == ("ended", "ending")
    # A lone event is held back a little, then sent.
    await emu.call(context="office", from_number="+1555", to_number="+1557")
    await client.event("calling.call.receive")
    emu.faults.reorder_events(False)


@pytest.mark.parametrize("restart", [False, True])
async def test_server_disconnect(emu: RelayEmulator, restart: bool) -> None:
    raw = await RawClient.open(emu.port)
    protocol = (await raw.login(contexts=["office"]))["result"]["protocol"]
    assert emu.faults.disconnect(restart=restart) == 1
    request = await raw.take(lambda f: f.get("method") == "signalwire.disconnect")
    assert request["params"] == {"restart": restart}
    await raw.send({"jsonrpc": "2.0", "id": request["id"], "result": {}})
    await raw.wait_closed()
    assert raw.close_code == 1012
    again = await RawClient.open(emu.port)
    result = (await again.login(contexts=["office"], protocol=protocol))["result"]
    assert result["session_restored"] is (not restart)
    assert (result["protocol"] == protocol) is (not restart)
    await again.close()


async def test_server_disconnect_without_ack_closes_anyway(anyio_backend: str) -> None:
    async with RelayEmulator(ack_timeout=0.05) as emu:
        raw = await RawClient.open(emu.port)
        await raw.login()
        emu.faults.disconnect()
        await raw.wait_closed()
        await emu.wait_for_transcript("no ACK for signalwire.disconnect")


async def test_reject_credentials(emu: RelayEmulator) -> None:
    emu.faults.reject_credentials()
    raw = await RawClient.open(emu.port)
    reply = await raw.login()
    # What the service sends for bad credentials, whatever the credentials are.
    assert reply["error"] == {
        "code": -32002,
        "message": "Authentication service failed with status ProtocolError, 401 Unauthorized: {}",
    }
    # Another code, to see how a client takes it (-32000: what older test servers send).
    emu.faults.reject_credentials(code=-32000, message="authentication failed")
    reply = await raw.login()
    assert reply["error"] == {"code": -32000, "message": "authentication failed"}
    emu.faults.reject_credentials(False)
    assert "result" in await raw.login()
    await raw.close()


async def test_reset(emu: RelayEmulator) -> None:
    faults = emu.faults
    faults.ignore_pings()
    faults.ignore_method("calling.play")
    faults.delay_method("calling.answer", 1)
    faults.duplicate_events()
    faults.reorder_events()
    faults.reject_credentials()
    faults.drop_next_connection(2)
    faults.reset()
    assert (faults.pings_ignored, faults.duplicating, faults.reordering, faults.rejecting) == (
        False,
    ) * 4
    assert (faults.ignored_methods, faults.delays, faults.drop_next) == (set(), {}, None)
