"""The API reference (docs/*.md, rendered by mkdocstrings) documents public names only: every
``::: target`` is importable under that path, and no component of it is private (``_name``)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIRECTIVE = re.compile(r"^:::\s+(?P<target>\S+)\s*$", re.M)


def targets() -> list[tuple[str, str]]:
    found = []
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for match in DIRECTIVE.finditer(page.read_text()):
            found.append((page.relative_to(ROOT).as_posix(), match["target"]))
    return found


def resolve(target: str) -> object:
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(target)


def test_the_reference_has_targets() -> None:
    assert len(targets()) > 50


@pytest.mark.parametrize(("page", "target"), targets())
def test_each_target_is_public_and_importable(page: str, target: str) -> None:
    private = [part for part in target.split(".") if part.startswith("_")]
    assert private == [], f"{page}: {target} names a private module or object"
    resolve(target)


def test_mkdocstrings_filters_private_members() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    assert 'filters: ["!^_"]' in config
