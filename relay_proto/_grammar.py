"""The RELAY protocol as data: every frame's shape, in one place.

This module is the single description of the wire protocol that the test-data generators build
on: :mod:`relay_proto.strategies` (Hypothesis strategies for users and for our own property
tests), the fuzzers in ``fuzz/`` and the ``relay-fuzz`` endpoint fuzzer. It is pure data plus
a few hypothesis-free helpers, so importing it costs nothing and needs no optional dependency.

A *spec* describes one JSON value:

* :class:`Enum` - one of a few literal values (``call_state``, ``end_reason``...);
* :class:`Text` - a string, preferably one of the examples;
* :class:`Int` / :class:`Num` / :class:`Bool` - numbers and booleans in a range;
* :class:`Ref` - an id that must name something that exists (a call, a node, an action, a
  dial tag, a message) or a fresh one (``new_control_id``, ``new_tag``);
* :class:`Obj` - an object with required and optional keys;
* :class:`ListOf` - an array;
* :class:`Choice` - one of several shapes (media items, devices);
* :class:`Anything` - any small JSON value (opaque blobs such as AI settings).

Sources are the wire-protocol reference (sections 1 to 7): the request tables of section 3.5,
the shared object shapes of 3.4, the event cheat-sheet of 3.6, dial (4) and messaging (5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTION_METHODS",
    "CALL_METHODS",
    "CONNECT_PARAMS",
    "EVENTS",
    "JSONRPC_ERRORS",
    "POOLS",
    "REQUESTS",
    "SERVER_REQUESTS",
    "Anything",
    "Bool",
    "Choice",
    "Enum",
    "Int",
    "ListOf",
    "Num",
    "Obj",
    "Ref",
    "Spec",
    "Text",
    "obj",
    "result_for",
]


@dataclass(frozen=True)
class Enum:
    """One of ``values`` (literal JSON values)."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Text:
    """A string: one of ``examples`` when given, else short printable text."""

    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Int:
    """An integer in ``[lo, hi]``."""

    lo: int = 0
    hi: int = 100


@dataclass(frozen=True)
class Num:
    """A number (integer or finite float) in ``[lo, hi]``."""

    lo: float = 0.0
    hi: float = 60.0


@dataclass(frozen=True)
class Bool:
    """``true`` or ``false``."""


@dataclass(frozen=True)
class Ref:
    """An id from a pool (see :data:`POOLS`): ``call_id``, ``node_id``, ``control_id``, ``tag``,
    ``message_id``, or a fresh ``new_control_id`` / ``new_tag``."""

    pool: str


@dataclass(frozen=True)
class Anything:
    """Any small JSON value."""


@dataclass(frozen=True)
class Obj:
    """An object: every ``required`` key, and any subset of the ``optional`` ones."""

    required: tuple[tuple[str, Spec], ...] = ()
    optional: tuple[tuple[str, Spec], ...] = ()


@dataclass(frozen=True)
class ListOf:
    """An array of ``item`` with ``min_size`` to ``max_size`` elements."""

    item: Spec
    min_size: int = 0
    max_size: int = 3


@dataclass(frozen=True)
class Choice:
    """One of ``options``."""

    options: tuple[Spec, ...] = field(default=())


Spec = Enum | Text | Int | Num | Bool | Ref | Anything | Obj | ListOf | Choice


def obj(required: Mapping[str, Spec] | None = None, **optional: Spec) -> Obj:
    """An :class:`Obj` from a dict of required keys and keyword optional keys."""
    return Obj(tuple((required or {}).items()), tuple(optional.items()))


#: The id pools a :class:`Ref` may name.
POOLS = ("call_id", "node_id", "control_id", "tag", "message_id", "new_control_id", "new_tag")

#: JSON-RPC error codes a RELAY server answers with (2.0 spec, section 5.1, plus RELAY's).
JSONRPC_ERRORS: dict[int, str] = {
    -32700: "Parse error",
    -32600: "Invalid Request",
    -32601: "Method not found",
    -32602: "Invalid params",
    -32603: "Internal error",
    -32000: "authentication failed",
    -32002: "Authentication service failed",
}

# --------------------------------------------------------------------------- shared shapes

