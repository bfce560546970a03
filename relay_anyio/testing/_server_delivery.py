"""Event delivery of the emulator's server: each session's mailbox onto its socket.

:class:`EventDelivery` is a base of :class:`~relay_anyio.testing._server.EmulatorServer` (see
"Delivery" in its module's theory of operation): it numbers the events (ids unique across every
connection), queues them in the session's mailbox (bounded: the oldest is dropped beyond
``_MAX_MAILBOX``), sends at most ``max_unacked`` of them ahead of their ACKs, applies the
reorder and duplicate faults, and remembers the replies the client owes beyond what the core
expects (duplicated events, fault frames).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio

from ._connections import ClientSocket, Credentials, Mailbox, Outbound
from ._faults import Faults
from ._switch import Switch

__all__ = ["EventDelivery"]

_MAX_MAILBOX = 10_000  # events waiting for a session without a socket; oldest dropped beyond
_MAX_EXPECTED_REPLIES = 10_000
_REORDER_HOLD = 0.2  # real seconds a lone event is held back by the reorder fault


class EventDelivery:
    """The delivery half of :class:`~relay_anyio.testing._server.EmulatorServer`."""

    # Set by EmulatorServer.__init__ (see there).
    switch: Switch
    faults: Faults
    credentials: Credentials
    max_unacked: int
    mailboxes: dict[str, Mailbox]
    _expected_replies: OrderedDict[str, int]
    _event_seq: int
    _epoch: float

    if TYPE_CHECKING:

        def pump(self) -> None: ...

    def outbound(self, event_type: str, params: dict[str, Any], t: float) -> Outbound:
        """A new event record with the next event id (unique across every connection)."""
        self._event_seq += 1
        return Outbound(f"evt-{self._event_seq}", event_type, params, t)

    def _enqueue(self, protocol: str, event_type: str, params: dict[str, Any], t: float) -> None:
        box = self.mailboxes.setdefault(protocol, Mailbox())
        box.queue.append(self.outbound(event_type, params, t))
        if len(box.queue) > _MAX_MAILBOX:
            dropped = box.queue.popleft()
            self.switch.log(
                "emulator", f"dropped {dropped.event_type} for {protocol}: mailbox full"
            )

    def _deliver(self, box: Mailbox) -> None:
        client = box.client
        if client is None or client.dead or not client.conn.is_open:
            return
        while box.queue and len(box.inflight) < self.max_unacked:
            out = box.queue.popleft()
            if not self.faults.reordering:
                self._send_event(client, box, out)
            elif box.held is None:
                box.held = out
                if client.tg is not None:
                    client.tg.start_soon(self._release_held, box, out)
            else:
                held, box.held = box.held, None
                self._send_event(client, box, out)
                self._send_event(client, box, held)

    async def _release_held(self, box: Mailbox, out: Outbound) -> None:
        await anyio.sleep(_REORDER_HOLD)
        if box.held is out and box.client is not None and not box.client.dead:
            box.held = None
            self._send_event(box.client, box, out)
            self.pump()

    def _send_event(self, client: ClientSocket, box: Mailbox, out: Outbound) -> None:
        session = client.session
        envelope: Mapping[str, Any] = {
            "event_channel": session.protocol if session else "",
            "timestamp": round(self._epoch + out.t, 6),
            "project_id": self.credentials.project or "emulator-project",
            "space_id": "emulator-space",
        }
        copies = 2 if self.faults.duplicating else 1
        for _ in range(copies):
            client.conn.send_event(
                out.event_type, out.params, event_id=out.event_id, envelope=envelope
            )
        if copies > 1:
            self.expect_reply(out.event_id)
        out.sent_at = anyio.current_time()
        box.inflight[out.event_id] = out

    def expect_reply(self, request_id: str) -> None:
        """The client will answer ``request_id`` once more than the core expects (a duplicated
        event, a fault frame): that reply is no violation."""
        self._expected_replies[request_id] = self._expected_replies.get(request_id, 0) + 1
        # Bounded: a client that never answers must not make this grow forever.
        while len(self._expected_replies) > _MAX_EXPECTED_REPLIES:
            self._expected_replies.popitem(last=False)
