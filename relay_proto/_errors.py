"""Exception types raised by relay_proto.

Two families, as in h11: :class:`LocalProtocolError` means *you* (the code driving the core)
asked for something impossible (bad arguments, a command in the wrong state);
:class:`RemoteProtocolError` means the *peer* sent something the core cannot carry on from.
Well-formed failures (a JSON-RPC error reply, a non-2xx result code, a timeout, a failed dial)
are never exceptions: they are events. Any other exception escaping the core is a bug.
"""

from __future__ import annotations

__all__ = [
    "InvalidCommandError",
    "LocalProtocolError",
    "RelayProtoError",
    "RemoteProtocolError",
]


class RelayProtoError(Exception):
    """Base class of every exception relay_proto raises on purpose."""


class LocalProtocolError(RelayProtoError):
    """The caller misused the API: bad arguments, or a command not allowed in this state."""


class InvalidCommandError(LocalProtocolError, ValueError):
    """A command's arguments failed one of the few local checks (what the client itself relies
    on: ids, the devices structure, media lists, JSON-encodable values; argument values are
    otherwise the service's to judge); the message says which and why.

    It is also a :class:`ValueError`, so code written for the official SDK (which raises
    ``ValueError`` for, say, a message with neither body nor media) keeps working.
    """


class RemoteProtocolError(RelayProtoError):
    """The peer broke the WebSocket stream badly enough that the connection cannot go on.

    Only ``receive_data`` raises it. Malformed JSON-RPC frames do not: they are dropped with a
    :class:`~relay_proto.FrameDropped` event and the session keeps working.
    """


# Reported (repr, tracebacks) as relay_proto.X, the path they are imported from.
for _cls in (RelayProtoError, LocalProtocolError, InvalidCommandError, RemoteProtocolError):
    _cls.__module__ = "relay_proto"
del _cls
