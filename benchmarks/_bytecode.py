"""Byte-compiled modules for the measured processes, as an installed package has them.

``pip install`` writes a ``.pyc`` for every module; a checkout run in place has them only if an
earlier import could write them, which ``PYTHONDONTWRITEBYTECODE`` (or a read-only tree)
prevents. Then every client process compiles relay-sansio from source while the official SDK,
installed, loads its bytecode: about 1 MB more RSS and twice the import time for relay-sansio's
rows, which a user never pays. :func:`compile_checkout` writes the missing or stale ``.pyc``
files of the checkout's packages before anything is measured (compileall writes them whatever
``PYTHONDONTWRITEBYTECODE`` says; the interpreter reads them either way).
"""

from __future__ import annotations

import compileall
import io
from contextlib import redirect_stdout
from pathlib import Path

__all__ = ["PACKAGES", "compile_checkout"]

# What the measured processes import from the checkout (relay_anyio includes the emulator).
PACKAGES = ("relay_proto", "relay_anyio", "relay_sync", "benchmarks")


def compile_checkout(root: Path) -> str | None:
    """Byte-compile :data:`PACKAGES` under ``root``; a note for the report when it failed."""
    failed = []
    for name in PACKAGES:
        with redirect_stdout(io.StringIO()):  # compileall reports errors on stdout
            ok = compileall.compile_dir(root / name, quiet=1)
        if not ok:
            failed.append(name)
    if failed:
        return (
            f"could not byte-compile {', '.join(failed)} (read-only checkout?): its rows "
            "include compiling from source"
        )
    return None
