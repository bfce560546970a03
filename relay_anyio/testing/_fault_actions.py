"""The faults that act at once, carried out on the emulator's server (``FaultTarget``).

Kept apart from ``_server`` (which only consults the fault switches on each frame): cutting
sockets, malformed frames, server disconnects, half-open links, closing the port for a while and
restarting with every state lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from ._connections import ClientSocket
from ._faults import EVENT_KINDS, malformed_text

if TYPE_CHECKING:
    from ._server import EmulatorServer

__all__ = ["FaultActions"]


class FaultActions:
    """Implements :class:`~._faults.FaultTarget` for an :class:`~._server.EmulatorServer`."""

    def __init__(self, server: EmulatorServer) -> None:
        self._server = server
        self._fault_seq = 0
        self._window = 0  # generation of refuse_connections windows

    # ------------------------------------------------------------------ sockets
    def drop_all_now(self) -> int:
        """Abruptly close every socket."""
        server = self._server
        victims = server.live_sockets()
        for client in victims:
            server.log_conn(client, "dropping the socket (fault)")
            server.release(client)
            client.kill("now")
        server.pump()
        return len(victims)

    def freeze_all(self) -> int:
        """Half-open every connection: nothing sent, nothing processed, socket left open."""
        server = self._server
        victims = [c for c in server.live_sockets() if not c.frozen]
        for client in victims:
            server.log_conn(client, "connection half-open: the server went silent (fault)")
            client.frozen = True
        server.pump()
        return len(victims)

    def send_malformed(self, kind: str, conn: int | None) -> int:
        """Send one malformed frame of ``kind`` to the chosen open connections."""
        server = self._server
        targets = [
            c
            for c in server.live_sockets()
            if c.conn.is_open and not c.frozen and (conn is None or c.number == conn)
        ]
        for client in targets:
            self._fault_seq += 1
            fault_id = f"fault-{self._fault_seq}"
            server.log_conn(client, f"sending a malformed frame: {kind} (fault)")
            if kind in EVENT_KINDS:
                event_type, params = EVENT_KINDS[kind]
                client.conn.send_event(event_type, params, event_id=fault_id)
            else:
                server.expect_reply(fault_id)
                client.conn.send_raw_text(malformed_text(kind, fault_id))
        server.pump()
        return len(targets)

    # ------------------------------------------------------------------ per request
    def cut_before_reply(self, client: ClientSocket, method: str) -> bool:
        """After ``method`` was carried out: cut the socket instead of replying?"""
        faults = self._server.faults
        if faults.dial_drop_before_reply and self._dial_drop(client, method):
            self._server.log_conn(client, "dropping the socket mid-dial, before the reply (fault)")
            client.kill("now")
            return True
        return False

    def after_reply(self, client: ClientSocket, method: str) -> None:
        """After the reply to ``method`` was queued: the storm and mid-dial faults."""
        faults = self._server.faults
        if not faults.dial_drop_before_reply and self._dial_drop(client, method):
            self._server.log_conn(client, "dropping the socket mid-dial, after the reply (fault)")
            client.kill("flush")
        elif method == "signalwire.connect" and faults.storm_left > 0 and not client.dead:
            if client.session is None:  # the connect failed: nothing to disconnect
                return
            faults.storm_left -= 1
            self.disconnect_one(client, faults.storm_restart)

    def _dial_drop(self, client: ClientSocket, method: str) -> bool:
        faults = self._server.faults
        if method not in ("calling.dial", "calling.begin") or not faults.dial_drops or client.dead:
            return False
        faults.dial_drops -= 1
        return True

    # ------------------------------------------------------------------ disconnects
    def server_disconnect(self, restart: bool, storm: bool = False) -> int:
        """``signalwire.disconnect`` to every authenticated client (``storm``: counts against
        the storm's remaining disconnects)."""
        server = self._server
        targets = [c for c in server.live_sockets() if c.session is not None and not c.frozen]
        for client in targets:
            self.disconnect_one(client, restart)
        if restart:
            server.switch.forget_sessions()
        if storm:
            server.faults.storm_left = max(0, server.faults.storm_left - len(targets))
        server.pump()
        return len(targets)

    def disconnect_one(self, client: ClientSocket, restart: bool) -> None:
        """``signalwire.disconnect`` to one client; it is closed once it ACKs (or anyway
        after the ACK timeout). With ``restart`` every session is forgotten."""
        server = self._server
        client.disconnect_ids.add(client.conn.send_disconnect(restart=restart))
        server.log_conn(client, f"sent signalwire.disconnect (restart={restart})")
        if client.tg is not None:
            client.tg.start_soon(self._disconnect_grace, client)
        if restart:
            server.switch.forget_sessions()

    async def _disconnect_grace(self, client: ClientSocket) -> None:
        # A client that does not ACK the disconnect within the ACK timeout is closed anyway.
        server = self._server
        await anyio.sleep(server.ack_timeout)
        if not client.dead:
            server.log_conn(client, "no ACK for signalwire.disconnect: closing anyway")
            client.conn.close(1012, "service restart")
            client.closing = True
            server.pump()

    # ------------------------------------------------------------------ the port
    async def stop_listening(self, reopen_after: float | None) -> None:
        """Close the port; reopen it after ``reopen_after`` real seconds (``None``: never)."""
        server = self._server
        self._window += 1
        await server.close_listener()
        server.switch.log("emulator", f"refusing connections on port {server.port} (fault)")
        server.pump()
        if reopen_after is not None:
            window = self._window

            async def reopen() -> None:
                await anyio.sleep(reopen_after)
                if window == self._window:  # not ended nor replaced by a later call meanwhile
                    await self.start_listening()

            server.spawn(reopen)

    async def start_listening(self) -> None:
        """Listen again on the same port."""
        server = self._server
        self._window += 1
        if server.listening:
            return
        await server.open_listener()
        server.switch.log("emulator", f"accepting connections on port {server.port} again")
        server.pump()

    async def restart(self, downtime: float) -> None:
        """Close the port, cut every socket, lose all state, listen again after ``downtime``."""
        server = self._server
        self._window += 1
        await server.close_listener()
        server.switch.log("emulator", "restarting: every connection and all state lost (fault)")
        self.drop_all_now()
        server.forget_everything()
        if downtime:
            await anyio.sleep(downtime)
        await self.start_listening()
