"""Call methods that start an action: playback, recording, input collection, detection, fax,
tap, stream, payment, transcription and AI (spec 3.5 C-L).

Each method builds its command with :mod:`relay_proto.commands` (values are sent as given and
the service decides; flat media items are sent canonical; see docs/deviations.md)
and hands it to ``_start_action``, which creates and registers the action handle *before* the
request goes out. Every method returns once the server accepted the command; the returned
action completes later (``await action.wait()``). When the call is gone (404/410) or has already
ended, the handle comes back complete.

Common ``Raises`` of every method here:

* ``ValueError`` (``relay_proto.InvalidCommandError``): an argument the client itself relies
  on is invalid (an empty ``control_id``, a media list that is not a list of objects, malformed
  ``devices``, a value JSON cannot represent); nothing is sent.
* ``RelayError``: the server refused the command (any code but 404/410; an invalid value is
  refused by the service), or it timed out.

This module is a source for relay_sync (see ``_primitives``): no anyio/asyncio/trio here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from relay_proto import RelayEvent, commands

from ._actions import (
    AIAction,
    CollectAction,
    DetectAction,
    FaxAction,
    PayAction,
    PlayAction,
    RecordAction,
    StandaloneCollectAction,
    StreamAction,
    TapAction,
    TranscribeAction,
)
from ._call_base import CallBase

__all__ = ["MediaMethods"]

OnCompleted = Callable[[RelayEvent], Any] | None


class MediaMethods(CallBase):
    """Action-starting methods of :class:`relay_anyio.Call`."""

    # ---------------------------------------------------------------- playback

    async def play(
        self,
        media: Sequence[Mapping[str, Any]],
        *,
        volume: float | None = None,
        direction: str | None = None,
        loop: int | None = None,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> PlayAction:
        """Play a list of media items (``calling.play``).

        Args:
            media: items such as ``{"type": "tts", "params": {"text": "Hello"}}``, ``audio``,
                ``silence`` or ``ringtone`` items; the documentation's flat form
                (``{"type": "tts", "text": "Hello"}``) is sent canonical.
            volume: gain in dB (the service takes -40 to +40).
            direction: ``"listen"``, ``"speak"`` or ``"both"``.
            loop: times to play (``0`` = until stopped).
            control_id: explicit control id (generated otherwise).
            on_completed: called with the final event (sync, or ``async def`` run in a task).
            **kwargs: extra wire params (e.g. ``status_url``).

        Returns:
            A :class:`PlayAction` (finishes on ``finished`` or ``error``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.play(
            media, volume=volume, direction=direction, loop=loop, control_id=control_id, **kwargs
        )
        return await self._start_action(PlayAction, command, on_completed)

    async def play_tts(
        self,
        text: str,
        *,
        language: str | None = None,
        gender: str | None = None,
        voice: str | None = None,
        volume: float | None = None,
        on_completed: OnCompleted = None,
    ) -> PlayAction:
        """Speak ``text`` (one text-to-speech item; see :meth:`play`).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.play_tts(
            text, language=language, gender=gender, voice=voice, volume=volume
        )
        return await self._start_action(PlayAction, command, on_completed)

    async def play_audio(
        self, url: str, *, volume: float | None = None, on_completed: OnCompleted = None
    ) -> PlayAction:
        """Play the audio file at ``url`` (see :meth:`play`).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.play_audio(url, volume=volume)
        return await self._start_action(PlayAction, command, on_completed)

    async def play_silence(
        self, duration: float, *, on_completed: OnCompleted = None
    ) -> PlayAction:
        """Play ``duration`` seconds of silence (see :meth:`play`).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.play_silence(duration)
        return await self._start_action(PlayAction, command, on_completed)

    async def play_ringtone(
        self,
        name: str,
        *,
        duration: float | None = None,
        volume: float | None = None,
        on_completed: OnCompleted = None,
    ) -> PlayAction:
        """Play the ringtone of country ``name`` (``"us"``, ``"uk"``...; see :meth:`play`).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.play_ringtone(name, duration=duration, volume=volume)
        return await self._start_action(PlayAction, command, on_completed)

    # ---------------------------------------------------------------- recording

    async def record(
        self,
        audio: Mapping[str, Any] | None = None,
        *,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> RecordAction:
        """Record the call (``calling.record``).

        Args:
            audio: recording options (``format``, ``stereo``, ``direction``, ``beep``,
                ``initial_timeout``, ``end_silence_timeout``, ``terminators``...).
            control_id: explicit control id (generated otherwise).
            on_completed: called with the final event (its params carry ``url``).
            **kwargs: extra wire params.

        Returns:
            A :class:`RecordAction` (finishes on ``finished`` or ``no_input``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.record(audio, control_id=control_id, **kwargs)
        return await self._start_action(RecordAction, command, on_completed)

    # ---------------------------------------------------------------- input collection

    async def play_and_collect(
        self,
        media: Sequence[Mapping[str, Any]],
        collect: Mapping[str, Any],
        *,
        volume: float | None = None,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> CollectAction:
        """Play a prompt and collect digits or speech (``calling.play_and_collect``).

        Args:
            media: the prompt (as for :meth:`play`).
            collect: ``{"digits": {"max": 1, ...}, "speech": {...}, "initial_timeout": s}``.
            volume: prompt gain in dB.
            control_id: explicit control id (generated otherwise).
            on_completed: called with the final ``calling.call.collect`` event.
            **kwargs: extra wire params.

        Returns:
            A :class:`CollectAction`; its result's ``params["result"]`` holds the input, e.g.
            ``{"type": "digit", "params": {"digits": "2", "terminator": "#"}}``, with the
            ``params`` keys also at the top (``result["digits"]``, or ``result["text"]`` and
            ``result["confidence"]`` for speech) as the public docs read them.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.play_and_collect(
            media, collect, volume=volume, control_id=control_id, **kwargs
        )
        return await self._start_action(CollectAction, command, on_completed)

    async def prompt_tts(
        self,
        text: str,
        collect: Mapping[str, Any],
        *,
        language: str | None = None,
        gender: str | None = None,
        voice: str | None = None,
        volume: float | None = None,
        on_completed: OnCompleted = None,
    ) -> CollectAction:
        """Speak ``text`` and collect input (see :meth:`play_and_collect`).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.prompt_tts(
            text, collect, language=language, gender=gender, voice=voice, volume=volume
        )
        return await self._start_action(CollectAction, command, on_completed)

    async def prompt_audio(
        self,
        url: str,
        collect: Mapping[str, Any],
        *,
        volume: float | None = None,
        on_completed: OnCompleted = None,
    ) -> CollectAction:
        """Play the audio at ``url`` and collect input (see :meth:`play_and_collect`).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.prompt_audio(url, collect, volume=volume)
        return await self._start_action(CollectAction, command, on_completed)

    async def collect(
        self,
        *,
        digits: Mapping[str, Any] | None = None,
        speech: Mapping[str, Any] | None = None,
        initial_timeout: float | None = None,
        partial_results: bool | None = None,
        continuous: bool | None = None,
        send_start_of_input: bool | None = None,
        start_input_timers: bool | None = None,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> StandaloneCollectAction:
        """Collect digits and/or speech without a prompt (``calling.collect``).

        Args:
            digits: ``{"max": n, "terminators": "#", "digit_timeout": s}``.
            speech: ``{"language": ..., "hints": [...], "end_silence_timeout": s, ...}``.
            initial_timeout: seconds to wait for the first input (server default 4).
            partial_results: also report interim results.
            continuous: keep collecting after a result.
            send_start_of_input: report when the caller starts speaking or pressing.
            start_input_timers: start the timers at once (else with ``start_input_timers()``).
            control_id: explicit control id (generated otherwise).
            on_completed: called with the final ``calling.call.collect`` event.
            **kwargs: extra wire params.

        Returns:
            A :class:`StandaloneCollectAction`; its result reads as for
            :meth:`play_and_collect` (``result["params"]["digits"]`` or ``result["digits"]``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.collect(
            digits=digits,
            speech=speech,
            initial_timeout=initial_timeout,
            partial_results=partial_results,
            continuous=continuous,
            send_start_of_input=send_start_of_input,
            start_input_timers=start_input_timers,
            control_id=control_id,
            **kwargs,
        )
        return await self._start_action(
            StandaloneCollectAction,
            command,
            on_completed,
        )

    # ---------------------------------------------------------------- detection

    async def detect(
        self,
        detect: Mapping[str, Any],
        *,
        timeout: float | None = None,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> DetectAction:
        """Detect an answering machine, a fax tone or digits (``calling.detect``).

        Args:
            detect: ``{"type": "machine" | "fax" | "digit", "params": {...}}``.
            timeout: seconds the detector runs (server default 30).
            control_id: explicit control id (generated otherwise).
            on_completed: called with the first detection result.
            **kwargs: extra wire params.

        Returns:
            A :class:`DetectAction`; the result's ``params["detect"]["params"]["event"]`` is
            e.g. ``"HUMAN"``, ``"MACHINE"``, ``"CED"`` or the digits.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.detect(detect, timeout=timeout, control_id=control_id, **kwargs)
        return await self._start_action(DetectAction, command, on_completed)

    async def detect_digit(
        self,
        *,
        digits: str | None = None,
        timeout: float | None = None,
        on_completed: OnCompleted = None,
    ) -> DetectAction:
        """Detect DTMF digits (see :meth:`detect`).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.detect_digit(digits=digits, timeout=timeout)
        return await self._start_action(DetectAction, command, on_completed)

    async def detect_answering_machine(
        self,
        *,
        initial_timeout: float | None = None,
        end_silence_timeout: float | None = None,
        machine_voice_threshold: float | None = None,
        machine_words_threshold: int | None = None,
        detect_interruptions: bool | None = None,
        detect_message_end: bool | None = None,
        timeout: float | None = None,
        on_completed: OnCompleted = None,
    ) -> DetectAction:
        """Detect whether a human or a machine answered (see :meth:`detect`); only the
        options given are sent.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.detect_answering_machine(
            initial_timeout=initial_timeout,
            end_silence_timeout=end_silence_timeout,
            machine_voice_threshold=machine_voice_threshold,
            machine_words_threshold=machine_words_threshold,
            detect_interruptions=detect_interruptions,
            detect_message_end=detect_message_end,
            timeout=timeout,
        )
        return await self._start_action(DetectAction, command, on_completed)

    async def detect_fax(
        self,
        *,
        tone: str | None = None,
        timeout: float | None = None,
        on_completed: OnCompleted = None,
    ) -> DetectAction:
        """Detect a fax tone (``"CED"`` or ``"CNG"``; see :meth:`detect`).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.detect_fax(tone=tone, timeout=timeout)
        return await self._start_action(DetectAction, command, on_completed)

    # ---------------------------------------------------------------- fax

    async def send_fax(
        self,
        document: str,
        *,
        identity: str | None = None,
        header_info: str | None = None,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> FaxAction:
        """Send the PDF at ``document`` as a fax (``calling.send_fax``).

        Returns:
            A :class:`FaxAction` (finishes when the fax is done or failed).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.send_fax(
            document,
            identity=identity,
            header_info=header_info,
            control_id=control_id,
            **kwargs,
        )
        return await self._start_action(FaxAction, command, on_completed)

    async def receive_fax(
        self,
        *,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> FaxAction:
        """Receive a fax on the call (``calling.receive_fax``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.receive_fax(control_id=control_id, **kwargs)
        return await self._start_action(FaxAction, command, on_completed)

    # ---------------------------------------------------------------- media forks

    async def tap(
        self,
        tap: Mapping[str, Any],
        device: Mapping[str, Any],
        *,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> TapAction:
        """Copy the call's media to an RTP or WebSocket endpoint (``calling.tap``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.tap(tap, device, control_id=control_id, **kwargs)
        return await self._start_action(TapAction, command, on_completed)

    async def stream(
        self,
        url: str,
        *,
        name: str | None = None,
        codec: str | None = None,
        track: str | None = None,
        status_url: str | None = None,
        status_url_method: str | None = None,
        authorization_bearer_token: str | None = None,
        custom_parameters: Mapping[str, Any] | None = None,
        control_id: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> StreamAction:
        """Stream the call's audio to a ``wss://`` endpoint (``calling.stream``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.stream(
            url,
            name=name,
            codec=codec,
            track=track,
            status_url=status_url,
            status_url_method=status_url_method,
            authorization_bearer_token=authorization_bearer_token,
            custom_parameters=custom_parameters,
            control_id=control_id,
            **kwargs,
        )
        return await self._start_action(StreamAction, command, on_completed)

    # ---------------------------------------------------------------- payments

    async def pay(
        self,
        payment_connector_url: str,
        *,
        control_id: str | None = None,
        input_method: str | None = None,
        status_url: str | None = None,
        payment_method: str | None = None,
        timeout: str | None = None,
        max_attempts: str | None = None,
        security_code: str | None = None,
        postal_code: str | None = None,
        min_postal_code_length: str | None = None,
        token_type: str | None = None,
        charge_amount: str | None = None,
        currency: str | None = None,
        language: str | None = None,
        voice: str | None = None,
        description: str | None = None,
        valid_card_types: str | None = None,
        parameters: Sequence[Mapping[str, Any]] | None = None,
        prompts: Sequence[Mapping[str, Any]] | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> PayAction:
        """Collect a card payment (``calling.pay``); ``input_method`` is sent as ``input``.

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.pay(
            payment_connector_url,
            control_id=control_id,
            input_method=input_method,
            status_url=status_url,
            payment_method=payment_method,
            timeout=timeout,
            max_attempts=max_attempts,
            security_code=security_code,
            postal_code=postal_code,
            min_postal_code_length=min_postal_code_length,
            token_type=token_type,
            charge_amount=charge_amount,
            currency=currency,
            language=language,
            voice=voice,
            description=description,
            valid_card_types=valid_card_types,
            parameters=parameters,
            prompts=prompts,
            **kwargs,
        )
        return await self._start_action(PayAction, command, on_completed)

    # ---------------------------------------------------------------- transcription and AI

    async def transcribe(
        self,
        *,
        control_id: str | None = None,
        status_url: str | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> TranscribeAction:
        """Transcribe the call (``calling.transcribe``; one per call).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command (409 when one is running), or it
                timed out.
        """
        command = commands.transcribe(control_id=control_id, status_url=status_url, **kwargs)
        return await self._start_action(
            TranscribeAction,
            command,
            on_completed,
        )

    async def ai(
        self,
        *,
        control_id: str | None = None,
        agent: str | None = None,
        prompt: Mapping[str, Any] | None = None,
        post_prompt: Mapping[str, Any] | None = None,
        post_prompt_url: str | None = None,
        post_prompt_auth_user: str | None = None,
        post_prompt_auth_password: str | None = None,
        global_data: Mapping[str, Any] | None = None,
        pronounce: Sequence[Mapping[str, Any]] | None = None,
        hints: Sequence[str] | None = None,
        languages: Sequence[Mapping[str, Any]] | None = None,
        SWAIG: Mapping[str, Any] | None = None,
        ai_params: Mapping[str, Any] | None = None,
        on_completed: OnCompleted = None,
        **kwargs: Any,
    ) -> AIAction:
        """Start an AI agent on the call (``calling.ai``; ``ai_params`` is sent as ``params``).

        Raises:
            ValueError: invalid arguments; nothing is sent.
            RelayError: the server refused the command, or it timed out.
        """
        command = commands.ai(
            control_id=control_id,
            agent=agent,
            prompt=prompt,
            post_prompt=post_prompt,
            post_prompt_url=post_prompt_url,
            post_prompt_auth_user=post_prompt_auth_user,
            post_prompt_auth_password=post_prompt_auth_password,
            global_data=global_data,
            pronounce=pronounce,
            hints=hints,
            languages=languages,
            SWAIG=SWAIG,
            ai_params=ai_params,
            **kwargs,
        )
        return await self._start_action(AIAction, command, on_completed)
