"""relay_sync needs no event loop: importing it (and using it) loads neither asyncio, anyio
nor trio; and its generated modules are in step with relay_anyio's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOOP_MODULES = ("asyncio", "anyio", "trio", "sniffio")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_importing_relay_sync_loads_no_event_loop_library() -> None:
    result = _run(
        f"""
        import sys
        import relay_sync
        import relay_sync._client, relay_sync._runner, relay_sync._transport
        loaded = [name for name in {LOOP_MODULES!r} if name in sys.modules]
        print(",".join(loaded))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_constructing_a_client_loads_no_event_loop_library() -> None:
    result = _run(
        f"""
        import sys
        from relay_sync import RelayClient
        client = RelayClient(project="p", token="t", host="ws://127.0.0.1:9")
        @client.on_call
        def handle(call):
            pass
        loaded = [name for name in {LOOP_MODULES!r} if name in sys.modules]
        print(",".join(loaded))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_detector_works() -> None:
    # The check above would pass vacuously if the subprocess could not see imports at all.
    result = _run(
        f"""
        import sys
        import relay_anyio
        print(",".join(name for name in {LOOP_MODULES!r} if name in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert "anyio" in result.stdout


def test_generated_modules_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
