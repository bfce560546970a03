"""Fuzzing works on the default install, where orjson (the ``speedups`` extra) is absent.

Each check runs in a fresh interpreter in which ``import orjson`` fails, whatever this test
environment has installed: the ``decoders`` target accepts its inputs (one decoder, nothing to
compare), ``run_atheris.py --target=all`` leaves it out, and replaying it raises nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Makes `import orjson` raise ImportError, as on an install without the speedups extra.
BLOCK = "import sys; sys.modules['orjson'] = None\n"


def run_without_orjson(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RELAY_SANSIO_JSON"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_decoders_target_accepts_every_seed_without_orjson() -> None:
    done = run_without_orjson(
        """
        from relay_proto._jsonrpc import JSON_BACKEND
        from fuzz import targets
        from fuzz.seeds import seed_inputs
        assert JSON_BACKEND == "stdlib", JSON_BACKEND
        seeds = seed_inputs("decoders")
        assert seeds
        # The behaviour first (before the fix: ImportError on the first seed), then the flag.
        for seed in seeds:
            targets.decoders(seed)
        assert targets.HAS_FAST_DECODER is False
        print("checked", len(seeds))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("checked ")


def test_run_atheris_leaves_the_decoders_target_out_and_replays_it(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.write_bytes(b'{"jsonrpc": "2.0", "id": 1, "method": "signalwire.ping"}')
    done = run_without_orjson(
        """
        import runpy, sys
        sys.argv = ["fuzz/run_atheris.py", *sys.argv[1:]]
        sys.path.insert(0, ".")
        # The replay first (before the fix: ImportError), then which targets "all" selects.
        try:
            runpy.run_path("fuzz/run_atheris.py", run_name="__main__")
        except SystemExit as exit:
            assert not exit.code, exit.code
        from fuzz import run_atheris
        assert "decoders" not in run_atheris._selected("all"), run_atheris._selected("all")
        assert run_atheris._selected("decoders") == ["decoders"]
        """,
        "--target=decoders",
        "--replay",
        str(seed),
    )
    assert done.returncode == 0, done.stderr
    assert "skipped (orjson is not installed" in done.stdout
    assert f"--- {seed}: ok" in done.stdout
