"""The emulator as a RELAY server: authentication, sessions, resume, pings, ACKs, routing."""

from __future__ import annotations

import re

import pytest

from relay_anyio.testing import RelayEmulator

from .rawclient import Closed, RawClient, connected

pytestmark = pytest.mark.anyio


async def test_url_reports_loopback_port(emu: RelayEmulator) -> None:
    assert emu.url == f"ws://127.0.0.1:{emu.port}"
    assert emu.host == f"127.0.0.1:{emu.port}"
    assert emu.port > 0


async def test_connect_issues_protocol_and_pushes_authorization_state(emu: RelayEmulator) -> None:
    raw = await RawClient.open(emu.port)
    reply = await raw.login(contexts=["office"])
    result = reply["result"]
    assert re.fullmatch(r"signalwire_[0-9a-f]{32}_[0-9a-f-]{36}", result["protocol"])
    assert result["session_restored"] is False
    assert result["identity"]
    state = await raw.event("signalwire.authorization.state")
    assert re.fullmatch(r"[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+", state["authorization_state"])
    # The push was ACKed by the client and recorded.
    entry = await emu.wait_for_event("signalwire.authorization.state", acked=True)
    assert emu.journal.replies_to(entry)[0].frame == {
        "jsonrpc": "2.0",
        "id": entry.id,
        "result": {},
    }
    await raw.close()


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        ({}, "AUTH_REQUIRED"),
        ({"project": "", "token": ""}, "AUTH_REQUIRED"),
        ({"project": "p"}, "AUTH_REQUIRED"),
        ({"project": "p", "token": "wrong"}, "AUTH_FAILED"),
        ({"project": "other", "token": "t"}, "AUTH_FAILED"),
        ({"jwt_token": "not-configured"}, "AUTH_FAILED"),
    ],
)
async def test_bad_credentials_are_rejected(
    emu: RelayEmulator, auth: dict[str, str], code: str
) -> None:
    raw = await RawClient.open(emu.port)
    params = {"version": {"major": 2, "minor": 0, "revision": 0}, "event_acks": True}
    reply = await raw.request("signalwire.connect", {**params, "authentication": auth})
    # The service's rejection (spec 1.3): -32002 and its message; data says why.
    assert reply["error"]["code"] == -32002
    assert reply["error"]["message"] == (
        "Authentication service failed with status ProtocolError, 401 Unauthorized: {}"
    )
    assert reply["error"]["data"]["signalwire_error_code"] == code
    assert reply["error"]["data"]["reason"]
    # The connection stays usable: a right login still works on it.
    assert "result" in await raw.login()
    await raw.close()


async def test_jwt_credentials(anyio_backend: str) -> None:
    async with RelayEmulator(jwt_token="jwt-ok", project="p", token="t") as emu:
        raw = await RawClient.open(emu.port)
        connect = {"event_acks": True, "authentication": {"jwt_token": "jwt-ok"}}
        assert "result" in await raw.request("signalwire.connect", connect)
        bad = await RawClient.open(emu.port)
        connect["authentication"] = {"jwt_token": "jwt-bad"}
        reply = await bad.request("signalwire.connect", connect)
        assert reply["error"]["data"]["signalwire_error_code"] == "AUTH_FAILED"
        await raw.close()
        await bad.close()


async def test_open_emulator_accepts_any_credentials(anyio_backend: str) -> None:
    async with RelayEmulator() as emu:
        async with connected(emu.port, project="anything", token="goes"):
            pass
        raw = await RawClient.open(emu.port)
        reply = await raw.request("signalwire.connect", {"authentication": {"jwt_token": "x"}})
        assert "result" in reply
        await raw.close()


async def test_requests_before_connect_are_refused(emu: RelayEmulator) -> None:
    raw = await RawClient.open(emu.port)
    for method in ("calling.answer", "signalwire.receive"):
        reply = await raw.request(method, {"call_id": "x", "node_id": "y", "contexts": ["o"]})
        assert reply["error"]["code"] == -32000
        assert reply["error"]["data"]["signalwire_error_code"] == "AUTH_REQUIRED"
    # The one exception: a ping is answered whether or not the client has logged in.
    assert await raw.result("signalwire.ping", {}) == {}
    await raw.close()


