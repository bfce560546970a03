"""What the benchmark server says in each workload: pre-serialised frames and reply templates.

Every frame the server sends is built here as wire bytes. Frames that do not depend on the
client (the B1 flood, the B2 inbound calls) are built once, before the client process starts;
replies need the client's request id (and B2's the call and control ids), so they are one
``bytes % (...)`` of a template and one frame header. Every client gets byte-identical frames
(request ids excepted), so the only thing that varies between runs is the client.

The conversation, for every workload: the client authenticates (``signalwire.connect``), then
sends ``bench.start`` (its measurement window opens just before); the server answers ``{}`` and
starts the workload:

* **B1** (event flood): one inbound call. When the client answers it, the server pushes the
  flood of ``calling.call.play`` events (``playing`` / ``finished``, control ids the client
  never used) and waits until every one is ACKed; then it ends the call (``ended`` state event).
* **B2** (concurrency): ``size`` inbound calls at once. ``calling.answer`` gets its reply and an
  ``answered`` state event, ``calling.play`` its reply and at once a ``finished`` play event,
  ``calling.end`` its reply and an ``ended`` state event.
* **B3** (round trip): nothing pushed; each ``calling.answer`` gets its reply.
* **B4** (calls held): as B2, except that the plays do not finish at once: every call stays
  answered and playing until all ``size`` of them are, and only then does the server finish
  every playback (the clients then hang up as in B2). The client's memory peak is therefore
  the moment when all calls are in progress at once.
"""

from __future__ import annotations

import json
from typing import Any

from ._wire import server_frame

__all__ = ["SCENARIOS", "Scenario", "WorkloadError"]

CONTEXT = "bench"
NODE = b"node-1"
B1_CALL = "call-b1"
B3_CALL = "call-b3"

_EVENT = (
    b'{"jsonrpc":"2.0","id":"%b","method":"signalwire.event","params":{"event_type":"%b",'
    b'"event_channel":"signalwire_bench","timestamp":1718035200.482,'
    b'"project_id":"a1b2c3d4-0000-4000-8000-111122223333","space_id":"s-5566","params":%b}}'
)
_DEVICE = b'{"type":"phone","params":{"from_number":"+15551230001","to_number":"+15551230002"}}'
_RECEIVE = (
    b'{"call_id":"%b","node_id":"' + NODE + b'","call_state":"created","direction":"inbound",'
    b'"context":"' + CONTEXT.encode() + b'","tag":"","device":' + _DEVICE + b"}"
)
_STATE = (
    b'{"call_id":"%b","node_id":"' + NODE + b'","call_state":"%b","direction":"inbound",'
    b'"tag":"","device":' + _DEVICE + b"}"
)
_ENDED = (
    b'{"call_id":"%b","node_id":"' + NODE + b'","call_state":"ended","end_reason":"hangup",'
    b'"direction":"inbound","tag":"","device":' + _DEVICE + b"}"
)
_PLAY = b'{"call_id":"%b","node_id":"' + NODE + b'","control_id":"%b","state":"%b"}'

_REPLY = b'{"jsonrpc":"2.0","id":%b,"result":%b}'
_CONNECT_RESULT = (
    b'{"protocol":"signalwire_bench","identity":"bench-identity","session_restored":false}'
)
_ANSWERED = b'{"code":"200","message":"Answered"}'
_PLAYING = b'{"code":"200","message":"Playing","control_id":%b}'
_ENDING = b'{"code":"200","message":"Disconnecting call"}'


class WorkloadError(Exception):
    """The client did something the workload does not expect."""


def _event(event_id: bytes, event_type: bytes, params: bytes) -> bytes:
    return server_frame(_EVENT % (event_id, event_type, params))


def _reply(request_id: Any, result: bytes) -> bytes:
    return server_frame(_REPLY % (json.dumps(request_id).encode(), result))


class Scenario:
    """The server's part of one workload (see the module docstring). Subclasses fill in
    :meth:`start` and :meth:`request`; :meth:`ack` counts ACKs."""

    name = ""

    def __init__(self, size: int) -> None:
        self.size = size
        self.complete = False  # the workload ran to its end
        self.acks = 0
        self._event_serial = 0
        self._unacked: set[bytes] = set()

    def event(self, event_type: bytes, params: bytes) -> bytes:
        """A ``signalwire.event`` frame with a fresh id, remembered until it is ACKed."""
        self._event_serial += 1
        event_id = b"e-%d" % self._event_serial
        self._unacked.add(event_id)
        return _event(event_id, event_type, params)

    def handle(self, method: str, request_id: Any, params: dict[str, Any]) -> bytes:
        """Frames answering the client request ``method``."""
        if method == "signalwire.connect":
            return _reply(request_id, _CONNECT_RESULT)
        if method == "bench.start":
            return _reply(request_id, b"{}") + self.start()
        if method.startswith("calling."):
            return self.request(method, request_id, params)
        return _reply(request_id, b"{}")  # pings, unreceive at shutdown...

    def ack(self, event_id: bytes) -> bytes:
        """The client ACKed ``event_id``; returns frames to send next.

        Raises:
            WorkloadError: an ACK for an event never sent, or sent twice.
        """
        try:
            self._unacked.remove(event_id)
        except KeyError:
            raise WorkloadError(f"ACK for unknown event {event_id!r}") from None
        self.acks += 1
        return b""

    @property
    def unacked(self) -> int:
        """Events sent and not ACKed (yet)."""
        return len(self._unacked)

    def start(self) -> bytes:
        """Frames that begin the workload (after the ``bench.start`` reply)."""
        return b""

    def request(self, method: str, request_id: Any, params: dict[str, Any]) -> bytes:
        """Frames answering a ``calling.*`` request.

        Raises:
            WorkloadError: a method this workload does not use.
        """
        raise WorkloadError(f"unexpected {method}")


