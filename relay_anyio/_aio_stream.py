"""The socket on asyncio: an :class:`asyncio.Protocol` that hands every chunk straight to the core.

On asyncio the runner does not read through an anyio byte stream. The event loop calls
:meth:`AioStream.data_received` with each chunk the socket delivered, and the runner feeds it to
the core and writes the core's answer (ACKs, pongs) with ``transport.write`` in the same
callback: no reader task, no ``await`` per chunk, no switching the socket's reader on and off,
no write lock (``transport.write`` is synchronous, so output leaves in the order the core
produced it). Trio keeps the anyio stream path (:func:`relay_anyio._transport.open_stream`);
the two behave the same behind :class:`~relay_anyio._runner.SessionRunner`.

TLS uses the same context (system trust store plus ``SIGNALWIRE_RELAY_CA_FILE``, decision D22)
through ``loop.create_connection(ssl=...)``; a peer that closes without a TLS ``close_notify``
is an ordinary end of stream, as on the anyio path.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import ssl
from collections.abc import Callable, Coroutine
from typing import Any

import anyio

from relay_proto import Endpoint

__all__ = ["AioStream", "AioTasks", "open_protocol"]

logger = logging.getLogger("relay_anyio")

OnData = Callable[[bytes | None], None]
# done(task, payload): a task of AioTasks ended.
Done = Callable[["asyncio.Task[Any]", Any], None]


def _ignore(data: bytes | None) -> None:
    return None


class AioStream(asyncio.Protocol):
    """One TCP (or TLS) connection on asyncio, delivering bytes to ``on_data``.

    ``on_data(chunk)`` runs inside the event loop's callback for every chunk; ``on_data(None)``
    once, at end of stream or when the connection breaks. An exception escaping ``on_data`` is
    a bug: it ends the connection and is raised by :meth:`wait_closed`.
    """

    __slots__ = ("_closed", "_drained", "_ended", "_on_data", "_paused", "call_soon", "transport")

    def __init__(self, on_data: OnData, loop: asyncio.AbstractEventLoop) -> None:
        self._on_data = on_data
        #: The loop's ``call_soon`` (for the runner, which does not import asyncio).
        self.call_soon = loop.call_soon
        self.transport: asyncio.Transport | None = None
        self._closed: asyncio.Future[None] = loop.create_future()
        self._paused = False
        self._drained: asyncio.Future[None] | None = None
        self._ended = False

    # ---------------------------------------------------------------- asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self._on_data(data)
        except BaseException as exc:
            self._crash(exc)

    def eof_received(self) -> bool:
        self._end()
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()
        if not self._closed.done():
            self._closed.set_result(None)
        self._wake_writer()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_writer()

    # ---------------------------------------------------------------- used by the runner

    def write(self, data: bytes) -> bool:
        """Queue ``data`` on the socket; ``False`` if the connection is closing or closed."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        transport.write(data)
        return True

    @property
    def paused(self) -> bool:
        """Whether a writer must wait (:meth:`drain`): the socket's buffer is full."""
        return self._paused and not self._closed.done()

    async def drain(self) -> None:
        """Wait while the socket's write buffer is above its high-water mark."""
        while self._paused and not self._closed.done():
            if self._drained is None:
                self._drained = asyncio.get_running_loop().create_future()
            await self._drained

    async def wait_closed(self) -> None:
        """Wait until the connection is gone.

        Raises:
            BaseException: what ``on_data`` raised, if it did.
        """
        await asyncio.shield(self._closed)

    def detach(self) -> None:
        """Deliver nothing more to ``on_data`` (the runner moved on to another socket)."""
        self._on_data = _ignore
        self._ended = True

    async def aclose(self, timeout: float) -> None:
        """Close: queued bytes are written first; after ``timeout`` seconds, abort."""
        self.detach()
        transport = self.transport
        if transport is None:
            return
        transport.close()
        with anyio.move_on_after(timeout) as scope:
            await asyncio.shield(self._closed)
        if scope.cancelled_caught:
            transport.abort()

    # ---------------------------------------------------------------- internals

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        try:
            self._on_data(None)
        except BaseException as exc:
            self._crash(exc)

    def _crash(self, exc: BaseException) -> None:
        self._on_data = _ignore
        self._ended = True
        if not self._closed.done():
            self._closed.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def _wake_writer(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)


async def open_protocol(
    endpoint: Endpoint, ssl_context: ssl.SSLContext | None, timeout: float, on_data: OnData
) -> AioStream:
    """Open TCP (and TLS) to ``endpoint`` within ``timeout`` seconds, on the running asyncio loop.

    Raises:
        OSError: the connection failed (``ssl.SSLError``, a subclass, for certificate
            problems and when the peer broke off the TLS handshake).
        TimeoutError: it did not complete within ``timeout``.
    """
    loop = asyncio.get_running_loop()
    with anyio.fail_after(timeout):
        try:
            _, protocol = await loop.create_connection(
                lambda: AioStream(on_data, loop),
                endpoint.host,
                endpoint.port,
                ssl=ssl_context,
                server_hostname=endpoint.host if ssl_context is not None else None,
            )
        except ssl.SSLError:
            raise
        except (ConnectionError, EOFError) as exc:
            if ssl_context is None or isinstance(exc, ConnectionRefusedError):
                raise
            # A TLS failure like any other (ssl.SSLError), as the stream path and relay_sync.
            detail = str(exc) or type(exc).__name__
            raise ssl.SSLError(f"TLS handshake with {endpoint.authority} failed: {detail}") from exc
    return protocol


class AioTasks:
    """Plain asyncio tasks for a session's handlers, instead of anyio task-group children.

    On asyncio an anyio task-group child costs, on top of the asyncio task, a task handle with
    its own event, a cancel scope and bookkeeping (about 2 KB per task with anyio 4.16); a
    session holding thousands of calls holds that many handler tasks. These tasks are tracked
    here and cancelled (and waited for) by :meth:`cancel_all` when the session ends, which is
    what the task group did. The coroutines handle their own exceptions (``Spawner`` contract),
    or the ``done`` callback given to :meth:`start` does.
    """

    __slots__ = ("_callback_context", "_ended_callback", "_loop", "_tasks")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        # task -> (done, payload) for its end, or None.
        self._tasks: dict[asyncio.Task[Any], tuple[Done, Any] | None] = {}
        # The context the done callbacks run in: one for all (each would copy the current one).
        self._callback_context = contextvars.copy_context()
        self._ended_callback = self._ended  # one bound method for every task

    @classmethod
    def on_running_loop(cls) -> AioTasks:
        """Tasks on the running event loop."""
        return cls(asyncio.get_running_loop())

    def start(
        self,
        coro: Coroutine[Any, Any, Any],
        name: str,
        context: contextvars.Context | None = None,
        done: Done | None = None,
        payload: Any = None,
    ) -> None:
        """Run ``coro`` in a new task, in a copy of ``context`` (default: of the current one);
        when it ends, ``done(task, payload)`` is called (when given)."""
        if context is None:
            task = self._loop.create_task(coro, name=name)
        else:  # the task copies the context it is created in
            task = context.run(self._loop.create_task, coro, name=name)
        self._tasks[task] = None if done is None else (done, payload)
        task.add_done_callback(self._ended_callback, context=self._callback_context)

    def _ended(self, task: asyncio.Task[Any]) -> None:
        end = self._tasks.pop(task, None)
        if end is not None:
            end[0](task, end[1])

    async def cancel_all(self) -> None:
        """Cancel every running task and wait until all have finished (tasks they start
        meanwhile included). Call it shielded from cancellation."""
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
