"""Cheaper constructors for the core's frozen, slotted dataclasses.

Events are built for every frame, so their constructors are on the hot path. The ``__init__``
that :mod:`dataclasses` generates for a frozen class stores every field with
``object.__setattr__(self, name, value)``: per field and per object, a global lookup, a method
lookup and a search of the class for the slot. :func:`fast_init` gives the class an
``__init__`` with the same signature (names, order, defaults, keyword-only markers) that stores
each field through its slot descriptor instead (``slot.__set__(self, value)``), about three
times faster.

Nothing else changes: assignment to an instance still raises ``FrozenInstanceError`` (the
descriptors are only reachable from the generated code), and ``repr``, equality, hashing,
pickling and :func:`dataclasses.replace` are the dataclass's own.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["fast_init"]

T = TypeVar("T")

# The default of a field that has a default_factory: "no value given".
_NO_VALUE: Any = object()


def _slot(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        descriptor = vars(klass).get(name)
        if descriptor is not None and hasattr(descriptor, "__set__"):
            return descriptor
    raise TypeError(f"{cls.__name__}.{name} is not a slot")


def fast_init(cls: type[T]) -> type[T]:
    """Replace the generated ``__init__`` of the frozen, slotted dataclass ``cls``.

    Raises:
        TypeError: ``cls`` is not a slotted dataclass, has a ``__post_init__``, or a field
            excluded from ``__init__``: shapes whose constructor this does not reproduce.
    """
    if not dataclasses.is_dataclass(cls) or "__slots__" not in vars(cls):
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__")
    namespace: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for i, field in enumerate(dataclasses.fields(cls)):
        if not field.init:
            raise TypeError(f"{cls.__name__}.{field.name} is not an __init__ parameter")
        name = field.name
        namespace[f"_set{i}"] = _slot(cls, name).__set__
        value = name
        if field.default is not dataclasses.MISSING:
            namespace[f"_default{i}"] = field.default
            param = f"{name}=_default{i}"
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{i}"] = field.default_factory
            param = f"{name}=_NO_VALUE"
            value = f"_factory{i}() if {name} is _NO_VALUE else {name}"
        else:
            param = name
        (keyword if field.kw_only else positional).append(param)
        body.append(f"    _set{i}(self, {value})")
    params = ["self", *positional, *(["*", *keyword] if keyword else [])]
    source = f"def __init__({', '.join(params)}):\n" + "\n".join(body or ["    pass"])
    exec(source, namespace)  # generated from the field names above, nothing else
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
