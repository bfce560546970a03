"""JSON-RPC framing: encoding, classification (spec 1.2) and result codes (spec 1.9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relay_proto import InvalidCommandError, _jsonrpc
from relay_proto._jsonrpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    SUCCESS_CODES,
    ErrorReply,
    Invalid,
    Reply,
    Request,
    decode_frame,
    encode,
    encode_error,
    encode_request,
    encode_result,
    preview,
    request_encoder,
    result_failure,
    wrap_result,
)

# --------------------------------------------------------------------------- encoding


def test_encode_is_compact_and_keeps_non_ascii() -> None:
    assert encode({"a": [1, 2], "b": "é"}) == '{"a":[1,2],"b":"é"}'


def test_encode_request_shape() -> None:
    text = encode_request("r-1", "calling.answer", {"node_id": "n", "call_id": "c"})
    assert text == (
        '{"jsonrpc":"2.0","id":"r-1","method":"calling.answer",'
        '"params":{"node_id":"n","call_id":"c"}}'
    )


def test_encode_result_and_error() -> None:
    assert encode_result("evt-1", {}) == '{"jsonrpc":"2.0","id":"evt-1","result":{}}'
    assert encode_error(7, -32601, "Method not found") == (
        '{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"Method not found"}}'
    )
    assert json.loads(encode_error("x", 1, "m", {"k": 1}))["error"]["data"] == {"k": 1}


@pytest.mark.parametrize("bad", [{1, 2}, object(), float("nan"), float("inf")])
def test_encode_refuses_non_json_values(bad: Any) -> None:
    with pytest.raises(InvalidCommandError, match="cannot encode as JSON"):
        encode_request("r", "m", {"v": bad})


def test_encode_refuses_circular_structures() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(InvalidCommandError):
        encode(loop)


def test_invalid_command_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        encode({"v": {1}})


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "invalid JSON"),
        ("", "invalid JSON"),
        ('{"id": 1,', "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON"),  # RecursionError inside json
        ("1" * 5000, "invalid JSON"),  # int too long for int() conversion
        ("[1,2,3]", "not a JSON object"),
        ('"text"', "not a JSON object"),
        ("null", "not a JSON object"),
        ("42", "not a JSON object"),
    ],
)
def test_unusable_text_is_invalid(text: str, reason: str) -> None:
    frame = decode_frame(text)
    assert frame == Invalid(reason)
    assert not frame.has_id


def test_error_reply_with_object() -> None:
    frame = decode_frame('{"id":"r","error":{"code":-32000,"message":"nope","data":{"x":1}}}')
    assert frame == ErrorReply("r", -32000, "nope", {"x": 1})


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        ({}, -1, "Unknown error"),
        ({"code": "404", "message": "gone"}, 404, "gone"),
        ({"code": "-32000"}, -32000, "Unknown error"),
        ({"code": "abc", "message": 5}, -1, "5"),
        ({"code": 12.0}, 12, "Unknown error"),
        ({"code": 12.5}, -1, "Unknown error"),
        ({"code": True}, -1, "Unknown error"),
        ({"code": None, "message": None}, -1, "Unknown error"),
        ("boom", -1, "boom"),
        (42, -1, "42"),
        (None, -1, "None"),
        ([1, 2], -1, "[1, 2]"),
    ],
)
def test_error_reply_normalisation(error: Any, code: int, message: str) -> None:
    frame = decode_frame(json.dumps({"id": "r", "error": error}))
    assert isinstance(frame, ErrorReply)
    assert (frame.code, frame.message) == (code, message)


def test_error_wins_over_result() -> None:
    # Spec 1.2: "id and error" is tested before "id and result".
    frame = decode_frame('{"id":"r","result":{},"error":{"code":1,"message":"m"}}')
    assert isinstance(frame, ErrorReply)


def test_reply_keeps_result_untouched() -> None:
    assert decode_frame('{"id":"r","result":{"code":"500"}}') == Reply("r", {"code": "500"})
    assert decode_frame('{"id":"r","result":"ok"}') == Reply("r", "ok")
    assert decode_frame('{"id":null,"result":null}') == Reply(None, None)


def test_result_without_id_is_not_a_reply() -> None:
    frame = decode_frame('{"result":{}}')
    assert frame == Invalid("request without a string method", False, None, INVALID_REQUEST)


def test_request_with_params() -> None:
    frame = decode_frame('{"jsonrpc":"2.0","id":"e1","method":"signalwire.event","params":{"a":1}}')
    assert frame == Request("e1", True, "signalwire.event", {"a": 1})


def test_request_params_default_to_empty_object() -> None:
    assert decode_frame('{"id":5,"method":"signalwire.ping"}') == Request(
        5, True, "signalwire.ping", {}
    )


def test_notification_has_no_id() -> None:
    frame = decode_frame('{"method":"signalwire.ping","params":{}}')
    assert isinstance(frame, Request)
    assert not frame.has_id


@pytest.mark.parametrize("params", ["[]", '"x"', "1", "null", "true"])
def test_non_object_params_are_invalid_params(params: str) -> None:
    frame = decode_frame('{"id":"e","method":"signalwire.event","params":' + params + "}")
    assert frame == Invalid(
        "params of signalwire.event is not an object", True, "e", INVALID_PARAMS
    )


@pytest.mark.parametrize("method", ["1", "null", "[]", "{}"])
def test_non_string_method_is_invalid_request(method: str) -> None:
    frame = decode_frame('{"id":"e","method":' + method + "}")
    assert frame == Invalid("request without a string method", True, "e", INVALID_REQUEST)


def test_preview_is_bounded() -> None:
    assert preview("x" * 1000) == "x" * 200
    assert preview("short") == "short"


@given(st.text(max_size=300))
def test_decode_never_raises_on_any_text(text: str) -> None:
    assert isinstance(decode_frame(text), Reply | ErrorReply | Request | Invalid)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.sampled_from(["id", "method", "params", "result", "error"]), json_values))
def test_decode_any_object_is_classified(obj: dict[str, Any]) -> None:
    frame = decode_frame(json.dumps(obj))
    if "id" in obj and ("error" in obj or "result" in obj):
        assert isinstance(frame, ErrorReply if "error" in obj else Reply)
    elif isinstance(frame, Request):
        assert frame.method == obj["method"]
        assert isinstance(frame.params, dict)
    else:
        assert isinstance(frame, Invalid)


# --------------------------------------------------------------------------- result codes


@pytest.mark.parametrize("code", ["200", "201", "204", "299", 200, 250])
def test_2xx_codes_succeed(code: Any) -> None:
    assert result_failure({"code": code, "message": "ok"}) is None


def test_missing_code_succeeds() -> None:
    assert result_failure({"message": "whatever"}) is None
    assert result_failure({}) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("100", 100),
        ("199", 199),
        ("300", 300),
        ("400", 400),
        ("404", 404),
        ("500", 500),
        ("2000", 2000),
        ("20", 20),
        (404, 404),
        ("bad_code", -1),
        ("2x0", -1),
        ("200\n", -1),
        ("２００", -1),  # full-width digits are not a 2xx code
        (True, -1),
        (200.0, -1),
    ],
)
def test_other_codes_fail(code: Any, expected: int) -> None:
    assert result_failure({"code": code, "message": "why"}) == (expected, "why")


def test_failure_message_defaults() -> None:
    assert result_failure({"code": "500"}) == (500, "Unknown error")
    assert result_failure({"code": "500", "message": 3}) == (500, "3")


def test_wrap_result() -> None:
    result = {"a": 1}
    assert wrap_result(result) is result
    assert wrap_result("text") == {"raw": "text"}
    assert wrap_result([1]) == {"raw": [1]}
    assert wrap_result(None) == {"raw": None}


# ------------------------------------------------------------------ values we could not echo


@pytest.mark.parametrize(
    "text",
    [
        '{"id":NaN,"method":"m"}',
        '{"id":"x","method":"m","params":{"v":Infinity}}',
        '{"id":-Infinity,"result":{}}',
        '{"id":1e999,"method":"m"}',
    ],
)
def test_non_finite_numbers_are_not_json(text: str) -> None:
    assert decode_frame(text) == Invalid("invalid JSON")


def test_deeply_nested_request_id_is_an_invalid_request_with_null_id() -> None:
    deep = "[" * 40 + "]" * 40
    frame = decode_frame('{"id":' + deep + ',"method":"signalwire.ping"}')
    assert frame == Invalid("id nested too deeply", True, None, INVALID_REQUEST)
    shallow = "[" * 30 + "]" * 30
    assert isinstance(decode_frame('{"id":' + shallow + ',"method":"m"}'), Request)
    assert isinstance(decode_frame('{"id":{"a":[{"b":1}]},"method":"m"}'), Request)


def test_every_decoded_request_id_encodes_back() -> None:
    for raw in ('"s"', "1", "1.5", "null", "true", "[1,[2]]", '{"a":{"b":[]}}'):
        frame = decode_frame('{"id":' + raw + ',"method":"m"}')
        assert isinstance(frame, Request)
        assert json.loads(encode_result(frame.id, {}))["id"] == json.loads(raw)


def test_absurdly_long_codes_are_not_numeric() -> None:
    assert result_failure({"code": "9" * 5000, "message": "m"}) == (-1, "m")
    frame = decode_frame('{"id":"r","error":{"code":"' + "9" * 5000 + '"}}')
    assert isinstance(frame, ErrorReply)
    assert frame.code == -1


@pytest.mark.parametrize(
    "request_id",
    ["evt-1", 'é\n"\\', "\ud800", "", 5, -7, 0, 2**70, 10**150, True, 1.5, None, ["a"]],
)
def test_ack_fast_path_matches_the_generic_encoder(request_id: Any) -> None:
    generic = json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "result": {}},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert encode_result(request_id, {}) == generic


# --------------------------------------------------------------------------- request encoder

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.text(min_size=1), st.text(min_size=1), st.dictionaries(st.text(), JSON_VALUES))
def test_request_encoder_gives_encode_request_text(
    request_id: str, method: str, params: dict[str, Any]
) -> None:
    assert request_encoder()(request_id, method, params) == encode_request(
        request_id, method, params
    )


@pytest.mark.parametrize("bad", [{1, 2}, object(), float("nan"), float("-inf"), b"x"])
def test_request_encoder_refuses_what_encode_request_refuses(bad: Any) -> None:
    with pytest.raises(InvalidCommandError) as general:
        encode_request("r", "m", {"v": [bad]})
    with pytest.raises(InvalidCommandError) as own:
        request_encoder()("r", "m", {"v": [bad]})
    assert str(own.value) == str(general.value)


def test_request_encoder_refuses_circular_structures() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(InvalidCommandError, match="Circular reference"):
        request_encoder()("r", "m", loop)


def test_a_refused_value_leaves_nothing_behind() -> None:
    # The failure happens inside nested objects, which the circular-reference memory holds
    # at that moment; the same objects must encode once they are fixed.
    encode_one = request_encoder()
    inner: dict[str, Any] = {"bad": {1}}
    params = {"outer": {"inner": inner}}
    with pytest.raises(InvalidCommandError):
        encode_one("r-1", "m", params)
    inner["bad"] = 1
    assert encode_one("r-2", "m", params) == encode_request("r-2", "m", params)


class _Flaky(dict[str, Any]):
    """A mapping whose items cannot be read until ``ready``: an error the encoders do not
    turn into InvalidCommandError (it propagates as it is, from either encoder)."""

    ready = False

    def items(self) -> Any:
        if not self.ready:
            raise LookupError("not ready")
        return super().items()


def test_any_error_mid_way_leaves_nothing_behind() -> None:
    encode_one = request_encoder()
    flaky = _Flaky(v=1)
    params = {"outer": {"inner": flaky}}
    with pytest.raises(LookupError):
        encode_request("r-1", "m", params)
    with pytest.raises(LookupError):
        encode_one("r-1", "m", params)
    flaky.ready = True
    assert encode_one("r-2", "m", params) == encode_request("r-2", "m", params)


def test_without_the_c_accelerator_the_general_encoder_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_jsonrpc, "c_make_encoder", None)
    assert request_encoder() is encode_request


def test_an_unknown_c_encoder_signature_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def other_signature(*args: Any) -> Any:
        raise TypeError("takes 10 arguments")

    monkeypatch.setattr(_jsonrpc, "c_make_encoder", other_signature)
    assert request_encoder() is encode_request


def test_every_success_code_is_one_result_failure_counts_as_success() -> None:
    # The session skips result_failure for these: it must agree with them.
    assert len(SUCCESS_CODES) == 100
    for code in SUCCESS_CODES:
        assert result_failure({"code": code, "message": "m"}) is None
    for code in ("199", "300", "2000", "20", "2x0", " 200", "200 ", "２00"):
        assert code not in SUCCESS_CODES


def test_a_reply_is_a_reply() -> None:
    # decode_frame builds replies without the named tuple's Python-level constructor.
    frame = decode_frame('{"jsonrpc":"2.0","id":"r-1","result":{"code":"200"}}')
    assert type(frame) is Reply
    assert (frame.id, frame.result) == ("r-1", {"code": "200"})
    assert frame == Reply("r-1", {"code": "200"})
    assert repr(frame) == repr(Reply("r-1", {"code": "200"}))
