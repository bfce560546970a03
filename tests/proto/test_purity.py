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

# Test-data generation for users (relay_proto.strategies, relay_proto.stateful) needs
# Hypothesis, an optional extra. Only these modules may import it, and no other module of the
# package may import them, so that `import relay_proto` never needs (nor loads) Hypothesis.
# Hypothesis itself uses randomness; that is the point of a test-data generator, runs only in
# the user's tests, and leaves the core (every other module) free of it.
HYPOTHESIS_MODULES = frozenset(
    {"strategies.py", "stateful.py", "_st_conversations.py", "_st_malformed.py"}
)
HYPOTHESIS_NAMES = frozenset(name.removesuffix(".py") for name in HYPOTHESIS_MODULES)


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


def hypothesis_imports(source: str) -> list[str]:
    """Imports of Hypothesis, and relative imports of the modules that use it."""
    tree = ast.parse(source)
    found = [name for name, _ in imported_modules(tree) if name.split(".")[0] == "hypothesis"]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [alias.name for alias in node.names]
            found += [f".{name}" for name in names if name in HYPOTHESIS_NAMES]
    return found


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if p.name not in HYPOTHESIS_MODULES],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_only_the_test_data_modules_use_hypothesis(path: Path) -> None:
    assert hypothesis_imports(path.read_text(encoding="utf-8")) == []


def test_the_hypothesis_checker_catches_both_forms() -> None:
    assert hypothesis_imports("from hypothesis import strategies as st") == ["hypothesis"]
    assert hypothesis_imports("from . import strategies") == [".strategies"]
    assert hypothesis_imports("from .stateful import RelayServerMachine") == [".stateful"]
    assert hypothesis_imports("from . import _grammar") == []


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
