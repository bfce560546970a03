"""Property: whatever params a client sends, the switch answers; it never crashes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay_anyio.testing._model import RequestError
from relay_anyio.testing._switch import Switch

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# Keys the handlers read; each gets an arbitrary JSON value (or is left out).
KEYS = [
    "control_id", "play", "collect", "digits", "speech", "record", "detect", "devices", "device",
    "tag", "reason", "dest", "volume", "loop", "direction", "timeout", "name", "conference_id",
    "queue_name", "url", "tap", "action", "bind_method", "params", "max_triggers", "realm",
    "to_number", "from_number", "body", "media", "tags", "context", "contexts", "ringback",
    "max_duration", "initial_timeout", "behavior", "payment_connector_url", "document",
    "max_participants", "codecs", "start_input_timers", "continuous", "partial_results",
]  # fmt: skip
PARAMS = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6)
METHODS = sorted(Switch().handlers)


@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(method=st.sampled_from(METHODS), params=PARAMS, steps=st.integers(0, 3))
def test_any_params_get_an_answer(method: str, params: dict[str, Any], steps: int) -> None:
    sw = Switch()
    session, _ = sw.open_session(contexts=["office"], resume=None)
    sw.attach(session)
    call = sw.place_call(context="office", from_number="+15550001", to_number="+15550002")
    sw.answer(call)
    body = {**params, "call_id": call.call_id, "node_id": call.node_id}
    try:
        result = sw.request(session, method, body)
    except RequestError as exc:
        assert exc.code in (-32602, -32601, -32000)
    else:
        assert isinstance(result, dict) and isinstance(result.get("code"), str)
    # And whatever it started runs on without errors.
    for _ in range(steps):
        deadline = sw.next_deadline()
        if deadline is None:
            break
        sw.run_due(deadline)
    sw.remote_hangup(call)