_URL = Text(("https://media.example.com/a.mp3", "https://media.example.com/b.wav"))
_NUMBER = Text(("+15551230001", "+15551230002", "+15551230003"))
_LANG = Text(("en-US", "es-ES", "fr-FR"))
# fmt: off
_RINGTONES = (
    "at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es",
    "fi", "fr", "gr", "hu", "il", "in", "it", "lt", "jp", "mx", "my", "nl", "no",
    "nz", "ph", "pl", "pt", "ru", "se", "sg", "th", "uk", "us", "tw", "ve", "za",
)
# fmt: on
_DIRECTION = Enum(("listen", "speak", "both"))

MEDIA = Choice(
    (
        obj({"type": Enum(("audio",)), "params": obj({"url": _URL})}),
        obj(
            {"type": Enum(("tts",)), "params": obj({"text": Text(("Hello", "Press 1", "Bye"))})},
        ),
        obj({"type": Enum(("silence",)), "params": obj({"duration": Num(0.5, 5)})}),
        obj({"type": Enum(("ringtone",)), "params": obj({"name": Enum(_RINGTONES)})}),
    )
)
_MEDIA_LIST = ListOf(MEDIA, 1, 3)

_PHONE = obj(
    {"type": Enum(("phone",)), "params": obj({"from_number": _NUMBER, "to_number": _NUMBER})}
)
_SIP = obj(
    {
        "type": Enum(("sip",)),
        "params": obj(
            {"from": Text(("sip:alice@example.com",)), "to": Text(("sip:bob@example.com",))}
        ),
    }
)
_WEBRTC = obj(
    {"type": Enum(("webrtc",)), "params": obj({"from": _NUMBER, "to": Text(("resource-1",))})}
)
DEVICE = Choice((_PHONE, _SIP, _WEBRTC))
DEVICES = ListOf(ListOf(DEVICE, 1, 2), 1, 2)

_DIGITS = obj(
    {"max": Int(1, 10)},
    terminators=Enum(("#", "*", "#*")),
    digit_timeout=Num(1, 10),
)
_SPEECH = obj(
    end_silence_timeout=Num(0.5, 5), speech_timeout=Num(5, 60), language=_LANG, hints=ListOf(Text())
)
_COLLECT_KEYS = {"initial_timeout": Num(1, 10)}
COLLECT = Choice(
    (
        Obj((("digits", _DIGITS),), tuple(_COLLECT_KEYS.items())),
        Obj((("speech", _SPEECH),), tuple(_COLLECT_KEYS.items())),
        Obj((("digits", _DIGITS), ("speech", _SPEECH)), tuple(_COLLECT_KEYS.items())),
    )
)

# --------------------------------------------------------------------------- requests

_CALL: dict[str, Spec] = {"node_id": Ref("node_id"), "call_id": Ref("call_id")}
_NEW_ACTION = {**_CALL, "control_id": Ref("new_control_id")}
_ACTION = {**_CALL, "control_id": Ref("control_id")}


def _call(required: Mapping[str, Spec] | None = None, **optional: Spec) -> Obj:
    return obj({**_CALL, **(required or {})}, **optional)


def _start(required: Mapping[str, Spec] | None = None, **optional: Spec) -> Obj:
    return obj({**_NEW_ACTION, **(required or {})}, **optional)


_SUB = obj(_ACTION)

