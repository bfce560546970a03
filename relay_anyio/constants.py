"""The constants of ``signalwire.relay.constants``, under the same module path.

Programs that import from the official constants module port by changing the import line::

    # before
    from signalwire.relay.constants import END_REASON_BUSY, PLAY_STATE_FINISHED
    # after
    from relay_anyio.constants import END_REASON_BUSY, PLAY_STATE_FINISHED

Every name of the official module is here with the official value, except ``AGENT_STRING``,
which names this library (decision D25). The values are relay_proto's (there is one copy of
each); relay-sansio's own bounds (``DEFAULT_REQUEST_TIMEOUT``, ``MAX_OFFLINE_QUEUE``...) and the
two event types the official module lacks (``EVENT_CALL_HOLD``, ``EVENT_CALL_AI``) are here
too. The package itself (``relay_anyio``) exports the subset that ``signalwire.relay`` does.
"""

# One copy of every value: relay_proto's constants module, re-exported whole.
from relay_proto import _constants
from relay_proto._constants import *  # noqa: F403

__all__: list[str] = []
__all__ += _constants.__all__
