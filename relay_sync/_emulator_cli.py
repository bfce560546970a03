"""``relay-emulator``: the console script, importable without anyio.

The emulator runs on anyio, which a plain ``pip install relay-sansio`` does not install. Without
it the command says what to install (exit status 2) instead of failing with a traceback; with it,
it runs :func:`relay_anyio.testing.__main__.main`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_HINT = "pip install 'relay-sansio[anyio]' (or 'relay-sansio[trio]' to run it on trio)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the RELAY emulator; returns the exit status."""
    try:
        import anyio  # noqa: F401 - only checks that it is there
    except ImportError:
        print(
            "relay-emulator runs the RELAY emulator, which needs anyio (not installed here).\n"
            f"Install it with: {_HINT}",
            file=sys.stderr,
        )
        return 2
    from relay_anyio.testing.__main__ import main as emulator_main

    return emulator_main(argv)


if __name__ == "__main__":
    sys.exit(main())
