"""RelayClient construction: environment fallbacks, validation, host parsing, TLS settings,
the process-wide connection limit and RelayError."""

from __future__ import annotations

import pickle
import ssl
from pathlib import Path

import pytest

from relay_anyio import RelayClient, RelayError, RelayTimeoutError
from relay_anyio._config import ConnectionSlots, make_ssl_context
from relay_proto import parse_host

ENV = (
    "SIGNALWIRE_PROJECT_ID",
    "SIGNALWIRE_API_TOKEN",
    "SIGNALWIRE_JWT_TOKEN",
    "SIGNALWIRE_SPACE",
    "RELAY_MAX_ACTIVE_CALLS",
    "RELAY_MAX_CONNECTIONS",
    "SIGNALWIRE_RELAY_CA_FILE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_explicit_arguments_and_defaults() -> None:
    client = RelayClient("proj", "tok", contexts=["office", "sales"])
    assert (client.project, client.token, client.jwt_token) == ("proj", "tok", "")
    assert client.host == "relay.signalwire.com"
    assert client.contexts == ["office", "sales"]
    assert client.relay_protocol == ""
    assert client._max_active_calls == 1000
    assert "tok" not in repr(client)


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALWIRE_PROJECT_ID", "env-proj")
    monkeypatch.setenv("SIGNALWIRE_API_TOKEN", "env-tok")
    monkeypatch.setenv("SIGNALWIRE_SPACE", "example.signalwire.com")
    monkeypatch.setenv("RELAY_MAX_ACTIVE_CALLS", "7")
    client = RelayClient(project="", token=None)  # empty strings count as not given
    assert (client.project, client.token) == ("env-proj", "env-tok")
    assert client.host == "example.signalwire.com"
    assert client._max_active_calls == 7
    assert RelayClient(max_active_calls=0)._max_active_calls == 1


@pytest.mark.parametrize(("value", "expected"), [("abc", 1000), ("0", 1), ("-5", 1), ("", 1000)])
def test_max_active_calls_env_rules(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    monkeypatch.setenv("RELAY_MAX_ACTIVE_CALLS", value)
    assert RelayClient("p", "t")._max_active_calls == expected


def test_missing_project_is_reported_first() -> None:
    with pytest.raises(ValueError, match="SIGNALWIRE_PROJECT_ID") as info:
        RelayClient()
    assert "SIGNALWIRE_API_TOKEN" not in str(info.value)


def test_missing_token_names_its_variable() -> None:
    with pytest.raises(ValueError, match="SIGNALWIRE_API_TOKEN") as info:
        RelayClient(project="p")
    assert "SIGNALWIRE_PROJECT_ID" not in str(info.value)


def test_jwt_alone_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALWIRE_JWT_TOKEN", "jwt-value")
    client = RelayClient()
    assert (client.project, client.token, client.jwt_token) == ("", "", "jwt-value")
    assert RelayClient(project="kept", jwt_token="j").project == "kept"


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("user:pw@example.com", "user info"),
        ("example.com/path", "/"),
        ("wss://example.com/relay", "path"),
        ("wss://example.com/?q=1", "query"),
        ("exa mple.com", "space"),
        ("example.com\r\nX-Evil: 1", "control"),
        ("ftp://example.com", "scheme"),
        ("example.com:99999", "port"),
    ],
)
def test_bad_hosts_refused_at_construction(host: str, problem: str) -> None:
    with pytest.raises(ValueError, match="invalid host") as info:
        RelayClient("p", "t", host=host)
    assert problem in str(info.value).lower()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("example.signalwire.com", "wss://example.signalwire.com"),
        ("127.0.0.1:8773", "wss://127.0.0.1:8773"),
        ("ws://127.0.0.1:9000", "ws://127.0.0.1:9000"),
        ("wss://example.signalwire.com/", "wss://example.signalwire.com"),
    ],
)
def test_good_hosts(host: str, url: str) -> None:
    client = RelayClient("p", "t", host=host)
    assert client.host == host
    assert client._endpoint.url == url


def test_contexts_must_be_a_list_of_names() -> None:
    with pytest.raises(TypeError, match="list of strings"):
        RelayClient("p", "t", contexts="office")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty"):
        RelayClient("p", "t", contexts=["office", ""])


