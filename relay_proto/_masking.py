"""Credential masking for debug traces of RELAY frames.

Values are masked where they occur, never letters inside other words:

* the string value under any of the keys ``token``, ``project``, ``jwt_token`` and
  ``authorization_state`` (connect params' ``authentication``, the authorization state event),
  wherever it sits in a JSON frame, becomes ``"***"`` (official-behaviours item 141);
* anything shaped like a JWT (``eyJ<base64url>.<base64url>.<base64url>``) becomes ``***``;
* one of the connection's own live secrets (project id, token, JWT, current authorization
  state) becomes ``***`` where it stands as a value of its own: a whole string, or a run
  delimited by characters that are not letters or digits (``"relay-identity-<project>"``, item
  143). A secret is never masked inside a longer word: with the project ``"me"`` the method
  ``signalwire.connect`` stays readable, not ``"***thod"``.

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

from ._jsonrpc import PREVIEW_CHARS

__all__ = ["mask_frame", "mask_preview"]

MASK = "***"
_KEYS = frozenset(("token", "project", "jwt_token", "authorization_state"))
# A masked key followed by its string value. In valid JSON a quote that is not escaped always
# opens or closes a string, so this only matches real keys. The value pattern cannot backtrack
# badly: its two alternatives never start with the same character.
_KEY_VALUE = re.compile(
    r'("(?:token|project|jwt_token|authorization_state)"\s*:\s*)"(?:[^"\\]|\\.)*"'
)
# A JSON Web Token: three base64url parts, the first an encoded JSON object ("eyJ" = '{"').
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Characters that continue a word: a secret next to one of them is part of something else.
_WORD = "A-Za-z0-9"
# Shown instead of a frame that could not be re-encoded (nesting too deep for the encoder):
# better to lose a debug line than to leak a credential.
_WITHHELD = "<frame withheld: too deeply nested to mask>"


def mask_frame(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with credentials replaced by ``***``, for debug traces.

    ``secrets`` are the live values to hide where they stand as values (see the module
    docstring); empty strings are ignored. Non-JSON text gets only the text masking. Pure: no
    logging, no state.

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


# A credential key whose string value is cut off by the end of a truncated frame.
_CUT_KEY_VALUE = re.compile(r'("(?:token|project|jwt_token|authorization_state)"\s*:\s*)"[^"]*$')
# The shortest secret prefix hidden when a truncated frame ends with it.
_MIN_CUT_PREFIX = 2


def mask_preview(text: str, secrets: Iterable[str], *, truncated: bool | None = None) -> str:
    """:func:`mask_frame` for the first characters of a frame (a log line about a dropped
    frame, whose ``FrameDropped.raw`` keeps the first 200). ``truncated`` defaults to whether
    ``text`` has that many characters. When truncated, the end may cut a credential in two:
    a credential key's value left open at the end, or a beginning of a live secret (two
    characters or more) at the very end, is masked too, and ``...`` marks the cut.

    Raises:
        TypeError: as :func:`mask_frame`.
    """
    secrets = list(secrets)
    masked = mask_frame(text, secrets)
    if truncated is None:
        truncated = len(text) >= PREVIEW_CHARS
    if not truncated:
        return masked
    masked = _CUT_KEY_VALUE.sub(r'\1"***', masked)
    for secret in sorted(secrets, key=len, reverse=True):
        for size in range(min(len(secret), len(masked)), _MIN_CUT_PREFIX - 1, -1):
            if masked.endswith(secret[:size]):
                masked = masked[:-size] + MASK
                break
    return masked + "..."


def _needles(secrets: Iterable[str]) -> list[re.Pattern[str]]:
    values: set[str] = set()
    for secret in secrets:
        if not isinstance(secret, str):
            raise TypeError(f"secrets must be str, not {type(secret).__name__}")
        if secret:
            values.add(secret)
    # Longest first, so a secret that contains another one is masked whole; the JWT shape last.
    ordered = sorted(values, key=lambda s: (-len(s), s))
    patterns = [re.compile(f"(?<![{_WORD}]){re.escape(value)}(?![{_WORD}])") for value in ordered]
    patterns.append(_JWT)
    return patterns


def _replace(text: str, needles: list[re.Pattern[str]]) -> str:
    for needle in needles:
        text = needle.sub(MASK, text)
    return text


def _found(text: str, needles: list[re.Pattern[str]]) -> bool:
    return any(needle.search(text) for needle in needles)


def _children(node: Any) -> Iterable[tuple[object, Any]]:
    if isinstance(node, dict):
        return node.items()
    if isinstance(node, list):
        return enumerate(node)
    return ()


def _leaks(data: Any, needles: list[re.Pattern[str]]) -> bool:
    """Whether decoded JSON still holds an unmasked key value or a secret (iterative walk)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _found(node, needles):
                return True
            continue
        for key, value in _children(node):
            if isinstance(key, str):
                if key in _KEYS and isinstance(value, str) and value != MASK:
                    return True
                if _found(key, needles):
                    return True
            stack.append(value)
    return False


def _mask_data(data: Any, needles: list[re.Pattern[str]]) -> Any:
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
