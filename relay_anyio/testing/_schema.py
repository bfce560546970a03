"""The JSON type of every documented param of the call commands, checked before a handler runs.

Client libraries send values as given (the official SDK does, and so does relay-sansio), so the
service is where a wrong value is caught. The handlers check what they simulate (a hangup reason,
DTMF characters, a volume's range, a collect's inputs...); this table adds the type of every
other documented key, so a value of the wrong type is answered JSON-RPC -32602 naming the key,
as the service refuses params that do not match its schema (spec 1.9). ``null`` counts as absent
and unknown keys pass: the schemas are open. Where the sources disagree on a type (the official
SDK types ``pay.timeout`` as a string, the guide as an integer) both are accepted.
"""

from __future__ import annotations

import math
from typing import Any

from ._params import invalid

__all__ = ["SCHEMAS", "check_types"]

_STR, _NUM, _INT, _BOOL, _OBJ, _ARR = "string", "number", "integer", "boolean", "object", "array"


def _strings(*keys: str) -> dict[str, tuple[str, ...]]:
    return dict.fromkeys(keys, (_STR,))


#: method -> {key: accepted JSON types}.
SCHEMAS: dict[str, dict[str, tuple[str, ...]]] = {
    "calling.answer": {"max_duration": (_INT,), "codecs": (_ARR,)},
    "calling.end": {"reason": (_STR,)},
    "calling.transfer": {"dest": (_STR,)},
    "calling.connect": {
        "devices": (_ARR,),
        "ringback": (_ARR,),
        "max_duration": (_INT,),
        "max_price_per_minute": (_NUM,),
        **_strings("tag", "status_url"),
    },
    "calling.dial": {
        "devices": (_ARR,),
        "max_duration": (_INT,),
        "max_price_per_minute": (_NUM,),
        **_strings("tag", "region"),
    },
    "calling.refer": {"device": (_OBJ,), "status_url": (_STR,)},
    "calling.play": {
        "play": (_ARR,),
        "volume": (_NUM,),
        "loop": (_INT,),
        **_strings("direction", "status_url"),
    },
    "calling.play.volume": {"volume": (_NUM,)},
    "calling.play.pause": {"behavior": (_STR,)},
    "calling.record": {"record": (_OBJ,), "status_url": (_STR,)},
    "calling.record.pause": {"behavior": (_STR,)},
    "calling.play_and_collect": {
        "play": (_ARR,),
        "collect": (_OBJ,),
        "volume": (_NUM,),
        "status_url": (_STR,),
    },
    "calling.play_and_collect.volume": {"volume": (_NUM,)},
    "calling.collect": {
        "digits": (_OBJ,),
        "speech": (_OBJ,),
        "initial_timeout": (_NUM,),
        "partial_results": (_BOOL,),
        "continuous": (_BOOL,),
        "continue": (_BOOL,),
        "send_start_of_input": (_BOOL,),
        "start_input_timers": (_BOOL,),
        "status_url": (_STR,),
    },
    "calling.detect": {"detect": (_OBJ,), "timeout": (_NUM,), "status_url": (_STR,)},
    "calling.send_digits": {"digits": (_STR,)},
    "calling.bind_digit": {
        "params": (_OBJ,),
        "max_triggers": (_INT,),
        **_strings("digits", "bind_method", "realm"),
    },
    "calling.clear_digit_bindings": {"realm": (_STR,)},
    "calling.send_fax": _strings("document", "identity", "header_info", "status_url"),
    "calling.receive_fax": _strings("status_url"),
    "calling.tap": {"tap": (_OBJ,), "device": (_OBJ,), "status_url": (_STR,)},
    "calling.stream": {
        "custom_parameters": (_OBJ,),
        "realtime": (_BOOL,),
        **_strings(
            "url",
            "name",
            "codec",
            "track",
            "status_url",
            "status_url_method",
            "authorization_bearer_token",
        ),
    },
    "calling.pay": {
        "timeout": (_STR, _INT),
        "max_attempts": (_STR, _INT),
        "min_postal_code_length": (_STR, _INT),
        "security_code": (_STR, _BOOL),
        "postal_code": (_STR, _BOOL),
        "charge_amount": (_STR, _NUM),
        "parameters": (_ARR,),
        "prompts": (_ARR,),
        **_strings(
            "payment_connector_url",
            "input",
            "status_url",
            "payment_method",
            "token_type",
            "currency",
            "language",
            "voice",
            "description",
            "valid_card_types",
            "bank_account_type",
        ),
    },
    "calling.transcribe": _strings("status_url"),
    "calling.live_transcribe": {"action": (_OBJ,)},
    "calling.live_translate": {"action": (_OBJ,), "status_url": (_STR,)},
    "calling.ai": {
        "prompt": (_OBJ,),
        "post_prompt": (_OBJ,),
        "global_data": (_OBJ,),
        "pronounce": (_ARR,),
        "hints": (_ARR,),
        "languages": (_ARR,),
        "SWAIG": (_OBJ,),
        "params": (_OBJ,),
        **_strings(
            "agent", "post_prompt_url", "post_prompt_auth_user", "post_prompt_auth_password"
        ),
    },
    "calling.amazon_bedrock": {
        "prompt": (_STR, _OBJ),
        "SWAIG": (_OBJ,),
        "params": (_OBJ,),
        "global_data": (_OBJ,),
        "post_prompt": (_OBJ,),
        "post_prompt_url": (_STR,),
    },
    "calling.ai_message": {
        "reset": (_OBJ,),
        "global_data": (_OBJ,),
        **_strings("message_text", "role"),
    },
    "calling.ai_hold": {"timeout": (_STR, _NUM), "prompt": (_STR,)},
    "calling.ai_unhold": _strings("prompt"),
    "calling.join_conference": {
        "muted": (_BOOL,),
        "beep": (_STR, _BOOL),
        "start_on_enter": (_BOOL,),
        "end_on_exit": (_BOOL,),
        "max_participants": (_INT,),
        "stream": (_OBJ,),
        **_strings(
            "name",
            "wait_url",
            "record",
            "region",
            "trim",
            "coach",
            "status_callback",
            "status_callback_event",
            "status_callback_event_type",
            "status_callback_method",
            "recording_status_callback",
            "recording_status_callback_event",
            "recording_status_callback_event_type",
            "recording_status_callback_method",
        ),
    },
    "calling.leave_conference": _strings("conference_id"),
    "calling.join_room": _strings("name", "status_url"),
    "calling.queue.enter": _strings("queue_name", "status_url", "wait_url"),
    "calling.queue.leave": _strings("queue_name", "queue_id", "status_url"),
    "calling.echo": {"timeout": (_NUM,), "status_url": (_STR,)},
}


_ARTICLED = {
    _STR: "a string",
    _NUM: "a number",
    _INT: "an integer",
    _BOOL: "a boolean",
    _OBJ: "an object",
    _ARR: "an array",
}


def _is(value: Any, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _OBJ:
        return isinstance(value, dict)
    if kind == _ARR:
        return isinstance(value, list)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if kind == _INT:
        return isinstance(value, int) or (math.isfinite(value) and value == int(value))
    return True  # number


def check_types(method: str, params: dict[str, Any]) -> None:
    """Raise the -32602 :class:`~relay_anyio.testing._model.RequestError` for the first key of
    ``params`` whose value has a type the schema of ``method`` does not allow."""
    schema = SCHEMAS.get(method)
    if not schema:
        return
    for key, kinds in schema.items():
        value = params.get(key)
        if value is not None and not any(_is(value, kind) for kind in kinds):
            raise invalid(key, "must be " + " or ".join(_ARTICLED[kind] for kind in kinds))
