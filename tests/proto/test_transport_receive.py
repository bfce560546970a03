"""Inbound frames in the client role: final, unmasked text frames are parsed by the transport
itself, everything else by wsproto. The outcome of every input (events, close codes, errors,
what goes back to the peer) must be that of the wsproto-only path, whatever the chunking."""

from __future__ import annotations

import itertools
import re
import struct
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Event, Request

from relay_proto import RemoteProtocolError
from relay_proto._transport import Closed, Dropped, Opened, Transport, TransportState

# --------------------------------------------------------------------------- frames and drivers


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bytes | None = None,
    form: int | None = None,
) -> bytes:
    """One raw frame. ``form`` forces the length encoding (0: 7 bits, 2: 16, 8: 64 bits)."""
    n = len(payload)
    if form is None:
        form = 0 if n < 126 else 2 if n < 65536 else 8
    b0 = (0x80 if fin else 0) | rsv << 4 | opcode
    m = 0x80 if mask is not None else 0
    if form == 0:
        head = bytes((b0, m | n))
    elif form == 2:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def text(s: str, **kw: object) -> bytes:
    return frame(1, s.encode(), **kw)  # type: ignore[arg-type]


class Outcome(NamedTuple):
    events: list[object]
    errors: list[str]
    peer: list[Event]  # what the peer parsed of the client's answers (pongs, close)
    state: str


_POSITION = re.compile(r"position \d+(-\d+)?")


def _norm(value: object) -> object:
    # wsproto's UTF-8 error text gives a position within the piece it decoded, which depends on
    # how the frame was chunked on the wsproto-only path too: only the position is ignored.
    if isinstance(value, Closed):
        return value._replace(reason=_POSITION.sub("position N", value.reason))
    return value


def handshaken(
    *, fast: bool, max_size: int, pipelined: bool
) -> tuple[Transport, WSConnection, bytes]:
    """A started client (wsproto-only when ``fast`` is false) and a raw wsproto server. The
    server's upgrade response is returned unfed when ``pipelined`` (it goes with the frames)."""
    client = Transport(client=True, max_message_size=max_size)
    client._fast = fast
    client.start("relay.test")
    peer = WSConnection(ConnectionType.SERVER)
    peer.receive_data(client.data_to_send())
    assert isinstance(next(iter(peer.events())), Request)
    response = peer.send(AcceptConnection())
    if pipelined:
        return client, peer, response
    client.receive_data(response)
    assert client.take_events() == [Opened("/", "relay.test")]
    return client, peer, b""


def run(
    data: bytes,
    cuts: list[int],
    *,
    fast: bool,
    max_size: int = 1000,
    pipelined: bool = False,
    close_on: str | None = None,
    raise_on: object = None,
    close_before: int | None = None,
    eof: bool = False,
) -> Outcome:
    """Feed ``data`` cut at ``cuts`` and collect everything observable. The handler closes the
    transport when it sees the message ``close_on`` and raises (twice at most) on ``raise_on``;
    the application closes before the piece ``close_before``; ``eof`` ends the stream."""
    client, peer, response = handshaken(fast=fast, max_size=max_size, pipelined=pipelined)
    data = response + data
    events: list[object] = []
    raised: list[object] = []

    def handle(event: object) -> None:
        events.append(_norm(event))
        if event == close_on:
            client.close(1000)
        if event == raise_on and len(raised) < 2:
            raised.append(event)
            raise KeyError(event)

    errors: list[str] = []
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    # Two empty reads after the data: what a handler's exception left is parsed then.
    pieces = [data[a:b] for a, b in itertools.pairwise(bounds)] + [b"", b""]
    for i, piece in enumerate(pieces):
        if i == close_before:
            client.close(1000)
        try:
            client.receive_data(piece, handle)
        except RemoteProtocolError as exc:
            errors.append(_POSITION.sub("position N", str(exc)))
        except KeyError:
            errors.append("handler raised")
    if eof:
        client.receive_data(None, handle)
    peer_events: list[Event] = []
    out = client.data_to_send()
    if out and peer.state.name != "CLOSED":
        peer.receive_data(out)
        peer_events = list(peer.events())
    return Outcome(events, errors, peer_events, client.state)


def same(data: bytes, cuts: list[int], **kw: object) -> Outcome:
    """Run both paths; they must agree. Returns the outcome."""
    fast = run(data, cuts, fast=True, **kw)  # type: ignore[arg-type]
    slow = run(data, cuts, fast=False, **kw)  # type: ignore[arg-type]
    assert fast == slow
    return fast


