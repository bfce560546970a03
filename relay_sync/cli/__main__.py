"""``python -m relay_sync.cli``: the ``relay`` command."""

import sys

from . import main

sys.exit(main())
