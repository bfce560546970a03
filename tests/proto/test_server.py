"""RelayServerConnection: handshake, requests, replies, server requests, ACK tracking, robustness.

These tests drive the server with a bare client transport so that any frame can be sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from relay_proto import (
    ClientClosed,
    ClientConnected,
    ClientRequest,
    ClientResponse,
    Event,
    FrameDropped,
    InvalidCommandError,
    LocalProtocolError,
    RemoteProtocolError,
)
from relay_proto._ids import counter_ids
from relay_proto._server import RelayServerConnection
from relay_proto._transport import Closed, Transport


class Peer:
    """A raw client transport wired to a RelayServerConnection."""

    def __init__(self, server: RelayServerConnection | None = None, path: str = "/") -> None:
        self.server = server or RelayServerConnection()
        self.transport = Transport(client=True)
        self.transport.start("emu.test")
        self.inbox: list[Any] = []  # decoded frames the client received
        self.closed: list[Closed] = []
        self.pump()

    def pump(self) -> None:
        for _ in range(10):
            data = self.transport.data_to_send()
            if data:
                self.server.receive_data(data)
            back = self.server.data_to_send()
            if back:
                self.transport.receive_data(back)
            for item in self.transport.take_events():
                if isinstance(item, str):
                    self.inbox.append(json.loads(item))
                elif isinstance(item, Closed):
                    self.closed.append(item)
            if not data and not back:
                return

    def send(self, text: str) -> None:
        self.transport.send_text(text)
        self.pump()

    def send_json(self, obj: Any) -> None:
        self.send(json.dumps(obj))

    def events(self) -> list[Event]:
        out = []
        while (event := self.server.next_event()) is not None:
            out.append(event)
        return out

    def take_inbox(self) -> list[Any]:
        inbox, self.inbox = self.inbox, []
        return inbox


@pytest.fixture
def peer() -> Peer:
    p = Peer()
    assert p.events() == [ClientConnected(path="/", host="emu.test")]
    return p


def test_handshake_reports_path_and_host() -> None:
    server = RelayServerConnection()
    assert not server.is_open
    Peer(server)
    assert server.next_event() == ClientConnected(path="/", host="emu.test")
    assert server.next_event() is None
    assert server.is_open


def test_client_request_is_reported_and_answered(peer: Peer) -> None:
    peer.send_json(
        {"jsonrpc": "2.0", "id": "r1", "method": "signalwire.connect", "params": {"a": 1}}
    )
    assert peer.events() == [
        ClientRequest(request_id="r1", method="signalwire.connect", params={"a": 1})
    ]
    peer.server.send_result("r1", {"protocol": "signalwire_x"})
    peer.pump()
    assert peer.take_inbox() == [
        {"jsonrpc": "2.0", "id": "r1", "result": {"protocol": "signalwire_x"}}
    ]


def test_params_default_to_empty_dict(peer: Peer) -> None:
    peer.send_json({"id": 3, "method": "calling.answer"})
    assert peer.events() == [ClientRequest(request_id=3, method="calling.answer", params={})]


def test_send_error_with_and_without_data(peer: Peer) -> None:
    peer.server.send_error(
        "r1", -32000, "authentication failed", {"signalwire_error_code": "AUTH_REQUIRED"}
    )
    peer.server.send_error("r2", 404, "gone")
    peer.pump()
    assert peer.take_inbox() == [
        {
            "jsonrpc": "2.0",
            "id": "r1",
            "error": {
                "code": -32000,
                "message": "authentication failed",
                "data": {"signalwire_error_code": "AUTH_REQUIRED"},
            },
        },
        {"jsonrpc": "2.0", "id": "r2", "error": {"code": 404, "message": "gone"}},
    ]


def test_send_event_with_envelope_and_ack_tracking(peer: Peer) -> None:
    event_id = peer.server.send_event(
        "calling.call.state",
        {"call_id": "c1", "call_state": "ringing"},
        envelope={"timestamp": 12.5, "event_channel": "ch"},
    )
    assert event_id == "evt-1"
    assert dict(peer.server.unacked) == {"evt-1": "signalwire.event"}
    peer.pump()
    (frame,) = peer.take_inbox()
    assert frame == {
        "jsonrpc": "2.0",
        "id": "evt-1",
        "method": "signalwire.event",
        "params": {
            "timestamp": 12.5,
            "event_channel": "ch",
            "event_type": "calling.call.state",
            "params": {"call_id": "c1", "call_state": "ringing"},
        },
    }
    peer.send_json({"jsonrpc": "2.0", "id": "evt-1", "result": {}})
    assert peer.events() == [
        ClientResponse(request_id="evt-1", method="signalwire.event", result={})
    ]
    assert dict(peer.server.unacked) == {}


def test_explicit_event_id(peer: Peer) -> None:
    assert peer.server.send_event("x.y", {}, event_id="mine") == "mine"
    assert "mine" in peer.server.unacked


def test_ping_and_disconnect_ids_and_frames(peer: Peer) -> None:
    assert peer.server.send_ping() == "ping-1"
    assert peer.server.send_ping({"payload": "p"}) == "ping-2"
    assert peer.server.send_disconnect() == "disc-1"
    assert peer.server.send_disconnect(restart=True) == "disc-2"
    peer.pump()
    frames = peer.take_inbox()
    assert [(f["method"], f["params"]) for f in frames] == [
        ("signalwire.ping", {}),
        ("signalwire.ping", {"payload": "p"}),
        ("signalwire.disconnect", {"restart": False}),
        ("signalwire.disconnect", {"restart": True}),
    ]
    assert dict(peer.server.unacked) == {
        "ping-1": "signalwire.ping",
        "ping-2": "signalwire.ping",
        "disc-1": "signalwire.disconnect",
        "disc-2": "signalwire.disconnect",
    }


def test_custom_id_factory_is_used_for_every_kind() -> None:
    peer = Peer(RelayServerConnection(id_factory=counter_ids("s")))
    assert peer.server.send_event("e", {}) == "s-1"
    assert peer.server.send_ping() == "s-2"
    assert peer.server.send_disconnect() == "s-3"


def test_unacked_is_read_only(peer: Peer) -> None:
    peer.server.send_ping()
    with pytest.raises(TypeError):
        peer.server.unacked["x"] = "y"  # type: ignore[index]


def test_error_reply_from_client_is_reported(peer: Peer) -> None:
    ping = peer.server.send_ping()
    peer.pump()
    peer.send_json({"id": ping, "error": {"code": -32601, "message": "nope", "data": [1]}})
    assert peer.events() == [
        ClientResponse(
            request_id=ping,
            method="signalwire.ping",
            error={"code": -32601, "message": "nope", "data": [1]},
        )
    ]
    peer.server.send_ping()
    peer.pump()
    peer.send_json({"id": "ping-2", "error": "bad"})
    assert peer.events() == [
        ClientResponse(
            request_id="ping-2", method="signalwire.ping", error={"code": -1, "message": "bad"}
        )
    ]


@pytest.mark.parametrize(
    ("text", "reason", "request_id"),
    [
        ("{not json", "invalid JSON", None),
        ("[1,2,3]", "not a JSON object", None),
        ('{"id":"nope","result":{}}', "reply for unknown request id", "nope"),
        ('{"id":["x"],"result":{}}', "reply for unknown request id", ["x"]),
        ('{"id":5,"error":{}}', "reply for unknown request id", 5),
        ('{"id":null,"result":{}}', "reply for unknown request id", None),
        ('{"method":"signalwire.ping"}', "notification without id: signalwire.ping", None),
        ('{"params":{}}', "request without a string method", None),
    ],
)
def test_bad_client_frames_are_dropped(peer: Peer, text: str, reason: str, request_id: Any) -> None:
    peer.send(text)
    assert peer.events() == [FrameDropped(reason=reason, raw=text, request_id=request_id)]
    assert peer.take_inbox() == []
    assert peer.server.is_open


def test_a_second_reply_is_dropped_with_its_id(peer: Peer) -> None:
    # A server that sent an event twice expects the second ACK: the id tells it which one,
    # even when the reply is too long for the 200-character preview to show it.
    event_id = peer.server.send_event("calling.call.state", {"call_state": "ringing"})
    peer.pump()
    padding = "x" * 300
    reply = '{"result":{"note":"' + padding + '"},"id":"' + event_id + '"}'
    peer.send(reply)
    peer.send(reply)
    first, second = peer.events()
    assert first == ClientResponse(
        request_id=event_id, method="signalwire.event", result={"note": padding}
    )
    assert isinstance(second, FrameDropped)
    assert second.reason == "reply for unknown request id"
    assert second.request_id == event_id
    assert event_id not in second.raw


def test_request_without_string_method_gets_32600(peer: Peer) -> None:
    peer.send('{"id":"r","method":5}')
    assert peer.events() == [
        FrameDropped(reason="request without a string method", raw='{"id":"r","method":5}')
    ]
    assert peer.take_inbox() == [
        {"jsonrpc": "2.0", "id": "r", "error": {"code": -32600, "message": "Invalid Request"}}
    ]


def test_non_object_params_get_32602_and_no_client_request(peer: Peer) -> None:
    text = '{"id":"r","method":"calling.play","params":[1]}'
    peer.send(text)
    assert peer.events() == [
        FrameDropped(reason="params of calling.play is not an object", raw=text)
    ]
    assert peer.take_inbox() == [
        {"jsonrpc": "2.0", "id": "r", "error": {"code": -32602, "message": "Invalid params"}}
    ]


def test_oversized_message_is_dropped_and_connection_continues() -> None:
    peer = Peer(RelayServerConnection(max_message_size=64))
    peer.events()
    peer.send('{"id":"big","method":"m","params":{"x":"' + "y" * 100 + '"}}')
    (dropped,) = peer.events()
    assert isinstance(dropped, FrameDropped)
    assert dropped.reason == "message too large (limit 64 bytes)"
    peer.send('{"id":"small","method":"m"}')
    assert peer.events() == [ClientRequest(request_id="small", method="m", params={})]


def test_raw_text_reaches_the_client_verbatim() -> None:
    server = RelayServerConnection()
    client = Transport(client=True)
    client.start("h")
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    client.take_events()
    server.send_raw_text("{definitely not json")
    client.receive_data(server.data_to_send())
    assert client.take_events() == ["{definitely not json"]


def test_frame_observer_sees_both_directions() -> None:
    seen: list[tuple[str, str]] = []
    peer = Peer(RelayServerConnection(frame_observer=lambda d, t: seen.append((d, t))))
    peer.send('{"id":"r","method":"m"}')
    peer.server.send_result("r", {})
    peer.send("garbage")
    assert seen == [
        ("in", '{"id":"r","method":"m"}'),
        ("out", '{"jsonrpc":"2.0","id":"r","result":{}}'),
        ("in", "garbage"),
    ]


def test_sending_before_handshake_is_refused() -> None:
    server = RelayServerConnection()
    with pytest.raises(LocalProtocolError):
        server.send_result("r", {})
    with pytest.raises(LocalProtocolError):
        server.send_event("e", {})
    with pytest.raises(LocalProtocolError):
        server.send_raw_text("x")


def test_unserialisable_result_is_refused(peer: Peer) -> None:
    with pytest.raises(InvalidCommandError):
        peer.server.send_result("r", {"x": {1, 2}})


def test_server_close_handshake(peer: Peer) -> None:
    peer.server.close(4000, "maintenance")
    assert not peer.server.is_open
    peer.pump()
    assert peer.closed == [Closed("closed by peer", 4000)]
    assert peer.events() == [ClientClosed(code=4000, reason="close handshake complete")]
    peer.server.close()  # harmless when not open


def test_client_close_is_reported(peer: Peer) -> None:
    peer.transport.close(1000, "bye")
    peer.pump()
    assert peer.events() == [ClientClosed(code=1000, reason="closed by peer")]
    assert not peer.server.is_open


def test_sends_after_close_do_nothing(peer: Peer) -> None:
    peer.server.receive_data(None)
    assert peer.events() == [ClientClosed(code=None, reason="eof")]
    peer.server.send_result("r", {})
    event_id = peer.server.send_event("e", {})
    assert event_id == "evt-1"
    assert dict(peer.server.unacked) == {}
    assert peer.server.data_to_send() == b""


def test_broken_stream_reports_client_closed_then_raises(peer: Peer) -> None:
    with pytest.raises(RemoteProtocolError):
        peer.server.receive_data(b"\x83\x80abcd")  # masked frame, reserved opcode
    (closed,) = peer.events()
    assert isinstance(closed, ClientClosed)
    assert closed.code == 1002
    assert closed.reason.startswith("websocket error")
    assert not peer.server.is_open


def test_bad_upgrade_request_raises_and_answers_400() -> None:
    server = RelayServerConnection()
    with pytest.raises(RemoteProtocolError):
        server.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert server.data_to_send().startswith(b"HTTP/1.1 400")
    (closed,) = [server.next_event()]
    assert isinstance(closed, ClientClosed)


def test_events_before_a_broken_frame_are_kept(peer: Peer) -> None:
    peer.transport.send_text('{"id":"a","method":"m"}')
    data = peer.transport.data_to_send() + b"\x83\x80abcd"
    with pytest.raises(RemoteProtocolError):
        peer.server.receive_data(data)
    events = peer.events()
    assert events[0] == ClientRequest(request_id="a", method="m", params={})
    assert isinstance(events[1], ClientClosed)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.send_result("r", ["not", "a", "mapping"]),
        lambda s: s.send_event("e", "params"),
        lambda s: s.send_event("e", {}, envelope=[1]),
        lambda s: s.send_ping("x"),
    ],
)
def test_non_mapping_payloads_are_refused(peer: Peer, call: Any) -> None:
    with pytest.raises(InvalidCommandError, match="must be a mapping"):
        call(peer.server)
    assert dict(peer.server.unacked) == {}
