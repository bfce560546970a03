"""relay_sync's public API is relay_anyio's, minus ``async``/``await``.

Every name in either ``__all__``; for every class, every public method and property, with the
same parameter names, kinds and defaults, and the same class hierarchy. The only differences
allowed are listed in ``ALLOWED`` below, each with its reason.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import relay_anyio
import relay_sync

# (class, member) -> parameters only one side has, and why.
ALLOWED: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    # anyio.run() picks the event loop; a blocking client has none.
    ("RelayClient", "run"): ({"backend", "backend_options"}, set()),
    # The size of the handler thread pool (the async client runs one task per handler).
    ("RelayClient", "__init__"): (set(), {"max_workers"}),
}
# Private base classes only one side has (the blocking client keeps its session machinery in
# a base class of its own; the async client in the class itself).
EXTRA_BASES = {"RelayClient": {"ClientSession"}}
# Protocol methods that differ by name only.
RENAMED = {"__aenter__": "__enter__", "__aexit__": "__exit__"}
# Dunder methods that are part of the public API (the rest are object plumbing).
PUBLIC_DUNDERS = {"__init__", "__aenter__", "__aexit__", "__enter__", "__exit__", "__repr__"}


def _public_members(cls: type) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ == "builtins":
            continue  # object, Exception...: not ours to compare
        for name, value in vars(klass).items():
            if name.startswith("_") and name not in PUBLIC_DUNDERS:
                continue
            members[name] = value
    return members


def _kind(value: Any) -> str:
    if isinstance(value, property):
        return "property"
    if isinstance(value, classmethod):
        return "classmethod"
    if isinstance(value, staticmethod):
        return "staticmethod"
    if callable(value):
        return "method"
    return "attribute"


def _params(fn: Any) -> dict[str, tuple[Any, Any]]:
    signature = inspect.signature(fn)
    return {p.name: (p.kind, p.default) for p in signature.parameters.values()}


def _classes() -> list[str]:
    return [
        name
        for name in relay_anyio.__all__
        if inspect.isclass(getattr(relay_anyio, name))
        and getattr(relay_anyio, name) is not getattr(relay_sync, name, None)
    ]


def test_same_names_in_all() -> None:
    assert list(relay_sync.__all__) == list(relay_anyio.__all__)
    for name in relay_sync.__all__:
        assert hasattr(relay_sync, name), name


def test_shared_names_are_the_core_objects() -> None:
    # Events, parse_event and constants come from relay_proto in both packages.
    own = (
        {"RelayClient", "RelayError", "SessionReplacedError", "Call", "Message", "Action"}
        | {name for name in relay_anyio.__all__ if name.endswith("Error")}
        | {name for name in relay_anyio.__all__ if name.endswith("Action")}
    )
    for name in relay_anyio.__all__:
        if name in own:
            assert getattr(relay_sync, name) is not getattr(relay_anyio, name), name
        else:
            assert getattr(relay_sync, name) is getattr(relay_anyio, name), name


def test_the_client_classes_are_covered() -> None:
    assert set(_classes()) >= {"RelayClient", "RelayError", "Call", "Message", "PlayAction"}


@pytest.mark.parametrize("name", _classes())
def test_class_hierarchy(name: str) -> None:
    async_mro = [klass.__name__ for klass in getattr(relay_anyio, name).__mro__]
    sync_mro = [klass.__name__ for klass in getattr(relay_sync, name).__mro__]
    extra = EXTRA_BASES.get(name, set())
    assert [klass for klass in sync_mro if klass not in extra] == async_mro


@pytest.mark.parametrize("name", _classes())
def test_class_members(name: str) -> None:
    async_cls, sync_cls = getattr(relay_anyio, name), getattr(relay_sync, name)
    async_members, sync_members = _public_members(async_cls), _public_members(sync_cls)
    expected = {RENAMED.get(member, member) for member in async_members}
    assert set(sync_members) == expected, name
    for member, async_value in async_members.items():
        sync_value = sync_members[RENAMED.get(member, member)]
        assert _kind(sync_value) == _kind(async_value), f"{name}.{member}"
        if _kind(async_value) != "method":
            continue
        _compare_method(name, member, async_value, sync_value)


def _compare_method(cls: str, member: str, async_fn: Any, sync_fn: Any) -> None:
    where = f"{cls}.{member}"
    # The one allowed difference: a coroutine function becomes a plain one.
    assert not inspect.iscoroutinefunction(sync_fn), where
    if member not in RENAMED and not inspect.iscoroutinefunction(async_fn):
        assert not inspect.isasyncgenfunction(async_fn), where
    only_async, only_sync = ALLOWED.get((cls, member), (set(), set()))
    async_params, sync_params = _params(async_fn), _params(sync_fn)
    for extra in only_async:
        async_params.pop(extra, None)
    for extra in only_sync:
        sync_params.pop(extra, None)
    assert list(sync_params) == list(async_params), where
    assert sync_params == async_params, where


def test_allowed_differences_still_exist() -> None:
    # An entry of ALLOWED that no longer differs must go, or it would hide a future drift.
    for (cls, member), (only_async, only_sync) in ALLOWED.items():
        async_params = _params(getattr(getattr(relay_anyio, cls), member))
        sync_params = _params(getattr(getattr(relay_sync, cls), member))
        assert only_async <= set(async_params) - set(sync_params), (cls, member)
        assert only_sync <= set(sync_params) - set(async_params), (cls, member)


def test_coroutine_methods_become_plain_methods() -> None:
    # Spot checks of what the comparison above relies on.
    assert inspect.iscoroutinefunction(relay_anyio.Call.play)
    assert not inspect.iscoroutinefunction(relay_sync.Call.play)
    assert inspect.iscoroutinefunction(relay_anyio.RelayClient.dial)
    assert not inspect.iscoroutinefunction(relay_sync.RelayClient.dial)
    assert inspect.iscoroutinefunction(relay_anyio.Message.wait)
    assert not inspect.iscoroutinefunction(relay_sync.Message.wait)
