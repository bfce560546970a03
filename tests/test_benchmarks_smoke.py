"""Smoke tests of the benchmark harness: every workload with every client at a tiny size.

Nothing here looks at timings (speed is never asserted): the runs must complete, the server
must have seen every event ACKed, and the report and JSON must be produced.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from benchmarks import __main__ as cli
from benchmarks._harness import ALL_CLIENTS, available, run_one
from benchmarks._scenarios import SCENARIOS
from benchmarks._wire import OP_CLOSE, OP_TEXT, ClientFrames, WireError, handshake_response

# The harness measures with getrusage() and /proc/self/status: POSIX, and Linux for the RSS.
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the benchmarks need POSIX")

TINY = {"B1": 60, "B2": 4, "B3": 12, "B4": 5}

RUNS = [
    pytest.param(client, workload, id=f"{workload}-{client}")
    for client in ALL_CLIENTS
    for workload in ("B1", "B2", "B3", "B4")
    if client != "floor" or workload == "B1"
]


@pytest.mark.parametrize(("client", "workload"), RUNS)
def test_each_workload_completes(client: str, workload: str) -> None:
    reason = available(client)
    if reason is not None:
        pytest.skip(reason)
    run = run_one(client, workload, TINY[workload], timeout=60.0)
    assert not run.get("error"), run.get("error")
    assert run["cpu"] >= 0 and run["wall"] > 0
    assert run["rss_kb"] > 0 or not sys.platform.startswith("linux")
    assert run["server_unacked"] == 0
    if workload == "B1":
        # The flood, plus the inbound call, its answered and its ended state events.
        assert run["server_acks"] == TINY["B1"] + 3
    elif workload in ("B2", "B4"):
        # Per call: receive, answered, play finished, ended.
        assert run["server_acks"] == 4 * TINY[workload]
        assert run["rss_start_kb"] > 0 or not sys.platform.startswith("linux")
    else:
        assert run["server_acks"] == 0
        assert 0 < run["p50_us"] <= run["p99_us"]


def test_the_command_prints_the_report_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"
    status = cli.main(
        [
            "--repeat", "2", "--clients", "core,floor", "--quiet", "--json", str(out),
            "--b1-events", "40", "--b2-calls", "3", "--b3-requests", "5", "--b4-calls", "3",
        ]
    )  # fmt: skip
    assert status == 0
    report = capsys.readouterr().out
    for title in ("B1 event flood", "B2 concurrency", "B3 round trip", "B4 calls held", "Targets"):
        assert title in report
    assert "wsproto floor" in report
    assert "KB per call" in report
    assert "Imports" in report and "relay_anyio" in report
    document = json.loads(out.read_text())
    assert document["settings"]["sizes"] == {"B1": 40, "B2": 3, "B3": 5, "B4": 3}
    assert len(document["runs"]) == 2 * (4 + 1)  # core: B1..B4; floor: B1
    assert document["medians"]["B4"]["core"]["kb_per_call"] >= 0
    assert document["medians"]["B1"]["floor"]["runs"] == 2
    assert {t["workload"] for t in document["targets"]} == {"B1", "B2", "B3", "B4"}
    assert {"relay_anyio", "relay_sync"} <= set(document["imports"])
    assert document["imports"]["relay_anyio"]["rss_mb"] > 0
    assert document["machine"]["python"]


def test_a_failing_client_is_reported_not_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    # The floor only knows B1: asked for B2 it fails, and the run must say so.
    run = run_one("floor", "B2", 3, timeout=30.0)
    assert "B1 only" in run["error"]


def test_wire_helpers_speak_websocket_with_wsproto() -> None:
    client = WSConnection(ConnectionType.CLIENT)
    frames = ClientFrames()
    assert frames.feed(client.send(Request(host="h", target="/"))) == []
    client.receive_data(handshake_response(frames.head or b""))
    assert any(isinstance(e, AcceptConnection) for e in client.events())
    # A message fragmented by the client is reassembled; close frames come through.
    data = client.send(TextMessage(data="héllo ", message_finished=False))
    data += client.send(TextMessage(data="x" * 70000, message_finished=True))
    data += client.send(CloseConnection(code=1000))
    messages = []
    for i in range(0, len(data), 1000):  # byte chunks cut frames anywhere
        messages += frames.feed(data[i : i + 1000])
    assert messages[0] == (OP_TEXT, ("héllo " + "x" * 70000).encode())
    assert messages[1][0] == OP_CLOSE


def test_wire_refuses_unmasked_frames() -> None:
    frames = ClientFrames()
    frames.feed(b"GET / HTTP/1.1\r\nSec-WebSocket-Key: x\r\n\r\n")
    with pytest.raises(WireError):
        frames.feed(b"\x81\x02hi")


def test_scenarios_answer_acks_only_once() -> None:
    scenario = SCENARIOS["B3"](1)
    frame = scenario.event(b"calling.call.state", b"{}")
    assert b'"id":"e-1"' in frame
    scenario.ack(b"e-1")
    with pytest.raises(Exception, match="unknown event"):
        scenario.ack(b"e-1")


def test_summary_gives_ratios_to_the_official_client_and_the_floor() -> None:
    from benchmarks._report import format_summary

    table = {
        "B1": {
            "official": {"cpu_ms_per_1k": 100.0},
            "asyncio": {"cpu_ms_per_1k": 50.0},
            "floor": {"cpu_ms_per_1k": 40.0},
        },
        "B4": {"official": {"kb_per_call": 8.0}, "asyncio": {"kb_per_call": 6.0}},
        "B3": {"asyncio": {"p50_us": 10.0}},  # no official run: no row
    }
    lines = format_summary(table)
    assert lines[0] == "| workload | relay_anyio on asyncio |"
    assert lines[2] == "| B1 CPU per 1k events | 0.50x (1.25x floor) |"
    assert lines[3] == "| B4 KB per call | 0.75x |"
    assert len(lines) == 4
    assert format_summary({"B3": table["B3"]}) == []
