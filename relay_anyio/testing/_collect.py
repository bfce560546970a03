"""Input from the remote party: collect, prompt-and-collect and detect (the DTMF an application
sends and digit bindings are in ``_digits``).

Collecting follows the remote party's script (see ``_script``):

* ``Press``: keys arrive one every 0.25 s. A terminator ends the input (no digits before it is
  ``no_match``); reaching ``digits.max`` ends it; otherwise the input ends ``digit_timeout``
  seconds after the last key, with the digits so far. Consecutive ``Press`` intents continue
  the same input.
* ``Say``: words arrive one every 0.4 s; the result comes ``end_silence_timeout`` after the last
  word (or at ``speech_timeout``). ``Say(..., recognised=False)`` gives ``no_match``.
* Input of a kind the collect does not accept (speech to a digits-only collect, keys to a
  speech-only one) gives ``no_match``.
* ``Silence()``: nothing happens; ``initial_timeout`` then gives ``no_input``.

The initial timer runs once input timers are started: after the prompt of a
``calling.play_and_collect``; for ``calling.collect`` when it has ``start_input_timers: true`` or
on ``calling.collect.start_input_timers``. ``partial_results`` adds ``final: false`` events as
the input grows; ``continuous`` keeps collecting after each result until stopped;
``send_start_of_input`` reports when the caller starts.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._actions import (
    KEY_SECONDS,
    Playback,
    SimAction,
    parse_media,
    parse_volume,
    register_action,
)
from ._media import WORD_SECONDS
from ._params import (
    invalid,
    opt_bool,
    opt_number,
    opt_object,
    opt_str,
    req_object,
    req_str,
)
from ._scheduler import Cancellable, Timer
from ._script import Intent, Press, Say, Silence

if TYPE_CHECKING:
    from ._switch import Handler

__all__ = ["HANDLERS", "CollectConfig", "parse_collect"]

HANDLERS: dict[str, Handler] = {}  # none of its own: its actions register with _actions

_NO_INPUT: dict[str, Any] = {"type": "no_input", "params": {}}
_NO_MATCH: dict[str, Any] = {"type": "no_match", "params": {}}


@dataclass(frozen=True, slots=True)
class CollectConfig:
    """The collect object of a request, validated, with defaults filled in."""

    initial_timeout: float
    max_digits: int | None  # None: digits not collected
    terminators: str
    digit_timeout: float
    speech: bool
    end_silence_timeout: float
    speech_timeout: float
    partial_results: bool
    continuous: bool
    start_of_input: bool


def parse_collect(obj: dict[str, Any]) -> CollectConfig:
    """Validate a collect object (``calling.collect`` params or ``play_and_collect.collect``).

    Raises:
        RequestError: neither ``digits`` nor ``speech``, or a malformed value.
    """
    digits = opt_object(obj, "digits") if "digits" in obj else None
    speech = opt_object(obj, "speech") if "speech" in obj else None
    if digits is None and speech is None:
        raise invalid("collect", "needs digits or speech")
    max_digits = None
    if digits is not None:
        if "max" not in digits:
            raise invalid("digits.max", "is required")
        max_digits = int(opt_number(digits, "max", 1, minimum=1, maximum=100))
    digits = digits or {}
    speech_obj = speech or {}
    opt_str(speech_obj, "language")
    return CollectConfig(
        initial_timeout=opt_number(obj, "initial_timeout", 4.0),
        max_digits=max_digits,
        terminators=opt_str(digits, "terminators", ""),
        digit_timeout=opt_number(digits, "digit_timeout", 5.0),
        speech=speech is not None,
        end_silence_timeout=opt_number(speech_obj, "end_silence_timeout", 1.0),
        speech_timeout=opt_number(speech_obj, "speech_timeout", 60.0),
        partial_results=opt_bool(obj, "partial_results"),
        continuous=opt_bool(obj, "continuous"),
        start_of_input=opt_bool(obj, "send_start_of_input"),
    )


class Collector:
    """Turns the remote party's intents into collect results for its owning action."""

    def __init__(self, action: CollectingAction, cfg: CollectConfig) -> None:
        self.action = action
        self.cfg = cfg
        self.timers_started = False
        self._reset()
        self._initial: Cancellable | None = None

    def _reset(self) -> None:
        self.digits = ""
        self.words: list[str] = []
        self._say: Say | None = None
        self._keys: deque[str] = deque()
        self._gap: Timer | None = None
        self._speech_limit: Timer | None = None
        self.inputting = False

    @property
    def who(self) -> str:
        """The remote party, for transcripts."""
        return self.action.call.who

    # -- control
    def listen(self) -> None:
        """Ask the remote party for input."""
        self.action.sw.request_input(self.action.call, self)

    def start_timers(self) -> None:
        """Start the initial timeout (once)."""
        if self.timers_started:
            return
        self.timers_started = True
        if not self.inputting and self.cfg.initial_timeout:
            self._initial = self.action.caller_timeout(
                self.cfg.initial_timeout, self._no_input, self
            )

    def stop(self) -> None:
        """Stop listening."""
        self.action.sw.cancel_input(self.action.call, self)

    # -- input
    def take(self, intent: Intent) -> None:
        if isinstance(intent, Silence):
            return  # stays quiet for this input; the timers decide
        if (self.words and isinstance(intent, Press)) or (self.digits and isinstance(intent, Say)):
            self.action.log(f"{self.who} switched between keys and speech; input so far taken")
            self._finish_current()
            return
        self._begin_input()
        if isinstance(intent, Press):
            self._take_keys(intent)
        elif isinstance(intent, Say):
            self._take_words(intent)

    def _begin_input(self) -> None:
        if self._initial is not None:
            self._initial.cancel()
            self._initial = None
        if self._gap is not None:
            self._gap.cancel()
            self._gap = None
        if not self.inputting:
            self.inputting = True
            if self.cfg.start_of_input:
                self._event({"type": "start_of_input", "params": {}}, final=False)

    def _take_keys(self, press: Press) -> None:
        if self.cfg.max_digits is None:
            self._mismatch(len(press.digits) * KEY_SECONDS, f"{self.who} pressed {press.digits}")
            return
        idle = not self._keys
        self._keys.extend(press.digits)
        if idle:
            self.action.later(KEY_SECONDS, self._next_key)

    def _next_key(self) -> None:
        key = self._keys.popleft()
        if key in self.cfg.terminators:
            self._digits_done(key)
            return
        self.digits += key
        if len(self.digits) == self.cfg.max_digits:
            self._digits_done("")
            return
        if self.cfg.partial_results:
            self._event(self._digit_result(""), final=False)
        if self._keys:
            self.action.later(KEY_SECONDS, self._next_key)
        else:
            self.listen()
            self._gap = self.action.later(self.cfg.digit_timeout, lambda: self._digits_done(""))

    def _digit_result(self, terminator: str) -> dict[str, Any]:
        return {"type": "digit", "params": {"digits": self.digits, "terminator": terminator}}

    def _digits_done(self, terminator: str) -> None:
        self.stop()
        if not self.digits:
            self._result(_NO_MATCH, f"{self.who} pressed only {terminator!r}: no match")
            return
        self._result(
            self._digit_result(terminator), f"{self.who} pressed {self.digits}{terminator}"
        )

    def _take_words(self, say: Say) -> None:
        if not self.cfg.speech:
            self._mismatch(say.words * WORD_SECONDS, f"{self.who} said {say.text!r}")
            return
        if self._speech_limit is None:
            self._speech_limit = self.action.later(self.cfg.speech_timeout, self._speech_done)
        self._say = say
        words = say.text.split()
        for index, word in enumerate(words, 1):
            step = functools.partial(self._word, word, index == len(words))
            self.action.later(index * WORD_SECONDS, step)

    def _word(self, word: str, last: bool) -> None:
        self.words.append(word)
        if self.cfg.partial_results and not last:
            self._event(self._speech_result(), final=False)
        if last:
            # The utterance is over: the result comes after end_silence_timeout. The party's
            # next Say answers the next prompt (or, continuous, the next result), never this
            # one: two Say steps are two results, each with its own confidence.
            self._gap = self.action.later(self.cfg.end_silence_timeout, self._speech_done)

    def _speech_result(self) -> dict[str, Any]:
        confidence = self._say.confidence if self._say else 0.0
        return {
            "type": "speech",
            "params": {"text": " ".join(self.words), "confidence": confidence},
        }

    def _speech_done(self) -> None:
        self.stop()
        if self._speech_limit is not None:
            self._speech_limit.cancel()
        if self._say is not None and not self._say.recognised:
            self._result(_NO_MATCH, f"{self.who} said {' '.join(self.words)!r}: not recognised")
            return
        self._result(self._speech_result(), f"{self.who} said {' '.join(self.words)!r}")

    def _finish_current(self) -> None:
        if self._gap is not None:
            self._gap.cancel()
        if self.digits:
            self._digits_done("")
        else:
            self._speech_done()

    def _mismatch(self, seconds: float, what: str) -> None:
        self.stop()
        self.action.later(seconds, lambda: self._result(_NO_MATCH, f"{what}: no match"))

    def _no_input(self) -> None:
        self._initial = None
        if not self.inputting:
            self.stop()
            self._result(_NO_INPUT, f"{self.who} gave no input")

    # -- output
    def _event(self, result: dict[str, Any], *, final: bool) -> None:
        self.action.emit({"final": final, "result": result})

    def _result(self, result: dict[str, Any], text: str) -> None:
        self.action.log(text)
        if not self.cfg.continuous:
            self.action.collected(result)
            return
        self._event(result, final=True)
        self._reset()
        self.listen()


