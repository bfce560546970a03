"""Credential masking for debug traces of RELAY frames.

Two layers (official-behaviours items 141-144). First, the string value under any of the keys
``token``, ``project``, ``jwt_token`` and ``authorization_state``, wherever it sits in a JSON
frame, becomes ``"***"``. Second, every verbatim occurrence of one of the connection's own live
secrets (project id, token, JWT, current authorization state) becomes ``***``, which also
catches a secret echoed in another field (``"identity": "relay-<project>"``) or in plain text.

A frame with nothing to mask comes back unchanged, byte for byte. The normal path edits the
text in place, so the trace shows the frame as it was sent; only if a secret survives that
(a key or a secret written with JSON escapes, or a secret whose masking broke the JSON) is the
frame decoded, masked as data and encoded again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["mask_frame"]

MASK = "***"
_KEYS = frozenset(("token", "project", "jwt_token", "authorization_state"))
# A masked key followed by its string value. In valid JSON a quote that is not escaped always
# opens or closes a string, so this only matches real keys. The value pattern cannot backtrack
# badly: its two alternatives never start with the same character.
_KEY_VALUE = re.compile(
    r'("(?:token|project|jwt_token|authorization_state)"\s*:\s*)"(?:[^"\\]|\\.)*"'
)
# Shown instead of a frame that could not be re-encoded (nesting too deep for the encoder):
# better to lose a debug line than to leak a credential.
_WITHHELD = "<frame withheld: too deeply nested to mask>"


def mask_frame(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with credentials replaced by ``***``, for debug traces.

    ``secrets`` are the live values to hide wherever they appear; empty strings are ignored.
    Non-JSON text gets only that literal masking. Pure: no logging, no state.

    Raises:
        TypeError: ``text`` or one of ``secrets`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    needles = _needles(secrets)
    masked = _replace(_KEY_VALUE.sub(r'\1"***"', text), needles)
    if "{" not in text and "\\" not in text:
        return masked  # no object and no escapes: nothing can hide from the text masking
    try:
        if not _leaks(json.loads(masked), needles):
            return masked
    except ValueError:
        pass  # the literal masking broke the JSON, or it never was JSON: check the original
    except RecursionError:
        return _WITHHELD
    try:
        data = json.loads(text)
    except ValueError:
        return masked  # not JSON: the literal masking is all there is to do
    except RecursionError:
        return _WITHHELD
    try:
        return _replace(json.dumps(_mask_data(data, needles), ensure_ascii=False), needles)
    except RecursionError:
        return _WITHHELD


def _needles(secrets: Iterable[str]) -> list[str]:
    values: set[str] = set()
    for secret in secrets:
        if not isinstance(secret, str):
            raise TypeError(f"secrets must be str, not {type(secret).__name__}")
        if secret:
            values.add(secret)
    # Longest first, so a secret that contains another one is masked whole.
    return sorted(values, key=lambda s: (-len(s), s))


def _replace(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = text.replace(needle, MASK)
    return text


def _children(node: Any) -> Iterable[tuple[object, Any]]:
    if isinstance(node, dict):
        return node.items()
    if isinstance(node, list):
        return enumerate(node)
    return ()


def _leaks(data: Any, needles: list[str]) -> bool:
    """Whether decoded JSON still holds an unmasked key value or a secret (iterative walk)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if any(needle in node for needle in needles):
                return True
            continue
        for key, value in _children(node):
            if isinstance(key, str):
                if key in _KEYS and isinstance(value, str) and value != MASK:
                    return True
                if any(needle in key for needle in needles):
                    return True
            stack.append(value)
    return False


def _mask_data(data: Any, needles: list[str]) -> Any:
    """A masked copy of decoded JSON (iterative, so deep nesting cannot exhaust the stack)."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, object]] = [(data, root, 0)]
    while stack:
        node, parent, slot = stack.pop()
        if isinstance(node, dict):
            copy: Any = {}
            for key, value in node.items():
                new_key = _replace(key, needles)
                if key in _KEYS and isinstance(value, str):
                    copy[new_key] = MASK
                else:
                    copy[new_key] = None
                    stack.append((value, copy, new_key))
        elif isinstance(node, list):
            copy = [None] * len(node)
            stack.extend((value, copy, index) for index, value in enumerate(node))
        elif isinstance(node, str):
            copy = _replace(node, needles)
        else:
            copy = node
        parent[slot] = copy
    return root[0]
