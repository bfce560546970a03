"""relay_proto: a pure sans-I/O implementation of the SignalWire RELAY protocol.

Bytes and commands go in; JSON-RPC frames (over wsproto) and typed events come out. No sockets,
no clock, no threads, no randomness: time comes in as ``now``, ids from an injected factory.
The command builders live in the public submodule :mod:`relay_proto.commands`.
"""

# Each private module lists its public names in __all__; they are re-exported here flat.
from typing import TYPE_CHECKING, Any

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
from ._types import *  # noqa: F403
from ._version import resolve_version as _resolve_version

if TYPE_CHECKING:
    from ._server import RelayServerConnection as RelayServerConnection

# Names whose module is imported on first access (module __getattr__), because a client does
# not need it: the server role of the protocol (the emulator's and the fuzzers' side).
_LAZY = {"RelayServerConnection": "_server"}

#: The version of relay-sansio (installed metadata, else the source's; see ``_version``).
#: Resolved on first access (module ``__getattr__``), so importing the package does not import
#: ``importlib.metadata``.
__version__: str


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _resolve_version()
    elif name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})


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
__all__ += list(_LAZY)
__all__ += _types.__all__