class CollectingAction(SimAction):
    """Base of the two collect actions: owns a :class:`Collector`."""

    event_type = "calling.call.collect"
    collector: Collector

    def collected(self, result: dict[str, Any]) -> None:
        """A final result (the action ends unless continuous)."""
        self.finish({"final": True, "result": result})

    def take(self, intent: Intent) -> None:
        self.collector.take(intent)

    def ended_params(self) -> dict[str, Any]:
        return {"final": True, "result": _NO_INPUT}

    def finish(self, params: dict[str, Any]) -> None:
        self.collector.stop()
        super().finish(params)

    def command(self, op: str, params: dict[str, Any]) -> None:
        if op == "start_input_timers":
            self.log("input timers started")
            self.collector.start_timers()
        elif op == "stop":
            self.log(f"{self.kind} stopped")
            self.finish({"state": "finished"})


class CollectAction(CollectingAction):
    """``calling.collect``: listens without a prompt."""

    kind = "collect"
    subcommands = frozenset({"calling.collect.stop", "calling.collect.start_input_timers"})
    started_message = "Collecting"

    def configure(self, params: dict[str, Any]) -> None:
        self.collector = Collector(self, parse_collect(params))
        self.timers_now = opt_bool(params, "start_input_timers")

    def start(self) -> None:
        self.log("collecting input")
        self.collector.listen()
        if self.timers_now:
            self.collector.start_timers()


