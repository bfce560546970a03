"""``__version__`` of the three packages: the installed distribution's, else the source's."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import relay_anyio
import relay_proto
import relay_sync
from relay_proto import _version

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_has_the_distribution_version() -> None:
    installed = importlib.metadata.version("relay-sansio")
    assert relay_proto.__version__ == installed
    assert relay_anyio.__version__ == installed
    assert relay_sync.__version__ == installed
    # The agent string sent in signalwire.connect names the same version (D25).
    assert f"relay-sansio/{_version.SOURCE_VERSION}" == relay_proto.AGENT_STRING


def test_the_metadata_and_the_source_agree() -> None:
    # pyproject.toml reads the version from the source, so an install cannot disagree.
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["dynamic"] == ["version"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "relay_proto._version.SOURCE_VERSION"
    assert importlib.metadata.version("relay-sansio") == _version.SOURCE_VERSION


def test_not_installed_falls_back_to_the_source_version() -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    assert _version.resolve_version(missing) == _version.SOURCE_VERSION
    assert _version.resolve_version(lambda name: "2.0.0.post1") == "2.0.0.post1"
    assert _version.resolve_version(lambda name: "") == _version.SOURCE_VERSION


def test_a_checkout_that_is_not_installed_still_has_a_version(tmp_path: Path) -> None:
    # A vendored copy: the packages on sys.path, no relay-sansio distribution anywhere.
    script = (
        "import importlib.metadata as m, sys\n"
        "def missing(name): raise m.PackageNotFoundError(name)\n"
        "m.version = missing\n"
        "import relay_proto, relay_sync\n"
        "print(relay_proto.__version__, relay_sync.__version__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [_version.SOURCE_VERSION, _version.SOURCE_VERSION]
