"""Defaults, in one place. Every other module reads its defaults from here."""

from __future__ import annotations

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_INITIAL_RETRY_DELAY",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_MAX_RETRY_DELAY",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_SERVER_HOST",
    "DEFAULT_SERVER_PORT",
    "DEFAULT_WRITE_TIMEOUT",
    "TRANSFER_CHUNK_BYTES",
]

DEFAULT_BASE_URL = "http://localhost:8000"

# Timeouts in seconds. Connecting is quick or broken; reading and writing may move a 1 GB model
# over a slow link, and httpx applies them per socket operation, not to the whole transfer.
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 300.0
DEFAULT_WRITE_TIMEOUT = 300.0
DEFAULT_POOL_TIMEOUT = 10.0

# Retries of transient failures (see fl_client._retry).
DEFAULT_MAX_RETRIES = 2
DEFAULT_INITIAL_RETRY_DELAY = 0.5
DEFAULT_MAX_RETRY_DELAY = 8.0
# A server's Retry-After is honoured up to this many seconds.
DEFAULT_MAX_RETRY_AFTER = 30.0

# The notification receiver (`fl-client serve`); 8101 is the reference client's port.
DEFAULT_SERVER_HOST = "0.0.0.0"
DEFAULT_SERVER_PORT = 8101
DEFAULT_MAX_BODY_BYTES = 1024 * 1024

# Model files move in chunks of this size.
TRANSFER_CHUNK_BYTES = 1024 * 1024
