"""The state and event side of a Call: identity, ``on``, ``wait_for`` and the state waits.

:class:`CallBase` holds everything a call knows and the two private helpers the command methods
use (``_command`` for plain commands, ``_start_action`` for action-starting ones). The command
methods themselves live in ``_call_control.py`` and ``_call_media.py``; ``_call.py`` assembles
the public :class:`~relay_anyio.Call`.

The client drives a call through :meth:`CallBase._dispatch` with each ``CallEvent`` the core
reports (state already applied by the core). Waits never spoil each other: each ``wait_for``
has its own :class:`~relay_anyio._primitives.Waiter`, and the call's ``ended`` waiter is shared
but a timed-out wait leaves it untouched (decision D20). A call that ends finishes every wait
on it (decision D21).

This module is a source for relay_sync (see ``_primitives``): no anyio/asyncio/trio here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from relay_proto import (
    CALL_STATE_ANSWERED,
    CALL_STATE_ENDED,
    CALL_STATE_ENDING,
    CALL_STATE_RINGING,
    EVENT_CALL_STATE,
    CallCommand,
    CallEvent,
    RelayEvent,
    call_state_reached,
    kept_state_event,
    state_wait_finished,
)

from ._primitives import Waiter, lazy, run_callback

if TYPE_CHECKING:
    from ._actions import Action
    from ._call import Call
    from ._client import RelayClient

__all__ = ["CallBase", "EventHandler"]

logger = logging.getLogger("relay_anyio")

EventHandler = Callable[[RelayEvent], Any]
"""A ``call.on`` listener: a plain function, or an ``async def`` run in its own task."""

Predicate = Callable[[RelayEvent], bool]
ActionT = TypeVar("ActionT", bound="Action")


class CallBase:
    """Identity, state and event plumbing of a call (see :class:`relay_anyio.Call`)."""

    def __init__(
        self,
        client: RelayClient,
        call_id: str,
        node_id: str,
        project_id: str,
        context: str,
        *,
        tag: str = "",
        direction: str = "",
        device: dict[str, Any] | None = None,
        state: str = "",
        segment_id: str = "",
    ) -> None:
        self._client = client
        self.call_id = call_id
        self.node_id = node_id
        self.project_id = project_id
        self.context = context
        self.tag = tag
        self.direction = direction
        self.device: dict[str, Any] = device if device is not None else {}
        self.state = state
        self.segment_id = segment_id
        # The tables below are made on first use (``lazy``): most calls never need them.
        self._listeners: dict[str, list[EventHandler]] | None = None
        # wait_for() registrations: (event_type, predicate, waiter).
        self._waiters: list[tuple[str, Predicate | None, Waiter[RelayEvent]]] | None = None
        # wait_for_answered/ringing/ending registrations: (target state, waiter).
        self._state_waiters: list[tuple[str, Waiter[RelayEvent]]] | None = None
        # Finished by the call's ``ended`` state event (or failed by _abort).
        self._ended: Waiter[RelayEvent] | None = None
        self._aborted: BaseException | None = None
        self._last_state: RelayEvent | None = None  # latest calling.call.state event

    def __repr__(self) -> str:
        return f"<Call id={self.call_id!r} state={self.state!r} direction={self.direction!r}>"

    # ---------------------------------------------------------------- listeners and waits

    def on(self, event_type: str, handler: EventHandler) -> None:
        """Call ``handler(event)`` for every event of ``event_type`` on this call.

        ``handler`` may be a plain function (run at once; an exception is logged and does not
        affect other listeners) or an ``async def`` (run in its own task, never on the task
        that reads the socket). Event types the library does not model arrive as plain
        :class:`RelayEvent` objects.
        """
        table: dict[str, list[EventHandler]] = lazy(self, "_listeners", dict)
        table.setdefault(event_type, []).append(handler)

    async def wait_for(
        self,
        event_type: str,
        predicate: Callable[[RelayEvent], bool] | None = None,
        timeout: float | None = None,
    ) -> RelayEvent:
        """Wait for the next event of ``event_type`` on this call that satisfies ``predicate``.

        If the call ends first (or has already ended), the call's ``ended`` state event is
        returned instead, so a wait on a call never outlives it. A call state is a level, not
        only an edge: waiting for ``calling.call.state`` *with a predicate* returns the call's
        latest state event at once when it already satisfies the predicate (so
        ``wait_for("calling.call.state", predicate=<answered>)`` after ``dial()`` returns
        whichever of the dial outcome and the answered event arrived first).

        Args:
            event_type: e.g. ``"calling.call.play"``.
            predicate: optional filter; an exception it raises is raised here.
            timeout: seconds to wait at most; ``None`` waits until the event or the end of
                the call.

        Returns:
            The matching (typed) event, or the ``ended`` state event.

        Raises:
            TimeoutError: ``timeout`` elapsed first; later waits are unaffected.
        """
        waiter: Waiter[RelayEvent] = Waiter()
        entry = (event_type, predicate, waiter)
        # Registered before the state is read: with threads (relay_sync) the reader may
        # dispatch in between, and the waiter must not miss that event.
        waiters: list[tuple[str, Predicate | None, Waiter[RelayEvent]]]
        waiters = lazy(self, "_waiters", list)
        waiters.append(entry)
        try:
            ready = self._ended_event()
            if ready is None and predicate is not None and event_type == EVENT_CALL_STATE:
                latest = self._last_state
                if latest is not None and predicate(latest):
                    ready = latest
            if ready is not None:
                return ready
            return await waiter.wait(timeout)
        finally:
            _discard(waiters, entry)

    async def wait_for_ended(self, timeout: float | None = None) -> RelayEvent:
        """Wait until the call has ended.

        Args:
            timeout: seconds to wait at most; ``None`` waits for ever.

        Returns:
            The ``calling.call.state`` event whose ``call_state`` is ``ended``.

        Raises:
            TimeoutError: ``timeout`` elapsed first. Unlike the official SDK, a timed-out wait
                spoils nothing: a later ``wait_for_ended()`` still returns the event.
        """
        ended = self._ended_event()
        if ended is not None:
            return ended
        return await self._ended_waiter().wait(timeout)

    async def wait_for_answered(self, timeout: float | None = None) -> RelayEvent:
        """Wait until the call is answered (see :meth:`wait_for_ringing` for the rules).

        Raises:
            TimeoutError: ``timeout`` elapsed first; later waits are unaffected.
        """
        return await self._wait_for_state(CALL_STATE_ANSWERED, timeout)

    async def wait_for_ringing(self, timeout: float | None = None) -> RelayEvent:
        """Wait until the call is ringing.

        Returns at once with ``RelayEvent("calling.call.state", {"call_state": <state>})``
        when the call is already at or past the target state (created < ringing < answered <
        ending < ended). Otherwise returns the state event that reaches exactly the target,
        or the ``ended`` state event if the call ends first.

        Raises:
            TimeoutError: ``timeout`` elapsed first; later waits are unaffected.
        """
        return await self._wait_for_state(CALL_STATE_RINGING, timeout)

    async def wait_for_ending(self, timeout: float | None = None) -> RelayEvent:
        """Wait until the call is ending (see :meth:`wait_for_ringing` for the rules).

        Raises:
            TimeoutError: ``timeout`` elapsed first; later waits are unaffected.
        """
        return await self._wait_for_state(CALL_STATE_ENDING, timeout)

    async def _wait_for_state(self, target: str, timeout: float | None) -> RelayEvent:
        waiter: Waiter[RelayEvent] = Waiter()
        entry = (target, waiter)
        waiters: list[tuple[str, Waiter[RelayEvent]]] = lazy(self, "_state_waiters", list)
        waiters.append(entry)  # before reading the state, as in wait_for
        try:
            ended = self._ended_event()
            if ended is not None:
                return ended
            current = self.state
            # The order and the wait rules are relay_proto's (call_state_reached and
            # state_wait_finished), shared by every adapter.
            if call_state_reached(current, target):
                return RelayEvent(EVENT_CALL_STATE, {"call_state": current}, self.call_id)
            return await waiter.wait(timeout)
        finally:
            _discard(waiters, entry)

    def _ended_waiter(self) -> Waiter[RelayEvent]:
        return lazy(self, "_ended", Waiter)

    def _ended_event(self) -> RelayEvent | None:
        """The ``ended`` event if the call is over (synthetic if the event is unknown).

        Raises the session's error once the client that owned the call has disconnected.
        """
        if self._aborted is not None:
            raise self._aborted
        ended = self._ended
        if ended is not None and ended.is_set():
            return ended.value
        if self.state == CALL_STATE_ENDED:
            return RelayEvent(EVENT_CALL_STATE, {"call_state": CALL_STATE_ENDED}, self.call_id)
        return None

    # ---------------------------------------------------------------- commands (private)

    async def _command(self, command: CallCommand) -> dict[str, Any]:
        """Send a plain call command and return its result (``{}`` when the call is gone)."""
        return await self._client._call_command(self, command)

    async def _start_action(
        self,
        factory: Callable[[Call, str], ActionT],
        command: CallCommand,
        on_completed: Callable[[RelayEvent], Any] | None,
    ) -> ActionT:
        """Create the action handle, register it, then send the command that starts it."""
        control_id = command.control_id
        if control_id is None:
            # The handle needs its id before the request exists (completion may race the
            # reply), so the id comes from the client's factory here rather than the core's.
            control_id = self._client._new_id()
            command = replace(command, control_id=control_id)
        action = factory(cast("Call", self), control_id)
        # The kind addresses its sub-commands (calling.<kind>.stop ...): it is the command's,
        # so the wire names stay relay_proto's.
        action._kind = command.action
        # Whether it fires is decided when the action completes, from the core's reason: not
        # for an action started on a call that was already over (see fires_on_completed).
        action._on_completed = on_completed
        await self._client._call_command(self, command, action)
        return action

    # ---------------------------------------------------------------- driven by the client

    def _call_event(self, event: CallEvent) -> None:
        """Apply a ``CallEvent`` from the core. Its typed event is built only when something
        uses it: a state event (kept as the latest state, maybe the ``ended`` one), a listener
        for its type or a wait on the call; otherwise only the call's state changes."""
        event_type = event.event_type
        listeners = self._listeners
        if (
            event_type == EVENT_CALL_STATE
            or self._waiters
            or (listeners is not None and listeners.get(event_type))
        ):
            typed = event.event
            if event_type == EVENT_CALL_STATE and event.call_state != CALL_STATE_ENDED:
                # Kept as the latest state: an equal copy holding what the call holds already
                # (the core keeps such a copy of the ended event itself).
                typed = self._compact_state(typed)
            self._dispatch(typed, event.call_state)
        else:
            self.state = event.call_state

    def _compact_state(self, event: RelayEvent) -> RelayEvent:
        # Kept as the latest state for as long as the call lives: an equal copy holding the
        # call's own strings and device (see relay_proto.kept_state_event).
        return kept_state_event(
            event,
            call_id=self.call_id,
            node_id=self.node_id,
            direction=self.direction,
            tag=self.tag,
            segment_id=self.segment_id,
            device=self.device,
        )

    def _dispatch(self, event: RelayEvent, call_state: str) -> None:
        """Apply one routed event: state, ``ended`` waiter, listeners, then waits."""
        self.state = call_state
        is_state_event = event.event_type == EVENT_CALL_STATE
        if is_state_event:
            self._last_state = event
        if call_state == CALL_STATE_ENDED and is_state_event:
            self._ended_waiter().set(event)
        # Most events find no listener and no wait: no copies, no work for them.
        table = self._listeners
        listeners = table.get(event.event_type) if table else None
        if listeners:
            for handler in list(listeners):
                what = f"listener for {event.event_type} on {self!r}"
                run_callback(self._client._spawn, handler, event, what)
        if self._waiters:
            self._resolve_waiters(event)
        state_waiters = self._state_waiters
        if is_state_event and state_waiters:
            new_state = event.params.get("call_state")
            for target, waiter in list(state_waiters):
                if state_wait_finished(target, event_state=new_state, call_state=call_state):
                    waiter.set(event)

    def _abort(self, error: BaseException) -> None:
        """The session is over, or the call was passed on: waits with no result yet, and any
        later one, fail with ``error``."""
        ended = self._ended_waiter()
        if ended.is_set():
            return  # the call ended normally; its waits already finished
        self._aborted = error
        ended.fail(error)
        for _, _, waiter in list(self._waiters or ()):
            waiter.fail(error)
        for _, waiter in list(self._state_waiters or ()):
            waiter.fail(error)

    def _resolve_waiters(self, event: RelayEvent) -> None:
        ended_waiter = self._ended
        ended = (
            self.state == CALL_STATE_ENDED and ended_waiter is not None and ended_waiter.is_set()
        )
        for event_type, predicate, waiter in list(self._waiters or ()):
            if event_type != event.event_type:
                if ended:
                    waiter.set(event)  # the call is over: finish every wait on it
                continue
            try:
                matched = predicate is None or bool(predicate(event))
            except Exception as exc:
                logger.exception("wait_for predicate raised on %r", self)
                waiter.fail(exc)
                continue
            if matched or ended:
                waiter.set(event)


def _discard(entries: list[Any], entry: object) -> None:
    # One list.remove (atomic under threads); entries hold a unique Waiter, so equality is
    # identity here. The entry may already be gone: never raise from a finally block.
    with contextlib.suppress(ValueError):
        entries.remove(entry)
