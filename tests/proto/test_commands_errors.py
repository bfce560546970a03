"""What relay_proto.commands checks, and what it leaves to the service.

The builders check only what the client itself relies on (ids it correlates, the devices
structure, the media list it normalises); each such mistake raises InvalidCommandError naming
the argument. Every other value, valid or not, is sent exactly as given, as the official SDK
sends it: the service decides (the emulator's answers are tested in tests/emulator).
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay_proto import CallCommand, InvalidCommandError
from relay_proto import commands as c

MEDIA = [{"type": "audio", "params": {"url": "https://m.example.com/a.wav"}}]
COLLECT = {"digits": {"max": 1}}
PHONE = {"type": "phone", "params": {"to_number": "+2", "from_number": "+1"}}
DEVICES = [[PHONE]]
TAP = {"type": "audio", "params": {"direction": "listen"}}
WS = {"type": "ws", "params": {"uri": "wss://t.example.com"}}
MSG = {"to_number": "+2", "from_number": "+1", "context": "office"}

# The calls below pass wrong types on purpose.
X: Any = None

# ---------------------------------------------------------------- the checks that remain

ERRORS: dict[str, tuple[Callable[[], object], str]] = {
    # ------------------------------------------------------------ control ids and extras
    "control-id-empty": (lambda: c.play(MEDIA, control_id=""), r"^control_id must not be empty"),
    "control-id-int": (
        lambda: c.record(control_id=X or 5),
        r"^control_id must be a non-empty string, got int",
    ),
    "control-id-queue": (
        lambda: c.queue_enter("q", control_id=""),
        r"^control_id must not be empty",
    ),
    "control-id-send-digits": (
        lambda: c.send_digits("1", control_id=""),
        r"^control_id must not be empty",
    ),
    "control-id-kwarg-empty": (lambda: c.answer(control_id=""), r"^control_id must not be empty"),
    "extra-node-id": (
        lambda: c.answer(node_id="n"),
        r"^node_id is filled in by the connection and cannot be passed as an extra argument",
    ),
    "extra-call-id": (
        lambda: c.play(MEDIA, call_id="x"),
        r"^call_id is filled in by the connection",
    ),
    "leave_room-extra": (lambda: c.leave_room(call_id="x"), r"^call_id is filled in"),
    "user_event-extra": (lambda: c.user_event(node_id="n"), r"^node_id is filled in"),
    # ------------------------------------------------------------ media lists (normalised)
    "media-not-list": (
        lambda: c.play(X or MEDIA[0]),
        r"^media must be a list of media items, got dict",
    ),
    "media-str": (lambda: c.play(X or "hello"), r"^media must be a list of media items, got str"),
    "media-item-not-object": (
        lambda: c.play(X or ["x"]),
        r"^media\[0\] must be an object \(dict\), got str",
    ),
    "media-mixed-conflict": (
        lambda: c.play([MEDIA[0], {"type": "tts", "text": "a", "params": {"text": "b"}}]),
        r"^media\[1\] has 'text' both beside and inside 'params', with different values",
    ),
    "media-mixed-params-not-object": (
        lambda: c.play([{"type": "tts", "text": "a", "params": "b"}]),
        r"^media\[0\]\.params must be an object to take the item's other keys, got str",
    ),
    "ringback-not-list": (
        lambda: c.connect(DEVICES, ringback=X or {"type": "ringtone", "name": "us"}),
        r"^ringback must be a list of media items, got dict",
    ),
    "ringback-mixed-conflict": (
        lambda: c.connect(
            DEVICES, ringback=[{"type": "ringtone", "name": "us", "params": {"name": "uk"}}]
        ),
        r"^ringback\[0\] has 'name' both beside and inside 'params'",
    ),
    "prompt-item-not-object": (
        lambda: c.play_and_collect(X or [None], COLLECT),
        r"^media\[0\] must be an object",
    ),
    # ------------------------------------------------------------ devices (dial and connect)
    "connect-devices-not-list": (
        lambda: c.connect(X or PHONE),
        r"^devices must be a list of lists of devices, got dict",
    ),
    "connect-devices-empty": (lambda: c.connect([]), r"^devices must contain at least one group"),
    "connect-devices-flat": (
        lambda: c.connect(X or [PHONE]),
        r"^devices\[0\] must be a list of devices, got dict",
    ),
    "connect-devices-empty-group": (
        lambda: c.connect([[PHONE], []]),
        r"^devices\[1\] must contain at least one device",
    ),
    "connect-device-no-params": (
        lambda: c.connect([[PHONE, {"type": "sip"}]]),
        r"^devices\[0\]\[1\] must have 'params'",
    ),
    "connect-device-no-type": (
        lambda: c.connect([[{"params": {}}]]),
        r"^devices\[0\]\[0\] must have a 'type'",
    ),
    "connect-device-type-int": (
        lambda: c.connect([[{"type": 1, "params": {}}]]),
        r"^devices\[0\]\[0\]\.type must be a non-empty string, got int",
    ),
    "dial-tag-none": (lambda: c.dial_params(DEVICES, tag=X), r"^tag must be a non-empty string"),
    "dial-tag-empty": (lambda: c.dial_params(DEVICES, tag=""), r"^tag must not be empty"),
    "dial-devices-empty": (lambda: c.dial_params([], tag="t"), r"^devices must contain at least"),
    "dial-devices-flat": (
        lambda: c.dial_params(X or [PHONE], tag="t"),
        r"^devices\[0\] must be a list of devices",
    ),
    "dial-device-params": (
        lambda: c.dial_params([[{"type": "phone", "params": None}]], tag="t"),
        r"^devices\[0\]\[0\]\.params must be an object",
    ),
    # ------------------------------------------------------------ sub-commands
    "stop-unknown-kind": (
        lambda: c.action_stop("dance", "ctl"),
        r"^kind must be an action kind \(ai, collect, .*\); got 'dance'",
    ),
    "stop-kind-none": (lambda: c.action_stop(X, "ctl"), r"^kind must be an action kind"),
    "stop-kind-list": (
        lambda: c.action_stop(X or ["play"], "ctl"),
        r"^kind must be an action kind",
    ),
    "stop-control-id": (lambda: c.action_stop("play", ""), r"^control_id must not be empty"),
    "stop-control-id-none": (lambda: c.action_stop("play", X), r"^control_id must be a non-empty"),
    "pause-detect": (
        lambda: c.action_pause("detect", "ctl"),
        r"^kind 'detect' actions have no 'pause' \(only play, play_and_collect, record\)",
    ),
    "pause-collect": (lambda: c.action_pause("collect", "ctl"), r"^kind 'collect' actions have no"),
    "resume-tap": (lambda: c.action_resume("tap", "ctl"), r"^kind 'tap' actions have no 'resume'"),
    "volume-record": (
        lambda: c.action_volume("record", "ctl", 1),
        r"^kind 'record' actions have no 'volume' \(only play, play_and_collect\)",
    ),
    "start-input-timers": (
        lambda: c.action_start_input_timers(""),
        r"^control_id must not be empty",
    ),
    # ------------------------------------ messages (the official SDK's own check)
    "message-neither": (lambda: c.send_message_params(**MSG), r"^body or media is required"),
    "message-both-empty": (
        lambda: c.send_message_params(**MSG, body="", media=[]),
        r"^body or media is required",
    ),
    "message-context-empty": (
        lambda: c.send_message_params(to_number="+2", from_number="+1", context="", body="b"),
        r"^context must not be empty",
    ),
    # ------------------------------------ contexts (remembered by the session)
    "contexts-str": (
        lambda: c.context_params("office"),
        r"^contexts must be a list of context names, got str",
    ),
    "contexts-int": (lambda: c.context_params(X or 5), r"^contexts must be a list of context"),
    "contexts-dict": (lambda: c.context_params(X or {"a": 1}), r"^contexts must be a list"),
    "contexts-empty-item": (
        lambda: c.context_params(["a", ""]),
        r"^contexts\[1\] must not be empty",
    ),
    "contexts-item-int": (
        lambda: c.context_params(X or [1]),
        r"^contexts\[0\] must be a non-empty",
    ),
}


@pytest.mark.parametrize(("build", "message"), list(ERRORS.values()), ids=list(ERRORS))
def test_checks_that_remain(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidCommandError, match=message):
        build()


# ---------------------------------------------------------------- values the service decides on

Path = tuple[str | int, ...]

# name: (builder, where in params, the value that must be there unchanged). Each of these was
# refused locally before; the official SDK sends them and so do we.
PASSES: dict[str, tuple[Callable[[], CallCommand], Path, Any]] = {
    # lifecycle
    "hangup-unknown-reason": (lambda: c.hangup("bye"), ("reason",), "bye"),
    "hangup-reason-case": (lambda: c.hangup("noanswer"), ("reason",), "noanswer"),
    "hangup-reason-none": (lambda: c.hangup(X), ("reason",), None),
    "transfer-empty": (lambda: c.transfer(""), ("dest",), ""),
    "transfer-none": (lambda: c.transfer(X), ("dest",), None),
    # ringtones, DTMF, volume
    "ringtone-gb": (lambda: c.play_ringtone("gb"), ("play", 0, "params", "name"), "gb"),
    "ringtone-case": (lambda: c.play_ringtone("US"), ("play", 0, "params", "name"), "US"),
    "ringtone-in-play": (
        lambda: c.play([{"type": "ringtone", "params": {"name": "xx"}}]),
        ("play", 0, "params", "name"),
        "xx",
    ),
    "ringback-gb": (
        lambda: c.connect(DEVICES, ringback=[{"type": "ringtone", "params": {"name": "gb"}}]),
        ("ringback", 0, "params", "name"),
        "gb",
    ),
    "ringtone-negative-duration": (
        lambda: c.play_ringtone("us", duration=-1),
        ("play", 0, "params", "duration"),
        -1,
    ),
    "send-digits-letters": (lambda: c.send_digits("12x E"), ("digits",), "12x E"),
    "send-digits-empty": (lambda: c.send_digits(""), ("digits",), ""),
    "volume-high": (lambda: c.play(MEDIA, volume=41), ("volume",), 41),
    "volume-low": (lambda: c.play_tts("t", volume=-40.5), ("volume",), -40.5),
    "volume-str": (lambda: c.play(MEDIA, volume=X or "3"), ("volume",), "3"),
    "volume-play-and-collect": (
        lambda: c.play_and_collect(MEDIA, COLLECT, volume=50),
        ("volume",),
        50,
    ),
    "action-volume-range": (lambda: c.action_volume("play", "ctl", 40.5), ("volume",), 40.5),
    "action-volume-none": (lambda: c.action_volume("play", "ctl", X), ("volume",), None),
    # media items the service judges
    "media-empty-list": (lambda: c.play([]), ("play",), []),
    "media-no-type": (lambda: c.play([{"params": {}}]), ("play", 0), {"params": {}}),
    "media-empty-type": (
        lambda: c.play([{"type": "", "params": {}}]),
        ("play", 0),
        {"type": "", "params": {}},
    ),
    "media-params-not-object": (
        lambda: c.play([{"type": "audio", "params": "u"}]),
        ("play", 0, "params"),
        "u",
    ),
    "media-tts-no-text": (
        lambda: c.play([{"type": "tts", "params": {"voice": "v"}}]),
        ("play", 0, "params"),
        {"voice": "v"},
    ),
    "play-tts-empty": (lambda: c.play_tts(""), ("play", 0, "params", "text"), ""),
    "play-silence-negative": (
        lambda: c.play_silence(-0.5),
        ("play", 0, "params", "duration"),
        -0.5,
    ),
    "play-loop-negative": (lambda: c.play(MEDIA, loop=-1), ("loop",), -1),
    "play-loop-float": (lambda: c.play(MEDIA, loop=X or 1.5), ("loop",), 1.5),
    "play-direction-int": (lambda: c.play(MEDIA, direction=X or 1), ("direction",), 1),
    "record-audio-list": (lambda: c.record(X or ["x"]), ("record", "audio"), ["x"]),
    # collect
    "collect-without-inputs": (lambda: c.collect(initial_timeout=4), ("initial_timeout",), 4),
    "collect-object-without-inputs": (
        lambda: c.play_and_collect(MEDIA, {"initial_timeout": 5}),
        ("collect",),
        {"initial_timeout": 5},
    ),
    "collect-digits-max-zero": (
        lambda: c.prompt_tts("t", {"digits": {"max": 0}}),
        ("collect", "digits", "max"),
        0,
    ),
    "collect-digits-max-str": (
        lambda: c.play_and_collect(MEDIA, {"digits": {"max": "4"}}),
        ("collect", "digits", "max"),
        "4",
    ),
    "collect-not-object": (
        lambda: c.play_and_collect(MEDIA, X or "digits"),
        ("collect",),
        "digits",
    ),
    "collect-speech-str": (lambda: c.collect(speech=X or "en-US"), ("speech",), "en-US"),
    "collect-flag-int": (
        lambda: c.collect(speech={}, start_input_timers=X or 1),
        ("start_input_timers",),
        1,
    ),
    "collect-negative-timeout": (
        lambda: c.collect(speech={}, initial_timeout=-1),
        ("initial_timeout",),
        -1,
    ),
    # detect
    "detect-unknown-type": (
        lambda: c.detect({"type": "human"}),
        ("detect",),
        {"type": "human"},
    ),
    "detect-type-case": (
        lambda: c.detect({"type": "Machine", "params": {}}),
        ("detect", "type"),
        "Machine",
    ),
    "detect-params-str": (
        lambda: c.detect({"type": "fax", "params": "CED"}),
        ("detect", "params"),
        "CED",
    ),
    "detect-negative-timeout": (lambda: c.detect({"type": "fax"}, timeout=-5), ("timeout",), -5),
    "amd-words-negative": (
        lambda: c.detect_answering_machine(machine_words_threshold=-1),
        ("detect", "params", "machine_words_threshold"),
        -1,
    ),
    # DTMF bindings, fax, tap, stream
    "bind-digit-empty": (lambda: c.bind_digit("", "calling.play"), ("digits",), ""),
    "bind-digit-triggers": (
        lambda: c.bind_digit("1", "m", max_triggers=-1),
        ("max_triggers",),
        -1,
    ),
    "send-fax-empty": (lambda: c.send_fax(""), ("document",), ""),
    "tap-no-params": (lambda: c.tap({"type": "audio"}, WS), ("tap",), {"type": "audio"}),
    "tap-device-str": (lambda: c.tap(TAP, X or "rtp"), ("device",), "rtp"),
    "stream-https": (
        lambda: c.stream("https://s.example.com/audio"),
        ("url",),
        "https://s.example.com/audio",
    ),
    "stream-empty-url": (lambda: c.stream(""), ("url",), ""),
    "stream-codec-int": (lambda: c.stream("wss://s", codec=X or 1), ("codec",), 1),
    # bridging
    "connect-max-duration-zero": (lambda: c.connect(DEVICES, max_duration=0), ("max_duration",), 0),
    "connect-price-negative": (
        lambda: c.connect(DEVICES, max_price_per_minute=-0.1),
        ("max_price_per_minute",),
        -0.1,
    ),
    "connect-tag-empty": (lambda: c.connect(DEVICES, tag=""), ("tag",), ""),
    "refer-device-no-params": (lambda: c.refer({"type": "sip"}), ("device",), {"type": "sip"}),
    # pay, transcription, AI
    "pay-bool-timeout": (lambda: c.pay("u", timeout=X or True), ("timeout",), True),
    "pay-parameters-dict": (
        lambda: c.pay("u", parameters=X or {"name": "a"}),
        ("parameters",),
        {"name": "a"},
    ),
    "live-transcribe-inject": (
        lambda: c.live_transcribe({"inject": {}}),
        ("action",),
        {"inject": {}},
    ),
    "live-translate-two-verbs": (
        lambda: c.live_translate({"start": {}, "stop": {}}),
        ("action",),
        {"start": {}, "stop": {}},
    ),
    "ai-prompt-str": (lambda: c.ai(prompt=X or "be nice"), ("prompt",), "be nice"),
    "ai-hints-str": (lambda: c.ai(hints=X or "SignalWire"), ("hints",), "SignalWire"),
    "bedrock-prompt-int": (lambda: c.amazon_bedrock(prompt=5), ("prompt",), 5),
    # conferences, rooms, queues, echo
    "conference-participants-high": (
        lambda: c.join_conference("n", max_participants=251),
        ("max_participants",),
        251,
    ),
    "conference-muted-int": (lambda: c.join_conference("n", muted=X or 1), ("muted",), 1),
    "conference-name-empty": (lambda: c.join_conference(""), ("name",), ""),
    "leave-conference-empty": (lambda: c.leave_conference(""), ("conference_id",), ""),
    "queue-name-empty": (lambda: c.queue_enter(""), ("queue_name",), ""),
    "echo-timeout-negative": (lambda: c.echo(timeout=-1), ("timeout",), -1),
    "echo-timeout-str": (lambda: c.echo(timeout=X or "5"), ("timeout",), "5"),
}


def _at(params: Any, path: Path) -> Any:
    for key in path:
        params = params[key]
    return params


@pytest.mark.parametrize(("build", "path", "value"), list(PASSES.values()), ids=list(PASSES))
def test_values_the_service_decides_on_are_sent_as_given(
    build: Callable[[], CallCommand], path: Path, value: Any
) -> None:
    sent = _at(build().params, path)
    assert sent == value
    assert type(sent) is type(value)


def test_message_values_other_than_the_requirement_are_sent_as_given() -> None:
    params = c.send_message_params(to_number="", from_number=X or 1, context="c", media=("u",))
    assert params == {"context": "c", "to_number": "", "from_number": 1, "media": ["u"]}


# ---------------------------------------------------------------- what the encoder refuses


@pytest.mark.parametrize("value", [math.nan, math.inf, {1, 2}, object()])
def test_values_json_cannot_represent_are_refused_when_encoded(value: object) -> None:
    # The builders pass them through; the connection refuses them before anything is
    # registered (tests/proto/test_commands_forms.py covers the connection side).
    from relay_proto._jsonrpc import encode_request

    command = c.play(MEDIA, volume=value)  # type: ignore[arg-type]
    with pytest.raises(InvalidCommandError, match=r"^cannot encode as JSON"):
        encode_request("1", command.method, command.params)


# ---------------------------------------------------------------- shapes that must still pass


def test_read_only_mappings_are_accepted_and_copied() -> None:
    frozen = types.MappingProxyType({"beep": True})
    command = c.record(frozen)
    assert command.params == {"record": {"audio": {"beep": True}}}
    assert type(command.params["record"]["audio"]) is dict


def test_open_objects_keep_unknown_keys() -> None:
    device = {"type": "phone", "params": {"to_number": "+2"}, "future": {"x": 1}}
    assert c.dial_params([[device]], tag="t")["devices"] == [[device]]
    collect = {"digits": {"max": 2, "new_key": 1}, "speech": {"model": "x"}, "unknown": True}
    assert c.play_and_collect(MEDIA, collect).params["collect"] == collect


def test_unknown_enumerations_pass() -> None:
    assert c.play(MEDIA, direction="sideways").params["direction"] == "sideways"
    assert c.stream("wss://s", track="future_track").params["track"] == "future_track"


# The ringtone names of the guide (spec 3.4).
_GUIDE = (
    "at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it lt jp mx my nl no nz ph pl pt ru "
    "se sg th uk us tw ve za"
)
RINGTONES = _GUIDE.split()


@pytest.mark.parametrize("name", RINGTONES)
def test_every_ringtone_name_of_the_guide_is_sent(name: str) -> None:
    item = {"type": "ringtone", "params": {"name": name}}
    assert c.play_ringtone(name).params["play"] == [item]
    assert c.play([item]).params["play"] == [item]
    assert c.connect(DEVICES, ringback=[item]).params["ringback"] == [item]


# ---------------------------------------------------------------- properties

# Same examples on every run, and nothing written to disk.
_DETERMINISTIC = settings(derandomize=True, database=None)


@_DETERMINISTIC
@given(st.text(min_size=0))
def test_send_digits_sends_any_string(digits: str) -> None:
    assert c.send_digits(digits).params == {"digits": digits}


@_DETERMINISTIC
@given(st.one_of(st.integers(), st.floats(allow_nan=False)))
def test_any_finite_volume_is_sent(volume: float) -> None:
    assert c.play(MEDIA, volume=volume).params["volume"] == volume
    assert c.action_volume("play_and_collect", "ctl", volume).params == {"volume": volume}


@_DETERMINISTIC
@given(st.text())
def test_any_hangup_reason_is_sent(reason: str) -> None:
    assert c.hangup(reason).params == {"reason": reason}


def test_messages_name_the_argument() -> None:
    # Spot-check the shape used everywhere: "<argument path> <problem>".
    with pytest.raises(InvalidCommandError) as info:
        c.connect([[PHONE], [PHONE, {"type": "sip", "params": []}]])
    assert re.fullmatch(
        r"devices\[1\]\[1\]\.params must be an object \(dict\), got list", str(info.value)
    )
