"""relay_proto is pure: no I/O, clock, threads, randomness or logging anywhere in it.

Walks the AST of every module of the package (so a new module is checked without anyone having
to list it) and fails on any import of a forbidden module, whatever the form: ``import x``,
``import x.y as z``, ``from x import y``, ``from x.y import z``, or ``__import__("x")`` /
``importlib.import_module("x")`` with a literal name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import relay_proto

FORBIDDEN = frozenset(
    {
        "socket",
        "ssl",
        "asyncio",
        "anyio",
        "trio",
        "threading",
        "time",
        "random",
        "uuid",
        "secrets",
        "logging",
        "datetime",
    }
)

PACKAGE = Path(relay_proto.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_modules(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Every absolute module name imported by ``tree``, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module, node.lineno
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield first.value, node.lineno


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "__import__"
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def violations(source: str, filename: str = "<test>") -> list[str]:
    tree = ast.parse(source, filename)
    return [
        f"{filename}:{line}: imports {name}"
        for name, line in imported_modules(tree)
        if name.split(".")[0] in FORBIDDEN
    ]


def test_the_package_is_found() -> None:
    names = {path.name for path in MODULES}
    assert {"__init__.py", "_connection.py", "_session.py", "_server.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_pure(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "import time",
        "import os, socket",
        "import asyncio.events as ev",
        "from datetime import datetime",
        "from logging.handlers import RotatingFileHandler",
        "def f():\n    import random\n",
        "if True:\n    from ssl import SSLContext\n",
        "__import__('uuid')",
        "importlib.import_module('threading')",
        "try:\n    import trio\nexcept ImportError:\n    pass\n",
        "from secrets import token_hex",
        "import anyio",
    ],
)
def test_checker_catches_every_form(source: str) -> None:
    assert len(violations(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "import json, heapq, math",
        "from . import time",  # a sibling module named time would be ours, not the stdlib's
        "from .time import x",
        "import timeit",
        "from collections import deque",
        "x = 'import time'",
    ],
)
def test_checker_allows_the_rest(source: str) -> None:
    assert violations(source) == []
