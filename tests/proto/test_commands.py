"""Frames built by relay_proto.commands: one table row per builder and optional-key variant.

Each row asserts the whole CallCommand (method, params, action, uses_control_id, control_id),
so a missing, extra or renamed key fails. Expected values are written out from the wire
reference (sections 3.3-3.5, 4.1, 5.1, 8.2, 8.3), not computed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from relay_proto import CallCommand, InvalidCommandError, LocalProtocolError
from relay_proto import commands as c

MEDIA = [
    {"type": "tts", "params": {"text": "Hello"}},
    {"type": "audio", "params": {"url": "https://media.example.com/a.wav"}},
]
RINGBACK = [{"type": "ringtone", "params": {"name": "us", "duration": 10}}]
COLLECT = {"digits": {"max": 4, "terminators": "#", "digit_timeout": 5.0}, "initial_timeout": 4.0}
PHONE = {"type": "phone", "params": {"from_number": "+15551230001", "to_number": "+15551230002"}}
DEVICES = [[PHONE]]
SIP = {"type": "sip", "params": {"to": "sip:bob@example.com"}}
TAP = {"type": "audio", "params": {"direction": "both"}}
RTP = {"type": "rtp", "params": {"addr": "192.0.2.10", "port": 4000}}
URL = "https://media.example.com/a.wav"


def cmd(
    method: str,
    params: dict[str, Any] | None = None,
    *,
    action: str | None = None,
    uses: bool = False,
    cid: str | None = None,
) -> CallCommand:
    return CallCommand(
        method=method, params=params or {}, action=action, uses_control_id=uses, control_id=cid
    )


def act(kind: str, params: dict[str, Any], cid: str | None = None) -> CallCommand:
    return cmd(f"calling.{kind}", params, action=kind, uses=True, cid=cid)


Case = tuple[Callable[[], CallCommand], CallCommand]

CASES: dict[str, Case] = {
    # ------------------------------------------------------------ A. lifecycle
    "answer": (c.answer, cmd("calling.answer")),
    "answer-kwargs": (
        lambda: c.answer(max_duration=60, codecs=["PCMU", "OPUS"]),
        cmd("calling.answer", {"max_duration": 60, "codecs": ["PCMU", "OPUS"]}),
    ),
    "answer-control-id-kwarg": (
        lambda: c.answer(control_id="ctl-1"),
        cmd("calling.answer", uses=True, cid="ctl-1"),
    ),
    "answer-control-id-kwarg-none": (
        lambda: c.answer(control_id=None),
        cmd("calling.answer"),
    ),
    "hangup": (c.hangup, cmd("calling.end", {"reason": "hangup"})),
    "hangup-busy": (lambda: c.hangup("busy"), cmd("calling.end", {"reason": "busy"})),
    "hangup-noAnswer": (
        lambda: c.hangup(reason="noAnswer"),
        cmd("calling.end", {"reason": "noAnswer"}),
    ),
    "pass": (c.pass_, cmd("calling.pass")),
    "transfer": (
        lambda: c.transfer("context:support"),
        cmd("calling.transfer", {"dest": "context:support"}),
    ),
    "transfer-kwargs": (
        lambda: c.transfer("https://swml.example.com", extra=1),
        cmd("calling.transfer", {"dest": "https://swml.example.com", "extra": 1}),
    ),
    # ------------------------------------------------------------ B. bridging, refer, hold
    "connect": (lambda: c.connect(DEVICES), cmd("calling.connect", {"devices": DEVICES})),
    "connect-tuple-devices": (
        lambda: c.connect(((PHONE, SIP),)),
        cmd("calling.connect", {"devices": [[PHONE, SIP]]}),
    ),
    "connect-full": (
        lambda: c.connect(
            [[PHONE], [SIP]],
            ringback=RINGBACK,
            tag="leg-tag",
            max_duration=30,
            max_price_per_minute=0.25,
            status_url="https://hooks.example.com/connect",
            region="us",
        ),
        cmd(
            "calling.connect",
            {
                "devices": [[PHONE], [SIP]],
                "ringback": RINGBACK,
                "tag": "leg-tag",
                "max_duration": 30,
                "max_price_per_minute": 0.25,
                "status_url": "https://hooks.example.com/connect",
                "region": "us",
            },
        ),
    ),
    "disconnect": (c.disconnect, cmd("calling.disconnect")),
    "refer": (lambda: c.refer(SIP), cmd("calling.refer", {"device": SIP})),
    "refer-full": (
        lambda: c.refer(SIP, status_url="https://h.example.com", x=True),
        cmd("calling.refer", {"device": SIP, "status_url": "https://h.example.com", "x": True}),
    ),
    "hold": (c.hold, cmd("calling.hold")),
    "unhold": (c.unhold, cmd("calling.unhold")),
    # ------------------------------------------------------------ C. playback
    "play": (lambda: c.play(MEDIA), act("play", {"play": MEDIA})),
    "play-full": (
        lambda: c.play(
            MEDIA,
            volume=-3.0,
            direction="both",
            loop=0,
            control_id="ctl-play",
            status_url="https://h.example.com",
        ),
        act(
            "play",
            {
                "play": MEDIA,
                "volume": -3.0,
                "direction": "both",
                "loop": 0,
                "status_url": "https://h.example.com",
            },
            "ctl-play",
        ),
    ),
    "play-volume-bounds": (
        lambda: c.play(MEDIA, volume=40),
        act("play", {"play": MEDIA, "volume": 40}),
    ),
    "play-kwargs-override": (
        lambda: c.play(MEDIA, play=RINGBACK),
        act("play", {"play": RINGBACK}),
    ),
    "play-open-media-type": (
        lambda: c.play([{"type": "future", "params": {"x": 2}}]),
        act("play", {"play": [{"type": "future", "params": {"x": 2}}]}),
    ),
    "play-mixed-item-merged": (
        lambda: c.play([{"type": "future", "params": {"x": 2}, "extra": 1}]),
        act("play", {"play": [{"type": "future", "params": {"x": 2, "extra": 1}}]}),
    ),
    "play_tts": (
        lambda: c.play_tts("Hello"),
        act("play", {"play": [{"type": "tts", "params": {"text": "Hello"}}]}),
    ),
    "play_tts-full": (
        lambda: c.play_tts("Hola", language="es-ES", gender="female", voice="v1", volume=-40),
        act(
            "play",
            {
                "play": [
                    {
                        "type": "tts",
                        "params": {
                            "text": "Hola",
                            "language": "es-ES",
                            "gender": "female",
                            "voice": "v1",
                        },
                    }
                ],
                "volume": -40,
            },
        ),
    ),
    "play_audio": (
        lambda: c.play_audio(URL),
        act("play", {"play": [{"type": "audio", "params": {"url": URL}}]}),
    ),
    "play_audio-volume": (
        lambda: c.play_audio(URL, volume=6),
        act("play", {"play": [{"type": "audio", "params": {"url": URL}}], "volume": 6}),
    ),
    "play_silence": (
        lambda: c.play_silence(2.5),
        act("play", {"play": [{"type": "silence", "params": {"duration": 2.5}}]}),
    ),
    "play_ringtone": (
        lambda: c.play_ringtone("us"),
        act("play", {"play": [{"type": "ringtone", "params": {"name": "us"}}]}),
    ),
    "play_ringtone-full": (
        lambda: c.play_ringtone("uk", duration=10, volume=1.5),
        act(
            "play",
            {
                "play": [{"type": "ringtone", "params": {"name": "uk", "duration": 10}}],
                "volume": 1.5,
            },
        ),
    ),
    # ------------------------------------------------------------ D. recording
    "record": (c.record, act("record", {"record": {"audio": {}}})),
    "record-empty-audio": (lambda: c.record({}), act("record", {"record": {"audio": {}}})),
    "record-full": (
        lambda: c.record(
            {"beep": True, "format": "wav", "direction": "both"},
            control_id="ctl-rec",
            status_url="https://h.example.com",
        ),
        act(
            "record",
            {
                "record": {"audio": {"beep": True, "format": "wav", "direction": "both"}},
                "status_url": "https://h.example.com",
            },
            "ctl-rec",
        ),
    ),
    # ------------------------------------------------------------ E. input collection
    "play_and_collect": (
        lambda: c.play_and_collect(MEDIA, COLLECT),
        act("play_and_collect", {"play": MEDIA, "collect": COLLECT}),
    ),
    "play_and_collect-full": (
        lambda: c.play_and_collect(
            MEDIA, {"speech": {"language": "en-US"}}, volume=2, control_id="ctl-pc", x="y"
        ),
        act(
            "play_and_collect",
            {"play": MEDIA, "collect": {"speech": {"language": "en-US"}}, "volume": 2, "x": "y"},
            "ctl-pc",
        ),
    ),
    "play_and_collect-open-collect": (
        lambda: c.play_and_collect(MEDIA, {"digits": {"max": 1, "future": 1}, "other": True}),
        act(
            "play_and_collect",
            {"play": MEDIA, "collect": {"digits": {"max": 1, "future": 1}, "other": True}},
        ),
    ),
    "prompt_tts": (
        lambda: c.prompt_tts("Press 1", COLLECT),
        act(
            "play_and_collect",
            {"play": [{"type": "tts", "params": {"text": "Press 1"}}], "collect": COLLECT},
        ),
    ),
    "prompt_tts-full": (
        lambda: c.prompt_tts(
            "Press 1", COLLECT, language="en-GB", gender="male", voice="v2", volume=-1
        ),
        act(
            "play_and_collect",
            {
                "play": [
                    {
                        "type": "tts",
                        "params": {
                            "text": "Press 1",
                            "language": "en-GB",
                            "gender": "male",
                            "voice": "v2",
                        },
                    }
                ],
                "collect": COLLECT,
                "volume": -1,
            },
        ),
    ),
    "prompt_audio": (
        lambda: c.prompt_audio(URL, COLLECT),
        act(
            "play_and_collect",
            {"play": [{"type": "audio", "params": {"url": URL}}], "collect": COLLECT},
        ),
    ),
    "prompt_audio-volume": (
        lambda: c.prompt_audio(URL, COLLECT, volume=3),
        act(
            "play_and_collect",
            {"play": [{"type": "audio", "params": {"url": URL}}], "collect": COLLECT, "volume": 3},
        ),
    ),
    "collect-digits": (
        lambda: c.collect(digits={"max": 3}),
        act("collect", {"digits": {"max": 3}}),
    ),
    "collect-speech": (
        lambda: c.collect(speech={}),
        act("collect", {"speech": {}}),
    ),
    "collect-full": (
        lambda: c.collect(
            digits={"max": 3, "terminators": "#"},
            speech={"engine": "Deepgram"},
            initial_timeout=4.0,
            partial_results=True,
            continuous=False,
            send_start_of_input=True,
            start_input_timers=False,
            control_id="ctl-col",
            status_url="https://h.example.com",
        ),
        act(
            "collect",
            {
                "digits": {"max": 3, "terminators": "#"},
                "speech": {"engine": "Deepgram"},
                "initial_timeout": 4.0,
                "partial_results": True,
                "continuous": False,
                "send_start_of_input": True,
                "start_input_timers": False,
                "status_url": "https://h.example.com",
            },
            "ctl-col",
        ),
    ),
    # ------------------------------------------------------------ F. detection
    "detect": (
        lambda: c.detect({"type": "machine", "params": {}}),
        act("detect", {"detect": {"type": "machine", "params": {}}}),
    ),
    "detect-no-params": (
        lambda: c.detect({"type": "fax"}),
        act("detect", {"detect": {"type": "fax"}}),
    ),
    "detect-full": (
        lambda: c.detect(
            {"type": "digit", "params": {"digits": "12"}}, timeout=30.0, control_id="d1", x=1
        ),
        act(
            "detect",
            {"detect": {"type": "digit", "params": {"digits": "12"}}, "timeout": 30.0, "x": 1},
            "d1",
        ),
    ),
    "detect_digit": (
        c.detect_digit,
        act("detect", {"detect": {"type": "digit", "params": {}}}),
    ),
    "detect_digit-full": (
        lambda: c.detect_digit(digits="0123456789#*", timeout=10),
        act(
            "detect",
            {"detect": {"type": "digit", "params": {"digits": "0123456789#*"}}, "timeout": 10},
        ),
    ),
    "detect_answering_machine": (
        c.detect_answering_machine,
        act("detect", {"detect": {"type": "machine", "params": {}}}),
    ),
    "detect_answering_machine-full": (
        lambda: c.detect_answering_machine(
            initial_timeout=4.5,
            end_silence_timeout=1.0,
            machine_voice_threshold=1.25,
            machine_words_threshold=6,
            detect_interruptions=False,
            detect_message_end=True,
            timeout=30,
        ),
        act(
            "detect",
            {
                "detect": {
                    "type": "machine",
                    "params": {
                        "initial_timeout": 4.5,
                        "end_silence_timeout": 1.0,
                        "machine_voice_threshold": 1.25,
                        "machine_words_threshold": 6,
                        "detect_interruptions": False,
                        "detect_message_end": True,
                    },
                },
                "timeout": 30,
            },
        ),
    ),
    "detect_fax": (
        c.detect_fax,
        act("detect", {"detect": {"type": "fax", "params": {}}}),
    ),
    "detect_fax-full": (
        lambda: c.detect_fax(tone="CNG", timeout=5),
        act("detect", {"detect": {"type": "fax", "params": {"tone": "CNG"}}, "timeout": 5}),
    ),
    # ------------------------------------------------------------ G. DTMF
    "send_digits": (
        lambda: c.send_digits("0123456789#*ABCDwW"),
        cmd("calling.send_digits", {"digits": "0123456789#*ABCDwW"}, uses=True),
    ),
    "send_digits-control-id": (
        lambda: c.send_digits("1", control_id="sd-1"),
        cmd("calling.send_digits", {"digits": "1"}, uses=True, cid="sd-1"),
    ),
    "bind_digit": (
        lambda: c.bind_digit("*1", "calling.play"),
        cmd("calling.bind_digit", {"digits": "*1", "bind_method": "calling.play"}),
    ),
    "bind_digit-full": (
        lambda: c.bind_digit(
            "*1",
            "calling.play",
            bind_params={"play": MEDIA},
            realm="menu",
            max_triggers=0,
            x=1,
        ),
        cmd(
            "calling.bind_digit",
            {
                "digits": "*1",
                "bind_method": "calling.play",
                "params": {"play": MEDIA},
                "realm": "menu",
                "max_triggers": 0,
                "x": 1,
            },
        ),
    ),
    "clear_digit_bindings": (
        c.clear_digit_bindings,
        cmd("calling.clear_digit_bindings"),
    ),
    "clear_digit_bindings-realm": (
        lambda: c.clear_digit_bindings(realm="menu", x=2),
        cmd("calling.clear_digit_bindings", {"realm": "menu", "x": 2}),
    ),
    # ------------------------------------------------------------ H. fax
    "send_fax": (
        lambda: c.send_fax("https://docs.example.com/a.pdf"),
        act("send_fax", {"document": "https://docs.example.com/a.pdf"}),
    ),
    "send_fax-full": (
        lambda: c.send_fax(
            "https://docs.example.com/a.pdf",
            identity="+15551230001",
            header_info="",
            control_id="fax-1",
            status_url="https://h.example.com",
        ),
        act(
            "send_fax",
            {
                "document": "https://docs.example.com/a.pdf",
                "identity": "+15551230001",
                "header_info": "",
                "status_url": "https://h.example.com",
            },
            "fax-1",
        ),
    ),
    "receive_fax": (c.receive_fax, act("receive_fax", {})),
    "receive_fax-full": (
        lambda: c.receive_fax(control_id="rf-1", status_url="https://h.example.com"),
        act("receive_fax", {"status_url": "https://h.example.com"}, "rf-1"),
    ),
    # ------------------------------------------------------------ I. tap and stream
    "tap": (lambda: c.tap(TAP, RTP), act("tap", {"tap": TAP, "device": RTP})),
    "tap-full": (
        lambda: c.tap(TAP, RTP, control_id="tap-1", status_url="https://h.example.com"),
        act("tap", {"tap": TAP, "device": RTP, "status_url": "https://h.example.com"}, "tap-1"),
    ),
    "stream": (
        lambda: c.stream("wss://stream.example.com"),
        act("stream", {"url": "wss://stream.example.com"}),
    ),
    "stream-full": (
        lambda: c.stream(
            "wss://stream.example.com",
            name="s1",
            codec="PCMU",
            track="both_tracks",
            status_url="https://h.example.com",
            status_url_method="POST",
            authorization_bearer_token="tok",
            custom_parameters={"a": "b"},
            control_id="st-1",
            x=1,
        ),
        act(
            "stream",
            {
                "url": "wss://stream.example.com",
                "name": "s1",
                "codec": "PCMU",
                "track": "both_tracks",
                "status_url": "https://h.example.com",
                "status_url_method": "POST",
                "authorization_bearer_token": "tok",
                "custom_parameters": {"a": "b"},
                "x": 1,
            },
            "st-1",
        ),
    ),
    # ------------------------------------------------------------ J. payments
    "pay": (
        lambda: c.pay("https://pay.example.com"),
        act("pay", {"payment_connector_url": "https://pay.example.com"}),
    ),
    "pay-full": (
        lambda: c.pay(
            "https://pay.example.com",
            control_id="pay-1",
            input_method="dtmf",
            status_url="https://h.example.com",
            payment_method="credit-card",
            timeout="5",
            max_attempts="1",
            security_code="true",
            postal_code="false",
            min_postal_code_length="0",
            token_type="reusable",
            charge_amount="10.50",
            currency="usd",
            language="en-US",
            voice="woman",
            description="Order 7",
            valid_card_types="visa mastercard",
            parameters=[{"name": "a", "value": "b"}],
            prompts=[{"for": "payment-card-number"}],
            bank_account_type="checking",
        ),
        act(
            "pay",
            {
                "payment_connector_url": "https://pay.example.com",
                "input": "dtmf",
                "status_url": "https://h.example.com",
                "payment_method": "credit-card",
                "timeout": "5",
                "max_attempts": "1",
                "security_code": "true",
                "postal_code": "false",
                "min_postal_code_length": "0",
                "token_type": "reusable",
                "charge_amount": "10.50",
                "currency": "usd",
                "language": "en-US",
                "voice": "woman",
                "description": "Order 7",
                "valid_card_types": "visa mastercard",
                "parameters": [{"name": "a", "value": "b"}],
                "prompts": [{"for": "payment-card-number"}],
                "bank_account_type": "checking",
            },
            "pay-1",
        ),
    ),
    "pay-guide-types": (
        lambda: c.pay(
            "https://pay.example.com",
            timeout=5,  # type: ignore[arg-type]
            max_attempts=2,  # type: ignore[arg-type]
            security_code=True,  # type: ignore[arg-type]
            postal_code="94105",
            min_postal_code_length=5,  # type: ignore[arg-type]
            charge_amount=10.5,  # type: ignore[arg-type]
        ),
        act(
            "pay",
            {
                "payment_connector_url": "https://pay.example.com",
                "timeout": 5,
                "max_attempts": 2,
                "security_code": True,
                "postal_code": "94105",
                "min_postal_code_length": 5,
                "charge_amount": 10.5,
            },
        ),
    ),
    # ------------------------------------------------------------ K. transcription
    "transcribe": (c.transcribe, act("transcribe", {})),
    "transcribe-full": (
        lambda: c.transcribe(control_id="tr-1", status_url="https://h.example.com", x=1),
        act("transcribe", {"status_url": "https://h.example.com", "x": 1}, "tr-1"),
    ),
    "live_transcribe": (
        lambda: c.live_transcribe({"start": {"language": "en-US"}}),
        cmd("calling.live_transcribe", {"action": {"start": {"language": "en-US"}}}),
    ),
    "live_transcribe-kwargs": (
        lambda: c.live_transcribe({"summarize": {}}, x=1),
        cmd("calling.live_transcribe", {"action": {"summarize": {}}, "x": 1}),
    ),
    "live_translate": (
        lambda: c.live_translate({"start": {"source": "en-US", "target": "es"}}),
        cmd("calling.live_translate", {"action": {"start": {"source": "en-US", "target": "es"}}}),
    ),
    "live_translate-full": (
        lambda: c.live_translate({"inject": {"text": "hi"}}, status_url="https://h.example.com"),
        cmd(
            "calling.live_translate",
            {"action": {"inject": {"text": "hi"}}, "status_url": "https://h.example.com"},
        ),
    ),
    # ------------------------------------------------------------ L. AI
    "ai": (c.ai, act("ai", {})),
    "ai-full": (
        lambda: c.ai(
            control_id="ai-1",
            agent="agent-7",
            prompt={"text": "You are helpful", "temperature": 0.3},
            post_prompt={"text": "Summarise"},
            post_prompt_url="https://h.example.com/post",
            post_prompt_auth_user="u",
            post_prompt_auth_password="p",
            global_data={"k": "v"},
            pronounce=[{"replace": "SW", "with": "SignalWire"}],
            hints=["SignalWire"],
            languages=[{"name": "English", "code": "en-US"}],
            SWAIG={"functions": []},
            ai_params={"barge_confidence": 0.5},
            x=1,
        ),
        act(
            "ai",
            {
                "agent": "agent-7",
                "prompt": {"text": "You are helpful", "temperature": 0.3},
                "post_prompt": {"text": "Summarise"},
                "post_prompt_url": "https://h.example.com/post",
                "post_prompt_auth_user": "u",
                "post_prompt_auth_password": "p",
                "global_data": {"k": "v"},
                "pronounce": [{"replace": "SW", "with": "SignalWire"}],
                "hints": ["SignalWire"],
                "languages": [{"name": "English", "code": "en-US"}],
                "SWAIG": {"functions": []},
                "params": {"barge_confidence": 0.5},
                "x": 1,
            },
            "ai-1",
        ),
    ),
    "amazon_bedrock": (c.amazon_bedrock, cmd("calling.amazon_bedrock")),
    "amazon_bedrock-full": (
        lambda: c.amazon_bedrock(
            prompt="Be brief",
            SWAIG={"functions": []},
            ai_params={"a": 1},
            global_data={"g": 1},
            post_prompt={"text": "sum"},
            post_prompt_url="https://h.example.com",
            x=1,
        ),
        cmd(
            "calling.amazon_bedrock",
            {
                "prompt": "Be brief",
                "SWAIG": {"functions": []},
                "params": {"a": 1},
                "global_data": {"g": 1},
                "post_prompt": {"text": "sum"},
                "post_prompt_url": "https://h.example.com",
                "x": 1,
            },
        ),
    ),
    "amazon_bedrock-object-prompt": (
        lambda: c.amazon_bedrock(prompt={"text": "Be brief"}),
        cmd("calling.amazon_bedrock", {"prompt": {"text": "Be brief"}}),
    ),
    "ai_message": (c.ai_message, cmd("calling.ai_message")),
    "ai_message-full": (
        lambda: c.ai_message(
            message_text="hi",
            role="user",
            reset={"full_reset": True},
            global_data={"a": 1},
            control_id="ai-1",
        ),
        cmd(
            "calling.ai_message",
            {
                "message_text": "hi",
                "role": "user",
                "reset": {"full_reset": True},
                "global_data": {"a": 1},
            },
            uses=True,
            cid="ai-1",
        ),
    ),
    "ai_hold": (c.ai_hold, cmd("calling.ai_hold")),
    "ai_hold-full": (
        lambda: c.ai_hold(timeout="30", prompt="Please hold"),
        cmd("calling.ai_hold", {"timeout": "30", "prompt": "Please hold"}),
    ),
    "ai_hold-number-timeout": (
        lambda: c.ai_hold(timeout=30),  # type: ignore[arg-type]
        cmd("calling.ai_hold", {"timeout": 30}),
    ),
    "ai_unhold": (c.ai_unhold, cmd("calling.ai_unhold")),
    "ai_unhold-full": (
        lambda: c.ai_unhold(prompt="Welcome back", x=1),
        cmd("calling.ai_unhold", {"prompt": "Welcome back", "x": 1}),
    ),
    # ------------------------------------------------------------ M. conferences, rooms, queues
    "join_conference": (
        lambda: c.join_conference("sales"),
        cmd("calling.join_conference", {"name": "sales"}),
    ),
    "join_conference-full": (
        lambda: c.join_conference(
            "sales",
            muted=False,
            beep="onEnter",
            start_on_enter=True,
            end_on_exit=False,
            wait_url="https://h.example.com/wait",
            max_participants=250,
            record="record-from-start",
            region="us",
            trim="trim-silence",
            coach="call-9",
            status_callback="https://h.example.com/s",
            status_callback_event="start end join",
            status_callback_event_type="relay",
            status_callback_method="POST",
            recording_status_callback="https://h.example.com/r",
            recording_status_callback_event="completed",
            recording_status_callback_event_type="relay",
            recording_status_callback_method="GET",
            stream_obj={"url": "wss://s.example.com"},
            acl=["x"],
        ),
        cmd(
            "calling.join_conference",
            {
                "name": "sales",
                "muted": False,
                "beep": "onEnter",
                "start_on_enter": True,
                "end_on_exit": False,
                "wait_url": "https://h.example.com/wait",
                "max_participants": 250,
                "record": "record-from-start",
                "region": "us",
                "trim": "trim-silence",
                "coach": "call-9",
                "status_callback": "https://h.example.com/s",
                "status_callback_event": "start end join",
                "status_callback_event_type": "relay",
                "status_callback_method": "POST",
                "recording_status_callback": "https://h.example.com/r",
                "recording_status_callback_event": "completed",
                "recording_status_callback_event_type": "relay",
                "recording_status_callback_method": "GET",
                "stream": {"url": "wss://s.example.com"},
                "acl": ["x"],
            },
        ),
    ),
    "join_conference-bool-beep": (
        lambda: c.join_conference("sales", beep=False),  # type: ignore[arg-type]
        cmd("calling.join_conference", {"name": "sales", "beep": False}),
    ),
    "leave_conference": (
        lambda: c.leave_conference("conf-1"),
        cmd("calling.leave_conference", {"conference_id": "conf-1"}),
    ),
    "leave_conference-kwargs": (
        lambda: c.leave_conference("conf-1", x=1),
        cmd("calling.leave_conference", {"conference_id": "conf-1", "x": 1}),
    ),
    "join_room": (lambda: c.join_room("r1"), cmd("calling.join_room", {"name": "r1"})),
    "join_room-full": (
        lambda: c.join_room("r1", status_url="https://h.example.com", hagrid_node_id="n"),
        cmd(
            "calling.join_room",
            {"name": "r1", "status_url": "https://h.example.com", "hagrid_node_id": "n"},
        ),
    ),
    "leave_room": (c.leave_room, cmd("calling.leave_room")),
    "leave_room-kwargs": (lambda: c.leave_room(x=1), cmd("calling.leave_room", {"x": 1})),
    "queue_enter": (
        lambda: c.queue_enter("support"),
        cmd("calling.queue.enter", {"queue_name": "support"}, uses=True),
    ),
    "queue_enter-full": (
        lambda: c.queue_enter(
            "support", control_id="q-1", status_url="https://h.example.com", wait_url="w"
        ),
        cmd(
            "calling.queue.enter",
            {"queue_name": "support", "status_url": "https://h.example.com", "wait_url": "w"},
            uses=True,
            cid="q-1",
        ),
    ),
    "queue_leave": (
        lambda: c.queue_leave("support"),
        cmd("calling.queue.leave", {"queue_name": "support"}, uses=True),
    ),
    "queue_leave-full": (
        lambda: c.queue_leave(
            "support", control_id="q-2", queue_id="qid", status_url="https://h.example.com", x=1
        ),
        cmd(
            "calling.queue.leave",
            {
                "queue_name": "support",
                "queue_id": "qid",
                "status_url": "https://h.example.com",
                "x": 1,
            },
            uses=True,
            cid="q-2",
        ),
    ),
    # ------------------------------------------------------------ N. miscellaneous
    "echo": (c.echo, cmd("calling.echo")),
    "echo-full": (
        lambda: c.echo(timeout=0, status_url="https://h.example.com", x=1),
        cmd("calling.echo", {"timeout": 0, "status_url": "https://h.example.com", "x": 1}),
    ),
    "denoise": (c.denoise, cmd("calling.denoise")),
    "denoise_stop": (c.denoise_stop, cmd("calling.denoise.stop")),
    "user_event": (c.user_event, cmd("calling.user_event")),
    "user_event-full": (
        lambda: c.user_event(event="order_ready", order_id=42),
        cmd("calling.user_event", {"event": "order_ready", "order_id": 42}),
    ),
    "user_event-object": (
        lambda: c.user_event(event={"name": "x"}),
        cmd("calling.user_event", {"event": {"name": "x"}}),
    ),
}


@pytest.mark.parametrize(("build", "expected"), list(CASES.values()), ids=list(CASES))
def test_builder_frame(build: Callable[[], CallCommand], expected: CallCommand) -> None:
    assert build() == expected


def test_every_builder_has_a_row() -> None:
    # Each of the 49 call builders appears in the table at least once, by its own name.
    builders = {name for name in c.__all__ if name[0].islower() and not _is_extra(name)}
    covered = {row.split("-")[0] for row in CASES}
    covered = {"pass_" if name == "pass" else name for name in covered}
    assert builders <= covered
    assert len(builders) == 49


def _is_extra(name: str) -> bool:
    return name.startswith("action_") or name.endswith("_params")


# ---------------------------------------------------------------- action sub-commands

ALL_KINDS = [
    "play",
    "record",
    "play_and_collect",
    "collect",
    "detect",
    "send_fax",
    "receive_fax",
    "tap",
    "stream",
    "pay",
    "transcribe",
    "ai",
]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_action_stop_every_kind(kind: str) -> None:
    assert c.action_stop(kind, "ctl-9") == cmd(f"calling.{kind}.stop", uses=True, cid="ctl-9")


@pytest.mark.parametrize("kind", ["play", "record", "play_and_collect"])
def test_action_pause_resume(kind: str) -> None:
    assert c.action_pause(kind, "ctl") == cmd(f"calling.{kind}.pause", uses=True, cid="ctl")
    assert c.action_resume(kind, "ctl") == cmd(f"calling.{kind}.resume", uses=True, cid="ctl")


def test_action_pause_behavior_only_when_truthy() -> None:
    assert c.action_pause("record", "r", behavior="silence") == cmd(
        "calling.record.pause", {"behavior": "silence"}, uses=True, cid="r"
    )
    assert c.action_pause("record", "r", "skip") == cmd(
        "calling.record.pause", {"behavior": "skip"}, uses=True, cid="r"
    )
    assert c.action_pause("record", "r", behavior="") == cmd(
        "calling.record.pause", uses=True, cid="r"
    )


@pytest.mark.parametrize("kind", ["play", "play_and_collect"])
@pytest.mark.parametrize("volume", [-40, -6.5, 0, 40])
def test_action_volume(kind: str, volume: float) -> None:
    assert c.action_volume(kind, "v", volume) == cmd(
        f"calling.{kind}.volume", {"volume": volume}, uses=True, cid="v"
    )


def test_action_start_input_timers() -> None:
    assert c.action_start_input_timers("col-1") == cmd(
        "calling.collect.start_input_timers", uses=True, cid="col-1"
    )


def test_action_kind_sets() -> None:
    assert set(ALL_KINDS) == c.ACTION_KINDS
    assert {"play", "record", "play_and_collect"} == c.PAUSABLE_KINDS
    assert {"play", "play_and_collect"} == c.VOLUME_KINDS
    assert {"hangup", "cancel", "busy", "noAnswer", "decline", "error"} == c.HANGUP_REASONS


# ---------------------------------------------------------------- non-call params


def test_dial_params() -> None:
    assert c.dial_params(DEVICES, tag="t-1") == {"tag": "t-1", "devices": DEVICES}


def test_dial_params_max_duration_only_when_truthy() -> None:
    assert c.dial_params(DEVICES, tag="t", max_duration=0) == {"tag": "t", "devices": DEVICES}
    assert c.dial_params(DEVICES, tag="t", max_duration=30) == {
        "tag": "t",
        "devices": DEVICES,
        "max_duration": 30,
    }


def test_dial_params_extra_merged_last() -> None:
    params = c.dial_params(
        ((PHONE,), (SIP,)), tag="t", region="us", max_price_per_minute=0.1, node_id=None
    )
    assert params == {
        "tag": "t",
        "devices": [[PHONE], [SIP]],
        "region": "us",
        "max_price_per_minute": 0.1,
        "node_id": None,
    }


def test_send_message_params_body() -> None:
    assert c.send_message_params(
        to_number="+15551230002", from_number="+15551230001", context="office", body="Hi"
    ) == {
        "context": "office",
        "to_number": "+15551230002",
        "from_number": "+15551230001",
        "body": "Hi",
    }


def test_send_message_params_full() -> None:
    assert c.send_message_params(
        to_number="+2",
        from_number="+1",
        context="office",
        body="Your table is ready",
        media=["https://media.example.com/map.png"],
        tags=["restaurant"],
        region="us",
    ) == {
        "context": "office",
        "to_number": "+2",
        "from_number": "+1",
        "body": "Your table is ready",
        "media": ["https://media.example.com/map.png"],
        "tags": ["restaurant"],
        "region": "us",
    }


def test_send_message_params_empty_optionals_omitted() -> None:
    assert c.send_message_params(
        to_number="+2",
        from_number="+1",
        context="default",
        body="",
        media=("https://m.example.com/a.png",),
        tags=[],
        region="",
    ) == {
        "context": "default",
        "to_number": "+2",
        "from_number": "+1",
        "media": ["https://m.example.com/a.png"],
    }


def test_context_params() -> None:
    assert c.context_params(["sales", "billing"]) == {"contexts": ["sales", "billing"]}
    assert c.context_params(("sales",)) == {"contexts": ["sales"]}
    assert c.context_params(ctx for ctx in ["a", "b"]) == {"contexts": ["a", "b"]}
    assert c.context_params([]) == {"contexts": []}


# ---------------------------------------------------------------- purity and aliasing


def test_builders_do_not_mutate_or_share_inputs() -> None:
    media = [{"type": "audio", "params": {"url": URL}}]
    extra = {"status_url": "https://h.example.com"}
    first = c.play(media, **extra)
    second = c.play(media, **extra)
    assert first == second
    assert first.params is not second.params
    assert first.params["play"] is not media  # the list is copied: appending later is harmless
    media.append({"type": "silence", "params": {"duration": 1}})
    assert len(first.params["play"]) == 1
    assert extra == {"status_url": "https://h.example.com"}


def test_control_id_kwarg_lifted_out_of_params() -> None:
    command = c.user_event(event="x", control_id="ctl-7")
    assert "control_id" not in command.params
    assert command.control_id == "ctl-7"
    assert command.uses_control_id


def test_invalid_command_error_family() -> None:
    with pytest.raises(InvalidCommandError) as info:
        c.play([{"type": "tts", "text": "a", "params": {"text": "b"}}])
    assert isinstance(info.value, LocalProtocolError)
    assert isinstance(info.value, ValueError)
