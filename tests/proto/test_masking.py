"""mask_frame(): credential masking for debug traces (official-behaviours items 141-144)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relay_proto import _masking, mask_frame

PROJECT = "d4c1a2b3-0000-4000-8000-111122223333"
TOKEN = "PTabcdef0123456789"
JWT = "eyJhbGciOi.payload.sig"
AUTH_STATE = "ZXhhbXBsZS1hdXRoLXN0YXRl"
SECRETS = (PROJECT, TOKEN, JWT, AUTH_STATE)

# (frame, secrets, expected)
CASES: list[tuple[str, tuple[str, ...], str]] = [
    # 141: key-based masking, wherever the keys are; structure and spacing kept.
    (
        '{"jsonrpc":"2.0","id":"1","method":"signalwire.connect","params":{"authentication":'
        '{"project":"p-1","token":"t-1","jwt_token":"j-1"},"authorization_state":"a-1"}}',
        (),
        '{"jsonrpc":"2.0","id":"1","method":"signalwire.connect","params":{"authentication":'
        '{"project":"***","token":"***","jwt_token":"***"},"authorization_state":"***"}}',
    ),
    (
        '{"params": {"event_type": "signalwire.authorization.state", '
        '"params": {"authorization_state" :  "opaque=="}}}',
        (),
        '{"params": {"event_type": "signalwire.authorization.state", '
        '"params": {"authorization_state" :  "***"}}}',
    ),
    ('[{"token": "a\\"b\\\\"}, {"x": [{"project": "deep"}]}]', (),
     '[{"token": "***"}, {"x": [{"project": "***"}]}]'),
    # Only string values are masked; other values under those keys are kept (nested ones
    # are still searched).
    ('{"token": null, "project": 5, "jwt_token": true}', (),
     '{"token": null, "project": 5, "jwt_token": true}'),
    ('{"project": {"token": "t", "id": "x"}}', (), '{"project": {"token": "***", "id": "x"}}'),
    # Keys that merely contain a masked key's name, and values equal to one, are kept.
    ('{"tokens": "x", "project_id": "y", "name": "token"}', (),
     '{"tokens": "x", "project_id": "y", "name": "token"}'),
    # 142: nothing to mask: unchanged, byte for byte (odd spacing and escapes included).
    ('{ "id" : "e-1",\n "result":{"code":"200","x":"\\u00e9"} }', SECRETS,
     '{ "id" : "e-1",\n "result":{"code":"200","x":"\\u00e9"} }'),
    # 143: the live secrets, wherever they appear verbatim.
    (
        f'{{"id":"1","result":{{"identity":"mock-relay-identity-{PROJECT}",'
        f'"protocol":"signalwire_x","authorization":{{"jti":"{JWT}"}}}}}}',
        SECRETS,
        '{"id":"1","result":{"identity":"mock-relay-identity-***",'
        '"protocol":"signalwire_x","authorization":{"jti":"***"}}}',
    ),
    (f"authenticated project={PROJECT} token={TOKEN} state={AUTH_STATE}", SECRETS,
     "authenticated project=*** token=*** state=***"),
    # 144: the key mask applies even when no live secret is found.
    ('{"token": "other-token"}', SECRETS, '{"token": "***"}'),
    # Both layers at once.
    (f'{{"project": "{PROJECT}", "note": "{TOKEN}!"}}', SECRETS,
     '{"project": "***", "note": "***!"}'),
    # Non-JSON text: literal masking only, nothing else changes.
    (f'not json "token": {TOKEN}', SECRETS, 'not json "token": ***'),
    (f'{{"token": "{TOKEN}", broken', SECRETS, '{"token": "***", broken'),
    ("plain text", SECRETS, "plain text"),
    ("", SECRETS, ""),
    # Empty secrets are ignored (an empty JWT must not turn every gap into ***).
    ('{"a": "b"}', ("", ""), '{"a": "b"}'),
    # A secret that contains another is masked whole (longest first).
    ("key=abc123 sub=abc", ("abc", "abc123"), "key=*** sub=***"),
    # Values, never letters: a short secret inside a longer word is not a secret.
    (
        '{"jsonrpc":"2.0","id":"me-1","method":"signalwire.connect","params":{"authentication":'
        '{"project":"me","token":"me"},"agent":"me"}}',
        ("me", "me"),
        '{"jsonrpc":"2.0","id":"***-1","method":"signalwire.connect","params":{"authentication":'
        '{"project":"***","token":"***"},"agent":"***"}}',
    ),
    ('{"method":"calling.call.play","params":{"message":"some media"}}', ("me",),
     '{"method":"calling.call.play","params":{"message":"some media"}}'),
    ("abc123 xabc abcx abc", ("abc",), "abc123 xabc abcx ***"),
    # A JWT is masked wherever it appears, even when it is not one of the live secrets.
    ('{"result":{"authorization":{"jwt":"eyJhbGciOi.eyJzdWIiOi.c2ln-_x"}}}', (),
     '{"result":{"authorization":{"jwt":"***"}}}'),
    ("Bearer eyJabc.def.ghi rest", (), "Bearer *** rest"),
]  # fmt: skip


@pytest.mark.parametrize(("frame", "secrets", "expected"), CASES)
def test_mask_frame(frame: str, secrets: tuple[str, ...], expected: str) -> None:
    assert mask_frame(frame, secrets) == expected


def test_unchanged_frame_is_the_same_text() -> None:
    frame = '{"jsonrpc":"2.0","id":"p-1","method":"signalwire.ping","params":{}}'
    assert mask_frame(frame, SECRETS) == frame


def test_secrets_may_be_any_iterable() -> None:
    assert mask_frame(f"x-{TOKEN}-x", iter([TOKEN])) == "x-***-x"
    assert mask_frame(f"x-{TOKEN}-x", {TOKEN: 1}) == "x-***-x"


# --------------------------------------------------------------------------- escaped forms


def test_escaped_key_is_found_by_decoding() -> None:
    out = mask_frame('{"tok\\u0065n": "t-1", "id": "x"}', ())
    assert json.loads(out) == {"token": "***", "id": "x"}


def test_escaped_secret_is_found_by_decoding() -> None:
    escaped = "\\u0050" + TOKEN[1:]  # 'P' written as a JSON escape
    out = mask_frame(f'{{"note": "t={escaped}", "n": 1.5, "b": [true, null]}}', SECRETS)
    assert json.loads(out) == {"note": "t=***", "n": 1.5, "b": [True, None]}


def test_secret_with_json_special_characters() -> None:
    secret = 'pa"ss\\word'
    frame = json.dumps({"identity": f"id-{secret}", "token": secret})
    out = mask_frame(frame, [secret])
    assert json.loads(out) == {"identity": "id-***", "token": "***"}


def test_secret_in_a_key_is_masked() -> None:
    escaped = "\\u0050" + TOKEN[1:]  # 'P' written as a JSON escape
    out = mask_frame(f'{{"x-{escaped}": 1}}', [TOKEN])
    assert json.loads(out) == {"x-***": 1}


def test_literal_masking_that_breaks_the_json_falls_back_to_decoding() -> None:
    # The secret is also part of the JSON syntax, so replacing it in the text breaks the
    # frame; the structure-aware path still masks the value.
    frame = '{"a":"x","b":"Q-\\u0022:\\u0022"}'
    out = mask_frame(frame, ['":"'])
    assert json.loads(out) == {"a": "x", "b": "Q-***"}


def test_non_json_with_backslash_gets_literal_masking_only() -> None:
    assert mask_frame(f"C:\\path {TOKEN}", SECRETS) == "C:\\path ***"


# --------------------------------------------------------------------------- limits and errors


def test_too_deep_to_decode_is_withheld() -> None:
    frame = "[" * 100_000 + '{"token": "x"}' + "]" * 100_000
    assert mask_frame(frame, ()) == _masking._WITHHELD


def test_original_too_deep_to_decode_is_withheld() -> None:
    # The literal masking breaks the JSON at once, and the original is too deep to decode.
    frame = "[" * 100_000 + '{"k": 1}' + "]" * 100_000
    assert mask_frame(frame, ["[[[["]) == _masking._WITHHELD


def test_too_deep_to_encode_is_withheld(monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(*args: Any, **kwargs: Any) -> str:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(json, "dumps", deep)  # the module _masking uses
    assert mask_frame('{"tok\\u0065n": "x"}', ()) == _masking._WITHHELD


def test_masking_deep_data_does_not_recurse() -> None:
    data: Any = "leaf-SECRET"
    for _ in range(5000):
        data = {"k": [data]}
    masked = _masking._mask_data(data, _masking._needles(["SECRET"]))
    for _ in range(5000):
        masked = masked["k"][0]
    assert masked == "leaf-***"


def test_text_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="text must be a str"):
        mask_frame(b"{}", ())  # type: ignore[arg-type]


def test_secrets_must_be_strings() -> None:
    with pytest.raises(TypeError, match="secrets must be str"):
        mask_frame("{}", [None])  # type: ignore[list-item]


# --------------------------------------------------------------------------- properties

_secret = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=4, max_size=12)
_key = st.sampled_from(["token", "project", "jwt_token", "authorization_state"]) | st.text(
    max_size=6
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_key, inner, max_size=3),
    max_leaves=15,
)


def _strings_and_key_values(node: Any) -> list[tuple[str | None, Any]]:
    found: list[tuple[str | None, Any]] = []
    stack: list[tuple[str | None, Any]] = [(None, node)]
    while stack:
        key, value = stack.pop()
        found.append((key, value))
        if isinstance(value, dict):
            found.extend((None, k) for k in value)
            stack.extend(value.items())
        elif isinstance(value, list):
            stack.extend((None, v) for v in value)
    return found


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=_json, secret=_secret, ascii_only=st.booleans(), indent=st.none() | st.just(1))
def test_no_credential_survives(
    data: Any, secret: str, ascii_only: bool, indent: int | None
) -> None:
    frame = json.dumps(
        {"wrap": data, "echo": f"id-{secret}"}, ensure_ascii=ascii_only, indent=indent
    )
    out = mask_frame(frame, [secret])
    standalone = re.compile(f"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])")
    assert not standalone.search(out)
    try:
        decoded = json.loads(out)
    except ValueError:
        return  # masking a secret that is also JSON syntax may leave non-JSON text
    for key, value in _strings_and_key_values(decoded):
        if isinstance(value, str):
            assert not standalone.search(value)
        if key in ("token", "project", "jwt_token", "authorization_state") and isinstance(
            value, str
        ):
            assert value == "***"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=_json, secret=_secret)
def test_nothing_to_mask_means_unchanged(data: Any, secret: str) -> None:
    frame = json.dumps(data)
    masked_keys = {"token", "project", "jwt_token", "authorization_state"}
    assume(not any(f'"{key}"' in frame for key in masked_keys))
    assume(secret not in frame and secret not in repr(data))
    assert mask_frame(frame, [secret]) == frame


# --------------------------------------------------------------------------- previews


def test_preview_of_a_cut_frame_hides_a_cut_credential() -> None:
    from relay_proto import mask_preview

    cut = '{"jsonrpc":"2.0","params":{"authentication":{"project":"p-1","token":"PTabc'
    assert mask_preview(cut, (), truncated=True).endswith('"token":"***...')
    tail = f'{{"note": "see {TOKEN[:6]}'
    assert mask_preview(tail, [TOKEN], truncated=True) == '{"note": "see ***...'
    assert mask_preview('{"a": 1}', [TOKEN]) == '{"a": 1}'  # short: not cut, no marker
    long = '{"x": "' + "y" * 300
    assert mask_preview(long[:200], ()) == long[:200] + "..."
