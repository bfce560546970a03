"""The property test of docs/fuzzing.md, verbatim: a user's IVR handler under
relay_proto.strategies (the page's block must stay a running test)."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from relay_proto import CollectEvent, parse_event
from relay_proto.strategies import event_params


def department(event: CollectEvent) -> str:  # the IVR: what the caller said -> a queue
    heard = event.result.get("params", {})
    choice = str(heard.get("digits") or heard.get("text") or "")[:1]
    return {"1": "sales", "2": "support"}.get(choice, "operator")


@given(event_params("calling.call.collect"))
def test_every_caller_input_reaches_a_department(params: dict[str, Any]) -> None:
    event = parse_event({"event_type": "calling.call.collect", "params": params})
    assert isinstance(event, CollectEvent)
    assert department(event) in {"sales", "support", "operator"}
