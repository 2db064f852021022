"""What every resource shares: the connection it runs on, and small argument helpers."""

from __future__ import annotations

import enum
from typing import Any, TypeVar
from uuid import UUID

from .._core.connection import Connection
from ..exceptions import ConfigurationError

__all__ = ["AsyncResource", "Id", "SyncResource", "as_enum", "id_text"]

E = TypeVar("E", bound=enum.Enum)

Id = UUID | str
"""An object id: a `uuid.UUID` or its text."""


class SyncResource:
    """A resource of `fl_client.FLClient`: thin methods over the generated operations."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection


class AsyncResource:
    """A resource of `fl_client.AsyncFLClient`: the async twin of a `SyncResource`."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection


def id_text(value: Any, what: str = "id") -> str:
    """The canonical text of a UUID (a `UUID`, its text, or an object with an ``id``)."""
    value = getattr(value, "id", value)
    try:
        return str(value if isinstance(value, UUID) else UUID(str(value)))
    except ValueError:
        raise ConfigurationError(f"{what} must be a UUID, not {value!r}") from None


def as_enum(cls: type[E], value: E | str, what: str) -> E:
    """``value`` as a member of ``cls`` (by value or by name); a typed error names the choices."""
    if isinstance(value, cls):
        return value
    for member in cls:
        if value in (member.value, member.name):
            return member
    choices = ", ".join(str(member.value) for member in cls)
    raise ConfigurationError(f"{what} must be one of {choices}, not {value!r}")
