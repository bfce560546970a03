"""Local validation in relay_proto.commands: every bad argument raises InvalidCommandError
with a message that names the argument and the problem; good edge values pass."""

from __future__ import annotations

import math
import re
import types
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay_proto import InvalidCommandError
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

ERRORS: dict[str, tuple[Callable[[], object], str]] = {
    # ------------------------------------------------------------ scalars
    "required-str-none": (lambda: c.transfer(X), r"^dest must be a non-empty string, got NoneType"),
    "required-str-empty": (lambda: c.transfer(""), r"^dest must not be empty"),
    "required-str-int": (lambda: c.join_room(X or 5), r"^name must be a non-empty string, got int"),
    "optional-str-int": (
        lambda: c.send_fax("d", identity=X or 7),
        r"^identity must be a string, got int",
    ),
    "optional-bool-int": (lambda: c.join_conference("n", muted=X or 1), r"^muted must be a bool"),
    "optional-bool-str": (
        lambda: c.collect(digits=COLLECT["digits"], partial_results=X or "true"),
        r"^partial_results must be a bool, got str",
    ),
    "number-bool": (
        lambda: c.detect_fax(timeout=X or True),
        r"^timeout must be a number, got bool",
    ),
    "number-str": (lambda: c.echo(timeout=X or "5"), r"^timeout must be a number, got str"),
    "number-nan": (lambda: c.detect_fax(timeout=math.nan), r"^timeout must be a finite number"),
    "number-inf": (lambda: c.echo(timeout=math.inf), r"^timeout must be a finite number"),
    "number-negative": (lambda: c.echo(timeout=-1), r"^timeout must be at least 0, got -1"),
    "int-bool": (lambda: c.play(MEDIA, loop=X or True), r"^loop must be an integer, got bool"),
    "int-float": (lambda: c.play(MEDIA, loop=X or 1.5), r"^loop must be an integer, got float"),
    "int-negative": (lambda: c.play(MEDIA, loop=-1), r"^loop must be at least 0, got -1"),
    "scalar-bool-not-allowed": (
        lambda: c.pay("u", timeout=X or True),
        r"^timeout must not be a bool \(expected str or int\)",
    ),
    "scalar-wrong-type": (
        lambda: c.pay("u", max_attempts=X or 1.5),
        r"^max_attempts must be str or int, got float",
    ),
    "scalar-nan": (
        lambda: c.pay("u", charge_amount=X or math.nan),
        r"^charge_amount must be a finite",
    ),
    "scalar-list": (
        lambda: c.pay("u", security_code=X or ["x"]),
        r"^security_code must be str or bool, got list",
    ),
    "ai_hold-timeout-bool": (lambda: c.ai_hold(timeout=X or True), r"^timeout must not be a bool"),
    "beep-int": (
        lambda: c.join_conference("n", beep=X or 1),
        r"^beep must be str or bool, got int",
    ),
    # ------------------------------------------------------------ volume
    "volume-high": (
        lambda: c.play(MEDIA, volume=41),
        r"^volume must be between -40 and 40 dB, got 41",
    ),
    "volume-low": (lambda: c.play_tts("t", volume=-40.5), r"^volume must be between -40 and 40 dB"),
    "volume-bool": (lambda: c.play_audio("u", volume=X or True), r"^volume must be a number"),
    "volume-nan": (lambda: c.play_ringtone("us", volume=math.nan), r"^volume must be a finite"),
    "volume-pc": (
        lambda: c.play_and_collect(MEDIA, COLLECT, volume=50),
        r"^volume must be between",
    ),
    "volume-prompt-tts": (
        lambda: c.prompt_tts("t", COLLECT, volume=-41),
        r"^volume must be between",
    ),
    "volume-prompt-audio": (lambda: c.prompt_audio("u", COLLECT, volume=99), r"^volume must be"),
    "volume-str": (lambda: c.play(MEDIA, volume=X or "3"), r"^volume must be a number, got str"),
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
    # ------------------------------------------------------------ media
    "media-not-list": (
        lambda: c.play(X or MEDIA[0]),
        r"^media must be a list of media items, got dict",
    ),
    "media-empty": (lambda: c.play([]), r"^media must contain at least one media item"),
    "media-item-not-object": (
        lambda: c.play(X or ["x"]),
        r"^media\[0\] must be an object \(dict\)",
    ),
    "media-item-no-type": (lambda: c.play([{"params": {}}]), r"^media\[0\] must have a 'type'"),
    "media-item-flat": (
        lambda: c.play([{"type": "tts", "text": "hi"}]),
        r"^media\[0\] must have 'params'",
    ),
    "media-item-empty-type": (
        lambda: c.play([{"type": "", "params": {}}]),
        r"^media\[0\]\.type must not be empty",
    ),
    "media-item-params-not-object": (
        lambda: c.play([MEDIA[0], {"type": "audio", "params": "u"}]),
        r"^media\[1\]\.params must be an object",
    ),
    "media-tts-no-text": (
        lambda: c.play([{"type": "tts", "params": {"voice": "v"}}]),
        r"^media\[0\]\.params of a 'tts' item must have 'text'",
    ),
    "media-audio-empty-url": (
        lambda: c.play([{"type": "audio", "params": {"url": ""}}]),
        r"^media\[0\]\.params\.url must not be empty",
    ),
    "media-silence-negative": (
        lambda: c.play([{"type": "silence", "params": {"duration": -1}}]),
        r"^media\[0\]\.params\.duration must be at least 0",
    ),
    "media-ringtone-no-name": (
        lambda: c.play([{"type": "ringtone", "params": {}}]),
        r"^media\[0\]\.params of a 'ringtone' item must have 'name'",
    ),
    "ringback-empty": (lambda: c.connect(DEVICES, ringback=[]), r"^ringback must contain at least"),
    "play_tts-empty": (lambda: c.play_tts(""), r"^text must not be empty"),
    "play_tts-language": (lambda: c.play_tts("t", language=X or 1), r"^language must be a string"),
    "play_audio-empty": (lambda: c.play_audio(""), r"^url must not be empty"),
    "play_silence-negative": (lambda: c.play_silence(-0.5), r"^duration must be at least 0"),
    "play_silence-none": (lambda: c.play_silence(X), r"^duration must be a number, got NoneType"),
    "play_ringtone-empty": (lambda: c.play_ringtone(""), r"^name must not be empty"),
    "play_ringtone-unknown": (
        lambda: c.play_ringtone("xx"),
        r"^name must be one of the ringtone names \(at, au, be, bg, br, .*, za\); got 'xx'",
    ),
    "play_ringtone-case": (lambda: c.play_ringtone("US"), r"^name must be one of the ringtone"),
    "play_ringtone-int": (lambda: c.play_ringtone(X or 1), r"^name must be a non-empty string"),
    "media-ringtone-unknown": (
        lambda: c.play([MEDIA[0], {"type": "ringtone", "params": {"name": "xx"}}]),
        r"^media\[1\]\.params\.name must be one of the ringtone names \(at, .*\); got 'xx'",
    ),
    "ringback-ringtone-unknown": (
        lambda: c.connect(DEVICES, ringback=[{"type": "ringtone", "params": {"name": "uk "}}]),
        r"^ringback\[0\]\.params\.name must be one of the ringtone names",
    ),
    "prompt-ringtone-unknown": (
        lambda: c.play_and_collect([{"type": "ringtone", "params": {"name": "gb"}}], COLLECT),
        r"^media\[0\]\.params\.name must be one of the ringtone names",
    ),
    "play_ringtone-duration": (
        lambda: c.play_ringtone("us", duration=-1),
        r"^duration must be at least 0",
    ),
    "play-direction-int": (lambda: c.play(MEDIA, direction=X or 1), r"^direction must be a string"),
    "record-audio-list": (
        lambda: c.record(X or ["x"]),
        r"^audio must be an object \(dict\), got list",
    ),
    # ------------------------------------------------------------ collect
    "collect-not-object": (
        lambda: c.play_and_collect(MEDIA, X or "digits"),
        r"^collect must be an object",
    ),
    "collect-neither": (
        lambda: c.play_and_collect(MEDIA, {"initial_timeout": 5}),
        r"^collect\.digits/collect\.speech at least one of them must be given",
    ),
    "collect-digits-no-max": (
        lambda: c.play_and_collect(MEDIA, {"digits": {"terminators": "#"}}),
        r"^collect\.digits must have 'max'",
    ),
    "collect-digits-max-zero": (
        lambda: c.prompt_tts("t", {"digits": {"max": 0}}),
        r"^collect\.digits\.max must be at least 1, got 0",
    ),
    "collect-digits-max-bool": (
        lambda: c.prompt_audio("u", {"digits": {"max": True}}),
        r"^collect\.digits\.max must be an integer, got bool",
    ),
    "collect-digits-max-str": (
        lambda: c.play_and_collect(MEDIA, {"digits": {"max": "4"}}),
        r"^collect\.digits\.max must be an integer, got str",
    ),
    "collect-digits-not-object": (
        lambda: c.play_and_collect(MEDIA, {"digits": 4}),
        r"^collect\.digits must be an object",
    ),
    "collect-terminators-int": (
        lambda: c.play_and_collect(MEDIA, {"digits": {"max": 1, "terminators": 5}}),
        r"^collect\.digits\.terminators must be a string",
    ),
    "collect-digit-timeout": (
        lambda: c.play_and_collect(MEDIA, {"digits": {"max": 1, "digit_timeout": -1}}),
        r"^collect\.digits\.digit_timeout must be at least 0",
    ),
    "collect-speech-not-object": (
        lambda: c.play_and_collect(MEDIA, {"speech": True}),
        r"^collect\.speech must be an object",
    ),
    "collect-initial-timeout": (
        lambda: c.play_and_collect(MEDIA, {"speech": {}, "initial_timeout": "4"}),
        r"^collect\.initial_timeout must be a number",
    ),
    "standalone-collect-neither": (
        lambda: c.collect(initial_timeout=4),
        r"^digits/speech at least one of them must be given",
    ),
    "standalone-collect-digits": (
        lambda: c.collect(digits={"max": -2}),
        r"^digits\.max must be at least 1",
    ),
    "standalone-collect-speech": (
        lambda: c.collect(speech=X or "en-US"),
        r"^speech must be an object",
    ),
    "standalone-collect-timeout": (
        lambda: c.collect(speech={}, initial_timeout=-1),
        r"^initial_timeout must be at least 0",
    ),
    "standalone-collect-flag": (
        lambda: c.collect(speech={}, start_input_timers=X or 0),
        r"^start_input_timers must be a bool",
    ),
    # ------------------------------------------------------------ detect
    "detect-not-object": (lambda: c.detect(X or "machine"), r"^detect must be an object"),
    "detect-no-type": (
        lambda: c.detect({"params": {}}),
        r"^detect\.type must be a non-empty string",
    ),
    "detect-empty-type": (lambda: c.detect({"type": ""}), r"^detect\.type must not be empty"),
    "detect-unknown-type": (
        lambda: c.detect({"type": "human"}),
        r"^detect\.type must be one of digit, fax, machine; got 'human'",
    ),
    "detect-type-case": (
        lambda: c.detect({"type": "Machine", "params": {}}),
        r"^detect\.type must be one of digit, fax, machine; got 'Machine'",
    ),
    "detect-params": (
        lambda: c.detect({"type": "fax", "params": "CED"}),
        r"^detect\.params must be an object",
    ),
    "detect-timeout": (
        lambda: c.detect({"type": "fax"}, timeout=-5),
        r"^timeout must be at least 0",
    ),
    "detect_digit-empty": (lambda: c.detect_digit(digits=""), r"^digits must not be empty"),
    "detect_fax-tone": (lambda: c.detect_fax(tone=X or 1), r"^tone must be a non-empty string"),
    "amd-initial-timeout": (
        lambda: c.detect_answering_machine(initial_timeout=X or "4"),
        r"^initial_timeout must be a number",
    ),
    "amd-words": (
        lambda: c.detect_answering_machine(machine_words_threshold=-1),
        r"^machine_words_threshold must be at least 0",
    ),
    "amd-flag": (
        lambda: c.detect_answering_machine(detect_message_end=X or "yes"),
        r"^detect_message_end must be a bool",
    ),
    # ------------------------------------------------------------ DTMF
    "send_digits-empty": (lambda: c.send_digits(""), r"^digits must not be empty"),
    "send_digits-none": (lambda: c.send_digits(X), r"^digits must be a non-empty string"),
    "send_digits-bad-chars": (
        lambda: c.send_digits("12x E"),
        r"^digits may only contain 0-9, #, \*, A-D, w and W; got ' Ex'",
    ),
    "send_digits-lowercase": (lambda: c.send_digits("a"), r"^digits may only contain"),
    "bind_digit-digits": (lambda: c.bind_digit("", "calling.play"), r"^digits must not be empty"),
    "bind_digit-method": (lambda: c.bind_digit("1", ""), r"^bind_method must not be empty"),
    "bind_digit-params": (
        lambda: c.bind_digit("1", "calling.play", bind_params=X or []),
        r"^bind_params must be an object",
    ),
    "bind_digit-triggers": (
        lambda: c.bind_digit("1", "m", max_triggers=-1),
        r"^max_triggers must be at least 0",
    ),
    "clear_digit_bindings-realm": (
        lambda: c.clear_digit_bindings(realm=X or 1),
        r"^realm must be a string",
    ),
    # ------------------------------------------------------------ fax, tap, stream
    "send_fax-document": (lambda: c.send_fax(""), r"^document must not be empty"),
    "send_fax-header": (
        lambda: c.send_fax("d", header_info=X or 1),
        r"^header_info must be a string",
    ),
    "tap-no-params": (lambda: c.tap({"type": "audio"}, WS), r"^tap must have 'params'"),
    "tap-device-no-type": (
        lambda: c.tap(TAP, {"params": {}}),
        r"^device must have a 'type'",
    ),
    "tap-device-not-object": (lambda: c.tap(TAP, X or "rtp"), r"^device must be an object"),
    "stream-url": (lambda: c.stream(""), r"^url must not be empty"),
    "stream-url-https": (
        lambda: c.stream("https://s.example.com/audio"),
        r"^url must be a WebSocket URL \(starting with wss:// or ws://\)$",
    ),
    "stream-url-no-scheme": (
        lambda: c.stream("s.example.com"),
        r"^url must be a WebSocket URL",
    ),
    "stream-url-scheme-only-prefix": (
        lambda: c.stream("wss:/s.example.com"),
        r"^url must be a WebSocket URL",
    ),
    "stream-url-int": (lambda: c.stream(X or 5), r"^url must be a non-empty string, got int"),
    "stream-codec": (lambda: c.stream("wss://s", codec=X or 1), r"^codec must be a string"),
    "stream-custom": (
        lambda: c.stream("wss://s", custom_parameters=X or [("a", "b")]),
        r"^custom_parameters must be an object",
    ),
    # ------------------------------------------------------------ lifecycle and bridging
    "hangup-reason": (
        lambda: c.hangup("bye"),
        r"^reason must be one of busy, cancel, decline, error, hangup, noAnswer; got 'bye'",
    ),
    "hangup-reason-case": (lambda: c.hangup("noanswer"), r"^reason must be one of"),
    "hangup-reason-list": (lambda: c.hangup(X or ["hangup"]), r"^reason must be one of"),
    "hangup-reason-none": (lambda: c.hangup(X), r"^reason must be one of .*; got None"),
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
    "connect-device-type-int": (
        lambda: c.connect([[{"type": 1, "params": {}}]]),
        r"^devices\[0\]\[0\]\.type must be a non-empty string, got int",
    ),
    "connect-tag": (lambda: c.connect(DEVICES, tag=""), r"^tag must not be empty"),
    "connect-max-duration": (
        lambda: c.connect(DEVICES, max_duration=0),
        r"^max_duration must be at least 1",
    ),
    "connect-price": (
        lambda: c.connect(DEVICES, max_price_per_minute=-0.1),
        r"^max_price_per_minute must be at least 0",
    ),
    "connect-status-url": (
        lambda: c.connect(DEVICES, status_url=X or 1),
        r"^status_url must be a string",
    ),
    "refer-device": (lambda: c.refer({"type": "sip"}), r"^device must have 'params'"),
    "refer-status-url": (lambda: c.refer(WS, status_url=X or 1), r"^status_url must be a string"),
    # ------------------------------------------------------------ pay, transcription, AI
    "pay-url": (lambda: c.pay(""), r"^payment_connector_url must not be empty"),
    "pay-input": (lambda: c.pay("u", input_method=X or 1), r"^input_method must be a string"),
    "pay-parameters-not-list": (
        lambda: c.pay("u", parameters=X or {"name": "a"}),
        r"^parameters must be a list, got dict",
    ),
    "pay-parameters-item": (
        lambda: c.pay("u", parameters=X or ["a=b"]),
        r"^parameters\[0\] must be an object",
    ),
    "pay-prompts-item": (
        lambda: c.pay("u", prompts=X or [None]),
        r"^prompts\[0\] must be an object",
    ),
    "transcribe-status-url": (
        lambda: c.transcribe(status_url=X or 1),
        r"^status_url must be a string",
    ),
    "live_transcribe-not-object": (
        lambda: c.live_transcribe(X or "start"),
        r"^action must be an object",
    ),
    "live_transcribe-empty": (
        lambda: c.live_transcribe({}),
        r"^action must have exactly one key, one of start, stop, summarize; got \[\]",
    ),
    "live_transcribe-two-keys": (
        lambda: c.live_transcribe({"start": {}, "stop": {}}),
        r"^action must have exactly one key",
    ),
    "live_transcribe-inject": (
        lambda: c.live_transcribe({"inject": {}}),
        r"^action must have exactly one key, one of start, stop, summarize; got \['inject'\]",
    ),
    "live_transcribe-value": (
        lambda: c.live_transcribe({"start": "en-US"}),
        r"^action\.start must be an object",
    ),
    "live_translate-verb": (
        lambda: c.live_translate({"pause": {}}),
        r"^action must have exactly one key, one of start, stop, summarize, inject",
    ),
    "live_translate-status-url": (
        lambda: c.live_translate({"stop": {}}, status_url=X or 1),
        r"^status_url must be a string",
    ),
    "ai-prompt-str": (lambda: c.ai(prompt=X or "be nice"), r"^prompt must be an object"),
    "ai-agent": (lambda: c.ai(agent=X or 1), r"^agent must be a string"),
    "ai-hints-item": (lambda: c.ai(hints=X or ["a", 1]), r"^hints\[1\] must be a string, got int"),
    "ai-hints-none-item": (lambda: c.ai(hints=X or [None]), r"^hints\[0\] must be a string"),
    "ai-hints-str": (lambda: c.ai(hints=X or "SignalWire"), r"^hints must be a list, got str"),
    "ai-pronounce": (lambda: c.ai(pronounce=X or [1]), r"^pronounce\[0\] must be an object"),
    "ai-params": (lambda: c.ai(ai_params=X or []), r"^ai_params must be an object"),
    "ai-swaig": (lambda: c.ai(SWAIG=X or "x"), r"^SWAIG must be an object"),
    "bedrock-prompt-int": (lambda: c.amazon_bedrock(prompt=5), r"^prompt must be an object"),
    "bedrock-params": (lambda: c.amazon_bedrock(ai_params=X or 1), r"^ai_params must be an object"),
    "ai_message-reset": (lambda: c.ai_message(reset=X or True), r"^reset must be an object"),
    "ai_message-role": (lambda: c.ai_message(role=X or 1), r"^role must be a string"),
    "ai_unhold-prompt": (lambda: c.ai_unhold(prompt=X or {}), r"^prompt must be a string"),
    # ------------------------------------------------------------ conferences, rooms, queues
    "join_conference-name": (lambda: c.join_conference(""), r"^name must not be empty"),
    "join_conference-participants": (
        lambda: c.join_conference("n", max_participants=0),
        r"^max_participants must be at least 1",
    ),
    "join_conference-participants-high": (
        lambda: c.join_conference("n", max_participants=251),
        r"^max_participants must be at most 250, got 251",
    ),
    "join_conference-participants-negative": (
        lambda: c.join_conference("n", max_participants=-3),
        r"^max_participants must be at least 1, got -3",
    ),
    "join_conference-participants-float": (
        lambda: c.join_conference("n", max_participants=X or 10.0),
        r"^max_participants must be an integer, got float",
    ),
    "join_conference-participants-bool": (
        lambda: c.join_conference("n", max_participants=X or True),
        r"^max_participants must be an integer, got bool",
    ),
    "join_conference-stream": (
        lambda: c.join_conference("n", stream_obj=X or "wss://s"),
        r"^stream_obj must be an object",
    ),
    "join_conference-record": (
        lambda: c.join_conference("n", record=X or True),
        r"^record must be a string",
    ),
    "join_conference-status-callback": (
        lambda: c.join_conference("n", recording_status_callback_method=X or 1),
        r"^recording_status_callback_method must be a string",
    ),
    "leave_conference-id": (lambda: c.leave_conference(""), r"^conference_id must not be empty"),
    "join_room-name": (lambda: c.join_room(X), r"^name must be a non-empty string"),
    "join_room-status-url": (lambda: c.join_room("r", status_url=X or 1), r"^status_url must be"),
    "leave_room-extra": (lambda: c.leave_room(call_id="x"), r"^call_id is filled in"),
    "queue_enter-name": (lambda: c.queue_enter(""), r"^queue_name must not be empty"),
    "queue_leave-name": (lambda: c.queue_leave(X), r"^queue_name must be a non-empty string"),
    "queue_leave-id": (lambda: c.queue_leave("q", queue_id=X or 1), r"^queue_id must be a string"),
    "echo-status-url": (lambda: c.echo(status_url=X or 1), r"^status_url must be a string"),
    "user_event-extra": (lambda: c.user_event(node_id="n"), r"^node_id is filled in"),
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
    "pause-behavior": (
        lambda: c.action_pause("record", "ctl", behavior=X or 1),
        r"^behavior must be a string",
    ),
    "resume-tap": (lambda: c.action_resume("tap", "ctl"), r"^kind 'tap' actions have no 'resume'"),
    "volume-record": (
        lambda: c.action_volume("record", "ctl", 1),
        r"^kind 'record' actions have no 'volume' \(only play, play_and_collect\)",
    ),
    "volume-none": (lambda: c.action_volume("play", "ctl", X), r"^volume is required"),
    "volume-range": (lambda: c.action_volume("play", "ctl", 40.5), r"^volume must be between"),
    "action-volume-bool": (
        lambda: c.action_volume("play", "ctl", X or True),
        r"^volume must be a number",
    ),
    "start-input-timers": (
        lambda: c.action_start_input_timers(""),
        r"^control_id must not be empty",
    ),
    # ------------------------------------------------------------ dial, message, contexts
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
    "dial-max-duration-negative": (
        lambda: c.dial_params(DEVICES, tag="t", max_duration=-1),
        r"^max_duration must be at least 0",
    ),
    "dial-max-duration-float": (
        lambda: c.dial_params(DEVICES, tag="t", max_duration=X or 1.5),
        r"^max_duration must be an integer, got float",
    ),
    "message-neither": (
        lambda: c.send_message_params(**MSG),
        r"^body or media is required",
    ),
    "message-both-empty": (
        lambda: c.send_message_params(**MSG, body="", media=[]),
        r"^body or media is required",
    ),
    "message-to-empty": (
        lambda: c.send_message_params(to_number="", from_number="+1", context="c", body="b"),
        r"^to_number must not be empty",
    ),
    "message-from-none": (
        lambda: c.send_message_params(to_number="+2", from_number=X, context="c", body="b"),
        r"^from_number must be a non-empty string",
    ),
    "message-context-empty": (
        lambda: c.send_message_params(to_number="+2", from_number="+1", context="", body="b"),
        r"^context must not be empty",
    ),
    "message-body-int": (
        lambda: c.send_message_params(**MSG, body=X or 5),
        r"^body must be a string, got int",
    ),
    "message-media-str": (
        lambda: c.send_message_params(**MSG, media=X or "https://m.example.com/a.png"),
        r"^media must be a list, got str",
    ),
    "message-media-empty-item": (
        lambda: c.send_message_params(**MSG, media=[""]),
        r"^media\[0\] must not be empty",
    ),
    "message-tags-str": (
        lambda: c.send_message_params(**MSG, body="b", tags=X or "vip"),
        r"^tags must be a list, got str",
    ),
    "message-tags-item": (
        lambda: c.send_message_params(**MSG, body="b", tags=X or [1]),
        r"^tags\[0\] must be a string, got int",
    ),
    "message-region": (
        lambda: c.send_message_params(**MSG, body="b", region=X or 1),
        r"^region must be a string",
    ),
    "contexts-str": (
        lambda: c.context_params("office"),
        r"^contexts must be a list of context names, got str",
    ),
    "contexts-int": (
        lambda: c.context_params(X or 5),
        r"^contexts must be a list of context names",
    ),
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
def test_invalid_arguments(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidCommandError, match=message):
        build()


# ---------------------------------------------------------------- what must still pass


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
    # Values the server may add later are not refused (open vocabularies).
    assert c.play(MEDIA, direction="sideways").params["direction"] == "sideways"
    assert c.stream("wss://s", track="future_track").params["track"] == "future_track"


# The ringtone names of the guide (spec 3.4): a closed list.
_GUIDE = (
    "at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it lt jp mx my nl no nz ph pl pt ru "
    "se sg th uk us tw ve za"
)
RINGTONES = _GUIDE.split()


@pytest.mark.parametrize("name", RINGTONES)
def test_every_ringtone_name_of_the_guide_is_accepted(name: str) -> None:
    item = {"type": "ringtone", "params": {"name": name}}
    assert c.play_ringtone(name).params["play"] == [item]
    assert c.play([item]).params["play"] == [item]
    assert c.connect(DEVICES, ringback=[item]).params["ringback"] == [item]


@pytest.mark.parametrize("kind", ["machine", "fax", "digit"])
def test_every_detect_type_is_accepted(kind: str) -> None:
    assert c.detect({"type": kind}).params["detect"] == {"type": kind}


@pytest.mark.parametrize(
    "url", ["wss://s.example.com/a", "ws://10.0.0.1:8080", "WSS://S.EXAMPLE.COM", "Ws://h"]
)
def test_stream_accepts_websocket_urls_in_any_case(url: str) -> None:
    assert c.stream(url).params["url"] == url


@pytest.mark.parametrize("count", [1, 2, 250])
def test_max_participants_in_range_is_sent(count: int) -> None:
    assert c.join_conference("n", max_participants=count).params["max_participants"] == count


# ---------------------------------------------------------------- properties

_DTMF = "0123456789#*ABCDwW"
# Same examples on every run, and nothing written to disk.
_DETERMINISTIC = settings(derandomize=True, database=None)


@_DETERMINISTIC
@given(st.text(alphabet=_DTMF, min_size=1))
def test_send_digits_accepts_every_dtmf_string(digits: str) -> None:
    assert c.send_digits(digits).params == {"digits": digits}


@_DETERMINISTIC
@given(st.text(min_size=1).filter(lambda s: any(ch not in _DTMF for ch in s)))
def test_send_digits_refuses_any_other_character(digits: str) -> None:
    with pytest.raises(InvalidCommandError, match=r"^digits may only contain"):
        c.send_digits(digits)


@_DETERMINISTIC
@given(st.one_of(st.integers(-40, 40), st.floats(-40, 40)))
def test_volume_in_range_is_sent(volume: float) -> None:
    assert c.play(MEDIA, volume=volume).params["volume"] == volume
    assert c.action_volume("play_and_collect", "ctl", volume).params == {"volume": volume}


@_DETERMINISTIC
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).filter(
            lambda v: not (-40 <= v <= 40)  # also true for NaN
        ),
        st.integers().filter(lambda v: not -40 <= v <= 40),
    )
)
def test_volume_out_of_range_is_refused(volume: float) -> None:
    with pytest.raises(InvalidCommandError, match=r"^volume must be"):
        c.play(MEDIA, volume=volume)


def test_messages_name_the_argument() -> None:
    # Spot-check the shape used everywhere: "<argument path> <problem>".
    with pytest.raises(InvalidCommandError) as info:
        c.connect([[PHONE], [PHONE, {"type": "sip", "params": []}]])
    assert re.fullmatch(
        r"devices\[1\]\[1\]\.params must be an object \(dict\), got list", str(info.value)
    )
