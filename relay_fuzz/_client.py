"""Client mode: fuzz a RELAY server by connecting to it.

Each example is one connection: the WebSocket handshake, ``signalwire.connect``, then a
*program* drawn by Hypothesis from :mod:`relay_proto.strategies`: valid requests of every
method (naming the calls, actions, dials and messages the server told us about), near-valid
and malformed frames, each followed by the answer the protocol documents. Events and pings
from the server are ACKed as they arrive. A program ends with a ``signalwire.ping`` round trip
(the server must still be there).

What is a finding:

* **violation**: the server answered wrongly: a malformed reply or server request, an answer
  with the wrong code or id, a second reply, a reply to a frame that must get none, invalid
  UTF-8 accepted;
* **crash**: the server closed the connection (or the socket died) when it should not have;
* **hang**: a request got no reply within ``hang_timeout`` seconds.

Hypothesis shrinks a failing program to a minimal one; it is saved as JSON (see
:func:`save_program`) and replayed with ``relay-fuzz --replay FILE``.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from relay_proto import _grammar as g
from relay_proto import strategies as rs

from ._link import Endpoint, Link, LinkClosed, LinkTimeout

__all__ = ["Finding", "Settings", "Stats", "execute", "load_program", "programs", "save_program"]

# Placeholders the program names ids with; resolved when the frame is sent.
PLACEHOLDERS = rs.Pools(
    call_ids=("$call",),
    node_ids=("$node",),
    control_ids=("$control",),
    tags=("$tag",),
    message_ids=("$message",),
    request_ids=("$request",),
    new_control_ids=("$new_control",),
    new_tags=("$new_tag",),
)
_METHODS = tuple(m for m in g.REQUESTS if m != "signalwire.connect")


class Finding(Exception):
    """Something the server got wrong: ``kind`` is ``violation``, ``crash`` or ``hang``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass
class Settings:
    """How to reach the server and what to expect of it."""

    endpoint: Endpoint
    project: str = "p-1"
    token: str = "PT-1"
    contexts: tuple[str, ...] = ("office",)
    hang_timeout: float = 5.0
    max_message_size: int = 10 * 1024 * 1024


@dataclass
class Stats:
    """What a run did (for the report)."""

    examples: int = 0
    connections: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    malformed: Counter[str] = field(default_factory=Counter)
    replies: int = 0
    events_acked: int = 0
    server_pings: int = 0


# --------------------------------------------------------------------------- programs


def _malformed_step(bad: rs.Malformed) -> dict[str, Any]:
    return {
        "op": "malformed",
        "kind": bad.kind,
        "payload": base64.b64encode(bad.payload).decode(),
        "binary": bad.binary,
        "expect": bad.expect,
        "code": bad.code,
        "id": bad.request_id,
    }


def programs(limit: int = 10 * 1024 * 1024, max_steps: int = 8) -> st.SearchStrategy[Any]:
    """Programs: lists of steps, each a valid request or a malformed frame (JSON-ready)."""
    request = rs.requests(_METHODS, PLACEHOLDERS).map(lambda f: {"op": "request", "frame": f})
    malformed = rs.malformed_frames("server", limit=limit).map(_malformed_step)
    return st.lists(st.one_of(request, request, malformed), min_size=1, max_size=max_steps)


