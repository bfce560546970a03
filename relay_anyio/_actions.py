"""Action handles: what ``Call.play()``, ``Call.record()`` ... return.

An action is a long-running operation on a call (playback, recording, input collection...)
identified by its ``control_id``. The handle is created and registered with the client *before*
the start request goes out, so a completion that races the reply is never lost. It completes
when the core reports ``ActionCompleted``: the core alone decides which event completes which
action (decisions D12-D14); the handle just stores the event and wakes its waiters.

The hierarchy and names follow ``signalwire.relay``::

    Action                      wait, is_done, completed, result, control_id, call
    └─ StoppableAction          + stop()
       ├─ PausableAction        + pause(behavior=None), resume()
       │  ├─ RecordAction
       │  └─ VolumeAction       + volume(volume)
       │     ├─ PlayAction
       │     └─ CollectAction   + start_input_timers()
       ├─ StandaloneCollectAction + start_input_timers()
       ├─ DetectAction, FaxAction, TapAction, StreamAction, PayAction, TranscribeAction, AIAction

This module is a source for relay_sync (see ``_primitives``): it must not import anyio, asyncio
or trio, and may only ``await`` the Waiter and the client's private ``_call_command``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from relay_proto import CallCommand, RelayEvent, commands, fires_on_completed

from ._primitives import Waiter, run_callback

if TYPE_CHECKING:
    from ._call import Call

__all__ = [
    "AIAction",
    "Action",
    "CollectAction",
    "DetectAction",
    "FaxAction",
    "PausableAction",
    "PayAction",
    "PlayAction",
    "RecordAction",
    "StandaloneCollectAction",
    "StoppableAction",
    "StreamAction",
    "TapAction",
    "TranscribeAction",
    "VolumeAction",
]

CompletionCallback = Callable[[RelayEvent], Any]


class Action:
    """Handle of a long-running operation on a call.

    The handle's sub-commands (``stop``, ``pause``...) go to ``calling.<kind>.<op>``, where
    ``kind`` is the action kind of the command that started it (``CallCommand.action`` from
    :mod:`relay_proto.commands`, e.g. ``"play_and_collect"``): the call method that returns the
    handle sets it. A handle built directly has no kind (a :class:`FaxAction` takes it as
    ``method_prefix``), and its sub-commands raise ``ValueError``.

    Attributes:
        call: the :class:`Call` the action runs on.
        control_id: the operation's control id (generated unless the caller gave one).
        completed: ``True`` once the action finished.
        result: the event that finished it (``None`` before): its own final event, or a
            :class:`~relay_proto.CallEndedResult` when its call ended, was handed over or was
            gone (404/410) first, or had already ended when the action was started. Commands
            on such a call return ``{}`` as in the official SDK; the action's result says why
            it is over instead of standing in with the call's ``ended`` event.

    Args:
        call: the owning call.
        control_id: the operation's control id.
        terminal_event: accepted for compatibility with ``signalwire.relay`` and kept for
            information only: which event completes an action is decided by relay_proto
            (decision D12).
        terminal_states: likewise.
    """

    def __init__(
        self,
        call: Call,
        control_id: str,
        terminal_event: str = "",
        terminal_states: tuple[str, ...] = (),
    ) -> None:
        self.call = call
        self.control_id = control_id
        self._terminal_event = terminal_event
        self._terminal_states = terminal_states
        self.result: RelayEvent | None = None
        self.completed = False
        self._done: Waiter[RelayEvent] = Waiter()
        self._on_completed: CompletionCallback | None = None
        # CallCommand.action of the command that started it (set by Call._start_action).
        self._kind: str | None = None

    def __repr__(self) -> str:
        state = "done" if self.completed else "pending"
        return f"<{type(self).__name__} control_id={self.control_id!r} {state}>"

    @property
    def is_done(self) -> bool:
        """Whether :meth:`wait` would return (or raise) at once."""
        return self._done.is_set()

    async def wait(self, timeout: float | None = None) -> RelayEvent:
        """Wait until the action finishes and return the event that finished it.

        Args:
            timeout: seconds to wait at most; ``None`` waits until the action finishes (which
                it always does: at the latest when its call ends).

        Returns:
            The completing event (typed, e.g. a ``PlayEvent``), or a
            :class:`~relay_proto.CallEndedResult` (``state == "ended"``) when the call ended
            or was gone before the action finished: check for it before reading the result's
            params.

        Raises:
            TimeoutError: ``timeout`` elapsed first. The action stays usable: a later
                ``wait()`` still returns the result.
            RelayError: the request that started the action failed.
        """
        return await self._done.wait(timeout)

    # ---------------------------------------------------------------- driven by the client

    def _complete(self, event: RelayEvent, reason: str = "event") -> None:
        """The core reported the action finished (``ActionCompleted``): store the event, wake
        waiters, and run ``on_completed`` unless relay_proto says the ``reason`` does not."""
        if self.completed or self._done.is_set():
            return
        self.result = event
        self.completed = True
        self._done.set(event)
        callback = self._on_completed
        self._on_completed = None
        if callback is not None and fires_on_completed(reason):
            run_callback(self.call._client._spawn, callback, event, f"on_completed of {self!r}")

    def _fail(self, error: BaseException) -> None:
        """The start request failed: waiters get ``error``; ``on_completed`` never runs."""
        self._on_completed = None
        self._done.fail(error)

    async def _sub_command(self, command: CallCommand) -> dict[str, Any]:
        return await self.call._client._call_command(self.call, command)

    def _started_kind(self) -> str:
        """The action kind its sub-commands are addressed with.

        Raises:
            ValueError: the handle was not returned by a ``Call`` method, so its kind is unknown.
        """
        if self._kind is None:
            raise ValueError(
                f"{self!r} was not started by a Call method: the kind of operation it controls "
                "is unknown, so it cannot be stopped, paused, resumed or have its volume set"
            )
        return self._kind


class StoppableAction(Action):
    """An action that can be stopped (``calling.<kind>.stop``)."""

    async def stop(self) -> dict[str, Any]:
        """Ask the server to stop the operation.

        The action is not completed here: its final event (or the end of the call) completes
        it, so ``await action.wait()`` after ``stop()`` returns that event.

        Returns:
            The result object of the request (``{}`` when the call is gone).

        Raises:
            RelayError: the server refused the request, or it timed out.
        """
        return await self._sub_command(commands.action_stop(self._started_kind(), self.control_id))


class PausableAction(StoppableAction):
    """An action that can be paused and resumed."""

    async def pause(self, behavior: str | None = None) -> dict[str, Any]:
        """Pause the operation (``calling.<kind>.pause``).

        Args:
            behavior: for recordings, ``"skip"`` or ``"silence"``; sent only when given.

        Returns:
            The result object (``{}`` when the call is gone).

        Raises:
            RelayError: the server refused the request, or it timed out.
        """
        return await self._sub_command(
            commands.action_pause(self._started_kind(), self.control_id, behavior=behavior)
        )

    async def resume(self) -> dict[str, Any]:
        """Resume a paused operation (``calling.<kind>.resume``).

        Returns:
            The result object (``{}`` when the call is gone).

        Raises:
            RelayError: the server refused the request, or it timed out.
        """
        return await self._sub_command(
            commands.action_resume(self._started_kind(), self.control_id)
        )


class VolumeAction(PausableAction):
    """An action whose playback volume can be changed."""

    async def volume(self, volume: float) -> dict[str, Any]:
        """Set the playback volume (``calling.<kind>.volume``).

        Args:
            volume: gain in dB (the service takes -40 to +40).

        Returns:
            The result object (``{}`` when the call is gone).

        Raises:
            ValueError: ``volume`` is not a number in range.
            RelayError: the server refused the request, or it timed out.
        """
        command = commands.action_volume(self._started_kind(), self.control_id, volume)
        return await self._sub_command(command)


class _InputTimersMixin(StoppableAction):
    async def start_input_timers(self) -> dict[str, Any]:
        """Start the ``initial_timeout`` timer now (``calling.collect.start_input_timers``).

        Returns:
            The result object (``{}`` when the call is gone).

        Raises:
            RelayError: the server refused the request, or it timed out.
        """
        return await self._sub_command(commands.action_start_input_timers(self.control_id))


class PlayAction(VolumeAction):
    """Playback started by ``Call.play()`` and its helpers (``calling.play``)."""

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class RecordAction(PausableAction):
    """A recording started by ``Call.record()``; its result carries ``url``, ``duration`` and
    ``size``."""

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class CollectAction(_InputTimersMixin, VolumeAction):
    """Prompt and input collection started by ``Call.play_and_collect()`` / ``prompt_*()``.

    Only a ``calling.call.collect`` event finishes it (the prompt's play events do not).
    """

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class StandaloneCollectAction(_InputTimersMixin):
    """Input collection without a prompt, started by ``Call.collect()``."""

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class DetectAction(StoppableAction):
    """Detection (machine, fax tone, digits) started by ``Call.detect()`` and its helpers.

    It finishes with the first detection result.
    """

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class FaxAction(StoppableAction):
    """Fax sending or receiving; ``stop()`` uses the method that started it.

    Args:
        call: the owning call.
        control_id: the operation's control id.
        method_prefix: the action kind, ``"send_fax"`` or ``"receive_fax"``; ``Call.send_fax``
            and ``Call.receive_fax`` set it from their command, so it is needed only for a
            handle built directly.
    """

    def __init__(self, call: Call, control_id: str, method_prefix: str = "") -> None:
        super().__init__(call, control_id)
        self._kind = method_prefix or None


class TapAction(StoppableAction):
    """Media tap started by ``Call.tap()``."""

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class StreamAction(StoppableAction):
    """Media stream started by ``Call.stream()``."""

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class PayAction(StoppableAction):
    """Payment collection started by ``Call.pay()``."""

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class TranscribeAction(StoppableAction):
    """Transcription started by ``Call.transcribe()``."""

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)


class AIAction(StoppableAction):
    """An AI agent session started by ``Call.ai()``."""

    def __init__(self, call: Call, control_id: str) -> None:
        super().__init__(call, control_id)
