"""`FLEmulator`: an in-process FL Demonstrator server for tests and demos.

::

    with FLEmulator() as server:                       # 127.0.0.1, a free port
        actor = server.create_user("actor")
        alice = server.create_user("alice", message_endpoint="http://127.0.0.1:8101/")
        model_id = server.upload_model(actor, torch.jit.script(net))
        training_id = server.create_training(actor, model_id, [alice], target_num_updates=2)
        server.start_training(actor, training_id)
        server.wait_for_state(training_id, "C", timeout=60)

It answers every operation of ``openapi/fl-demonstrator.yaml`` (users, groups, models,
preprocessing modules, trainings, inference) with the real server's status codes, error shapes
and checks, runs the training state machine of the plain, SWAG and daisy-chain flows (API
reference §8.1-8.7) and POSTs the §9.2 notifications to each user's ``message_endpoint``.
Differences from the real server, on purpose:

* a participant's second local upload for the same round is refused (400), where the server
  stores it and its round goes wrong;
* SWAG statistics are averaged but SWAG- and MEAN-type models cannot be created (so inference
  runs the ``NONE`` and ``MC_DROPOUT`` methods; ``ENSEMBLE`` and ``SWAG`` answer the server's 500);
  image inputs to inference need Pillow; model metadata has ``stats: null``;
* a model or preprocessing file over ``max_stored_bytes`` (default: the server's ceiling, just
  under 256 MiB) gets the server's 500 and is not stored, without the server's 1 GiB of work;
  ``GET /api/schema/`` publishes a small document of the emulator's routes, not the server's;
* group membership has no API on the server (only its Django admin sets it): `add_group_member`
  plays the admin;
* uploads load safely (see `fl_client.testing.aggregation`); notification retries are quick
  (0.1 s x attempt) and a notification POST times out after 30 s;
* aggregation and notifications run on threads, not Celery; a failed aggregation is recorded in
  `FLEmulator.task_errors` (the training stays in state O, as on the server).

The helpers (`create_user`, `upload_model`, ...) go through the HTTP API like any client, so
they meet the same checks. Importing this module does not import torch.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

import httpx

from .._core.auth import basic_authorization
from ..defaults import SERVER_MAX_MODEL_BYTES
from ._lifecycle import TrainingEngine
from ._notifier import (
    DEFAULT_NOTIFICATION_RETRIES,
    DEFAULT_NOTIFICATION_RETRY_DELAY,
    DEFAULT_NOTIFICATION_TIMEOUT,
    NotificationRecord,
    Notifier,
)
from ._server import EmulatorHTTPServer, Exchange, Observer
from ._store import Store
from ._wire import Context

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = [
    "DEFAULT_EMULATOR_HOST",
    "DEFAULT_PASSWORD",
    "DEFAULT_WAIT_TIMEOUT",
    "EmulatedUser",
    "EmulatorError",
    "FLEmulator",
]

_logger = logging.getLogger("fl.client.testing")

DEFAULT_EMULATOR_HOST = "127.0.0.1"
DEFAULT_PASSWORD = "emulator-password"  # noqa: S105 - for test users only; the helpers accept any other
DEFAULT_WAIT_TIMEOUT = 60.0
_HELPER_TIMEOUT = 60.0
_STOP_TIMEOUT = 5.0


class EmulatorError(RuntimeError):
    """A helper's request got an unexpected answer; the message has the status and the server's body."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class EmulatedUser:
    """A user created through `FLEmulator.create_user`, with its credentials (kept out of reprs)."""

    id: str
    username: str
    password: str
    token: str
    message_endpoint: str = ""

    @property
    def authorization(self) -> str:
        """The ``Authorization`` value with the user's token."""
        return f"Token {self.token}"

    @property
    def basic_authorization(self) -> str:
        """The ``Authorization`` value with username and password."""
        return basic_authorization(self.username, self.password)

    def __repr__(self) -> str:
        return f"EmulatedUser(id={self.id!r}, username={self.username!r})"


