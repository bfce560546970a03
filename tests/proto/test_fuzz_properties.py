"""The fuzz invariant, as a short deterministic hypothesis run, plus regressions the fuzzers found.

The harnesses live in ``fuzz/`` (see fuzz/README.md); the long coverage-guided runs use atheris.
Here every target runs on its seed corpus and on a bounded number of hypothesis examples, with
derandomized generation so CI is deterministic.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz import grammar, structured, targets
from fuzz.oracles import InvariantError, expected_reply_id
from fuzz.seeds import corpus_files, seed_inputs
from fuzz.world import MAX_MESSAGE_SIZE, PENDING_REQUEST_IDS, ClientWorld, ServerWorld
from fuzz.wsframes import close_frame, message_frames
from relay_proto import FrameDropped, RequestFailed, RequestSucceeded, Started
from relay_proto._jsonrpc import Invalid, Request, decode_frame

CORPUS = Path(__file__).resolve().parents[2] / "fuzz" / "corpus"

# Bounded, derandomized: the same examples on every run (CI must be deterministic). Health
# checks are about generation speed, which is never asserted here. RELAY_FUZZ_EXAMPLES raises
# the bound for a longer local run (see fuzz/README.md).
EXAMPLES = int(os.environ.get("RELAY_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def seeds(direction: str) -> list[Path]:
    return sorted((CORPUS / direction).glob("*.jsonl"))


def seed_bytes(path: Path) -> bytes:
    return path.read_bytes().rstrip(b"\n")


# --------------------------------------------------------------------------- regressions
# Each of these broke an invariant before the fix noted in fuzz/README.md ("Findings").


@pytest.mark.parametrize(
    "text",
    [
        '{"id": NaN, "method": "signalwire.ping"}',
        '{"id": Infinity, "method": "signalwire.event", "params": {}}',
        '{"id": -Infinity, "method": 5}',
        '{"id": 1e999, "method": "signalwire.ping"}',
        '{"id": "x", "method": "signalwire.ping", "params": {"timestamp": NaN}}',
    ],
)
def test_non_finite_numbers_are_invalid_json(text: str) -> None:
    # Finding 1: NaN/Infinity (and 1e999, which overflows to infinity) were accepted by the
    # decoder, then the reply echoing the id could not be encoded: InvalidCommandError escaped
    # receive_data in both roles.
    assert decode_frame(text) == Invalid("invalid JSON")
    client = ClientWorld()
    client.feed_messages([text])
    assert isinstance(client.events[-1], FrameDropped)
    assert client.events[-1].reason == "invalid JSON"
    client.probe()
    server = ServerWorld()
    server.feed_messages([text])
    server.probe()


def test_finite_floats_still_decode() -> None:
    frame = decode_frame('{"id": 1.5e300, "method": "m", "params": {"t": -0.25}}')
    assert frame == Request(1.5e300, True, "m", {"t": -0.25})


@pytest.mark.parametrize("where", ["error", "result"])
def test_result_and_error_codes_with_thousands_of_digits(where: str) -> None:
    # Finding 2: int() refuses strings of more than 4300 digits (ValueError), so a reply with
    # such a "numeric" code crashed receive_data. Such a code is now "not numeric" (-1).
    code = "7" * 5000
    body = {"code": code, "message": "huge"}
    pending = PENDING_REQUEST_IDS[0]
    text = json.dumps({"jsonrpc": "2.0", "id": pending, where: body})
    client = ClientWorld()
    client.feed_messages([text])
    [failed] = [e for e in client.events if isinstance(e, RequestFailed)]
    assert (failed.request_id, failed.code, failed.message) == (pending, -1, "huge")
    client.probe()


def test_codes_up_to_640_digits_still_convert() -> None:
    code = "4" + "0" * 639
    text = json.dumps({"id": PENDING_REQUEST_IDS[0], "error": {"code": code, "message": "m"}})
    client = ClientWorld()
    client.feed_messages([text])
    [failed] = [e for e in client.events if isinstance(e, RequestFailed)]
    assert failed.code == int(code)


def test_server_role_survives_a_huge_error_code() -> None:
    server = ServerWorld()
    reply = {"jsonrpc": "2.0", "id": "evt-1", "error": {"code": "9" * 5000, "message": "x"}}
    server.feed_messages([json.dumps(reply)])
    assert server.events[-1].error == {"code": -1, "message": "x"}  # type: ignore[attr-defined]
    server.probe()


@pytest.mark.parametrize("depth", [33, 200, 600])
def test_request_ids_nested_too_deeply_are_answered_with_a_null_id(depth: int) -> None:
    # Finding 3: an id nested almost as deep as the decoder allows decoded fine and then failed
    # to encode a few stack frames deeper (RecursionError -> InvalidCommandError escaped
    # receive_data, at about 987 levels in a shallow stack). Such ids now get -32600 with id null.
    nested = "[" * depth + "]" * depth
    text = f'{{"jsonrpc": "2.0", "id": {nested}, "method": "signalwire.ping"}}'
    frame = decode_frame(text)
    assert frame == Invalid("id nested too deeply", True, None, -32600)
    client = ClientWorld()
    client.feed_messages([text])
    [reply] = [json.loads(t) for t in client.client_frames]
    assert reply == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": "Invalid Request"},
    }
    client.probe()
    server = ServerWorld()
    server.feed_messages([text])
    server.probe()


def test_ids_nested_up_to_the_limit_are_still_echoed() -> None:
    nested = "[" * 32 + "5" + "]" * 32
    text = f'{{"id": {nested}, "method": "signalwire.ping"}}'
    client = ClientWorld()
    client.feed_messages([text])
    [reply] = [json.loads(t) for t in client.client_frames]
    assert reply["id"] == json.loads(nested)
    assert expected_reply_id(text, MAX_MESSAGE_SIZE) == json.dumps(json.loads(nested))


# --------------------------------------------------------------------------- seed corpus


NO_ORJSON = pytest.mark.skipif(
    not targets.HAS_FAST_DECODER,
    reason="orjson is not installed: one JSON decoder, nothing to compare "
    "(tests/proto/test_fuzz_without_orjson.py covers this install)",
)


@pytest.mark.parametrize(
    "target",
    [pytest.param(t, marks=NO_ORJSON) if t == "decoders" else t for t in sorted(targets.TARGETS)],
)
def test_every_seed_of_every_target_keeps_the_invariants(target: str) -> None:
    inputs = seed_inputs(target)
    assert inputs, f"no seeds for {target}"
    for data in inputs:
        targets.TARGETS[target](data)


def test_the_corpus_covers_every_event_type_and_the_setup_ids() -> None:
    texts = [line for path in corpus_files("to_client") for line in path.read_text().splitlines()]
    frames = []
    for text in texts:
        try:
            frames.append(json.loads(text))
        except ValueError:
            continue  # the malformed seeds
    objects = [f for f in frames if isinstance(f, dict)]
    events = {
        str(f["params"].get("event_type"))
        for f in objects
        if f.get("method") == "signalwire.event" and isinstance(f.get("params"), dict)
    }
    assert set(grammar.EVENT_TYPES) <= events
    replied = {str(f.get("id")) for f in objects if "result" in f or "error" in f}
    assert set(PENDING_REQUEST_IDS) <= replied
    assert ClientWorld().pending == dict(
        zip(
            ["answer", "play-2", "dial-2", "message-2", "receive"], PENDING_REQUEST_IDS, strict=True
        )
    )


# --------------------------------------------------------------------------- properties


@FUZZ
@given(grammar.server_texts(), st.lists(st.lists(st.integers(0, 255), max_size=3), max_size=8))
def test_client_survives_any_well_framed_server_message(
    texts: list[str], cuts: list[list[int]]
) -> None:
    world = ClientWorld()
    world.feed_messages(texts, cuts)
    world.probe()


@FUZZ
@given(grammar.client_texts(), st.lists(st.lists(st.integers(0, 255), max_size=3), max_size=8))
def test_server_survives_any_well_framed_client_message(
    texts: list[str], cuts: list[list[int]]
) -> None:
    world = ServerWorld()
    world.feed_messages(texts, cuts)
    world.probe()


@FUZZ
@given(st.binary(max_size=300))
def test_raw_bytes_raise_only_remote_protocol_error(data: bytes) -> None:
    for name in ("client_raw", "server_raw", "client_handshake", "server_handshake"):
        targets.TARGETS[name](data)


@FUZZ
@given(
    st.sampled_from(range(64)),
    st.lists(st.sampled_from(seed_inputs("client_raw")), max_size=2),
    st.binary(max_size=40),
)
def test_raw_frames_with_corruption(cut: int, streams: list[bytes], tail: bytes) -> None:
    # Valid frames, then a corrupted cut of them: reaches the framing layer's error paths.
    stream = b"".join(streams)
    targets.client_raw(stream[: len(stream) - cut] + tail)
    targets.server_raw(stream + tail)


@FUZZ
@given(
    st.booleans(),
    st.binary(max_size=7),
    st.lists(
        st.tuples(grammar.server_frame() | grammar.client_frame(), st.integers(0, 6)), max_size=5
    ),
    st.booleans(),
)
def test_whole_bytewise_and_chunked_feeding_agree(
    server: bool, plan: bytes, frames: list[tuple[object, int]], close: bool
) -> None:
    lines = []
    for frame, kind in frames:
        text = grammar.to_text(frame).replace("\n", " ").encode()
        prefix = {4: b"\x04", 5: b"\x05", 6: b"\x01\x07"}.get(kind, b"")
        lines.append(prefix + text)
    data = (
        bytes([(len(plan) << 1) | server]) + plan + b"\n".join(lines) + (b"\x06" if close else b"")
    )
    targets.differential(data)


@NO_ORJSON
@FUZZ
@given(
    st.text(max_size=60)
    | (grammar.server_frame() | grammar.client_frame()).map(grammar.to_text)
    | st.recursive(st.none() | st.floats() | st.integers() | st.text(max_size=5), st.lists).map(
        lambda v: json.dumps({"v": v})
    )
)
def test_the_optional_fast_decoder_agrees_with_the_standard_one(text: str) -> None:
    targets.decoders(text.encode("utf-8", "surrogatepass"))


@settings(FUZZ, max_examples=max(1, EXAMPLES * 5 // 8))
@given(st.data())
def test_scripted_sessions_keep_their_bookkeeping(data: st.DataObject) -> None:
    structured.run_session(data)


def test_the_checks_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    # The harness must notice each kind of broken invariant, or the runs above prove nothing.
    world = ClientWorld()
    with pytest.raises(InvariantError, match="expected exactly"):
        world._check_replies('{"id": "x", "method": "signalwire.ping"}', [])
    with pytest.raises(InvariantError, match="expected exactly"):
        world._check_replies('{"method": "signalwire.ping"}', ['{"id": "y", "result": {}}'])
    world.conn.close(world.now)
    with pytest.raises(InvariantError, match="not ready"):
        world.probe()

    outcomes = structured.Outcomes()
    outcomes.issued(Started(request_id="r-1"), "execute")
    with pytest.raises(InvariantError, match="never got an outcome"):
        outcomes.check_final()
    done = RequestSucceeded(request_id="r-1", method="m", result={})
    outcomes.observe(done)
    outcomes.check_final()
    with pytest.raises(InvariantError, match="two outcomes"):
        outcomes.observe(done)

    def fake_run(chunks: list[bytes]) -> targets.Run:
        return targets.Run(events=[str(len(chunks))])

    monkeypatch.setattr(targets, "_client_run", fake_run)
    with pytest.raises(InvariantError, match="feeding differs"):
        targets.differential(b"\x00" + seed_bytes(seeds("to_client")[0]))


def test_server_answers_a_bad_request_that_arrives_with_the_close_frame() -> None:
    # Finding 4 (differential): RelayServerConnection handled the messages of a read only
    # after the whole read was parsed; when the client's close frame was in the same read, the
    # core's own -32600 reply to an earlier malformed request was dropped, while byte-at-a-time
    # feeding sent it. Messages are now handled as they are parsed.
    text = '{"jsonrpc": "2.0", "id": "srv-1"}'
    stream = message_frames(text.encode(), masked=True) + close_frame(1000, "", masked=True)
    world = ServerWorld()
    world.feed(stream)
    assert [json.loads(t) for t in world.received] == [
        {"jsonrpc": "2.0", "id": "srv-1", "error": {"code": -32600, "message": "Invalid Request"}}
    ]
    targets.differential(b"\x01" + text.encode() + b"\x06")