def every_cut(data: bytes) -> list[list[int]]:
    return [[i] for i in range(1, len(data))]


# --------------------------------------------------------------------------- property


LENGTHS = [0, 1, 125, 126, 127, 65535, 65536]


@st.composite
def payloads(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A payload and whether it is valid UTF-8."""
    kind = draw(st.sampled_from(["text", "long", "bad"]))
    if kind == "text":
        return draw(st.text(max_size=20)).encode("utf-8", "surrogatepass"), False
    if kind == "long":
        size = draw(st.sampled_from(LENGTHS))
        char = draw(st.sampled_from(["x", "é", "€"]))
        data = (char * size).encode()[:size]
        return data, False
    return draw(st.binary(min_size=1, max_size=8)), True


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    opcode = draw(st.sampled_from([1, 1, 1, 1, 2, 0, 9, 10, 8, 3]))
    payload, _ = draw(payloads())
    if opcode == 8:
        code = draw(st.sampled_from([1000, 1001, 1005, 3000, 999]))
        payload = struct.pack("!H", code) + payload[:10]
    elif opcode in (9, 10):
        payload = payload[:125]
    fin = draw(st.booleans()) if opcode in (0, 1, 2) else True
    rsv = draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, 4]))
    mask = draw(st.sampled_from([None] * 9 + [b"\x01\x02\x03\x04"]))
    n = len(payload)
    minimal = 0 if n < 126 else 2 if n < 65536 else 8
    form = draw(st.sampled_from([minimal] * 9 + [8, 2]))
    if form < minimal:
        form = minimal
    return frame(opcode, payload, fin=fin, rsv=rsv, mask=mask, form=form)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(frames(), min_size=1, max_size=8),
    st.lists(st.integers(min_value=0, max_value=140000), max_size=12),
    st.sampled_from([1, 126, 1000, 65536, 70000]),
    st.booleans(),
    st.sampled_from([None, "close me"]),
    st.sampled_from([None, None, "raise", Opened("/", "relay.test")]),
    st.sampled_from([None, None, 1, 2]),
    st.booleans(),
    st.data(),
)
def test_any_frames_in_any_chunks_give_the_wsproto_outcome(
    script: list[bytes],
    cuts: list[int],
    max_size: int,
    pipelined: bool,
    close_on: str | None,
    raise_on: object,
    close_before: int | None,
    eof: bool,
    data: st.DataObject,
) -> None:
    if close_on:
        script.insert(data.draw(st.integers(0, len(script))), text(close_on))
    if raise_on == "raise":
        for _ in range(2):
            script.insert(data.draw(st.integers(0, len(script))), text("raise"))
    stream = b"".join(script)
    # Cuts near the frame boundaries matter most: add some there.
    small = data.draw(st.lists(st.integers(0, len(stream)), max_size=6))
    same(
        stream,
        cuts + small,
        max_size=max_size,
        pipelined=pipelined,
        close_on=close_on,
        raise_on=raise_on,
        close_before=close_before,
        eof=eof,
    )


# --------------------------------------------------------------------------- focused cases


def test_plain_text_frames_are_parsed_here_not_by_wsproto(monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, _ = handshaken(fast=True, max_size=1000, pipelined=False)
    fed: list[bytes] = []
    original = client._ws.receive_data

    def spy(data: bytes) -> None:
        fed.append(data)
        original(data)

    monkeypatch.setattr(client._ws, "receive_data", spy)
    client.receive_data(text("a") + text("é" * 100) + text(""))
    assert client.take_events() == ["a", "é" * 100, ""]
    assert fed == []
    ping = frame(9, b"p")
    client.receive_data(ping + text("b"))
    assert client.take_events() == ["b"]
    assert fed == [ping]  # only the ping went to wsproto, whole


@pytest.mark.parametrize(
    "data",
    [
        text("x" * 300) + text("tail"),
        frame(9, b"ping") + text("after ping") + frame(10, b"") + text("é€𝄞"),
        text("a") + frame(8, struct.pack("!H", 1000)),
        text("a") + frame(1, b"frag", fin=False) + frame(9) + frame(0, b"ment") + text("b"),
        frame(2, b"\x00\xff", fin=False) + frame(0, b"x") + text("ok"),
        text("x" * 70000) + text("after"),
        frame(1, b"\xff\xfe") + text("never"),
        text("a", rsv=4) + text("never"),
        text("a", mask=b"abcd") + text("never"),
        text("a", form=2) + text("never"),
        text("a" * 200, form=8) + text("never"),
        frame(1, "é".encode()[:1] + b"x") + text("never"),
        frame(1, b"a", fin=False) + text("text while fragmented"),
        frame(0, b"continuation alone"),
        frame(9, b"x" * 126) + text("never"),
        text("a") + frame(8, b"\x03"),
    ],
)
def test_boundaries_split_at_every_byte(data: bytes) -> None:
    for cuts in [[], *every_cut(data[:400]), list(range(1, len(data), 7))]:
        same(data, cuts, max_size=65536)


def test_text_right_after_a_ping_in_one_chunk_answers_the_ping_first() -> None:
    outcome = same(frame(9, b"hi") + text("next"), [], close_on="next")
    assert outcome.events[0] == "next"
    assert [type(e).__name__ for e in outcome.peer] == ["Pong", "CloseConnection"]


def test_several_frames_in_one_chunk_and_close_after_data() -> None:
    data = text("1") + text("2") + text("3") + frame(8, struct.pack("!H", 1000))
    outcome = same(data, [])
    assert outcome.events[:3] == ["1", "2", "3"]
    assert outcome.events[3] == Closed("closed by peer", 1000)
    assert outcome.state == TransportState.CLOSED


@pytest.mark.parametrize("max_size", [10, 125, 65535])
def test_the_limit_is_the_same_and_applies_before_buffering(max_size: int) -> None:
    at, over = "x" * max_size, "y" * (max_size + 1)
    outcome = same(text(at) + text(over) + text("ok"), [1, 3, max_size + 5], max_size=max_size)
    assert outcome.events[0] == at
    assert outcome.events[1] == Dropped(f"message too large (limit {max_size} bytes)", over[:200])
    assert outcome.events[2] == "ok"


def test_a_huge_declared_length_is_streamed_to_wsproto_not_buffered() -> None:
    client, _, _ = handshaken(fast=True, max_size=1000, pipelined=False)
    head = struct.pack("!BBQ", 0x81, 127, 1 << 40)
    client.receive_data(head + b"x" * 5000)
    for _ in range(20):
        client.receive_data(b"y" * 5000)
    assert len(client._fbuf) == 0  # nothing kept here
    assert client.take_events() == []
    assert client.state == TransportState.OPEN


def test_a_frame_in_many_pieces_is_delivered_once_complete() -> None:
    client, _, _ = handshaken(fast=True, max_size=1 << 20, pipelined=False)
    data = text("z" * 100000) + text("next")
    for i in range(0, 100000, 1000):
        client.receive_data(data[i : i + 1000])
        assert client.take_events() == []
    client.receive_data(data[100000:])
    assert client.take_events() == ["z" * 100000, "next"]
    assert len(client._fbuf) == 0


def test_frames_pipelined_after_the_upgrade_response() -> None:
    data = text("first") + frame(9, b"p") + text("x" * 500) + text("second")
    for cuts in [[], *every_cut(data[:20]), [300]]:
        # The response is cut too: frames that came with it are parsed by wsproto.
        outcome = same(data, [*cuts, 5, 150], pipelined=True)
        assert outcome.events[0] == Opened("/", "relay.test")
        assert outcome.events[1:] == ["first", "x" * 500, "second"]


def test_a_handler_that_closes_hands_the_rest_to_wsproto() -> None:
    data = text("close me") + text("still delivered") + frame(8, struct.pack("!H", 1000))
    for cuts in [[], *every_cut(data)]:
        outcome = same(data, cuts, close_on="close me")
        assert outcome.events == [
            "close me",
            "still delivered",
            Closed("close handshake complete", 1000),
        ]


def test_a_handler_exception_keeps_the_rest_for_the_next_call() -> None:
    for fast in (True, False):
        client, _, _ = handshaken(fast=fast, max_size=1000, pipelined=False)
        seen: list[object] = []

        def handle(event: object, seen: list[object] = seen) -> None:
            seen.append(event)
            if event == "boom":
                raise KeyError(event)

        with pytest.raises(KeyError):
            client.receive_data(text("boom") + text("after") + text("par"), handle)
        client.receive_data(b"", handle)
        assert seen == ["boom", "after", "par"], fast


def test_without_wsprotos_trailing_bytes_wsproto_parses_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # If wsproto's handshake stopped exposing the bytes that follow the upgrade response, the
    # transport could not know where wsproto's frames end: wsproto then parses everything.
    client, _, response = handshaken(fast=True, max_size=1000, pipelined=True)
    handshake = client._ws.handshake
    original = handshake.events

    def events() -> object:
        for event in original():
            del handshake._h11_connection
            yield event

    monkeypatch.setattr(handshake, "events", events)
    client.receive_data(response + text("a")[:2])
    fed: list[bytes] = []
    ws_receive = client._ws.receive_data

    def spy(data: bytes) -> None:
        fed.append(data)
        ws_receive(data)

    monkeypatch.setattr(client._ws, "receive_data", spy)
    client.receive_data(text("a")[2:] + text("b"))
    assert client.take_events() == [Opened("/", "relay.test"), "a", "b"]
    assert fed == [text("a")[2:] + text("b")]


@pytest.mark.parametrize("pipelined", [False, True])
def test_a_close_between_reads_hands_a_frame_begun_to_wsproto(pipelined: bool) -> None:
    data = text("first") + text("x" * 300) + text("after") + frame(8, struct.pack("!H", 1000))
    for cut in range(1, len(data)):
        outcomes = []
        for fast in (True, False):
            client, _, response = handshaken(fast=fast, max_size=1000, pipelined=pipelined)
            client.receive_data(response + data[:cut])
            client.close(1000)  # the application closes between two reads
            client.receive_data(data[cut:])
            outcomes.append(client.take_events())
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][-1] == Closed("close handshake complete", 1000)
        assert "after" in outcomes[0]


@pytest.mark.parametrize("raise_on", [Opened("/", "relay.test"), "t1", "t2"])
def test_a_handler_exception_on_frames_pipelined_with_the_response_keeps_their_order(
    raise_on: object,
) -> None:
    # wsproto parses the frames that came with the upgrade response; a handler's exception
    # leaves the rest of them in wsproto, and they still come before the next read's frames.
    outcomes = []
    for fast in (True, False):
        client, _, response = handshaken(fast=fast, max_size=1000, pipelined=True)
        seen: list[object] = []

        def handle(event: object, seen: list[object] = seen) -> None:
            seen.append(event)
            if event == raise_on:
                raise KeyError(event)

        with pytest.raises(KeyError):
            client.receive_data(response + text("t1") + text("t2"), handle)
        client.receive_data(text("t3") + text("t4"), handle)
        client.receive_data(frame(9, b"p") + text("t5"), handle)
        outcomes.append(seen)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == [Opened("/", "relay.test"), "t1", "t2", "t3", "t4", "t5"]


@pytest.mark.parametrize(
    "begun",
    [
        text("m", mask=b"1234")[:2],  # masked: refused before its masking key is there
        frame(3, b"x")[:2],  # unknown opcode
        frame(9, b"p" * 200, form=2)[:2],  # a control frame over 125 bytes
        frame(1, b"\xffabc")[:3],  # invalid UTF-8 at the start of a text frame
    ],
)
def test_a_bad_frame_begun_is_refused_at_once(begun: bytes) -> None:
    # wsproto refuses these with the bytes there are: the stream breaks now, not at the next
    # read (nor as a plain EOF, nor after the application closed meanwhile).
    for kw in ({"eof": True}, {"close_before": 1}):
        outcome = same(begun + b"tail", [len(begun)], **kw)
        assert outcome.events[-1].broken  # type: ignore[attr-defined]
        assert outcome.errors


def test_a_bad_header_arriving_byte_by_byte_is_refused_as_soon_as_wsproto_can() -> None:
    # Masked, 16-bit length: wsproto refuses it with its first four bytes, before the key.
    data = text("x" * 200, mask=b"1234")
    outcome = same(data[:4], [1, 2, 3], eof=True)
    assert outcome.events[-1].broken  # type: ignore[attr-defined]


def test_a_handler_exception_leaves_no_message_half_assembled() -> None:
    data = frame(1, b"ab", fin=False) + frame(0, b"cd") + text("next")
    data += frame(2, b"bin") + text("last")
    dropped = Dropped("binary message", "bin")
    for raise_on in ("abcd", dropped):
        for cuts in [[], *every_cut(data)]:
            outcome = same(data, cuts, raise_on=raise_on)
            assert outcome.events == ["abcd", "next", dropped, "last"]
