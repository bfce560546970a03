"""Serve mode: fuzz a RELAY *client* by being its server (``relay-fuzz --serve ws://...``).

Each example waits for the client to connect (a RELAY client reconnects by itself), answers its
``signalwire.connect``, then plays a program drawn from :mod:`relay_proto.strategies`: events of
every type (an inbound call first, so a handler has something to work on), pings, and near-valid
and malformed server frames, each checked against the answer the protocol documents (an event
or ping is ACKed with ``{}`` exactly once; a malformed request gets its JSON-RPC error; what
must be ignored gets nothing; text that is not UTF-8 makes the client close with 1007). The
client's own requests are answered with success results and must be well-formed. A
``signalwire.ping`` round trip ends the program; the server then closes the connection (1012,
"service restart") and the client reconnects for the next example.
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

from hypothesis import strategies as st

from relay_proto import _grammar as g
from relay_proto import strategies as rs

from ._client import (
    Finding,
    Settings,
    Stats,
    _json_rpc_object,
    _malformed_step,
    _receive_text,
    expect_close,
)
from ._link import Link, LinkClosed, LinkTimeout

__all__ = ["Listener", "serve_execute", "serve_programs"]

_CALL = {"call_id": "fz-call-1", "node_id": "fz-node-1"}
_POOLS = rs.Pools(call_ids=("fz-call-1",), node_ids=("fz-node-1",), control_ids=("fz-ctl-1",))


def serve_programs(max_steps: int = 8) -> st.SearchStrategy[Any]:
    """Programs for serve mode: events, pings and malformed frames for a client."""
    event = rs.events(pools=_POOLS).map(lambda f: {"op": "event", "frame": f})
    ping = st.just({"op": "ping"})
    malformed = rs.malformed_frames("client", limit=64 * 1024).map(_malformed_step)
    return st.lists(st.one_of(event, event, ping, malformed), min_size=1, max_size=max_steps)


class Listener:
    """The listening socket; :meth:`accept` gives the next client's link."""

    def __init__(self, settings: Settings, accept_timeout: float) -> None:
        self.settings = settings
        self.accept_timeout = accept_timeout
        endpoint = settings.endpoint
        self.sock = socket.create_server((endpoint.host, endpoint.port))

    def accept(self) -> Link:
        """Wait up to ``accept_timeout`` seconds for the client to connect.

        Raises:
            Finding: ``hang`` if it did not (re)connect in time.
        """
        try:
            return Link.accept(self.sock, self.accept_timeout)
        except (OSError, LinkTimeout, LinkClosed) as exc:
            raise Finding(
                "hang", f"the client did not (re)connect within {self.accept_timeout:g} s: {exc}"
            ) from exc

    def close(self) -> None:
        """Stop listening (links already accepted stay open)."""
        self.sock.close()


class _Served:
    def __init__(self, link: Link, settings: Settings, stats: Stats) -> None:
        self.link, self.settings, self.stats = link, settings, stats
        self.count = 0

    def frame(self, waiting_for: str) -> dict[str, Any]:
        text = _receive_text(self.link, self.settings.hang_timeout, "client", waiting_for)
        return _json_rpc_object(text, "client")

    def reply_to(self, request_id: Any, what: str) -> dict[str, Any]:
        """Wait for the client's reply to ``request_id``, answering its own requests meanwhile."""
        while True:
            frame = self.frame(f"the client's reply to {what}")
            if "method" in frame:
                self.answer(frame)
                continue
            if frame.get("id") == request_id:
                return frame
            if frame.get("id") is None and "error" in frame:
                continue
            raise Finding(
                "violation",
                f"a reply to {frame.get('id')!r} while waiting for "
                f"{request_id!r}: {json.dumps(frame)[:300]}",
            )

    def answer(self, frame: dict[str, Any]) -> None:
        method, params = frame.get("method"), frame.get("params", {})
        if not isinstance(method, str) or "id" not in frame or not isinstance(params, dict):
            raise Finding("violation", f"a malformed request from the client: {frame!r}")
        self.stats.requests[method] += 1
        if method == "signalwire.connect":
            result: dict[str, Any] = {
                "protocol": "signalwire_fz_1",
                "identity": "fz",
                "session_restored": False,
            }
        else:
            result = g.result_for(method, params)
        self.send({"jsonrpc": "2.0", "id": frame["id"], "result": result})

    def send(self, frame: dict[str, Any]) -> None:
        self.link.send_text(json.dumps(frame))

    def request(self, method: str, params: dict[str, Any], what: str) -> None:
        self.count += 1
        request_id = f"fz-srv-{self.count}"
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        reply = self.reply_to(request_id, what)
        if reply.get("result") != {}:
            raise Finding("violation", f"{what} answered {json.dumps(reply)[:300]}, not {{}}")

    def step(self, step: dict[str, Any]) -> bool:
        if step["op"] == "event":
            envelope = step["frame"]["params"]
            self.stats.events_acked += 1
            self.request("signalwire.event", envelope, f"event {envelope['event_type']}")
            return True
        if step["op"] == "ping":
            self.request("signalwire.ping", {}, "signalwire.ping")
            return True
        return self.malformed(step)

    def malformed(self, step: dict[str, Any]) -> bool:
        payload = base64.b64decode(step["payload"])
        expect, request_id = step["expect"], step.get("id")
        self.stats.malformed[step["kind"]] += 1
        if request_id is not None and expect in ("error", "ack"):
            frame = json.loads(payload)
            self.count += 1
            request_id = frame["id"] = f"fz-bad-{self.count}"
            payload = json.dumps(frame).encode()
        self.link.send_raw(payload, binary=step.get("binary", False))
        what = f"{step['kind']} frame"
        if expect == "close":
            return expect_close(self.link, self.settings.hang_timeout, what)
        if expect in ("error", "ack"):
            reply = self.reply_to(request_id, what)
            code = reply["error"].get("code") if isinstance(reply.get("error"), dict) else None
            if expect == "error" and code != step["code"]:
                raise Finding(
                    "violation",
                    f"{what} answered {json.dumps(reply)[:300]}, not with error {step['code']}",
                )
            if expect == "ack" and reply.get("result") != {}:
                raise Finding("violation", f"{what} answered {json.dumps(reply)[:300]}, not ACKed")
        return True


def serve_execute(listener: Listener, steps: list[Any], stats: Stats | None = None) -> None:
    """Play one program on the client's next connection. Raises :class:`Finding`."""
    stats = stats or Stats()
    link = listener.accept()
    stats.connections += 1
    served = _Served(link, listener.settings, stats)
    try:
        first = served.frame("signalwire.connect")
        if first.get("method") != "signalwire.connect":
            raise Finding("violation", f"the first frame is not signalwire.connect: {first!r}")
        served.answer(first)
        receive = {
            **_CALL,
            "call_state": "created",
            "direction": "inbound",
            "context": "office",
            "device": {
                "type": "phone",
                "params": {"from_number": "+15551230001", "to_number": "+15551230002"},
            },
        }
        served.request(
            "signalwire.event",
            {"event_type": "calling.call.receive", "params": receive},
            "calling.call.receive",
        )
        for step in steps:
            if not served.step(step):
                return
        served.request("signalwire.ping", {}, "the final signalwire.ping")
    except LinkClosed as exc:
        raise Finding("crash", f"the client closed the connection ({exc})") from exc
    finally:
        try:
            link.transport.close(1012, "service restart")
            link.close()
        except (LinkClosed, OSError):
            link.sock.close()
