"""Call methods that return the server's result object: lifecycle, bridging, DTMF, digit
bindings, conferences, rooms, queues, live transcription, AI helpers and the smaller verbs
(spec 3.5 A, B, G, K-N).

Each method builds its command with :mod:`relay_proto.commands` (values are sent as given and
the service decides; flat media items are sent canonical; see docs/deviations.md),
sends it and returns the result object. When the call is gone (404/410) the result is ``{}``
and nothing is raised, as in the official SDK.

Common ``Raises`` of every method here:

* ``ValueError`` (``relay_proto.InvalidCommandError``): an argument the client itself relies
  on is invalid (an empty ``control_id``, a media list that is not a list of objects, malformed
  ``devices``, a value JSON cannot represent); nothing is sent.
* ``RelayError``: the server refused the command (any code but 404/410; an invalid value is
  refused by the service), or it timed out.

This module is a source for relay_sync (see ``_primitives``): no anyio/asyncio/trio here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from relay_proto import CallInfo, commands, decide_after_handler_error

from ._call_base import CallBase

__all__ = ["ControlMethods"]

Result = dict[str, Any]

logger = logging.getLogger("relay_anyio")


class ControlMethods(CallBase):
    """Result-returning command methods of :class:`relay_anyio.Call`."""

    # ---------------------------------------------------------------- lifecycle

    async def answer(self, **kwargs: Any) -> Result:
        """Answer the call (``calling.answer``); ``kwargs`` such as ``max_duration`` or
        ``codecs`` are sent as given.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.answer(**kwargs))

    async def hangup(self, reason: str = "hangup") -> Result:
        """End the call (``calling.end``).

        Args:
            reason: ``hangup``, ``cancel``, ``busy``, ``noAnswer``, ``decline`` or ``error``
                (sent as given; the service decides).

        Raises:
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.hangup(reason))

    async def pass_(self) -> Result:
        """Decline control so the service offers the call to another client (``calling.pass``).

        Once the server accepts, this client lets go of the call (decision D29): its pending
        actions complete, and waits on it (pending or later) raise
        ``RelayError(-1, "Call passed to another consumer")``, as no event about it will come.

        Raises:
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.pass_())

    async def transfer(self, dest: str, **kwargs: Any) -> Result:
        """Hand control of the call to ``dest``: a URL, an SWML script or ``context:<name>``.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.transfer(dest, **kwargs))

    # ---------------------------------------------------------------- bridging, refer, hold

    async def connect(
        self,
        devices: Sequence[Sequence[Mapping[str, Any]]],
        *,
        ringback: Sequence[Mapping[str, Any]] | None = None,
        tag: str | None = None,
        max_duration: int | None = None,
        max_price_per_minute: float | None = None,
        status_url: str | None = None,
        **kwargs: Any,
    ) -> Result:
        """Bridge this call to another party (``calling.connect``).

        Progress arrives as ``calling.call.connect`` events (``connect_state`` connecting,
        connected, disconnected, failed): use ``call.on`` or ``call.wait_for``.

        Args:
            devices: list of lists of device objects; inner lists ring together, outer
                entries are tried one after another.
            ringback: media played to this call while the peer rings (items as for
                :meth:`play`, flat or canonical).
            tag: tag stamped on the peer legs.
            max_duration: maximum length of the bridge, in minutes.
            max_price_per_minute: price cap.
            status_url: status webhook.
            **kwargs: extra wire params.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(
            commands.connect(
                devices,
                ringback=ringback,
                tag=tag,
                max_duration=max_duration,
                max_price_per_minute=max_price_per_minute,
                status_url=status_url,
                **kwargs,
            )
        )

    async def disconnect(self) -> Result:
        """Unbridge connected peers without hanging them up (``calling.disconnect``).

        Raises:
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.disconnect())

    async def refer(
        self, device: Mapping[str, Any], *, status_url: str | None = None, **kwargs: Any
    ) -> Result:
        """Transfer the call with a SIP REFER to ``device`` (``calling.refer``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.refer(device, status_url=status_url, **kwargs))

    async def hold(self) -> Result:
        """Put the call on hold (``calling.hold``).

        Raises:
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.hold())

    async def unhold(self) -> Result:
        """Take the call off hold (``calling.unhold``).

        Raises:
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.unhold())

    # ---------------------------------------------------------------- DTMF

    async def send_digits(self, digits: str, *, control_id: str | None = None) -> Result:
        """Send DTMF tones (``calling.send_digits``; ``w``/``W`` pause 0.5/1 s).

        Raises:
            ValueError: an empty ``control_id``; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.send_digits(digits, control_id=control_id))

    async def bind_digit(
        self,
        digits: str,
        bind_method: str,
        *,
        bind_params: Mapping[str, Any] | None = None,
        realm: str | None = None,
        max_triggers: int | None = None,
        **kwargs: Any,
    ) -> Result:
        """Run ``bind_method`` when the caller presses ``digits`` (``calling.bind_digit``;
        ``bind_params`` is sent as ``params``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(
            commands.bind_digit(
                digits,
                bind_method,
                bind_params=bind_params,
                realm=realm,
                max_triggers=max_triggers,
                **kwargs,
            )
        )

    async def clear_digit_bindings(self, *, realm: str | None = None, **kwargs: Any) -> Result:
        """Remove digit bindings, all or those of ``realm`` (``calling.clear_digit_bindings``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.clear_digit_bindings(realm=realm, **kwargs))

    # ---------------------------------------------------------------- live transcription

    async def live_transcribe(self, action: Mapping[str, Any], **kwargs: Any) -> Result:
        """Start, stop or summarize live transcription (``calling.live_transcribe``).

        Args:
            action: one key, ``start``/``stop``/``summarize``, e.g. ``{"start": {...}}``.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.live_transcribe(action, **kwargs))

    async def live_translate(
        self, action: Mapping[str, Any], *, status_url: str | None = None, **kwargs: Any
    ) -> Result:
        """Start, stop, summarize or inject live translation (``calling.live_translate``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.live_translate(action, status_url=status_url, **kwargs))

    # ---------------------------------------------------------------- AI helpers

    async def amazon_bedrock(
        self,
        *,
        prompt: Any | None = None,
        SWAIG: Mapping[str, Any] | None = None,
        ai_params: Mapping[str, Any] | None = None,
        global_data: Mapping[str, Any] | None = None,
        post_prompt: Mapping[str, Any] | None = None,
        post_prompt_url: str | None = None,
        **kwargs: Any,
    ) -> Result:
        """Connect the call to an Amazon Bedrock agent (``calling.amazon_bedrock``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(
            commands.amazon_bedrock(
                prompt=prompt,
                SWAIG=SWAIG,
                ai_params=ai_params,
                global_data=global_data,
                post_prompt=post_prompt,
                post_prompt_url=post_prompt_url,
                **kwargs,
            )
        )

    async def ai_message(
        self,
        *,
        message_text: str | None = None,
        role: str | None = None,
        reset: Mapping[str, Any] | None = None,
        global_data: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Result:
        """Send a message to the call's AI session (``calling.ai_message``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(
            commands.ai_message(
                message_text=message_text,
                role=role,
                reset=reset,
                global_data=global_data,
                **kwargs,
            )
        )

    async def ai_hold(
        self, *, timeout: str | None = None, prompt: str | None = None, **kwargs: Any
    ) -> Result:
        """Put the call's AI session on hold (``calling.ai_hold``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.ai_hold(timeout=timeout, prompt=prompt, **kwargs))

    async def ai_unhold(self, *, prompt: str | None = None, **kwargs: Any) -> Result:
        """Resume the call's AI session (``calling.ai_unhold``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.ai_unhold(prompt=prompt, **kwargs))

    # ---------------------------------------------------------------- conferences and rooms

    async def join_conference(
        self,
        name: str,
        *,
        muted: bool | None = None,
        beep: str | None = None,
        start_on_enter: bool | None = None,
        end_on_exit: bool | None = None,
        wait_url: str | None = None,
        max_participants: int | None = None,
        record: str | None = None,
        region: str | None = None,
        trim: str | None = None,
        coach: str | None = None,
        status_callback: str | None = None,
        status_callback_event: str | None = None,
        status_callback_event_type: str | None = None,
        status_callback_method: str | None = None,
        recording_status_callback: str | None = None,
        recording_status_callback_event: str | None = None,
        recording_status_callback_event_type: str | None = None,
        recording_status_callback_method: str | None = None,
        stream_obj: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Result:
        """Join the conference ``name`` (``calling.join_conference``); options are sent only
        when given (``stream_obj`` as ``stream``). Conference events arrive as
        ``calling.conference``.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(
            commands.join_conference(
                name,
                muted=muted,
                beep=beep,
                start_on_enter=start_on_enter,
                end_on_exit=end_on_exit,
                wait_url=wait_url,
                max_participants=max_participants,
                record=record,
                region=region,
                trim=trim,
                coach=coach,
                status_callback=status_callback,
                status_callback_event=status_callback_event,
                status_callback_event_type=status_callback_event_type,
                status_callback_method=status_callback_method,
                recording_status_callback=recording_status_callback,
                recording_status_callback_event=recording_status_callback_event,
                recording_status_callback_event_type=recording_status_callback_event_type,
                recording_status_callback_method=recording_status_callback_method,
                stream_obj=stream_obj,
                **kwargs,
            )
        )

    async def leave_conference(self, conference_id: str, **kwargs: Any) -> Result:
        """Leave the conference ``conference_id`` (``calling.leave_conference``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.leave_conference(conference_id, **kwargs))

    async def join_room(self, name: str, *, status_url: str | None = None, **kwargs: Any) -> Result:
        """Join the video/audio room ``name`` (``calling.join_room``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.join_room(name, status_url=status_url, **kwargs))

    async def leave_room(self, **kwargs: Any) -> Result:
        """Leave the room the call joined (``calling.leave_room``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.leave_room(**kwargs))

    # ---------------------------------------------------------------- queues

    async def queue_enter(
        self,
        queue_name: str,
        *,
        control_id: str | None = None,
        status_url: str | None = None,
        **kwargs: Any,
    ) -> Result:
        """Put the call in the queue ``queue_name`` (``calling.queue.enter``); progress
        arrives as ``calling.call.queue`` events.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(
            commands.queue_enter(queue_name, control_id=control_id, status_url=status_url, **kwargs)
        )

    async def queue_leave(
        self,
        queue_name: str,
        *,
        control_id: str | None = None,
        queue_id: str | None = None,
        status_url: str | None = None,
        **kwargs: Any,
    ) -> Result:
        """Take the call out of the queue ``queue_name`` (``calling.queue.leave``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(
            commands.queue_leave(
                queue_name,
                control_id=control_id,
                queue_id=queue_id,
                status_url=status_url,
                **kwargs,
            )
        )

    # ---------------------------------------------------------------- small verbs

    async def echo(
        self, *, timeout: float | None = None, status_url: str | None = None, **kwargs: Any
    ) -> Result:
        """Echo the caller's audio back (``calling.echo``; ``timeout`` 0 = until the end).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.echo(timeout=timeout, status_url=status_url, **kwargs))

    async def denoise(self) -> Result:
        """Start noise reduction (``calling.denoise``).

        Raises:
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.denoise())

    async def denoise_stop(self) -> Result:
        """Stop noise reduction (``calling.denoise.stop``).

        Raises:
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.denoise_stop())

    async def user_event(self, *, event: Any | None = None, **kwargs: Any) -> Result:
        """Send a custom event (``calling.user_event``); ``kwargs`` become extra top-level keys.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        return await self._command(commands.user_event(event=event, **kwargs))

    # ---------------------------------------------------------------- driven by the client

    async def _handler_failed(
        self, error: BaseException, policy: str, info: CallInfo | None
    ) -> bool:
        """The ``on_call`` handler of this call raised ``error``: log it with its traceback,
        then hang the call up unless ``policy`` is ``"keep"`` or the handler handed the call on
        (``info`` is the core's view of the call now; the rules are relay_proto's
        :func:`~relay_proto.decide_after_handler_error`). Returns whether it hung up; never
        raises (a failed hangup is logged)."""
        decision = decide_after_handler_error(policy, info)
        logger.error(
            "on_call handler for call %s raised: %s", self.call_id, decision.why, exc_info=error
        )
        if not decision.hang_up:
            return False
        try:
            await self.hangup()
        except Exception:
            logger.exception("could not hang up call %s after its handler raised", self.call_id)
            return False
        return True
