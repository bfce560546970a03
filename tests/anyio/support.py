"""Helpers shared by the relay_anyio tests."""

from __future__ import annotations

import anyio

from relay_anyio import RelayClient
from relay_proto import Event


def watch(client: RelayClient, kind: type[Event]) -> list[anyio.Event]:
    """``events[0]`` is set when the client next sees a core event of ``kind``; each time it
    fires a fresh one replaces it."""
    events = [anyio.Event()]

    def spy(event: Event) -> None:
        if isinstance(event, kind):
            fired, events[0] = events[0], anyio.Event()
            fired.set()

    client._event_hooks.append(spy)
    return events
