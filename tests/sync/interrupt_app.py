"""A relay_sync program for the Ctrl+C tests: ``client.run()`` in the main thread, against an
emulator on a background thread, handling one inbound call.

Usage: ``python interrupt_app.py graceful|stuck``. It prints progress lines on stdout, which the
test reads to know when to send its signals:

* ``HANDLER STARTED``: a call is being handled (the main thread is inside ``run()``);
* ``STOPPING``: the client began its graceful stop;
* ``HANDLER DONE``: the handler finished (``graceful``: it says goodbye once the stop began);
* ``RUN RETURNED <seconds since the first signal could arrive>``, then ``HEARD ...`` and
  ``ENDED <reason>`` from the caller's side.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time

import anyio.from_thread

from relay_anyio.testing import RelayEmulator, RemoteParty
from relay_sync import Call, RelayClient, RelayError

_OUTPUT = threading.Lock()


def say(*parts: object) -> None:
    """One whole line on stdout (print() from two threads can interleave)."""
    with _OUTPUT:
        sys.stdout.write(" ".join(str(part) for part in parts) + "\n")
        sys.stdout.flush()


class _OnStop(logging.Handler):
    def __init__(self, stopping: threading.Event) -> None:
        super().__init__(logging.INFO)
        self._stopping = stopping

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("stopping: no new calls"):
            say("STOPPING")
            self._stopping.set()


def main(mode: str) -> int:
    stopping = threading.Event()
    logger = logging.getLogger("relay_sync")
    logger.setLevel(logging.INFO)
    logger.addHandler(_OnStop(stopping))
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        emu = portal.call(
            functools.partial(RelayEmulator, project="p", token="t", time_scale=0.001)
        )
        with portal.wrap_async_context_manager(emu):
            client = RelayClient(
                project="p",
                token="t",
                host=emu.url,
                contexts=["office"],
                shutdown_timeout=60.0 if mode == "stuck" else 10.0,
            )

            @client.on_call
            def handle(call: Call) -> None:
                call.answer()
                say("HANDLER STARTED")
                if mode == "stuck":
                    try:
                        call.wait_for_ended()  # nobody hangs up: only a forced stop ends this
                    except RelayError as exc:
                        say(f"HANDLER ABORTED {exc}")
                    return
                stopping.wait(30)
                call.play_tts("Goodbye").wait(timeout=30)
                call.hangup()
                say("HANDLER DONE")

            def place_call() -> None:
                portal.call(functools.partial(emu.wait_for_clients, 1, context="office"))
                caller = portal.call(
                    functools.partial(
                        emu.call, context="office", from_number="+15550001", to_number="+15550002"
                    )
                )
                box.append(caller)

            box: list[RemoteParty] = []
            threading.Thread(target=place_call, daemon=True).start()
            started = time.monotonic()
            client.run()
            say(f"RUN RETURNED {time.monotonic() - started:.2f}")
            if box:
                caller = box[0]

                def outcome() -> tuple[list[str], str]:
                    return caller.heard, caller.end_reason

                heard, reason = portal.call(outcome)
                say("HEARD", heard)
                say("ENDED", reason)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