#: Call commands (``calling.*`` on an existing call) -> their params.
CALL_METHODS: dict[str, Obj] = {
    "calling.answer": _call(),
    "calling.end": _call(
        {"reason": Enum(("hangup", "cancel", "busy", "noAnswer", "decline", "error"))}
    ),
    "calling.pass": _call(),
    "calling.transfer": _call({"dest": Text(("https://swml.example.com/next", "context:office"))}),
    "calling.connect": _call({"devices": DEVICES}, ringback=_MEDIA_LIST, tag=Ref("new_tag")),
    "calling.disconnect": _call(),
    "calling.refer": _call(
        {"device": obj({"type": Enum(("sip",)), "params": obj({"to": Text(("sip:c@x.com",))})})}
    ),
    "calling.hold": _call(),
    "calling.unhold": _call(),
    "calling.play": _start({"play": _MEDIA_LIST}, volume=Num(-40, 40), direction=_DIRECTION),
    "calling.play.stop": _SUB,
    "calling.play.pause": _SUB,
    "calling.play.resume": _SUB,
    "calling.play.volume": obj({**_ACTION, "volume": Num(-40, 40)}),
    "calling.record": _start({"record": obj({"audio": obj(format=Enum(("mp3", "wav")))})}),
    "calling.record.stop": _SUB,
    "calling.record.pause": obj(_ACTION, behavior=Enum(("skip", "silence"))),
    "calling.record.resume": _SUB,
    "calling.play_and_collect": _start({"play": _MEDIA_LIST, "collect": COLLECT}),
    "calling.play_and_collect.stop": _SUB,
    "calling.play_and_collect.volume": obj({**_ACTION, "volume": Num(-40, 40)}),
    "calling.collect": _start({"digits": _DIGITS}, speech=_SPEECH, initial_timeout=Num(1, 10)),
    "calling.collect.stop": _SUB,
    "calling.collect.start_input_timers": _SUB,
    "calling.detect": _start(
        {"detect": obj({"type": Enum(("machine", "fax", "digit")), "params": obj()})},
        timeout=Num(1, 60),
    ),
    "calling.detect.stop": _SUB,
    "calling.send_digits": _start({"digits": Text(("1", "1234", "1#", "*9w1"))}),
    "calling.bind_digit": _call(
        {"digits": Text(("*1", "#")), "bind_method": Enum(("calling.play",))}
    ),
    "calling.clear_digit_bindings": _call(realm=Text(("menu",))),
    "calling.send_fax": _start({"document": Text(("https://docs.example.com/a.pdf",))}),
    "calling.send_fax.stop": _SUB,
    "calling.receive_fax": _start(),
    "calling.receive_fax.stop": _SUB,
    "calling.tap": _start(
        {
            "tap": obj({"type": Enum(("audio",)), "params": obj(direction=_DIRECTION)}),
            "device": obj(
                {"type": Enum(("ws",)), "params": obj({"uri": Text(("wss://tap.example.com",))})}
            ),
        }
    ),
    "calling.tap.stop": _SUB,
    "calling.stream": _start({"url": Text(("wss://stream.example.com",))}, name=Text(("s1",))),
    "calling.stream.stop": _SUB,
    "calling.pay": _start({"payment_connector_url": Text(("https://pay.example.com",))}),
    "calling.pay.stop": _SUB,
    "calling.transcribe": _start(),
    "calling.transcribe.stop": _SUB,
    "calling.live_transcribe": _call({"action": obj({"start": obj(language=_LANG)})}),
    "calling.live_translate": _call(
        {"action": obj({"start": obj({"source": _LANG, "target": Enum(("es", "fr"))})})}
    ),
    "calling.ai": _start(prompt=obj({"text": Text(("You are helpful",))})),
    "calling.ai.stop": _SUB,
    "calling.amazon_bedrock": _call(prompt=Text(("Hi",))),
    "calling.ai_message": _call(message_text=Text(("hello",)), role=Enum(("user", "system"))),
    "calling.ai_hold": _call(timeout=Text(("30",))),
    "calling.ai_unhold": _call(),
    "calling.join_conference": _call({"name": Text(("standup", "sales"))}, muted=Bool()),
    "calling.leave_conference": _call({"conference_id": Text(("conf-1",))}),
    "calling.join_room": _call({"name": Text(("room-1",))}),
    "calling.leave_room": _call(),
    "calling.queue.enter": _start({"queue_name": Text(("support",))}),
    "calling.queue.leave": _start({"queue_name": Text(("support",))}),
    "calling.echo": _call(timeout=Num(0, 30)),
    "calling.denoise": _call(),
    "calling.denoise.stop": _call(),
    "calling.user_event": _call(event=Text(("checkpoint",))),
}

#: The call commands that start an action (a fresh ``control_id``).
ACTION_METHODS: tuple[str, ...] = tuple(
    method
    for method, spec in CALL_METHODS.items()
    if ("control_id", Ref("new_control_id")) in spec.required
)

_CONTEXTS = ListOf(Text(("office", "support", "sales")), 1, 3)

#: What a client sends in ``signalwire.connect`` (``authentication`` is filled in by the caller
#: that knows the credentials; the default is a project and token).
CONNECT_PARAMS = obj(
    {
        "version": obj({"major": Enum((2,)), "minor": Enum((0,)), "revision": Enum((0,))}),
        "agent": Text(("relay-sansio-fuzz/1.0",)),
        "event_acks": Enum((True,)),
        "authentication": obj({"project": Text(("p-1",)), "token": Text(("PT-1",))}),
    },
    contexts=_CONTEXTS,
)

