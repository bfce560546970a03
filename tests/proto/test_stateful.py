"""relay_proto.stateful: the state machines a user subclasses, subclassed as a user would.

An IVR handler (answer, prompt for a digit, hang up) runs under :class:`RelayServerMachine`;
the default server logic runs under :class:`RelayClientMachine`. Each machine must also catch
the bugs it promises to catch, so a broken handler is run under it and must fail with a
``ProtocolViolation``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from relay_proto import ActionCompleted, CallEvent, CallReceived, Event, commands
from relay_proto.stateful import ProtocolViolation, RelayClientMachine, RelayServerMachine

MACHINE = settings(
    max_examples=int(os.environ.get("RELAY_FUZZ_EXAMPLES", "40")) // 2,
    stateful_step_count=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
PROMPT = [{"type": "tts", "params": {"text": "Press 1 for sales"}}]


class IvrUnderTest(RelayServerMachine):
    """A small IVR: answer, prompt for a digit, hang up once the prompt completes."""

    def on_event(self, event: Event) -> None:
        client, now = self.client, self.now
        if isinstance(event, CallReceived):
            call_id = event.call.call_id
            client.call_command(call_id, commands.answer(), now=now)
            collect = {"digits": {"max": 1}}
            client.call_command(call_id, commands.play_and_collect(PROMPT, collect), now=now)
        elif isinstance(event, ActionCompleted):
            client.call_command(event.call_id, commands.hangup(), now=now)


TestIvr = IvrUnderTest.TestCase
TestIvr.settings = MACHINE

TestDefaultServer = RelayClientMachine.TestCase
TestDefaultServer.settings = MACHINE


class ForgetfulIvr(RelayServerMachine):
    """Keeps playing to a call after it ended, through a raw request (bypassing the core's
    call tracking): the machine must notice."""

    def on_event(self, event: Event) -> None:
        if isinstance(event, CallEvent) and event.call_state == "ended":
            params = {"call_id": event.call_id, "node_id": "node-1", "play": PROMPT}
            self.client.execute("calling.play", params, now=self.now)


class DoubleAnsweringServer(RelayClientMachine):
    """Answers every request twice."""

    def on_request(self, request: object) -> None:
        super().on_request(request)  # type: ignore[arg-type]
        super().on_request(request)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("machine", "message"),
    [
        (ForgetfulIvr, "after it ended"),
        (DoubleAnsweringServer, "more than once"),
    ],
)
def test_the_machines_catch_broken_code(machine: type, message: str) -> None:
    case = machine.TestCase()
    case.settings = settings(MACHINE, max_examples=200, report_multiple_bugs=False)
    with pytest.raises(ProtocolViolation, match=message):
        case.runTest()
