"""Outgoing text frames are built by the transport itself (``text_frame``), not by wsproto: the
bytes must be exactly wsproto's for the same masking key, in every length class and both roles,
and every client frame must get a fresh key."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage
from wsproto.frame_protocol import FrameProtocol

from relay_proto import _transport
from relay_proto._transport import Opened, Transport, text_frame

MASK = b"\x9a\x01\xff\x37"

# Every length class of the header (7-bit, 16-bit, 64-bit length) at its edges, the empty
# message, and text that is not ASCII (the length counts bytes, not characters).
TEXTS = [
    "",
    "a",
    "abc",
    "abcd",
    "x" * 125,
    "x" * 126,
    "é" * 63,  # 126 bytes
    "x" * 65535,
    "x" * 65536,
    "ü" * 40000,  # 80,000 bytes
    '{"jsonrpc":"2.0","id":"relay-1","method":"calling.play","params":{"x":"€𝄞"}}',
]


def wsproto_frame(
    text: str, *, client: bool, mask: bytes, monkeypatch: pytest.MonkeyPatch
) -> bytes:
    """What wsproto's frame protocol sends for ``text`` when its random key is ``mask``."""
    with monkeypatch.context() as patch:
        patch.setattr("wsproto.frame_protocol.os.urandom", lambda n: mask[:n])
        return bytes(FrameProtocol(client, []).send_data(text))


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: f"{len(t.encode())}B")
@pytest.mark.parametrize("client", [True, False], ids=["client", "server"])
def test_text_frame_is_wsproto_frame(
    text: str, client: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = wsproto_frame(text, client=client, mask=MASK, monkeypatch=monkeypatch)
    assert text_frame(text.encode(), MASK if client else None) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.binary(min_size=4, max_size=4))
def test_text_frame_matches_wsproto_for_any_text_and_key(text: str, mask: bytes) -> None:
    with pytest.MonkeyPatch.context() as patch:
        expected = wsproto_frame(
            text.encode("utf-8", "backslashreplace").decode(),
            client=True,
            mask=mask,
            monkeypatch=patch,
        )
    assert text_frame(text.encode("utf-8", "backslashreplace"), mask) == expected


def test_leading_zero_bytes_of_the_masked_payload_are_kept() -> None:
    # The payload XOR the key is zero where they are equal: the integer XOR must not lose
    # those bytes at either end.
    payload = MASK * 3
    frame = text_frame(payload, MASK)
    assert frame == bytes((0x81, 0x80 | 12)) + MASK + bytes(12)


def test_transport_frames_decode_on_a_wsproto_server() -> None:
    client = Transport(client=True)
    client.start("relay.test")
    peer = WSConnection(ConnectionType.SERVER)
    peer.receive_data(client.data_to_send())
    assert isinstance(next(iter(peer.events())), Request)
    client.receive_data(peer.send(AcceptConnection()))
    assert client.take_events() == [Opened("/", "relay.test")]
    for text in TEXTS:
        client.send_text(text)
    client.send_text(json.dumps({"id": "\ud800x"}, ensure_ascii=False))  # lone surrogate
    peer.receive_data(client.data_to_send())
    received = [event.data for event in peer.events() if isinstance(event, TextMessage)]
    assert received[:-1] == TEXTS
    assert json.loads(received[-1]) == {"id": "\ud800x"}


def test_each_client_frame_takes_a_fresh_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keys are drawn 4 bytes at a time from pools of random bytes: every frame a key of its
    # own, in order, a new pool when one runs out.
    pools = [bytes(range(256)) * 4, bytes(range(255, -1, -1)) * 4]
    asked: list[int] = []

    def urandom(n: int) -> bytes:
        asked.append(n)
        return pools[len(asked) - 1][:n]

    monkeypatch.setattr(_transport, "_urandom", urandom)
    client = Transport(client=True)
    client.start("relay.test")
    peer = WSConnection(ConnectionType.SERVER)
    peer.receive_data(client.data_to_send())
    list(peer.events())
    client.receive_data(peer.send(AcceptConnection()))
    assert asked == []  # nothing drawn before the first frame
    keys = []
    for i in range(257):
        client.send_text(f"m{i}")
        frame = client.data_to_send()
        keys.append(frame[2:6])
        assert frame == text_frame(f"m{i}".encode(), keys[-1])
    assert asked == [1024, 1024]
    assert keys[:256] == [pools[0][i : i + 4] for i in range(0, 1024, 4)]
    assert keys[256] == pools[1][:4]
    # What the server reads is what was sent, whatever the key.
    peer.receive_data(b"".join(text_frame(f"m{i}".encode(), k) for i, k in enumerate(keys)))
    assert [e.data for e in peer.events()] == [f"m{i}" for i in range(257)]


def test_each_transport_draws_its_own_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([b"\x01" * 1024, b"\x02" * 1024])
    monkeypatch.setattr(_transport, "_urandom", lambda n: next(draws)[:n])
    first, second = Transport(client=True), Transport(client=True)
    for client in (first, second):
        client.start("relay.test")
        peer = WSConnection(ConnectionType.SERVER)
        peer.receive_data(client.data_to_send())
        list(peer.events())
        client.receive_data(peer.send(AcceptConnection()))
    first.send_text("a")
    second.send_text("b")
    first.send_text("c")
    assert first.data_to_send() == text_frame(b"a", b"\x01" * 4) + text_frame(b"c", b"\x01" * 4)
    assert second.data_to_send() == text_frame(b"b", b"\x02" * 4)


def test_server_frames_are_not_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_randomness(n: int) -> bytes:
        raise AssertionError("a server frame needs no key")

    monkeypatch.setattr(_transport, "_urandom", no_randomness)
    client = Transport(client=True)
    server = Transport(client=False)
    client.start("relay.test")
    server.receive_data(client.data_to_send())
    server.take_events()
    server.data_to_send()  # the handshake's answer
    server.send_text("pong")
    assert server.data_to_send() == b"\x81\x04pong"
