"""Small helpers shared by the relay_sync tests."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

PROJECT = "sync-project-id"
TOKEN = "PTsync-secret-token"
# Simulated seconds are a thousand times faster: a 3 s prompt takes 3 ms.
TIME_SCALE = 0.001
# Safety bound on every wait in these tests, so that a bug fails a test instead of hanging the
# suite. Nothing ever sleeps: waits end on events long before this.
WAIT = 15.0

CALLER = "+15551230001"
LINE = "+15551230002"
AGENT = "+15552002000"


def tts(text: str) -> dict[str, Any]:
    """A TTS media item."""
    return {"type": "tts", "params": {"text": text}}


def phone(to_number: str, from_number: str = LINE) -> dict[str, Any]:
    """A phone device."""
    return {"type": "phone", "params": {"to_number": to_number, "from_number": from_number}}


class Outcome:
    """What handlers running on the client's threads did: their results and their failures.

    A handler decorated with :meth:`track` records its return value (or exception); the test
    then calls :meth:`wait` to block until ``expected`` handlers finished and re-raise the first
    failure in the test's own thread.
    """

    def __init__(self, expected: int = 1) -> None:
        self.expected = expected
        self.results: list[Any] = []
        self.errors: list[BaseException] = []
        self.threads: set[str] = set()
        self._cond = threading.Condition()

    def track(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._cond:
                self.threads.add(threading.current_thread().name)
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                with self._cond:
                    self.errors.append(exc)
                    self._cond.notify_all()
                raise
            with self._cond:
                self.results.append(result)
                self._cond.notify_all()
            return result

        return wrapper  # type: ignore[return-value]

    def wait(self, timeout: float = WAIT) -> list[Any]:
        """Block until ``expected`` handlers finished; return their results.

        Raises:
            BaseException: the first error a handler raised.
            AssertionError: they did not finish in time.
        """
        with self._cond:
            finished = self._cond.wait_for(
                lambda: len(self.results) + len(self.errors) >= self.expected, timeout
            )
            if self.errors:
                raise self.errors[0]
            assert finished, f"{len(self.results)}/{self.expected} handlers finished in time"
            return list(self.results)
