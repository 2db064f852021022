"""`Communication`: the training script's view of the server, compatible with the reference client.

A script written for the reference client (``dlr.fl.client.communication.Communication``) works
after changing its import to ``from fl_client import Communication``: same constructor, class
methods, attributes, HTTP calls, form fields, expected status codes and return values.

Where the reference client is wrong, this one does the right thing:

* model bytes are loaded safely (see `fl_client.serialization`), not with unrestricted pickle;
* in daisy-chain rounds the notification's model id is a LOCAL model: `upload_model` posts to
  the training's GLOBAL model (``global_model_id``, looked up from the training when not given);
* failures raise exceptions that are both the reference class and a cause class
  (`fl_client.exceptions`), with the server's message and without credentials.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import httpx
from fl_demonstrator_api.api.models import download_model as _download_model
from fl_demonstrator_api.api.models import upload_model_metrics as _upload_model_metrics
from fl_demonstrator_api.api.trainings import get_training as _get_training
from fl_demonstrator_api.client import Client
from fl_demonstrator_api.models import LocalModelUpload, MetricsForm
from fl_demonstrator_api.types import File

from ._auth import basic_authorization, redact
from ._client import call, check_status, create_client, transport_error
from ._retry import RetryPolicy
from ._verify import metrics_outcome
from .exceptions import (
    APIError,
    CommunicationException,
    FLClientError,
    MetricsUploadException,
    ModelDownloadException,
    ModelUploadException,
    operation_error,
)
from .settings import Settings

if TYPE_CHECKING:
    from .serialization import TrustedClass

__all__ = ["Communication", "is_torchscript_instance"]

T = TypeVar("T", bound="Communication")

_BACKGROUND: list[subprocess.Popen[bytes]] = []
"""Scripts started by `Communication._start_script` without a dispatcher, until reaped."""


def is_torchscript_instance(obj: Any) -> bool:
    """True for a TorchScript module or function (imports torch only when called)."""
    from .serialization import is_torchscript_instance as _is_torchscript_instance

    return _is_torchscript_instance(obj)


class Communication:
    """Client communication module: download the global model, upload the local model and metrics.

    The class methods are what the notification receiver calls for each notification; override
    them in a subclass (``fl-client serve --communication mypkg.MyCommunication``) to customise.
    """

    _logger = logging.getLogger("fl.client")

    def __init__(
        self,
        client_id: UUID,
        training_id: UUID,
        round: int,
        model_id: UUID,
        http_authorization: str,
        *,
        global_model_id: UUID | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        trusted_classes: Iterable[TrustedClass] = (),
        trust_remote_code: bool | None = None,
        map_location: Any = None,
        max_retries: int | None = None,
        settings: Settings | None = None,
    ) -> None:
        """Create a communication module for one round of one training.

        Args:
            client_id: UUID of this participant (the user).
            training_id: UUID of the training.
            round: number of the training round.
            model_id: UUID of the model to download (the notification's ``global_model_uuid``).
            http_authorization: the ``Authorization`` header value.
            global_model_id: the training's global model, where uploads go; looked up from the
                training when needed and not given.
            base_url: the server; default ``settings.base_url``.
            timeout: per-request timeout; default connect 5 s, read/write 300 s.
            trusted_classes: classes allowed when unpacking pickled models, besides torch.nn's.
            trust_remote_code: unpickle downloaded models without restriction (unsafe).
            map_location: where `download_model` puts tensors (e.g. ``"cuda"``).
            max_retries: retries of transient failures per call (default 2; 0 disables). Uploads
                are repeated only when the server's state shows the first one was not applied.
            settings: settings to use instead of the environment's.
        """
        self.client_id = client_id
        """UUID of the client."""
        self.training_id = training_id
        """UUID of the training."""
        self.round = round
        """Number of the training round."""
        self.model_id = model_id
        """UUID of the global model."""
        self.http_authorization = http_authorization
        """HTTP authorization header value."""
        self.global_model_id = global_model_id
        """UUID of the training's global model (upload target); None until known."""
        self._settings = settings
        self._base_url = base_url
        self._timeout = timeout
        self.trusted_classes = tuple(trusted_classes)
        self.trust_remote_code = trust_remote_code
        self.map_location = map_location
        self.retry_policy = RetryPolicy() if max_retries is None else RetryPolicy(max_retries=max_retries)
        """When and how often calls are retried (see `fl_client._retry`)."""
        self._api: Client | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(client_id={self.client_id!s}, training_id={self.training_id!s}, "
            f"round={self.round}, model_id={self.model_id!s}, "
            f"http_authorization={redact(self.http_authorization)!r})"
        )

    @classmethod
    def from_user_password(
        cls: type[T],
        client_id: UUID,
        training_id: UUID,
        round: int,
        model_id: UUID,
        username: str,
        password: str,
        **kwargs: Any,
    ) -> T:
        """Create an instance that authenticates with HTTP Basic (username and password)."""
        return cls(client_id, training_id, round, model_id, basic_authorization(username, password), **kwargs)

    @classmethod
    def from_http_authorization(
        cls: type[T],
        client_id: UUID,
        training_id: UUID,
        round: int,
        model_id: UUID,
        http_authorization: str,
        **kwargs: Any,
    ) -> T:
        """Create an instance from a ready ``Authorization`` header value (Basic, ``Token <key>``, ...)."""
        return cls(client_id, training_id, round, model_id, http_authorization, **kwargs)

    @classmethod
    def from_env(cls: type[T], environ: Mapping[str, str] | None = None, **kwargs: Any) -> T:
        """Create an instance from the variables ``fl-client serve`` sets for each script run.

        Reads ``FL_CLIENT_CLIENT_ID``, ``FL_CLIENT_TRAINING_ID``, ``FL_CLIENT_ROUND``,
        ``FL_CLIENT_MODEL_ID`` and ``FL_CLIENT_AUTHORIZATION`` (required), and
        ``FL_CLIENT_GLOBAL_MODEL_ID`` and ``FL_DEMONSTRATOR_BASE_URL`` (when set), so a script needs
        no credentials of its own. ``kwargs`` go to the constructor and win over the environment
        (e.g. ``client_id=...`` where the receiver was not given one, or the script's own
        ``training_id`` / ``round`` / ``model_id`` arguments).

        Raises:
            ConfigurationError: a required variable is missing or does not parse; names it.
        """
        from . import dispatch
        from .exceptions import ConfigurationError

        env = os.environ if environ is None else environ

        def text(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ConfigurationError(f"{name} is not set (scripts started by `fl-client serve` get it)")
            return value

        def uuid(name: str) -> UUID:
            try:
                return UUID(text(name))
            except ValueError:
                raise ConfigurationError(f"{name} is not a UUID") from None

        client_id = kwargs.pop("client_id", None) or uuid(dispatch.ENV_CLIENT_ID)
        authorization = kwargs.pop("http_authorization", None) or text(dispatch.ENV_AUTHORIZATION)
        round_ = kwargs.pop("round", None)
        if round_ is None:
            try:
                round_ = int(text(dispatch.ENV_ROUND))
            except ValueError:
                raise ConfigurationError(f"{dispatch.ENV_ROUND} is not an integer") from None
        if env.get(dispatch.ENV_GLOBAL_MODEL_ID):
            kwargs.setdefault("global_model_id", uuid(dispatch.ENV_GLOBAL_MODEL_ID))
        if env.get(dispatch.ENV_BASE_URL):
            kwargs.setdefault("base_url", env[dispatch.ENV_BASE_URL].rstrip("/"))
        training_id = kwargs.pop("training_id", None) or uuid(dispatch.ENV_TRAINING_ID)
        model_id = kwargs.pop("model_id", None) or uuid(dispatch.ENV_MODEL_ID)
        return cls(client_id, training_id, round_, model_id, authorization, **kwargs)

    # -----------------------------------------------------------------------------------------
    # Notification handlers (called by the receiver)

    @classmethod
    def script_command(
        cls,
        action: str,
        training_id: UUID,
        round: int,
        model_id: UUID,
        *,
        settings: Settings | None = None,
    ) -> list[str]:
        """The argv that runs the training script: ``<executor> <script> <action> --training-id T
        --round R --model-id M``. Override to change how scripts start."""
        settings = settings or Settings.from_env()
        if not settings.script_path:
            from .exceptions import ConfigurationError

            raise ConfigurationError(
                "no training script configured: set FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH or --script"
            )
        executor = settings.script_executor or sys.executable
        return [
            executor,
            settings.script_path,
            action,
            "--training-id",
            str(training_id),
            "--round",
            str(round),
            "--model-id",
            str(model_id),
        ]

    @classmethod
    def _start_script(
        cls,
        action: str,
        training_id: UUID,
        round: int,
        model_id: UUID,
    ) -> None:
        """Start the training script for ``action`` in the configured working directory (no shell).

        Under ``fl-client serve`` the run goes to the receiver's `ScriptDispatcher` (one log file,
        de-duplication, a concurrency limit, supervised shutdown); called elsewhere it is the
        reference client's plain, unsupervised ``Popen``.
        """
        from .dispatch import active_dispatch_scope

        scope = active_dispatch_scope()
        if scope is not None:
            scope.submit(cls, action, training_id, round, model_id)
            return
        settings = Settings.from_env()
        argv = cls.script_command(action, training_id, round, model_id, settings=settings)
        cls._logger.debug("start script: %s", argv)
        # keep a handle so finished scripts are reaped (no zombies) and none is garbage-collected running
        _BACKGROUND[:] = [process for process in _BACKGROUND if process.poll() is None]
        _BACKGROUND.append(subprocess.Popen(argv, cwd=settings.resolved_working_directory()))

    @classmethod
    def start_training(cls, training_id: UUID, round: int, model_id: UUID) -> None:
        """Start the training script to train round ``round`` (``train`` action)."""
        cls._logger.info("training start")
        cls._start_script("train", training_id, round, model_id)

    @classmethod
    def start_testing(cls, training_id: UUID, round: int, model_id: UUID) -> None:
        """Start the training script to test the global model (``test`` action)."""
        cls._logger.info("testing start")
        cls._start_script("test", training_id, round, model_id)

    @classmethod
    def start_swag(cls, training_id: UUID, round: int, model_id: UUID) -> None:
        """Start the training script to compute SWAG statistics (``swag`` action)."""
        cls._logger.info("swag start")
        cls._start_script("swag", training_id, round, model_id)

    @classmethod
    def init_training(cls, training_id: UUID, model_id: UUID) -> None:
        """A training this client participates in has started."""
        cls._logger.info("training init")
        print("Training is initialized.")

    @classmethod
    def end_training(cls, training_id: UUID, model_id: UUID) -> None:
        """The training finished; clean up."""
        cls._logger.info("training end")
        print("Training is finished.")

    @classmethod
    def client_removed(cls, training_id: UUID, model_id: UUID) -> None:
        """This client was removed from the training (defined by the server, never sent today)."""
        cls._logger.info("client removed from training %s", training_id)

    @classmethod
    def unknown_message(cls, message_type: str, training_id: UUID, data: Any) -> int:
        """Handle a notification of an unknown type; returns the HTTP status to answer (400)."""
        cls._logger.warning("unknown server message of type %r", message_type)
        return 400

    # -----------------------------------------------------------------------------------------
    # Server calls (used by training scripts)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    @property
    def api(self) -> Client:
        """The authenticated generated client this instance uses (for any other operation)."""
        if self._api is None:
            self._api = create_client(
                base_url=self._base_url or self.settings.base_url,
                authorization=self.http_authorization,
                timeout=self._timeout,
            )
        return self._api

    def close(self) -> None:
        """Close the HTTP connections (also done on garbage collection)."""
        if self._api is not None:
            self._api.get_httpx_client().close()
            self._api = None

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _trusted(self) -> tuple[TrustedClass, ...]:
        return (*self.settings.trusted_classes, *self.trusted_classes)

    def _trust_remote_code(self) -> bool:
        if self.trust_remote_code is not None:
            return self.trust_remote_code
        return self.settings.trust_remote_code

    def download_model(self) -> Any:
        """Download model ``model_id`` and unpack it (safely).

        Raises:
            ModelDownloadException: no answer, an error status, or a model that cannot be unpacked.
        """
        self._logger.info("model download")
        try:
            response = call(
                lambda: _download_model.sync_detailed(str(self.model_id), client=self.api),
                operation="model download",
                method="GET",
                path=f"/api/models/{self.model_id}/",
                expected={200},
                policy=self.retry_policy,
            )
            return self.unpack_model(response.content)
        except FLClientError as exc:
            raise operation_error(ModelDownloadException, exc) from exc

    def upload_model(self, model: Any, metrics: Mapping[str, Any], sample_size: int) -> bool:
        """Upload the local model of this round with its metrics and sample size.

        Posts to the training's global model (see the module docstring), multipart with the
        fields ``owner``, ``round``, ``sample_size``, repeated ``metric_names`` /
        ``metric_values`` and the file ``model_file``. Returns True on 201.

        Raises:
            ModelUploadException: the model cannot be packed, no answer, or an error status.
        """
        self._logger.info("model upload")
        try:
            target = self._upload_target()
            names, values = _metric_fields(metrics)
            body = LocalModelUpload(
                model_file=File(payload=_bytes_io(self.pack_model(model)), file_name="model.pt"),
                round_=self.round,
                sample_size=sample_size,
                metric_names=names,
                metric_values=values,
                owner=str(self.client_id),
            )
            path = f"/api/models/{target}/"
            http = self.api.get_httpx_client()
            try:
                # the generated function fixes the multipart boundary to "+++", which model bytes
                # may contain: send the contract's fields through the same httpx client instead
                response = http.post(path, files=body.to_multipart())
            except httpx.HTTPError as exc:
                raise transport_error(exc, operation="model upload", method="POST", path=path) from exc
            check_status(response, operation="model upload", expected={201})
            return True
        except FLClientError as exc:
            raise operation_error(ModelUploadException, exc) from exc

    def upload_metrics(self, metrics: Mapping[str, Any]) -> bool:
        """Upload metrics of the model ``model_id`` (test metrics of the global model).

        Raises:
            MetricsUploadException: no answer or an error status.
        """
        self._logger.info("metrics upload")
        names, values = _metric_fields(metrics)
        try:
            call(
                lambda: _upload_model_metrics.sync_detailed(
                    str(self.model_id),
                    client=self.api,
                    body=MetricsForm(metric_names=names, metric_values=values),
                ),
                operation="metrics upload",
                method="POST",
                path=f"/api/models/{self.model_id}/metrics/",
                expected={201},
                policy=self.retry_policy,
                verify=lambda _: metrics_outcome(
                    self.api, model_id=self.model_id, client_id=self.client_id, names=names, round_=self.round
                ),
                on_applied=lambda: None,  # type: ignore[arg-type,return-value]
            )
            return True
        except FLClientError as exc:
            raise operation_error(MetricsUploadException, exc) from exc

    def _upload_target(self) -> UUID | str:
        """The training's global model id: given, else read from the training once."""
        if self.global_model_id is None:
            try:
                response = call(
                    lambda: _get_training.sync_detailed(str(self.training_id), client=self.api),
                    operation="training lookup",
                    method="GET",
                    path=f"/api/trainings/{self.training_id}/",
                    expected={200},
                    policy=self.retry_policy,
                )
            except APIError as exc:
                raise operation_error(CommunicationException, exc) from exc
            parsed = response.parsed
            model = getattr(parsed, "model", None)
            self.global_model_id = UUID(str(model)) if model is not None else UUID(str(self.model_id))
        return self.global_model_id

    # -----------------------------------------------------------------------------------------
    # Helpers

    def get_headers(self) -> dict[str, str]:
        """Default HTTP headers for requests to the server (the Authorization header)."""
        return {"Authorization": self.http_authorization}

    def unpack_model(self, blob: bytes) -> Any:
        """Unpack a model from bytes, safely: TorchScript via ``torch.jit.load``, else
        ``weights_only`` with torch.nn's classes and ``trusted_classes`` allowed."""
        from .serialization import unpack_model

        return unpack_model(
            blob,
            trusted_classes=self._trusted(),
            trust_remote_code=self._trust_remote_code(),
            map_location=self.map_location,
        )

    def pack_model(self, model: Any) -> bytes:
        """Pack a model to bytes: ``torch.jit.save`` for TorchScript, else ``torch.save``."""
        from .serialization import pack_model

        return pack_model(model)


def _metric_fields(metrics: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Names and values as the form fields carry them (values as text, like ``requests`` sends them)."""
    return [str(name) for name in metrics], [str(value) for value in metrics.values()]


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)
