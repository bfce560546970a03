"""Entry point of a measured client process: ``python -m benchmarks._child CLIENT WORKLOAD PORT
SIZE``. Runs one workload with one client against the harness's server on ``127.0.0.1:PORT``
and prints the measurements as one JSON line. Imports only what that client needs, so the
process's memory is the client's own.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["CLIENTS", "run"]

# Client name -> what the child runs. Importing a driver module imports no client library.
CLIENTS = ("official", "asyncio", "trio", "sync", "core", "orjson", "floor", "stream")


def run(client: str, workload: str, port: int, size: int) -> dict[str, Any]:
    """Run ``workload`` with ``client`` and return its measurements.

    Raises:
        ValueError: an unknown client.
    """
    if client == "official":
        from ._drive_async import run_official

        return run_official(workload, port, size)
    if client in ("asyncio", "trio", "orjson", "stream"):
        from ._drive_async import run_relay_anyio

        return run_relay_anyio("trio" if client == "trio" else "asyncio", workload, port, size)
    if client == "sync":
        from ._drive_sync import run_relay_sync

        return run_relay_sync(workload, port, size)
    if client == "core":
        from ._drive_core import run_core

        return run_core(workload, port, size)
    if client == "floor":
        from ._drive_floor import run_floor

        return run_floor(workload, port, size)
    raise ValueError(f"unknown client {client!r}")


def main(argv: list[str]) -> int:
    """Run the child; prints the JSON result on stdout."""
    from ._measure import emit

    client, workload, port, size = argv
    emit(run(client, workload, int(port), int(size)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
