"""``relay-fuzz``: fuzz a RELAY endpoint (see :mod:`relay_fuzz`).

    relay-fuzz ws://127.0.0.1:8765 --project P --token T --budget 60
    relay-fuzz ws://127.0.0.1:8765 --examples 200 --seed 7 --out finding.json
    relay-fuzz ws://127.0.0.1:8765 --replay finding.json
    relay-fuzz --serve ws://127.0.0.1:9000 --budget 60     # be the server of your client

Exit status: 0 nothing found, 1 a finding (saved with ``--out``), 2 a usage or setup error.
"""

from __future__ import annotations

import argparse
import sys

from ._client import CredentialsRejected, Finding, Settings, execute, load_program, save_program
from ._fuzzer import fuzz
from ._link import is_loopback, parse_url
from ._report import report
from ._serve import Listener, serve_execute

REMOTE_WARNING = (
    "relay-fuzz: {host} is not a loopback address. The fuzzer sends malformed frames on "
    "purpose and may disturb, or be billed by, whatever runs there. Only fuzz servers you "
    "own. Pass --allow-remote to go ahead."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relay-fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "url",
        help="ws://host:port of the RELAY server to fuzz (with "
        "--serve: where to listen for the client)",
    )
    parser.add_argument(
        "--serve", action="store_true", help="serve: fuzz a RELAY client that connects to URL"
    )
    parser.add_argument(
        "--accept-timeout",
        type=float,
        default=30.0,
        help="--serve: seconds to wait for the client to (re)connect",
    )
    parser.add_argument("--project", default="p-1", help="project id for signalwire.connect")
    parser.add_argument("--token", default="PT-1", help="API token for signalwire.connect")
    parser.add_argument("--context", action="append", help="context to subscribe (repeatable)")
    parser.add_argument("--budget", type=float, help="seconds to fuzz for")
    parser.add_argument("--examples", type=int, help="number of programs (connections) to run")
    parser.add_argument("--seed", type=int, help="random seed (a run with a seed repeats)")
    parser.add_argument(
        "--hang-timeout", type=float, default=5.0, help="seconds to wait for a reply"
    )
    parser.add_argument(
        "--max-message-size",
        type=int,
        default=10 * 1024 * 1024,
        help="the server's message limit (oversized frames exceed it)",
    )
    parser.add_argument("--out", default="relay-fuzz-finding.json", help="where to save a finding")
    parser.add_argument("--replay", metavar="FILE", help="replay a saved finding once")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback host")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        endpoint = parse_url(args.url)
    except ValueError as exc:
        parser.error(str(exc))
    if not is_loopback(endpoint.host) and not args.allow_remote:
        print(REMOTE_WARNING.format(host=endpoint.host), file=sys.stderr)
        return 2
    if not is_loopback(endpoint.host):
        print(f"relay-fuzz: warning: fuzzing the remote host {endpoint.host}", file=sys.stderr)
    target = Settings(
        endpoint,
        args.project,
        args.token,
        tuple(args.context or ["office"]),
        args.hang_timeout,
        args.max_message_size,
    )
    listener = Listener(target, args.accept_timeout) if args.serve else None
    try:
        if args.replay:
            return _replay(target, args.replay, listener)
        if args.budget is None and args.examples is None:
            parser.error("give --budget SECONDS and/or --examples N (or --replay FILE)")
        print(f"relay-fuzz: {'serving' if listener else 'fuzzing'} {args.url}", flush=True)
        outcome = fuzz(
            target, budget=args.budget, examples=args.examples, rng_seed=args.seed, serve=listener
        )
    except CredentialsRejected as exc:
        print(f"relay-fuzz: {exc}", file=sys.stderr)
        return 2
    finally:
        if listener is not None:
            listener.close()
    print(report(args.url, outcome, mode="serve" if listener else "client"))
    if outcome.finding is not None:
        save_program(
            args.out, target, outcome.steps, outcome.finding, mode="serve" if listener else "client"
        )
        print(
            f"minimal reproducer saved to {args.out} (replay: relay-fuzz {args.url} "
            f"--replay {args.out})"
        )
        return 1
    return 0


def _replay(target: Settings, path: str, listener: Listener | None) -> int:
    steps, document = load_program(path)
    kind = document.get("finding", {}).get("kind", "?")
    print(f"replaying {len(steps)} steps of {path} (found: {kind})", flush=True)
    try:
        if listener is not None:
            serve_execute(listener, steps)
        else:
            execute(target, steps)
    except Finding as found:
        print(f"reproduced: {found}")
        return 1
    print("not reproduced: every step was handled as the protocol says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
