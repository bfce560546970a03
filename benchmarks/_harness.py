"""Running one measured client process against a fresh benchmark server."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ._scenarios import SCENARIOS
from ._server import ServerResult, serve

__all__ = [
    "ALL_CLIENTS",
    "DEFAULT_CLIENTS",
    "DEFAULT_SIZES",
    "JSON_ENV",
    "ROOT",
    "available",
    "run_one",
]

ROOT = Path(__file__).resolve().parent.parent
ALL_CLIENTS = ["official", "asyncio", "trio", "sync", "core", "orjson", "floor", "stream"]
# Clients run by default (``stream`` is for comparing relay_anyio's two asyncio transports).
DEFAULT_CLIENTS = [c for c in ALL_CLIENTS if c != "stream"]
DEFAULT_SIZES = {"B1": 20_000, "B2": 500, "B3": 3_000, "B4": 2_000}
# Environment variable relay_proto reads to pick its JSON backend (see relay_proto/_jsonrpc.py).
JSON_ENV = "RELAY_SANSIO_JSON"


def available(client: str) -> str | None:
    """Why ``client`` cannot run here, or ``None`` when it can."""
    if client == "official" and importlib.util.find_spec("signalwire") is None:
        return (
            "the official client is not installed (pip install --no-deps signalwire-sdk "
            "websockets structlog): skipped"
        )
    if client == "orjson" and importlib.util.find_spec("orjson") is None:
        return "orjson is not installed (pip install 'relay-sansio[speedups]'): its row skipped"
    return None


def run_one(
    client: str, workload: str, size: int, timeout: float, profile: Path | None = None
) -> dict[str, Any]:
    """One client process running one workload against a fresh server; its measurements.

    With ``profile`` (a directory) the client runs under cProfile and leaves
    ``<workload>-<client>.prof`` there (its timings are then not comparable).
    """
    scenario = SCENARIOS[workload](size)  # frames are built before the client starts
    env = dict(os.environ)
    env[JSON_ENV] = "orjson" if client == "orjson" else "stdlib"
    if client == "stream":  # relay_anyio on asyncio through anyio's byte stream
        env["RELAY_ANYIO_TRANSPORT"] = "stream"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        port = listener.getsockname()[1]
        command = _command(client, workload, port, size, profile)
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        server = serve(listener, scenario, proc, timeout)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    run: dict[str, Any] = {"client": client, "workload": workload, "size": size}
    return _collect(run, stdout, stderr.strip()[-2000:], proc.returncode, server)


def _command(client: str, workload: str, port: int, size: int, profile: Path | None) -> list[str]:
    child = ["-m", "benchmarks._child", client, workload, str(port), str(size)]
    if profile is not None:
        child[:0] = ["-m", "cProfile", "-o", str(profile / f"{workload}-{client}.prof")]
    return [sys.executable, *child]


def _collect(
    run: dict[str, Any], stdout: str, stderr: str, status: int, server: ServerResult
) -> dict[str, Any]:
    """Merge the client's JSON line and the server's view; ``error`` says what went wrong."""
    lines = stdout.strip().splitlines()
    try:
        run.update(json.loads(lines[-1]))
    except (IndexError, ValueError):
        run["error"] = f"no result (exit status {status}): {stderr}"
        return run
    run["server_cpu"] = server.cpu
    run["server_acks"] = server.acks
    run["server_unacked"] = server.unacked
    problems = [*run.pop("errors", []), server.error]
    if status:
        problems.append(f"exit status {status}: {stderr}")
    if any(problems):
        run["error"] = "; ".join(p for p in problems if p)
    return run
