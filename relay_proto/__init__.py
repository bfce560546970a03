"""relay_proto: a pure sans-I/O implementation of the SignalWire RELAY protocol.

Bytes and commands go in; JSON-RPC frames (over wsproto) and typed events come out. No sockets,
no clock, no threads, no randomness: time comes in as ``now``, ids from an injected factory.
The command builders live in the public submodule :mod:`relay_proto.commands`.
"""

from . import commands as commands
from ._call_rules import (
    call_state_reached as call_state_reached,
)
from ._call_rules import (
    fires_on_completed as fires_on_completed,
)
from ._call_rules import (
    state_wait_finished as state_wait_finished,
)
from ._conn_events import (
    ActionCompleted as ActionCompleted,
)
from ._conn_events import (
    AuthRejected as AuthRejected,
)
from ._conn_events import (
    CallEvent as CallEvent,
)
from ._conn_events import (
    CallOverflow as CallOverflow,
)
from ._conn_events import (
    CallReceived as CallReceived,
)
from ._conn_events import (
    ClientClosed as ClientClosed,
)
from ._conn_events import (
    ClientConnected as ClientConnected,
)
from ._conn_events import (
    ClientRequest as ClientRequest,
)
from ._conn_events import (
    ClientResponse as ClientResponse,
)
from ._conn_events import (
    DialAnswered as DialAnswered,
)
from ._conn_events import (
    DialFailed as DialFailed,
)
from ._conn_events import (
    DialLegCreated as DialLegCreated,
)
from ._conn_events import (
    Event as Event,
)
from ._conn_events import (
    EventIgnored as EventIgnored,
)
from ._conn_events import (
    FrameDropped as FrameDropped,
)
from ._conn_events import (
    MessageReceived as MessageReceived,
)
from ._conn_events import (
    MessageStateChanged as MessageStateChanged,
)
from ._conn_events import (
    OrphanHungUp as OrphanHungUp,
)
from ._conn_events import (
    ReconnectDue as ReconnectDue,
)
from ._conn_events import (
    RequestFailed as RequestFailed,
)
from ._conn_events import (
    RequestSucceeded as RequestSucceeded,
)
from ._conn_events import (
    RequestTimedOut as RequestTimedOut,
)
from ._conn_events import (
    ServerDisconnect as ServerDisconnect,
)
from ._conn_events import (
    SessionReady as SessionReady,
)
from ._conn_events import (
    TransportLost as TransportLost,
)
from ._conn_events import (
    UnroutedEvent as UnroutedEvent,
)
from ._connection import (
    FrameObserver as FrameObserver,
)
from ._connection import (
    RelayConnection as RelayConnection,
)
from ._connection import (
    SessionState as SessionState,
)
from ._constants import (
    AGENT_STRING as AGENT_STRING,
)
from ._constants import (
    CALL_STATE_ANSWERED as CALL_STATE_ANSWERED,
)
from ._constants import (
    CALL_STATE_CREATED as CALL_STATE_CREATED,
)
from ._constants import (
    CALL_STATE_ENDED as CALL_STATE_ENDED,
)
from ._constants import (
    CALL_STATE_ENDING as CALL_STATE_ENDING,
)
from ._constants import (
    CALL_STATE_RINGING as CALL_STATE_RINGING,
)
from ._constants import (
    CALL_STATES as CALL_STATES,
)
from ._constants import (
    CONNECT_STATE_CONNECTED as CONNECT_STATE_CONNECTED,
)
from ._constants import (
    CONNECT_STATE_CONNECTING as CONNECT_STATE_CONNECTING,
)
from ._constants import (
    CONNECT_STATE_DISCONNECTED as CONNECT_STATE_DISCONNECTED,
)
from ._constants import (
    CONNECT_STATE_FAILED as CONNECT_STATE_FAILED,
)
from ._constants import (
    DEFAULT_DIAL_TIMEOUT as DEFAULT_DIAL_TIMEOUT,
)
from ._constants import (
    DEFAULT_MAX_ACTIVE_CALLS as DEFAULT_MAX_ACTIVE_CALLS,
)
from ._constants import (
    DEFAULT_RELAY_HOST as DEFAULT_RELAY_HOST,
)
from ._constants import (
    DEFAULT_REQUEST_TIMEOUT as DEFAULT_REQUEST_TIMEOUT,
)
from ._constants import (
    DETECT_TYPE_DIGIT as DETECT_TYPE_DIGIT,
)
from ._constants import (
    DETECT_TYPE_FAX as DETECT_TYPE_FAX,
)
from ._constants import (
    DETECT_TYPE_MACHINE as DETECT_TYPE_MACHINE,
)
from ._constants import (
    END_REASON_ABANDONED as END_REASON_ABANDONED,
)
from ._constants import (
    END_REASON_BUSY as END_REASON_BUSY,
)
from ._constants import (
    END_REASON_CANCEL as END_REASON_CANCEL,
)
from ._constants import (
    END_REASON_DECLINE as END_REASON_DECLINE,
)
from ._constants import (
    END_REASON_ERROR as END_REASON_ERROR,
)
from ._constants import (
    END_REASON_HANGUP as END_REASON_HANGUP,
)
from ._constants import (
    END_REASON_MAX_DURATION as END_REASON_MAX_DURATION,
)
from ._constants import (
    END_REASON_NO_ANSWER as END_REASON_NO_ANSWER,
)
from ._constants import (
    END_REASON_NOT_FOUND as END_REASON_NOT_FOUND,
)
from ._constants import (
    ENDED_CALL_MEMORY as ENDED_CALL_MEMORY,
)
from ._constants import (
    EVENT_AUTHORIZATION_STATE as EVENT_AUTHORIZATION_STATE,
)
from ._constants import (
    EVENT_CALL_AI as EVENT_CALL_AI,
)
from ._constants import (
    EVENT_CALL_COLLECT as EVENT_CALL_COLLECT,
)
from ._constants import (
    EVENT_CALL_CONNECT as EVENT_CALL_CONNECT,
)
from ._constants import (
    EVENT_CALL_DENOISE as EVENT_CALL_DENOISE,
)
from ._constants import (
    EVENT_CALL_DETECT as EVENT_CALL_DETECT,
)
from ._constants import (
    EVENT_CALL_DIAL as EVENT_CALL_DIAL,
)
from ._constants import (
    EVENT_CALL_ECHO as EVENT_CALL_ECHO,
)
from ._constants import (
    EVENT_CALL_FAX as EVENT_CALL_FAX,
)
from ._constants import (
    EVENT_CALL_HOLD as EVENT_CALL_HOLD,
)
from ._constants import (
    EVENT_CALL_PAY as EVENT_CALL_PAY,
)
from ._constants import (
    EVENT_CALL_PLAY as EVENT_CALL_PLAY,
)
from ._constants import (
    EVENT_CALL_QUEUE as EVENT_CALL_QUEUE,
)
from ._constants import (
    EVENT_CALL_RECEIVE as EVENT_CALL_RECEIVE,
)
from ._constants import (
    EVENT_CALL_RECORD as EVENT_CALL_RECORD,
)
from ._constants import (
    EVENT_CALL_REFER as EVENT_CALL_REFER,
)
from ._constants import (
    EVENT_CALL_SEND_DIGITS as EVENT_CALL_SEND_DIGITS,
)
from ._constants import (
    EVENT_CALL_STATE as EVENT_CALL_STATE,
)
from ._constants import (
    EVENT_CALL_STREAM as EVENT_CALL_STREAM,
)
from ._constants import (
    EVENT_CALL_TAP as EVENT_CALL_TAP,
)
from ._constants import (
    EVENT_CALL_TRANSCRIBE as EVENT_CALL_TRANSCRIBE,
)
from ._constants import (
    EVENT_CALLING_ERROR as EVENT_CALLING_ERROR,
)
from ._constants import (
    EVENT_CONFERENCE as EVENT_CONFERENCE,
)
from ._constants import (
    EVENT_ID_MEMORY as EVENT_ID_MEMORY,
)
from ._constants import (
    EVENT_MESSAGING_RECEIVE as EVENT_MESSAGING_RECEIVE,
)
from ._constants import (
    EVENT_MESSAGING_STATE as EVENT_MESSAGING_STATE,
)
from ._constants import (
    MAX_MESSAGE_SIZE as MAX_MESSAGE_SIZE,
)
from ._constants import (
    MAX_MISSED_PINGS as MAX_MISSED_PINGS,
)
from ._constants import (
    MAX_OFFLINE_QUEUE as MAX_OFFLINE_QUEUE,
)
from ._constants import (
    MESSAGE_STATE_DELIVERED as MESSAGE_STATE_DELIVERED,
)
from ._constants import (
    MESSAGE_STATE_FAILED as MESSAGE_STATE_FAILED,
)
from ._constants import (
    MESSAGE_STATE_INITIATED as MESSAGE_STATE_INITIATED,
)
from ._constants import (
    MESSAGE_STATE_QUEUED as MESSAGE_STATE_QUEUED,
)
from ._constants import (
    MESSAGE_STATE_RECEIVED as MESSAGE_STATE_RECEIVED,
)
from ._constants import (
    MESSAGE_STATE_SENT as MESSAGE_STATE_SENT,
)
from ._constants import (
    MESSAGE_STATE_UNDELIVERED as MESSAGE_STATE_UNDELIVERED,
)
from ._constants import (
    MESSAGE_TERMINAL_STATES as MESSAGE_TERMINAL_STATES,
)
from ._constants import (
    METHOD_SIGNALWIRE_CONNECT as METHOD_SIGNALWIRE_CONNECT,
)
from ._constants import (
    METHOD_SIGNALWIRE_DISCONNECT as METHOD_SIGNALWIRE_DISCONNECT,
)
from ._constants import (
    METHOD_SIGNALWIRE_EVENT as METHOD_SIGNALWIRE_EVENT,
)
from ._constants import (
    METHOD_SIGNALWIRE_PING as METHOD_SIGNALWIRE_PING,
)
from ._constants import (
    METHOD_SIGNALWIRE_RECEIVE as METHOD_SIGNALWIRE_RECEIVE,
)
from ._constants import (
    METHOD_SIGNALWIRE_UNRECEIVE as METHOD_SIGNALWIRE_UNRECEIVE,
)
from ._constants import (
    PING_INTERVAL as PING_INTERVAL,
)
from ._constants import (
    PLAY_STATE_ERROR as PLAY_STATE_ERROR,
)
from ._constants import (
    PLAY_STATE_FINISHED as PLAY_STATE_FINISHED,
)
from ._constants import (
    PLAY_STATE_PAUSED as PLAY_STATE_PAUSED,
)
from ._constants import (
    PLAY_STATE_PLAYING as PLAY_STATE_PLAYING,
)
from ._constants import (
    PROTOCOL_VERSION as PROTOCOL_VERSION,
)
from ._constants import (
    RECONNECT_BACKOFF_FACTOR as RECONNECT_BACKOFF_FACTOR,
)
from ._constants import (
    RECONNECT_MAX_AUTH_ATTEMPTS as RECONNECT_MAX_AUTH_ATTEMPTS,
)
from ._constants import (
    RECONNECT_MAX_DELAY as RECONNECT_MAX_DELAY,
)
from ._constants import (
    RECONNECT_MIN_DELAY as RECONNECT_MIN_DELAY,
)
from ._constants import (
    RECORD_STATE_FINISHED as RECORD_STATE_FINISHED,
)
from ._constants import (
    RECORD_STATE_NO_INPUT as RECORD_STATE_NO_INPUT,
)
from ._constants import (
    RECORD_STATE_PAUSED as RECORD_STATE_PAUSED,
)
from ._constants import (
    RECORD_STATE_RECORDING as RECORD_STATE_RECORDING,
)
from ._constants import (
    ROOM_STATE_JOIN as ROOM_STATE_JOIN,
)
from ._constants import (
    ROOM_STATE_JOINING as ROOM_STATE_JOINING,
)
from ._constants import (
    ROOM_STATE_LEAVE as ROOM_STATE_LEAVE,
)
from ._constants import (
    ROOM_STATE_LEAVING as ROOM_STATE_LEAVING,
)
from ._constants import (
    TIMED_OUT_DIAL_MEMORY as TIMED_OUT_DIAL_MEMORY,
)
from ._errors import (
    InvalidCommandError as InvalidCommandError,
)
from ._errors import (
    LocalProtocolError as LocalProtocolError,
)
from ._errors import (
    RelayProtoError as RelayProtoError,
)
from ._errors import (
    RemoteProtocolError as RemoteProtocolError,
)
from ._events import (
    EVENT_CLASSES as EVENT_CLASSES,
)
from ._events import (
    CallingErrorEvent as CallingErrorEvent,
)
from ._events import (
    CallReceiveEvent as CallReceiveEvent,
)
from ._events import (
    CallStateEvent as CallStateEvent,
)
from ._events import (
    CollectEvent as CollectEvent,
)
from ._events import (
    ConferenceEvent as ConferenceEvent,
)
from ._events import (
    ConnectEvent as ConnectEvent,
)
from ._events import (
    DenoiseEvent as DenoiseEvent,
)
from ._events import (
    DetectEvent as DetectEvent,
)
from ._events import (
    DialEvent as DialEvent,
)
from ._events import (
    EchoEvent as EchoEvent,
)
from ._events import (
    FaxEvent as FaxEvent,
)
from ._events import (
    HoldEvent as HoldEvent,
)
from ._events import (
    MessageReceiveEvent as MessageReceiveEvent,
)
from ._events import (
    MessageStateEvent as MessageStateEvent,
)
from ._events import (
    PayEvent as PayEvent,
)
from ._events import (
    PlayEvent as PlayEvent,
)
from ._events import (
    QueueEvent as QueueEvent,
)
from ._events import (
    RecordEvent as RecordEvent,
)
from ._events import (
    ReferEvent as ReferEvent,
)
from ._events import (
    RelayEvent as RelayEvent,
)
from ._events import (
    SendDigitsEvent as SendDigitsEvent,
)
from ._events import (
    StreamEvent as StreamEvent,
)
from ._events import (
    TapEvent as TapEvent,
)
from ._events import (
    TranscribeEvent as TranscribeEvent,
)
from ._events import (
    parse_event as parse_event,
)
from ._host import (
    Endpoint as Endpoint,
)
from ._host import (
    parse_host as parse_host,
)
from ._ids import (
    IdFactory as IdFactory,
)
from ._ids import (
    SupportsRandom as SupportsRandom,
)
from ._ids import (
    counter_ids as counter_ids,
)
from ._masking import (
    mask_frame as mask_frame,
)
from ._server import (
    RelayServerConnection as RelayServerConnection,
)
from ._types import (
    CallCommand as CallCommand,
)
from ._types import (
    CallInfo as CallInfo,
)
from ._types import (
    MessageInfo as MessageInfo,
)
from ._types import (
    Started as Started,
)

