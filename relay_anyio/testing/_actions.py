"""Long-running call operations ("actions") of the simulated switch.

An action is started by a ``calling.<kind>`` request carrying the client's ``control_id``, reports
progress with ``calling.call.<kind>`` events carrying that id, and is steered by sub-commands
(``calling.<kind>.stop`` ...). This module has the common machinery (:class:`SimAction`, the
start and sub-command handlers, :class:`Playback`, :class:`Ongoing`), play and record. Collect
and detect are in ``_collect``, sent digits and digit bindings in ``_digits``; the services whose
outcome a test scripts (tap, stream, pay, fax, transcription, AI) in ``_services``.

When the call ends, each running action reports its natural terminal event *before* the call's
``ended`` state event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ._media import WORD_SECONDS, MediaError, describe, heard
from ._model import InputConsumer, ResultCode, Session, SimCall, ok
from ._params import (
    invalid,
    live_call,
    opt_bool,
    opt_number,
    opt_object,
    opt_str,
    req_control_id,
    req_object,
)
from ._scheduler import Cancellable, DeferredTimer, Timer
from ._script import Intent, Press, Say

if TYPE_CHECKING:
    from ._switch import Handler, Switch

__all__ = [
    "HANDLERS",
    "KEY_SECONDS",
    "Ongoing",
    "Playback",
    "SimAction",
    "parse_media",
    "parse_volume",
    "register_action",
    "stop_only",
]

HANDLERS: dict[str, Handler] = {}

# Bytes per second of a simulated recording (128 kbit/s mp3, 8 kHz 16-bit wav).
_BYTES_PER_SECOND = {"mp3": 16_000, "wav": 16_000}
# A caller presses about four keys a second.
KEY_SECONDS = 0.25
_DIRECTIONS = frozenset({"listen", "speak", "both"})


class SimAction:
    """Base class: one running operation on a call, keyed by its ``control_id``."""

    kind: ClassVar[str] = ""
    event_type: ClassVar[str] = ""
    subcommands: ClassVar[frozenset[str]] = frozenset()
    started_message: ClassVar[str] = "OK"

    def __init__(self, sw: Switch, call: SimCall, control_id: str, params: dict[str, Any]):
        self.sw = sw
        self.call = call
        self.control_id = control_id
        self.done = False
        self._timers: list[Cancellable] = []
        self.configure(params)

    # -- overridables
    def configure(self, params: dict[str, Any]) -> None:
        """Validate the start params (raise :class:`RequestError`)."""

    def result_extra(self) -> dict[str, Any]:
        """Extra keys for the start request's result."""
        return {}

    def start(self) -> None:
        """Begin (called right after the request was accepted)."""

    def ended_params(self) -> dict[str, Any]:
        """The terminal event sent when the call ends under the action."""
        return {"state": "finished"}

    def take(self, intent: Intent) -> None:
        """Input from the remote party (for actions that listen)."""

    def command(self, op: str, params: dict[str, Any]) -> None:
        """Run a sub-command (``stop``, ``pause`` ...); ``stop`` finishes by default."""
        if op == "stop":
            self.finish(self.ended_params())

    # -- helpers
    def emit(self, params: dict[str, Any]) -> None:
        """Send one ``calling.call.<kind>`` event for this action."""
        self.sw.emit(self.call, self.event_type, {"control_id": self.control_id, **params})

    def later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """A timer cancelled when the action finishes or the call ends."""
        timer = self.sw.later(delay, callback, self.call)
        self._track(timer)
        return timer

    def caller_timeout(
        self, delay: float, callback: Callable[[], None], consumer: InputConsumer | None = None
    ) -> DeferredTimer:
        """An initial timeout waiting for the remote party (see ``Switch.caller_timeout``)."""
        handle = self.sw.caller_timeout(self.call, delay, callback, consumer or self)
        self._track(handle)
        return handle

    def _track(self, timer: Cancellable) -> None:
        self._timers = [t for t in self._timers if not t.cancelled]
        self._timers.append(timer)

    def finish(self, params: dict[str, Any]) -> None:
        """Send the terminal event and forget the action (idempotent)."""
        if self.done:
            return
        self.done = True
        for timer in self._timers:
            timer.cancel()
        self.sw.cancel_input(self.call, self)
        self.call.actions.pop(self.control_id, None)
        self.emit(params)

    def call_ended(self) -> None:
        """The call is ending: report the natural terminal event."""
        self.finish(self.ended_params())

    def log(self, text: str) -> None:
        """Transcript line about this action's call."""
        self.sw.log(self.call, text)