async def test_second_connect_on_one_socket_is_an_error(
    emu: RelayEmulator, client: RawClient
) -> None:
    reply = await client.login()
    assert reply["error"]["code"] == -32600


async def test_client_ping_is_answered(emu: RelayEmulator, client: RawClient) -> None:
    assert await client.result("signalwire.ping", {}) == {}


async def test_server_pings_and_records_pongs(anyio_backend: str) -> None:
    async with RelayEmulator(ping_interval=0.01) as emu:
        async with connected(emu.port) as raw:
            ping = await raw.take(lambda f: f.get("method") == "signalwire.ping")
            entry = emu.journal.find(lambda e: e.direction == "out" and e.id == ping["id"])
            assert entry is not None
            pong = await emu.wait_for_reply(entry)
            assert pong.frame is not None and pong.frame["result"] == {}
        # Later pings may go unanswered while this client is not reading (every 10 ms): only
        # the one it answered must not be a violation.
        assert not [v for v in emu.violations if v.endswith(f"ping {ping['id']}")]


async def test_unanswered_server_pings_are_violations_and_can_close(anyio_backend: str) -> None:
    async with RelayEmulator(ping_interval=0.01, max_missed_pings=2) as emu:
        raw = await RawClient.open(emu.port)
        raw.auto_pong = False
        await raw.login()
        await raw.wait_closed()
        assert any("did not answer ping" in v for v in emu.violations)
        await emu.wait_for_transcript("pings unanswered")


async def test_events_need_acks_and_late_ones_are_violations(anyio_backend: str) -> None:
    async with RelayEmulator(ack_timeout=0.02, max_unacked=2) as emu:
        raw = await RawClient.open(emu.port)
        raw.auto_ack = False
        await raw.login(contexts=["office"])
        await emu.call(context="office", from_number="+1555000", to_number="+1555001")
        await emu.call(context="office", from_number="+1555002", to_number="+1555003")
        await raw.barrier()
        # Window of 2: the authorization push and one offer are out, the other offer waits.
        assert [e.event_type for e in emu.journal.events()] == [
            "signalwire.authorization.state",
            "calling.call.receive",
        ]
        await emu.wait_for_violation("not acknowledged")
        sent = [f for f in raw.received if f.get("method") == "signalwire.event"]
        await raw.send({"jsonrpc": "2.0", "id": sent[0]["id"], "result": {}})
        await raw.event("calling.call.receive")
        await raw.event("calling.call.receive")  # released by the ACK
        assert len(emu.journal.events("calling.call.receive")) == 2
        await raw.close()


async def test_receive_and_unreceive(emu: RelayEmulator, client: RawClient) -> None:
    result = await client.result("signalwire.receive", {"contexts": ["sales"]})
    assert result == {"code": "200", "message": "Receiving events"}
    await emu.call(context="sales", from_number="+15550001", to_number="+15550002")
    await client.event("calling.call.receive", lambda p: p["context"] == "sales")
    result = await client.result("signalwire.unreceive", {"contexts": ["sales"]})
    assert result == {"code": "200", "message": "Unreceiving events"}
    bad = await client.request("signalwire.receive", {"contexts": []})
    assert bad["error"]["code"] == -32602
    assert emu.clients[0].contexts == ("office",)


async def test_calls_wait_for_a_subscriber(emu: RelayEmulator) -> None:
    caller = await emu.call(context="later", from_number="+15550001", to_number="+15550002")
    assert caller.state == "created"
    async with connected(emu.port, contexts=["later"]) as raw:
        offer = await raw.event("calling.call.receive")
        assert offer["call_id"] == caller.call_id