class FLEmulator:
    """The emulated server. Start it with `start` or ``with``; `url` is its base URL."""

    def __init__(
        self,
        *,
        host: str = DEFAULT_EMULATOR_HOST,
        port: int = 0,
        trusted_classes: Iterable[TrustedClass] = (),
        trust_remote_code: bool = False,
        notification_retries: int = DEFAULT_NOTIFICATION_RETRIES,
        notification_retry_delay: float = DEFAULT_NOTIFICATION_RETRY_DELAY,
        notification_timeout: float = DEFAULT_NOTIFICATION_TIMEOUT,
        max_stored_bytes: int = SERVER_MAX_MODEL_BYTES,
    ) -> None:
        """Configure; nothing listens until `start`.

        Args:
            host: address to listen on (loopback by default: the emulator has no TLS and test users).
            port: port to listen on; 0 picks a free one.
            trusted_classes: extra classes allowed when loading uploaded models (besides torch.nn's).
            trust_remote_code: load uploaded pickles without restriction (your own test models).
            notification_retries: further attempts after a notification POST raised.
            notification_retry_delay: seconds x attempt between those attempts.
            notification_timeout: timeout of one notification POST, in seconds.
            max_stored_bytes: the largest model (or preprocessing) file stored; a larger one is
                answered like the server's failed database INSERT, 500 ``{"error": "Server
                Error (500)"}``, and nothing is stored. Default: the real server's ceiling, just
                under 256 MiB (``fl_client.defaults.SERVER_MAX_MODEL_BYTES``).
        """
        self._address = (host, port)
        self.store = Store()
        self._changed = threading.Condition(self.store.lock)
        self._notifications: list[NotificationRecord] = []
        self._notifier = Notifier(
            self._record_notification,
            retries=notification_retries,
            retry_delay=notification_retry_delay,
            timeout=notification_timeout,
        )
        self._engine = TrainingEngine(
            self.store,
            self._notifier,
            on_change=self._notify_change,
            trusted_classes=trusted_classes,
            trust_remote_code=trust_remote_code,
        )
        self._context = Context.create(
            self.store,
            self._engine,
            trusted_classes=trusted_classes,
            trust_remote_code=trust_remote_code,
            max_stored_bytes=max_stored_bytes,
        )
        self._observers: list[Observer] = []
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> Self:
        """Listen and serve on a background thread; returns self."""
        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer(self._address, self._context, self._observers)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fl-emulator", daemon=True
        )
        self._thread.start()
        self._http = httpx.Client(base_url=self.url, timeout=_HELPER_TIMEOUT, trust_env=False)
        _logger.info("FL Demonstrator emulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, stop the task and notification threads. Safe to call twice."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(_STOP_TIMEOUT)
            self._server = None
        if self._http is not None:
            self._http.close()
            self._http = None
        self._engine.stop()
        self._notifier.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:38217`` (for ``FL_DEMONSTRATOR_BASE_URL``)."""
        if self._server is None:
            raise EmulatorError("the emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_observer(self, observer: Callable[[Exchange], None]) -> None:
        """Call ``observer`` with every request/answer pair (from the server's threads)."""
        self._observers.append(observer)

    # ---------------------------------------------------------------- what happened
    @property
    def notifications(self) -> list[NotificationRecord]:
        """Every notification sent so far, in the order their delivery ended."""
        with self._changed:
            return list(self._notifications)

    @property
    def task_errors(self) -> list[str]:
        """Failures of background tasks (e.g. an aggregation of mismatched models)."""
        with self._changed:
            return list(self._engine.task_errors)

    def training(self, training_id: str) -> dict[str, Any]:
        """The training as ``GET /api/trainings/{id}/`` shows it, plus ``round`` (its model's)."""
        with self.store.lock:
            training = self.store.get_training(training_id)
            model = self.store.models[training.model]
            return {
                **training.to_json(),
                "round": model.round,
                "local_models_arrived": len(self.store.local_models(model.id)),
                "local_models_expected": len(training.participants),
            }

    def model_bytes(self, model_id: str) -> bytes:
        """The stored file of a model (for a training's global model: the current aggregate)."""
        with self.store.lock:
            return self.store.get_model(model_id).data

    def _record_notification(self, record: NotificationRecord) -> None:
        with self._changed:
            self._notifications.append(record)
            self._changed.notify_all()

    def _notify_change(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # ---------------------------------------------------------------- waiting
    def wait_until(
        self, predicate: Callable[[], bool], *, timeout: float = DEFAULT_WAIT_TIMEOUT, what: str = "condition"
    ) -> None:
        """Block until ``predicate()`` is true (re-checked on every change); TimeoutError says why not."""
        with self._changed:
            if self._changed.wait_for(predicate, timeout):
                return
            errors = list(self._engine.task_errors)
            sent = [f"{r.notification_type}({r.round})->{r.status or r.error}" for r in self._notifications]
        raise TimeoutError(
            f"waited {timeout:.0f} s for {what}; task errors: {errors or 'none'}; notifications: {sent or 'none'}"
        )

    def wait_for_state(self, training_id: str, state: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
        """Wait until the training is in ``state`` (``I``, ``O``, ``C``, ...)."""
        self.wait_until(
            lambda: self.store.get_training(training_id).state == state,
            timeout=timeout,
            what=f"training {training_id} to reach state {state}",
        )

    def wait_for_round(self, training_id: str, round: int, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
        """Wait until the training's global model has reached ``round`` (after an aggregation)."""
        self.wait_until(
            lambda: self.store.models[self.store.get_training(training_id).model].round >= round,
            timeout=timeout,
            what=f"training {training_id} to reach round {round}",
        )

    def wait_for_notifications(
        self,
        count: int,
        *,
        where: Callable[[NotificationRecord], bool] = lambda record: True,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> list[NotificationRecord]:
        """Wait until at least ``count`` notifications matching ``where`` have been delivered or failed."""

        def matching() -> list[NotificationRecord]:
            return [r for r in self._notifications if where(r)]

        self.wait_until(lambda: len(matching()) >= count, timeout=timeout, what=f"{count} notifications")
        with self._changed:
            return matching()

    # ---------------------------------------------------------------- helpers (through the API)
    def _call(self, method: str, path: str, expected: int, **kwargs: Any) -> Any:
        if self._http is None:
            raise EmulatorError("the emulator is not started")
        response = self._http.request(method, path, **kwargs)
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        if response.status_code != expected:
            raise EmulatorError(
                f"{method} {path} answered {response.status_code}: {body!r}",
                status=response.status_code,
                body=body,
            )
        return body

    def create_user(
        self,
        username: str,
        *,
        password: str = DEFAULT_PASSWORD,
        message_endpoint: str = "",
        actor: bool = False,
        client: bool = False,
        **columns: Any,
    ) -> EmulatedUser:
        """``POST /api/users/``; the user with its token."""
        payload = {
            "username": username,
            "password": password,
            "message_endpoint": message_endpoint,
            "actor": actor,
            "client": client,
            **columns,
        }
        body = self._call("POST", "/api/users/", 201, json=payload)
        return EmulatedUser(body["id"], username, password, body["token"], message_endpoint)

    def upload_model(
        self, owner: EmulatedUser, model: Any, *, name: str = "model", description: str = "", **fields: str
    ) -> str:
        """``POST /api/models/`` with a module (packed like `Communication` packs it) or file bytes;
        returns the model id."""
        if isinstance(model, bytes | bytearray):
            data = bytes(model)
        else:
            from ..serialization import pack_model

            data = pack_model(model)
        body = self._call(
            "POST",
            "/api/models/",
            201,
            headers={"Authorization": owner.authorization},
            data={"name": name, "description": description, **fields},
            files={"model_file": ("model.pt", io.BytesIO(data), "application/octet-stream")},
        )
        return str(body["model_id"])

    def add_group_member(self, group_id: int, user: EmulatedUser) -> None:
        """Make ``user`` a member of group ``group_id``, as the server's Django admin does (there is
        no API for it). Raises `EmulatorError` for an unknown group or user."""
        with self.store.lock:
            group = self.store.groups.get(group_id)
            if group is None or user.id not in self.store.users:
                raise EmulatorError(f"no group {group_id} or no user {user.username!r} on this emulator")
            group.members.add(user.id)

    def create_training(
        self,
        actor: EmulatedUser,
        model_id: str,
        participants: Sequence[EmulatedUser],
        *,
        target_num_updates: int = 1,
        aggregation_method: str = "FedAvg",
        metric_names: Sequence[str] = ("accuracy",),
        **fields: Any,
    ) -> str:
        """``POST /api/trainings/`` with ``participants`` as clients; returns the training id."""
        payload = {
            "model_id": model_id,
            "target_num_updates": target_num_updates,
            "metric_names": list(metric_names),
            "aggregation_method": aggregation_method,
            "clients": [user.id for user in participants],
            **fields,
        }
        body = self._call(
            "POST",
            "/api/trainings/",
            201,
            headers={"Authorization": actor.authorization, "Content-Type": "application/json"},
            content=json.dumps(payload),
        )
        return str(body["training_id"])

    def start_training(self, user: EmulatedUser, training_id: str) -> None:
        """``POST /api/trainings/{id}/start/``."""
        self._call(
            "POST", f"/api/trainings/{training_id}/start/", 202, headers={"Authorization": user.authorization}
        )

    def get_training(self, user: EmulatedUser, training_id: str) -> Mapping[str, Any]:
        """``GET /api/trainings/{id}/`` as ``user``."""
        result: Mapping[str, Any] = self._call(
            "GET", f"/api/trainings/{training_id}/", 200, headers={"Authorization": user.authorization}
        )
        return result
