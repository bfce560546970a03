"""The emulator's pytest plugin under its former name, ``relay_anyio.testing.pytest_plugin``.

The plugin lives in :mod:`relay_sync.pytest_plugin`, which the package's ``pytest11`` entry point
loads: it must import without anyio, so that a plain ``pip install relay-sansio`` never breaks
pytest, and this module (inside ``relay_anyio``) cannot. Loading this one loads that one; its
fixtures are re-exported for ``conftest.py`` files that import them::

    from relay_anyio.testing.pytest_plugin import relay_emulator, relay_emulator_sync
"""

from __future__ import annotations

from relay_sync.pytest_plugin import relay_emulator, relay_emulator_sync

__all__ = ["relay_emulator", "relay_emulator_sync"]

pytest_plugins = ["relay_sync.pytest_plugin"]
