"""Calls, actions, dials and messages (STUB: interface only, being implemented).

See docs/design/architecture.md, "Core ↔ domain interface".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._conn_events import Event
from ._ids import IdFactory
from ._types import CallCommand, CallInfo

__all__ = ["Domain", "Outgoing"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request the domain wants sent; ``purpose`` comes back with its outcome."""

    method: str
    params: dict[str, Any]
    purpose: object | None = None


class Domain:
    """Stub with the final signatures; every method is a no-op or raises NotImplementedError."""

    def __init__(
        self,
        *,
        emit: Callable[[Event], None],
        id_factory: IdFactory,
        max_active_calls: int = 1000,
        project_id: str = "",
    ) -> None:
        self._emit = emit
        self._id_factory = id_factory
        self.relay_protocol = ""

    def take_outgoing(self) -> list[Outgoing]:
        return []

    def handle_event(self, envelope: dict[str, Any], now: float) -> None:
        return None

    def prepare_call_command(
        self, call_id: str, command: CallCommand, control_id: str | None
    ) -> Outgoing | None:
        raise NotImplementedError

    def prepare_dial(
        self,
        *,
        tag: str,
        devices: list[Any],
        max_duration: int | None,
        dial_timeout: float,
        extra: dict[str, Any] | None,
        now: float,
    ) -> Outgoing:
        raise NotImplementedError

    def prepare_send_message(self, params: dict[str, Any]) -> Outgoing:
        raise NotImplementedError

    def request_succeeded(
        self, purpose: object, result: dict[str, Any], now: float
    ) -> tuple[dict[str, Any], bool]:
        return result, False

    def request_failed(
        self, purpose: object, code: int, message: str, now: float
    ) -> tuple[dict[str, Any], bool] | None:
        return None

    def request_timed_out(self, purpose: object, now: float) -> None:
        return None

    def session_ready(self, resumed: bool, now: float) -> None:
        return None

    def transport_lost(self, now: float) -> None:
        return None

    def closed(self, now: float) -> None:
        return None

    def next_deadline(self) -> float | None:
        return None

    def handle_timeout(self, now: float) -> None:
        return None

    def get_call(self, call_id: str) -> CallInfo | None:
        return None