#: Every request a client sends -> its params.
REQUESTS: dict[str, Obj] = {
    "signalwire.connect": CONNECT_PARAMS,
    "signalwire.receive": obj({"contexts": _CONTEXTS}),
    "signalwire.unreceive": obj({"contexts": _CONTEXTS}),
    "signalwire.ping": obj(),
    "calling.dial": obj({"tag": Ref("new_tag"), "devices": DEVICES}, max_duration=Int(1, 60)),
    **CALL_METHODS,
    "messaging.send": obj(
        {"context": Text(("office",)), "to_number": _NUMBER, "from_number": _NUMBER},
        body=Text(("Hello", "Your table is ready")),
        media=ListOf(Text(("https://media.example.com/map.png",)), 1, 2),
        tags=ListOf(Text(("fuzz",)), 1, 2),
    ),
}

# --------------------------------------------------------------------------- events

_ACTION_STATE = {
    "calling.call.play": ("playing", "paused", "finished", "error"),
    "calling.call.record": ("recording", "paused", "finished", "no_input"),
    "calling.call.tap": ("tapping", "finished"),
    "calling.call.stream": ("streaming", "finished"),
    "calling.call.send_digits": ("finished",),
    "calling.call.pay": ("collecting", "finished", "error"),
    "calling.call.transcribe": ("finished",),
    "calling.call.echo": ("echoing", "finished"),
    "calling.call.hold": ("hold", "unhold"),
    "calling.call.ai": ("finished", "error"),
}
_CALL_STATE = Enum(("created", "ringing", "answered", "ending", "ended"))
_END_REASON = Enum(("hangup", "cancel", "busy", "noAnswer", "decline", "error"))
_PEER = obj({"call_id": Ref("call_id"), "node_id": Ref("node_id")}, device=DEVICE)
_TS = {"timestamp": Num(1.7e9, 1.8e9)}


def _event(required: Mapping[str, Spec], **optional: Spec) -> Obj:
    return obj(required, **_TS, **optional)


def _action_event(event_type: str, **optional: Spec) -> Obj:
    states = _ACTION_STATE.get(event_type)
    required: dict[str, Spec] = {**_ACTION}
    if states is not None:
        required["state"] = Enum(states)
    return _event(required, **optional)