class PlayAndCollectAction(CollectingAction):
    """``calling.play_and_collect``: a prompt (``calling.call.play`` events), then input."""

    kind = "play_and_collect"
    subcommands = frozenset(
        {f"calling.play_and_collect.{op}" for op in ("stop", "volume", "pause", "resume")}
        | {"calling.collect.start_input_timers"}
    )

    def configure(self, params: dict[str, Any]) -> None:
        self.media, self.error = parse_media(self.sw, params)
        self.volume = parse_volume(params)
        self.collector = Collector(self, parse_collect(req_object(params, "collect")))
        self.playback = Playback(self, self.media, 1, self._prompt_done)
        self.prompting = False

    def _play_event(self, state: str) -> None:
        self.sw.emit(
            self.call, "calling.call.play", {"control_id": self.control_id, "state": state}
        )

    def start(self) -> None:
        if self.error:
            self.log(f"prompt failed: {self.error}")
            self._play_event("error")
            self.finish({"final": True, "result": {"type": "error", "params": {}}})
            return
        self.prompting = True
        self._play_event("playing")
        self.playback.start()
        barge = self.sw.take_barge_in(self.call)
        if barge is not None:
            self.log(f"{self.call.who} interrupted the prompt")
            self._prompt_done()
            self.collector.take(barge)

    def _prompt_done(self) -> None:
        if not self.prompting:
            return
        self.prompting = False
        self.playback.stop()
        self._play_event("finished")
        self.collector.start_timers()
        self.collector.listen()

    def finish(self, params: dict[str, Any]) -> None:
        if self.prompting and not self.done:
            self.prompting = False
            self.playback.stop()
            self._play_event("finished")
        super().finish(params)

    def command(self, op: str, params: dict[str, Any]) -> None:
        if op == "volume":
            self.volume = parse_volume(params, required=True)
        elif op == "pause" and self.prompting and not self.playback.paused:
            self.playback.pause()
            self._play_event("paused")
        elif op == "resume" and self.playback.paused:
            self.playback.resume()
            self._play_event("playing")
        else:
            super().command(op, params)


