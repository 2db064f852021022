"""Test helpers for fl_client users and for this project's own tests."""

from __future__ import annotations

__all__: list[str] = []
