"""relay-fuzz: a protocol fuzzer for any RELAY endpoint (``relay-fuzz`` / ``python -m relay_fuzz``).

It connects to a RELAY server as a client (the emulator, your server or test double), sends
programs drawn from :mod:`relay_proto.strategies` (valid requests of every method mixed with
near-valid and malformed frames), and reports protocol violations, crashes (a closed socket)
and hangs, each with the minimal program that reproduces it, saved to a file that
``relay-fuzz URL --replay FILE`` replays. It needs the ``fuzz`` extra
(``pip install 'relay-sansio[fuzz]'``).

It lives outside relay_proto because it opens sockets (relay_proto is sans-I/O) and outside the
adapters because it needs no event loop: plain blocking sockets and relay_proto's transport.
Loopback only unless ``--allow-remote`` is given. See docs/fuzzing.md.
"""

from ._client import Finding, Settings, Stats, execute, load_program, programs, save_program
from ._fuzzer import Outcome, fuzz
from ._link import Endpoint, parse_url
from ._report import report

__all__ = [
    "Endpoint",
    "Finding",
    "Outcome",
    "Settings",
    "Stats",
    "execute",
    "fuzz",
    "load_program",
    "parse_url",
    "programs",
    "report",
    "save_program",
]
