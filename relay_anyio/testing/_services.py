"""Services a call uses, with outcomes a test scripts: tap, stream, pay, fax, transcription, AI.

Each reads what should happen from the remote party's persona (``Persona.scripted(...)``, see
``_outcomes``) or from the emulator (``emu.unreachable(target)`` for media forks) and plays the
matching event sequence; without a script the happy path runs. Live transcription and
translation (results delivered to webhooks) are in ``_live``, rooms in ``_rooms``.

Transcribers and AI agents *listen*: ``Say`` intents the party speaks while one runs are heard
by it (whoever else takes them), and a ``Say`` nobody asked for is taken by it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ClassVar

from ._actions import Ongoing, SimAction, register_action, stop_only
from ._live import LIVE_HANDLERS, post, said, stop_live
from ._media import WORD_SECONDS
from ._model import ResultCode, SimCall
from ._outcomes import Payment, card_type
from ._params import invalid, opt_number, opt_object, opt_str, req_object, req_str
from ._script import Intent, Say

if TYPE_CHECKING:
    from ._switch import Handler, Switch

__all__ = [
    "HANDLERS",
    "idle_listener",
    "on_call_end",
    "unreachable",
]

HANDLERS: dict[str, Handler] = dict(LIVE_HANDLERS)
_DIRECTIONS = ("listen", "speak", "both")
_PROMPT_SECONDS = 2.0  # a payment prompt ("Please enter your card number")
_KEY_SECONDS = 0.25


def unreachable(sw: Switch) -> dict[str, tuple[str, float]]:
    """Media fork targets that fail: target -> (reason, seconds until the failure)."""
    found: dict[str, tuple[str, float]] = sw.extensions.setdefault("unreachable", {})
    return found


# ---------------------------------------------------------------------------- media forks
class _Fork(Ongoing):
    """Tap and stream: running until stopped, or failing if the target is unreachable."""

    failed_state: ClassVar[str] = "finished"

    def target(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        super().start()
        failure = unreachable(self.sw).get(self.target())
        if failure is not None:
            reason, after = failure
            self.later(after, lambda: self._fail(reason))

    def _fail(self, reason: str) -> None:
        self.log(f"{self.kind} to {self.target()} failed: {reason}")
        self.finish({"state": self.failed_state, "reason": reason, **self.details()})


class TapAction(_Fork):
    """``calling.tap``: media fork to an RTP or WebSocket device."""

    kind, event_type, subcommands = "tap", "calling.call.tap", stop_only("tap")
    running_state, started_message = "tapping", "Tapping"

    def configure(self, params: dict[str, Any]) -> None:
        self.tap = req_object(params, "tap")
        req_str(self.tap, "type", choices=("audio",))
        opt_str(req_object(self.tap, "params"), "direction", choices=_DIRECTIONS)
        self.device = req_object(params, "device")
        kind = req_str(self.device, "type", choices=("rtp", "ws"))
        device_params = req_object(self.device, "params")
        if kind == "rtp":
            req_str(device_params, "addr")
            opt_number(device_params, "port", 0, maximum=65535)
        else:
            req_str(device_params, "uri")

    def target(self) -> str:
        params = self.device["params"]
        if self.device["type"] == "ws":
            return str(params["uri"])
        port = params.get("port")
        return f"{params['addr']}:{port}" if port else str(params["addr"])

    def details(self) -> dict[str, Any]:
        return {"tap": self.tap, "device": self.device}

    def result_extra(self) -> dict[str, Any]:
        # A distinct (fake) RTP port per tap, as a media server would hand out.
        source = {"addr": "127.0.0.1", "port": 40_000 + 2 * (self.sw.count("rtp") % 10_000)}
        return {"source_device": {"type": "rtp", "params": {**source, "codec": "PCMU"}}}


class StreamAction(_Fork):
    """``calling.stream``: media stream to a WebSocket URL (``error`` when it cannot connect)."""

    kind, event_type, subcommands = "stream", "calling.call.stream", stop_only("stream")
    running_state, started_message = "streaming", "Streaming"
    failed_state = "error"

    def configure(self, params: dict[str, Any]) -> None:
        self.url = req_str(params, "url")
        if not self.url.startswith(("wss://", "ws://")):
            raise invalid("url", "must be a ws:// or wss:// URL")
        self.name = opt_str(params, "name")
        opt_str(params, "track", choices=("inbound_track", "outbound_track", "both_tracks"))
        opt_str(params, "status_url_method", choices=("GET", "POST"))
        opt_object(params, "custom_parameters")

    def target(self) -> str:
        return self.url

    def details(self) -> dict[str, Any]:
        return {"url": self.url, "name": self.name}


# ---------------------------------------------------------------------------- listening
class _Listening(Ongoing):
    """An action that hears what the party says while it runs."""

    def start(self) -> None:
        super().start()
        self.heard: list[str] = []
        self.call.listeners.append(self.hear)
        speech = self.call.party.persona.speech
        if speech:
            self.later(len(speech.split()) * WORD_SECONDS, lambda: self.hear(Say(speech)))
        self.sw.nudge(self.call)  # words already waiting in the script are heard now

    def hear(self, intent: Intent) -> None:
        """The party said something (or pressed keys) while this action ran."""
        text = said(intent)
        if text and not self.done:
            self.heard.append(text)
            self.log(f"{self.kind} heard {text!r}")
            self.utterance(text)

    def utterance(self, text: str) -> None:
        """A recognised utterance (override)."""

    def finish(self, params: dict[str, Any]) -> None:
        if self.hear in self.call.listeners:
            self.call.listeners.remove(self.hear)
        super().finish(params)


class TranscribeAction(_Listening):
    """``calling.transcribe``: one per call (409 otherwise); the text at the end."""

    kind, event_type, subcommands = "transcribe", "calling.call.transcribe", stop_only("transcribe")
    running_state, started_message = "transcribing", "Transcribing"

    def configure(self, params: dict[str, Any]) -> None:
        if any(isinstance(a, TranscribeAction) for a in self.call.actions.values()):
            raise ResultCode("409", "A transcription is already active on this call")
        self.status_url = opt_str(params, "status_url")
        self._started = self.sw.now

    def ended_params(self) -> dict[str, Any]:
        duration = round(self.sw.now - self._started, 3)
        text = " ".join(self.heard)
        self.log(f"transcription finished: {text!r}")
        params = {
            "state": "finished",
            "url": f"https://recordings.relay-emulator.invalid/{self.control_id}.txt",
            "recording_id": f"rec-{self.control_id}",
            "duration": duration,
            "size": int(duration * 16_000),
            "text": text,
        }
        if self.status_url:
            post(self.sw, self.call, self.status_url, {"event": "transcription", **params})
        return params


class AIAction(_Listening):
    """``calling.ai``: an AI agent; with a scripted conversation, its turns and summary."""

    kind, event_type, subcommands = "ai", "calling.call.ai", stop_only("ai")
    running_state, started_message = "started", "AI started"

    def configure(self, params: dict[str, Any]) -> None:
        self.post_prompt_url = opt_str(params, "post_prompt_url")
        self.conversation: list[dict[str, str]] = []

    def start(self) -> None:
        super().start()
        script = self.call.party.persona.ai
        if script is not None:
            self.later(0.5, lambda: self._turn(0))

    def _turn(self, index: int) -> None:
        script = self.call.party.persona.ai
        assert script is not None
        if index == len(script.caller):
            self._conversation_over()
            return
        line = script.caller[index]
        self.later(len(line.split()) * WORD_SECONDS, lambda: self._caller_said(index, line))

    def _caller_said(self, index: int, line: str) -> None:
        script = self.call.party.persona.ai
        assert script is not None
        self.hear(Say(line))
        reply = script.reply(index)

        def answer() -> None:
            self._say("assistant", reply)
            self.call.party.heard.append(reply)
            self.later(len(reply.split()) * WORD_SECONDS, lambda: self._turn(index + 1))

        self.later(0.5, answer)

    def utterance(self, text: str) -> None:
        self._say("user", text)

    def _say(self, role: str, text: str) -> None:
        self.conversation.append({"role": role, "content": text})
        self.log(f"AI conversation: {role} {text!r}")
        self.emit({"state": "conversation", "conversation": {"role": role, "content": text}})

    def _conversation_over(self) -> None:
        script = self.call.party.persona.ai
        assert script is not None
        if script.caller_hangs_up:
            self.sw.remote_hangup(self.call)
        else:
            self.finish(self.ended_params())

    def ended_params(self) -> dict[str, Any]:
        script = self.call.party.persona.ai
        users = [t["content"] for t in self.conversation if t["role"] == "user"]
        summary = (script.summary if script else "") or " ".join(users)
        result = script.result if script else "success"
        self.log(f"AI session ended ({result}): {summary!r}")
        if self.post_prompt_url:
            payload = {"post_prompt_data": {"raw": summary}, "conversation": self.conversation}
            post(self.sw, self.call, self.post_prompt_url, payload)
        state = "finished" if result == "success" else "error"
        return {
            "state": state,
            "result": result,
            "summary": summary,
            "conversation": list(self.conversation),
        }


# ---------------------------------------------------------------------------- payments
def _flag(params: dict[str, Any], key: str) -> bool | str:
    # pay flags come as booleans or strings ("true", "false", a known postal code)
    value = params.get(key, True)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value:
        return value if value.lower() not in ("true", "false") else value.lower() == "true"
    raise invalid(key, "must be a boolean or a string")


class PayAction(Ongoing):
    """``calling.pay``: the party keys in a card; the connector charges it (or not)."""

    kind, event_type, subcommands = "pay", "calling.call.pay", stop_only("pay")
    running_state, started_message = "started", "Payment started"

    def configure(self, params: dict[str, Any]) -> None:
        req_str(params, "payment_connector_url")
        opt_str(params, "input", choices=("dtmf", "voice"))
        self.timeout = float(opt_number(params, "timeout", 5.0, maximum=600))
        self.max_attempts = max(1, int(opt_number(params, "max_attempts", 1, maximum=10)))
        security, postal = _flag(params, "security_code"), _flag(params, "postal_code")
        self.fields = ["payment-card-number", "expiration-date"]
        self.fields += ["security-code"] if security else []
        self.fields += ["postal-code"] if postal is True else []
        self.collected: dict[str, str] = {}
        self.payment: Payment = self.call.party.persona.payment

    def start(self) -> None:
        super().start()
        self._ask(0, 1)

    def _ask(self, index: int, attempt: int) -> None:
        if index == len(self.fields):
            self._update("payment-processing")
            self.later(2.0, self._charge)
            return
        field, pay = self.fields[index], self.payment
        keys = {
            "payment-card-number": pay.card_number,
            "expiration-date": pay.expiration_date,
            "security-code": pay.security_code,
            "postal-code": pay.postal_code,
        }[field]
        if pay.result == "timeout":
            self.later(
                _PROMPT_SECONDS + self.timeout, lambda: self._retry(index, attempt, "timeout")
            )
        elif field == "payment-card-number" and not pay.card_valid:
            delay = _PROMPT_SECONDS + len(keys) * _KEY_SECONDS
            self.later(delay, lambda: self._retry(index, attempt, "invalid-card-number"))
        else:
            delay = _PROMPT_SECONDS + len(keys) * _KEY_SECONDS
            self.later(delay, lambda: self._keyed(index, keys))

    def _keyed(self, index: int, keys: str) -> None:
        self.collected[self.fields[index]] = keys
        self.log(f"{self.call.who} keyed in the {self.fields[index].replace('-', ' ')}")
        if index + 1 < len(self.fields):
            self._update(self.fields[index + 1])
        self._ask(index + 1, 1)

    def _retry(self, index: int, attempt: int, error: str) -> None:
        self.log(f"payment: {error} (attempt {attempt} of {self.max_attempts})")
        self._update(self.fields[index], error_type=error, attempt=attempt)
        if attempt >= self.max_attempts:
            self._end("too-many-failed-attempts", payment_error=error)
        else:
            self._ask(index, attempt + 1)

    def _cards(self) -> dict[str, Any]:
        number = self.collected.get("payment-card-number", "")
        out: dict[str, Any] = {"payment_method": "credit-card"}
        if number:
            out["payment_card_number"] = "*" * (len(number) - 4) + number[-4:]
            out["payment_card_type"] = card_type(number)
        if "expiration-date" in self.collected:
            out["payment_card_expiration_date"] = self.collected["expiration-date"]
        if "security-code" in self.collected:
            out["payment_card_security_code"] = "*" * len(self.collected["security-code"])
        if "postal-code" in self.collected:
            out["payment_card_postal_code"] = self.collected["postal-code"]
        return out

    def _update(self, field: str, **extra: Any) -> None:
        self.emit({"state": "updated", "for": field, "attempt": 1, **self._cards(), **extra})

    def _charge(self) -> None:
        pay = self.payment
        if pay.result == "declined":
            self._end("payment-connector-error", payment_error="card-declined")
        elif pay.result == "error":
            error = {"code": pay.error_code, "message": pay.error_message}
            self._end("payment-connector-error", connector_error=error)
        else:
            self._end(
                "success",
                payment_token=f"tok-{self.control_id}",
                payment_confirmation_code=f"conf-{self.sw.count('payment')}",
            )

    def _end(self, result: str, **extra: Any) -> None:
        self.finish(self._terminal(result, **extra))

    def _terminal(self, result: str, **extra: Any) -> dict[str, Any]:
        self.log(f"payment finished: {result}")
        state = "finished" if result == "success" else "error"
        return {"state": state, "result": result, **self._cards(), **extra}

    def ended_params(self) -> dict[str, Any]:
        return self._terminal("caller-hung-up")

    def command(self, op: str, params: dict[str, Any]) -> None:
        if op == "stop":
            self._end("relay-pay-stop")


# ---------------------------------------------------------------------------- fax
class FaxAction(SimAction):
    """``calling.send_fax`` / ``calling.receive_fax``: needs a fax machine at the far end."""

    event_type = "calling.call.fax"
    direction: ClassVar[str] = "send"

    def configure(self, params: dict[str, Any]) -> None:
        self.document = req_str(params, "document") if self.direction == "send" else ""
        self.identity = opt_str(params, "identity", "+15550000000")
        self.pages = 0

    def _fax(self, kind: str, **extra: Any) -> dict[str, Any]:
        fax_params = {
            "direction": self.direction,
            "identity": self.identity,
            "remote_identity": self.call.party.number,
            **extra,
        }
        if self.document:
            fax_params["document"] = self.document
        # Both shapes: fax.type (legacy frames) and a top-level state the official SDK reads.
        return {
            "state": kind if kind != "page" else "processing",
            "fax": {"type": kind, "params": fax_params},
        }

    def start(self) -> None:
        self.log(f"fax {self.direction} started")
        if self.call.party.persona.kind != "fax":
            self.later(10.0, lambda: self._failed("no fax machine"))
            return
        outcome = self.call.party.persona.fax_outcome
        sent = outcome.pages if outcome.fails_after is None else outcome.fails_after
        for page in range(1, sent + 1):
            self.later(3.0 * page, functools.partial(self._page, page))
        if outcome.fails_after is None:
            self.later(3.0 * sent + 3.0, self._done)
        else:
            self.later(3.0 * sent + 3.0, lambda: self._failed(outcome.error))

    def _page(self, page: int) -> None:
        self.pages = page
        self.emit(self._fax("page", pages=str(page)))

    def _done(self) -> None:
        self.log(f"fax {self.direction} finished: {self.pages} page(s)")
        self.finish(
            self._fax(
                "finished", success=True, pages=str(self.pages), result="1231", result_text=""
            )
        )

    def _failed(self, why: str) -> None:
        self.log(f"fax {self.direction} failed after {self.pages} page(s): {why}")
        self.finish(self._fax("error", success=False, pages=str(self.pages), result_text=why))

    def ended_params(self) -> dict[str, Any]:
        return self._fax("error", success=False, pages=str(self.pages), result_text="call ended")


class SendFaxAction(FaxAction):
    kind, subcommands, direction = "send_fax", stop_only("send_fax"), "send"
    started_message = "Sending fax"


class ReceiveFaxAction(FaxAction):
    kind, subcommands, direction = "receive_fax", stop_only("receive_fax"), "receive"
    started_message = "Receiving fax"


for _method, _cls in {
    "calling.tap": TapAction,
    "calling.stream": StreamAction,
    "calling.transcribe": TranscribeAction,
    "calling.ai": AIAction,
    "calling.pay": PayAction,
    "calling.send_fax": SendFaxAction,
    "calling.receive_fax": ReceiveFaxAction,
}.items():
    register_action(_method, _cls)


class _Overheard:
    """Takes a ``Say`` nobody asked for: a listener on the call hears it."""

    def take(self, intent: Intent) -> None:
        """Nothing else to do: the switch passes every taken intent to the listeners."""


def idle_listener(sw: Switch, call: SimCall, head: Intent) -> _Overheard | None:
    """While a transcriber or agent listens, the party's words need no other taker."""
    if call.listeners and isinstance(head, Say):
        return _Overheard()
    return None


def on_call_end(sw: Switch, call: SimCall) -> None:
    """Live transcriptions and translations of an ended call stop."""
    stop_live(sw, call)
