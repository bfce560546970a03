"""``wss``: the server is verified against the system trust store plus the CA file named by
``SIGNALWIRE_RELAY_CA_FILE`` (decision D22), and a TLS failure makes ``connect()`` raise
without leaving anything behind. Certificates are made on the fly with the openssl CLI."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from relay_anyio import RelayClient

from .scripted_server import ScriptedServer

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command"),
]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away CA (ca.pem) and a server certificate for 127.0.0.1 (server.pem/.key)."""
    d = tmp_path_factory.mktemp("certs")
    (d / "ca.ext").write_text(
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
        "subjectKeyIdentifier=hash\n"
    )
    (d / "server.ext").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    key = ("-newkey", "rsa:2048", "-nodes")
    _openssl(
        "req", "-new", *key, "-keyout", "ca.key", "-out", "ca.csr", "-subj", "/CN=Test CA", cwd=d
    )
    _openssl(
        "x509", "-req", "-in", "ca.csr", "-signkey", "ca.key", "-out", "ca.pem",
        "-days", "2", "-extfile", "ca.ext", cwd=d,
    )  # fmt: skip
    _openssl("req", "-new", *key, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1", cwd=d)  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext", cwd=d,
    )  # fmt: skip
    return d


def server_context(certs: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs / "server.pem", certs / "server.key")
    return context


async def test_wss_trusts_the_ca_file(certs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALWIRE_RELAY_CA_FILE", str(certs / "ca.pem"))
    async with ScriptedServer(ssl_context=server_context(certs)) as server:
        assert server.url.startswith("wss://")
        async with RelayClient(project="p", token="t", host=server.url) as client:
            assert client.relay_protocol == "signalwire_1"
            assert await client.execute("signalwire.ping", {})


async def test_untrusted_server_fails_connect_cleanly(
    certs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIGNALWIRE_RELAY_CA_FILE", raising=False)
    async with ScriptedServer(ssl_context=server_context(certs)) as server:
        client = RelayClient(project="p", token="t", host=server.url)
        for _ in range(2):  # nothing is left behind: the second attempt fails the same way
            with pytest.raises(OSError) as info:
                await client.connect()
            assert "certificate" in str(info.value).lower()
            assert not client._running
        assert server.requests == []


async def test_plain_server_behind_wss_fails_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    async with ScriptedServer() as server:  # speaks plain WebSocket, not TLS
        port = server.url.rsplit(":", 1)[1]
        client = RelayClient(project="p", token="t", host=f"127.0.0.1:{port}")  # means wss
        with pytest.raises(OSError):
            await client.connect()
        assert not client._running
