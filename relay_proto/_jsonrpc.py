"""JSON-RPC 2.0 framing for RELAY: encoding, decoding, frame classification, result codes.

This is the hot path of the core: every inbound WebSocket message goes through
:func:`decode_frame` exactly once (one ``json.loads``, no re-serialising), and every outbound
frame is produced by one call of the module's compact encoder.

Classification follows the wire spec (section 1.2); the order of the tests matters:

1. not JSON, or JSON that is not an object -> :class:`Invalid`;
2. ``id`` and ``error`` present -> :class:`ErrorReply` (a non-object ``error`` becomes code -1
   with the stringified value as message);
3. ``id`` and ``result`` present -> :class:`Reply` (the result is left untouched: code checking
   depends on the method, which only the request table knows);
4. anything else is a request: ``method`` must be a string (else -32600 Invalid Request),
   ``params`` defaults to ``{}`` and must be an object (else -32602 Invalid params).

Both roles use it: the client classifies server frames, the server role classifies client frames.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable, Sequence
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, NamedTuple

from ._errors import InvalidCommandError

__all__ = [
    "ERROR_MESSAGES",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "JSON_BACKEND",
    "JSON_BACKEND_ENV",
    "METHOD_NOT_FOUND",
    "SUCCESS_CODES",
    "ErrorReply",
    "Invalid",
    "Reply",
    "Request",
    "decode_frame",
    "encode",
    "encode_error",
    "encode_request",
    "encode_result",
    "encode_str",
    "preview",
    "request_encoder",
    "result_failure",
    "wrap_result",
]

# JSON-RPC 2.0 error codes we send (D9). -32700 (parse error) is never sent: a frame that is
# not JSON is dropped, because its id (if any) cannot be known.
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
ERROR_MESSAGES = {
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
}

# FrameDropped.raw keeps at most this many characters of the offending frame.
PREVIEW_CHARS = 200

# One shared encoder: json.dumps() with keyword arguments builds a new encoder per call.
# allow_nan=False because NaN/Infinity are not JSON and a server may reject the whole frame.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_encode = _ENCODER.encode
_encode_str = encode_basestring  # what that encoder uses for strings (C version when available)
# Ints written without the generic encoder (larger ones may exceed int->str conversion limits).
_INT_FAST = 10**100
#: A string as JSON text, exactly as :func:`encode` writes it inside a document.
encode_str: Callable[[str], str] = _encode_str


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); an id holding one could not be echoed back,
    # because our encoder refuses them (allow_nan=False).
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    # "1e999" overflows to infinity: same problem as Infinity. x - x is 0.0 for a finite x and
    # nan (true) for an infinite one: the check on every float of every frame costs no call.
    if value - value:
        raise ValueError(f"number out of range: {text[:20]}")
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_decode_full = _DECODER.decode
_scan_once: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _loads(text: str) -> Any:
    # A frame is an object with no whitespace around it: scanning it directly gives what
    # decode() gives, without its wrappers and two whitespace regex matches per frame.
    # Anything else (whitespace, extra data, errors) gets the full decode() and its verdict.
    if text[:1] == "{":
        try:
            value, end = _scan_once(text, 0)
        except StopIteration:
            pass
        else:
            if end == len(text):
                return value
    return _decode_full(text)


# Optional speedup (relay-sansio[speedups]): orjson, when installed, parses frames several times
# faster. Only parsing uses it (the standard encoder stays: orjson writes NaN as null). Its
# verdicts differ from the standard decoder's in two ways, both handled so that every frame
# decodes to exactly what the standard decoder makes of it: it turns integers beyond 64 bits
# into floats (frames with a run of 19 digits or more go to the standard decoder), and it
# refuses some text the standard decoder takes (lone surrogate escapes, 1e999...): whatever
# it refuses, the standard decoder decides.
# RELAY_SANSIO_JSON=stdlib or =orjson forces the choice (the core's tests run under both).
JSON_BACKEND_ENV = "RELAY_SANSIO_JSON"
_DIGIT_RUNS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_NUMBER = b"0" * 19


def _orjson_decoder(choice: str) -> Callable[[str], Any] | None:
    """The orjson-backed decoder, or ``None`` for the standard one."""
    if choice not in ("", "stdlib", "orjson"):
        raise ValueError(f"{JSON_BACKEND_ENV} must be 'stdlib' or 'orjson', not {choice!r}")
    if choice == "stdlib":
        return None
    try:
        orjson = importlib.import_module("orjson")
    except ImportError:
        if choice == "orjson":
            raise ImportError(f"{JSON_BACKEND_ENV}=orjson, but orjson is not installed") from None
        return None
    fast_loads = orjson.loads

    def loads(text: str) -> Any:
        data = text.encode("utf-8", "surrogatepass")
        if _LONG_NUMBER in data.translate(_DIGIT_RUNS):
            return _loads(text)
        try:
            return fast_loads(data)
        except ValueError:
            return _loads(text)

    return loads


def _pick_decoder() -> Callable[[str], Any]:
    """The decoder this process uses, chosen (and orjson imported) on first need."""
    global _decode
    if _decode is _decode_first:
        _decode = _orjson_decoder(_CHOICE) or _loads
    return _decode


def _decode_first(text: str) -> Any:
    # Without RELAY_SANSIO_JSON, orjson is imported when the first frame arrives, not when
    # relay_proto is: a process that never decodes a frame (or imports the package only for
    # its names) does not load it.
    return _pick_decoder()(text)


_CHOICE = os.environ.get(JSON_BACKEND_ENV, "").strip().lower()
_decode: Callable[[str], Any] = _decode_first
if _CHOICE:  # a choice made explicitly is checked (and orjson imported) at once
    _pick_decoder()

#: "orjson" or "stdlib": the decoder this process uses (reading it picks the decoder).
JSON_BACKEND: str


def __getattr__(name: str) -> Any:
    if name == "JSON_BACKEND":
        return "stdlib" if _pick_decoder() is _loads else "orjson"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Integer codes as servers write them ("404", "-32000"); anything else is "not numeric".
_INT_RE = re.compile(r"-?[0-9]+")
# int() refuses strings of more digits than this (sys.int_info.str_digits_check_threshold is the
# smallest limit a process may set); a longer code is "not numeric" rather than a crash.
_MAX_CODE_DIGITS = 640

# An id is echoed in the reply. The encoder recurses once per nesting level, like the decoder,
# so an id nested almost as deep as the decoder allows would decode and then fail to encode a
# few stack frames deeper. A request whose id nests deeper than this is answered as an Invalid
# Request with a null id (JSON-RPC 2.0, section 5: the id could not be determined).
_MAX_ID_DEPTH = 32
_NESTING = (list, dict)


class Reply(NamedTuple):
    """A success response: ``{"id": ..., "result": ...}`` (result not yet code-checked)."""

    id: Any
    result: Any


class ErrorReply(NamedTuple):
    """An error response, already normalised: ``code`` is an int, ``message`` a string."""

    id: Any
    code: int
    message: str
    data: Any


class Request(NamedTuple):
    """A request (or notification when ``has_id`` is false); ``params`` is always a dict."""

    id: Any
    has_id: bool
    method: str
    params: dict[str, Any]


class Invalid(NamedTuple):
    """A frame that cannot be used. When ``has_id`` and ``error_code`` are set, the receiver must
    still answer it with that JSON-RPC error (D9: a frame with an id is never left unanswered)."""

    reason: str
    has_id: bool = False
    id: Any = None
    error_code: int = 0


Frame = Reply | ErrorReply | Request | Invalid

# A named tuple's own constructor is a Python function; the tuple's is not, and builds the same
# object (every request's reply is one).
_new_tuple = tuple.__new__


def preview(text: str) -> str:
    """The part of a frame kept in ``FrameDropped.raw``."""
    return text[:PREVIEW_CHARS]


# --------------------------------------------------------------------------- encoding


def encode(value: Any) -> str:
    """Encode ``value`` as compact JSON (no spaces, non-ASCII kept as is).

    Raises:
        InvalidCommandError: ``value`` holds something JSON cannot represent (a set, an object,
            NaN, a circular or absurdly deep structure).
    """
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidCommandError(f"cannot encode as JSON: {exc}") from None


def encode_request(request_id: Any, method: str, params: Any) -> str:
    """``{"jsonrpc":"2.0","id":...,"method":...,"params":...}``.

    Raises:
        InvalidCommandError: ``params`` is not JSON-serialisable.
    """
    return encode({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


def request_encoder() -> Callable[[Any, str, Any], str]:
    """An :func:`encode_request` of its own, for one connection's requests: the same text and
    errors, without the per-call work of ``JSONEncoder.encode`` (which builds a new C encoder
    and a closure for every value).

    The C scanner is built once, with the module encoder's settings, around a circular-reference
    memory that belongs to this encoder alone (so concurrent connections never share it); an
    error (any exception) leaves entries in it, so it is emptied then. Without the C
    accelerator (another Python implementation) this is :func:`encode_request` itself.
    """
    markers: dict[int, Any] = {}
    scan = _c_scanner(markers)
    if scan is None:
        return encode_request

    def encode_one(request_id: Any, method: str, params: Any) -> str:
        try:
            return "".join(
                scan({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}, 0)
            )
        except (TypeError, ValueError, RecursionError) as exc:
            markers.clear()  # what the failed call left, or a later value could look circular
            raise InvalidCommandError(f"cannot encode as JSON: {exc}") from None
        except BaseException:  # raised by a value's own code (a mapping's items()...), or an
            markers.clear()  # interrupt: propagated as encode_request does, nothing left
            raise

    return encode_one


def _c_scanner(markers: dict[int, Any]) -> Callable[[Any, int], Sequence[str]] | None:
    """The C encoder ``JSONEncoder.iterencode`` would build for ``_ENCODER``, or ``None``."""
    if c_make_encoder is None:
        return None
    enc = _ENCODER
    try:
        scanner: Callable[[Any, int], Sequence[str]] = c_make_encoder(
            markers,
            enc.default,
            _encode_str,
            enc.indent,
            enc.key_separator,
            enc.item_separator,
            enc.sort_keys,
            enc.skipkeys,
            enc.allow_nan,
        )
    except TypeError:  # a future signature: the general encoder still works
        return None
    return scanner


def encode_result(request_id: Any, result: Any) -> str:
    """``{"jsonrpc":"2.0","id":...,"result":...}`` (an ACK or pong is ``result={}``).

    Raises:
        InvalidCommandError: ``result`` is not JSON-serialisable.
    """
    if type(result) is dict and not result:
        # An ACK or pong: skip the generic encoder for the ids servers use (same output, a
        # fraction of the cost). Other ids (floats, null, objects...) take the generic path.
        if type(request_id) is str:
            return '{"jsonrpc":"2.0","id":' + _encode_str(request_id) + ',"result":{}}'
        if type(request_id) is int and -_INT_FAST < request_id < _INT_FAST:
            return '{"jsonrpc":"2.0","id":' + int.__repr__(request_id) + ',"result":{}}'
    return encode({"jsonrpc": "2.0", "id": request_id, "result": result})


def encode_error(request_id: Any, code: int, message: str, data: Any = None) -> str:
    """``{"jsonrpc":"2.0","id":...,"error":{"code":...,"message":...[,"data":...]}}``.

    Raises:
        InvalidCommandError: ``data`` is not JSON-serialisable.
    """
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return encode({"jsonrpc": "2.0", "id": request_id, "error": error})


# --------------------------------------------------------------------------- decoding


def decode_frame(text: str) -> Frame:
    """Parse and classify one WebSocket text message (see the module docstring)."""
    try:
        frame = _decode(text)
    except (ValueError, RecursionError):
        # RecursionError: json.loads recurses once per nesting level ("[[[[...").
        return Invalid("invalid JSON")
    if type(frame) is not dict:
        return Invalid("not a JSON object")
    has_id = "id" in frame
    request_id = frame.get("id")
    if has_id:
        if "error" in frame:
            return _error_reply(request_id, frame["error"])
        if "result" in frame:
            return _new_tuple(Reply, (request_id, frame["result"]))  # Reply(...), in C
        # Only arrays and objects nest: the usual string id needs no walk.
        if type(request_id) in _NESTING and _nested_deeper(request_id, _MAX_ID_DEPTH):
            return Invalid("id nested too deeply", has_id, None, INVALID_REQUEST)
    method = frame.get("method")
    if type(method) is not str:
        return Invalid("request without a string method", has_id, request_id, INVALID_REQUEST)
    params = frame.get("params", {})
    if type(params) is not dict:
        return Invalid(f"params of {method} is not an object", has_id, request_id, INVALID_PARAMS)
    return Request(request_id, has_id, method, params)


def _nested_deeper(value: Any, limit: int) -> bool:
    """Whether ``value`` has more than ``limit`` levels of arrays/objects (iterative: no
    recursion on untrusted input)."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if type(item) is list or type(item) is dict
            for child in (item.values() if type(item) is dict else item)
        ]
        if not level:
            return False
    return any(type(item) is list or type(item) is dict for item in level)