__all__ = [
    "AGENT_STRING",
    "CALL_STATES",
    "CALL_STATE_ANSWERED",
    "CALL_STATE_CREATED",
    "CALL_STATE_ENDED",
    "CALL_STATE_ENDING",
    "CALL_STATE_RINGING",
    "CONNECT_STATE_CONNECTED",
    "CONNECT_STATE_CONNECTING",
    "CONNECT_STATE_DISCONNECTED",
    "CONNECT_STATE_FAILED",
    "DEFAULT_DIAL_TIMEOUT",
    "DEFAULT_MAX_ACTIVE_CALLS",
    "DEFAULT_RELAY_HOST",
    "DEFAULT_REQUEST_TIMEOUT",
    "DETECT_TYPE_DIGIT",
    "DETECT_TYPE_FAX",
    "DETECT_TYPE_MACHINE",
    "ENDED_CALL_MEMORY",
    "END_REASON_ABANDONED",
    "END_REASON_BUSY",
    "END_REASON_CANCEL",
    "END_REASON_DECLINE",
    "END_REASON_ERROR",
    "END_REASON_HANGUP",
    "END_REASON_MAX_DURATION",
    "END_REASON_NOT_FOUND",
    "END_REASON_NO_ANSWER",
    "EVENT_AUTHORIZATION_STATE",
    "EVENT_CALLING_ERROR",
    "EVENT_CALL_AI",
    "EVENT_CALL_COLLECT",
    "EVENT_CALL_CONNECT",
    "EVENT_CALL_DENOISE",
    "EVENT_CALL_DETECT",
    "EVENT_CALL_DIAL",
    "EVENT_CALL_ECHO",
    "EVENT_CALL_FAX",
    "EVENT_CALL_HOLD",
    "EVENT_CALL_PAY",
    "EVENT_CALL_PLAY",
    "EVENT_CALL_QUEUE",
    "EVENT_CALL_RECEIVE",
    "EVENT_CALL_RECORD",
    "EVENT_CALL_REFER",
    "EVENT_CALL_SEND_DIGITS",
    "EVENT_CALL_STATE",
    "EVENT_CALL_STREAM",
    "EVENT_CALL_TAP",
    "EVENT_CALL_TRANSCRIBE",
    "EVENT_CLASSES",
    "EVENT_CONFERENCE",
    "EVENT_ID_MEMORY",
    "EVENT_MESSAGING_RECEIVE",
    "EVENT_MESSAGING_STATE",
    "MAX_MESSAGE_SIZE",
    "MAX_MISSED_PINGS",
    "MAX_OFFLINE_QUEUE",
    "MESSAGE_STATE_DELIVERED",
    "MESSAGE_STATE_FAILED",
    "MESSAGE_STATE_INITIATED",
    "MESSAGE_STATE_QUEUED",
    "MESSAGE_STATE_RECEIVED",
    "MESSAGE_STATE_SENT",
    "MESSAGE_STATE_UNDELIVERED",
    "MESSAGE_TERMINAL_STATES",
    "METHOD_SIGNALWIRE_CONNECT",
    "METHOD_SIGNALWIRE_DISCONNECT",
    "METHOD_SIGNALWIRE_EVENT",
    "METHOD_SIGNALWIRE_PING",
    "METHOD_SIGNALWIRE_RECEIVE",
    "METHOD_SIGNALWIRE_UNRECEIVE",
    "PING_INTERVAL",
    "PLAY_STATE_ERROR",
    "PLAY_STATE_FINISHED",
    "PLAY_STATE_PAUSED",
    "PLAY_STATE_PLAYING",
    "PROTOCOL_VERSION",
    "RECONNECT_BACKOFF_FACTOR",
    "RECONNECT_MAX_AUTH_ATTEMPTS",
    "RECONNECT_MAX_DELAY",
    "RECONNECT_MIN_DELAY",
    "RECORD_STATE_FINISHED",
    "RECORD_STATE_NO_INPUT",
    "RECORD_STATE_PAUSED",
    "RECORD_STATE_RECORDING",
    "ROOM_STATE_JOIN",
    "ROOM_STATE_JOINING",
    "ROOM_STATE_LEAVE",
    "ROOM_STATE_LEAVING",
    "TIMED_OUT_DIAL_MEMORY",
    "ActionCompleted",
    "AuthRejected",
    "CallCommand",
    "CallEvent",
    "CallInfo",
    "CallOverflow",
    "CallReceiveEvent",
    "CallReceived",
    "CallStateEvent",
    "CallingErrorEvent",
    "ClientClosed",
    "ClientConnected",
    "ClientRequest",
    "ClientResponse",
    "CollectEvent",
    "ConferenceEvent",
    "ConnectEvent",
    "DenoiseEvent",
    "DetectEvent",
    "DialAnswered",
    "DialEvent",
    "DialFailed",
    "DialLegCreated",
    "EchoEvent",
    "Endpoint",
    "Event",
    "EventIgnored",
    "FaxEvent",
    "FrameDropped",
    "FrameObserver",
    "HoldEvent",
    "IdFactory",
    "InvalidCommandError",
    "LocalProtocolError",
    "MessageInfo",
    "MessageReceiveEvent",
    "MessageReceived",
    "MessageStateChanged",
    "MessageStateEvent",
    "OrphanHungUp",
    "PayEvent",
    "PlayEvent",
    "QueueEvent",
    "ReconnectDue",
    "RecordEvent",
    "ReferEvent",
    "RelayConnection",
    "RelayEvent",
    "RelayProtoError",
    "RelayServerConnection",
    "RemoteProtocolError",
    "RequestFailed",
    "RequestSucceeded",
    "RequestTimedOut",
    "SendDigitsEvent",
    "ServerDisconnect",
    "SessionReady",
    "SessionState",
    "Started",
    "StreamEvent",
    "SupportsRandom",
    "TapEvent",
    "TranscribeEvent",
    "TransportLost",
    "UnroutedEvent",
    "call_state_reached",
    "commands",
    "counter_ids",
    "fires_on_completed",
    "mask_frame",
    "parse_event",
    "parse_host",
    "state_wait_finished",
]
