"""relay-fuzz: the emulator under fire, a planted bug found and shrunk, replay, the CLI guard.

The fuzzer is blocking (plain sockets); the emulator runs in a thread of its own through an
anyio portal, on asyncio and on trio. Everything is on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio.from_thread
import pytest

import relay_anyio
from relay_anyio.testing import RelayEmulator
from relay_fuzz import Settings, execute, fuzz, load_program, parse_url, report, save_program
from relay_fuzz.__main__ import main
from relay_fuzz._serve import Listener
from relay_proto import ClientRequest, FrameDropped, RelayServerConnection, RemoteProtocolError
from relay_proto.strategies import REQUEST_METHODS

BUDGET = 3.0  # seconds of fuzzing per backend in CI (docs/fuzzing.md has the long run)


@pytest.fixture(params=["asyncio", "trio"])
def emulator(request: pytest.FixtureRequest) -> Iterator[RelayEmulator]:
    with (
        anyio.from_thread.start_blocking_portal(request.param) as portal,
        portal.wrap_async_context_manager(RelayEmulator(project="p", token="t")) as emu,
    ):
        yield emu


def test_the_emulator_survives_the_fuzzer(emulator: RelayEmulator) -> None:
    target = Settings(parse_url(emulator.url), project="p", token="t", hang_timeout=5.0)
    outcome = fuzz(target, budget=BUDGET, rng_seed=15)
    assert outcome.finding is None, report(emulator.url, outcome)
    assert emulator.internal_errors == []
    stats = outcome.stats
    assert stats.examples >= 2 and stats.connections == stats.examples
    assert sum(stats.requests.values()) > 0 and sum(stats.malformed.values()) > 0
    # Every step was checked against its documented answer (the oracles in relay_fuzz._client)
    # and every program ended with a ping round trip: replies at least cover the requests.
    assert stats.replies >= sum(stats.requests.values())


class BinaryAllergicServer:
    """A user's RELAY server built on the core, with a planted bug: a binary message (which
    the protocol says to ignore) makes it drop the socket."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"ws://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                continue
            with sock:
                sock.settimeout(10.0)
                self._session(sock, RelayServerConnection())

    def _session(self, sock: socket.socket, conn: RelayServerConnection) -> None:
        while conn.is_open or not conn.data_to_send():
            try:
                data = sock.recv(65536) or None
            except OSError:
                return
            with contextlib.suppress(RemoteProtocolError):
                conn.receive_data(data)
            while (event := conn.next_event()) is not None:
                if isinstance(event, FrameDropped) and event.reason == "binary message":
                    return  # the bug
                if isinstance(event, ClientRequest):
                    self._answer(conn, event)
            with contextlib.suppress(OSError):
                sock.sendall(conn.data_to_send())
            if data is None:
                return

    @staticmethod
    def _answer(conn: RelayServerConnection, request: ClientRequest) -> None:
        if request.method == "signalwire.connect":
            conn.send_result(request.request_id, {"protocol": "signalwire_x_1"})
        elif request.method in REQUEST_METHODS:
            conn.send_result(request.request_id, {"code": "200", "message": "OK"})
        else:
            conn.send_error(request.request_id, -32601, "Method not found")

    def close(self) -> None:
        self.stopping = True
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def allergic() -> Iterator[BinaryAllergicServer]:
    server = BinaryAllergicServer()
    yield server
    server.close()


def test_a_planted_bug_is_found_shrunk_saved_and_replayed(
    allergic: BinaryAllergicServer, tmp_path: Path
) -> None:
    target = Settings(parse_url(allergic.url), hang_timeout=2.0, max_message_size=4096)
    outcome = fuzz(target, examples=200, rng_seed=3)
    assert outcome.finding is not None
    assert outcome.finding.kind == "crash"
    # Shrunk to the one frame that matters.
    assert [step["kind"] for step in outcome.steps] == ["binary message"]
    path = tmp_path / "finding.json"
    save_program(str(path), target, outcome.steps, outcome.finding)
    steps, document = load_program(str(path))
    assert document["finding"]["kind"] == "crash"
    with pytest.raises(Exception, match="closed the connection"):
        execute(target, steps)
    assert main([allergic.url, "--replay", str(path), "--hang-timeout", "2"]) == 1


def test_the_command_line_fuzzes_and_replays(
    emulator: RelayEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "f.json"
    args = [emulator.url, "--project", "p", "--token", "t", "--examples", "3", "--seed", "1"]
    assert main([*args, "--out", str(out)]) == 0
    assert "findings        none" in capsys.readouterr().out
    assert not out.exists()
    program = {"relay_fuzz": 1, "mode": "client", "steps": [], "finding": {"kind": "hang"}}
    out.write_text(json.dumps(program))
    assert main([emulator.url, "--project", "p", "--token", "t", "--replay", str(out)]) == 0
    assert "not reproduced" in capsys.readouterr().out


def test_wrong_credentials_are_a_setup_error(
    emulator: RelayEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([emulator.url, "--project", "p", "--token", "wrong", "--examples", "1"]) == 2
    assert "signalwire.connect failed" in capsys.readouterr().err


def test_a_remote_host_needs_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    # Refused before any socket is opened (192.0.2.0/24 is TEST-NET-1: never routed).
    assert main(["ws://192.0.2.7:8765", "--examples", "1"]) == 2
    err = capsys.readouterr().err
    assert "not a loopback address" in err and "--allow-remote" in err


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_serve_mode_fuzzes_our_client(backend: str) -> None:
    # relay-fuzz --serve: the fuzzer is the server, our relay_anyio client (with an on_call
    # handler that answers) connects to it and reconnects after each example.
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    target = Settings(parse_url(f"ws://127.0.0.1:{port}"), hang_timeout=5.0)
    listener = Listener(target, accept_timeout=20.0)
    client = relay_anyio.RelayClient(
        project="p", token="t", host=f"ws://127.0.0.1:{port}", contexts=["office"]
    )

    @client.on_call
    async def answer(call: relay_anyio.Call) -> None:
        await call.answer()

    with anyio.from_thread.start_blocking_portal(backend) as portal:
        running = portal.start_task_soon(client.serve)
        try:
            outcome = fuzz(target, examples=3, rng_seed=4, serve=listener)
        finally:
            portal.call(client.stop)
            running.result(timeout=30)
            listener.close()
    assert outcome.finding is None, report(target.endpoint.host, outcome, mode="serve")
    assert outcome.stats.connections == outcome.stats.examples == 3
    assert outcome.stats.events_acked > 0
    assert outcome.stats.requests["signalwire.connect"] == 3
