"""A load-test worker: ``examples/ivr.py``'s call handler on one relay_anyio client.

``python -m benchmarks._load_worker URL [asyncio|trio]`` serves calls on the ``office``
context of the emulator at URL until SIGINT/SIGTERM. Logging stays at WARNING (the example
logs each call at INFO when run by hand; a worker in production would not), and
``max_active_calls`` is raised to 50,000.
"""

from __future__ import annotations

import sys

from examples.ivr import handle_call
from relay_anyio import RelayClient


def main() -> None:
    """Serve until a signal."""
    url = sys.argv[1]
    backend = sys.argv[2] if len(sys.argv) > 2 else "asyncio"
    # Above the default max_active_calls (1000) the client passes calls on (D11): raised so
    # that the measured limit is the worker's, not a setting's.
    client = RelayClient(
        project="bench", token="bench", host=url, contexts=["office"], max_active_calls=50_000
    )
    client.on_call(handle_call)
    client.run(backend=backend)


if __name__ == "__main__":
    main()
