"""The wsproto wrapper: handshakes, reassembly, size limit, control frames, broken streams."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    Request,
    TextMessage,
)

from relay_proto import LocalProtocolError, RemoteProtocolError
from relay_proto._transport import Closed, Dropped, Opened, Transport, TransportState


def open_pair(max_message_size: int = 1000) -> tuple[Transport, Transport]:
    """A client and a server transport with the handshake done."""
    client = Transport(client=True, max_message_size=max_message_size)
    server = Transport(client=False, max_message_size=max_message_size)
    client.start("relay.test:8080")
    server.receive_data(client.data_to_send())
    assert server.take_events() == [Opened("/", "relay.test:8080")]
    client.receive_data(server.data_to_send())
    assert client.take_events() == [Opened("/", "relay.test:8080")]
    return client, server


def raw_server_for(client: Transport) -> WSConnection:
    """A bare wsproto server, handshaken with ``client``: lets tests write any frame."""
    peer = WSConnection(ConnectionType.SERVER)
    peer.receive_data(client.data_to_send())
    request = next(iter(peer.events()))
    assert isinstance(request, Request)
    client.receive_data(peer.send(AcceptConnection()))
    assert client.take_events() == [Opened("/", "relay.test")]
    return peer


def started_client(max_message_size: int = 1000) -> Transport:
    client = Transport(client=True, max_message_size=max_message_size)
    client.start("relay.test")
    return client


# --------------------------------------------------------------------------- handshake


def test_client_upgrade_request_uses_host_and_root_target() -> None:
    client = started_client()
    request = client.data_to_send()
    assert request.startswith(b"GET / HTTP/1.1\r\n")
    assert b"Host: relay.test\r\n" in request
    assert client.state == TransportState.CONNECTING
    assert not client.is_open


def test_server_reports_path_and_host() -> None:
    peer = WSConnection(ConnectionType.CLIENT)
    server = Transport(client=False)
    server.receive_data(peer.send(Request(host="emu.local", target="/some/path?x=1")))
    assert server.take_events() == [Opened("/some/path?x=1", "emu.local")]
    assert server.is_open
    peer.receive_data(server.data_to_send())
    assert isinstance(next(iter(peer.events())), AcceptConnection)


def test_messages_flow_both_ways() -> None:
    client, server = open_pair()
    client.send_text('{"a":1}')
    client.send_text("é")
    server.receive_data(client.data_to_send())
    assert server.take_events() == ['{"a":1}', "é"]
    server.send_text("pong")
    client.receive_data(server.data_to_send())
    assert client.take_events() == ["pong"]


def test_data_to_send_is_empty_when_nothing_queued() -> None:
    client, _ = open_pair()
    assert client.data_to_send() == b""


def test_pipelined_frame_after_upgrade_request_is_kept() -> None:
    peer = WSConnection(ConnectionType.CLIENT)
    data = peer.send(Request(host="h", target="/"))
    # Any valid masked client frame will do: take one from another, already open, client.
    helper = started_client()
    raw_server_for(helper)
    helper.send_text("early")
    server = Transport(client=False)
    server.receive_data(data + helper.data_to_send())
    assert server.take_events() == [Opened("/", "h"), "early"]


@pytest.mark.parametrize("host", ["bad host\r\nX: y", "", "a..b", "x" * 70 + ".com", "h/p", "u@h"])
def test_start_rejects_bad_hosts(host: str) -> None:
    with pytest.raises(LocalProtocolError):
        Transport(client=True).start(host)


@pytest.mark.parametrize("host", ["[::1]:8080", "127.0.0.1:8080", "bücher.de", "host."])
def test_good_hosts(host: str) -> None:
    Transport(client=True).start(host)


def test_start_only_once_and_only_for_clients() -> None:
    client = started_client()
    with pytest.raises(LocalProtocolError):
        client.start("relay.test")
    with pytest.raises(LocalProtocolError):
        Transport(client=False).start("relay.test")


@pytest.mark.parametrize("size", [0, -1, 1.5, "10"])
def test_bad_max_message_size(size: object) -> None:
    with pytest.raises(LocalProtocolError):
        Transport(client=True, max_message_size=size)  # type: ignore[arg-type]


def test_client_handshake_rejected_by_status() -> None:
    client = started_client()
    client.data_to_send()
    client.receive_data(b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno!")
    assert client.take_events() == [Closed("websocket handshake rejected (HTTP 404)")]
    assert client.state == TransportState.CLOSED


def test_client_handshake_garbage_is_broken() -> None:
    client = started_client()
    client.data_to_send()
    with pytest.raises(RemoteProtocolError):
        client.receive_data(b"SSH-2.0-OpenSSH\r\n\r\n")
    (closed,) = client.take_events()
    assert isinstance(closed, Closed)
    assert closed.broken
    assert client.state == TransportState.CLOSED


def test_client_bad_accept_token_is_broken() -> None:
    client = started_client()
    client.data_to_send()
    reply = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: nope\r\n\r\n"
    )
    with pytest.raises(RemoteProtocolError, match="Bad accept token"):
        client.receive_data(reply)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # not an upgrade
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        b"garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: \xff\xfe\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: a2V5a2V5a2V5a2V5a2V5aw==\r\n\r\n",
    ],
)
def test_server_answers_bad_upgrade_with_http_error(request_bytes: bytes) -> None:
    server = Transport(client=False)
    with pytest.raises(RemoteProtocolError):
        server.receive_data(request_bytes)
    (closed,) = server.take_events()
    assert isinstance(closed, Closed)
    assert closed.broken
    assert server.data_to_send().startswith(b"HTTP/1.1 4")


def test_eof_during_handshake() -> None:
    client = started_client()
    client.receive_data(None)
    assert client.take_events() == [Closed("eof")]


# --------------------------------------------------------------------------- reassembly and limits


def test_fragmented_message_is_reassembled() -> None:
    client = started_client()
    peer = raw_server_for(client)
    data = peer.send(TextMessage(data='{"a":', message_finished=False))
    data += peer.send(TextMessage(data='"é"', message_finished=False))
    data += peer.send(TextMessage(data="}", message_finished=True))
    client.receive_data(data)
    assert client.take_events() == ['{"a":"é"}']


def test_message_at_the_limit_is_delivered_and_limit_counts_utf8_bytes() -> None:
    client = started_client(max_message_size=10)
    peer = raw_server_for(client)
    client.receive_data(peer.send(TextMessage(data="x" * 10)))
    assert client.take_events() == ["x" * 10]
    client.receive_data(peer.send(TextMessage(data="é" * 5)))  # 10 bytes
    assert client.take_events() == ["é" * 5]
    client.receive_data(peer.send(TextMessage(data="é" * 6)))  # 12 bytes, 6 characters
    assert client.take_events() == [Dropped("message too large (limit 10 bytes)", "é" * 6)]


@pytest.mark.parametrize(
    ("text", "delivered"),
    [
        ("😀" * 3, True),
        ("😀" * 3 + "x", False),
        ("x" * 12, True),
        ("é" * 6, True),
        ("€" * 5, False),
    ],
)
def test_the_limit_counts_bytes_of_four_byte_characters(text: str, delivered: bool) -> None:
    # Messages of at most limit/4 characters are delivered without counting their bytes: a
    # character is never more than 4 bytes of UTF-8.
    client = started_client(max_message_size=12)
    peer = raw_server_for(client)
    client.receive_data(peer.send(TextMessage(data=text)))
    expected = text if delivered else Dropped("message too large (limit 12 bytes)", text)
    assert client.take_events() == [expected]


def test_oversized_single_frame_is_dropped_and_connection_continues() -> None:
    client = started_client(max_message_size=100)
    peer = raw_server_for(client)
    client.receive_data(peer.send(TextMessage(data="y" * 500)) + peer.send(TextMessage(data="ok")))
    assert client.take_events() == [
        Dropped("message too large (limit 100 bytes)", "y" * 200),
        "ok",
    ]
    assert client.is_open


def test_oversized_fragmented_message_is_discarded_as_it_streams() -> None:
    client = started_client(max_message_size=100)
    peer = raw_server_for(client)
    client.receive_data(peer.send(TextMessage(data="a" * 60, message_finished=False)))
    assert client.take_events() == []
    client.receive_data(peer.send(TextMessage(data="b" * 60, message_finished=False)))
    # Over the limit: nothing of it is kept any more.
    assert client._parts == []
    for _ in range(50):
        client.receive_data(peer.send(TextMessage(data="c" * 1000, message_finished=False)))
        assert client._parts == []
        assert client.take_events() == []
    client.receive_data(peer.send(TextMessage(data="end", message_finished=True)))
    client.receive_data(peer.send(TextMessage(data="next")))
    assert client.take_events() == [
        Dropped("message too large (limit 100 bytes)", "a" * 60 + "b" * 60 + "c" * 80),
        "next",
    ]


def test_oversize_reached_on_the_final_fragment() -> None:
    client = started_client(max_message_size=10)
    peer = raw_server_for(client)
    data = peer.send(TextMessage(data="12345", message_finished=False))
    data += peer.send(TextMessage(data="678901", message_finished=True))
    client.receive_data(data)
    assert client.take_events() == [Dropped("message too large (limit 10 bytes)", "12345678901")]


def test_byte_at_a_time_oversize_preview_spans_fragments() -> None:
    client = started_client(max_message_size=300)
    peer = raw_server_for(client)
    data = peer.send(TextMessage(data="z" * 400))
    for i in range(len(data)):
        client.receive_data(data[i : i + 1])
    assert client.take_events() == [Dropped("message too large (limit 300 bytes)", "z" * 200)]


def test_binary_messages_are_dropped() -> None:
    client = started_client()
    peer = raw_server_for(client)
    data = peer.send(BytesMessage(data=b"\x00\x01bin", message_finished=False))
    data += peer.send(BytesMessage(data=b"ary\xff", message_finished=True))
    data += peer.send(TextMessage(data="after"))
    client.receive_data(data)
    assert client.take_events() == [Dropped("binary message", "\x00\x01binary\xff"), "after"]


# --------------------------------------------------------------------------- control frames


def test_ping_is_answered_with_pong() -> None:
    client = started_client()
    peer = raw_server_for(client)
    client.receive_data(peer.send(Ping(payload=b"hb")))
    assert client.take_events() == []
    peer.receive_data(client.data_to_send())
    assert list(peer.events()) == [Pong(payload=b"hb")]


def test_pong_is_ignored() -> None:
    client = started_client()
    peer = raw_server_for(client)
    client.receive_data(peer.send(Pong(payload=b"x")))
    assert client.take_events() == []


def test_peer_close_is_answered_and_reported() -> None:
    client = started_client()
    peer = raw_server_for(client)
    client.receive_data(peer.send(CloseConnection(code=1001, reason="bye")))
    assert client.take_events() == [Closed("closed by peer", 1001)]
    assert client.state == TransportState.CLOSED
    peer.receive_data(client.data_to_send())
    assert [type(e) for e in peer.events()] == [CloseConnection]
    # Anything after the close is ignored.
    client.receive_data(b"\x81\x02hi")
    client.receive_data(None)
    assert client.take_events() == []


def test_local_close_handshake() -> None:
    client, server = open_pair()
    assert client.close(1000, "done") is False
    assert client.state == TransportState.CLOSING
    assert not client.is_open
    with pytest.raises(LocalProtocolError):
        client.send_text("late")
    server.receive_data(client.data_to_send())
    assert server.take_events() == [Closed("closed by peer", 1000)]
    client.receive_data(server.data_to_send())
    assert client.take_events() == [Closed("close handshake complete", 1000)]
    assert client.close() is True  # idempotent


def test_messages_still_arrive_while_closing() -> None:
    client = started_client()
    peer = raw_server_for(client)
    client.close()
    client.receive_data(peer.send(TextMessage(data="late reply")) + peer.send(Ping(payload=b"")))
    assert client.take_events() == ["late reply"]
    assert client.data_to_send().startswith(b"\x88")  # only our close frame, no pong


def test_close_before_open() -> None:
    client = started_client()
    assert client.close() is True
    assert client.state == TransportState.CLOSED
    assert Transport(client=False).close() is True


def test_eof_when_open() -> None:
    client, _ = open_pair()
    client.receive_data(None)
    assert client.take_events() == [Closed("eof")]


# --------------------------------------------------------------------------- broken streams


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x83\x00", 1002),  # reserved opcode 0x3
        (b"\x81\x02\xff\xfe", 1007),  # text that is not UTF-8
        (b"\x80\x00", 1002),  # continuation with no message
        (b"\xf1\x00", 1002),  # RSV bits without an extension
    ],
)
def test_broken_frames_raise_after_earlier_events(frame: bytes, code: int) -> None:
    client = started_client()
    peer = raw_server_for(client)
    with pytest.raises(RemoteProtocolError, match="websocket error"):
        client.receive_data(peer.send(TextMessage(data="before")) + frame + b"more")
    events = client.take_events()
    assert events[0] == "before"
    assert isinstance(events[1], Closed)
    assert events[1].broken
    assert events[1].code == code
    assert len(events) == 2
    assert client.state == TransportState.CLOSED
    assert client.data_to_send()[:1] == b"\x88"  # a close frame goes back
    client.receive_data(b"ignored")  # no second exception


def test_masked_frame_from_server_is_broken() -> None:
    client, _ = open_pair()
    # Client frames are masked; a server must not send masked frames to a client.
    client.send_text("x")
    masked = client.data_to_send()
    with pytest.raises(RemoteProtocolError):
        client.receive_data(masked)


def test_broken_frame_while_closing_is_reported_without_a_second_close() -> None:
    client = started_client()
    raw_server_for(client)
    client.close()
    client.data_to_send()
    with pytest.raises(RemoteProtocolError):
        client.receive_data(b"\x83\x00")
    assert client.data_to_send() == b""


def test_lone_surrogates_are_sent_as_json_escapes() -> None:
    client, server = open_pair()
    text = json.dumps({"id": "\ud800x"}, ensure_ascii=False)
    client.send_text(text)
    server.receive_data(client.data_to_send())
    (received,) = server.take_events()
    assert json.loads(received) == {"id": "\ud800x"}


def test_send_before_open_is_refused() -> None:
    with pytest.raises(LocalProtocolError):
        started_client().send_text("x")


# --------------------------------------------------------------------------- chunking and fuzz


def collect(transport: Transport, data: bytes, chunk: int) -> list[object]:
    events: list[object] = []
    for i in range(0, len(data), chunk):
        transport.receive_data(data[i : i + chunk])
        events.extend(transport.take_events())
    return events


def test_whole_input_and_byte_at_a_time_agree() -> None:
    script = []
    client = started_client(max_message_size=50)
    peer = raw_server_for(client)
    script.append(peer.send(TextMessage(data='{"id":"1","result":{}}')))
    script.append(peer.send(TextMessage(data="é" * 10, message_finished=False)))
    script.append(peer.send(TextMessage(data="ü" * 10, message_finished=True)))
    script.append(peer.send(TextMessage(data="q" * 80)))
    script.append(peer.send(BytesMessage(data=b"b\xe9\x00" * 100)))
    script.append(peer.send(Ping(payload=b"p")))
    script.append(peer.send(TextMessage(data="last")))
    script.append(peer.send(CloseConnection(code=1000)))
    data = b"".join(script)
    whole = collect(client, data, len(data))

    other = started_client(max_message_size=50)
    raw_server_for(other)
    assert collect(other, data, 1) == whole
    assert whole[-1] == Closed("closed by peer", 1000)
    assert "last" in whole


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.booleans(), st.booleans())
def test_random_bytes_only_raise_remote_protocol_error(
    data: bytes, client_role: bool, after_handshake: bool
) -> None:
    if client_role:
        transport = started_client()
        if after_handshake:
            raw_server_for(transport)
    else:
        transport = Transport(client=False)
        if after_handshake:
            peer = Transport(client=True)
            peer.start("h")
            transport.receive_data(peer.data_to_send())
    try:
        transport.receive_data(data)
    except RemoteProtocolError:
        assert transport.state == TransportState.CLOSED
    for event in transport.take_events():
        assert isinstance(event, str | Opened | Dropped | Closed)
    transport.receive_data(None)
