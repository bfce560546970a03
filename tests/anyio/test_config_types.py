"""RelayClient's constructor refuses arguments of the wrong type with a TypeError naming them
(both clients share the check: relay_sync's _config is generated from relay_anyio's)."""

from __future__ import annotations

from typing import Any

import pytest

import relay_anyio
import relay_sync

CLIENTS = [relay_anyio.RelayClient, relay_sync.RelayClient]


@pytest.mark.parametrize("client_class", CLIENTS)
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"project": 123}, "project must be a string, not int: 123"),
        ({"token": b"t"}, "token must be a string, not bytes"),
        ({"jwt_token": ["j"]}, "jwt_token must be a string, not list"),
        ({"host": 8080}, "host must be a string, not int: 8080"),
        ({"contexts": "office"}, "contexts must be a list of strings, not the string 'office'"),
        ({"contexts": 5}, "contexts must be a list of strings, not int: 5"),
        ({"contexts": {"office": 1}}, "contexts must be a list of strings, not dict"),
        ({"contexts": ["office", 7]}, "7 is int"),
        ({"max_active_calls": "5"}, "max_active_calls must be an int, not str: '5'"),
        ({"max_active_calls": True}, "max_active_calls must be an int, not bool"),
    ],
)
def test_wrong_types_raise_type_error(
    client_class: Any, kwargs: dict[str, Any], message: str
) -> None:
    settings: dict[str, Any] = {"project": "p", "token": "t", **kwargs}
    with pytest.raises(TypeError) as info:
        client_class(**settings)
    assert message in str(info.value)


@pytest.mark.parametrize("client_class", CLIENTS)
def test_right_types_and_values_still_work(
    client_class: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIGNALWIRE_SPACE", raising=False)
    client = client_class(project="p", token="t", contexts=("office", "sales"), max_active_calls=3)
    assert client.contexts == ["office", "sales"]
    with pytest.raises(ValueError, match="non-empty"):
        client_class(project="p", token="t", contexts=["office", ""])
    # None still means "from the environment".
    monkeypatch.setenv("SIGNALWIRE_PROJECT_ID", "env-project")
    assert client_class(project=None, token="t").project == "env-project"