#: Every event type (``params.event_type`` of ``signalwire.event``) -> its inner ``params``.
EVENTS: dict[str, Obj] = {
    "calling.call.state": _event(
        {**_CALL, "call_state": _CALL_STATE, "direction": Enum(("inbound", "outbound"))},
        end_reason=_END_REASON,
        device=DEVICE,
        tag=Ref("tag"),
        peer=_PEER,
    ),
    "calling.call.receive": _event(
        {
            **_CALL,
            "call_state": Enum(("created",)),
            "direction": Enum(("inbound",)),
            "device": DEVICE,
            "context": Text(("office", "support")),
        },
        segment_id=Text(("seg-1",)),
    ),
    "calling.call.play": _action_event("calling.call.play"),
    "calling.call.record": _action_event(
        "calling.call.record",
        url=Text(("https://media.example.com/rec.mp3",)),
        duration=Num(0, 600),
        size=Int(0, 10**7),
    ),
    "calling.call.collect": _event(
        {
            **_ACTION,
            "result": Choice(
                (
                    obj(
                        {
                            "type": Enum(("digit",)),
                            "params": obj(
                                {"digits": Text(("1", "2", "1234")), "terminator": Enum(("#",))}
                            ),
                        }
                    ),
                    obj(
                        {
                            "type": Enum(("speech",)),
                            "params": obj(
                                {"text": Text(("sales", "support")), "confidence": Num(0, 1)}
                            ),
                        }
                    ),
                    obj({"type": Enum(("no_input", "no_match", "error"))}),
                )
            ),
        },
        final=Bool(),
    ),
    "calling.call.connect": _event(
        {**_CALL, "connect_state": Enum(("connecting", "connected", "disconnected", "failed"))},
        peer=_PEER,
    ),
    "calling.call.detect": _event(
        {
            **_ACTION,
            "detect": Choice(
                (
                    obj(
                        {
                            "type": Enum(("machine",)),
                            "params": obj({"event": Enum(("HUMAN", "MACHINE", "UNKNOWN"))}),
                        }
                    ),
                    obj({"type": Enum(("fax",)), "params": obj({"event": Enum(("CED", "CNG"))})}),
                    obj({"type": Enum(("digit",)), "params": obj({"event": Text(("1#", "5"))})}),
                )
            ),
        }
    ),
    "calling.call.fax": _event(
        {
            **_ACTION,
            "fax": obj(
                {"type": Enum(("page", "finished", "error"))},
                params=obj(direction=Enum(("send", "receive")), pages=Text(("1", "2"))),
            ),
        }
    ),
    "calling.call.tap": _action_event("calling.call.tap"),
    "calling.call.stream": _action_event(
        "calling.call.stream", url=Text(("wss://stream.example.com",)), name=Text(("s1",))
    ),
    "calling.call.send_digits": _action_event("calling.call.send_digits"),
    "calling.call.dial": _event(
        {"node_id": Ref("node_id"), "tag": Ref("tag"), "dial_state": Enum(("dialing", "failed"))}
    ),
    "calling.call.refer": _event(
        {**_CALL, "state": Enum(("inProgress", "success", "error"))},
        sip_refer_to=Text(("sip:c@example.com",)),
        sip_refer_response_code=Text(("202",)),
    ),
    "calling.call.denoise": _event({**_CALL, "denoised": Bool()}),
    "calling.call.pay": _action_event("calling.call.pay"),
    "calling.call.queue": _event(
        {**_ACTION, "status": Enum(("enqueue", "dequeue"))},
        id=Text(("q-1",)),
        name=Text(("support",)),
        position=Int(0, 20),
        size=Int(0, 20),
    ),
    "calling.call.echo": _event({**_CALL, "state": Enum(_ACTION_STATE["calling.call.echo"])}),
    "calling.call.transcribe": _action_event(
        "calling.call.transcribe", url=_URL, recording_id=Text(("rec-1",)), duration=Num(0, 600)
    ),
    "calling.call.hold": _event({**_CALL, "state": Enum(_ACTION_STATE["calling.call.hold"])}),
    "calling.call.ai": _action_event("calling.call.ai"),
    "calling.conference": _event(
        {"conference_id": Text(("conf-1",)), "name": Text(("standup",))},
        status=Text(("conference-start", "conference-end")),
    ),
    "calling.error": _event({"code": Text(("5001", "5002")), "message": Text(("failure",))}),
    "messaging.receive": _event(
        {
            "message_id": Text(("in-msg-1", "in-msg-2")),
            "context": Text(("office",)),
            "direction": Enum(("inbound",)),
            "from_number": _NUMBER,
            "to_number": _NUMBER,
            "message_state": Enum(("received",)),
        },
        body=Text(("Hi", "STOP")),
        segments=Int(1, 3),
    ),
    "messaging.state": _event(
        {
            "message_id": Ref("message_id"),
            "message_state": Enum(("queued", "initiated", "sent", "delivered")),
        },
        segments=Int(1, 3),
    ),
    "signalwire.authorization.state": obj(
        {"authorization_state": Text(("QUJDREVGR0g=:SUpLTE1O",))}
    ),
}

#: Requests a server sends -> their params.
SERVER_REQUESTS: dict[str, Obj] = {
    "signalwire.event": obj(),  # built from EVENTS (envelope: event_type + params)
    "signalwire.ping": obj(timestamp=Num(1.7e9, 1.8e9)),
    "signalwire.disconnect": obj(restart=Bool()),
}

# --------------------------------------------------------------------------- results

_OK_MESSAGES = {
    "calling.answer": "Answered",
    "calling.end": "Disconnecting call",
    "calling.dial": "Dialing",
    "messaging.send": "Message accepted",
    "signalwire.receive": "Receiving events",
    "signalwire.unreceive": "Unreceiving events",
}


def result_for(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """A success result a server gives ``method`` with ``params`` (spec 1.9): ``code`` ``"200"``
    and a message; ``control_id`` echoed; a ``message_id`` for ``messaging.send``; an empty
    object for ``signalwire.ping``. ``signalwire.connect`` results are built by the caller."""
    if method == "signalwire.ping":
        return {}
    result: dict[str, Any] = {"code": "200", "message": _OK_MESSAGES.get(method, "OK")}
    if "control_id" in params:
        result["control_id"] = params["control_id"]
    if "call_id" in params and method not in ("calling.answer", "calling.end"):
        result["call_id"] = params["call_id"]
    return result
