"""The ``relay`` command line against the emulator: every subcommand, its output (JSON lines off
a terminal, colored text on one) and its exit statuses. ``main(argv, out=...)`` runs in-process
(the emulator on its own loop thread); ``--emulator`` and the console script in a subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from relay_anyio.testing import Persona, Press
from relay_sync.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    main,
)
from relay_sync.cli._output import Printer

from .helpers import CALLER, LINE, PROJECT, TOKEN, WAIT

ROOT = Path(__file__).resolve().parents[2]
CALLEE = "+15553330001"


def run(argv: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """Run ``relay argv`` in-process; return the status and the JSON records it printed."""
    out = io.StringIO()  # not a terminal: JSON lines
    status = main(argv, out=out)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def creds(emulator: Any, token: str = TOKEN) -> list[str]:
    return ["--project", PROJECT, "--token", token, "--space", emulator.url]


def of_type(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == kind]


# ------------------------------------------------------------------------------------ ping


def test_ping_connects_and_times_round_trips(emulator: Any) -> None:
    status, records = run(["ping", "--count", "2", *creds(emulator)])
    assert status == EXIT_OK
    assert [r["type"] for r in records] == ["connected", "ping", "ping"]
    assert records[0]["host"] == emulator.url and records[0]["protocol"]
    assert all(r["round_trip_ms"] >= 0 for r in records[1:])
    pings = [
        e
        for e in emulator.journal.since(0)
        if e.direction == "in" and e.method == "signalwire.ping"
    ]
    assert len(pings) == 2


def test_ping_with_wrong_credentials_exits_3(emulator: Any) -> None:
    status, records = run(["ping", *creds(emulator, token="wrong")])
    assert status == EXIT_UNAVAILABLE
    assert records[-1]["type"] == "error" and "RelayError" in records[-1]["text"]


def test_ping_an_unreachable_host_exits_3(emulator: Any) -> None:
    closed = ["--project", "p", "--token", "t", "--space", "ws://127.0.0.1:1"]
    status, records = run(["ping", *closed])
    assert status == EXIT_UNAVAILABLE
    assert records[-1]["text"].startswith("cannot reach ws://127.0.0.1:1")


def test_missing_credentials_and_bad_arguments_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_JWT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("RELAY_FROM_NUMBER", raising=False)
    status, records = run(["ping"])
    assert status == EXIT_USAGE and "SIGNALWIRE_PROJECT_ID" in records[-1]["text"]
    assert main(["dial", CALLEE], out=io.StringIO()) == EXIT_USAGE  # no --from
    assert "needs --from" in capsys.readouterr().err
    assert main(["sms", CALLEE, "--from", LINE], out=io.StringIO()) == EXIT_USAGE  # no text
    assert main(["listen"], out=io.StringIO()) == EXIT_USAGE  # no --context
    assert main(["listen", "-c", "x", "--count", "0"], out=io.StringIO()) == EXIT_USAGE
    assert main(["teleport"], out=io.StringIO()) == EXIT_USAGE
    assert main([], out=io.StringIO()) == EXIT_USAGE


# ------------------------------------------------------------------------------------ dial


def test_dial_says_the_text_prints_the_events_and_hangs_up(emulator: Any) -> None:
    emulator.persona(CALLEE, Persona.human(after=1.0))
    status, records = run(
        ["dial", CALLEE, "--from", LINE, "--say", "Hello there", *creds(emulator)]
    )
    assert status == EXIT_OK
    (call,) = of_type(records, "call")
    assert (call["direction"], call["to_number"], call["from_number"]) == (
        "outbound",
        CALLEE,
        LINE,
    )
    summaries = [(r["event_type"], r["summary"]) for r in of_type(records, "event")]
    assert ("calling.call.play", "finished") in summaries
    assert summaries[-1] == ("calling.call.state", "ended end_reason=hangup")
    assert records[-1]["type"] == "result"
    plays = [e.params for e in emulator.journal.since(0) if e.method == "calling.play"]
    assert plays[0]["play"] == [{"type": "tts", "params": {"text": "Hello there"}}]


def test_dial_a_busy_number_exits_1_with_the_reason(emulator: Any) -> None:
    emulator.persona(CALLEE, Persona.busy())
    status, records = run(["dial", CALLEE, "--from", LINE, *creds(emulator)])
    assert status == EXIT_FAILED
    assert records[-1]["type"] == "error"
    assert records[-1]["text"].startswith(f"{CALLEE} was not reached")
    assert of_type(records, "call") == []


@pytest.mark.emulator_time_scale(0.1)  # it rings 30 simulated s (3 s) before "noAnswer"
def test_dial_with_no_answer_exits_4_at_the_timeout(emulator: Any) -> None:
    emulator.persona(CALLEE, Persona.no_answer())
    argv = ["dial", CALLEE, "--from", LINE, "--timeout", "0.3", *creds(emulator)]
    status, records = run(argv)
    assert status == EXIT_TIMEOUT
    assert records[-1]["text"] == f"{CALLEE} did not answer within 0.3 s"


# ------------------------------------------------------------------------------------- sms


def test_sms_waits_for_delivery(emulator: Any) -> None:
    status, records = run(["sms", CALLEE, "Running", "late", "--from", LINE, *creds(emulator)])
    assert status == EXIT_OK
    (message,) = of_type(records, "message")
    assert (message["body"], message["to_number"], message["direction"]) == (
        "Running late",
        CALLEE,
        "outbound",
    )
    assert [r["state"] for r in of_type(records, "message_state")][-1] == "delivered"
    assert records[-1] == {**records[-1], "type": "result", "state": "delivered"}
    assert [m.params["body"] for m in emulator.messages] == ["Running late"]


def test_sms_that_fails_exits_1(emulator: Any) -> None:
    emulator.message_outcome(CALLEE, "failed", "spam")
    argv = ["sms", CALLEE, "--media", "https://example.com/a.png", "--from", LINE]
    status, records = run([*argv, *creds(emulator)])
    assert status == EXIT_FAILED
    assert of_type(records, "message")[0]["media"] == ["https://example.com/a.png"]
    final = of_type(records, "message_state")[-1]
    assert (final["state"], final["reason"]) == ("failed", "spam")


# ---------------------------------------------------------------------------------- listen


def listen_in_background(argv: list[str]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def target() -> None:
        outcome["status"], outcome["records"] = run(argv)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def test_listen_prints_calls_with_their_events_and_messages(emulator: Any) -> None:
    argv = ["listen", "-c", "office", "--count", "2", "--say", "Hi", *creds(emulator)]
    thread, outcome = listen_in_background(argv)
    emulator.wait_for_clients(context="office")
    caller = emulator.call(
        context="office", from_number=CALLER, to_number=LINE, script=[Press("1")]
    )
    assert caller.wait_ended() == "hangup"
    emulator.send_sms(context="office", from_number=CALLER, to_number=LINE, body="Hi there")
    thread.join(WAIT)
    assert not thread.is_alive()
    records = outcome["records"]
    assert outcome["status"] == EXIT_OK
    assert records[0] == {**records[0], "type": "connected", "contexts": ["office"]}
    (call,) = of_type(records, "call")
    assert (call["from_number"], call["context"], call["direction"]) == (
        CALLER,
        "office",
        "inbound",
    )
    states = [r["summary"] for r in of_type(records, "event") if "call_state" in r["params"]]
    assert states[0] == "answered" and states[-1] == "ended end_reason=hangup"
    (message,) = of_type(records, "message")
    assert (message["body"], message["from_number"]) == ("Hi there", CALLER)
    assert records[-1] == {**records[-1], "type": "result", "received": 2}
    assert caller.heard == ["Hi"]


def test_listen_shows_a_missed_call_and_times_out_short_of_its_count(emulator: Any) -> None:
    argv = ["listen", "-c", "office", "--count", "2", "--timeout", "5", *creds(emulator)]
    thread, outcome = listen_in_background(argv)
    emulator.wait_for_clients(context="office")
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    emulator.wait_for_event("calling.call.receive")
    caller.hangup()  # before anyone answered
    thread.join(WAIT)
    assert outcome["status"] == EXIT_TIMEOUT
    records = outcome["records"]
    assert of_type(records, "event")[-1]["summary"] == "ended end_reason=cancel"
    assert records[-1]["type"] == "error" and records[-1]["received"] == 1


def test_listen_with_only_a_timeout_ends_normally(emulator: Any) -> None:
    status, records = run(["listen", "-c", "office", "--timeout", "0.2", *creds(emulator)])
    assert status == EXIT_OK
    assert records[-1] == {**records[-1], "type": "result", "received": 0}


# ---------------------------------------------------------------------------------- output


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_with_colors_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    screen = FakeTerminal()
    Printer(screen).emit("result", "msg-1  delivered", state="delivered")
    line = screen.getvalue()
    assert line.startswith("\x1b[") and line.endswith("\x1b[0m\n")
    assert "result        msg-1  delivered" in line
    monkeypatch.setenv("NO_COLOR", "1")
    plain = FakeTerminal()
    Printer(plain).emit("result", "done")
    assert "\x1b" not in plain.getvalue()
    forced = FakeTerminal()
    Printer(forced, json_lines=True).emit("result", "done", state="x")
    assert json.loads(forced.getvalue())["state"] == "x"


def test_text_flag_off_a_terminal(emulator: Any) -> None:
    out = io.StringIO()
    assert main(["ping", "--text", *creds(emulator)], out=out) == EXIT_OK
    lines = out.getvalue().splitlines()
    assert "connected" in lines[0] and "\x1b" not in out.getvalue()
    assert "signalwire.ping answered in" in lines[1]


# ------------------------------------------------------------------- --emulator, the script


def relay_subprocess(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "relay_sync.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_every_subcommand_runs_against_a_local_emulator() -> None:
    for argv, kinds in (
        (["ping"], {"connected", "ping"}),
        (["dial", "+15553330001", "--say", "Hello"], {"call", "event", "result"}),
        (["sms", "+15553330001", "hello"], {"message", "message_state", "result"}),
        (["listen", "-c", "office"], {"call", "event", "message", "result"}),
    ):
        result = relay_subprocess(*argv, "--emulator")
        assert result.returncode == EXIT_OK, (argv, result.stdout, result.stderr)
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert records[0]["text"].startswith("local RELAY emulator at ws://127.0.0.1:")
        assert kinds <= {r["type"] for r in records}, (argv, result.stdout)
        assert result.stderr == ""


def test_console_script_is_declared() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["relay"] == "relay_sync.cli:main"
    result = relay_subprocess("--version")
    assert result.returncode == EXIT_OK and result.stdout.startswith("relay ")