class EventFlood(Scenario):
    """B1: ``size`` play events to one answered call, then its end."""

    name = "B1"

    def __init__(self, size: int) -> None:
        super().__init__(size)
        call = B1_CALL.encode()
        frames = []
        flood_ids = []
        for i in range(size):
            event_id = b"f-%d" % i
            state = b"playing" if i % 2 == 0 else b"finished"
            params = _PLAY % (call, b"ctl-unknown-%d" % (i // 2), state)
            frames.append(_event(event_id, b"calling.call.play", params))
            flood_ids.append(event_id)
        self._flood = b"".join(frames)
        self._flood_ids = flood_ids
        self._flood_left = size
        self._answered = False

    def start(self) -> bytes:
        return self.event(b"calling.call.receive", _RECEIVE % B1_CALL.encode())

    def request(self, method: str, request_id: Any, params: dict[str, Any]) -> bytes:
        if method != "calling.answer" or self._answered:
            return super().request(method, request_id, params)
        self._answered = True
        self._unacked.update(self._flood_ids)
        answered = self.event(b"calling.call.state", _STATE % (B1_CALL.encode(), b"answered"))
        return _reply(request_id, _ANSWERED) + answered + self._flood

    def ack(self, event_id: bytes) -> bytes:
        super().ack(event_id)
        if event_id.startswith(b"f-"):
            self._flood_left -= 1
            if self._flood_left == 0:
                self.complete = True
                return self.event(b"calling.call.state", _ENDED % B1_CALL.encode())
        return b""


class Concurrency(Scenario):
    """B2: ``size`` inbound calls at once; each is answered, plays, hangs up."""

    name = "B2"

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self._calls = [b"call-%d" % i for i in range(size)]
        self._ended = 0

    def start(self) -> bytes:
        return b"".join(self.event(b"calling.call.receive", _RECEIVE % c) for c in self._calls)

    def request(self, method: str, request_id: Any, params: dict[str, Any]) -> bytes:
        call = str(params.get("call_id", "")).encode()
        if method == "calling.answer":
            state = self.event(b"calling.call.state", _STATE % (call, b"answered"))
            return _reply(request_id, _ANSWERED) + state
        if method == "calling.play":
            control = str(params.get("control_id", "")).encode()
            reply = _reply(request_id, _PLAYING % json.dumps(control.decode()).encode())
            return reply + self.event(b"calling.call.play", _PLAY % (call, control, b"finished"))
        if method == "calling.end":
            self._ended += 1
            self.complete = self._ended == self.size
            return _reply(request_id, _ENDING) + self.event(b"calling.call.state", _ENDED % call)
        return super().request(method, request_id, params)


class RoundTrip(Scenario):
    """B3: answers ``calling.answer`` requests, ``size`` of them."""

    name = "B3"

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self._answers = 0

    def request(self, method: str, request_id: Any, params: dict[str, Any]) -> bytes:
        if method != "calling.answer":
            return super().request(method, request_id, params)
        self._answers += 1
        self.complete = self._answers >= self.size
        return _reply(request_id, _ANSWERED)


class Held(Concurrency):
    """B4: ``size`` inbound calls held at once: the plays finish only when all have started."""

    name = "B4"

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self._playing: list[tuple[bytes, bytes]] = []

    def request(self, method: str, request_id: Any, params: dict[str, Any]) -> bytes:
        if method != "calling.play":
            return super().request(method, request_id, params)
        call = str(params.get("call_id", "")).encode()
        control = str(params.get("control_id", "")).encode()
        self._playing.append((call, control))
        reply = _reply(request_id, _PLAYING % json.dumps(control.decode()).encode())
        if len(self._playing) < self.size:
            return reply
        finished = [
            self.event(b"calling.call.play", _PLAY % (c, k, b"finished")) for c, k in self._playing
        ]
        return reply + b"".join(finished)


SCENARIOS: dict[str, type[Scenario]] = {
    "B1": EventFlood,
    "B2": Concurrency,
    "B3": RoundTrip,
    "B4": Held,
}
