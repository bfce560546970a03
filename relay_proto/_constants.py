"""Protocol constants: every constant of the official SDK's constants module, plus our limits.

Names and values match ``signalwire.relay.constants`` (signalwire-sdk 3.7.5) so that code using
them ports unchanged; the one deliberate difference is :data:`AGENT_STRING` (decision D25).
The second half holds relay-sansio's own bounds; each says why it exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from . import _version

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
    "DEAD_LINK_TIMEOUT",
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
]

# --------------------------------------------------------------------------- protocol

#: The ``version`` sent in ``signalwire.connect``. Typed read-only: copy it before changing it.
PROTOCOL_VERSION: Final[Mapping[str, int]] = {"major": 2, "minor": 0, "revision": 0}
#: The ``agent`` sent in ``signalwire.connect`` (ours, not the SDK's: decision D25).
AGENT_STRING: Final = f"relay-sansio/{_version.SOURCE_VERSION}"
DEFAULT_RELAY_HOST: Final = "relay.signalwire.com"

METHOD_SIGNALWIRE_CONNECT: Final = "signalwire.connect"
METHOD_SIGNALWIRE_EVENT: Final = "signalwire.event"
METHOD_SIGNALWIRE_PING: Final = "signalwire.ping"
METHOD_SIGNALWIRE_DISCONNECT: Final = "signalwire.disconnect"
METHOD_SIGNALWIRE_RECEIVE: Final = "signalwire.receive"
METHOD_SIGNALWIRE_UNRECEIVE: Final = "signalwire.unreceive"

#: Session-level event carrying the resume token; consumed by the session, never delivered.
EVENT_AUTHORIZATION_STATE: Final = "signalwire.authorization.state"

# --------------------------------------------------------------------------- calls

CALL_STATE_CREATED: Final = "created"
CALL_STATE_RINGING: Final = "ringing"
CALL_STATE_ANSWERED: Final = "answered"
CALL_STATE_ENDING: Final = "ending"
CALL_STATE_ENDED: Final = "ended"

#: The call states in lifecycle order (``wait_for_answered`` & co. compare positions in it).
CALL_STATES: Final = (
    CALL_STATE_CREATED,
    CALL_STATE_RINGING,
    CALL_STATE_ANSWERED,
    CALL_STATE_ENDING,
    CALL_STATE_ENDED,
)

END_REASON_HANGUP: Final = "hangup"
END_REASON_CANCEL: Final = "cancel"
END_REASON_BUSY: Final = "busy"
END_REASON_NO_ANSWER: Final = "noAnswer"
END_REASON_DECLINE: Final = "decline"
END_REASON_ERROR: Final = "error"
END_REASON_ABANDONED: Final = "abandoned"
END_REASON_MAX_DURATION: Final = "max_duration"
END_REASON_NOT_FOUND: Final = "not_found"

CONNECT_STATE_CONNECTING: Final = "connecting"
CONNECT_STATE_CONNECTED: Final = "connected"
CONNECT_STATE_DISCONNECTED: Final = "disconnected"
CONNECT_STATE_FAILED: Final = "failed"

# --------------------------------------------------------------------------- event types

EVENT_CALL_STATE: Final = "calling.call.state"
EVENT_CALL_RECEIVE: Final = "calling.call.receive"
EVENT_CALL_CONNECT: Final = "calling.call.connect"
EVENT_CALL_PLAY: Final = "calling.call.play"
EVENT_CALL_COLLECT: Final = "calling.call.collect"
EVENT_CALL_RECORD: Final = "calling.call.record"
EVENT_CALL_DETECT: Final = "calling.call.detect"
EVENT_CALL_FAX: Final = "calling.call.fax"
EVENT_CALL_TAP: Final = "calling.call.tap"
EVENT_CALL_SEND_DIGITS: Final = "calling.call.send_digits"
EVENT_CALL_DIAL: Final = "calling.call.dial"
EVENT_CALL_REFER: Final = "calling.call.refer"
EVENT_CALL_DENOISE: Final = "calling.call.denoise"
EVENT_CALL_PAY: Final = "calling.call.pay"
EVENT_CALL_QUEUE: Final = "calling.call.queue"
EVENT_CALL_STREAM: Final = "calling.call.stream"
EVENT_CALL_ECHO: Final = "calling.call.echo"
EVENT_CALL_TRANSCRIBE: Final = "calling.call.transcribe"
EVENT_CONFERENCE: Final = "calling.conference"
EVENT_CALLING_ERROR: Final = "calling.error"
# Not in the SDK's constants (it has a HoldEvent class but no constant, and neither for AI);
# ours, so that action completion (D12) can name the event type it waits for.
EVENT_CALL_HOLD: Final = "calling.call.hold"
EVENT_CALL_AI: Final = "calling.call.ai"

EVENT_MESSAGING_RECEIVE: Final = "messaging.receive"
EVENT_MESSAGING_STATE: Final = "messaging.state"

# --------------------------------------------------------------------------- messages

MESSAGE_STATE_QUEUED: Final = "queued"
MESSAGE_STATE_INITIATED: Final = "initiated"
MESSAGE_STATE_SENT: Final = "sent"
MESSAGE_STATE_DELIVERED: Final = "delivered"
MESSAGE_STATE_UNDELIVERED: Final = "undelivered"
MESSAGE_STATE_FAILED: Final = "failed"
MESSAGE_STATE_RECEIVED: Final = "received"

#: A ``messaging.state`` in one of these completes the message; it is then no longer tracked.
MESSAGE_TERMINAL_STATES: Final = (
    MESSAGE_STATE_DELIVERED,
    MESSAGE_STATE_UNDELIVERED,
    MESSAGE_STATE_FAILED,
)

# --------------------------------------------------------------------------- action states

PLAY_STATE_PLAYING: Final = "playing"
PLAY_STATE_PAUSED: Final = "paused"
PLAY_STATE_FINISHED: Final = "finished"
PLAY_STATE_ERROR: Final = "error"

RECORD_STATE_RECORDING: Final = "recording"
RECORD_STATE_PAUSED: Final = "paused"
RECORD_STATE_FINISHED: Final = "finished"
RECORD_STATE_NO_INPUT: Final = "no_input"

DETECT_TYPE_MACHINE: Final = "machine"
DETECT_TYPE_FAX: Final = "fax"
DETECT_TYPE_DIGIT: Final = "digit"

# Defined by the SDK and unused by it; kept for programs that import them.
ROOM_STATE_JOINING: Final = "joining"
ROOM_STATE_JOIN: Final = "join"
ROOM_STATE_LEAVING: Final = "leaving"
ROOM_STATE_LEAVE: Final = "leave"

# --------------------------------------------------------------------------- reconnection

# Backoff between reconnect attempts, in seconds: start at the minimum, multiply by the factor
# after each wait, never above the maximum (jitter on top: decision D6).
RECONNECT_MIN_DELAY: Final = 1.0
RECONNECT_MAX_DELAY: Final = 30.0
RECONNECT_BACKOFF_FACTOR: Final = 2.0
# Consecutive auth rejections, before any success, after which we stop reconnecting: bad
# credentials never fix themselves, and hammering the server with them helps nobody (D7).
RECONNECT_MAX_AUTH_ATTEMPTS: Final = 3

# --------------------------------------------------------------------------- our limits

# A request the server has not answered in this many seconds fails on its own (D1), so that
# no caller waits forever on a reply that was lost; the server normally answers in ms.
DEFAULT_REQUEST_TIMEOUT: Final = 10.0
# Seconds between our signalwire.ping requests while the session is ready (D2): the only way
# to notice a half-open TCP link, which otherwise looks healthy and silent forever.
PING_INTERVAL: Final = 30.0
# Consecutive failed pings before the transport is declared lost (D2): one lost ping on a busy
# link is not a dead link, but three in a row (with backoff between them) is.
MAX_MISSED_PINGS: Final = 3
# Once the server has been seen pinging (it pings more often than every 15 s), this many seconds
# without any frame from it mean the link is dead (half-open): it is closed and reconnected.
DEAD_LINK_TIMEOUT: Final = 20.0
# Requests kept while disconnected or authenticating (D3, D4): bounds memory when an
# application keeps issuing commands during a long outage; the next one fails at once.
MAX_OFFLINE_QUEUE: Final = 500
# Largest inbound WebSocket message accepted, in bytes (as the SDK): bounds the memory one
# peer message can take; a larger one is dropped and the connection kept.
MAX_MESSAGE_SIZE: Final = 10 * 1024 * 1024
# Inbound calls tracked at once (the SDK's default): bounds per-call state; above it an inbound
# call is handed back with calling.pass so another consumer takes it (D11).
DEFAULT_MAX_ACTIVE_CALLS: Final = 1000
# Seconds a dial waits for its calling.call.dial outcome (the SDK's default): a dial the server
# never resolves must not wait forever (D18).
DEFAULT_DIAL_TIMEOUT: Final = 120.0
# Ended call ids remembered so late events for them are recognised and dropped (D15); bounded
# so that a long-running process does not grow without limit.
ENDED_CALL_MEMORY: Final = 1024
# Event ids remembered to detect redelivered events (D10); redelivery happens within seconds,
# so a window of the last 1024 is enough, and it bounds memory.
EVENT_ID_MEMORY: Final = 1024
# Timed-out dial tags remembered so that a late "answered" leg is hung up, not orphaned (D18);
# bounded because timed-out dials accumulate over the process lifetime.
TIMED_OUT_DIAL_MEMORY: Final = 256
