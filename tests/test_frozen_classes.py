"""The core's frozen, slotted classes are built by ``relay_proto._fastinit.dataclass`` (no
``exec`` per method): they must behave exactly like what ``dataclasses.dataclass(frozen=True,
slots=True)`` builds from the same fields, for everything a user or a test can observe.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import Any

import pytest

import relay_proto  # noqa: F401 - builds every class of the core
from relay_proto import PlayEvent, RelayEvent, SessionReady
from relay_proto._fastinit import _BUILT, dataclass


def _reference(cls: type) -> type:
    """``cls`` rebuilt by dataclasses itself, bases included (the same fields in order)."""
    return dataclasses.make_dataclass(
        cls.__name__,
        [(f.name, f.type, f) for f in dataclasses.fields(cls)],
        frozen=True,
        slots=True,
        namespace={"__qualname__": cls.__qualname__},
    )


def _arguments(cls: type) -> dict[str, Any]:
    """Keyword arguments for ``cls``: a value for every field, not the defaults."""
    values: dict[str, Any] = {}
    for i, f in enumerate(dataclasses.fields(cls)):
        values[f.name] = f"value-{i}" if i % 2 else (i, f.name)  # hashable, never a default
    return values


_CLASSES = sorted(_BUILT, key=lambda c: (c.__module__, c.__qualname__))


def test_the_core_classes_are_built_here() -> None:
    names = {cls.__name__ for cls in _CLASSES}
    assert {"RelayEvent", "PlayEvent", "CallEvent", "SessionReady", "CallInfo"} <= names
    assert len(_CLASSES) > 60


@pytest.mark.parametrize("cls", _CLASSES, ids=lambda c: c.__qualname__)
def test_a_class_behaves_like_the_dataclass_it_replaces(cls: type) -> None:
    ref = _reference(cls)
    kwargs = _arguments(cls)
    ours, theirs = cls(**kwargs), ref(**kwargs)
    assert repr(ours) == repr(theirs)
    assert hash(ours) == hash(theirs)
    assert ours == cls(**kwargs)
    assert not ours.__ne__(cls(**kwargs))
    assert ours != theirs  # another class: never equal, as between two dataclasses
    assert dataclasses.astuple(ours) == dataclasses.astuple(theirs)
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    assert [(f.name, f.type, f.kw_only) for f in dataclasses.fields(cls)] == [
        (f.name, f.type, f.kw_only) for f in dataclasses.fields(ref)
    ]
    assert cls.__match_args__ == ref.__match_args__  # type: ignore[attr-defined]
    assert not hasattr(ours, "__dict__") and not hasattr(ours, "__weakref__")
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert (params.init, params.repr, params.eq, params.frozen) == (True, True, True, True)
    assert str(inspect.signature(cls)) == str(inspect.signature(ref))
    name = dataclasses.fields(cls)[0].name if dataclasses.fields(cls) else "anything"
    with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot assign to field '{name}'"):
        setattr(ours, name, 1)
    with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot delete field '{name}'"):
        delattr(ours, name)
    for clone in (copy.copy(ours), copy.deepcopy(ours), pickle.loads(pickle.dumps(ours))):
        assert clone == ours and clone is not ours
    if dataclasses.fields(cls):
        changed = dataclasses.replace(ours, **{name: "changed"})
        assert getattr(changed, name) == "changed" and changed != ours


def test_unhashable_fields_make_an_unhashable_instance_as_before() -> None:
    event = PlayEvent("calling.call.play", {"state": "playing"}, "c1", 1.5, state="playing")
    with pytest.raises(TypeError, match="unhashable"):
        hash(event)
    assert repr(event) == (
        "PlayEvent(event_type='calling.call.play', params={'state': 'playing'}, call_id='c1', "
        "timestamp=1.5, control_id='', state='playing')"
    )
    assert event.__match_args__[:4] == ("event_type", "params", "call_id", "timestamp")
    match event:
        case PlayEvent(_, _, "c1", state="playing"):
            pass
        case _:
            pytest.fail("the class pattern did not match")


def test_a_recursive_value_is_shown_as_an_ellipsis() -> None:
    params: dict[str, Any] = {}
    event = RelayEvent("x", params)
    params["self"] = event
    expected = "RelayEvent(event_type='x', params={'self': ...}, call_id='', timestamp=0.0)"
    assert repr(event) == expected


def test_keyword_only_classes_stay_keyword_only() -> None:
    with pytest.raises(TypeError):
        SessionReady("p", "a")  # type: ignore[misc]
    assert SessionReady.__match_args__ == ()


@dataclasses.dataclass(frozen=True)
class Mine(PlayEvent):
    """A user's dataclass over a core event (module level: pickled below)."""

    extra: int = 0


def test_subclasses_made_by_dataclasses_follow_its_rules() -> None:
    mine = Mine(extra=3, state="playing")
    assert mine.extra == 3 and mine.state == "playing"
    assert "extra=3" in repr(mine)
    for clone in (copy.copy(mine), pickle.loads(pickle.dumps(mine))):
        assert clone == mine and clone.extra == 3 and clone.state == "playing"
    with pytest.raises(dataclasses.FrozenInstanceError):
        mine.extra = 4  # type: ignore[misc]
    with pytest.raises(TypeError, match="non-frozen"):

        @dataclasses.dataclass
        class Mutable(PlayEvent):
            extra: int = 0


def test_a_plain_subclass_may_add_attributes_but_not_set_fields() -> None:
    class Plain(PlayEvent):
        pass

    plain = Plain(state="x")
    plain.note = "kept"  # type: ignore[attr-defined]
    assert plain.note == "kept"  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plain.state = "y"  # type: ignore[misc]
    assert plain == Plain(state="x") and plain != PlayEvent(state="x")


def test_what_it_cannot_reproduce_goes_to_dataclasses() -> None:
    @dataclass(frozen=True, slots=True)
    class WithPostInit:
        x: int = 0

        def __post_init__(self) -> None:
            object.__setattr__(self, "x", self.x + 1)

    @dataclass(frozen=True, slots=True)
    class Hidden:
        x: int = dataclasses.field(default=0, repr=False)

    @dataclass(frozen=True, slots=True)
    class Own:
        x: int = 0

        def __repr__(self) -> str:
            return "own"

    @dataclass(slots=True)
    class Mutable:
        x: int = 0

    assert WithPostInit().x == 1 and WithPostInit not in _BUILT
    assert repr(Hidden()) == "test_what_it_cannot_reproduce_goes_to_dataclasses.<locals>.Hidden()"
    assert Hidden not in _BUILT
    assert repr(Own()) == "own" and Own in _BUILT and Own() == Own() and hash(Own()) == hash((0,))
    mutable = Mutable()
    mutable.x = 2
    assert mutable == Mutable(2) and Mutable not in _BUILT
