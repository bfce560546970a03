"""State of the simulated switch: sessions, calls, remote parties, and request outcomes.

Plain mutable records owned by :class:`~relay_anyio.testing._switch.Switch`; the simulation
modules (``_calls``, ``_actions``, ``_collect``, ``_digits``, ``_dialing``, ``_rooms``,
``_messaging``) change them only through the switch, which keeps the invariants (one owner per
call, events routed to the owner, timers cancelled when a call ends).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ._personas import Persona
from ._script import Intent

if TYPE_CHECKING:
    from ._scheduler import Timer

__all__ = [
    "CALL_STATES",
    "Deliver",
    "InputConsumer",
    "Party",
    "RequestError",
    "ResultCode",
    "Session",
    "SimCall",
    "ok",
]

CALL_STATES = ("created", "ringing", "answered", "ending", "ended")


class RequestError(Exception):
    """Answer the request with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class ResultCode(Exception):
    """Answer the request with a result carrying a non-2xx ``code`` (e.g. 404 call gone)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def ok(message: str, **extra: Any) -> dict[str, Any]:
    """A success result: ``{"code": "200", "message": message, **extra}``."""
    return {"code": "200", "message": message, **extra}


@dataclass(frozen=True, slots=True)
class Deliver:
    """Output of the switch: send ``signalwire.event`` to the client holding ``protocol``."""

    protocol: str
    event_type: str
    params: dict[str, Any]
    t: float = 0.0  # simulated time the event happened


@dataclass(eq=False)
class Session:
    """A RELAY session (a protocol string); it outlives sockets when the client resumes."""

    protocol: str  # signalwire_<signature>_<session_id>
    identity: str
    label: str
    order: int
    contexts: set[str] = field(default_factory=set)
    attached: bool = False
    authorization_state: str = ""
    project: str = ""  # only a client of the same project may resume it
    session_id: str = ""
    signature: str = ""


class InputConsumer(Protocol):
    """Something that listens to the remote party (collect, record, digit detector...)."""

    def take(self, intent: Intent) -> None:
        """Receive the party's next intent (the consumer is no longer registered)."""


class InputListener(InputConsumer, Protocol):
    """A recording: it also hears the input the party gives a collection."""

    def overhear(self, intent: Intent) -> None:
        """The party gave ``intent`` to another consumer; it is recorded all the same."""


@dataclass(eq=False)
class Party:
    """The remote end of a call: the person who phoned in, or the number that was dialled."""

    number: str
    persona: Persona
    intents: deque[Intent] = field(default_factory=deque)
    heard: list[str] = field(default_factory=list)
    received_digits: list[str] = field(default_factory=list)
    waiting: InputConsumer | None = None
    head_timer: Timer | None = None
    started: bool = False  # the script runs once the call is answered
    busy_until: float = 0.0  # a timed Silence at the head of the script
    # Timeouts waiting for this party to decide, held until it has something in its script.
    undecided: list[Callable[[], None]] = field(default_factory=list)
    silent_for: InputConsumer | None = None  # the consumer that got a Silence() intent
    # Recordings running on the call: they hear whatever the party gives a collection, and
    # take the party's input themselves only as the answer to a prompt (see Switch).
    recorders: list[InputConsumer] = field(default_factory=list)
    prompted: bool = False  # heard a prompt since it last gave input
    answering: InputConsumer | None = None  # the recording the party is speaking into


@dataclass(eq=False)
class SimCall:
    """One simulated call leg."""

    call_id: str
    node_id: str
    direction: str
    device: dict[str, Any]
    party: Party
    context: str = ""
    tag: str = ""
    state: str = "created"
    end_reason: str = ""
    owner: str | None = None  # protocol of the controlling session
    offered: bool = False
    passed_by: set[str] = field(default_factory=set)
    created_by: str = ""
    peer_ref: dict[str, Any] | None = None  # {"call_id", "node_id"} of the call that made us
    bridged: SimCall | None = None
    connect_op: Any = None  # the pending calling.connect on this call, if any
    leg_of: Any = None  # the dial/connect ringing this leg, until it answers or ends
    actions: dict[str, Any] = field(default_factory=dict)
    conferences: dict[str, str] = field(default_factory=dict)  # conference_id -> name
    queues: dict[str, str] = field(default_factory=dict)  # queue name -> control_id
    bindings: list[dict[str, Any]] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    held: bool = False
    answered_at: float | None = None
    on_answer: list[Callable[[], None]] = field(default_factory=list)
    listeners: list[Callable[[Intent], None]] = field(default_factory=list)  # transcribers
    linked: SimCall | None = None  # the other leg of a call through a routed number
    on_reject: Callable[[str], None] | None = None  # routed inbound leg ended unanswered
    on_offer: Callable[[bool], None] | None = None  # offered to a client (True) or parked

    @property
    def ended(self) -> bool:
        """True once the call is ``ended`` (or being ended)."""
        return self.state in ("ending", "ended")

    def ref(self) -> dict[str, str]:
        """``{"call_id", "node_id"}`` of this call."""
        return {"call_id": self.call_id, "node_id": self.node_id}

    @property
    def label(self) -> str:
        """The number at the far end, for transcripts."""
        return self.party.number

    @property
    def who(self) -> str:
        """The remote party in transcripts: "caller" for an inbound call, else its number."""
        return "caller" if self.direction == "inbound" else self.party.number
