"""Live transcription and translation, and the webhooks the service would call.

``calling.live_transcribe`` / ``calling.live_translate`` start, stop, summarize (and inject, for
translation) a live session on a call. While one runs it hears what the party says (the persona's
``speech``, then every recognised ``Say``) and posts each utterance to its webhook, as the
service does: the emulator records those requests (``emu.webhooks``) instead of sending them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._media import WORD_SECONDS
from ._model import ResultCode, Session, SimCall, ok
from ._params import invalid, live_call, opt_str, req_object
from ._script import Intent, Say

if TYPE_CHECKING:
    from ._switch import Handler, Switch

__all__ = ["LIVE_HANDLERS", "Webhook", "post", "said", "stop_live", "webhooks"]

_MAX_WEBHOOKS = 10_000


@dataclass(frozen=True, slots=True)
class Webhook:
    """A request the service would have made to a status / result URL."""

    t: float
    url: str
    call_id: str
    payload: dict[str, Any]


def webhooks(sw: Switch) -> list[Webhook]:
    """Webhook requests so far, oldest first."""
    found: list[Webhook] = sw.extensions.setdefault("webhooks", [])
    return found


def post(sw: Switch, call: SimCall, url: str, payload: dict[str, Any]) -> None:
    """Record a webhook request about ``call``."""
    hooks = webhooks(sw)
    hooks.append(Webhook(sw.now, url, call.call_id, payload))
    if len(hooks) > _MAX_WEBHOOKS:
        del hooks[0]


@dataclass(eq=False)
class _Live:
    """A live transcription or translation on one call, posting to a webhook."""

    sw: Switch
    call: SimCall
    kind: str  # "transcription" or "translation"
    url: str
    language: str
    target: str
    texts: list[str]

    def hear(self, intent: Intent) -> None:
        text = said(intent)
        if text:
            self.publish(text)

    def publish(self, text: str) -> None:
        self.texts.append(text)
        payload: dict[str, Any] = {"type": self.kind, "text": text, "language": self.language}
        if self.kind == "translation":
            persona = self.call.party.persona
            scripted = persona.translation if text == persona.speech else ""
            translated = scripted or f"[{self.target}] {text}"
            payload.update(translation=translated, target=self.target)
        self.sw.log(self.call, f"live {self.kind}: {payload.get('translation', text)!r}")
        post(self.sw, self.call, self.url, payload)

    def stop(self) -> None:
        if self.hear in self.call.listeners:
            self.call.listeners.remove(self.hear)


def _lives(sw: Switch) -> dict[tuple[str, str], _Live]:
    found: dict[tuple[str, str], _Live] = sw.extensions.setdefault("live", {})
    return found


def _live(kind: str, verbs: frozenset[str], message: str) -> Handler:
    def handler(sw: Switch, session: Session, params: dict[str, Any]) -> dict[str, Any]:
        call = live_call(sw, session, params)
        action = req_object(params, "action")
        if len(action) != 1 or next(iter(action)) not in verbs:
            raise invalid("action", f"must have exactly one of {', '.join(sorted(verbs))}")
        verb = next(iter(action))
        body = action[verb]
        if not isinstance(body, dict):
            raise invalid(f"action.{verb}", "must be an object")
        key = (call.call_id, kind)
        running = _lives(sw).get(key)
        if verb == "start":
            if running is not None:
                raise ResultCode("409", f"A live {kind} is already running on this call")
            _start_live(sw, call, kind, body, opt_str(params, "status_url"))
        elif running is None:
            sw.log(call, f"live {kind} {verb}: none running, nothing to do")
            return ok(message)
        elif verb == "stop":
            running.stop()
            del _lives(sw)[key]
        elif verb == "summarize":
            post(sw, call, running.url, {"type": "summary", "summary": " ".join(running.texts)})
        else:  # inject
            text = opt_str(body, "text") or opt_str(body, "message")
            if not text:
                raise invalid("action.inject.text", "is required")
            running.publish(text)
        sw.log(call, f"live {kind} {verb}")
        return ok(message)

    return handler


def _start_live(
    sw: Switch, call: SimCall, kind: str, body: dict[str, Any], status_url: str
) -> None:
    url = opt_str(body, "webhook") or status_url
    language = opt_str(body, "lang") or opt_str(body, "language") or opt_str(body, "source")
    target = opt_str(body, "target") or opt_str(body, "to_lang") or "es"
    live = _Live(sw, call, kind, url, language or "en-US", target, [])
    _lives(sw)[(call.call_id, kind)] = live
    call.listeners.append(live.hear)
    speech = call.party.persona.speech
    if speech:
        sw.later(len(speech.split()) * WORD_SECONDS, lambda: live.hear(Say(speech)), call)
    sw.nudge(call)


LIVE_HANDLERS: dict[str, Handler] = {}
LIVE_HANDLERS["calling.live_transcribe"] = _live(
    "transcription", frozenset({"start", "stop", "summarize"}), "Live transcription started"
)
LIVE_HANDLERS["calling.live_translate"] = _live(
    "translation", frozenset({"start", "stop", "summarize", "inject"}), "Live translation started"
)


def said(intent: Intent) -> str:
    """The words of a recognised ``Say`` (``""`` for anything else)."""
    return intent.text if isinstance(intent, Say) and intent.recognised else ""


def stop_live(sw: Switch, call: SimCall) -> None:
    """Stop the live sessions of ``call`` (it ended)."""
    for kind in ("transcription", "translation"):
        live = _lives(sw).pop((call.call_id, kind), None)
        if live is not None:
            live.stop()
