"""Bare sans-I/O: relay_proto driven by a plain blocking socket, no framework (docs/sans-io.md).

It answers one inbound call, plays a prompt, hangs up when the prompt has finished, closes the
session and returns (a real adapter would also reconnect on ``TransportLost``). Against the
emulator by default; with ``SIGNALWIRE_*`` set, it answers one real call on ``office``.
"""

from __future__ import annotations

import random
import socket
import ssl
import time
import uuid

from examples import _harness as harness
from relay_anyio.testing import RelayEmulator
from relay_proto import (
    ActionCompleted,
    CallEvent,
    CallReceived,
    RelayConnection,
    TransportLost,
    commands,
    parse_host,
)


def answer_one_call(host: str, project: str, token: str, context: str) -> None:
    """Connect to ``host``, answer one call on ``context``, play a prompt, hang up, close."""
    endpoint = parse_host(host)
    conn = RelayConnection(
        project=project,
        token=token,
        host=endpoint.authority,
        contexts=[context],
        id_factory=lambda: str(uuid.uuid4()),
        rng=random.Random(),
    )
    sock = socket.create_connection((endpoint.host, endpoint.port))
    if endpoint.secure:
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=endpoint.host)
    conn.start(time.monotonic())
    while True:
        sock.sendall(conn.data_to_send())  # requests, ACKs, pongs: whatever the core queued
        deadline = conn.next_deadline()
        wait = None if deadline is None else deadline - time.monotonic()
        try:
            sock.settimeout(wait if wait is None or wait > 0 else 1e-6)  # 0 would not block
            conn.receive_data(sock.recv(65536) or None, time.monotonic())  # b"": EOF
        except TimeoutError:
            conn.handle_timeout(time.monotonic())
        while (event := conn.next_event()) is not None:
            now = time.monotonic()
            if isinstance(event, CallReceived):
                call_id = event.call.call_id
                conn.call_command(call_id, commands.answer(), now=now)
                conn.call_command(call_id, commands.play_tts("Hello from a plain socket!"), now=now)
            elif isinstance(event, ActionCompleted):  # the prompt has been played
                conn.call_command(event.call_id, commands.hangup(), now=now)
            elif isinstance(event, CallEvent) and event.call_state == "ended":
                conn.close(now)  # one call is all this example takes
            elif isinstance(event, TransportLost):
                sock.sendall(conn.data_to_send())
                sock.close()
                return


async def caller(emu: RelayEmulator) -> None:
    """Emulator only: a caller rings and listens until the application hangs up."""
    party = await emu.call(
        context=harness.CONTEXT, from_number=harness.CALLER, to_number=harness.LINE
    )
    await party.wait_ended(timeout=None)


if __name__ == "__main__":
    harness.run_bare(title="Bare sans-I/O", program=answer_one_call, remote=caller)
