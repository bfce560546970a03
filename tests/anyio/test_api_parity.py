"""API parity with the official ``signalwire.relay``: a program ports by changing its import.

For every public name of ``signalwire.relay`` (its ``__all__``) relay_anyio must export the
same name; for RelayClient, Call, Message, RelayError and every action class, every public
method and property must exist, be async exactly when the official one is, and accept every
call the official signature accepts (same parameter names, kinds and order for positional
parameters, same defaults; extra parameters only with defaults). Constants must have the same
values, typed events the same fields and defaults, and objects the same public attributes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from typing import Any

import pytest

import relay_anyio

official = pytest.importorskip(
    "signalwire.relay",
    reason="the official SDK is not installed "
    "(pip install --no-deps signalwire-sdk websockets structlog)",
)

pytestmark = pytest.mark.official

CLASSES = [
    "RelayClient",
    "RelayError",
    "Call",
    "Message",
    "Action",
    "PlayAction",
    "RecordAction",
    "DetectAction",
    "CollectAction",
    "StandaloneCollectAction",
    "FaxAction",
    "TapAction",
    "StreamAction",
    "PayAction",
    "TranscribeAction",
    "AIAction",
]
EVENT_CLASSES = [
    name
    for name in official.__all__
    if name.endswith("Event") and inspect.isclass(getattr(official, name))
]
CONSTANTS = [name for name in official.__all__ if name.isupper()]


def public_members(cls: type) -> dict[str, Any]:
    members = {}
    for name in dir(cls):
        if name.startswith("_") and name not in ("__init__", "__aenter__", "__aexit__"):
            continue
        static = inspect.getattr_static(cls, name)
        if name in dir(Exception) and issubclass(cls, BaseException) and name != "__init__":
            continue  # inherited from Exception on both sides
        members[name] = static
    return members


def check_signature(where: str, ours: Any, theirs: Any) -> None:
    """Every call valid against ``theirs`` must be valid against ``ours``."""
    ours_sig, their_sig = inspect.signature(ours), inspect.signature(theirs)
    our_params = list(ours_sig.parameters.values())
    their_params = list(their_sig.parameters.values())
    our_by_name = {p.name: p for p in our_params}
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for index, param in enumerate(their_params):
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            assert any(p.kind is param.kind for p in our_params), f"{where}: no **{param.name}"
            continue
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            assert any(p.kind is param.kind for p in our_params), f"{where}: no *{param.name}"
            continue
        mine = our_by_name.get(param.name)
        assert mine is not None, f"{where}: parameter {param.name!r} missing"
        assert mine.kind == param.kind, f"{where}: {param.name!r} is {mine.kind}, not {param.kind}"
        if param.kind in positional:
            assert our_params[index].name == param.name, f"{where}: {param.name!r} out of order"
        if param.default is not inspect.Parameter.empty:  # a required one may gain a default
            assert mine.default == param.default, (
                f"{where}: default of {param.name!r} is {mine.default!r}, not {param.default!r}"
            )
    their_names = {p.name for p in their_params}
    for param in our_params:
        if param.name in their_names or param.kind in (
            inspect.Parameter.VAR_KEYWORD,
            inspect.Parameter.VAR_POSITIONAL,
        ):
            continue
        assert param.default is not inspect.Parameter.empty, (
            f"{where}: extra parameter {param.name!r} must have a default"
        )


def test_every_public_name_is_exported() -> None:
    missing = [name for name in official.__all__ if not hasattr(relay_anyio, name)]
    assert missing == []
    assert set(relay_anyio.__all__) >= set(official.__all__)


@pytest.mark.parametrize("name", CONSTANTS)
def test_constant_values(name: str) -> None:
    assert getattr(relay_anyio, name) == getattr(official, name)


@pytest.mark.parametrize("name", CLASSES)
def test_class_members_and_signatures(name: str) -> None:
    ours, theirs = getattr(relay_anyio, name), getattr(official, name)
    our_members = public_members(ours)
    for member, their_static in public_members(theirs).items():
        assert member in our_members, f"{name}.{member} missing"
        our_static = our_members[member]
        if isinstance(their_static, property):
            assert isinstance(our_static, property), f"{name}.{member} must be a property"
            continue
        their_fn, our_fn = getattr(theirs, member), getattr(ours, member)
        if not callable(their_fn):
            continue
        assert inspect.iscoroutinefunction(our_fn) == inspect.iscoroutinefunction(their_fn), (
            f"{name}.{member}: async mismatch"
        )
        check_signature(f"{name}.{member}", our_fn, their_fn)


@pytest.mark.parametrize("name", EVENT_CLASSES)
def test_event_fields(name: str) -> None:
    ours, theirs = getattr(relay_anyio, name), getattr(official, name)
    their_fields = dataclasses.fields(theirs)
    our_fields = dataclasses.fields(ours)
    # Same fields in the same order (positional construction ports); a required official
    # field may have a default here, but an official default must be the same.
    assert [f.name for f in our_fields[: len(their_fields)]] == [f.name for f in their_fields]
    for mine, their in zip(our_fields, their_fields, strict=False):
        if their.default is not dataclasses.MISSING:
            assert mine.default == their.default, f"{name}.{their.name}"
        if their.default_factory is not dataclasses.MISSING:
            assert mine.default_factory is not dataclasses.MISSING, f"{name}.{their.name}"
            assert mine.default_factory() == their.default_factory(), f"{name}.{their.name}"
    assert callable(getattr(ours, "from_payload", None))


def test_parse_event_agrees() -> None:
    payload = {
        "event_type": "calling.call.play",
        "params": {"call_id": "c1", "control_id": "p1", "state": "finished"},
    }
    ours, theirs = relay_anyio.parse_event(payload), official.parse_event(payload)
    assert type(ours).__name__ == type(theirs).__name__ == "PlayEvent"
    fields = ("event_type", "call_id", "control_id", "state", "params")
    assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]


def _public_vars(obj: object) -> set[str]:
    return {name for name in vars(obj) if not name.startswith("_")}


def test_instance_attributes() -> None:
    async def build_official() -> tuple[object, object, object, object]:
        client = official.RelayClient(project="p", token="t")
        call = official.Call(client, "c1", "n1", "p", "ctx", tag="t", direction="inbound")
        action = official.PlayAction(call, "ctl")
        message = official.Message(message_id="m1")
        return client, call, action, message

    their_client, their_call, their_action, their_message = asyncio.run(build_official())
    client = relay_anyio.RelayClient(project="p", token="t")
    call = relay_anyio.Call(client, "c1", "n1", "p", "ctx", tag="t", direction="inbound")
    action = relay_anyio.PlayAction(call, "ctl")
    message = relay_anyio.Message(message_id="m1")
    assert _public_vars(their_client) <= _public_vars(client)
    assert _public_vars(their_call) <= _public_vars(call)
    assert _public_vars(their_action) <= _public_vars(action)
    assert _public_vars(their_message) <= _public_vars(message)
    assert repr(call) == repr(their_call)
    assert repr(message) == repr(their_message)


def test_relay_error_renders_the_same() -> None:
    ours, theirs = relay_anyio.RelayError(404, "gone"), official.RelayError(404, "gone")
    assert str(ours) == str(theirs)
    assert (ours.code, ours.message) == (theirs.code, theirs.message)
