"""relay_proto: a pure sans-I/O implementation of the SignalWire RELAY protocol.

Bytes and commands go in; JSON-RPC frames (over wsproto) and typed events come out. No sockets,
no clock, no threads, no randomness: time comes in as ``now``, ids from an injected factory.
"""

from ._conn_events import *  # noqa: F403
from ._conn_events import __all__ as _conn_events_all
from ._connection import *  # noqa: F403
from ._connection import __all__ as _connection_all
from ._constants import *  # noqa: F403
from ._constants import __all__ as _constants_all
from ._errors import *  # noqa: F403
from ._errors import __all__ as _errors_all
from ._events import *  # noqa: F403
from ._events import __all__ as _events_all
from ._host import *  # noqa: F403
from ._host import __all__ as _host_all
from ._ids import *  # noqa: F403
from ._ids import __all__ as _ids_all
from ._masking import *  # noqa: F403
from ._masking import __all__ as _masking_all
from ._server import *  # noqa: F403
from ._server import __all__ as _server_all
from ._types import *  # noqa: F403
from ._types import __all__ as _types_all

__all__ = [
    *_conn_events_all,
    *_connection_all,
    *_constants_all,
    *_errors_all,
    *_events_all,
    *_host_all,
    *_ids_all,
    *_masking_all,
    *_server_all,
    *_types_all,
]
