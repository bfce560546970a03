"""signalwire.connect: params, results, resumption, authorization state, restart, contexts."""

from __future__ import annotations

import pytest

from relay_proto import (
    AGENT_STRING,
    InvalidCommandError,
    RequestFailed,
    RequestSucceeded,
    ServerDisconnect,
    SessionReady,
    SessionState,
    Started,
)

from .helpers import DEFAULT_CONNECT_RESULT, Pair

VERSION = {"major": 2, "minor": 0, "revision": 0}


def connect_params(pair: Pair, index: int = -1) -> dict[str, object]:
    frames = [f for f in pair.client_frames_out if f.get("method") == "signalwire.connect"]
    return frames[index]["params"]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- params


def test_connect_params_project_and_token_exactly() -> None:
    pair = Pair(project="proj-1", token="PT-secret")
    pair.start()
    assert pair.client.state == SessionState.AUTHENTICATING
    assert connect_params(pair) == {
        "version": VERSION,
        "agent": AGENT_STRING,
        "event_acks": True,
        "authentication": {"project": "proj-1", "token": "PT-secret"},
    }


def test_connect_params_jwt_only() -> None:
    pair = Pair(project="proj-1", token="PT", jwt_token="eyJ.jwt.sig")
    pair.start()
    assert connect_params(pair)["authentication"] == {"jwt_token": "eyJ.jwt.sig"}


def test_connect_params_contexts_and_agent() -> None:
    pair = Pair(contexts=["office", "support"], agent="my-agent/2")
    pair.start()
    params = connect_params(pair)
    assert params["contexts"] == ["office", "support"]
    assert params["agent"] == "my-agent/2"
    assert list(params) == ["version", "agent", "event_acks", "authentication", "contexts"]


def test_duplicate_initial_contexts_are_sent_once() -> None:
    pair = Pair(contexts=["a", "b", "a"])
    pair.start()
    assert connect_params(pair)["contexts"] == ["a", "b"]


def test_wire_frame_is_compact_json() -> None:
    texts: list[str] = []
    pair = Pair(frame_observer=lambda d, t: texts.append(t) if d == "out" else None)
    pair.start()
    assert texts[0].startswith('{"jsonrpc":"2.0","id":"req-1","method":"signalwire.connect",')
    assert " " not in texts[0]


def test_websocket_handshake_uses_host_and_root_path() -> None:
    pair = Pair(host="example.signalwire.com:8443")
    pair.start()
    assert pair.server_events[0].path == "/"  # type: ignore[attr-defined]
    assert pair.server_events[0].host == "example.signalwire.com:8443"  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- result


def test_connect_result_makes_session_ready() -> None:
    pair = Pair()
    assert pair.client.state == SessionState.IDLE
    assert pair.client.relay_protocol == ""
    pair.connect()
    assert pair.client.state == SessionState.READY
    assert pair.client.relay_protocol == "signalwire_proto-1"
    assert pair.take_client_events() == [
        SessionReady(
            protocol="signalwire_proto-1",
            identity="identity-1",
            resumed=False,
            result=DEFAULT_CONNECT_RESULT,
        )
    ]


def test_connect_result_is_never_code_checked() -> None:
    pair = Pair()
    pair.connect({"code": "500", "message": "whatever", "protocol": "signalwire_x"})
    assert pair.client.state == SessionState.READY
    assert pair.client.relay_protocol == "signalwire_x"


def test_non_object_connect_result_is_success_with_raw() -> None:
    pair = Pair()
    pair.start()
    pair.server.send_raw_text('{"jsonrpc":"2.0","id":"req-1","result":"fine"}')
    pair.pump()
    assert pair.client.state == SessionState.READY
    (ready,) = pair.client_events_of(SessionReady)
    assert ready.result == {"raw": "fine"}
    assert ready.protocol == ""


def test_identity_of_wrong_type_is_empty() -> None:
    pair = Pair()
    pair.connect({"protocol": "signalwire_x", "identity": 42})
    assert pair.client_events_of(SessionReady)[0].identity == ""