def register_action(method: str, cls: type[SimAction]) -> None:
    """Register the start handler for ``method`` and the generic sub-command handlers."""

    def start(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
        call = live_call(sw, session, params)
        control_id = req_control_id(params)
        if control_id in call.actions:
            raise ResultCode("409", f"control_id {control_id} is already in use on this call")
        action = cls(sw, call, control_id, params)
        call.actions[control_id] = action
        action.start()
        return ok(
            cls.started_message,
            call_id=call.call_id,
            control_id=control_id,
            **action.result_extra(),
        )

    HANDLERS[method] = start
    for sub in cls.subcommands:
        HANDLERS.setdefault(sub, _subcommand(sub))


def _subcommand(method: str) -> Handler:
    op = method.rsplit(".", 1)[1]

    def handler(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
        call = live_call(sw, session, params)
        control_id = req_control_id(params)
        action = call.actions.get(control_id)
        if action is None or method not in action.subcommands:
            raise ResultCode("404", f"No running operation {control_id} for {method}")
        action.command(op, params)
        return ok("OK", call_id=call.call_id, control_id=control_id)

    return handler


class Playback:
    """Plays a media list to the remote party, item after item, with pause/resume.

    Args:
        action: the owning action (timers, transcript).
        media: ``(seconds, item)`` pairs, already validated.
        loop: plays of the whole list; ``0`` repeats until stopped.
        on_done: called once the last item finished.
    """

    def __init__(
        self,
        action: SimAction,
        media: list[tuple[float, Mapping[str, Any]]],
        loop: int,
        on_done: Callable[[], None],
    ) -> None:
        self._action = action
        self._media = media
        self._loop = loop
        self._on_done = on_done
        self._index = 0
        self._round = 1
        self._timer: Timer | None = None
        self._remaining = 0.0
        self.paused = False

    def start(self) -> None:
        """Play the first item."""
        self._play_item()

    def _play_item(self) -> None:
        seconds, item = self._media[self._index]
        self._action.log(f"played {describe(item)}")
        self._action.call.party.heard.append(heard(item))
        self._action.sw.prompted(self._action.call)
        self._timer = self._action.later(seconds, self._next)

    def _next(self) -> None:
        self._timer = None
        self._index += 1
        if self._index == len(self._media):
            if self._loop and self._round >= self._loop:
                self._on_done()
                return
            self._index = 0
            self._round += 1
        self._play_item()

    def pause(self) -> None:
        """Freeze the current item where it is."""
        if self._timer is not None and not self.paused:
            self._remaining = max(0.0, self._timer.when - self._action.sw.now)
            self._timer.cancel()
            self.paused = True

    def resume(self) -> None:
        """Carry on from where :meth:`pause` stopped."""
        if self.paused:
            self.paused = False
            self._timer = self._action.later(self._remaining, self._next)

    def stop(self) -> None:
        """Stop playing."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def parse_media(sw: Switch, params: dict[str, Any]) -> tuple[list[Any], str]:
    """``(media pairs, error)``: a structurally bad list is -32602, a bad item an ``error``."""
    media = params.get("play")
    if not isinstance(media, list) or not media:
        raise invalid("play", "must be a non-empty list of media items")
    try:
        return sw.media.validate(media), ""
    except MediaError as exc:
        return [], str(exc)


def parse_volume(params: dict[str, Any], *, required: bool = False) -> float:
    """A volume in dB (-40..40)."""
    if required and params.get("volume") is None:
        raise invalid("volume", "is required")
    return opt_number(params, "volume", 0.0, minimum=-40.0, maximum=40.0)


class PlayAction(SimAction):
    """``calling.play``: ``playing`` → (``paused`` ↔ ``playing``) → ``finished`` / ``error``."""

    kind = "play"
    event_type = "calling.call.play"
    subcommands = frozenset(f"calling.play.{op}" for op in ("stop", "pause", "resume", "volume"))

    def configure(self, params: dict[str, Any]) -> None:
        self.media, self.error = parse_media(self.sw, params)
        self.volume = parse_volume(params)
        opt_str(params, "direction", choices=_DIRECTIONS)
        loop = opt_number(params, "loop", 1, maximum=10_000)
        if loop != int(loop):
            raise invalid("loop", "must be an integer")
        self.playback = Playback(self, self.media, int(loop), self._played)

    def start(self) -> None:
        if self.error:
            self.log(f"play failed: {self.error}")
            self.finish({"state": "error"})
            return
        self.emit({"state": "playing"})
        self.playback.start()

    def _played(self) -> None:
        self.finish({"state": "finished"})

    def finish(self, params: dict[str, Any]) -> None:
        self.playback.stop()
        super().finish(params)

    def command(self, op: str, params: dict[str, Any]) -> None:
        if op == "pause" and not self.playback.paused:
            self.playback.pause()
            self.emit({"state": "paused"})
        elif op == "resume" and self.playback.paused:
            self.playback.resume()
            self.emit({"state": "playing"})
        elif op == "volume":
            self.volume = parse_volume(params, required=True)
            self.log(f"play volume set to {self.volume:g} dB")
        else:
            super().command(op, params)


class RecordAction(SimAction):
    """``calling.record``: listens to the remote party until silence, a terminator or stop."""

    kind = "record"
    event_type = "calling.call.record"
    subcommands = frozenset(f"calling.record.{op}" for op in ("stop", "pause", "resume"))
    started_message = "Recording"

    def configure(self, params: dict[str, Any]) -> None:
        audio = opt_object(req_object(params, "record"), "audio")
        self.audio = audio
        self.format = opt_str(audio, "format", "mp3", choices=_BYTES_PER_SECOND)
        self.stereo = opt_bool(audio, "stereo")
        self.beep = opt_bool(audio, "beep")
        opt_str(audio, "direction", choices=_DIRECTIONS)
        self.initial_timeout = opt_number(audio, "initial_timeout", 5.0)
        self.end_silence = opt_number(audio, "end_silence_timeout", 1.0)
        self.terminators = opt_str(audio, "terminators", "#*")
        opt_number(audio, "input_sensitivity", 44, maximum=100)
        self.url = (
            f"https://recordings.relay-emulator.invalid/{self.call.call_id}/"
            f"{self.control_id}.{self.format}"
        )
        self._recorded = 0.0
        self._since: float | None = None
        self._paused = False
        self._voiced = False
        self._silence_timer: Timer | None = None
        self.busy = False

    def result_extra(self) -> dict[str, Any]:
        return {"url": self.url}

    def start(self) -> None:
        self._since = self.sw.now
        self.emit({"state": "recording", "record": {"audio": self.audio}})
        self.log("recording started" + (" (beep)" if self.beep else ""))
        if self.initial_timeout:
            self.caller_timeout(self.initial_timeout, self._initial_timeout)
        if self.beep:
            self.sw.prompted(self.call)  # the beep asks the party to speak
        self.sw.listen_input(self.call, self)

    def overhear(self, intent: Intent) -> None:
        """Input the party gave a collection is recorded too."""
        if not self._paused:
            self.take(intent)

    def take(self, intent: Intent) -> None:
        if isinstance(intent, Say):
            self._voice(
                f"{self.call.who} said {intent.text!r} (recorded)", intent.words * WORD_SECONDS
            )
        elif isinstance(intent, Press):
            if set(intent.digits) & set(self.terminators):
                self.log(f"{self.call.who} pressed {intent.digits} (ends the recording)")
                self.later(len(intent.digits) * KEY_SECONDS, self._complete)
            else:
                seconds = len(intent.digits) * KEY_SECONDS
                self._voice(f"{self.call.who} pressed {intent.digits} (recorded)", seconds)
        # Silence: the timers decide.

    def _voice(self, text: str, seconds: float) -> None:
        self.log(text)
        self._voiced = True
        self.busy = True  # the party is still speaking: its next input waits
        if self._silence_timer is not None:
            self._silence_timer.cancel()
        self.later(seconds, self._voice_ended)

    def _voice_ended(self) -> None:
        self.busy = False
        self.sw.listen_input(self.call, self)
        if self.end_silence:
            self._silence_timer = self.later(self.end_silence, self._complete)

    def _initial_timeout(self) -> None:
        if not self._voiced:
            self.log("recording got no input")
            self.finish({"state": "no_input", "record": {"audio": self.audio}})

    def _complete(self) -> None:
        self.finish(self._finished())

    def _elapsed(self) -> float:
        running = self.sw.now - self._since if self._since is not None else 0.0
        return self._recorded + running

    def _finished(self) -> dict[str, Any]:
        duration = round(self._elapsed(), 3)
        size = int(duration * _BYTES_PER_SECOND[self.format] * (2 if self.stereo else 1))
        self.log(f"recording finished: {duration:g} s at {self.url}")
        return {
            "state": "finished",
            "url": self.url,
            "duration": duration,
            "size": size,
            "record": {"audio": self.audio, "url": self.url, "duration": duration, "size": size},
        }

    def ended_params(self) -> dict[str, Any]:
        if self._voiced:
            return self._finished()
        return {"state": "no_input", "record": {"audio": self.audio}}

    def command(self, op: str, params: dict[str, Any]) -> None:
        if op == "pause":
            behavior = opt_str(params, "behavior", "skip", choices=("skip", "silence"))
            if self._paused:
                return
            self._paused = True
            # "silence" keeps the clock running (silence is recorded); "skip" stops it.
            if behavior == "skip":
                self._recorded = self._elapsed()
                self._since = None
            self.emit({"state": "paused"})
        elif op == "resume" and self._paused:
            self._paused = False
            if self._since is None:
                self._since = self.sw.now
            self.emit({"state": "recording"})
        elif op == "stop":
            self.finish(self._finished())


class Ongoing(SimAction):
    """Runs until stopped or the call ends: ``<running state>`` then ``finished``."""

    running_state: ClassVar[str] = ""

    def start(self) -> None:
        self.emit({"state": self.running_state, **self.details()})
        self.log(f"{self.kind} started")

    def details(self) -> dict[str, Any]:
        """Keys repeated in every event."""
        return {}

    def ended_params(self) -> dict[str, Any]:
        self.log(f"{self.kind} finished")
        return {"state": "finished", **self.details()}


def stop_only(kind: str) -> frozenset[str]:
    """The sub-commands of an action that can only be stopped."""
    return frozenset({f"calling.{kind}.stop"})


for _method, _cls in {
    "calling.play": PlayAction,
    "calling.record": RecordAction,
}.items():
    register_action(_method, _cls)
