"""The benchmark server: one client connection, one workload, as little CPU as possible.

It runs in the harness process (never in the measured client process) on a non-blocking socket
with :mod:`selectors`: it writes the scenario's pre-serialised frames as fast as the client
takes them and reads the client's frames at the same time (the B1 flood would otherwise
deadlock: both sides blocked writing into full buffers). ACKs are recognised without parsing
JSON (a frame without ``"method"`` is a reply; its id is cut out with a regex); requests are
few and go through ``json.loads``.

Its own CPU time, from the client's ``bench.start`` to the end of the connection, is reported
beside the client's (``server_cpu``) so that a reader can see the server is not what limits a
run.
"""

from __future__ import annotations

import json
import re
import resource
import selectors
import socket
import subprocess
import time
from collections import deque
from dataclasses import dataclass

from ._scenarios import Scenario, WorkloadError
from ._wire import (
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    ClientFrames,
    WireError,
    close_frame,
    handshake_response,
    server_frame,
)

__all__ = ["ServerResult", "serve"]

_ID = re.compile(rb'"id"\s*:\s*"([^"\\]*)"')
_RECV_SIZE = 1 << 18


@dataclass
class ServerResult:
    """What the server saw of one run."""

    complete: bool  # the workload reached its end
    acks: int
    unacked: int
    cpu: float  # server CPU seconds (user + sys) from bench.start to the end of the connection
    error: str = ""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Connection:
    """One client connection: frames in, scenario, frames out."""

    def __init__(self, sock: socket.socket, scenario: Scenario) -> None:
        self.sock = sock
        self.scenario = scenario
        self.frames = ClientFrames()
        self.out: deque[memoryview] = deque()
        self.open = True
        self.cpu_start: float | None = None

    def receive(self, data: bytes) -> None:
        head_done = self.frames.head is not None
        messages = self.frames.feed(data)
        if not head_done and self.frames.head is not None:
            self.write(handshake_response(self.frames.head))
        for opcode, payload in messages:
            if opcode == OP_TEXT:
                self._text(payload)
            elif opcode == OP_CLOSE:
                self.write(close_frame())
                self.open = False
            elif opcode == OP_PING:
                self.write(server_frame(payload, OP_PONG))

    def _text(self, payload: bytes) -> None:
        scenario = self.scenario
        if b'"method"' not in payload:
            match = _ID.search(payload)
            if match is None:
                raise WorkloadError(f"reply without a string id: {payload[:200]!r}")
            out = scenario.ack(match.group(1))
        else:
            frame = json.loads(payload)
            method = frame.get("method", "")
            if method == "bench.start":
                self.cpu_start = _cpu()
            out = scenario.handle(method, frame.get("id"), frame.get("params") or {})
        if out:
            self.write(out)

    def write(self, data: bytes) -> None:
        self.out.append(memoryview(data))

    def flush(self) -> None:
        """Write as much as the socket takes now."""
        out = self.out
        while out:
            chunk = out[0]
            try:
                sent = self.sock.send(chunk)
            except BlockingIOError:
                return
            if sent < len(chunk):
                out[0] = chunk[sent:]
                return
            out.popleft()


def serve(
    listener: socket.socket,
    scenario: Scenario,
    proc: subprocess.Popen[bytes],
    timeout: float,
) -> ServerResult:
    """Serve the one connection of ``proc`` (the client process) until it closes.

    Returns when the client has closed the connection (or exited, or ``timeout`` seconds have
    passed: then ``error`` says so).
    """
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ)
    conn: _Connection | None = None
    error = ""
    try:
        while True:
            if time.monotonic() > deadline:
                error = f"timed out after {timeout:.0f} s"
                break
            for key, _ in sel.select(0.2):
                if key.fileobj is listener:
                    sock, _ = listener.accept()
                    sock.setblocking(False)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    sel.unregister(listener)
                    sel.register(sock, selectors.EVENT_READ)
                    conn = _Connection(sock, scenario)
                    continue
                if conn is None:  # pragma: no cover - only the listener is registered then
                    continue
                done = _step(conn, key.events)
                if done:
                    return _result(conn, scenario, error)
            if conn is not None:
                _rearm(sel, conn)
            if conn is None and proc.poll() is not None:
                error = f"client exited with status {proc.returncode} before connecting"
                break
    except (WireError, WorkloadError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        sel.close()
        if conn is not None:
            conn.sock.close()
    return _result(conn, scenario, error or "connection not finished")


def _step(conn: _Connection, events: int) -> bool:
    """Handle readiness of the client socket; ``True`` once the connection is over."""
    if events & selectors.EVENT_READ:
        try:
            data = conn.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            data = None
        except ConnectionResetError:
            data = b""
        if data == b"":
            conn.open = False
        elif data:
            conn.receive(data)
    conn.flush()
    if not conn.open:
        # Best effort: the close frame (the client may already be gone).
        conn.sock.setblocking(True)
        conn.sock.settimeout(1.0)
        for chunk in conn.out:
            try:
                conn.sock.sendall(chunk)
            except OSError:
                break
        return True
    return False


def _rearm(sel: selectors.BaseSelector, conn: _Connection) -> None:
    want = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.out else 0)
    if sel.get_key(conn.sock).events != want:
        sel.modify(conn.sock, want)


def _result(conn: _Connection | None, scenario: Scenario, error: str) -> ServerResult:
    start = conn.cpu_start if conn is not None else None
    cpu = _cpu() - start if start is not None else 0.0
    if not error and not scenario.complete:
        error = "the workload did not complete"
    return ServerResult(
        complete=scenario.complete,
        acks=scenario.acks,
        unacked=scenario.unacked,
        cpu=cpu,
        error=error,
    )
