"""The ``fault ...`` commands of the ``relay-emulator`` command line (interactive or
``--fault``): one line of words -> one call on ``emu.faults``."""

from __future__ import annotations

from collections.abc import Callable

from ._emulator import RelayEmulator

__all__ = ["FAULT_HELP", "fault_command"]

FAULT_HELP = """\
  fault drop | disconnect [restart] | reject on|off | ignore-pings on|off
        | server-pings on|off | ignore METHOD | delay METHOD SECONDS | malformed KIND
        | duplicate on|off | reorder on|off | refuse [SECONDS] | accept
        | stall handshake|connect|off | storm [TIMES] [restart]
        | drop-dial [before-reply] | half-open | restart [DOWNTIME] | reset"""


def _on(word: str) -> bool:
    if word not in ("on", "off"):
        raise ValueError("expected on or off")
    return word == "on"


def _number(text: str, what: str = "seconds") -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number of {what}: {text!r}") from None
    if value < 0:
        raise ValueError(f"{what} must not be negative")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _switches(emu: RelayEmulator) -> dict[str, Callable[[bool], None]]:
    faults = emu.faults
    return {
        "reject": faults.reject_credentials,
        "ignore-pings": faults.ignore_pings,
        "server-pings": lambda on: faults.stop_server_pings(not on),
        "duplicate": faults.duplicate_events,
        "reorder": faults.reorder_events,
    }


def _immediate(emu: RelayEmulator, name: str, rest: list[str]) -> str | None:
    faults = emu.faults
    if name == "drop" and not rest:
        return f"dropped {faults.drop_all_now()} connection(s)"
    if name == "disconnect" and rest in ([], ["restart"]):
        return f"disconnect sent to {faults.disconnect(restart=bool(rest))} client(s)"
    if name == "half-open" and not rest:
        return f"{faults.half_open()} connection(s) half-open"
    if name == "storm" and len(rest) <= 2 and set(rest[1:]) <= {"restart"}:
        times = _count(rest[0]) if rest and rest[0] != "restart" else 5
        now = faults.disconnect_storm(times, restart="restart" in rest)
        return f"disconnect storm of {times}: {now} sent now"
    if name == "drop-dial" and rest in ([], ["before-reply"]):
        faults.drop_during_dial(before_reply=bool(rest))
        return "the next dial loses its socket" + (" before the reply" if rest else "")
    if name == "malformed" and len(rest) == 1:
        return f"sent to {faults.send_malformed(rest[0])} connection(s)"
    return None


def _switched(emu: RelayEmulator, name: str, rest: list[str]) -> str | None:
    faults = emu.faults
    simple = _switches(emu)
    if name in simple and len(rest) == 1:
        simple[name](_on(rest[0]))
        return f"{name} {rest[0]}"
    if name == "ignore" and len(rest) == 1:
        faults.ignore_method(rest[0])
        return f"ignoring {rest[0]}"
    if name == "delay" and len(rest) == 2:
        faults.delay_method(rest[0], _number(rest[1]))
        return f"delaying {rest[0]} by {rest[1]} s"
    if name == "stall" and len(rest) == 1:
        faults.stall_connections(None if rest[0] == "off" else rest[0])
        return f"new connections: stall {rest[0]}"
    if name == "reset" and not rest:
        faults.reset()
        return "faults off"
    return None


async def fault_command(emu: RelayEmulator, args: list[str]) -> str:
    """Carry out ``fault ARGS...``; return what to print.

    Raises:
        ValueError: an unknown fault or bad arguments (the message says why).
    """
    name, rest = (args[0], args[1:]) if args else ("", [])
    faults = emu.faults
    if name == "refuse" and len(rest) <= 1:
        seconds = _number(rest[0]) if rest else None
        await faults.refuse_connections(seconds)
        return "refusing connections" + (f" for {rest[0]} s" if rest else " (until: fault accept)")
    if name == "accept" and not rest:
        await faults.accept_connections()
        return "accepting connections"
    if name == "restart" and len(rest) <= 1:
        await faults.restart(_number(rest[0]) if rest else 0.0)
        return f"restarted on port {emu.port}: all state lost"
    output = _immediate(emu, name, rest)
    if output is None:
        output = _switched(emu, name, rest)
    if output is None:
        raise ValueError("bad fault command; try: help")
    return output
