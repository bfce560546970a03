"""Cheaper frozen, slotted dataclasses: built faster at import, constructed faster per frame.

**Construction.** Events are built for every frame, so their constructors are on the hot path.
The ``__init__`` that :mod:`dataclasses` generates for a frozen class stores every field with
``object.__setattr__(self, name, value)``: per field and per object, a global lookup, a method
lookup and a search of the class for the slot. :func:`fast_init` gives the class an
``__init__`` with the same signature (names, order, defaults, keyword-only markers) that stores
each field through its slot descriptor instead (``slot.__set__(self, value)``), about three
times faster.

**Definition.** :func:`dataclasses.dataclass` compiles five or six methods per frozen class from
generated source (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``), one ``exec`` each: for the core's ~85 classes that was most of the time
``import relay_proto`` took. :func:`dataclass` (the core modules import it in place of
:func:`dataclasses.dataclass`, same parameters) builds a ``frozen=True, slots=True`` class
with :mod:`dataclasses` doing the bookkeeping (fields, defaults, ``__match_args__``,
``__slots__``, ``__dataclass_fields__``, so :func:`dataclasses.fields`,
:func:`~dataclasses.replace` and :func:`~dataclasses.asdict` work as before) and gives it
methods written once for all classes (each reads class attributes: the field names, the
function giving their values, the repr template) plus the :func:`fast_init` constructor. They
behave as the generated ones do: assignment and deletion raise
:class:`~dataclasses.FrozenInstanceError`, ``==`` compares the fields of two instances of the
same class, ``hash`` is the hash of the fields' tuple, ``repr`` lists the fields, ``copy`` and
``pickle`` restore the slots. Any other combination of options (or a ``__post_init__``, an
``InitVar``, a field that opts out of ``init``/``repr``/``compare``/``hash``, a base dataclass
not built here) goes to :func:`dataclasses.dataclass` unchanged.
"""

from __future__ import annotations

import dataclasses
import reprlib
import weakref
from collections.abc import Callable
from operator import attrgetter
from types import CodeType, FunctionType
from typing import TYPE_CHECKING, Any, TypeVar

__all__ = ["dataclass", "fast_init"]

T = TypeVar("T")


class _Factory:
    """The default of a field that has a default_factory: "no value given"."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"  # as in the signature dataclasses gives


_NO_VALUE: Any = _Factory()

# Classes built by dataclass() below (their __dataclass_params__ say frozen, see _frozen_slots).
_BUILT: weakref.WeakSet[type] = weakref.WeakSet()


def _slot(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        descriptor = vars(klass).get(name)
        if descriptor is not None and hasattr(descriptor, "__set__"):
            return descriptor
    raise TypeError(f"{cls.__name__}.{name} is not a slot")


# Compiled constructor bodies, by shape: for each parameter in order, whether its field has a
# default_factory. A class's constructor is the body of its shape with the class's parameter
# names, keyword-only count and defaults: one compile per shape, not per class.
_BODIES: dict[tuple[bool, ...], CodeType] = {}


def _body(shape: tuple[bool, ...]) -> CodeType:
    code = _BODIES.get(shape)
    if code is None:
        lines = [
            f"    _set{i}(self, _factory{i}() if a{i} is _NO_VALUE else a{i})"
            if factory
            else f"    _set{i}(self, a{i})"
            for i, factory in enumerate(shape)
        ]
        params = "".join(f", a{i}" for i in range(len(shape)))
        source = f"def __init__(self{params}):\n" + "\n".join(lines or ["    pass"])
        namespace: dict[str, Any] = {}
        exec(source, namespace)  # generated from the shape above, nothing else
        code = _BODIES[shape] = namespace["__init__"].__code__
    return code


def _check_defaults(positional: list[dataclasses.Field[Any]]) -> None:
    """Refuse what :mod:`dataclasses` refuses when it writes the constructor: a positional
    parameter without a default after one with a default (in the class or from a base)."""
    defaulted = False
    for field in positional:
        if (
            field.default is not dataclasses.MISSING
            or field.default_factory is not dataclasses.MISSING
        ):
            defaulted = True
        elif defaulted:
            raise TypeError(f"non-default argument {field.name!r} follows default argument")


def _self_name(fields: tuple[dataclasses.Field[Any], ...]) -> str:
    # The constructor's first parameter: "self", unless a field has that name (dataclasses
    # then calls it "__dataclass_self__" too).
    return "__dataclass_self__" if any(field.name == "self" for field in fields) else "self"


def fast_init(cls: type[T]) -> type[T]:
    """Replace the generated ``__init__`` of the frozen, slotted dataclass ``cls``.

    Raises:
        TypeError: ``cls`` is not a slotted dataclass, has a ``__post_init__``, or a field
            excluded from ``__init__``: shapes whose constructor this does not reproduce; or
            a positional field without a default follows one with a default (as
            :mod:`dataclasses` refuses it).
    """
    if not dataclasses.is_dataclass(cls) or "__slots__" not in vars(cls):
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__")
    fields = dataclasses.fields(cls)
    for field in fields:
        if not field.init:
            raise TypeError(f"{cls.__name__}.{field.name} is not an __init__ parameter")
    # Parameters in the order dataclasses gives them: positional ones, then keyword-only ones.
    positional = [field for field in fields if not field.kw_only]
    keyword = [field for field in fields if field.kw_only]
    _check_defaults(positional)
    namespace: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    defaults: list[Any] = []
    kwdefaults: dict[str, Any] = {}
    for i, field in enumerate([*positional, *keyword]):
        namespace[f"_set{i}"] = _slot(cls, field.name).__set__
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{i}"] = field.default_factory
            default = _NO_VALUE
        else:
            continue
        if field.kw_only:
            kwdefaults[field.name] = default
        else:
            defaults.append(default)
    shape = tuple(
        field.default_factory is not dataclasses.MISSING for field in [*positional, *keyword]
    )
    code = _body(shape).replace(
        co_varnames=(_self_name(fields), *(field.name for field in [*positional, *keyword])),
        co_argcount=1 + len(positional),
        co_kwonlyargcount=len(keyword),
    )
    init = FunctionType(code, namespace, "__init__", tuple(defaults) or None)
    init.__kwdefaults__ = kwdefaults or None
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {**{field.name: field.type for field in fields}, "return": None}
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


# --------------------------------------------------------------------------- frozen + slots


def _values(names: tuple[str, ...]) -> Callable[[object], tuple[Any, ...]]:
    """A function giving the tuple of an object's attributes ``names`` (C speed)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


