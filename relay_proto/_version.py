"""The package version: ``relay_proto.__version__`` (also ``relay_anyio.__version__`` and
``relay_sync.__version__``: the three packages ship as one distribution, relay-sansio).

:data:`SOURCE_VERSION` is the version written in the source; ``pyproject.toml`` reads it
(``[tool.setuptools.dynamic]``), so an installed distribution's metadata says the same.
:func:`resolve_version` prefers the installed metadata (what ``pip show relay-sansio`` reports,
e.g. a locally patched build) and falls back to the source when the distribution is not
installed (a vendored copy, or a checkout on ``PYTHONPATH``).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["DISTRIBUTION", "SOURCE_VERSION", "resolve_version"]

#: The distribution the three packages ship in.
DISTRIBUTION = "relay-sansio"
#: The version written in the source (read by pyproject.toml, so keep it a plain literal).
SOURCE_VERSION = "0.1.0"


def resolve_version(lookup: Callable[[str], str] | None = None) -> str:
    """The installed distribution's version, else :data:`SOURCE_VERSION`.

    ``importlib.metadata`` is imported here, when the version is first asked for, not when the
    packages are imported (it brings ``email``, ``zipfile``, ``csv``...: about 5 MB and tens of
    milliseconds that a program never asking for ``__version__`` should not pay).

    Args:
        lookup: how to read a distribution's version (default ``importlib.metadata.version``).
    """
    from importlib import metadata

    if lookup is None:
        lookup = metadata.version
    try:
        found = lookup(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return SOURCE_VERSION
    return found if isinstance(found, str) and found else SOURCE_VERSION
