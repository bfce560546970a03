"""The routing and outcome examples of docs/emulator.md, run for real on both backends.

Each example appears verbatim in the page; ``test_the_page_shows_these_examples`` fails when the
page and this file drift apart.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import anyio
import pytest

from relay_anyio import Call, Message, RelayClient
from relay_anyio.testing import RelayEmulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
DESK = {"type": "phone", "params": {"from_number": "+15551230002", "to_number": "+15557770001"}}


@pytest.fixture(autouse=True)
def several_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_MAX_CONNECTIONS", "5")


@pytest.mark.anyio
@pytest.mark.relay_emulator(routes={"+15557770001": "desk"})
async def test_two_programs_call_each_other(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    alice = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    bob = RelayClient(project="p", token="t", host=emu.url, contexts=["desk"])
    pressed: list[str] = []

    @bob.on_call
    async def desk(call: Call) -> None:
        await call.answer()
        keys = await call.collect(digits={"max": 2}, start_input_timers=True)
        pressed.append((await keys.wait()).params["result"]["params"]["digits"])
        await call.hangup()

    async with alice, bob:
        await emu.wait_for_clients(2)
        call = await alice.dial([[DESK]])  # rings Bob's program on "desk"
        await call.send_digits("42")  # Bob's collect gets them
        ended = await call.wait_for_ended()
    assert pressed == ["42"] and ended.params["end_reason"] == "hangup"


@pytest.mark.anyio
async def test_an_sms_between_programs(relay_emulator: RelayEmulator) -> None:
    emu = relay_emulator
    emu.route("+15557770001", "desk")
    alice = RelayClient(project="p", token="t", host=emu.url, contexts=["office"])
    bob = RelayClient(project="p", token="t", host=emu.url, contexts=["desk"])
    inbox: list[str] = []
    arrived = anyio.Event()

    @bob.on_message
    async def read(message: Message) -> None:
        inbox.append(f"{message.from_number}: {message.body}")
        arrived.set()

    async with alice, bob:
        await emu.wait_for_clients(2)  # Bob listens before Alice writes
        await alice.send_message(
            from_number="+15551230002", to_number="+15557770001", body="Lunch?"
        )
        with anyio.fail_after(5):
            await arrived.wait()
    assert inbox == ["+15551230002: Lunch?"]


EXAMPLES = [test_two_programs_call_each_other, test_an_sms_between_programs]


def test_the_page_shows_these_examples() -> None:
    page = DOC.read_text()
    for line in Path(__file__).read_text().splitlines():
        if line.startswith("DESK = "):
            assert line in page, line
    for example in EXAMPLES:
        assert inspect.getsource(example) in page, example.__name__
