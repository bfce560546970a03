"""The ``signalwire.*`` methods: authentication, sessions and resume, contexts, execute.

Everything else a client sends goes to the switch. A session outlives its socket: a client that
reconnects with the ``protocol`` it was given gets the same session back (``session_restored``)
and the events that piled up meanwhile. Each (re)authentication pushes a fresh
``signalwire.authorization.state``.
"""

from __future__ import annotations

import base64
import itertools
from typing import TYPE_CHECKING, Any

from ._connections import ClientSocket, Mailbox
from ._model import RequestError, Session

if TYPE_CHECKING:
    from ._server import EmulatorServer

__all__ = ["AUTH_FAILED_CODE", "AUTH_FAILED_MESSAGE", "SessionDesk"]

# What the service answers a rejected signalwire.connect (spec 1.3 [js]): clients that know the
# service read -32002 as a credential rejection and any other code as a transient failure.
AUTH_FAILED_CODE = -32002
AUTH_FAILED_MESSAGE = (
    "Authentication service failed with status ProtocolError, 401 Unauthorized: {}"
)


class SessionDesk:
    """Answers ``signalwire.*`` requests for the server and hands the rest to the switch."""

    def __init__(self, server: EmulatorServer) -> None:
        self._server = server
        self._auth_seq = itertools.count(1)

    def dispatch(
        self, client: ClientSocket, method: str, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The result of one request (``None``: no reply).

        Raises:
            RequestError: answer with a JSON-RPC error.
        """
        server = self._server
        if method == "signalwire.connect":
            return self._connect(client, params)
        if method == "signalwire.ping":
            return None if server.faults.pings_ignored else {}
        session = client.session
        if session is None:
            raise RequestError(
                -32000,
                "Not authenticated: send signalwire.connect first",
                {"signalwire_error_code": "AUTH_REQUIRED"},
            )
        if method in ("signalwire.receive", "signalwire.unreceive"):
            return self._receive(session, method, params)
        if method == "signalwire.execute":
            return self._execute(client, params)
        if method == "signalwire.reauthenticate":
            self._authenticate(client, params.get("authentication"))
            return {"authentication": "accepted", "authorization": self._authorization(session)}
        return server.switch.request(session, method, params)

    def _authenticate(self, client: ClientSocket, auth: object) -> str:
        """Check the credentials; return the client's project.

        Raises:
            RequestError: rejected, the way the service rejects them (-32002 unless a fault
                says otherwise).
        """
        server = self._server
        faults = server.faults
        if faults.rejecting:
            server.log_conn(client, "authentication rejected (fault)")
            raise RequestError(faults.reject_code, faults.reject_message, None)
        problem = server.credentials.check(auth)
        if problem is not None:
            code, message = problem
            server.log_conn(client, f"authentication rejected: {message}")
            why = {"signalwire_error_code": code, "reason": message}
            raise RequestError(AUTH_FAILED_CODE, AUTH_FAILED_MESSAGE, why)
        project = auth.get("project") if isinstance(auth, dict) else None
        return str(project or server.credentials.project or "emulator-project")

    def _authorization(self, session: Session) -> dict[str, Any]:
        return {
            "project": session.project,
            "expires_at": None,
            "scopes": ["calling", "messaging", "tasking"],
            "signature": session.signature,
        }

    def _connect(self, client: ClientSocket, params: dict[str, Any]) -> dict[str, Any]:
        server, switch = self._server, self._server.switch
        if client.session is not None:
            raise RequestError(-32600, "Already authenticated on this connection")
        project = self._authenticate(client, params.get("authentication"))
        contexts = params.get("contexts", [])
        if not isinstance(contexts, list) or not all(isinstance(c, str) and c for c in contexts):
            raise RequestError(-32602, "Invalid params: contexts must be a list of strings")
        if params.get("event_acks") is not True:
            server.violation(f"conn{client.number}: signalwire.connect without event_acks: true")
        resume = params.get("protocol") if isinstance(params.get("protocol"), str) else None
        session, restored = switch.open_session(contexts=contexts, resume=resume, project=project)
        fast = bool(params.get("authorization_state")) and (
            params.get("authorization_state") == session.authorization_state
        )
        client.agent = str(params.get("agent", ""))
        self._attach(client, session)
        how = "resumed" if restored else "new session"
        note = " (authorization_state accepted)" if fast else ""
        server.log_conn(client, f"{session.label} authenticated, {how}{note}, contexts {contexts}")
        if resume and not restored:
            server.log_conn(client, f"cannot resume {resume!r}: started a fresh session")
        return {
            "protocol": session.protocol,
            "identity": session.identity,
            "session_restored": restored,
            "sessionid": session.session_id,
            "nodeid": switch.node_id,
            "master_nodeid": switch.node_id,
            "host": f"{server.host}:{server.port}",
            "authorization": self._authorization(session),
            "authorizations": [],
            "accesses": [],
            "ice_servers": [],
            "protocols": [session.protocol],
            "protocols_uncertified": [],
            "subscriptions": sorted(session.contexts),
        }

    def _attach(self, client: ClientSocket, session: Session) -> None:
        server = self._server
        box = server.mailboxes.setdefault(session.protocol, Mailbox())
        if box.client is not None and box.client is not client:
            old = box.client
            server.log_conn(old, f"{session.label} resumed on conn{client.number}: closing")
            self.release(old)
            old.kill("now")
        client.session = session
        box.client = client
        # An opaque "<encrypted>:<tag>" blob, as the guide describes it.
        blob = base64.b64encode(f"{session.protocol}|{next(self._auth_seq)}".encode()).decode()
        tag = base64.b64encode(f"tag{session.order}".encode()).decode()
        session.authorization_state = f"{blob}:{tag}"
        auth_state = {"authorization_state": session.authorization_state}
        event = server.outbound("signalwire.authorization.state", auth_state, server.sim_now())
        box.queue.appendleft(event)
        server.switch.attach(session)

    def release(self, client: ClientSocket) -> None:
        """The socket is going away: its session's events in flight wait for a resume."""
        session = client.session
        box = self._server.mailboxes.get(session.protocol) if session else None
        if session is None or box is None or box.client is not client:
            return
        box.requeue()
        self._server.switch.detach(session)

    def _receive(self, session: Session, method: str, params: dict[str, Any]) -> dict[str, Any]:
        switch = self._server.switch
        contexts = params.get("contexts")
        if not isinstance(contexts, list) or not contexts:
            raise RequestError(-32602, "Invalid params: contexts must be a non-empty list")
        if not all(isinstance(c, str) and c for c in contexts):
            raise RequestError(-32602, "Invalid params: contexts must be strings")
        if method == "signalwire.receive":
            switch.subscribe(session, contexts)
            switch.log(session.label, f"receiving {contexts}")
            return {"code": "200", "message": "Receiving events"}
        switch.unsubscribe(session, contexts)
        switch.log(session.label, f"no longer receiving {contexts}")
        return {"code": "200", "message": "Unreceiving events"}

    def _execute(self, client: ClientSocket, params: dict[str, Any]) -> dict[str, Any]:
        method = params.get("method")
        inner = params.get("params", {})
        if not isinstance(method, str) or method in ("signalwire.connect", "signalwire.execute"):
            raise RequestError(-32602, "Invalid params: method must name another RELAY method")
        if not isinstance(inner, dict):
            raise RequestError(-32602, "Invalid params: params must be an object")
        result = self.dispatch(client, method, inner)
        node = self._server.switch.node_id
        return {"result": result or {}, "requester_nodeid": node, "responder_nodeid": node}