# The methods dataclass(frozen=True) generates, written once for every class: each reads the
# class's field names (_dc_names), the function giving their values (_dc_values) and its repr
# template (_dc_repr), class attributes set by _frozen_slots. A plain subclass inherits them
# with the methods, which then work on the fields of the class that defined them, as the
# generated ones do.


def _eq(self: Any, other: object) -> Any:
    cls: Any = self.__class__
    values = cls._dc_values
    if other.__class__ is cls:
        return values(self) == values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    cls: Any = type(self)
    return hash(cls._dc_values(self))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    cls = type(self)
    return str(cls.__qualname__ + cls._dc_repr.format(*cls._dc_values(self)))


def _setattr(self: Any, name: str, value: object) -> None:
    cls = type(self)
    if "_dc_names" in cls.__dict__ or name in cls._dc_names:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    cls = type(self)
    if "_dc_names" in cls.__dict__ or name in cls._dc_names:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, field.name) for field in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for field, value in zip(dataclasses.fields(self), state, strict=False):
        object.__setattr__(self, field.name, value)  # the slots of a frozen object


_METHODS = {
    "__eq__": _eq,
    "__hash__": _hash,
    "__repr__": _repr,
    "__setattr__": _setattr,
    "__delattr__": _delattr,
    "__getstate__": _getstate,
    "__setstate__": _setstate,
}


def _supported(cls: type) -> bool:
    """Whether :func:`_frozen_slots` reproduces what ``dataclass(frozen, slots)`` makes of
    ``cls`` (anything else goes to :func:`dataclasses.dataclass`)."""
    own = vars(cls)
    if hasattr(cls, "__post_init__") or "__init__" in own:
        return False
    if any(name in own for name in ("__setattr__", "__delattr__", "__getstate__", "__setstate__")):
        return False
    for klass in cls.__mro__[1:]:
        if dataclasses.is_dataclass(klass) and klass not in _BUILT:
            return False
    for value in own.values():
        if isinstance(value, dataclasses.Field) and (
            not value.init or not value.repr or not value.compare or value.hash is not None
        ):
            return False
    # An InitVar is a constructor parameter that is not a field: the constructor written here
    # knows only fields. (A string annotation naming it is enough to go to dataclasses.)
    for annotation in own.get("__annotations__", {}).values():
        if (
            annotation is dataclasses.InitVar
            or isinstance(annotation, dataclasses.InitVar)
            or (isinstance(annotation, str) and "InitVar" in annotation)
        ):
            return False
    return True


def _frozen_slots(cls: type, kw_only: bool) -> type:
    """``dataclass(frozen=True, slots=True, kw_only=kw_only)`` without compiling anything but
    the constructor."""
    own = vars(cls)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    keep = {name for name in ("__eq__", "__repr__") if name in own}
    if explicit_hash:
        keep.add("__hash__")
    documented = bool(cls.__doc__)  # dataclasses (below) documents a class without a docstring
    bases = [klass for klass in cls.__mro__[1:] if klass in _BUILT]
    # dataclasses refuses a non-frozen class over a frozen base: the bases built here say
    # "frozen" (below), so they stop saying it while this one is processed.
    for klass in bases:
        klass.__dataclass_params__.frozen = False  # type: ignore[attr-defined]
    try:
        new: type = dataclasses.dataclass(
            cls, init=False, repr=False, eq=False, slots=True, kw_only=kw_only
        )
    finally:
        for klass in bases:
            klass.__dataclass_params__.frozen = True  # type: ignore[attr-defined]
    names = tuple(field.name for field in dataclasses.fields(new))
    new._dc_names = names  # type: ignore[attr-defined]
    new._dc_values = _values(names)  # type: ignore[attr-defined]
    new._dc_repr = "(" + ", ".join([f"{name}={{!r}}" for name in names]) + ")"  # type: ignore[attr-defined]
    for name, method in _METHODS.items():
        if name not in keep:
            setattr(new, name, method)
    fast_init(new)
    # What dataclass(frozen=True) would have recorded.
    params = new.__dataclass_params__  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = params.frozen = True
    if not documented:  # with the signature of the constructor above, not the inherited one
        import inspect

        signature = str(inspect.signature(new)).replace(" -> None", "")
        new.__doc__ = new.__name__ + signature
    _BUILT.add(new)
    return new


if TYPE_CHECKING:
    from dataclasses import dataclass
else:

    def dataclass(cls=None, /, *, frozen=False, slots=False, kw_only=False, **options):
        """:func:`dataclasses.dataclass`, with ``frozen=True, slots=True`` classes built
        without compiling their methods (module docstring)."""

        def wrap(cls):
            if frozen and slots and not options and _supported(cls):
                return _frozen_slots(cls, kw_only)
            return dataclasses.dataclass(
                cls, frozen=frozen, slots=slots, kw_only=kw_only, **options
            )

        return wrap if cls is None else wrap(cls)
