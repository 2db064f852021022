"""The emulator's data: users, models, trainings and metrics, and their JSON representations.

Everything lives in memory behind one lock (`Store.lock`); the HTTP handlers, the task worker
(aggregation) and the helpers all take it before touching the data. The JSON shapes follow API
reference §4 key by key, because scripts and the generated client parse exactly those keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DRF_PERMISSION_DENIED",
    "ApiFailure",
    "Group",
    "Metric",
    "Model",
    "ModelKind",
    "Store",
    "Training",
    "User",
    "not_found",
    "now_text",
    "parse_uuid",
    "server_error",
]

# The server runs in this time zone; its time stamps carry its offset (§1).
SERVER_TIME_ZONE = "Europe/Berlin"
DRF_PERMISSION_DENIED = "You do not have permission to perform this action."
SERVER_ERROR_BODY: dict[str, str] = {"error": "Server Error (500)"}

try:
    _ZONE: ZoneInfo | None = ZoneInfo(SERVER_TIME_ZONE)
except ZoneInfoNotFoundError:  # no tz database on this machine: local time with its offset
    _ZONE = None


def now_text() -> str:
    """An ISO 8601 time stamp with offset, as the server writes them."""
    return datetime.now(_ZONE).astimezone(_ZONE).isoformat()


class ApiFailure(Exception):
    """An error answer: raised anywhere in a handler, turned into the HTTP response by the server.

    ``body`` is already in the server's shape for this error (§3): ``{"detail": ...}``, a list of
    strings, a field map, or ``{"error": "Server Error (500)"}``.
    """

    def __init__(self, status: int, body: Any, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def not_found(type_name: str, object_id: str) -> ApiFailure:
    """The server's "not found": 400, not 404 (§3)."""
    return ApiFailure(400, {"detail": f"{type_name} {object_id} not found."})


def server_error() -> ApiFailure:
    """What the server answers for an unhandled exception under production settings."""
    return ApiFailure(500, dict(SERVER_ERROR_BODY))


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------
# records


@dataclass
class User:
    id: str
    username: str
    password_hash: bytes | None
    salt: bytes
    token: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    actor: bool = False
    client: bool = False
    message_endpoint: str = ""
    is_superuser: bool = False
    is_staff: bool = False
    is_active: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def check_password(self, password: str) -> bool:
        if self.password_hash is None:
            return False
        return hmac.compare_digest(self.password_hash, _hash_password(password, self.salt))

    def to_json(self, *, with_token: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "username": self.username,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "id": self.id,
            "actor": self.actor,
            "client": self.client,
            "message_endpoint": self.message_endpoint,
        }
        if with_token:
            data["token"] = self.token
        return data

    def __repr__(self) -> str:  # the token and password hash stay out of reprs and logs
        return f"User(id={self.id!r}, username={self.username!r})"


def _hash_password(password: str, salt: bytes) -> bytes:
    # cheap on purpose: this is a test server, and tests create many users
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1_000)


class ModelKind:
    GLOBAL = "GLOBAL"
    LOCAL = "LOCAL"


@dataclass
class Model:
    id: str
    kind: str
    owner: str
    data: bytes
    round: int = 0
    name: str = ""
    description: str = ""
    input_shape: list[int | None] | None = None
    preprocessing: bytes | None = None
    # local models only
    sample_size: int = 0
    base_model: str | None = None
    created: int = 0
    # the averaged SWAG moments (tensors) after a SWAG round, for tests to inspect
    swag_moments: Any = None

    @property
    def is_global(self) -> bool:
        return self.kind == ModelKind.GLOBAL

    def to_json(self) -> dict[str, Any]:
        if not self.is_global:
            return {
                "id": self.id,
                "round": self.round,
                "sample_size": self.sample_size,
                "owner": self.owner,
                "base_model": self.base_model,
            }
        return {
            "id": self.id,
            "round": self.round,
            "name": self.name,
            "description": self.description,
            "input_shape": self.input_shape,
            "preprocessing": base64.b64encode(self.preprocessing).decode() if self.preprocessing else None,
            "owner": self.owner,
            "has_preprocessing": self.preprocessing is not None,
        }


@dataclass
class Training:
    id: str
    model: str
    actor: str
    target_num_updates: int
    aggregation_method: str
    uncertainty_method: str = "NONE"
    options: dict[str, Any] = field(default_factory=dict)
    participants: list[str] = field(default_factory=list)
    state: str = "I"
    locked: bool = False
    last_update: str = field(default_factory=now_text)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "target_num_updates": self.target_num_updates,
            "last_update": self.last_update,
            "uncertainty_method": self.uncertainty_method,
            "aggregation_method": self.aggregation_method,
            "options": self.options,
            "locked": self.locked,
            "model": self.model,
            "actor": self.actor,
            "participants": list(self.participants),
        }

    def touch(self) -> None:
        self.last_update = now_text()


