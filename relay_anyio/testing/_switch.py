"""The simulated switch: sessions, routing, calls and their remote parties, on simulated time.

Theory of operation
-------------------

The switch is sans-I/O, like the protocol core. The server feeds it requests from clients
(:meth:`Switch.request`), scripting calls from tests (:meth:`Switch.place_call`,
:meth:`Switch.push_intent`...) and the passage of time (:meth:`Switch.run_due`); it answers with
results and queues :class:`~._model.Deliver` records (a RELAY event for one session) that the
server drains with :meth:`Switch.take_outputs`. It never reads a clock: ``now`` is simulated
seconds, and :meth:`Switch.next_deadline` says when it next has work.

Routing. Every call and inbound message arrives on a *context*. It is offered to one attached
session subscribed to that context, round robin among them (so several workers share the load);
a ``calling.pass`` offers the call to the next one that has not passed it yet. With no candidate
the call (or message) waits until a session subscribes. Events about a call go to the session
that controls it, whether or not that session currently has a socket (the server buffers them
until it resumes).

Remote parties. Each call has a :class:`~._model.Party` at the far end with a queue of intents
(see ``_script``). The queue starts when the call is answered. Input intents wait until an input
consumer (collect, record, digit detector) asks for them; timed intents (``Silence(s)``,
``Hangup(after=s)``) run their clock from the moment they reach the head of the queue. This part
of the switch is its base class :class:`~._switch_party.RemoteParties` (``_switch_party``).

The command handlers live in ``_calls``, ``_actions``, ``_collect``, ``_digits``, ``_dialing``,
``_rooms`` and ``_messaging``; each exports ``HANDLERS`` (method -> function) merged into one
table here.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from ._media import MediaCatalog
from ._model import (
    Deliver,
    InputConsumer,
    Party,
    RequestError,
    ResultCode,
    Session,
    SimCall,
)
from ._personas import Persona
from ._scheduler import Scheduler, Timer
from ._schema import check_types
from ._script import Intent, coerce_script
from ._switch_party import RemoteParties

__all__ = ["MAX_LIVE_CALLS", "Handler", "Switch", "TranscriptLine"]

Handler = Callable[["Switch", Session, dict[str, Any]], dict[str, Any]]

# Bounds (a long-running CLI emulator must not grow without limit).
_MAX_ENDED_CALLS = 1024  # remembered to answer 410 "gone" rather than 404
_MAX_TRANSCRIPT = 10_000  # lines kept; older ones are dropped
_MAX_UNCLAIMED = 1000  # calls and messages waiting for a subscriber
_MAX_HISTORY = 10_000  # calls remembered for scripting lookups (emu.wait_for_call_to)
_MAX_SESSIONS = 1000  # sessions kept for resumption; the oldest detached ones go first
MAX_LIVE_CALLS = 10_000  # calls up at once; more is refused (503 to a dial, an error to a test)


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One line of what happened: ``t`` (simulated seconds), ``subject`` (a call id,
    ``"client#1"``, ``"conn1"``, ``"emulator"``... or ``""``), ``text``, and
    ``journal_position``: the line came after the journal entries with a smaller ``index``.

    ``str(line)`` reads ``"[    1.20s sim] call-1: text"``: the time is labelled as simulated
    seconds since the emulator started, which run faster than real ones (``time_scale``)."""

    t: float
    subject: str
    text: str
    journal_position: int = 0

    def __str__(self) -> str:
        prefix = f"{self.subject}: " if self.subject else ""
        return f"[{self.t:8.2f}s sim] {prefix}{self.text}"


EndHook = Callable[["Switch", SimCall], None]
IdleListener = Callable[["Switch", SimCall, Intent], "InputConsumer | None"]


@dataclass(slots=True)
class _Modules:
    handlers: dict[str, Handler]
    end_hooks: list[EndHook]  # run when a call ends (bridges, conferences, queues...)
    idle_listeners: list[IdleListener]  # take input nobody asked for (digit bindings)


