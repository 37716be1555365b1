"""``python -m a2a_observe.cli``: the ``a2a-observe`` command without its console script."""

from __future__ import annotations

import sys

from a2a_observe.cli import main

sys.exit(main())
