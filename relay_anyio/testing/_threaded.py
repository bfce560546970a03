"""``ThreadedEmulator``: the RELAY emulator on an event loop in a background thread.

Blocking code (``relay_sync`` clients, plain pytest tests, scripts) cannot ``await``. This runs a
:class:`RelayEmulator` in its own thread (an anyio blocking portal, asyncio or trio) and offers
the same scripting API as plain calls: every method and attribute of the emulator, and of the
objects it hands out (callers, faults, the journal), is reached through the portal, so it runs in
the emulator's thread (no data race) and an ``async`` method simply blocks until it is done::

    with ThreadedEmulator(project="p", token="t", time_scale=0.001) as emu:
        client = relay_sync.RelayClient(project="p", token="t", host=emu.url, ...)
        caller = emu.call(context="office", from_number="+15551230001",
                          to_number="+15551230002", script=[Press("1")])
        caller.wait_ended()
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._emulator import RelayEmulator

__all__ = ["Blocking", "ThreadedEmulator"]


def _wants_proxy(value: object) -> bool:
    # Objects of the emulator with behaviour (callers, faults, the journal...) are proxied;
    # plain records (frozen dataclasses such as JournalEntry or ClientInfo), exceptions and
    # everything else are returned as they are.
    module = type(value).__module__
    return (
        module.startswith("relay_anyio.testing")
        and not dataclasses.is_dataclass(value)
        and not isinstance(value, (BaseException, type))
    )


class Blocking:
    """A blocking view of one emulator object: attribute reads and method calls run in the
    emulator's thread; an ``async`` method blocks until it returns. Results that are emulator
    objects come back wrapped too (lists and tuples of them as well)."""

    __slots__ = ("_portal", "_target")
    _portal: Callable[[], BlockingPortal | None]
    _target: Any

    def __init__(self, target: object, portal: Callable[[], BlockingPortal | None]) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_portal", portal)

    def _run(self, fn: Callable[[], Any]) -> Any:
        portal = self._portal()
        # Once the emulator's loop is gone nothing else touches its state: read it directly
        # (a transcript after the test, say).
        value = fn() if portal is None else portal.call(fn)
        return self._wrap(value)

    def _wrap(self, value: Any) -> Any:
        if type(value) in (list, tuple):
            return type(value)(self._wrap(item) for item in value)
        if _wants_proxy(value):
            return Blocking(value, self._portal)
        return value

    def __getattr__(self, name: str) -> Any:
        target = self._target
        if name.startswith("__"):
            raise AttributeError(name)
        if target is None:
            raise AttributeError(f"{name}: the emulator is not running (start it first)")
        if inspect.ismethod(getattr(type(target), name, None)) or callable(
            getattr(type(target), name, None)
        ):
            method = getattr(target, name)

            @functools.wraps(method)
            def call(*args: Any, **kwargs: Any) -> Any:
                return self._run(functools.partial(method, *args, **kwargs))

            return call
        return self._run(lambda: getattr(target, name))

    def __iter__(self) -> Iterator[Any]:
        """Iterate over a snapshot taken in the emulator's thread (``for e in emu.journal``)."""
        target = self._target
        return iter(self._run(lambda: list(target)))

    def __setattr__(self, name: str, value: Any) -> None:
        target = self._target
        self._run(lambda: setattr(target, name, value))

    def __repr__(self) -> str:
        return f"Blocking({self._target!r})"


class ThreadedEmulator(Blocking):
    """A :class:`RelayEmulator` running in a background thread, scripted from blocking code.

    Takes the :class:`RelayEmulator` keyword arguments, plus ``backend`` (``"asyncio"`` or
    ``"trio"``) and ``backend_options`` for the event loop. Use it as a context manager, or call
    :meth:`start` and :meth:`close`. Every emulator method is available as a plain call
    (``emu.call(...)``, ``caller.wait_answered()``, ``emu.wait_for_request(...)``,
    ``emu.faults.drop_all_now()``...), with the same arguments and results as the async API.
    """

    __slots__ = ("_backend", "_backend_options", "_options", "_running", "_stack", "_tasks")
    _backend: str
    _backend_options: dict[str, Any] | None
    _options: dict[str, Any]
    _running: BlockingPortal | None
    _stack: contextlib.ExitStack | None
    _tasks: list[concurrent.futures.Future[Any]]

    def __init__(
        self,
        *,
        backend: str = "asyncio",
        backend_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(None, lambda: None)
        object.__setattr__(self, "_backend", backend)
        object.__setattr__(self, "_backend_options", backend_options)
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_stack", None)
        object.__setattr__(self, "_running", None)
        object.__setattr__(self, "_tasks", [])

    def start(self) -> ThreadedEmulator:
        """Start the loop thread and the emulator in it; returns ``self``.

        Raises:
            RuntimeError: already started.
        """
        if self._stack is not None:
            raise RuntimeError("this ThreadedEmulator is already running")
        options = self._options
        with contextlib.ExitStack() as stack:
            portal = stack.enter_context(
                start_blocking_portal(self._backend, self._backend_options)
            )
            emulator: RelayEmulator = portal.call(lambda: RelayEmulator(**options))
            stack.enter_context(portal.wrap_async_context_manager(emulator))
            object.__setattr__(self, "_target", emulator)
            object.__setattr__(self, "_running", portal)
            object.__setattr__(self, "_portal", lambda: self._running)
            object.__setattr__(self, "_stack", stack.pop_all())
        return self

    def close(self) -> None:
        """Stop the emulator (clients are disconnected) and its thread. Idempotent."""
        stack = self._stack
        if stack is None:
            return
        object.__setattr__(self, "_stack", None)
        for task in self._tasks:
            task.cancel()  # still running: the portal would wait for them
        self._tasks.clear()
        try:
            stack.close()
        finally:
            object.__setattr__(self, "_running", None)

    def start_soon(
        self, fn: Callable[..., Awaitable[Any]], *args: Any
    ) -> concurrent.futures.Future[Any]:
        """Start ``await fn(*args)`` in the emulator's thread and return at once.

        For scripting that runs alongside blocking code (callers that phone in once a client is
        there, say): ``fn`` gets the plain async API (pass it :attr:`emulator`). It is cancelled
        if still running when the emulator closes.

        Returns:
            A :class:`concurrent.futures.Future` of its result.

        Raises:
            RuntimeError: not running.
        """
        portal = self._running
        if portal is None:
            raise RuntimeError("this ThreadedEmulator is not running (start it first)")
        task = portal.start_task_soon(fn, *args)
        self._tasks[:] = [t for t in self._tasks if not t.done()]
        self._tasks.append(task)
        return task

    @property
    def emulator(self) -> RelayEmulator:
        """The underlying :class:`RelayEmulator` (touch it only from the emulator's thread).

        Raises:
            RuntimeError: not started.
        """
        if self._target is None:
            raise RuntimeError("this ThreadedEmulator was never started")
        emulator: RelayEmulator = self._target
        return emulator

    def __enter__(self) -> ThreadedEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self._stack is not None else "stopped"
        return f"ThreadedEmulator({self._backend}, {state})"
