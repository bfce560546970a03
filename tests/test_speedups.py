"""The speed work must not change behaviour: fast constructors and the JSON backends.

``relay_proto._fastinit.fast_init`` must build exactly what the dataclass constructor built; the
orjson decoder (``relay-sansio[speedups]``) must decode every text to what the standard decoder
makes of it. The whole core suite also runs under each backend:
``RELAY_SANSIO_JSON=stdlib pytest tests/proto`` and ``RELAY_SANSIO_JSON=orjson pytest tests/proto``
(scripts/test does both when orjson is installed).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay_proto import _jsonrpc
from relay_proto._conn_events import ActionCompleted, CallEvent
from relay_proto._events import EVENT_CLASSES, PlayEvent, RelayEvent
from relay_proto._fastinit import fast_init
from relay_proto._types import CallCommand


def _plain(cls: type) -> type:
    """The same dataclass with the constructor dataclasses generates."""
    return dataclasses.make_dataclass(
        cls.__name__,
        [(f.name, f.type, f) for f in dataclasses.fields(cls)],
        frozen=True,
        slots=True,
    )


@pytest.mark.parametrize("cls", [RelayEvent, *EVENT_CLASSES.values(), CallEvent, CallCommand])
def test_fast_init_keeps_the_signature(cls: type) -> None:
    fast = inspect.signature(cls)
    plain = inspect.signature(_plain(cls))
    assert [(p.name, p.kind) for p in fast.parameters.values()] == [
        (p.name, p.kind) for p in plain.parameters.values()
    ]
    for name, param in plain.parameters.items():
        if param.default is not inspect.Parameter.empty and not repr(param.default).startswith(
            "<factory>"
        ):
            assert fast.parameters[name].default == param.default


def _classes_built_per_frame() -> list[type]:
    from relay_proto import _conn_events, _types

    exported = [getattr(_conn_events, name) for name in _conn_events.__all__]
    events = [obj for obj in exported if isinstance(obj, type)]  # not its constants
    types = [_types.CallCommand, _types.CallInfo, _types.MessageInfo, _types.Started]
    return [RelayEvent, *EVENT_CLASSES.values(), *events, *types]


@pytest.mark.parametrize("cls", _classes_built_per_frame(), ids=lambda c: c.__name__)
def test_every_class_built_per_frame_has_the_fast_constructor(cls: type) -> None:
    if dataclasses.fields(cls):
        assert "_set0" in vars(cls)["__init__"].__code__.co_names


def test_fast_init_builds_equal_frozen_objects() -> None:
    event = PlayEvent("calling.call.play", {"state": "playing"}, "c1", 1.5, state="playing")
    assert event == PlayEvent(
        event_type="calling.call.play",
        params={"state": "playing"},
        call_id="c1",
        timestamp=1.5,
        state="playing",
    )
    assert event.control_id == "" and event.state == "playing"
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.state = "x"  # type: ignore[misc]
    # Factories run once per object; keyword-only stays keyword-only.
    assert RelayEvent().params is not RelayEvent().params
    with pytest.raises(TypeError):
        CallEvent("c1", event, "answered")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ActionCompleted(call_id="c1", control_id="x")  # type: ignore[call-arg]
    assert dataclasses.replace(event, state="finished").state == "finished"


def test_fast_init_reproduces_every_kind_of_parameter() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Base:
        a: int
        b: str = "b"

    @dataclasses.dataclass(frozen=True, slots=True)
    class Shape(Base):
        c: list[int] = dataclasses.field(default_factory=list)
        d: int = dataclasses.field(default=4, kw_only=True)
        e: str = dataclasses.field(kw_only=True, default="e")

    @dataclasses.dataclass(frozen=True, slots=True)
    class Empty:
        pass

    plain = Shape(1, c=[3], e="x")
    assert fast_init(Shape) is Shape and fast_init(Empty) is Empty
    assert "_set0" in vars(Shape)["__init__"].__code__.co_names
    assert Shape(1, c=[3], e="x") == plain
    assert Shape(1).c == [] and Shape(1).c is not Shape(1).c
    params = inspect.signature(Shape).parameters
    kinds = [(name, p.kind) for name, p in params.items()]
    positional, keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
    assert kinds == [("a", positional), ("b", positional), ("c", positional), ("d", keyword),
                     ("e", keyword)]  # fmt: skip
    assert params["b"].default == "b" and params["d"].default == 4
    with pytest.raises(TypeError):
        Shape()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Shape(1, "b", [], 4)  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Shape(1).a = 2  # type: ignore[misc]
    assert Empty() == Empty()


def test_fast_init_refuses_shapes_it_cannot_reproduce() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithPostInit:
        x: int = 0

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        x: int = 0

    @dataclasses.dataclass(frozen=True, slots=True)
    class NotInInit:
        x: int = dataclasses.field(default=0, init=False)

    for cls in (WithPostInit, NoSlots, NotInInit, int):
        with pytest.raises(TypeError):
            fast_init(cls)


# --------------------------------------------------------------------------- JSON backends

needs_orjson = pytest.mark.skipif(
    importlib.util.find_spec("orjson") is None, reason="relay-sansio[speedups] not installed"
)
_STDLIB = _jsonrpc._loads
_ORJSON = _jsonrpc._orjson_decoder("orjson") if importlib.util.find_spec("orjson") else None


def _outcome(decode: Any, text: str) -> tuple[str, str]:
    try:
        value = decode(text)
    except (ValueError, RecursionError) as exc:
        return ("error", type(exc).__name__)
    # repr tells 1 from 1.0 and keeps key order.
    return ("value", repr(value))


TRICKY = [
    '{"id": 123456789012345678901234567890, "method": "m"}',
    '{"id": -9223372036854775809}',
    '{"id": 18446744073709551616}',
    '{"id": 1e999, "method": "signalwire.ping"}',
    '{"id": "\\ud800", "method": "m"}',
    '{"a": NaN}',
    "[" * 2000 + "]" * 2000,
    '\ufeff{"a": 1}',
    '{"a": 1, "a": 2}',
    '{"t": 1718035200.482, "n": -0, "f": -0.0, "e": 1E5}',
    '"\\u2028 \\/ \\u0000"',
    "{} x",
    "",
]


@needs_orjson
@pytest.mark.parametrize("text", TRICKY)
def test_orjson_decodes_like_the_standard_decoder(text: str) -> None:
    assert _ORJSON is not None
    assert _outcome(_ORJSON, text) == _outcome(_STDLIB, text)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@needs_orjson
@settings(max_examples=300, deadline=None)
@given(_json)
def test_orjson_decodes_any_document_like_the_standard_decoder(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert _ORJSON is not None
    assert _outcome(_ORJSON, text) == _outcome(_STDLIB, text)


@needs_orjson
@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from('{}[]":,0123456789-+.eE tfnrul\\a\u00e9\ud800'), max_size=40)
)
def test_orjson_judges_any_text_like_the_standard_decoder(text: str) -> None:
    assert _ORJSON is not None
    assert _outcome(_ORJSON, text) == _outcome(_STDLIB, text)


@needs_orjson
@pytest.mark.parametrize("choice", ["stdlib", "orjson"])
def test_the_environment_variable_picks_the_backend(choice: str) -> None:
    env = dict(os.environ, RELAY_SANSIO_JSON=choice)
    out = subprocess.run(
        [sys.executable, "-c", "from relay_proto import _jsonrpc; print(_jsonrpc.JSON_BACKEND)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == choice


def test_a_bad_backend_name_is_refused() -> None:
    with pytest.raises(ValueError, match="RELAY_SANSIO_JSON"):
        _jsonrpc._orjson_decoder("ujson")


def test_without_orjson_the_standard_decoder_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise ImportError(name)

    monkeypatch.setattr(importlib, "import_module", missing)
    assert _jsonrpc._orjson_decoder("") is None
    assert _jsonrpc._orjson_decoder("stdlib") is None
    with pytest.raises(ImportError, match="orjson is not installed"):
        _jsonrpc._orjson_decoder("orjson")
