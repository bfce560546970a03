"""Message: an SMS/MMS, inbound (``on_message``) or outbound (``send_message``).

An outbound message is tracked by its ``message_id`` until it reaches a terminal state
(``delivered``, ``undelivered`` or ``failed``); the core decides which states are terminal and
reports each ``messaging.state`` as ``MessageStateChanged``. Listeners run like call listeners:
a plain function inline (exceptions logged), an ``async def`` in its own task, never on the
task that reads the socket (decision D23; the official SDK awaits them in its receive loop).

This module is a source for relay_sync (see ``_primitives``): no anyio/asyncio/trio here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relay_proto import RelayEvent

from ._primitives import Spawner, Waiter, run_callback

__all__ = ["Message"]

MessageHandler = Callable[[RelayEvent], Any]


class Message:
    """An SMS/MMS message.

    Attributes:
        message_id: the server's id (``""`` when the server gave none).
        context: the context the message belongs to.
        direction: ``"inbound"`` or ``"outbound"``.
        from_number, to_number: E.164 numbers.
        body: the text.
        media: media URLs (MMS).
        segments: number of SMS segments.
        state: ``queued``, ``initiated``, ``sent``, ``delivered``, ``undelivered``,
            ``failed`` (outbound) or ``received`` (inbound); kept current by state events.
        reason: why delivery failed, when the server says.
        tags: labels attached to the message.
    """

    def __init__(
        self,
        *,
        message_id: str = "",
        context: str = "",
        direction: str = "",
        from_number: str = "",
        to_number: str = "",
        body: str = "",
        media: list[str] | None = None,
        segments: int = 0,
        state: str = "",
        reason: str = "",
        tags: list[str] | None = None,
    ) -> None:
        self.message_id = message_id
        self.context = context
        self.direction = direction
        self.from_number = from_number
        self.to_number = to_number
        self.body = body
        self.media: list[str] = list(media) if media else []
        self.segments = segments
        self.state = state
        self.reason = reason
        self.tags: list[str] = list(tags) if tags else []
        self._done: Waiter[RelayEvent] = Waiter()
        self._listeners: list[MessageHandler] = []
        self._on_completed: MessageHandler | None = None
        # Set by the client that tracks the message; runs async callbacks in its task group.
        self._spawn: Spawner | None = None

    def __repr__(self) -> str:
        return (
            f"Message(id={self.message_id!r}, direction={self.direction!r}, "
            f"state={self.state!r}, from={self.from_number!r}, to={self.to_number!r})"
        )

    @property
    def is_done(self) -> bool:
        """Whether the message reached a terminal state."""
        return self._done.is_set()

    @property
    def result(self) -> RelayEvent | None:
        """The terminal state event, or ``None`` before."""
        return self._done.value

    def on(self, handler: MessageHandler) -> None:
        """Call ``handler(event)`` for every state event of this message.

        ``handler`` may be a plain function (run at once, exceptions logged) or an
        ``async def`` (run in its own task).
        """
        self._listeners.append(handler)

    async def wait(self, timeout: float | None = None) -> RelayEvent:
        """Wait until the message reaches a terminal state.

        Args:
            timeout: seconds to wait at most; ``None`` waits for ever.

        Returns:
            The terminal ``messaging.state`` event (a plain :class:`RelayEvent`).

        Raises:
            TimeoutError: ``timeout`` elapsed first; a later ``wait()`` still works.
        """
        return await self._done.wait(timeout)

    # ---------------------------------------------------------------- driven by the client

    def _dispatch(self, event: RelayEvent, state: str, reason: str, terminal: bool) -> None:
        """Apply one state event (state and reason as the core tracks them), run the
        listeners, then complete on a terminal state."""
        self.state = state
        self.reason = reason
        for handler in list(self._listeners):
            run_callback(self._spawn, handler, event, f"listener of {self!r}")
        if terminal and not self._done.is_set():
            self._done.set(event)
            callback = self._on_completed
            self._on_completed = None
            if callback is not None:
                run_callback(self._spawn, callback, event, f"on_completed of {self!r}")
