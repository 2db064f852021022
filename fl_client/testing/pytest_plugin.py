"""pytest plugin (registered through the ``pytest11`` entry point): fl_client's fixtures."""

from __future__ import annotations
