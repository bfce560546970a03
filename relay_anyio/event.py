"""The typed events of ``signalwire.relay.event``, under the same module path.

Programs that import from the official event module port by changing the import line::

    # before
    from signalwire.relay.event import EVENT_CLASS_MAP, PlayEvent
    # after
    from relay_anyio.event import EVENT_CLASS_MAP, PlayEvent

The classes and :func:`parse_event` are relay_proto's: the same names, fields, field order and
defaults as the official ones (frozen, so build a new event rather than change one).
``EVENT_CLASS_MAP`` is relay_proto's ``EVENT_CLASSES``, the very table :func:`parse_event`
reads: an event type added to it is parsed with the class given, as with the official map.
"""

from relay_proto import EVENT_CLASSES as EVENT_CLASS_MAP
from relay_proto import (
    CallingErrorEvent,
    CallReceiveEvent,
    CallStateEvent,
    CollectEvent,
    ConferenceEvent,
    ConnectEvent,
    DenoiseEvent,
    DetectEvent,
    DialEvent,
    EchoEvent,
    FaxEvent,
    HoldEvent,
    MessageReceiveEvent,
    MessageStateEvent,
    PayEvent,
    PlayEvent,
    QueueEvent,
    RecordEvent,
    ReferEvent,
    RelayEvent,
    SendDigitsEvent,
    StreamEvent,
    TapEvent,
    TranscribeEvent,
    parse_event,
)

__all__ = [
    "EVENT_CLASS_MAP",
    "CallReceiveEvent",
    "CallStateEvent",
    "CallingErrorEvent",
    "CollectEvent",
    "ConferenceEvent",
    "ConnectEvent",
    "DenoiseEvent",
    "DetectEvent",
    "DialEvent",
    "EchoEvent",
    "FaxEvent",
    "HoldEvent",
    "MessageReceiveEvent",
    "MessageStateEvent",
    "PayEvent",
    "PlayEvent",
    "QueueEvent",
    "RecordEvent",
    "ReferEvent",
    "RelayEvent",
    "SendDigitsEvent",
    "StreamEvent",
    "TapEvent",
    "TranscribeEvent",
    "parse_event",
]