def _error_reply(request_id: Any, error: Any) -> ErrorReply:
    if type(error) is not dict:
        return ErrorReply(request_id, -1, str(error), None)
    return ErrorReply(
        request_id,
        _as_code(error.get("code", -1)),
        _as_message(error.get("message")),
        error.get("data"),
    )


def _as_code(value: Any) -> int:
    """A JSON-RPC error code as an int: ints pass, numeric strings convert, the rest is -1."""
    if type(value) is int:
        return value
    if type(value) is str and len(value) <= _MAX_CODE_DIGITS and _INT_RE.fullmatch(value):
        return int(value)
    if type(value) is float and value.is_integer():
        return int(value)
    return -1


def _as_message(value: Any) -> str:
    if value is None:
        return "Unknown error"
    return value if type(value) is str else str(value)


# --------------------------------------------------------------------------- result codes


def wrap_result(result: Any) -> dict[str, Any]:
    """The result as a dict: a non-object result arrives as ``{"raw": value}`` (spec 1.9.4)."""
    return result if type(result) is dict else {"raw": result}


#: Result codes as servers usually write them that :func:`result_failure` counts as success:
#: a reply whose ``code`` is one of these needs no call to it.
SUCCESS_CODES = frozenset(str(code) for code in range(200, 300))


def result_failure(result: dict[str, Any]) -> tuple[int, str] | None:
    """Apply the result-code rule of spec 1.9 to a result object.

    Returns ``None`` for success (no ``code``, or a code whose string form is exactly three
    characters ``2xx``), else ``(code, message)`` where a non-numeric code becomes -1. Never
    applied to ``signalwire.connect`` results.
    """
    code = result.get("code")
    if code is None:
        return None
    text = code if type(code) is str else str(code)
    if len(text) == 3 and text[0] == "2" and "0" <= text[1] <= "9" and "0" <= text[2] <= "9":
        return None
    numeric = len(text) <= _MAX_CODE_DIGITS and _INT_RE.fullmatch(text)
    number = int(text) if numeric else -1
    return number, _as_message(result.get("message"))
