"""The application client: `FLClient` and its async twin `AsyncFLClient`."""

from __future__ import annotations

from ._client import AsyncFLClient, FLClient

__all__ = ["AsyncFLClient", "FLClient"]
