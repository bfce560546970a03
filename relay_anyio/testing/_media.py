"""Media durations and descriptions for the simulated switch.

How long a media item plays decides when ``calling.call.play`` reports ``finished`` and when a
prompt-and-collect starts listening. Text-to-speech lasts as long as its words take to say,
silence and ringtones last their given ``duration``, and audio files last what the test declared
with :meth:`MediaCatalog.set_duration` (or a ``duration=`` query parameter in the URL, or a
default). Everything here is pure arithmetic on simulated seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "WORD_SECONDS",
    "MediaCatalog",
    "MediaError",
    "describe",
    "heard",
    "speech_seconds",
]

# About 150 words a minute, the usual pace of synthetic speech and of a caller.
WORD_SECONDS = 0.4
# A prompt is never shorter than this, even "Hi".
_MIN_TTS_SECONDS = 0.5
# A ringtone played without a duration rings for one six-second cadence.
_DEFAULT_RINGTONE_SECONDS = 6.0
# Anything longer is a mistake in a test (and would overflow the timer arithmetic).
_MAX_ITEM_SECONDS = 24 * 3600.0
_TAG = re.compile(r"<[^>]*>")

# Ringtone names the service knows (spec 3.4).
# fmt: off
_RINGTONES = frozenset({
    "at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es", "fi", "fr", "gr",
    "hu", "il", "in", "it", "lt", "jp", "mx", "my", "nl", "no", "nz", "ph", "pl", "pt", "ru", "se",
    "sg", "th", "uk", "us", "tw", "ve", "za",
})
# fmt: on


class MediaError(ValueError):
    """A media item cannot be played; the message says why (it becomes a play ``error``)."""


def speech_seconds(text: str) -> float:
    """Seconds it takes to say ``text`` (SSML tags ignored)."""
    words = len(_TAG.sub(" ", text).split())
    return max(_MIN_TTS_SECONDS, words * WORD_SECONDS)


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MediaError(f"{what} must be a number")
    seconds = float(value)
    if not 0.0 <= seconds <= _MAX_ITEM_SECONDS:
        raise MediaError(f"{what} out of range: {value!r}")
    return seconds


def _params(item: Mapping[str, Any]) -> Mapping[str, Any]:
    params = item.get("params")
    if not isinstance(params, Mapping):
        raise MediaError("media item needs a params object")
    return params


class MediaCatalog:
    """Durations of audio files, and the rules for every media type.

    Args:
        default_audio_seconds: duration of an audio URL nobody declared.
    """

    def __init__(self, *, default_audio_seconds: float = 3.0) -> None:
        self.default_audio_seconds = default_audio_seconds
        self._audio: dict[str, float] = {}

    def set_duration(self, url: str, seconds: float) -> None:
        """Declare how long the audio file at ``url`` plays.

        Raises:
            ValueError: a negative or absurd duration.
        """
        self._audio[url] = _number(seconds, "duration")

    def audio_seconds(self, url: str) -> float:
        """Duration of an audio URL: declared, else ``?duration=`` in the URL, else default."""
        if url in self._audio:
            return self._audio[url]
        query = parse_qs(urlsplit(url).query)
        if "duration" in query:
            try:
                return _number(float(query["duration"][0]), "duration")
            except ValueError:
                pass
        return self.default_audio_seconds

    def item_seconds(self, item: object) -> float:
        """Duration of one media item (``{"type": ..., "params": {...}}``).

        Raises:
            MediaError: the item is malformed or cannot be played.
        """
        if not isinstance(item, Mapping):
            raise MediaError("media item must be an object")
        kind = item.get("type")
        params = _params(item)
        if kind == "tts":
            text = params.get("text")
            if not isinstance(text, str) or not text.strip():
                raise MediaError("tts needs non-empty text")
            return speech_seconds(text)
        if kind == "audio":
            url = params.get("url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise MediaError("audio needs an http(s) url")
            return self.audio_seconds(url)
        if kind == "silence":
            return _number(params.get("duration"), "silence duration")
        if kind == "ringtone":
            name = params.get("name")
            if not isinstance(name, str) or name not in _RINGTONES:
                raise MediaError(f"unknown ringtone {name!r}")
            if params.get("duration") is None:
                return _DEFAULT_RINGTONE_SECONDS
            return _number(params.get("duration"), "ringtone duration")
        raise MediaError(f"unknown media type {kind!r}")

    def validate(self, media: list[Any]) -> list[tuple[float, Mapping[str, Any]]]:
        """Check every item of a media list; return ``(seconds, item)`` pairs.

        Raises:
            MediaError: an item is invalid.
        """
        return [(self.item_seconds(item), item) for item in media]


def heard(item: Mapping[str, Any]) -> str:
    """What the remote party hears, plainly (the TTS text itself, the audio URL...)."""
    params = item.get("params") or {}
    kind = item.get("type")
    if kind == "tts":
        return " ".join(_TAG.sub(" ", str(params.get("text", ""))).split())
    if kind == "audio":
        return str(params.get("url"))
    if kind == "silence":
        return f"(silence {params.get('duration')} s)"
    return f"(ringtone {params.get('name')})"


def describe(item: Mapping[str, Any]) -> str:
    """A short readable description for transcripts (``'Press 1 for sales'``)."""
    kind = item.get("type")
    params = item.get("params") or {}
    if kind == "tts":
        return repr(heard(item))
    if kind == "audio":
        return f"audio {params.get('url')}"
    if kind == "silence":
        return f"{params.get('duration')} s of silence"
    return f"ringtone {params.get('name')!r}"