@dataclass
class Group:
    """A Django auth group. Members are set only in the Django admin (`FLEmulator.add_group_member`)."""

    id: int
    name: str
    members: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass
class Metric:
    id: int
    key: str
    step: int
    model: str
    reporter: str
    value_float: float | None = None
    value_binary: bytes | None = None
    identifier: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "identifier": self.identifier,
            "key": self.key,
            "value_float": self.value_float,
            "value_binary": base64.b64encode(self.value_binary).decode()
            if self.value_binary is not None
            else None,
            "step": self.step,
            "model": self.model,
            "reporter": self.reporter,
        }


class Store:
    """All records, and the lock that guards them."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.models: dict[str, Model] = {}
        self.trainings: dict[str, Training] = {}
        self.metrics: list[Metric] = []
        self.groups: dict[int, Group] = {}
        self._metric_ids = 0
        self._group_ids = 0
        self._model_counter = 0

    def clear(self) -> None:
        with self.lock:
            self.users.clear()
            self.models.clear()
            self.trainings.clear()
            self.metrics.clear()
            self.groups.clear()
            self._metric_ids = 0

    # ---------------------------------------------------------------- users
    def add_user(self, username: str, password: str | None, **columns: Any) -> User:
        salt = secrets.token_bytes(16)
        user = User(
            id=str(uuid.uuid4()),
            username=username,
            password_hash=_hash_password(password, salt) if password is not None else None,
            salt=salt,
            token=secrets.token_hex(20),
        )
        for key, value in columns.items():
            if hasattr(user, key) and key not in {"id", "token", "salt", "password_hash", "extra"}:
                setattr(user, key, value)
            else:
                user.extra[key] = value
        self.users[user.id] = user
        return user

    def user_by_username(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username == username), None)

    def user_by_token(self, token: str) -> User | None:
        return next((u for u in self.users.values() if hmac.compare_digest(u.token, token)), None)

    def get_user(self, user_id: str) -> User:
        parsed = parse_uuid(user_id)
        user = self.users.get(str(parsed)) if parsed else None
        if user is None:
            raise not_found("User", user_id)
        return user

    # ---------------------------------------------------------------- groups
    def add_group(self, name: str) -> Group:
        self._group_ids += 1
        group = Group(self._group_ids, name)
        self.groups[group.id] = group
        return group

    def get_group(self, group_id: str) -> Group:
        group = self.groups.get(int(group_id)) if group_id.isdigit() else None
        if group is None:
            raise not_found("Group", group_id)
        return group

    def group_by_name(self, name: str) -> Group | None:
        return next((g for g in self.groups.values() if g.name == name), None)

    # ---------------------------------------------------------------- models
    def add_model(self, model: Model) -> Model:
        self._model_counter += 1
        model.created = self._model_counter
        self.models[model.id] = model
        return model

    def get_model(self, model_id: str, *, type_name: str = "Model", global_only: bool = False) -> Model:
        parsed = parse_uuid(model_id)
        model = self.models.get(str(parsed)) if parsed else None
        if model is None or (global_only and not model.is_global):
            raise not_found(type_name, model_id)
        return model

    def local_models(self, global_model_id: str, round: int | None = None) -> list[Model]:
        """Stored local models of a global model, in upload order (the order aggregation uses)."""
        found = [
            m
            for m in self.models.values()
            if not m.is_global and m.base_model == global_model_id and (round is None or m.round == round)
        ]
        return sorted(found, key=lambda m: m.created)

    def delete_model(self, model: Model) -> None:
        self.models.pop(model.id, None)
        self.metrics = [m for m in self.metrics if m.model != model.id]
        if model.is_global:
            for local in self.local_models(model.id):
                self.delete_model(local)
            for training in [t for t in self.trainings.values() if t.model == model.id]:
                self.trainings.pop(training.id, None)

    # ---------------------------------------------------------------- trainings
    def get_training(self, training_id: str, *, bad_id_is_server_error: bool = False) -> Training:
        parsed = parse_uuid(training_id)
        if parsed is None and bad_id_is_server_error:
            raise server_error()  # the real server does not catch a malformed id on these routes
        training = self.trainings.get(str(parsed)) if parsed else None
        if training is None:
            raise not_found("Training", training_id)
        return training

    def training_of_model(self, model_id: str) -> Training | None:
        return next((t for t in self.trainings.values() if t.model == model_id), None)

    # ---------------------------------------------------------------- metrics
    def add_metric(self, **fields: Any) -> Metric:
        self._metric_ids += 1
        metric = Metric(id=self._metric_ids, **fields)
        self.metrics.append(metric)
        return metric

    def metrics_of(self, model_id: str) -> list[Metric]:
        return [m for m in self.metrics if m.model == model_id]
