"""Notification bodies: raw bytes from the server -> one typed notification, or a `NotificationError`.

The server POSTs JSON ``{"notification_type": ..., "body": {...}, "training_uuid": ...}`` (API
reference section 9.2). The typed classes are the attrs models generated from the contract's
webhook schemas; this module only adds what the generated ``from_dict`` does not do: it checks
every field's type and format first (``from_dict`` would accept ``"round": "3"`` or ``true`` and
raise a bare ``KeyError`` / ``ValueError`` on anything else), so a body either parses completely
or fails with a `NotificationError` that says which field is wrong. `parse_notification` raises
nothing else, whatever the bytes: the receiver relies on that to answer every request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias
from uuid import UUID

from fl_demonstrator_api.models import (
    ClientRemovedNotification,
    ModelTestRoundNotification,
    SwagRoundStartNotification,
    TrainingFinishedNotification,
    TrainingStartNotification,
    UpdateRoundStartNotification,
)

from ..exceptions import NotificationError

__all__ = [
    "ROUND_ACTIONS",
    "ClientRemovedNotification",
    "ModelTestRoundNotification",
    "Notification",
    "RoundNotification",
    "SwagRoundStartNotification",
    "TrainingFinishedNotification",
    "TrainingStartNotification",
    "UnknownNotification",
    "UpdateRoundStartNotification",
    "parse_notification",
]

RoundNotification: TypeAlias = (
    UpdateRoundStartNotification | ModelTestRoundNotification | SwagRoundStartNotification
)
"""A notification that starts a script run (it carries a round)."""

Notification: TypeAlias = (
    TrainingStartNotification | RoundNotification | TrainingFinishedNotification | ClientRemovedNotification
)
"""Any notification type the contract defines."""

ROUND_ACTIONS: Final[Mapping[str, str]] = {
    "UPDATE_ROUND_START": "train",
    "MODEL_TEST_ROUND": "test",
    "SWAG_ROUND_START": "swag",
}
"""The script action each round notification starts."""

_ROUND_TYPES: Final[Mapping[str, type[RoundNotification]]] = {
    "UPDATE_ROUND_START": UpdateRoundStartNotification,
    "MODEL_TEST_ROUND": ModelTestRoundNotification,
    "SWAG_ROUND_START": SwagRoundStartNotification,
}
_MODEL_TYPES: Final[
    Mapping[str, type[TrainingStartNotification | TrainingFinishedNotification | ClientRemovedNotification]]
] = {
    "TRAINING_START": TrainingStartNotification,
    "TRAINING_FINISHED": TrainingFinishedNotification,
    "CLIENT_REMOVED": ClientRemovedNotification,
}
_EXCERPT_CHARS = 60
# the canonical 8-4-4-4-12 form only, as the contract's ``format: uuid`` (UUID() alone also takes
# braces, "urn:uuid:" prefixes and missing hyphens)
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class UnknownNotification:
    """A well-formed envelope whose ``notification_type`` the contract does not define.

    The receiver hands it to ``Communication.unknown_message`` (which answers 400 by default)
    instead of rejecting it outright, as the reference client intends to.
    """

    notification_type: str
    training_uuid: UUID
    body: Any


def parse_notification(raw: bytes) -> Notification | UnknownNotification:
    """Parse a request body into a typed notification.

    Raises:
        NotificationError: not UTF-8 JSON, not an object, a field missing or of the wrong type,
            a UUID that does not parse, a negative round. Never any other exception.
    """
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise NotificationError(f"body is not valid JSON: {_short(exc)}") from None
    try:
        return _from_data(data)
    except NotificationError:
        raise
    except Exception as exc:  # a gap in the checks below must still not escape as a crash
        raise NotificationError(f"invalid notification: {type(exc).__name__}") from None


def _from_data(data: Any) -> Notification | UnknownNotification:
    if not isinstance(data, dict):
        raise NotificationError(f"body must be a JSON object, not {_json_type(data)}")
    kind = _require(data, "notification_type", str, "")
    training_uuid = _uuid(data, "training_uuid", "")
    if "body" not in data:
        raise NotificationError("missing field 'body'")
    body = data["body"]
    round_type = _ROUND_TYPES.get(kind)
    model_type = _MODEL_TYPES.get(kind)
    if round_type is None and model_type is None:
        return UnknownNotification(kind, training_uuid, body)
    if not isinstance(body, dict):
        raise NotificationError(f"field 'body' must be an object, not {_json_type(body)}")
    _uuid(body, "global_model_uuid", "body.")
    if round_type is not None:
        number = _require(body, "round", int, "body.")
        if isinstance(number, bool) or number < 0:
            raise NotificationError("field 'body.round' must be a non-negative integer")
        return round_type.from_dict(data)
    assert model_type is not None
    return model_type.from_dict(data)


def _require(data: Mapping[str, Any], key: str, kind: type[Any], prefix: str) -> Any:
    if key not in data:
        raise NotificationError(f"missing field '{prefix}{key}'")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = {str: "a string", int: "an integer"}.get(kind, kind.__name__)
        raise NotificationError(f"field '{prefix}{key}' must be {name}, not {_json_type(value)}")
    return value


def _uuid(data: Mapping[str, Any], key: str, prefix: str) -> UUID:
    text = _require(data, key, str, prefix)
    if not _UUID_RE.fullmatch(text):
        raise NotificationError(f"field '{prefix}{key}' is not a UUID: {_short(text)}")
    return UUID(text)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "..."