# --------------------------------------------------------------------------- resumption


def test_reconnect_resends_protocol_and_reports_resumed() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    pair.reconnect()
    assert connect_params(pair)["protocol"] == "signalwire_proto-1"
    assert pair.client_events_of(SessionReady)[-1].resumed is True


def test_new_protocol_on_reconnect_is_not_a_resume() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    pair.reconnect({"protocol": "signalwire_other"})
    ready = pair.client_events_of(SessionReady)[-1]
    assert ready.resumed is False
    assert pair.client.relay_protocol == "signalwire_other"


def test_protocol_is_kept_when_result_has_none() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    pair.reconnect({"identity": "x"})
    assert pair.client.relay_protocol == "signalwire_proto-1"
    # The server did not say it kept the session: not reported as a resume.
    assert pair.client_events_of(SessionReady)[-1].resumed is False


def test_session_restored_flag_means_resumed() -> None:
    pair = Pair()
    pair.connect()
    pair.drop_transport()
    pair.reconnect({"session_restored": True})
    assert pair.client_events_of(SessionReady)[-1].resumed is True


def test_authorization_state_is_stored_and_resent() -> None:
    pair = Pair()
    pair.connect()
    pair.event("signalwire.authorization.state", {"authorization_state": "QUJD:REVG"})
    assert pair.client.authorization_state == "QUJD:REVG"
    pair.event("signalwire.authorization.state", {"authorization_state": ""})
    pair.event("signalwire.authorization.state", {"authorization_state": 5})
    pair.event("signalwire.authorization.state", {})
    assert pair.client.authorization_state == "QUJD:REVG"  # empty/invalid values are ignored
    pair.drop_transport()
    pair.reconnect()
    params = connect_params(pair)
    assert params["protocol"] == "signalwire_proto-1"
    assert params["authorization_state"] == "QUJD:REVG"
    assert "authentication" in params  # always sent: the blob may be stale


def test_authorization_state_event_is_acked_and_not_routed() -> None:
    pair = Pair()
    pair.connect()
    pair.take_client_events()
    event_id = pair.event("signalwire.authorization.state", {"authorization_state": "A:B"})
    assert [r.request_id for r in pair.responses()] == [event_id]
    assert pair.take_client_events() == []


def test_first_connect_sends_no_resume_data() -> None:
    pair = Pair()
    pair.start()
    params = connect_params(pair)
    assert "protocol" not in params
    assert "authorization_state" not in params
    assert "contexts" not in params


# --------------------------------------------------------------------------- server disconnect


@pytest.mark.parametrize("params", ["{}", '{"restart":false}', '{"restart":"yes"}'])
def test_disconnect_without_restart_keeps_resume_data(params: str) -> None:
    pair = Pair()
    pair.connect()
    pair.event("signalwire.authorization.state", {"authorization_state": "A:B"})
    pair.server.send_raw_text(
        '{"jsonrpc":"2.0","id":"disc-x","method":"signalwire.disconnect","params":' + params + "}"
    )
    pair.pump()
    assert {"jsonrpc": "2.0", "id": "disc-x", "result": {}} in pair.client_frames_out
    assert pair.client_events_of(ServerDisconnect) == [ServerDisconnect(restart=False)]
    assert pair.client.state == SessionState.READY  # the client does not close by itself
    assert pair.client.relay_protocol == "signalwire_proto-1"
    pair.drop_transport()
    pair.reconnect()
    assert connect_params(pair)["protocol"] == "signalwire_proto-1"
    assert connect_params(pair)["authorization_state"] == "A:B"


def test_disconnect_without_id_gets_no_reply() -> None:
    pair = Pair()
    pair.connect()
    out = len(pair.client_frames_out)
    pair.server.send_raw_text('{"method":"signalwire.disconnect","params":{"restart":true}}')
    pair.pump()
    assert len(pair.client_frames_out) == out
    assert pair.client_events_of(ServerDisconnect) == [ServerDisconnect(restart=True)]


