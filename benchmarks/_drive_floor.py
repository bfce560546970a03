"""The wsproto floor: the B1 bytes through the least work any wsproto-based client must do.

Per event: wsproto parses the frame, ``json.loads`` the text, the ACK is encoded (the cheapest
correct way: a constant around the C string encoder) and goes out through wsproto. Besides
that, only what the conversation needs: authenticate, answer the one call, notice its end. No
routing, no typed events, no state. A client built on wsproto cannot spend less per event,
which makes this the yardstick for "close to the floor".
"""

from __future__ import annotations

import json
import socket
from json.encoder import encode_basestring
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage

from ._drive_async import CONTEXT, PROJECT, TOKEN
from ._measure import Window

__all__ = ["run_floor"]

_READ_SIZE = 65536


class _Floor:
    """A socket, a wsproto connection, and nothing else."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.sock.sendall(self.ws.send(Request(host=f"127.0.0.1:{port}", target="/")))
        opened = False
        while not opened:
            self.ws.receive_data(self.sock.recv(_READ_SIZE))
            opened = any(isinstance(event, AcceptConnection) for event in self.ws.events())
        self._serial = 0
        self._partial = ""  # a message split across reads arrives from wsproto in pieces

    def request(self, method: str, params: dict[str, Any]) -> None:
        self._serial += 1
        frame = {"jsonrpc": "2.0", "id": f"req-{self._serial}", "method": method, "params": params}
        self.sock.sendall(self.ws.send(TextMessage(data=json.dumps(frame))))

    def step(self) -> bool:
        """Read once, ACK every event; ``True`` once the call has ended."""
        data = self.sock.recv(_READ_SIZE)
        if not data:
            raise ConnectionError("server closed the connection")
        self.ws.receive_data(data)
        ended = False
        out = []
        for event in self.ws.events():
            if not isinstance(event, TextMessage):
                continue
            if not event.message_finished:
                self._partial += event.data
                continue
            frame = json.loads(self._partial + event.data if self._partial else event.data)
            self._partial = ""
            if frame.get("method") != "signalwire.event":
                continue  # replies: connect, bench.start, answer
            ack = '{"jsonrpc":"2.0","id":' + encode_basestring(frame["id"]) + ',"result":{}}'
            out.append(self.ws.send(TextMessage(data=ack)))
            envelope = frame["params"]
            event_type = envelope["event_type"]
            if event_type == "calling.call.receive":
                call = envelope["params"]
                self.sock.sendall(b"".join(out))
                out.clear()
                params = {"node_id": call["node_id"], "call_id": call["call_id"]}
                self.request("calling.answer", params)
            elif event_type == "calling.call.state":
                ended = envelope["params"]["call_state"] == "ended"
        if out:
            self.sock.sendall(b"".join(out))
        return ended


def run_floor(workload: str, port: int, size: int) -> dict[str, Any]:
    """Run B1 (the only workload the floor is defined for) with bare wsproto.

    Raises:
        ValueError: another workload.
    """
    if workload != "B1":
        raise ValueError("the wsproto floor is defined for B1 only")
    floor = _Floor(port)
    auth = {"project": PROJECT, "token": TOKEN}
    version = {"major": 2, "minor": 0, "revision": 0}
    floor.request(
        "signalwire.connect",
        {"version": version, "agent": "floor", "event_acks": True, "authentication": auth,
         "contexts": [CONTEXT]},
    )  # fmt: skip
    window = Window()
    window.start()
    floor.request("bench.start", {})
    while not floor.step():
        pass
    window.stop()
    floor.sock.close()
    return {**window.result, "events": size, "errors": []}
