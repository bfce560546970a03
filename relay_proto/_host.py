"""Parsing the ``host`` argument into where to connect and what to send in the Host header.

The official SDK takes a bare host name (``example.signalwire.com``) or ``host:port`` and always
uses ``wss``. Decision D24 also accepts a full ``ws://`` or ``wss://`` URL, for local emulators
and proxies. Anything that could smuggle something into the request line or the Host header
(user info, a path, a query, whitespace, control characters) is refused with a
:class:`ValueError` that names the problem: the value comes from configuration, and a clear
error at start-up beats a confusing handshake failure later.
"""

from __future__ import annotations

from typing import Literal

from ._fastinit import dataclass

__all__ = ["Endpoint", "parse_host"]

_DEFAULT_PORTS = {"ws": 80, "wss": 443}
# What a host name may hold once IDNA-encoded: letters, digits, hyphen, dot and underscore
# (underscores are not valid in public DNS names but do occur in internal service names).
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
_MAX_HOST_LEN = 253  # RFC 1035, without the trailing dot
_MAX_LABEL_LEN = 63


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to connect, as :func:`parse_host` understood it.

    ``host`` is the host name or IP address to connect to (IPv6 without brackets); ``authority``
    is the Host header value (IPv6 in brackets, ``:port`` only when it is not the scheme's
    default); ``url`` is ``scheme://authority``. The WebSocket request target is always ``/``.
    """

    scheme: Literal["ws", "wss"]
    host: str
    port: int
    authority: str
    url: str

    @property
    def secure(self) -> bool:
        """Whether the connection uses TLS (``wss``)."""
        return self.scheme == "wss"


def parse_host(host: str) -> Endpoint:
    """Parse a bare host, ``host:port`` or ``ws://`` / ``wss://`` URL into an :class:`Endpoint`.

    A bare host or ``host:port`` means ``wss`` (default port 443); ``ws://`` defaults to port
    80. IPv6 addresses go in brackets: ``[::1]:8080``, ``ws://[::1]:9000``. Host names are
    lower-cased and non-ASCII names IDNA-encoded.

    Raises:
        TypeError: ``host`` is not a string.
        ValueError: the value is empty, contains whitespace or a control character, has user
            info (``@``), a path other than ``/``, a query or a fragment, a ``/`` after a bare
            host, an unknown scheme, a port outside 1..65535 or an invalid host name; the
            message says which.
    """
    if not isinstance(host, str):
        raise TypeError(f"host must be a str, not {type(host).__name__}")
    if not host:
        raise ValueError("host is empty")
    _check_characters(host)
    scheme, sep, rest = host.partition("://")
    if sep:
        scheme = scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(
                f"unsupported scheme {scheme + '://'!r} in host {host!r}: use ws:// or wss://"
            )
        bare = False
    else:
        scheme, rest, bare = "wss", host, True
    authority, tail = _split_authority(rest)
    if "@" in authority:
        raise ValueError(f"host {host!r} contains user info ('@'): credentials never go in the URL")
    _check_tail(tail, host, bare)
    name, port = _split_port(authority, host, _DEFAULT_PORTS[scheme])
    return _endpoint(scheme, name, port)


def _check_characters(host: str) -> None:
    for ch in host:
        if ch == " ":
            raise ValueError(f"host {host!r} contains a space")
        # Cc = C0/C1 controls and DEL (CR, LF and NUL would allow header injection); other
        # Unicode spaces and format characters are invisible in logs and configuration. In
        # ASCII those are the C0 controls and DEL only, so unicodedata is imported for the
        # rare host that is not ASCII.
        if ch.isascii():
            bad = ch < " " or ch == "\x7f"
        else:
            import unicodedata

            bad = unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")
        if bad:
            raise ValueError(f"host {host!r} contains a control or space character U+{ord(ch):04X}")


def _split_authority(rest: str) -> tuple[str, str]:
    """Split at the first ``/``, ``?`` or ``#``: (authority, what follows it)."""
    end = len(rest)
    for sep in "/?#":
        index = rest.find(sep)
        if index != -1:
            end = min(end, index)
    return rest[:end], rest[end:]


def _check_tail(tail: str, host: str, bare: bool) -> None:
    if not tail:
        return
    if "#" in tail:
        raise ValueError(f"host {host!r} has a fragment ('#'): give only the host")
    if "?" in tail:
        raise ValueError(f"host {host!r} has a query ('?'): RELAY takes no query parameters")
    if bare:
        raise ValueError(
            f"host {host!r} contains '/': give a host name or host:port, "
            "or a ws:// or wss:// URL with no path"
        )
    if tail != "/":
        raise ValueError(f"host {host!r} has a path {tail!r}: the RELAY endpoint is '/'")


def _split_port(authority: str, host: str, default_port: int) -> tuple[str, int]:
    """(host name or bracket-less IPv6 address, port) of ``name[:port]`` or ``[v6][:port]``."""
    if authority.startswith("["):
        close = authority.find("]")
        if close == -1:
            raise ValueError(f"host {host!r} has an unterminated IPv6 address ('[' without ']')")
        name, after = authority[1:close], authority[close + 1 :]
        if after and not after.startswith(":"):
            raise ValueError(f"host {host!r} has unexpected text {after!r} after the IPv6 address")
        return _ipv6(name, host), _port(after[1:], host) if after else default_port
    if authority.count(":") > 1:
        raise ValueError(
            f"host {host!r} looks like an IPv6 address: put it in brackets, [addr]:port"
        )
    name, sep, port = authority.partition(":")
    return _host_name(name, host), _port(port, host) if sep else default_port


def _port(text: str, host: str) -> int:
    # isascii: str.isdigit() also accepts digits such as '²' that int() refuses or misreads;
    # the length bound keeps int() away from huge inputs.
    if not (text.isascii() and text.isdigit() and len(text) <= 5) or not 1 <= int(text) <= 65535:
        raise ValueError(f"host {host!r} has an invalid port {text!r}: it must be 1..65535")
    return int(text)


def _ipv6(text: str, host: str) -> str:
    import ipaddress  # only for a bracketed IPv6 host: most clients never load it

    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise ValueError(f"host {host!r} has an invalid IPv6 address {text!r}") from None
    if address.scope_id is not None:
        raise ValueError(f"host {host!r} has an IPv6 zone id: connect by address without '%zone'")
    return address.compressed


def _host_name(name: str, host: str) -> str:
    if not name:
        raise ValueError(f"host {host!r} has no host name")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"host {host!r} is not a valid international host name") from None
    name = name.lower()
    bad = sorted(set(name) - _HOST_CHARS)
    if bad:
        raise ValueError(f"host {host!r} contains characters not allowed in a host name: {bad}")
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    if len(name.rstrip(".")) > _MAX_HOST_LEN or any(
        len(label) > _MAX_LABEL_LEN for label in labels
    ):
        raise ValueError(f"host {host!r} is too long for a host name")
    if "" in labels:
        raise ValueError(f"host {host!r} has an empty label ('..' or a leading '.')")
    return name


def _endpoint(scheme: str, name: str, port: int) -> Endpoint:
    shown = f"[{name}]" if ":" in name else name
    authority = shown if port == _DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    if scheme == "ws":
        return Endpoint("ws", name, port, authority, f"ws://{authority}")
    return Endpoint("wss", name, port, authority, f"wss://{authority}")