def test_disconnect_with_restart_wipes_resume_data() -> None:
    pair = Pair()
    pair.connect()
    pair.event("signalwire.authorization.state", {"authorization_state": "A:B"})
    disc = pair.server.send_disconnect(restart=True)
    pair.pump()
    assert pair.responses()[-1].request_id == disc
    assert pair.responses()[-1].result == {}
    assert pair.client_events_of(ServerDisconnect) == [ServerDisconnect(restart=True)]
    assert pair.client.relay_protocol == ""
    assert pair.client.authorization_state == ""
    assert pair.client.state == SessionState.READY
    pair.server.close()
    pair.pump()
    pair.advance(1.0)
    pair.reconnect({"protocol": "signalwire_fresh"})
    params = connect_params(pair)
    assert "protocol" not in params
    assert "authorization_state" not in params
    assert pair.client_events_of(SessionReady)[-1].resumed is False


def test_restart_clears_protocol_used_for_message_context() -> None:
    pair = Pair()
    pair.connect()
    pair.server.send_disconnect(restart=True)
    pair.pump()
    pair.client.send_message(now=pair.now, to_number="+1", from_number="+2", body="hi")
    pair.pump()
    assert pair.expect_request("messaging.send").params["context"] == "default"


# --------------------------------------------------------------------------- contexts


def test_receive_remembers_contexts_for_reconnect() -> None:
    pair = Pair(contexts=["office"])
    pair.connect()
    started = pair.client.receive(["sales", "office", "billing"], now=pair.now)
    pair.pump()
    assert pair.expect_request("signalwire.receive").params == {
        "contexts": ["sales", "office", "billing"]
    }
    assert pair.client.contexts == ("office",)  # not before success (D27)
    pair.reply("signalwire.receive", {"code": "200", "message": "Receiving events"})
    assert pair.client.contexts == ("office", "sales", "billing")
    assert pair.client_events_of(RequestSucceeded)[-1].request_id == started.request_id
    pair.client.unreceive(["office"], now=pair.now)
    pair.pump()
    pair.reply("signalwire.unreceive", {"code": "200"})
    assert pair.client.contexts == ("sales", "billing")
    pair.drop_transport()
    pair.reconnect()
    assert connect_params(pair)["contexts"] == ["sales", "billing"]


def test_failed_receive_changes_nothing() -> None:
    pair = Pair(contexts=["office"])
    pair.connect()
    pair.client.receive(["sales"], now=pair.now)
    pair.pump()
    pair.reply("signalwire.receive", {"code": "402", "message": "Payment required"})
    failed = pair.client_events_of(RequestFailed)[-1]
    assert (failed.code, failed.message, failed.method) == (
        402,
        "Payment required",
        "signalwire.receive",
    )
    pair.client.unreceive(["office"], now=pair.now)
    pair.pump()
    request = pair.expect_request("signalwire.unreceive")
    pair.server.send_error(request.request_id, -32000, "nope")
    pair.pump()
    assert pair.client.contexts == ("office",)


def test_receive_of_empty_list_sends_nothing() -> None:
    pair = Pair()
    pair.connect()
    assert pair.client.receive([], now=pair.now) == Started(request_id=None)
    assert pair.client.unreceive([], now=pair.now) == Started(request_id=None)
    pair.pump()
    assert pair.requests("signalwire.receive") == []
    assert pair.requests("signalwire.unreceive") == []


@pytest.mark.parametrize("bad", ["office", [1], [""], None])
def test_receive_validates_contexts(bad: object) -> None:
    pair = Pair()
    with pytest.raises(InvalidCommandError):
        pair.client.receive(bad, now=pair.now)  # type: ignore[arg-type]


def test_receive_while_disconnected_is_queued_and_remembered_after_success() -> None:
    pair = Pair()
    pair.client.receive(["late"], now=pair.now)
    pair.connect()
    assert pair.client.contexts == ()
    pair.reply("signalwire.receive")
    assert pair.client.contexts == ("late",)
