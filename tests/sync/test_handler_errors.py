"""An ``on_call`` handler that raises does not leave the caller in dead air (relay_sync).

The error is logged at ERROR with its traceback; then the call is hung up (rejected if it was
not answered yet), unless the handler handed it on (connected, transferred, passed) or the
client was built with ``on_handler_error="keep"``. The emulator's caller is the witness.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from relay_anyio.testing import Persona
from relay_sync import Call, RelayClient, RelayEvent

from .conftest import LogWatch
from .helpers import AGENT, CALLER, LINE, WAIT, phone

FAILED = "on_call handler for call"


def record_of(log: LogWatch) -> logging.LogRecord:
    log.wait_for(FAILED)
    [record] = [r for r in log.records if r.getMessage().startswith(FAILED)]
    return record


def client_requests(emulator: Any, method: str) -> list[dict[str, Any]]:
    return [entry.params for entry in emulator.journal.requests(method)]


def test_a_failed_handler_hangs_up_the_answered_call(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()

    @client.on_call
    def handle(call: Call) -> None:
        call.answer()
        raise RuntimeError("boom in the handler")

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert caller.wait_ended() == "hangup"  # not dead air: the client hung up
    record = record_of(relay_log)
    assert record.levelno == logging.ERROR
    assert "hanging the call up" in record.getMessage()
    assert record.exc_info is not None and str(record.exc_info[1]) == "boom in the handler"
    [end] = client_requests(emulator, "calling.end")
    assert (end["call_id"], end["reason"]) == (caller.call_id, "hangup")


def test_a_handler_failing_before_answering_rejects_the_call(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()

    @client.on_call
    def handle(call: Call) -> None:
        raise ValueError("no answer from me")

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    caller.wait_ended()  # it does not ring for ever
    assert "rejecting the unanswered call" in record_of(relay_log).getMessage()
    assert client_requests(emulator, "calling.answer") == []


def test_keep_leaves_the_call_up(emulator: Any, make_client: Any, relay_log: LogWatch) -> None:
    client: RelayClient = make_client(on_handler_error="keep")

    @client.on_call
    def handle(call: Call) -> None:
        call.answer()
        raise RuntimeError("boom")

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    # The decision is made before the log record: nothing follows it.
    assert "on_handler_error='keep'" in record_of(relay_log).getMessage()
    caller.hangup()
    assert caller.wait_ended() == "hangup"
    assert client_requests(emulator, "calling.end") == []


def test_a_connected_call_stays_connected(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    emulator.persona(AGENT, Persona.answers(after=1.0))
    client: RelayClient = make_client()

    @client.on_call
    def handle(call: Call) -> None:
        call.answer()
        bridged = threading.Event()

        def on_connect(event: RelayEvent) -> None:
            if event.params.get("connect_state") == "connected":
                bridged.set()

        call.on("calling.call.connect", on_connect)  # before connect(): it may be quick
        call.connect([[phone(AGENT)]])
        assert bridged.wait(WAIT)
        raise RuntimeError("bug after the bridge")

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert caller.wait_connected() == AGENT
    assert "connected to another party" in record_of(relay_log).getMessage()
    caller.hangup()
    caller.wait_ended()
    assert client_requests(emulator, "calling.end") == []


def test_a_transferred_call_is_left_alone(
    emulator: Any, make_client: Any, relay_log: LogWatch
) -> None:
    client: RelayClient = make_client()

    @client.on_call
    def handle(call: Call) -> None:
        call.answer()
        call.transfer("https://example.com/next.swml")
        raise RuntimeError("bug after the transfer")

    client.connect()
    caller = emulator.call(context="office", from_number=CALLER, to_number=LINE)
    assert "transferred" in record_of(relay_log).getMessage()
    caller.hangup()
    caller.wait_ended()
    assert client_requests(emulator, "calling.end") == []


def test_on_handler_error_is_checked() -> None:
    with pytest.raises(ValueError, match="on_handler_error must be 'hangup' or 'keep'"):
        RelayClient(project="p", token="t", on_handler_error="ignore")
