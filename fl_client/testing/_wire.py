"""What the endpoint handlers see and return: a parsed request, a reply, and the shared context."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..defaults import SERVER_MAX_MODEL_BYTES
from ._forms import Body, parse_body
from ._lifecycle import TrainingEngine
from ._store import ApiFailure, Store, User, server_error

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = ["Context", "Reply", "Request", "drf_json", "json_reply", "unguarded_json"]

JSON_CONTENT_TYPE = "application/json"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    raw_body: bytes
    params: dict[str, str] = field(default_factory=dict)
    user: User | None = None
    query: dict[str, list[str]] = field(default_factory=dict)
    _body: Body | None = None

    @property
    def body(self) -> Body:
        if self._body is None:
            self._body = parse_body(self.headers.get("content-type", ""), self.raw_body)
        return self._body

    @property
    def caller(self) -> User:
        if self.user is None:  # routes that need no auth never ask for the caller
            raise RuntimeError("this route is not authenticated")
        return self.user


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def drf_json(req: Request) -> Any:
    """A JSON body as DRF's parser hands it to a view (``request.data``): invalid JSON is its 400."""
    try:
        return req.body.raw_json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiFailure(400, {"detail": f"JSON parse error - {exc}"}) from None


def unguarded_json(req: Request) -> Any:
    """The raw body as JSON, for views that call ``json.loads`` themselves without catching its
    error: invalid JSON is the server's unhandled 500."""
    try:
        return req.body.raw_json()
    except (ValueError, UnicodeDecodeError):
        raise server_error() from None


def json_reply(status: int, value: Any, headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer. Strict JSON, like the server's renderer: NaN or infinity make it a 500."""
    try:
        data = json.dumps(value, allow_nan=False).encode()
    except ValueError:
        raise ApiFailure(500, {"error": "Server Error (500)"}) from None
    return Reply(status, data, JSON_CONTENT_TYPE, dict(headers or {}))


@dataclass
class Context:
    """Everything a handler needs: the records, the state machine, and the emulator's options."""

    store: Store
    engine: TrainingEngine
    trusted_classes: tuple[TrustedClass, ...] = ()
    trust_remote_code: bool = False
    max_stored_bytes: int = SERVER_MAX_MODEL_BYTES  # the largest model file the database stores

    @classmethod
    def create(
        cls,
        store: Store,
        engine: TrainingEngine,
        *,
        trusted_classes: Iterable[TrustedClass] = (),
        trust_remote_code: bool = False,
        max_stored_bytes: int = SERVER_MAX_MODEL_BYTES,
    ) -> Context:
        return cls(store, engine, tuple(trusted_classes), trust_remote_code, max_stored_bytes)
