"""Where the core's events go: request and dial waiters, Call / Action / Message objects.

The core has already decided everything (which call an event belongs to, which action it
completes, whether a dial failed); the router only maps ids to the user-facing objects the
adapter created and resolves their waiters. It runs inside ``SessionRunner.pump``, so nothing
here may block or raise; user callbacks go through ``run_callback`` and handlers are spawned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relay_proto import (
    MSG_CALL_PASSED,
    ActionCompleted,
    CallEvent,
    CallInfo,
    CallOverflow,
    CallPassed,
    CallReceived,
    DialAnswered,
    DialFailed,
    DialLegCreated,
    DropReport,
    Event,
    EventIgnored,
    FrameDropped,
    MessageInfo,
    MessageReceived,
    MessageStateChanged,
    OrphanHungUp,
    RequestFailed,
    RequestSucceeded,
    RequestTimedOut,
    SessionReplaced,
    UnroutedEvent,
    action_result,
)

from ._call import Call
from ._errors import RelayError, SessionReplacedError, error_from_event
from ._message import Message, MessageHandler
from ._primitives import Spawner, Waiter

if TYPE_CHECKING:
    from ._actions import Action
    from ._call_base import CallBase
    from ._client import RelayClient

__all__ = ["Router"]

logger = logging.getLogger("relay_anyio")


# Outbound messages remembered for their state events. The core forgets the oldest tracked
# message past the same bound (relay_proto._messages.MAX_TRACKED_MESSAGES), so ours can too.
_MAX_MESSAGES = 10_000


@dataclass(slots=True)
class _Request:
    waiter: Waiter[dict[str, Any]]
    on_result: Callable[[dict[str, Any]], None] | None
    call: CallBase | None  # the call a call command concerns


class Router:
    """Registries of the objects the client handed out, and the event dispatch to them."""

    def __init__(self, client: RelayClient) -> None:
        self._client = client
        self.calls: dict[str, Call] = {}
        self.actions: dict[str, Action] = {}
        self.dials: dict[str, Waiter[Call]] = {}
        self.messages: dict[str, Message] = {}
        self.requests: dict[str, _Request] = {}
        self._drops = DropReport()

    # ---------------------------------------------------------------- registration

    def expect(
        self,
        request_id: str,
        on_result: Callable[[dict[str, Any]], None] | None = None,
        call: CallBase | None = None,
    ) -> Waiter[dict[str, Any]]:
        """A waiter for the outcome of request ``request_id``; ``on_result`` runs at dispatch
        time with a successful result (before any later event is dispatched). ``call``: the
        call a call command was sent for (a successful ``calling.pass`` lets go of it)."""
        waiter: Waiter[dict[str, Any]] = Waiter()
        self.requests[request_id] = _Request(waiter, on_result, call)
        return waiter

    def expect_dial(self, tag: str) -> Waiter[Call]:
        """A waiter for the outcome of the dial ``tag`` the core just accepted (registered only
        then: a refused dial, whose tag is pending, must not take the waiter of the dial that
        owns the tag). Release it with :meth:`forget_dial` when done."""
        waiter: Waiter[Call] = Waiter()
        self.dials[tag] = waiter
        return waiter

    def forget_dial(self, tag: str, waiter: Waiter[Call]) -> None:
        """Stop routing the dial ``tag`` to ``waiter`` (a later dial may own the tag now)."""
        if self.dials.get(tag) is waiter:
            del self.dials[tag]

    def track_message(self, message: Message) -> None:
        """Route state events for ``message`` (it has a non-empty ``message_id``)."""
        self.messages.pop(message.message_id, None)
        self.messages[message.message_id] = message
        while len(self.messages) > _MAX_MESSAGES:
            del self.messages[next(iter(self.messages))]

    def outbound_message(
        self,
        *,
        context: str,
        to_number: str,
        from_number: str,
        body: str | None,
        media: list[str] | None,
        tags: list[str] | None,
        on_completed: MessageHandler | None,
        spawn: Spawner | None,
    ) -> tuple[Message, Callable[[dict[str, Any]], None]]:
        """A queued outbound :class:`Message` for a ``send_message`` the core just issued on
        ``context``, and the ``on_result`` for its request: once the server accepts it, the
        message is tracked under its ``message_id`` (at dispatch time, so a state event right
        behind the reply finds it)."""
        message = Message(
            context=context,
            direction="outbound",
            from_number=from_number,
            to_number=to_number,
            body=body or "",
            media=media,
            state="queued",
            tags=tags,
        )
        message._on_completed = on_completed
        message._spawn = spawn

        def accepted(result: dict[str, Any]) -> None:
            message_id = result.get("message_id")
            if isinstance(message_id, str) and message_id:
                message.message_id = message_id
                self.track_message(message)

        return message, accepted

    def fail_all(self, error: RelayError) -> None:
        """The session is over: every request, dial, action, call wait and message wait still
        pending gets ``error`` (nobody will report their outcome any more, and no wait may stay
        blocked for ever)."""
        requests, self.requests = self.requests, {}
        for request in requests.values():
            request.waiter.fail(error)
        dials, self.dials = self.dials, {}
        for waiter in dials.values():
            waiter.fail(error)
        actions, self.actions = self.actions, {}
        for action in actions.values():
            action._fail(error)
        calls, self.calls = self.calls, {}
        for call in calls.values():
            call._abort(error)
        messages, self.messages = self.messages, {}
        for message in messages.values():
            message._done.fail(error)

    def session_replaced(self, event: SessionReplaced) -> None:
        """The server did not resume the session: settle every wait of the old one (calls,
        their actions and queued commands, dials, message waits) with a SessionReplacedError."""
        lost = set(event.call_ids)
        logger.warning(
            "RELAY session %s was not resumed: the server started a new one (%s); "
            "%d call(s), %d dial(s) and %d message(s) of the old session are over",
            event.previous_protocol or "(none)",
            event.protocol,
            len(lost),
            len(event.dial_tags),
            len(event.message_ids),
        )
        error = SessionReplacedError(
            -1,
            "Session replaced: the server started a new session, the calls of the old one are gone",
            event.previous_protocol,
        )
        for request_id, request in list(self.requests.items()):
            if request.call is not None and request.call.call_id in lost:
                del self.requests[request_id]
                request.waiter.fail(error)
        for control_id, action in list(self.actions.items()):
            if action.call.call_id in lost:
                del self.actions[control_id]
                action._fail(error)
        for call_id in lost:
            call = self.calls.pop(call_id, None)
            if call is not None:
                call.state = "ended"
                call._abort(error)
        for tag in event.dial_tags:
            waiter = self.dials.pop(tag, None)
            if waiter is not None:
                waiter.fail(error)
        for message_id in event.message_ids:
            message = self.messages.pop(message_id, None)
            if message is not None:
                message._done.fail(error)

    # ---------------------------------------------------------------- dispatch

    def handle(self, event: Event) -> None:
        """Dispatch one event (session-level events are the client's, not handled here)."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _request_succeeded(self, event: RequestSucceeded) -> None:
        request = self.requests.pop(event.request_id, None)
        if request is None:
            return
        if event.call_gone:
            logger.warning("%s: the call is gone (404/410); returning {}", event.method)
        if request.on_result is not None:
            try:
                request.on_result(event.result)
            except Exception as exc:  # a bug in our own hook: fail the request, not the loop
                logger.exception("error handling the result of %s", event.method)
                request.waiter.fail(exc)
                return
        request.waiter.set(event.result)

    def _request_failed(self, event: RequestFailed | RequestTimedOut) -> None:
        request = self.requests.pop(event.request_id, None)
        if request is not None:
            request.waiter.fail(error_from_event(event))

    def _call_passed(self, event: CallPassed) -> None:
        # The core has already untracked the call and completed its pending actions (D29). The
        # server will not tell this client anything more about it, not even that it ended: its
        # waits fail now rather than never finish, and a new offer of it is a new Call.
        call = self.calls.pop(event.call_id, None)
        if call is not None:
            call._abort(RelayError(-1, MSG_CALL_PASSED))

    def _call_received(self, event: CallReceived) -> None:
        call = self._new_call(event.call)
        self._client._inbound_call(call)

    def _call_overflow(self, event: CallOverflow) -> None:
        logger.warning(
            "inbound call %s passed back to the server (%s)", event.call.call_id, event.reason
        )

    def _call_event(self, event: CallEvent) -> None:
        call = self.calls.get(event.call_id)
        if call is None:
            return
        call._call_event(event)
        if event.call_state == "ended":
            self.calls.pop(event.call_id, None)

    def _action_completed(self, event: ActionCompleted) -> None:
        action = self.actions.pop(event.control_id, None)
        if action is not None:
            # The action's result: its own event, or a typed CallEndedResult (the call is gone).
            action._complete(action_result(event), event.reason)

    def _dial_leg(self, event: DialLegCreated) -> None:
        if event.call.call_id not in self.calls:
            self._new_call(event.call)

    def _dial_answered(self, event: DialAnswered) -> None:
        call = self.calls.get(event.call.call_id)
        if call is None:
            call = self._new_call(event.call)
        elif not call.node_id:
            call.node_id = event.call.node_id
        waiter = self.dials.pop(event.tag, None)
        if waiter is not None:
            waiter.set(call)

    def _dial_failed(self, event: DialFailed) -> None:
        waiter = self.dials.pop(event.tag, None)
        if waiter is not None:
            waiter.fail(error_from_event(event))

    def _orphan(self, event: OrphanHungUp) -> None:
        logger.warning(
            "dial %s answered after it timed out: call %s hung up", event.tag, event.call_id
        )

    def _message_received(self, event: MessageReceived) -> None:
        message = new_message(event.message)
        message._spawn = self._client._spawn
        self._client._inbound_message(message)

    def _message_state(self, event: MessageStateChanged) -> None:
        message = self.messages.get(event.message_id)
        if message is None:
            return
        if event.terminal:
            del self.messages[event.message_id]
        message._dispatch(event.event, event.state, event.reason, event.terminal)

    def _dropped(self, event: FrameDropped | EventIgnored | UnroutedEvent) -> None:
        if isinstance(event, FrameDropped):
            if not self._drops.warns(event):
                logger.debug("frame dropped (%s): %s", event.reason, event.raw)
                return
            line = self._drops.report(event, time.monotonic(), self._secrets())
            if line is not None:
                logger.warning("%s", line)
        elif isinstance(event, EventIgnored):
            logger.debug("event ignored (%s): %s", event.reason, event.event.event_type)
        else:
            logger.debug("unrouted event: %s", event.event.event_type)

    def _secrets(self) -> list[str]:
        client = self._client
        conn = client._conn
        secrets = [client.project, client.token, client.jwt_token]
        if conn is not None:
            secrets.append(conn.authorization_state)
        return [s for s in secrets if isinstance(s, str) and s]

    def _new_call(self, info: CallInfo) -> Call:
        call = Call(
            self._client,
            info.call_id,
            info.node_id,
            info.project_id or self._client.project,
            info.context,
            tag=info.tag,
            direction=info.direction,
            # The snapshot's device is a copy made for it: the call takes it over.
            device=info.device,
            state=info.state,
            segment_id=info.segment_id,
        )
        self.calls[info.call_id] = call
        return call


def new_message(info: MessageInfo) -> Message:
    """A :class:`Message` from the core's snapshot."""
    return Message(
        message_id=info.message_id,
        context=info.context,
        direction=info.direction,
        from_number=info.from_number,
        to_number=info.to_number,
        body=info.body,
        media=list(info.media),
        segments=info.segments,
        state=info.state,
        reason=info.reason,
        tags=list(info.tags),
    )


_HANDLERS: dict[type[Event], Callable[[Router, Any], None]] = {
    RequestSucceeded: Router._request_succeeded,
    RequestFailed: Router._request_failed,
    RequestTimedOut: Router._request_failed,
    SessionReplaced: Router.session_replaced,
    CallReceived: Router._call_received,
    CallOverflow: Router._call_overflow,
    CallPassed: Router._call_passed,
    CallEvent: Router._call_event,
    ActionCompleted: Router._action_completed,
    DialLegCreated: Router._dial_leg,
    DialAnswered: Router._dial_answered,
    DialFailed: Router._dial_failed,
    OrphanHungUp: Router._orphan,
    MessageReceived: Router._message_received,
    MessageStateChanged: Router._message_state,
    FrameDropped: Router._dropped,
    EventIgnored: Router._dropped,
    UnroutedEvent: Router._dropped,
}
