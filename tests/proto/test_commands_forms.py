"""The public documentation's flat media items are accepted and sent canonical.

The docs write ``{"type": "tts", "text": "Hi"}``; the protocol (the SDK's typed helpers, its
tests and the guide) uses ``{"type": "tts", "params": {"text": "Hi"}}``. The builders accept
both and always send the second; a canonical item is sent unchanged. The wire tests drive a
real RelayConnection against the in-memory server and look at what the server received.
"""

from __future__ import annotations

import copy
import math
import types
from collections.abc import Callable
from typing import Any

import pytest

from relay_proto import (
    ActionCompleted,
    CallCommand,
    CallReceived,
    InvalidCommandError,
    RequestSucceeded,
)
from relay_proto import commands as c
from relay_proto._cmd_base import media_item, media_list

from .helpers import Pair

PHONE = {"type": "phone", "params": {"to_number": "+2", "from_number": "+1"}}

# (flat as the docs write it, canonical as the protocol has it)
FORMS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "tts": (
        {"type": "tts", "text": "Hello from RELAY!"},
        {"type": "tts", "params": {"text": "Hello from RELAY!"}},
    ),
    "tts-options": (
        {"type": "tts", "text": "Hello", "language": "en-US", "gender": "female"},
        {"type": "tts", "params": {"text": "Hello", "language": "en-US", "gender": "female"}},
    ),
    "audio": (
        {"type": "audio", "url": "https://example.com/audio.mp3"},
        {"type": "audio", "params": {"url": "https://example.com/audio.mp3"}},
    ),
    "silence": (
        {"type": "silence", "duration": 2},
        {"type": "silence", "params": {"duration": 2}},
    ),
    "ringtone": (
        {"type": "ringtone", "name": "us"},
        {"type": "ringtone", "params": {"name": "us"}},
    ),
    "ringtone-duration": (
        {"type": "ringtone", "name": "gb", "duration": 5.5},
        {"type": "ringtone", "params": {"name": "gb", "duration": 5.5}},
    ),
    "unknown-type": (
        {"type": "video", "url": "https://example.com/v.mp4"},
        {"type": "video", "params": {"url": "https://example.com/v.mp4"}},
    ),
}

# Where a builder puts a media list: (builder taking the list, params key).
PLACES: dict[str, tuple[Callable[[list[Any]], CallCommand], str]] = {
    "play": (c.play, "play"),
    "play_and_collect": (lambda media: c.play_and_collect(media, {"digits": {"max": 1}}), "play"),
    "connect-ringback": (lambda media: c.connect([[PHONE]], ringback=media), "ringback"),
}


@pytest.mark.parametrize("place", list(PLACES.values()), ids=list(PLACES))
@pytest.mark.parametrize(("flat", "canonical"), list(FORMS.values()), ids=list(FORMS))
def test_flat_items_are_sent_canonical(
    place: tuple[Callable[[list[Any]], CallCommand], str],
    flat: dict[str, Any],
    canonical: dict[str, Any],
) -> None:
    build, key = place
    assert build([flat]).params[key] == [canonical]
    assert build([canonical]).params[key] == [canonical]  # canonical is sent unchanged


def test_flat_and_canonical_items_mix_in_one_list() -> None:
    flat = [form[0] for form in FORMS.values()]
    canonical = [form[1] for form in FORMS.values()]
    mixed = [flat[0], canonical[1], flat[2], canonical[3]]
    assert c.play(mixed).params["play"] == canonical[:4]


def test_a_tuple_of_items_is_a_list_on_the_wire() -> None:
    media = (FORMS["tts"][0], FORMS["audio"][1])
    assert c.play(media).params["play"] == [FORMS["tts"][1], FORMS["audio"][1]]


def test_read_only_items_are_accepted() -> None:
    item = types.MappingProxyType({"type": "tts", "params": types.MappingProxyType({"text": "a"})})
    sent = c.play([item]).params["play"][0]
    assert sent == {"type": "tts", "params": {"text": "a"}}
    assert type(sent) is dict and type(sent["params"]) is dict


# ---------------------------------------------------------------- the rule for mixed items


def test_a_mixed_item_has_its_other_keys_merged_into_params() -> None:
    item = {"type": "tts", "text": "Hello", "params": {"voice": "en-US-Neural2-F"}}
    assert c.play([item]).params["play"] == [
        {"type": "tts", "params": {"voice": "en-US-Neural2-F", "text": "Hello"}}
    ]


def test_a_mixed_item_may_repeat_a_key_with_the_same_value() -> None:
    item = {"type": "tts", "text": "Hello", "params": {"text": "Hello"}}
    assert c.play([item]).params["play"] == [{"type": "tts", "params": {"text": "Hello"}}]


def test_a_mixed_item_that_disagrees_with_itself_is_refused() -> None:
    item = {"type": "tts", "text": "Hello", "params": {"text": "Goodbye"}}
    with pytest.raises(InvalidCommandError, match=r"^media\[0\] has 'text' both beside"):
        c.play([item])