class DetectAction(SimAction):
    """``calling.detect``: machine / fax / digit detection from the remote party's persona."""

    kind = "detect"
    event_type = "calling.call.detect"
    subcommands = frozenset({"calling.detect.stop"})
    started_message = "Detecting"

    def configure(self, params: dict[str, Any]) -> None:
        detect = req_object(params, "detect")
        self.type = req_str(detect, "type", choices=("machine", "fax", "digit"))
        p = opt_object(detect, "params")
        self.timeout = opt_number(params, "timeout", 30.0)
        self.end_silence = opt_number(p, "end_silence_timeout", 1.0)
        self.initial_timeout = opt_number(p, "initial_timeout", 4.5)
        self.voice_threshold = opt_number(p, "machine_voice_threshold", 1.25)
        opt_number(p, "machine_words_threshold", 6, maximum=1000)
        self.message_end = opt_bool(p, "detect_message_end", True)
        self.tone = opt_str(p, "tone", "CED", choices=("CED", "CNG"))
        self.allowed = opt_str(p, "digits", "0123456789#*")

    def _event(self, value: str) -> None:
        self.emit({"detect": {"type": self.type, "params": {"event": value}}})

    def ended_params(self) -> dict[str, Any]:
        return {"detect": {"type": self.type, "params": {"event": "finished"}}}

    def start(self) -> None:
        if self.type == "digit":
            self._time_out()
            self.sw.request_input(self.call, self)
        elif self.call.answered_at is None:
            # Nothing to listen to before the far end answers: the detector, and its timeout,
            # start at the answer (so how long the application took to answer, a wall-clock
            # matter, never decides what is detected).
            self.call.on_answer.append(self._listen)
        else:
            self._listen()

    def _time_out(self) -> None:
        self.later(self.timeout, lambda: self.finish(self.ended_params()))

    def _listen(self) -> None:
        if self.done:
            return
        self._time_out()
        answered = self.call.answered_at if self.call.answered_at is not None else self.sw.now
        elapsed = self.sw.now - answered
        persona = self.call.party.persona
        if self.type == "fax":
            if persona.kind == "fax":
                self._at(1.0 - elapsed, self.tone, final=True)
        elif persona.kind == "machine":
            self._machine(elapsed)
        elif persona.kind == "human":
            spoken = persona.greeting_words * WORD_SECONDS
            self._at(spoken + self.end_silence - elapsed, "HUMAN", final=True)
        else:
            self._at(self.initial_timeout - elapsed, "UNKNOWN", final=True)

    def _machine(self, elapsed: float) -> None:
        # MACHINE once the voice outlasts the threshold; with detect_message_end, READY at the
        # beep, and READY / NOT_READY around a pause in the greeting longer than end_silence.
        persona = self.call.party.persona
        greeting = persona.greeting_words * WORD_SECONDS + persona.greeting_pause
        first = min(greeting, self.voice_threshold)
        self._at(first - elapsed, "MACHINE", final=not self.message_end)
        if not self.message_end:
            return
        paused_at = persona.greeting_pause_after * WORD_SECONDS
        if persona.greeting_pause_after and persona.greeting_pause > self.end_silence:
            self._at(max(first, paused_at + self.end_silence) - elapsed, "READY", final=False)
            self._at(
                max(first, paused_at + persona.greeting_pause) - elapsed, "NOT_READY", final=False
            )
        self._at(greeting + 0.5 - elapsed, "READY", final=True)

    def _at(self, delay: float, value: str, *, final: bool) -> None:
        def fire() -> None:
            self.log(f"detected {value}")
            self._event(value)
            if final:
                self.finish(self.ended_params())

        self.later(max(0.0, delay), fire)

    def take(self, intent: Intent) -> None:
        if isinstance(intent, Press):
            keys = "".join(k for k in intent.digits if k in self.allowed)
            if keys:
                self.later(len(intent.digits) * KEY_SECONDS, lambda: self._digits(keys))
                return
        self.sw.request_input(self.call, self)

    def _digits(self, keys: str) -> None:
        self.log(f"detected digits {keys}")
        self._event(keys)
        self.sw.request_input(self.call, self)


register_action("calling.collect", CollectAction)
register_action("calling.play_and_collect", PlayAndCollectAction)
register_action("calling.detect", DetectAction)
