"""parse_host(): bare hosts, host:port and ws(s):// URLs (decision D24), and every refusal."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay_proto import Endpoint, parse_host

# (input, scheme, host, port, authority, url)
ACCEPTED = [
    ("example.signalwire.com", "wss", "example.signalwire.com", 443,
     "example.signalwire.com", "wss://example.signalwire.com"),
    ("relay.signalwire.com:443", "wss", "relay.signalwire.com", 443,
     "relay.signalwire.com", "wss://relay.signalwire.com"),
    ("127.0.0.1:8773", "wss", "127.0.0.1", 8773, "127.0.0.1:8773", "wss://127.0.0.1:8773"),
    ("localhost", "wss", "localhost", 443, "localhost", "wss://localhost"),
    ("Example.COM", "wss", "example.com", 443, "example.com", "wss://example.com"),
    ("example.com.", "wss", "example.com.", 443, "example.com.", "wss://example.com."),
    ("svc_internal:1", "wss", "svc_internal", 1, "svc_internal:1", "wss://svc_internal:1"),
    ("host:65535", "wss", "host", 65535, "host:65535", "wss://host:65535"),
    ("host:00080", "wss", "host", 80, "host:80", "wss://host:80"),
    ("ws://127.0.0.1:8773", "ws", "127.0.0.1", 8773, "127.0.0.1:8773", "ws://127.0.0.1:8773"),
    ("ws://localhost", "ws", "localhost", 80, "localhost", "ws://localhost"),
    ("ws://localhost:80/", "ws", "localhost", 80, "localhost", "ws://localhost"),
    ("ws://localhost:443", "ws", "localhost", 443, "localhost:443", "ws://localhost:443"),
    ("wss://example.com/", "wss", "example.com", 443, "example.com", "wss://example.com"),
    ("wss://example.com:8443", "wss", "example.com", 8443, "example.com:8443",
     "wss://example.com:8443"),
    ("WSS://Example.com", "wss", "example.com", 443, "example.com", "wss://example.com"),
    ("[::1]:8080", "wss", "::1", 8080, "[::1]:8080", "wss://[::1]:8080"),
    ("[::1]", "wss", "::1", 443, "[::1]", "wss://[::1]"),
    ("ws://[::1]:9000", "ws", "::1", 9000, "[::1]:9000", "ws://[::1]:9000"),
    ("wss://[2001:DB8:0:0::1]/", "wss", "2001:db8::1", 443, "[2001:db8::1]",
     "wss://[2001:db8::1]"),
    ("bücher.example", "wss", "xn--bcher-kva.example", 443, "xn--bcher-kva.example",
     "wss://xn--bcher-kva.example"),
]  # fmt: skip

# (input, a fragment the error message must contain)
REFUSED = [
    ("", "empty"),
    (" example.com", "space"),
    ("example.com ", "space"),
    ("exa mple.com", "space"),
    ("example.com\r\nX-Injected: 1", "U+000D"),
    ("example.com\n", "U+000A"),
    ("exa\tmple.com", "U+0009"),
    ("example.com\x00", "U+0000"),
    ("example.com\x7f", "U+007F"),
    ("example\u200b.com", "U+200B"),
    ("example.com\u00a0", "U+00A0"),
    ("user@example.com", "user info"),
    ("user:pw@example.com:443", "user info"),
    ("wss://user:pw@example.com", "user info"),
    ("wss://user@example.com/path", "user info"),
    ("wss://example.com/relay", "path '/relay'"),
    ("ws://example.com//", "path '//'"),
    ("wss://example.com?x=1", "query"),
    ("wss://example.com/?x=1", "query"),
    ("example.com?x=1", "query"),
    ("wss://example.com#top", "fragment"),
    ("example.com#top", "fragment"),
    ("wss://example.com/?a#b", "fragment"),
    ("example.com/", "contains '/'"),
    ("example.com/relay", "contains '/'"),
    ("example.com:443/", "contains '/'"),
    ("ws:/example.com", "contains '/'"),
    ("http://example.com", "unsupported scheme 'http://'"),
    ("https://example.com", "unsupported scheme 'https://'"),
    ("://example.com", "unsupported scheme '://'"),
    ("example.com:0", "port '0'"),
    ("example.com:65536", "port '65536'"),
    ("example.com:99999999999999999999", "port '99999999999999999999'"),
    ("example.com:", "port ''"),
    ("example.com:-1", "port '-1'"),
    ("example.com:+80", "port '+80'"),
    ("example.com:８０", "port '８０'"),
    ("example.com:²", "port '²'"),
    ("example.com:http", "port 'http'"),
    ("ws://[::1]:0", "port '0'"),
    ("[::1]:", "port ''"),
    (":443", "no host name"),
    ("wss://", "no host name"),
    ("wss:///", "no host name"),
    ("ws://:80", "no host name"),
    ("::1", "brackets"),
    ("fe80::1:443", "brackets"),
    ("[::1", "unterminated"),
    ("[::1]x", "unexpected text 'x'"),
    ("[::1]]:80", "unexpected text ']:80'"),
    ("[not-an-ip]:80", "invalid IPv6 address 'not-an-ip'"),
    ("[127.0.0.1]", "invalid IPv6 address"),
    ("[fe80::1%eth0]", "zone id"),
    ("exam<ple>.com", "not allowed"),
    ("example\\.com", "not allowed"),
    ('exa"mple.com', "not allowed"),
    ("example..com", "empty label"),
    (".example.com", "empty label"),
    (".", "empty label"),
    ("a" * 64 + ".com", "too long"),
    (".".join(["a" * 63] * 4) + ".com", "too long"),
    ("xn--bcher-kva\u00ad.example", "U+00AD"),
    ("\udcff.example", "international"),
]


@pytest.mark.parametrize(("text", "scheme", "host", "port", "authority", "url"), ACCEPTED)
def test_accepted(text: str, scheme: str, host: str, port: int, authority: str, url: str) -> None:
    assert parse_host(text) == Endpoint(scheme, host, port, authority, url)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=None) as excinfo:
        parse_host(text)
    assert reason in str(excinfo.value)


@pytest.mark.parametrize("value", [None, b"example.com", 443])
def test_not_a_string(value: object) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        parse_host(value)  # type: ignore[arg-type]


def test_endpoint_is_frozen_and_knows_tls() -> None:
    endpoint = parse_host("ws://localhost:9000")
    assert not endpoint.secure
    assert parse_host("localhost").secure
    with pytest.raises(dataclasses.FrozenInstanceError):
        endpoint.port = 1  # type: ignore[misc]


def test_longest_valid_name_is_accepted() -> None:
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(name) == 253
    assert parse_host(name).host == name
    assert parse_host(name + ".").host == name + "."


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=40))
def test_any_text_parses_or_raises_value_error(text: str) -> None:
    try:
        endpoint = parse_host(text)
    except ValueError:
        return
    # Whatever is accepted is safe to put in a Host header and round-trips.
    assert endpoint.authority.isascii()
    assert all(ch.isprintable() and ch not in " /?#@" for ch in endpoint.authority)
    assert 1 <= endpoint.port <= 65535
    assert parse_host(endpoint.url) == endpoint
