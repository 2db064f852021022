"""What the server can store, checked before an upload sends its first byte.

A 1.0.1 server stores a model file of at most ``SERVER_MAX_MODEL_BYTES`` (just under 256 MiB,
PostgreSQL's limit; see `fl_client.defaults`) and answers a larger one with 500 after the
whole body arrived. Every model upload (``FLClient.models.create`` / ``upload_local``, sync and
async, ``Communication.upload_model``, ``fl-client models upload``) builds its multipart body with
an exact Content-Length first, so the file's size is known before sending: `check_model_size`
refuses it there (`fl_client._core.transfer.send_upload`), with `ModelTooLargeError`.
``fl-client doctor`` can ask the same question.
"""

from __future__ import annotations

from typing import Any

from ..defaults import DEFAULT_MAX_MODEL_BYTES, SERVER_MAX_MODEL_BYTES
from ..env import ENV_MAX_MODEL_BYTES
from ..exceptions import ConfigurationError, ModelTooLargeError

__all__ = [
    "DEFAULT_MAX_MODEL_BYTES",
    "SERVER_MAX_MODEL_BYTES",
    "check_max_model_bytes",
    "check_model_size",
]


def check_max_model_bytes(value: Any, *, name: str = "max_model_bytes") -> int:
    """``value`` as a limit: an integer >= 0 (0: no limit); a typed error otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{name} must be an integer >= 0 (0: no limit), not {value!r}")
    return value


def check_model_size(
    size: int, limit: int = DEFAULT_MAX_MODEL_BYTES, *, operation: str = "model upload"
) -> None:
    """Raise `ModelTooLargeError` when a model file of ``size`` bytes is over ``limit`` (0: none).

    The message names both sizes and how to change the limit; ``size`` and ``limit`` are also
    attributes of the error.
    """
    if limit <= 0 or size <= limit:
        return
    if limit == DEFAULT_MAX_MODEL_BYTES:
        why = "the most a FL Demonstrator server stores, less a margin"
    else:
        why = "the configured limit"
    raise ModelTooLargeError(
        f"{operation} refused: the model file is {size:,} bytes, over the limit of {limit:,} bytes "
        f"({why}; max_model_bytes, {ENV_MAX_MODEL_BYTES} or --max-model-bytes change it); "
        "nothing was sent",
        size=size,
        limit=limit,
    )