def _load_modules() -> _Modules:
    # Imported here: the handler modules import this one for their type annotations.
    from . import (
        _actions,
        _calls,
        _collect,
        _dialing,
        _digits,
        _messaging,
        _rooms,
        _routing,
        _services,
    )

    found = _Modules({}, [], [])
    modules = (
        _calls,
        _actions,
        _collect,
        _digits,
        _dialing,
        _rooms,
        _messaging,
        _routing,
        _services,
    )
    for module in modules:
        found.handlers.update(module.HANDLERS)
        if hasattr(module, "on_call_end"):
            found.end_hooks.append(module.on_call_end)
        if hasattr(module, "idle_listener"):
            found.idle_listeners.append(module.idle_listener)
    return found


class Switch(RemoteParties):
    """The whole simulated telephone network behind the emulator.

    Args:
        media: durations of media items.
        default_persona: behaviour of dialled numbers nobody configured.
        node_id: node id reported for every call.
        idle_callers: ``"wait"``: an initial timeout (collect, record) does not run while the
            remote party has nothing left in its script — the test has not decided yet what
            the caller does, so no race with a fast clock; ``"silent"``: such a party counts as
            silent and timeouts run (a human at the CLI, or a real-time demo).
    """

    def __init__(
        self,
        *,
        media: MediaCatalog | None = None,
        default_persona: Persona | None = None,
        node_id: str = "emulator-node-1",
        idle_callers: str = "wait",
    ) -> None:
        if idle_callers not in ("wait", "silent"):
            raise ValueError('idle_callers must be "wait" or "silent"')
        self.idle_callers = idle_callers
        self.now = 0.0
        self.media = media or MediaCatalog()
        self.default_persona = default_persona or Persona.human()
        self.node_id = node_id
        self.personas: dict[str, Persona] = {}
        self.sessions: dict[str, Session] = {}
        self.calls: dict[str, SimCall] = {}
        self.transcript: list[TranscriptLine] = []
        self.on_log: Callable[[TranscriptLine], None] | None = None  # live transcript (CLI)
        self.journal_position: Callable[[], int] = lambda: 0  # the server's journal.next_index
        self.history: deque[SimCall] = deque(maxlen=_MAX_HISTORY)  # every call, newest last
        self.extensions: dict[str, Any] = {}  # per-module state (conferences, messages...)
        self._scheduler = Scheduler()
        self._outputs: list[Deliver] = []
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._rr: dict[str, int] = {}
        self._unclaimed: list[Any] = []
        self._counters: dict[str, itertools.count[int]] = {}
        self._session_order = itertools.count(1)
        # Session ids and signatures are unguessable and unique per process: a client of a
        # restarted emulator, or of another project, can never resume someone else's session.
        self.session_ids: Callable[[], str] = lambda: str(uuid.uuid4())
        self._secret = secrets.token_bytes(32)
        self._modules = _load_modules()
        self.handlers = self._modules.handlers

    # ------------------------------------------------------------------ time
    def next_deadline(self) -> float | None:
        """Simulated time of the next timer, or ``None``."""
        return self._scheduler.next_deadline()

    def run_due(self, now: float) -> None:
        """Advance to ``now``, firing every timer due by then in deadline order."""
        while (timer := self._scheduler.pop_due(now)) is not None:
            self.now = max(self.now, timer.when)
            timer.fire()
        self.now = max(self.now, now)

    def later(
        self, delay: float, callback: Callable[[], None], call: SimCall | None = None
    ) -> Timer:
        """Run ``callback`` ``delay`` simulated seconds from now (cancelled if ``call`` ends)."""
        timer = self._scheduler.call_at(self.now + max(0.0, delay), callback)
        if call is not None:
            call.timers = [t for t in call.timers if not t.cancelled]
            call.timers.append(timer)
        return timer

    # ------------------------------------------------------------------ helpers
    def count(self, prefix: str) -> int:
        """The next number (1, 2, ...) of the counter named ``prefix``."""
        return next(self._counters.setdefault(prefix, itertools.count(1)))

    def new_id(self, prefix: str) -> str:
        """``"<prefix>-<n>"``, counting per prefix."""
        return f"{prefix}-{self.count(prefix)}"

    def log(self, subject: SimCall | str | None, text: str, *, t: float | None = None) -> None:
        """Add a transcript line about a call (or anything else), at ``t`` (default now)."""
        if isinstance(subject, SimCall):
            subject = subject.call_id
        when = self.now if t is None else t
        line = TranscriptLine(when, subject or "", text, self.journal_position())
        self.transcript.append(line)
        if len(self.transcript) > _MAX_TRANSCRIPT:
            del self.transcript[: len(self.transcript) - _MAX_TRANSCRIPT]
        if self.on_log is not None:
            self.on_log(line)

    def take_outputs(self) -> list[Deliver]:
        """Events queued for sessions since the last call."""
        out, self._outputs = self._outputs, []
        return out

    def persona_for(self, number: str) -> Persona:
        """The persona configured for ``number`` (or the default)."""
        return self.personas.get(number, self.default_persona)

    # ------------------------------------------------------------------ sessions
    def signature_for(self, project: str) -> str:
        """The authorization signature of ``project`` (stable for this switch, unguessable)."""
        digest = hmac.new(self._secret, project.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def open_session(
        self, *, contexts: Iterable[str], resume: str | None, project: str = ""
    ) -> tuple[Session, bool]:
        """Start (or resume) a session; return it and whether it was resumed.

        A session is resumed only by a client of the project it belongs to, and only while
        the switch still knows it (a restart forgets every session; the oldest detached ones
        go beyond the bound). Anything else starts a new session.
        """
        session = self.sessions.get(resume) if resume else None
        restored = session is not None and session.project == project
        if session is None or not restored:
            order = next(self._session_order)
            session_id = self.session_ids()
            signature = self.signature_for(project)
            protocol = f"signalwire_{signature}_{session_id}"
            session = Session(
                protocol=protocol,
                identity=f"{session_id}@{self.node_id}",
                label=f"client#{order}",
                order=order,
                project=project,
                session_id=session_id,
                signature=signature,
            )
            self.sessions[protocol] = session
            self._prune_sessions()
        session.contexts.update(contexts)
        return session, restored

    def _prune_sessions(self) -> None:
        detached = [s for s in self.sessions.values() if not s.attached]
        for old in detached[: max(0, len(self.sessions) - _MAX_SESSIONS)]:
            del self.sessions[old.protocol]

    def attach(self, session: Session) -> None:
        """A socket now carries ``session``: it may be offered calls again."""
        session.attached = True
        self.retry_offers()

    def detach(self, session: Session) -> None:
        """``session`` lost its socket; its calls stay with it (it may resume)."""
        session.attached = False

    def forget_sessions(self) -> None:
        """A restart: no existing session can be resumed any more."""
        for session in self.sessions.values():
            session.attached = False
        self.sessions.clear()

    def restart(self) -> None:
        """The service restarted: sessions, calls and waiting offers are lost."""
        self.forget_sessions()
        for call in list(self.calls.values()):
            self.end_call(call, "error", by="emulator", text="call lost: the service restarted")
        self._ended.clear()  # a restarted service never heard of them: 404, not 410
        self._unclaimed.clear()
        self._rr.clear()
        self._outputs.clear()

    def subscribe(self, session: Session, contexts: Iterable[str]) -> None:
        """Add contexts to a session (``signalwire.receive``)."""
        session.contexts.update(contexts)
        self.retry_offers()

    def unsubscribe(self, session: Session, contexts: Iterable[str]) -> None:
        """Remove contexts from a session (``signalwire.unreceive``)."""
        session.contexts.difference_update(contexts)

    # ------------------------------------------------------------------ events
    def emit_to(self, protocol: str | None, event_type: str, params: dict[str, Any]) -> None:
        """Queue an event for the session ``protocol`` (dropped when there is none)."""
        if protocol is not None and protocol in self.sessions:
            self._outputs.append(Deliver(protocol, event_type, params, self.now))

    def emit(self, call: SimCall, event_type: str, params: dict[str, Any]) -> None:
        """Queue a call-scoped event for the session controlling ``call``."""
        self.emit_to(call.owner, event_type, {**call.ref(), **params})

    def calling_error(self, code: str, message: str, call: SimCall | None = None) -> int:
        """Send a ``calling.error`` event (spec 6): about ``call`` to the session controlling
        it, or, without a call, to every attached session. Returns how many got it."""
        params: dict[str, Any] = {"code": code, "message": message}
        if call is not None:
            self.log(call, f"calling.error {code}: {message}")
            before = len(self._outputs)
            self.emit(call, "calling.error", params)
            return len(self._outputs) - before
        targets = [s for s in self.sessions.values() if s.attached]
        self.log(None, f"calling.error {code}: {message} (to {len(targets)} session(s))")
        for session in targets:
            self.emit_to(session.protocol, "calling.error", dict(params))
        return len(targets)

    def state_params(self, call: SimCall) -> dict[str, Any]:
        """The inner params of a ``calling.call.state`` event for ``call``."""
        params: dict[str, Any] = {
            "call_state": call.state,
            "direction": call.direction,
            "device": call.device,
            "tag": call.tag,
        }
        if call.end_reason and call.state in ("ending", "ended"):
            params["end_reason"] = call.end_reason
        if call.peer_ref:
            params["peer"] = call.peer_ref
        if call.created_by:
            params["created_by"] = call.created_by
        return params

    def set_state(self, call: SimCall, state: str) -> None:
        """Move ``call`` to ``state`` and tell its controller."""
        call.state = state
        self.emit(call, "calling.call.state", self.state_params(call))

    # ------------------------------------------------------------------ routing
    def _candidates(self, context: str, exclude: Collection[str]) -> list[Session]:
        found = [
            s
            for s in self.sessions.values()
            if s.attached and context in s.contexts and s.protocol not in exclude
        ]
        return sorted(found, key=lambda s: s.order)

    def pick_session(self, context: str, exclude: Collection[str] = ()) -> Session | None:
        """Round robin over attached sessions subscribed to ``context``."""
        candidates = self._candidates(context, exclude)
        if not candidates:
            return None
        turn = self._rr.get(context, 0)
        self._rr[context] = turn + 1
        return candidates[turn % len(candidates)]

    def offer(self, call: SimCall) -> None:
        """Offer an inbound call to the next subscribed session, or park it."""
        session = self.pick_session(call.context, call.passed_by)
        if call.on_offer is not None:
            call.on_offer(session is not None)
        if session is None:
            call.owner = None
            if call not in self._unclaimed:
                self._park(call)
                self.log(call, f"waiting for a client on context {call.context!r}")
            return
        call.owner = session.protocol
        call.offered = True
        self.log(call, f"offered to {session.label}")
        params = self.state_params(call)
        params.update(context=call.context, project_id="emulator-project")
        self.emit(call, "calling.call.receive", params)

    def _park(self, item: Any) -> None:
        self._unclaimed.append(item)
        if len(self._unclaimed) > _MAX_UNCLAIMED:
            dropped = self._unclaimed.pop(0)
            self.log(None, f"dropped unclaimed {dropped!r} (too many waiting)")

    def retry_offers(self) -> None:
        """Offer parked calls and messages to sessions that can take them now."""
        waiting, self._unclaimed = self._unclaimed, []
        for item in waiting:
            if isinstance(item, SimCall):
                if not item.ended:
                    self.offer(item)
            else:
                item.route(self)

    def park(self, item: Any) -> None:
        """Keep an undeliverable item (with a ``route(switch)`` method) until a subscriber."""
        self._park(item)

    # ------------------------------------------------------------------ calls
    def check_capacity(self, more: int) -> None:
        """Refuse work that would take the switch past :data:`MAX_LIVE_CALLS` live calls.

        Raises:
            ResultCode: 503, the switch is full.
        """
        if len(self.calls) + more > MAX_LIVE_CALLS:
            raise ResultCode("503", f"Switch capacity reached ({MAX_LIVE_CALLS} live calls)")

    def new_call(
        self,
        *,
        direction: str,
        device: dict[str, Any],
        number: str,
        persona: Persona,
        script: Iterable[Intent] = (),
        **fields: Any,
    ) -> SimCall:
        """Create and register a call leg with its remote party."""
        party = Party(number=number, persona=persona)
        party.intents.extend(coerce_script(list(script)))
        call = SimCall(
            call_id=self.new_id("call"),
            node_id=self.node_id,
            direction=direction,
            device=device,
            party=party,
            **fields,
        )
        self.calls[call.call_id] = call
        self.history.append(call)
        return call

    def place_call(
        self,
        *,
        context: str,
        from_number: str,
        to_number: str,
        script: Iterable[Intent] = (),
        persona: Persona | None = None,
        device: dict[str, Any] | None = None,
    ) -> SimCall:
        """An inbound call from ``from_number`` to ``to_number`` arriving on ``context``.

        Raises:
            RuntimeError: :data:`MAX_LIVE_CALLS` calls are already up.
        """
        try:
            self.check_capacity(1)
        except ResultCode as full:
            raise RuntimeError(full.message) from None
        device = device or {
            "type": "phone",
            "params": {"from_number": from_number, "to_number": to_number},
        }
        call = self.new_call(
            direction="inbound",
            device=device,
            number=from_number,
            persona=persona or Persona.human(),
            script=script,
            context=context,
        )
        self.log(call, f"incoming call from {from_number} to {to_number} on {context!r}")
        self.offer(call)
        return call

    def find_call(self, params: dict[str, Any]) -> SimCall:
        """The call a request names (by ``call_id``; ``node_id`` must match if given).

        Raises:
            RequestError: ``call_id`` missing or not a string.
            ResultCode: 404 unknown call, 410 ended call.
        """
        call_id = params.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            raise RequestError(-32602, "Invalid params: call_id must be a non-empty string")
        node_id = params.get("node_id")
        call = self.calls.get(call_id)
        if call is None or (node_id is not None and node_id != call.node_id):
            if call_id in self._ended:
                raise ResultCode("410", "Call is gone")
            raise ResultCode("404", "Call not found")
        return call

    def control(self, session: Session, call: SimCall) -> None:
        """``session`` commands ``call``: it takes control if nobody attached holds it."""
        owner = self.sessions.get(call.owner) if call.owner else None
        if owner is None or not owner.attached:
            call.owner = session.protocol
            if call in self._unclaimed:
                self._unclaimed.remove(call)

    def answer(self, call: SimCall) -> None:
        """Answer ``call`` (idempotent) and start its remote party's script."""
        if call.state in ("answered", "ending", "ended"):
            return
        call.answered_at = self.now
        self.set_state(call, "answered")
        self.start_script(call)
        hooks, call.on_answer = call.on_answer, []
        for hook in hooks:
            hook()

    def end_call(self, call: SimCall, reason: str, *, by: str, text: str = "") -> None:
        """Tear ``call`` down: ``ending``, actions finished, peers told, then ``ended``."""
        if call.ended:
            return
        call.end_reason = reason
        self.set_state(call, "ending")
        self.log(call, text or f"{by} hung up ({reason})")
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()
        party = call.party
        party.waiting = None
        if party.head_timer is not None:
            party.head_timer.cancel()
        for action in list(call.actions.values()):
            action.call_ended()
        call.actions.clear()
        for hook in self._modules.end_hooks:
            hook(self, call)
        self.set_state(call, "ended")
        del self.calls[call.call_id]
        self._ended[call.call_id] = None
        while len(self._ended) > _MAX_ENDED_CALLS:
            self._ended.popitem(last=False)
        if call in self._unclaimed:
            self._unclaimed.remove(call)

    # ------------------------------------------------------------------ remote party
    def _idle_consumer(self, call: SimCall, head: Intent) -> InputConsumer | None:
        for listener in self._modules.idle_listeners:
            consumer = listener(self, call, head)
            if consumer is not None:
                return consumer
        return None

    # ------------------------------------------------------------------ requests
    def request(self, session: Session, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Handle a client request; return its result.

        Raises:
            RequestError: answer with a JSON-RPC error.
        """
        handler = self.handlers.get(method)
        if handler is None:
            raise RequestError(-32601, f"Method not found: {method}")
        check_types(method, params)
        try:
            return handler(self, session, params)
        except ResultCode as refused:
            return {"code": refused.code, "message": refused.message}