def save_program(
    path: str, settings: Settings, steps: list[Any], finding: Finding, mode: str = "client"
) -> None:
    """Write a finding and the program that reproduces it (replay with ``--replay``)."""
    document = {
        "relay_fuzz": 1,
        "mode": mode,
        "finding": {"kind": finding.kind, "detail": finding.detail},
        "steps": steps,
        "contexts": list(settings.contexts),
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
        out.write("\n")


def load_program(path: str) -> tuple[list[Any], dict[str, Any]]:
    """The steps of a saved program, and its whole document."""
    with open(path, encoding="utf-8") as source:
        document = json.load(source)
    if document.get("relay_fuzz") != 1 or not isinstance(document.get("steps"), list):
        raise ValueError(f"{path} is not a relay-fuzz program")
    return document["steps"], document


# --------------------------------------------------------------------------- execution


class _Run:
    """One connection playing one program against the server."""

    def __init__(self, settings: Settings, stats: Stats) -> None:
        self.settings, self.stats = settings, stats
        self.link: Link | None = None
        self.count = 0
        self.calls: dict[str, str] = {}  # live call id -> node id, learned from events
        self.learned: dict[str, str] = {}  # "$control" / "$tag" / "$message" -> last id
        self.sent_ids: set[str] = set()

    # ---------------------------------------------------------------- ids
    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"fz-{prefix}-{self.count}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str) or not value.startswith("$"):
            return value
        call_id = next(reversed(self.calls), "call-none") if self.calls else "call-none"
        if value == "$call":
            return call_id
        if value == "$node":
            return self.calls.get(call_id, "node-none")
        if value in ("$new_control", "$new_tag"):
            new = self.fresh(value[5:])
            self.learned[value.replace("new_", "")] = new
            return new
        return self.learned.get(value, value[1:] + "-none")

    # ---------------------------------------------------------------- wire
    def send_request(self, method: str, params: dict[str, Any]) -> Any:
        request_id = self.fresh("req")
        self.sent_ids.add(request_id)
        frame = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        assert self.link is not None
        self.link.send_text(rs.encode(frame))
        self.stats.requests[method] += 1
        return self.wait_reply(request_id, what=method)

    def wait_reply(self, request_id: Any, what: str) -> dict[str, Any]:
        while True:
            frame = self.next_frame(f"the reply to {what} ({request_id})")
            if "method" in frame:
                continue
            if frame.get("id") == request_id:
                return frame
            if frame.get("id") is None and "error" in frame:
                continue  # an error about a frame whose id could not be read: allowed
            raise Finding(
                "violation",
                f"a reply to {frame.get('id')!r} while waiting for "
                f"{request_id!r}: {rs.encode(frame)[:300]}",
            )

    def next_frame(self, waiting_for: str) -> dict[str, Any]:
        """The next frame from the server, checked; server requests are ACKed here."""
        assert self.link is not None
        text = _receive_text(self.link, self.settings.hang_timeout, "server", waiting_for)
        frame = _check_frame(text)
        if "method" in frame:
            self.on_server_request(frame)
        else:
            self.stats.replies += 1
        return frame

    def on_server_request(self, frame: dict[str, Any]) -> None:
        assert self.link is not None
        method = frame["method"]
        if method == "signalwire.event":
            self.learn(frame["params"])
            self.stats.events_acked += 1
        elif method == "signalwire.ping":
            self.stats.server_pings += 1
        self.link.send_text(rs.encode({"jsonrpc": "2.0", "id": frame["id"], "result": {}}))

    def learn(self, envelope: dict[str, Any]) -> None:
        params = envelope.get("params")
        if not isinstance(params, dict):
            raise Finding("violation", f"an event whose params is not an object: {envelope!r}")
        kind = envelope.get("event_type")
        call = params.get("call") if kind == "calling.call.dial" else params
        if isinstance(call, dict) and isinstance(call.get("call_id"), str):
            if params.get("call_state") == "ended":
                self.calls.pop(call["call_id"], None)
            else:
                self.calls[call["call_id"]] = str(call.get("node_id", ""))

    # ---------------------------------------------------------------- program
    def open(self) -> None:
        try:
            self.link = Link.connect(self.settings.endpoint, self.settings.hang_timeout)
        except (OSError, LinkTimeout, LinkClosed) as exc:
            raise Finding("crash", f"cannot connect: {exc}") from exc
        self.stats.connections += 1
        params: dict[str, Any] = {
            "version": {"major": 2, "minor": 0, "revision": 0},
            "agent": "relay-fuzz/1.0",
            "event_acks": True,
            "authentication": {"project": self.settings.project, "token": self.settings.token},
            "contexts": list(self.settings.contexts),
        }
        reply = self.send_request("signalwire.connect", params)
        if "error" in reply:
            raise CredentialsRejected(f"signalwire.connect failed: {reply['error']!r}")
        if not isinstance(reply["result"].get("protocol"), str):
            raise Finding("violation", f"connect result without a protocol: {reply!r}")

    def step(self, step: dict[str, Any]) -> bool:
        """Run one step; ``False`` when the connection is (rightly) gone."""
        if step["op"] == "request":
            frame = self.resolve(step["frame"])
            reply = self.send_request(frame["method"], frame["params"])
            result = reply.get("result")
            if isinstance(result, dict) and isinstance(result.get("message_id"), str):
                self.learned["$message"] = result["message_id"]
            return True
        return self.malformed(step)

    def malformed(self, step: dict[str, Any]) -> bool:
        assert self.link is not None
        payload = base64.b64decode(step["payload"])
        expect, request_id = step["expect"], step.get("id")
        self.stats.malformed[step["kind"]] += 1
        if request_id is not None and expect in ("error", "answer"):
            frame = json.loads(payload)
            request_id = frame["id"] = self.fresh("bad")
            payload = json.dumps(frame).encode()
        self.link.send_raw(payload, binary=step.get("binary", False))
        what = f"{step['kind']} frame"
        if expect == "close":
            return self.expect_close(what)
        if expect in ("error", "answer"):
            reply = self.wait_reply(request_id, what)
            code = reply.get("error", {}).get("code") if "error" in reply else None
            if expect == "error" and code != step["code"]:
                raise Finding(
                    "violation",
                    f"{what} answered {rs.encode(reply)[:300]}, not with error {step['code']}",
                )
        return True

    def expect_close(self, what: str) -> bool:
        assert self.link is not None
        return expect_close(self.link, self.settings.hang_timeout, what)

    def probe(self) -> None:
        """The server still answers (and answered nothing it should not have)."""
        self.send_request("signalwire.ping", {})


def expect_close(link: Link, hang_timeout: float, what: str) -> bool:
    """Read until the peer closes the connection, which it must do for ``what`` (a frame that
    breaks the protocol) with code 1007 or none; returns ``False`` (the link is gone).

    Raises:
        Finding: ``violation`` if the peer closed with another code, or kept the connection
            open for ``hang_timeout`` seconds.
    """
    try:
        while True:
            link.receive(hang_timeout)
    except LinkClosed as exc:
        if exc.code not in (1007, None):
            raise Finding("violation", f"{what}: closed with {exc.code}, not 1007") from exc
        return False
    except LinkTimeout as exc:
        raise Finding("violation", f"{what} was accepted: the connection stays open") from exc


def _receive_text(link: Link, hang_timeout: float, peer: str, waiting_for: str) -> str:
    """The next message from ``peer`` (``"server"``/``"client"``).

    Raises:
        Finding: ``hang`` if nothing came within ``hang_timeout``, ``crash`` if ``peer`` closed.
    """
    try:
        return link.receive(hang_timeout)
    except LinkTimeout as exc:
        raise Finding("hang", f"no {waiting_for} within {hang_timeout:g} s") from exc
    except LinkClosed as exc:
        raise Finding(
            "crash",
            f"the {peer} closed the connection ({exc}) while we waited for {waiting_for}",
        ) from exc


def _json_rpc_object(text: str, peer: str) -> dict[str, Any]:
    """``text`` parsed as a JSON-RPC 2.0 object.

    Raises:
        Finding: ``violation`` if ``text`` is not JSON or not a JSON-RPC 2.0 object.
    """
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Finding("violation", f"the {peer} sent invalid JSON: {text[:300]!r}") from exc
    if not isinstance(frame, dict) or frame.get("jsonrpc") != "2.0":
        raise Finding("violation", f"not a JSON-RPC 2.0 object: {text[:300]!r}")
    return frame


class CredentialsRejected(Exception):
    """``signalwire.connect`` was refused: nothing to fuzz."""


def _check_frame(text: str) -> dict[str, Any]:
    """A frame from the server, checked against JSON-RPC 2.0 and RELAY's shapes."""
    frame = _json_rpc_object(text, "server")
    if "method" in frame:
        if not isinstance(frame["method"], str) or not isinstance(frame.get("id"), str):
            raise Finding(
                "violation", f"a server request without method or string id: {text[:300]!r}"
            )
        if not isinstance(frame.get("params", {}), dict):
            raise Finding(
                "violation", f"a server request whose params is not an object: {text[:300]!r}"
            )
        if frame["method"] == "signalwire.event":
            envelope = frame.get("params", {})
            if not isinstance(envelope.get("event_type"), str):
                raise Finding("violation", f"an event without event_type: {text[:300]!r}")
        return frame
    if "id" not in frame or ("result" in frame) == ("error" in frame):
        raise Finding("violation", f"a reply needs an id and one of result/error: {text[:300]!r}")
    if "error" in frame:
        error = frame["error"]
        if not isinstance(error, dict) or type(error.get("code")) is not int:
            raise Finding("violation", f"an error object without an integer code: {text[:300]!r}")
        if not isinstance(error.get("message"), str):
            raise Finding("violation", f"an error object without a message: {text[:300]!r}")
    elif not isinstance(frame["result"], dict):
        raise Finding("violation", f"a RELAY result that is not an object: {text[:300]!r}")
    return frame


def execute(settings: Settings, steps: list[Any], stats: Stats | None = None) -> None:
    """Play one program on a new connection. Raises :class:`Finding`."""
    run = _Run(settings, stats or Stats())
    run.open()
    try:
        for step in steps:
            if not run.step(step):
                return
        run.probe()
    except LinkClosed as exc:  # while sending
        raise Finding("crash", f"the server closed the connection ({exc})") from exc
    finally:
        if run.link is not None:
            run.link.close()
