"""`FLClient` / `AsyncFLClient`: one object holds base URL, credentials, timeout, retries and
progress; the resources hang off it (openai-python / stripe-python style).

::

    from fl_client import FLClient

    with FLClient(base_url="http://fl.example:8000", token="68d2...") as client:
        model = client.models.create(net, name="mnist-cnn", input_shape=[None, 1, 28, 28])
        training = client.trainings.create(model.model_id, participants, target_num_updates=5)
        client.trainings.start(training.training_id)
        done = client.trainings.wait(training.training_id, on_event=print)

Both sit on a `fl_client._core.connection.Connection`, the object `Communication` uses too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self

import httpx
from fl_demonstrator_api.client import Client

from .._core.auth import resolve_authorization
from .._core.connection import ClientOptions, Connection
from .._core.http import DEFAULT_TIMEOUT
from .._core.limits import check_max_model_bytes
from ..defaults import DEFAULT_MAX_RETRIES
from ..env import ENV_AUTHORIZATION, ENV_PASSWORD, ENV_TOKEN, ENV_USERNAME, credentials_from_env
from ..exceptions import ConfigurationError
from ..progress import ProgressCallback
from ..resources import (
    AsyncGroups,
    AsyncInference,
    AsyncModels,
    AsyncTrainings,
    AsyncUsers,
    Groups,
    Inference,
    Models,
    Trainings,
    Users,
)
from ..settings import Settings

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = ["AsyncFLClient", "FLClient"]

_UNSET: Any = object()


def _timeout(value: httpx.Timeout | float | None) -> httpx.Timeout:
    if value is None:
        return DEFAULT_TIMEOUT
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)


def _options(
    *,
    base_url: str | None,
    token: str | None,
    username: str | None,
    password: str | None,
    authorization: str | None,
    timeout: httpx.Timeout | float | None,
    max_retries: int,
    progress: ProgressCallback | None,
    temp_dir: str | os.PathLike[str] | None,
    trusted_classes: Iterable[TrustedClass],
    trust_remote_code: bool | None,
    map_location: Any,
    max_model_bytes: int | None,
    settings: Settings | None,
) -> ClientOptions:
    if not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be an integer >= 0, not {max_retries!r}")
    settings = settings or Settings.from_env()
    limit = settings.max_model_bytes if max_model_bytes is None else check_max_model_bytes(max_model_bytes)
    return ClientOptions(
        base_url=(base_url or settings.base_url).rstrip("/"),
        authorization=resolve_authorization(
            authorization=authorization, token=token, username=username, password=password
        ),
        timeout=_timeout(timeout),
        max_retries=max_retries,
        progress=progress,
        temp_dir=temp_dir,
        trusted_classes=(*settings.trusted_classes, *trusted_classes),
        trust_remote_code=settings.trust_remote_code if trust_remote_code is None else trust_remote_code,
        map_location=map_location,
        max_model_bytes=limit,
    )


class _ClientBase:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        authorization: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        progress: ProgressCallback | None = None,
        temp_dir: str | os.PathLike[str] | None = None,
        trusted_classes: Iterable[TrustedClass] = (),
        trust_remote_code: bool | None = None,
        map_location: Any = None,
        max_model_bytes: int | None = None,
        settings: Settings | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        _connection: Connection | None = None,
    ) -> None:
        """Configure a client; no request is made until a method is called.

        Args:
            base_url: the server, e.g. ``http://fl.example:8000``; default ``FL_DEMONSTRATOR_BASE_URL``,
                else http://localhost:8000.
            token: the server's 40-character token; or ``username`` + ``password`` (HTTP Basic);
                or ``authorization``, a ready ``Authorization`` value. Exactly one of the three.
            timeout: seconds, or an ``httpx.Timeout``; default connect 5 s, read/write 300 s.
            max_retries: retries of transient failures (default 2; 0 disables). GET/PUT/DELETE are
                retried freely, POST only when it provably never reached the server.
            progress: called as ``progress(done, total)`` while a model file moves.
            temp_dir: where model files are staged during transfers.
            trusted_classes: classes allowed when unpickling downloaded models, besides torch.nn's.
            trust_remote_code: unpickle downloaded models without restriction (unsafe).
            map_location: where downloaded tensors go (e.g. ``"cuda"``).
            max_model_bytes: a model file larger than this is refused before a byte is sent
                (`ModelTooLargeError`); default ``FL_CLIENT_MAX_MODEL_BYTES``, else 268,369,920,
                what the server can store less a margin (just under 256 MiB); 0: no limit.
            settings: settings to use instead of the environment's.
            transport, async_transport: httpx transports (tests: ``httpx.MockTransport``).

        Raises:
            ConfigurationError: credentials missing, given twice, or malformed.
        """
        if _connection is None:
            options = _options(
                base_url=base_url, token=token, username=username, password=password,
                authorization=authorization, timeout=timeout, max_retries=max_retries, progress=progress,
                temp_dir=temp_dir, trusted_classes=trusted_classes, trust_remote_code=trust_remote_code,
                map_location=map_location, max_model_bytes=max_model_bytes, settings=settings,
            )  # fmt: skip
            _connection = Connection(options, transport=transport, async_transport=async_transport)
        self._connection = _connection
        self._add_resources(_connection)

    def _add_resources(self, connection: Connection) -> None:
        raise NotImplementedError

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Self:
        """A client from ``FL_DEMONSTRATOR_BASE_URL`` and ``FL_CLIENT_TOKEN`` (or ``FL_CLIENT_USERNAME``
        + ``FL_CLIENT_PASSWORD``, or ``FL_CLIENT_AUTHORIZATION``, which wins: see
        `fl_client.env.credentials_from_env`); ``kwargs`` win over the environment."""
        env = os.environ if environ is None else environ
        given = {"token", "username", "password", "authorization"} & kwargs.keys()
        credentials: dict[str, Any] = {} if given else credentials_from_env(env)
        if not given and not credentials:
            raise ConfigurationError(
                f"no credentials in the environment: set {ENV_TOKEN}, {ENV_USERNAME} + {ENV_PASSWORD}, "
                f"or {ENV_AUTHORIZATION}"
            )
        kwargs.setdefault("settings", Settings.from_env(env))
        return cls(**credentials, **kwargs)

    @property
    def connection(self) -> Connection:
        """The shared core object (options, generated client, retry policy)."""
        return self._connection

    @property
    def api(self) -> Client:
        """The generated ``fl_demonstrator_api`` client underneath (same auth, URL and timeouts)."""
        return self._connection.api

    @property
    def base_url(self) -> str:
        return self._connection.options.base_url

    @property
    def max_retries(self) -> int:
        return self._connection.options.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        return self._connection.options.timeout

    @property
    def max_model_bytes(self) -> int:
        """Model files larger than this are refused before sending (0: no limit)."""
        return self._connection.options.max_model_bytes

    def with_options(
        self,
        *,
        timeout: httpx.Timeout | float | None = _UNSET,
        max_retries: int = _UNSET,
        progress: ProgressCallback | None = _UNSET,
        temp_dir: str | os.PathLike[str] | None = _UNSET,
        max_model_bytes: int = _UNSET,
    ) -> Self:
        """A copy with some options changed (its own connection pool; close it when done)."""
        changes: dict[str, Any] = {}
        if timeout is not _UNSET:
            changes["timeout"] = _timeout(timeout)
        if max_retries is not _UNSET:
            if not isinstance(max_retries, int) or max_retries < 0:
                raise ConfigurationError(f"max_retries must be an integer >= 0, not {max_retries!r}")
            changes["max_retries"] = max_retries
        if progress is not _UNSET:
            changes["progress"] = progress
        if temp_dir is not _UNSET:
            changes["temp_dir"] = temp_dir
        if max_model_bytes is not _UNSET:
            changes["max_model_bytes"] = check_max_model_bytes(max_model_bytes)
        return type(self)(_connection=self._connection.copy(**changes))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"


class FLClient(_ClientBase):
    """The FL Demonstrator API as typed resources: ``users``, ``groups``, ``models``,
    ``trainings`` and ``inference``. Use it with ``with`` (or call `close`)."""

    users: Users
    groups: Groups
    models: Models
    trainings: Trainings
    inference: Inference

    def _add_resources(self, connection: Connection) -> None:
        self.users = Users(connection)
        self.groups = Groups(connection)
        self.models = Models(connection)
        self.trainings = Trainings(connection)
        self.inference = Inference(connection)

    def close(self) -> None:
        """Close the connections."""
        self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFLClient(_ClientBase):
    """The async twin of `FLClient` (``async with AsyncFLClient(...) as client``); every resource
    method is a coroutine, `AsyncTrainings.watch` an async iterator."""

    users: AsyncUsers
    groups: AsyncGroups
    models: AsyncModels
    trainings: AsyncTrainings
    inference: AsyncInference

    def _add_resources(self, connection: Connection) -> None:
        self.users = AsyncUsers(connection)
        self.groups = AsyncGroups(connection)
        self.models = AsyncModels(connection)
        self.trainings = AsyncTrainings(connection)
        self.inference = AsyncInference(connection)

    async def close(self) -> None:
        """Close the connections."""
        await self._connection.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
