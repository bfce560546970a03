"""Importing a package loads only what a client uses.

Each check runs in a fresh interpreter and reads ``sys.modules`` after the import: the emulator,
the server role, the fuzzing helpers, optional speedups (orjson) and modules only a rarely used
function needs must stay out, since every module loaded is import time and resident memory of
every process that uses the library. The environment is the user's default (no
``RELAY_SANSIO_JSON``), so orjson, when installed, would be picked if anything decoded a frame.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

# Modules no import of the three packages may load.
_NEVER = (
    "relay_anyio.testing",  # the emulator
    "relay_proto._server",  # the server role
    "relay_proto.strategies",
    "relay_proto.stateful",
    "relay_proto._grammar",
    "relay_fuzz",
    "hypothesis",
    "orjson",  # picked on the first frame decoded, not at import
    "importlib.metadata",  # __version__ is resolved on first access
    "uuid",  # ids come from os.urandom (uuid imports platform)
    "platform",
    "ipaddress",  # only for a bracketed IPv6 host
    "unicodedata",  # only for a host that is not ASCII
    "pytest",
)

_PACKAGES = {
    "relay_proto": ("asyncio", "anyio", "trio", "socket", "ssl", "threading", "logging"),
    # asyncio is imported when the client runs on it: a process on trio never loads it.
    "relay_anyio": ("relay_sync", "trio", "asyncio"),
    "relay_sync": ("asyncio", "anyio", "trio", "relay_anyio", "relay_sync.cli"),
}


def _modules_after(statement: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k != "RELAY_SANSIO_JSON"}
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("package", sorted(_PACKAGES))
def test_an_import_leaves_out_what_a_client_does_not_use(package: str) -> None:
    loaded = _modules_after(f"import {package}")
    assert package in loaded
    unwanted = [
        name
        for name in (*_NEVER, *_PACKAGES[package])
        if name in loaded or any(m.startswith(name + ".") for m in loaded)
    ]
    assert unwanted == []


def test_every_public_name_of_relay_proto_imports_and_is_listed() -> None:
    import relay_proto

    for name in relay_proto.__all__:
        assert getattr(relay_proto, name) is not None, name
    assert set(relay_proto.__all__) <= set(dir(relay_proto))
    assert "__version__" in dir(relay_proto)
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        relay_proto.missing  # type: ignore[attr-defined]  # noqa: B018


def test_the_server_role_loads_on_first_use() -> None:
    script = (
        "import sys, relay_proto\n"
        "assert 'relay_proto._server' not in sys.modules\n"
        "from relay_proto import RelayServerConnection\n"
        "from relay_proto._server import RelayServerConnection as direct\n"
        "assert RelayServerConnection is direct\n"
        "from relay_proto import *\n"
        "print(RelayServerConnection.__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "RelayServerConnection"


@pytest.mark.skipif(
    importlib.util.find_spec("orjson") is None,
    reason="relay-sansio[speedups] not installed",
)
def test_orjson_is_loaded_by_the_first_frame_decoded() -> None:
    env = {k: v for k, v in os.environ.items() if k != "RELAY_SANSIO_JSON"}
    script = (
        "import sys\n"
        "from relay_proto import _jsonrpc\n"
        "before = 'orjson' in sys.modules\n"
        'frame = _jsonrpc.decode_frame(\'{"id": "1", "result": {}}\')\n'
        "print(before, 'orjson' in sys.modules, type(frame).__name__, _jsonrpc.JSON_BACKEND)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True", "Reply", "orjson"]


_TRIO_CALL = """
import sys
import trio
from relay_anyio import RelayClient
from relay_anyio.testing import RelayEmulator


async def main():
    async with RelayEmulator(project="p", token="t", time_scale=0.001) as emu:
        client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
        done = trio.Event()

        @client.on_call
        async def handle(call):
            await call.answer()
            await (await call.play_tts("hi")).wait()
            await call.hangup()
            done.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(client.serve)
            await emu.call(context="office", from_number="+15551230001", to_number="+15551230002")
            await done.wait()
            nursery.cancel_scope.cancel()
    print(sorted(m for m in sys.modules if m == "asyncio" or m.startswith("asyncio.")))


trio.run(main)
"""


def test_a_call_handled_on_trio_never_imports_asyncio() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _TRIO_CALL], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
