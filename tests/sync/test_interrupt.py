"""Ctrl+C and SIGTERM stop ``client.run()`` cleanly, in a real process.

The program (``interrupt_app.py``) runs ``client.run()`` in its main thread against an emulator
on a background thread; the test reads its progress lines and sends the signals at the right
moments (no sleeps: each signal follows a line that proves the program is ready for it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("interrupt_app.py")
TIMEOUT = 60

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="POSIX signals (os.kill with SIGINT) are needed"
)


class App:
    """The program under test, with its stdout read line by line."""

    def __init__(self, mode: str) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(APP), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.lines: list[str] = []

    def wait_for(self, prefix: str) -> str:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(prefix):
                return line.rstrip("\n")
        self.finish()
        raise AssertionError(f"no {prefix!r} line; got {self.lines}")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def finish(self) -> tuple[int, list[str], str]:
        try:
            out, err = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"the program did not exit; stderr: {err}") from None
        self.lines.extend(out.splitlines())
        return self.proc.returncode, self.lines, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_run_gracefully(signum: int) -> None:
    app = App("graceful")
    app.wait_for("HANDLER STARTED")
    app.signal(signum)
    code, lines, err = app.finish()
    assert code == 0, err
    assert "Traceback" not in err, err
    names = [line for line in lines if line.split()[0] in ("STOPPING", "HANDLER", "RUN")]
    assert names[0] == "HANDLER STARTED"
    assert names[1] == "STOPPING"
    assert names[2] == "HANDLER DONE"  # the running handler finished before the disconnect
    assert names[3].startswith("RUN RETURNED")
    assert "HEARD ['Goodbye']" in lines
    assert "ENDED hangup" in lines


def test_a_second_interrupt_stops_at_once() -> None:
    app = App("stuck")  # its handler never ends by itself; shutdown_timeout is 60 s
    app.wait_for("HANDLER STARTED")
    app.signal(signal.SIGINT)
    app.wait_for("STOPPING")
    app.signal(signal.SIGINT)
    returned = app.wait_for("RUN RETURNED")
    code, lines, err = app.finish()
    assert code == 0, err
    assert "Traceback" not in err, err
    assert float(returned.split()[2]) < 60  # did not wait for the stuck handler
    assert "HANDLER DONE" not in lines