def test_tls_uses_the_system_store_plus_the_ca_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert make_ssl_context(parse_host("ws://127.0.0.1:9")) is None
    context = make_ssl_context(parse_host("example.signalwire.com"))
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    monkeypatch.setenv("SIGNALWIRE_RELAY_CA_FILE", str(bad))
    with pytest.raises(ssl.SSLError):
        make_ssl_context(parse_host("example.signalwire.com"))
    monkeypatch.setenv("SIGNALWIRE_RELAY_CA_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(OSError):
        make_ssl_context(parse_host("example.signalwire.com"))


def test_connection_limit_is_read_at_each_acquire(monkeypatch: pytest.MonkeyPatch) -> None:
    slots = ConnectionSlots()

    class Holder:  # weak-referenceable
        pass

    first, second = Holder(), Holder()
    slots.acquire(first)
    slots.acquire(first)  # a holder never counts itself
    with pytest.raises(RuntimeError, match=r"connection limit reached \(1\)"):
        slots.acquire(second)
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "2")
    slots.acquire(second)
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "junk")  # invalid: back to 1
    slots.release(second)
    with pytest.raises(RuntimeError):
        slots.acquire(second)
    del first  # a garbage-collected holder gives its slot back
    slots.acquire(second)


def test_relay_error() -> None:
    error = RelayError(404, "Call not found")
    assert str(error) == "RELAY error 404: Call not found"
    assert (error.code, error.message) == (404, "Call not found")
    assert isinstance(error, Exception)
    clone = pickle.loads(pickle.dumps(error))
    assert (type(clone), clone.code, clone.message) == (RelayError, 404, "Call not found")


def test_failure_events_map_to_the_sdk_messages() -> None:
    from relay_anyio._errors import error_from_event
    from relay_proto import AuthRejected, DialFailed, RequestFailed, RequestTimedOut

    cases: list[tuple[RequestFailed | RequestTimedOut | DialFailed | AuthRejected, int, str]] = [
        (
            RequestTimedOut(request_id="r1", method="calling.play"),
            -1,
            "Request timeout for calling.play",
        ),
        (RequestFailed(request_id="r2", method="x", code=402, message="Payment"), 402, "Payment"),
        (RequestFailed(request_id="r3", method="x", code=-1, message=""), -1, "Unknown error"),
        (DialFailed(tag="t", code=-1, message="Dial failed (tag=t)"), -1, "Dial failed (tag=t)"),
        (AuthRejected(code=-32000, message="nope", attempt=1, final=False), -32000, "nope"),
    ]
    for event, code, message in cases:
        error = error_from_event(event)
        assert (error.code, error.message) == (code, message)
        # Timeouts are both RelayError and TimeoutError; nothing else is a TimeoutError.
        assert isinstance(error, RelayError)
        assert isinstance(error, TimeoutError) == isinstance(error, RelayTimeoutError)
        assert isinstance(error, TimeoutError) == isinstance(event, RequestTimedOut)


def test_dial_failures_map_to_typed_errors() -> None:
    from relay_anyio._errors import error_from_event
    from relay_proto import DialFailed

    timed_out = error_from_event(
        DialFailed(tag="t", code=-1, message="Dial timed out waiting for answer (tag=t)",
                   timed_out=True)
    )  # fmt: skip
    assert type(timed_out) is RelayTimeoutError
    assert isinstance(timed_out, TimeoutError) and isinstance(timed_out, RelayError)
    assert (timed_out.code, timed_out.message, timed_out.reason) == (
        -1,
        "Dial timed out waiting for answer (tag=t)",
        "",
    )
    busy = error_from_event(
        DialFailed(tag="t", code=-1, message="Dial failed (tag=t): busy", reason="busy")
    )
    assert type(busy) is RelayError and not isinstance(busy, TimeoutError)
    assert (busy.message, busy.reason) == ("Dial failed (tag=t): busy", "busy")
    for error in (timed_out, busy):
        clone = pickle.loads(pickle.dumps(error))
        assert (type(clone), clone.code, clone.message, clone.reason) == (
            type(error),
            error.code,
            error.message,
            error.reason,
        )
        assert str(clone) == str(error)
