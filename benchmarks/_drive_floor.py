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


def run_floor(workload: str, port: int, size: int) -> dict[str, Any]:
    """Run B1 (the only workload the floor is defined for) with bare wsproto.

    Raises:
        ValueError: another workload.
    """
    if workload != "B1":
        raise ValueError("the wsproto floor is defined for B1 only")
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ws = WSConnection(ConnectionType.CLIENT)
    sock.sendall(ws.send(Request(host=f"127.0.0.1:{port}", target="/")))
    opened = False
    while not opened:
        ws.receive_data(sock.recv(_READ_SIZE))
        opened = any(isinstance(event, AcceptConnection) for event in ws.events())

    serial = 0

    def request(method: str, params: dict[str, Any]) -> None:
        nonlocal serial
        serial += 1
        frame = {"jsonrpc": "2.0", "id": f"req-{serial}", "method": method, "params": params}
        sock.sendall(ws.send(TextMessage(data=json.dumps(frame))))

    auth = {"project": PROJECT, "token": TOKEN}
    request(
        "signalwire.connect",
        {
            "version": {"major": 2, "minor": 0, "revision": 0},
            "agent": "floor",
            "event_acks": True,
            "authentication": auth,
            "contexts": [CONTEXT],
        },
    )
    window = Window()
    window.start()
    request("bench.start", {})
    ended = False
    partial = ""  # a message split across reads arrives from wsproto in pieces
    while not ended:
        data = sock.recv(_READ_SIZE)
        if not data:
            raise ConnectionError("server closed the connection")
        ws.receive_data(data)
        out = []
        for event in ws.events():
            if not isinstance(event, TextMessage):
                continue
            if not event.message_finished:
                partial += event.data
                continue
            frame = json.loads(partial + event.data if partial else event.data)
            partial = ""
            if frame.get("method") != "signalwire.event":
                continue  # replies: connect, bench.start, answer
            ack = '{"jsonrpc":"2.0","id":' + encode_basestring(frame["id"]) + ',"result":{}}'
            out.append(ws.send(TextMessage(data=ack)))
            envelope = frame["params"]
            event_type = envelope["event_type"]
            if event_type == "calling.call.receive":
                call = envelope["params"]
                sock.sendall(b"".join(out))
                out.clear()
                request("calling.answer", {"node_id": call["node_id"], "call_id": call["call_id"]})
            elif event_type == "calling.call.state":
                ended = envelope["params"]["call_state"] == "ended"
        if out:
            sock.sendall(b"".join(out))
    window.stop()
    sock.close()
    return {**window.result, "events": size, "errors": []}
