"""relay_sync: the blocking SignalWire RELAY client, for code without an event loop.

The same public API as :mod:`relay_anyio` (and the official ``signalwire.relay``), minus
``async``/``await``: Django and Flask workers, scripts, notebooks and cron jobs use it as is::

    from relay_sync import RelayClient

    client = RelayClient(contexts=["office"])

    @client.on_call
    def handle(call):
        call.answer()
        call.play_tts("Welcome").wait()
        call.hangup()

    client.run()                    # until client.stop() from any thread, or Ctrl+C

It drives the same sans-I/O core (relay_proto) with plain sockets and threads and imports
neither asyncio, anyio nor trio. ``Call``, the actions and ``Message`` are generated from
relay_anyio's by ``scripts/unasync.py``. The typed events and the constants are relay_proto's,
re-exported. The library logs under the ``relay_sync`` logger and is silent unless the
application configures logging; the ``relay_sync.frames`` logger at DEBUG traces every frame
with credentials masked.
"""

import logging as _logging

from relay_proto import (
    CALL_STATE_ANSWERED,
    CALL_STATE_CREATED,
    CALL_STATE_ENDED,
    CALL_STATE_ENDING,
    CALL_STATE_RINGING,
    CONNECT_STATE_CONNECTED,
    CONNECT_STATE_CONNECTING,
    CONNECT_STATE_DISCONNECTED,
    CONNECT_STATE_FAILED,
    EVENT_CALL_COLLECT,
    EVENT_CALL_CONNECT,
    EVENT_CALL_DENOISE,
    EVENT_CALL_DETECT,
    EVENT_CALL_DIAL,
    EVENT_CALL_ECHO,
    EVENT_CALL_FAX,
    EVENT_CALL_PAY,
    EVENT_CALL_PLAY,
    EVENT_CALL_QUEUE,
    EVENT_CALL_RECEIVE,
    EVENT_CALL_RECORD,
    EVENT_CALL_REFER,
    EVENT_CALL_SEND_DIGITS,
    EVENT_CALL_STATE,
    EVENT_CALL_STREAM,
    EVENT_CALL_TAP,
    EVENT_CALL_TRANSCRIBE,
    EVENT_CALLING_ERROR,
    EVENT_CONFERENCE,
    EVENT_MESSAGING_RECEIVE,
    EVENT_MESSAGING_STATE,
    MESSAGE_STATE_DELIVERED,
    MESSAGE_STATE_FAILED,
    MESSAGE_STATE_INITIATED,
    MESSAGE_STATE_QUEUED,
    MESSAGE_STATE_RECEIVED,
    MESSAGE_STATE_SENT,
    MESSAGE_STATE_UNDELIVERED,
    CallEndedResult,
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

from ._actions import (
    Action,
    AIAction,
    CollectAction,
    DetectAction,
    FaxAction,
    PayAction,
    PlayAction,
    RecordAction,
    StandaloneCollectAction,
    StreamAction,
    TapAction,
    TranscribeAction,
)
from ._call import Call
from ._client import RelayClient
from ._errors import (
    ConnectCertificateError,
    ConnectDNSError,
    ConnectRefusedError,
    ConnectTimeoutError,
    ConnectTLSError,
    RelayConnectError,
    RelayError,
    RelayTimeoutError,
    SessionReplacedError,
)
from ._message import Message

#: The version of relay-sansio (the same in relay_proto, relay_anyio and relay_sync), resolved
#: on first access like ``relay_proto.__version__``.
__version__: str


def __getattr__(name: str) -> str:
    if name == "__version__":
        import relay_proto

        version = relay_proto.__version__
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Silent unless the application configures logging (library convention).
_logging.getLogger("relay_sync").addHandler(_logging.NullHandler())

__all__ = [  # noqa: RUF022 - grouped as in signalwire.relay
    # client
    "RelayClient",
    "RelayConnectError",
    "RelayError",
    "RelayTimeoutError",
    "SessionReplacedError",
    "ConnectDNSError",
    "ConnectRefusedError",
    "ConnectTLSError",
    "ConnectCertificateError",
    "ConnectTimeoutError",
    # call and actions
    "Call",
    "Action",
    "PlayAction",
    "RecordAction",
    "DetectAction",
    "CollectAction",
    "StandaloneCollectAction",
    "FaxAction",
    "TapAction",
    "StreamAction",
    "PayAction",
    "TranscribeAction",
    "AIAction",
    # messages
    "Message",
    # events
    "RelayEvent",
    "CallStateEvent",
    "CallReceiveEvent",
    "PlayEvent",
    "RecordEvent",
    "CollectEvent",
    "ConnectEvent",
    "DetectEvent",
    "FaxEvent",
    "TapEvent",
    "StreamEvent",
    "SendDigitsEvent",
    "DialEvent",
    "ReferEvent",
    "DenoiseEvent",
    "PayEvent",
    "QueueEvent",
    "EchoEvent",
    "TranscribeEvent",
    "HoldEvent",
    "ConferenceEvent",
    "CallingErrorEvent",
    "MessageReceiveEvent",
    "MessageStateEvent",
    "parse_event",
    # constants: call states
    "CALL_STATE_CREATED",
    "CALL_STATE_RINGING",
    "CALL_STATE_ANSWERED",
    "CALL_STATE_ENDING",
    "CALL_STATE_ENDED",
    # constants: connect states
    "CONNECT_STATE_CONNECTING",
    "CONNECT_STATE_CONNECTED",
    "CONNECT_STATE_DISCONNECTED",
    "CONNECT_STATE_FAILED",
    # constants: event types
    "EVENT_CALL_STATE",
    "EVENT_CALL_RECEIVE",
    "EVENT_CALL_PLAY",
    "EVENT_CALL_RECORD",
    "EVENT_CALL_COLLECT",
    "EVENT_CALL_CONNECT",
    "EVENT_CALL_DETECT",
    "EVENT_CALL_FAX",
    "EVENT_CALL_TAP",
    "EVENT_CALL_STREAM",
    "EVENT_CALL_SEND_DIGITS",
    "EVENT_CALL_DIAL",
    "EVENT_CALL_REFER",
    "EVENT_CALL_DENOISE",
    "EVENT_CALL_PAY",
    "EVENT_CALL_QUEUE",
    "EVENT_CALL_ECHO",
    "EVENT_CALL_TRANSCRIBE",
    "EVENT_CONFERENCE",
    "EVENT_CALLING_ERROR",
    "EVENT_MESSAGING_RECEIVE",
    "EVENT_MESSAGING_STATE",
    # constants: message states
    "MESSAGE_STATE_QUEUED",
    "MESSAGE_STATE_INITIATED",
    "MESSAGE_STATE_SENT",
    "MESSAGE_STATE_DELIVERED",
    "MESSAGE_STATE_UNDELIVERED",
    "MESSAGE_STATE_FAILED",
    "MESSAGE_STATE_RECEIVED",
    # relay-sansio's own: what an action's wait() returns when its call is over first
    "CallEndedResult",
]