async def test_round_robin_across_clients(emu: RelayEmulator) -> None:
    async with (
        connected(emu.port, contexts=["office"]) as one,
        connected(emu.port, contexts=["office"]) as two,
    ):
        await emu.wait_for_clients(2, context="office")
        callers = [
            await emu.call(context="office", from_number=f"+155500{i}", to_number="+15559999")
            for i in range(4)
        ]
        got_one = [(await one.event("calling.call.receive"))["call_id"] for _ in range(2)]
        got_two = [(await two.event("calling.call.receive"))["call_id"] for _ in range(2)]
        assert sorted(got_one + got_two) == sorted(c.call_id for c in callers)
        assert set(got_one).isdisjoint(got_two)


async def test_resume_keeps_events_flowing_to_the_new_socket(emu: RelayEmulator) -> None:
    first = await RawClient.open(emu.port)
    login = (await first.login(contexts=["office"]))["result"]
    caller = await emu.call(context="office", from_number="+15550001", to_number="+15550002")
    call = await first.event("calling.call.receive")
    await first.call("calling.answer", call)
    await first.event("calling.call.state")
    first.auto_ack = False
    await first.call(
        "calling.play", call, control_id="p1", play=[{"type": "silence", "params": {"duration": 1}}]
    )
    await first.event("calling.call.play")  # sent, never ACKed
    await first.close()
    await caller.hangup()  # happens while no socket holds the session
    second = await RawClient.open(emu.port)
    reply = await second.login(contexts=["office"], protocol=login["protocol"])
    assert reply["result"]["protocol"] == login["protocol"]
    assert reply["result"]["session_restored"] is True
    # The unACKed "playing" comes again, then what happened meanwhile.
    again = await second.event("calling.call.play")
    assert again["state"] == "playing"
    await second.event("calling.call.play", lambda p: p["state"] == "finished")
    ended = await second.event("calling.call.state", lambda p: p["call_state"] == "ended")
    assert ended["call_id"] == caller.call_id
    await second.close()


async def test_unknown_protocol_starts_a_fresh_session(emu: RelayEmulator) -> None:
    raw = await RawClient.open(emu.port)
    reply = await raw.login(protocol="signalwire_not-a-session")
    assert reply["result"]["session_restored"] is False
    assert reply["result"]["protocol"] != "signalwire_not-a-session"
    await raw.close()


async def test_unknown_methods_get_json_rpc_errors(emu: RelayEmulator, client: RawClient) -> None:
    for method in ("calling.teleport", "signalwire.disconnect", "messaging.unsend"):
        reply = await client.request(method, {})
        assert reply["error"]["code"] == -32601, method


async def test_malformed_client_frames_get_errors_and_keep_the_connection(
    anyio_backend: str,
) -> None:
    async with RelayEmulator() as emu, connected(emu.port) as raw:
        await raw.send({"jsonrpc": "2.0", "id": "bad-1", "method": "calling.answer", "params": "x"})
        reply = await raw.response("bad-1")
        assert reply["error"]["code"] == -32602
        await raw.send_text("{not json")
        await raw.send({"jsonrpc": "2.0", "id": "nobody", "result": {}})
        await raw.barrier()
        assert len([v for v in emu.violations if "unusable frame" in v]) == 3


async def test_execute_and_reauthenticate(emu: RelayEmulator, client: RawClient) -> None:
    result = await client.result("signalwire.execute", {"method": "signalwire.ping", "params": {}})
    assert result["result"] == {}
    reply = await client.request(
        "signalwire.reauthenticate", {"authentication": {"project": "p", "token": "t"}}
    )
    assert reply["result"]["authorization"]["project"] == "p"
    reply = await client.request("signalwire.execute", {"method": "signalwire.connect"})
    assert reply["error"]["code"] == -32602


async def test_closing_the_emulator_closes_sockets(anyio_backend: str) -> None:
    async with RelayEmulator() as emu:
        raw = await RawClient.open(emu.port)
        await raw.login()
    with pytest.raises(Closed):
        await raw.take(lambda f: False)
    assert raw.close_code == 1001
