"""An ``on_call`` handler that raises does not leave the caller in dead air.

The error is logged at ERROR with its traceback; then the call is hung up (rejected if it was
not answered yet), unless the handler handed it on (passed, connected, transferred) or the
client was built with ``on_handler_error="keep"``. The emulator's caller is the witness: it
hears the hangup, or stays connected. Runs on asyncio and trio.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest

from relay_anyio import Call, RelayClient, RelayEvent
from relay_anyio.testing import Persona, RelayEmulator

pytestmark = pytest.mark.anyio

CALLER, LINE, AGENT = "+15551230001", "+15551230002", "+15552002000"
AGENT_DEVICE = {"type": "phone", "params": {"to_number": AGENT, "from_number": LINE}}


class HandlerErrors(logging.Handler):
    """The ERROR records about failed ``on_call`` handlers; an event once one arrived."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.seen = anyio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("on_call handler for call"):
            self.records.append(record)
            self.seen.set()  # logged on the event loop's thread, by the handler's task

    async def wait(self) -> logging.LogRecord:
        with anyio.fail_after(15):
            await self.seen.wait()
        return self.records[0]


@pytest.fixture
def handler_errors() -> Iterator[HandlerErrors]:
    watch = HandlerErrors()
    logger = logging.getLogger("relay_anyio")
    logger.addHandler(watch)
    yield watch
    logger.removeHandler(watch)


def app(emu: RelayEmulator, handler: Callable[[Call], Awaitable[None]], **kw: Any) -> RelayClient:
    client = RelayClient(project="p", token="t", host=emu.url, contexts=["office"], **kw)
    client.on_call(handler)
    return client


def client_requests(emu: RelayEmulator, method: str) -> list[dict[str, Any]]:
    return [entry.params for entry in emu.journal.requests(method)]


async def test_a_failed_handler_hangs_up_the_answered_call(
    emu: RelayEmulator, handler_errors: HandlerErrors
) -> None:
    async def handle(call: Call) -> None:
        await call.answer()
        raise RuntimeError("boom in the handler")

    async with app(emu, handle):
        caller = await emu.call(context="office", from_number=CALLER, to_number=LINE)
        assert await caller.wait_ended() == "hangup"  # not dead air: the client hung up
        record = await handler_errors.wait()
    assert record.levelno == logging.ERROR
    assert "hanging the call up" in record.getMessage()
    assert record.exc_info is not None and str(record.exc_info[1]) == "boom in the handler"
    [end] = client_requests(emu, "calling.end")
    assert (end["call_id"], end["reason"]) == (caller.call_id, "hangup")


async def test_a_handler_failing_before_answering_rejects_the_call(
    emu: RelayEmulator, handler_errors: HandlerErrors
) -> None:
    async def handle(call: Call) -> None:
        raise ValueError("no answer from me")

    async with app(emu, handle):
        caller = await emu.call(context="office", from_number=CALLER, to_number=LINE)
        await caller.wait_ended()  # it does not ring for ever
        record = await handler_errors.wait()
    assert "rejecting the unanswered call" in record.getMessage()
    assert client_requests(emu, "calling.answer") == []
    assert len(client_requests(emu, "calling.end")) == 1


async def test_keep_leaves_the_call_up(emu: RelayEmulator, handler_errors: HandlerErrors) -> None:
    async def handle(call: Call) -> None:
        await call.answer()
        raise RuntimeError("boom")

    async with app(emu, handle, on_handler_error="keep"):
        caller = await emu.call(context="office", from_number=CALLER, to_number=LINE)
        record = await handler_errors.wait()  # the decision is made before the log
        assert "on_handler_error='keep'" in record.getMessage()
        await caller.hangup()
        assert await caller.wait_ended() == "hangup"
    assert client_requests(emu, "calling.end") == []
    assert record.exc_info is not None


async def test_a_connected_call_stays_connected(
    emu: RelayEmulator, handler_errors: HandlerErrors
) -> None:
    emu.persona(AGENT, Persona.answers(after=1.0))

    async def handle(call: Call) -> None:
        await call.answer()
        bridged = anyio.Event()

        def on_connect(event: RelayEvent) -> None:
            if event.params.get("connect_state") == "connected":
                bridged.set()

        # Listen before connecting: the bridge may be up before connect() even returns.
        call.on("calling.call.connect", on_connect)
        await call.connect([[AGENT_DEVICE]])
        await bridged.wait()
        raise RuntimeError("bug after the bridge")

    async with app(emu, handle):
        caller = await emu.call(context="office", from_number=CALLER, to_number=LINE)
        assert await caller.wait_connected() == AGENT
        record = await handler_errors.wait()
        assert "connected to another party" in record.getMessage()
        await caller.hangup()  # the caller talked to the agent until they were done
        await caller.wait_ended()
    assert client_requests(emu, "calling.end") == []


async def test_a_transferred_call_is_left_alone(
    emu: RelayEmulator, handler_errors: HandlerErrors
) -> None:
    async def handle(call: Call) -> None:
        await call.answer()
        await call.transfer("https://example.com/next.swml")
        raise RuntimeError("bug after the transfer")

    async with app(emu, handle):
        caller = await emu.call(context="office", from_number=CALLER, to_number=LINE)
        record = await handler_errors.wait()
        assert "transferred" in record.getMessage()
        await caller.hangup()
        await caller.wait_ended()
    assert client_requests(emu, "calling.end") == []


async def test_a_passed_call_is_left_alone(
    emu: RelayEmulator, handler_errors: HandlerErrors
) -> None:
    async def handle(call: Call) -> None:
        await call.pass_()
        raise RuntimeError("bug after passing")

    async with app(emu, handle):
        await emu.call(context="office", from_number=CALLER, to_number=LINE)
        record = await handler_errors.wait()
        assert "passed on" in record.getMessage()
    assert client_requests(emu, "calling.end") == []
    assert len(client_requests(emu, "calling.pass")) == 1


async def test_a_handler_that_hangs_up_itself_is_not_hung_up_twice(
    emu: RelayEmulator, handler_errors: HandlerErrors
) -> None:
    async def handle(call: Call) -> None:
        await call.answer()
        await call.hangup()
        await call.wait_for_ended()
        raise RuntimeError("bug after the end")

    async with app(emu, handle):
        caller = await emu.call(context="office", from_number=CALLER, to_number=LINE)
        assert await caller.wait_ended() == "hangup"
        record = await handler_errors.wait()
    assert "over or was passed on" in record.getMessage()
    assert len(client_requests(emu, "calling.end")) == 1


def test_on_handler_error_is_checked() -> None:
    with pytest.raises(ValueError, match="on_handler_error must be 'hangup' or 'keep'"):
        RelayClient(project="p", token="t", on_handler_error="ignore")
