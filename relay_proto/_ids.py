"""Injectable sources of identifiers and jitter.

The core never generates randomness itself. Request ids, control ids and dial tags come from an
*id factory* (any zero-argument callable returning a fresh string); backoff jitter comes from an
object with a ``random() -> float`` method (``random.Random`` fits). Adapters inject
``uuid.uuid4``-based factories and ``random.Random()``; tests and fuzzers inject deterministic ones
so that any failing case replays exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["IdFactory", "SupportsRandom", "counter_ids"]

IdFactory = Callable[[], str]


class SupportsRandom(Protocol):
    """Anything with ``random()`` returning a float in [0, 1), such as ``random.Random``."""

    def random(self) -> float: ...


def counter_ids(prefix: str = "id") -> IdFactory:
    """Return a deterministic id factory producing ``"<prefix>-1"``, ``"<prefix>-2"``, ...

    Fine for tests and for request ids. Real clients should inject UUIDs: control ids and dial
    tags must be unique across reconnects and across every client of a project.
    """
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return f"{prefix}-{count}"

    return next_id
