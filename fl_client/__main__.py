"""``python -m fl_client``: the same as the ``fl-client`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
