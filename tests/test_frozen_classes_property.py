"""``relay_proto._fastinit.dataclass`` against ``dataclasses.dataclass`` for classes drawn at
random: the same field declarations (defaults, default factories, keyword-only markers, a base
class) give classes that accept, refuse and show the same things."""

from __future__ import annotations

import copy
import dataclasses
import inspect
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from relay_proto._fastinit import dataclass

# One field: its kind of default and whether it is keyword-only.
_FIELD = st.tuples(st.sampled_from(["none", "default", "factory"]), st.booleans())
_FIELDS = st.lists(_FIELD, max_size=4)


def _namespace(prefix: str, fields: list[tuple[str, bool]]) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations}
    for i, (kind, kw_only) in enumerate(fields):
        name = f"{prefix}{i}"
        annotations[name] = "Any"
        options: dict[str, Any] = {"kw_only": True} if kw_only else {}
        if kind == "default":
            options["default"] = (prefix, i)
        elif kind == "factory":
            options["default_factory"] = lambda i=i: [prefix, i]  # a new object each time
        if options:
            namespace[name] = dataclasses.field(**options)
    return namespace


def _build(decorate: Any, base: type | None, prefix: str, fields: Any, kw_only: bool) -> Any:
    """The class ``decorate`` makes of these declarations, or the type of its error."""
    bases = (base,) if base is not None else ()
    cls = type(f"C{prefix}", bases, _namespace(prefix, fields))
    try:
        return decorate(frozen=True, slots=True, kw_only=kw_only)(cls)
    except (TypeError, ValueError) as exc:
        return type(exc)


def _outcome(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        obj = cls(*args, **kwargs)
    except TypeError:
        return TypeError
    return obj


def _hash(obj: Any) -> Any:
    try:
        return hash(obj)
    except TypeError:  # a list from a default factory
        return TypeError


def _same_object(ours: Any, theirs: Any) -> None:
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    assert repr(ours) == repr(theirs)
    assert _hash(ours) == _hash(theirs)
    assert ours == copy.copy(ours) == copy.deepcopy(ours)
    assert dataclasses.replace(ours) == ours


@settings(max_examples=300, deadline=None)
@given(
    base_fields=st.none() | _FIELDS,
    fields=_FIELDS,
    kw_only=st.booleans(),
    positional=st.integers(0, 5),
    keywords=st.sets(st.sampled_from(["b0", "b1", "c0", "c1", "c2", "c3", "x"])),
)
def test_drawn_classes_behave_as_dataclasses_makes_them(
    base_fields: Any, fields: Any, kw_only: bool, positional: int, keywords: set[str]
) -> None:
    outcomes = []
    for decorate in (dataclass, dataclasses.dataclass):
        base = None
        if base_fields is not None:
            base = _build(decorate, None, "b", base_fields, False)
            if not isinstance(base, type) or issubclass(base, Exception):
                outcomes.append(("base refused", base))
                continue
        cls = _build(decorate, base, "c", fields, kw_only)
        if issubclass(cls, Exception):
            outcomes.append(("refused", cls))
            continue
        args = tuple(range(positional))
        kwargs = {name: f"kw-{name}" for name in keywords}
        outcomes.append((cls, _outcome(cls, args, kwargs)))
    (ours, our_result), (theirs, their_result) = outcomes
    if isinstance(ours, str) or isinstance(theirs, str):
        assert (ours, our_result) == (theirs, their_result)
        return
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert ours.__match_args__ == theirs.__match_args__
    assert ours.__doc__ == theirs.__doc__
    if our_result is TypeError or their_result is TypeError:
        assert our_result is their_result
        return
    _same_object(our_result, their_result)


def test_field_names_the_constructor_uses_itself_are_fields_like_any_other() -> None:
    results = []
    for decorate in (dataclass, dataclasses.dataclass):

        @decorate(frozen=True, slots=True)
        class Odd:
            self: int
            a0: int = 1
            _NO_VALUE: int = 2
            _set0: list[int] = dataclasses.field(default_factory=list)
            _factory1: str = "f"

        results.append((str(inspect.signature(Odd)), repr(Odd(7)), repr(Odd(self=8, a0=9))))
    assert results[0] == results[1]


def test_init_only_variables_are_constructor_parameters_as_with_dataclasses() -> None:
    made = []
    for decorate in (dataclass, dataclasses.dataclass):

        @decorate(frozen=True, slots=True)
        class WithInitVar:
            a: int
            b: dataclasses.InitVar[int] = 0
            _: dataclasses.KW_ONLY
            k: int = 1

        made.append((str(inspect.signature(WithInitVar)), repr(WithInitVar(1, 2, k=3))))
    assert made[0] == made[1]
