"""relay_proto: a pure sans-I/O implementation of the SignalWire RELAY protocol.

Bytes and commands go in; JSON-RPC frames (over wsproto) and typed events come out. No sockets,
no clock, no threads, no randomness: time comes in as ``now``, ids from an injected factory.
The command builders live in the public submodule :mod:`relay_proto.commands`.
"""

# Each private module lists its public names in __all__; they are re-exported here flat.
from . import (
    _call_rules,
    _conn_events,
    _connection,
    _constants,
    _drop_report,
    _errors,
    _events,
    _host,
    _ids,
    _lifecycle,
    _masking,
    _outcomes,
    _server,
    _types,
    commands,
)
from ._call_rules import *  # noqa: F403
from ._conn_events import *  # noqa: F403
from ._connection import *  # noqa: F403
from ._constants import *  # noqa: F403
from ._drop_report import *  # noqa: F403
from ._errors import *  # noqa: F403
from ._events import *  # noqa: F403
from ._host import *  # noqa: F403
from ._ids import *  # noqa: F403
from ._lifecycle import *  # noqa: F403
from ._masking import *  # noqa: F403
from ._outcomes import *  # noqa: F403
from ._server import *  # noqa: F403
from ._types import *  # noqa: F403
from ._version import resolve_version as _resolve_version

#: The version of relay-sansio (installed metadata, else the source's; see ``_version``).
#: Resolved on first access (module ``__getattr__``), so importing the package does not import
#: ``importlib.metadata``.
__version__: str


def __getattr__(name: str) -> str:
    if name == "__version__":
        version = _resolve_version()
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["commands"]
__all__ += _call_rules.__all__
__all__ += _conn_events.__all__
__all__ += _connection.__all__
__all__ += _constants.__all__
__all__ += _drop_report.__all__
__all__ += _errors.__all__
__all__ += _events.__all__
__all__ += _host.__all__
__all__ += _ids.__all__
__all__ += _lifecycle.__all__
__all__ += _masking.__all__
__all__ += _outcomes.__all__
__all__ += _server.__all__
__all__ += _types.__all__