def test_an_item_with_neither_flat_keys_nor_params_is_sent_as_given() -> None:
    assert c.play([{"type": "tts"}]).params["play"] == [{"type": "tts"}]


@pytest.mark.parametrize(
    "item",
    [
        {"type": "silence", "params": {"duration": 1}},  # canonical: the list's own fast path
        {"params": {"duration": 1}, "type": "silence"},  # same, keys the other way round
        {"type": "tts", "params": types.MappingProxyType({"text": "Hi"})},
        {"type": "tts", "params": "not an object"},
        {"type": "tts", "text": "Hi"},
        {"params": {"text": "Hi"}, "text": "Hi"},
        {"type": "tts", "params": {"text": "Hi"}, "voice": "v"},
        types.MappingProxyType({"type": "audio", "params": {"url": "u"}}),
    ],
)
def test_every_item_of_a_list_is_what_media_item_makes_of_it(item: Any) -> None:
    try:
        expected: Any = media_item("media[0]", item)
    except InvalidCommandError as exc:
        with pytest.raises(InvalidCommandError, match=str(exc)):
            media_list("media", [item])
        return
    (built,) = media_list("media", [item])
    assert built == expected
    assert list(built) == list(expected)  # same key order on the wire
    assert built is not item
    if isinstance(item.get("params"), dict):
        assert built["params"] is not item["params"]


# ---------------------------------------------------------------- the caller's objects


def test_the_callers_objects_are_never_modified_or_shared() -> None:
    media = [
        {"type": "tts", "text": "Hello", "params": {"voice": "v"}},
        {"type": "audio", "url": "https://example.com/a.mp3"},
        {"type": "silence", "params": {"duration": 1}},
    ]
    ringback = [{"type": "ringtone", "name": "us"}]
    before = copy.deepcopy((media, ringback))
    play = c.play(media).params["play"]
    pc = c.play_and_collect(media, {"digits": {"max": 1}}).params["play"]
    rb = c.connect([[PHONE]], ringback=ringback).params["ringback"]
    assert (media, ringback) == before
    # Changing what was built does not reach back into the caller's objects.
    for built in (play, pc, rb):
        for item in built:
            item["params"]["changed"] = True
            item["type"] = "changed"
    assert (media, ringback) == before


# ---------------------------------------------------------------- over the connection


def _answered_call() -> Pair:
    pair = Pair()
    pair.connect()
    pair.event(
        "calling.call.receive",
        {
            "call_id": "call-1",
            "node_id": "node-1",
            "call_state": "answered",
            "context": "office",
            "direction": "inbound",
        },
    )
    assert pair.client_events_of(CallReceived)
    return pair


@pytest.mark.parametrize(("flat", "canonical"), list(FORMS.values()), ids=list(FORMS))
def test_the_server_receives_the_canonical_item(
    flat: dict[str, Any], canonical: dict[str, Any]
) -> None:
    pair = _answered_call()
    pair.client.call_command("call-1", c.play([flat]), now=pair.now)
    pair.pump()
    assert pair.expect_request("calling.play").params["play"] == [canonical]
    pair.client.call_command("call-1", c.connect([[PHONE]], ringback=[flat]), now=pair.now)
    pair.pump()
    assert pair.expect_request("calling.connect").params["ringback"] == [canonical]


def test_the_documented_first_handler_goes_out_canonical() -> None:
    pair = _answered_call()
    command = c.play([{"type": "tts", "text": "Hello from RELAY!"}])
    started = pair.client.call_command("call-1", command, now=pair.now)
    pair.pump()
    request = pair.expect_request("calling.play")
    assert request.params == {
        "node_id": "node-1",
        "call_id": "call-1",
        "control_id": started.control_id,
        "play": [{"type": "tts", "params": {"text": "Hello from RELAY!"}}],
    }


@pytest.mark.parametrize("volume", [math.nan, math.inf, -math.inf])
def test_a_value_json_cannot_carry_is_refused_and_nothing_is_registered(volume: float) -> None:
    pair = _answered_call()
    command = c.play([{"type": "tts", "text": "Hi"}], volume=volume, control_id="ctl-1")
    with pytest.raises(InvalidCommandError, match=r"^cannot encode as JSON"):
        pair.client.call_command("call-1", command, now=pair.now)
    pair.pump()
    assert pair.requests("calling.play") == []
    # The control id is free: the same action can be started properly.
    pair.take_client_events()
    good = c.play([{"type": "tts", "text": "Hi"}], control_id="ctl-1")
    pair.client.call_command("call-1", good, now=pair.now)
    pair.pump()
    pair.reply("calling.play", {"code": "200", "control_id": "ctl-1"})
    assert [e.method for e in pair.client_events_of(RequestSucceeded)] == ["calling.play"]
    assert not [e for e in pair.client_events_of(ActionCompleted) if e.control_id == "ctl-1"]
