"""Regressions for what relay-fuzz found in the emulator (docs/fuzzing.md, "Findings")."""

from __future__ import annotations

import pytest

from relay_anyio.testing import RelayEmulator

from .rawclient import RawClient, connected

pytestmark = pytest.mark.anyio


async def test_a_deeply_nested_frame_does_not_take_the_emulator_down() -> None:
    # Finding 1: the journal parsed every frame with json.loads and caught only ValueError; a
    # frame nested 5,000 levels deep (small enough to be journaled) raised RecursionError out of
    # the connection's reader, which cancelled the server's task group: every connection and the
    # listener died.
    nested = "[" * 5_000 + "]" * 5_000
    async with RelayEmulator(project="p", token="t", time_scale=0.001) as emu:
        await _fire(emu, nested)
        assert emu.internal_errors == []
        assert [v for v in emu.violations if "invalid JSON" in v]


async def _fire(emu: RelayEmulator, nested: str) -> None:
    async with connected(emu.port, contexts=["office"]) as raw:
        await raw.send_text(
            '{"jsonrpc":"2.0","method":"signalwire.ping","params":{"x":' + nested + "}}"
        )
        assert await raw.result("signalwire.ping", {}) == {}  # the same connection still works
    other = await RawClient.open(emu.port)  # and the listener still accepts
    assert "result" in await other.login()
    await other.close()


async def test_a_bug_handling_one_client_input_drops_only_that_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Containment for the same class of bug: whatever raises while a client's bytes are
    # handled is recorded as an internal error and costs that client its connection, not the
    # emulator its listener and every other connection.
    async with RelayEmulator(project="p", token="t", time_scale=0.001) as emu:
        async with connected(emu.port, contexts=["office"]) as bystander:
            victim = await RawClient.open(emu.port)
            assert "result" in await victim.login()
            monkeypatch.setattr(emu.journal, "record", _explode)
            await victim.send_text('{"jsonrpc":"2.0","id":"x","method":"signalwire.ping"}')
            await victim.wait_closed()
            monkeypatch.undo()
            assert await bystander.result("signalwire.ping", {}) == {}
        assert [type(e) for e in emu.internal_errors] == [RuntimeError]
        emu.internal_errors.clear()


def _explode(*args: object) -> None:
    raise RuntimeError("journal bug")
