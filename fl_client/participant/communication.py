"""`Communication`: the training script's view of the server, compatible with the reference client.

A script written for the reference client (``dlr.fl.client.communication.Communication``) works
after changing its import to ``from fl_client import Communication``: same constructor, class
methods, attributes, HTTP calls, form fields, expected status codes and return values.

Where the reference client is wrong, this one does the right thing:

* model bytes are loaded safely (see `fl_client.serialization`), not with unrestricted pickle;
* in daisy-chain rounds the notification's model id is a LOCAL model: `upload_model` posts to
  the training's GLOBAL model (``global_model_id``, looked up from the training when not given);
* failures raise exceptions that are both the reference class and a cause class
  (`fl_client.exceptions`), with the server's message and without credentials;
* models stream through temporary files (`fl_client._core.transfer`) instead of sitting in memory
  several times: a 1 GB model costs about its own size, not three or four times it;
* every request has a timeout, and transient failures are retried (`fl_client._core.retry`) without
  ever sending a round's upload or test metrics twice (`fl_client._core.verify`).
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import httpx
from fl_demonstrator_api.client import Client
from fl_demonstrator_api.models import LocalModelUpload, MetricsForm, SwagUpload
from fl_demonstrator_api.types import File

from .._core import transfer as _transfer
from .._core.auth import HeadersAuth, basic_authorization, redact
from .._core.connection import ClientOptions, Connection
from .._core.http import DEFAULT_TIMEOUT, send
from .._core.identity import lookup_user_id
from .._core.limits import check_max_model_bytes
from .._core.retry import Outcome, RetryPolicy, run_with_retries
from .._core.verify import TrainingSnapshot, metrics_outcome, training_snapshot, upload_outcome
from ..defaults import MODEL_FILE_NAME
from ..env import (
    ENV_AUTHORIZATION,
    ENV_BASE_URL,
    ENV_CLIENT_ID,
    ENV_GLOBAL_MODEL_ID,
    ENV_MODEL_ID,
    ENV_ROUND,
    ENV_TRAINING_ID,
)
from ..exceptions import (
    APIError,
    FLClientError,
    MetricsUploadException,
    ModelDownloadException,
    ModelUploadException,
    SwagUploadException,
    operation_error,
)
from ..progress import ProgressCallback
from ..settings import Settings
from .handlers import NotificationHandlers

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = ["Communication", "is_torchscript_instance"]

T = TypeVar("T", bound="Communication")

_identity_logger = logging.getLogger("fl.client.identity")


def is_torchscript_instance(obj: Any) -> bool:
    """True for a TorchScript module or function (imports torch only when called)."""
    from ..serialization import is_torchscript_instance as _is_torchscript_instance

    return _is_torchscript_instance(obj)


class Communication(NotificationHandlers):
    """Client communication module: download the global model, upload the local model and metrics.

    The class methods (from `NotificationHandlers`) are what the notification receiver calls for
    each notification; override them in a subclass (``fl-client serve --communication
    mypkg.MyCommunication``) to customise.
    """

    def __init__(
        self,
        client_id: UUID | None,
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
        progress: ProgressCallback | None = None,
        temp_dir: str | os.PathLike[str] | None = None,
        max_model_bytes: int | None = None,
        settings: Settings | None = None,
    ) -> None:
        """Create a communication module for one round of one training.

        Args:
            client_id: UUID of this participant (the user); None: looked up from the credentials
                (``GET /api/users/myself/``, with retries) the first time it is needed. The
                server itself goes by the credentials: where it matters (was a lost upload
                stored?) the id is checked against them, and a different one is warned about.
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
            progress: called as ``progress(done, total)`` while a model moves
                (e.g. `fl_client.progress.StderrProgress`).
            temp_dir: where models are staged during transfers; default ``$TMPDIR`` when set,
                else ``/dev/shm`` when it has room (Linux), else the temporary directory.
            max_model_bytes: `upload_model` refuses a model file larger than this before sending
                a byte (`ModelTooLargeError`, also a `ModelUploadException`); default
                ``settings.max_model_bytes`` (``FL_CLIENT_MAX_MODEL_BYTES``, else just under
                256 MiB, what the server can store); 0: no limit.
            settings: settings to use instead of the environment's.
        """
        self._client_id = client_id
        self._real_id: UUID | None = None
        self._identity_lock = threading.Lock()
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
        """When and how often calls are retried (see `fl_client._core.retry`)."""
        self.progress = progress
        self.temp_dir = temp_dir
        self.max_model_bytes = None if max_model_bytes is None else check_max_model_bytes(max_model_bytes)
        """The upload size limit in bytes; None: ``settings.max_model_bytes``."""
        self._connection: Connection | None = None

    @property
    def client_id(self) -> UUID:
        """UUID of the client: as given, else looked up from the credentials on first use.

        Raises:
            APIError: not given, and the lookup failed (after retries).
        """
        if self._client_id is None:
            self._client_id = self._credentials_user()
        return self._client_id

    @client_id.setter
    def client_id(self, value: UUID | None) -> None:
        self._client_id = value

    def _credentials_user(self) -> UUID:
        """The user the credentials belong to (``GET /api/users/myself/``, retried; asked once)."""
        with self._identity_lock:
            if self._real_id is None:
                self._real_id = lookup_user_id(self.api, policy=self.retry_policy)
            return self._real_id

    def _identity(self) -> UUID | None:
        """Whose uploads and metrics are "ours", for the lost-answer checks: the credentials' user.

        A configured ``client_id`` that differs is warned about and not used (the server ignores
        it); None when the lookup fails, so that nothing is taken for ours (and nothing re-sent).
        """
        try:
            real = self._credentials_user()
        except APIError as error:
            _identity_logger.warning("cannot tell who the credentials belong to: %s", error.message)
            return None
        if self._client_id is not None and self._client_id != real:
            _identity_logger.warning(
                "client_id %s is not the credentials' user %s; the server goes by the credentials, "
                "so %s is used to recognise this client's uploads and metrics",
                self._client_id,
                real,
                real,
            )
        return real

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(client_id={self._client_id!s}, training_id={self.training_id!s}, "
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
        ``FL_CLIENT_CLIENT_ID``, ``FL_CLIENT_GLOBAL_MODEL_ID`` and ``FL_DEMONSTRATOR_BASE_URL``
        (when set), so a script needs no credentials of its own. Without a client id it is looked
        up from the credentials when first needed. ``kwargs`` go to the constructor and win over
        the environment (e.g. the script's own ``training_id`` / ``round`` / ``model_id``).

        Raises:
            ConfigurationError: a required variable is missing or does not parse; names it.
        """
        from ..exceptions import ConfigurationError

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

        client_id = kwargs.pop("client_id", None) or (
            uuid(ENV_CLIENT_ID) if env.get(ENV_CLIENT_ID, "").strip() else None
        )
        authorization = kwargs.pop("http_authorization", None) or text(ENV_AUTHORIZATION)
        round_ = kwargs.pop("round", None)
        if round_ is None:
            try:
                round_ = int(text(ENV_ROUND))
            except ValueError:
                raise ConfigurationError(f"{ENV_ROUND} is not an integer") from None
        if env.get(ENV_GLOBAL_MODEL_ID):
            kwargs.setdefault("global_model_id", uuid(ENV_GLOBAL_MODEL_ID))
        if env.get(ENV_BASE_URL):
            kwargs.setdefault("base_url", env[ENV_BASE_URL].rstrip("/"))
        training_id = kwargs.pop("training_id", None) or uuid(ENV_TRAINING_ID)
        model_id = kwargs.pop("model_id", None) or uuid(ENV_MODEL_ID)
        return cls(client_id, training_id, round_, model_id, authorization, **kwargs)

    # -----------------------------------------------------------------------------------------
    # Server calls (used by training scripts)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    @property
    def connection(self) -> Connection:
        """The core client object underneath, the same kind `fl_client.FLClient` sits on."""
        if self._connection is None:
            self._connection = Connection(
                ClientOptions(
                    base_url=(self._base_url or self.settings.base_url).rstrip("/"),
                    authorization=self.http_authorization,
                    timeout=_client_timeout(self._timeout),
                    max_retries=self.retry_policy.max_retries,
                )
            )
            self._connection.api.get_httpx_client().auth = HeadersAuth(self.get_headers)
        return self._connection

    @property
    def api(self) -> Client:
        """The authenticated generated client this instance uses (for any other operation).

        Every request carries the headers `get_headers` returns at that moment, so a subclass
        that overrides it (an extra header, a refreshed credential) is honoured.
        """
        return self.connection.api

    def close(self) -> None:
        """Close the HTTP connections (``with Communication(...) as comm:`` does it on exit)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

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

    def download_model(self, *, timeout: httpx.Timeout | float | None = None) -> Any:
        """Download model ``model_id`` and unpack it (safely).

        The body streams to a temporary file, is checked against its Content-Length, and is
        loaded from the file (memory-mapped where the format allows, onto ``map_location``).
        Transient failures are retried (a GET is safe to repeat); ``timeout`` overrides the
        client's for this call.

        Raises:
            ModelDownloadException: no answer, an error status, an incomplete body, or a model that
                cannot be unpacked (also an `UnsafeModelError` when it needs a class not allowed).
        """
        self._logger.info("model download")
        path = f"/api/models/{self.model_id}/"
        http = self.api.get_httpx_client()
        retry = self._retrying("model download", idempotent=True)
        per_call = _per_call_timeout(timeout)
        try:
            if _overrides(type(self), "unpack_model"):
                # a subclass unpacks from bytes (the reference interface): give it the bytes
                with _transfer.temporary_file(self.temp_dir) as file:
                    retry(
                        lambda: _transfer.download_to_file(
                            http, path, file, progress=self.progress, timeout=per_call
                        )
                    )
                    return self.unpack_model(file.read_bytes())
            return _transfer.download_model(
                http,
                path,
                trusted_classes=self._trusted(),
                trust_remote_code=self._trust_remote_code(),
                map_location=self.map_location,
                progress=self.progress,
                temp_dir=self.temp_dir,
                retry=retry,
                timeout=per_call,
            )
        except FLClientError as exc:
            raise operation_error(ModelDownloadException, exc) from exc

    def upload_model(
        self,
        model: Any,
        metrics: Mapping[str, Any],
        sample_size: int,
        *,
        timeout: httpx.Timeout | float | None = None,
    ) -> bool:
        """Upload the local model of this round with its metrics and sample size.

        Posts to the training's global model (see the module docstring), multipart with the
        fields ``owner``, ``round``, ``sample_size``, repeated ``metric_names`` /
        ``metric_values`` and the file ``model_file``. ``torch.save``'s output streams straight
        into the body (random boundary, exact Content-Length, never whole in memory or in a file);
        TorchScript and `pack_model` overrides are staged in a temporary file first.
        Returns True on 201.

        The server accepts a second upload for the same round and then aggregates too early, so
        a failed upload is repeated only when it provably never left (no connection), or when the
        server's state shows it was not stored (`fl_client._core.verify.upload_outcome`); when the
        state shows it WAS stored, the lost answer counts as success.

        Raises:
            ModelUploadException: the model cannot be packed, no answer, or an error status; also
                a `ModelTooLargeError` when the model file is over ``max_model_bytes`` (refused
                before any request).
        """
        self._logger.info("model upload")
        before: TrainingSnapshot | None = None

        def target_path() -> str:
            # read once the model is saved: the baseline is then as fresh as it can be
            nonlocal before
            before = training_snapshot(self.api, self.training_id, policy=self.retry_policy)
            self.global_model_id = self.global_model_id or before.global_model_id
            return f"/api/models/{self.global_model_id}/"

        def outcome(_: APIError) -> Outcome:
            assert before is not None and self.global_model_id is not None
            return upload_outcome(
                self.api,
                training_id=self.training_id,
                global_model_id=self.global_model_id,
                identity=self._identity,
                round_=self.round,
                before=before,
            )

        try:
            names, values = _metric_fields(metrics)
            form = LocalModelUpload(
                model_file=File(payload=io.BytesIO(), file_name=MODEL_FILE_NAME),
                round_=self.round,
                sample_size=sample_size,
                metric_names=names,
                metric_values=values,
                owner=str(self.client_id),
            )
            save = None
            if _overrides(type(self), "pack_model"):
                # a subclass packs to bytes (the reference interface): stage its bytes
                def save(model: Any, file: Path) -> None:
                    file.write_bytes(self.pack_model(model))

            _transfer.upload_model(
                self.api.get_httpx_client(),
                target_path,
                model,
                form.to_multipart(),
                save=save,
                progress=self.progress,
                temp_dir=self.temp_dir,
                retry=self._retrying("model upload", idempotent=False, verify=outcome),
                timeout=_per_call_timeout(timeout),
                max_model_bytes=self._max_model_bytes(),
            )
            return True
        except FLClientError as exc:
            raise operation_error(ModelUploadException, exc) from exc

    def _max_model_bytes(self) -> int:
        return self.settings.max_model_bytes if self.max_model_bytes is None else self.max_model_bytes

    def _retrying(
        self, operation: str, *, idempotent: bool, verify: Callable[[APIError], Outcome] | None = None
    ) -> Callable[[Callable[[], Any]], Any]:
        """This instance's retry policy around one attempt (see `fl_client._core.retry`)."""

        def retry(attempt: Callable[[], Any]) -> Any:
            return run_with_retries(
                attempt,
                operation=operation,
                policy=self.retry_policy,
                idempotent=idempotent,
                verify=verify,
                on_applied=lambda: None,
            )

        return retry

    def upload_metrics(
        self, metrics: Mapping[str, Any], *, timeout: httpx.Timeout | float | None = None
    ) -> bool:
        """Upload metrics of the model ``model_id`` (test metrics of the global model).

        Sent as the generated ``upload_model_metrics`` operation sends them (a url-encoded form
        with repeated ``metric_names`` / ``metric_values``); ``timeout`` overrides the client's for
        this call. Repeated only when the server's state shows the metrics were not stored.

        Raises:
            MetricsUploadException: no answer or an error status.
        """
        self._logger.info("metrics upload")
        names, values = _metric_fields(metrics)
        path = f"/api/models/{self.model_id}/metrics/"
        form = MetricsForm(metric_names=names, metric_values=values).to_dict()
        try:
            http = self.api.get_httpx_client()
            self._retrying(
                "metrics upload",
                idempotent=False,
                verify=lambda _: metrics_outcome(
                    self.api, model_id=self.model_id, identity=self._identity, names=names, round_=self.round
                ),
            )(
                lambda: send(
                    http,
                    "POST",
                    path,
                    operation="metrics upload",
                    expected={201},
                    data=form,
                    timeout=_per_call_timeout(timeout),
                )
            )
            return True
        except FLClientError as exc:
            raise operation_error(MetricsUploadException, exc) from exc

    def upload_swag(
        self,
        first_moment: Any,
        second_moment: Any,
        sample_size: int,
        *,
        timeout: httpx.Timeout | float | None = None,
    ) -> bool:
        """Upload this round's SWAG statistics (the ``swag`` action, after ``SWAG_ROUND_START``).

        ``first_moment`` and ``second_moment`` are 1-D tensors with one entry per model parameter,
        in ``parameters()`` order; they go to model ``model_id`` (the global model) with
        ``round`` and ``sample_size``. Returns True on 201. Like the other uploads it is repeated
        only when it never left or the server shows it was not stored (its SWAG metrics for this
        round and reporter).

        Raises:
            SwagUploadException: no answer or an error status (this server answers most SWAG
                errors with 500 and a ``detail``).
        """
        self._logger.info("swag upload")
        path = f"/api/models/{self.model_id}/swag/"
        try:
            form = SwagUpload(
                round_=self.round,
                sample_size=sample_size,
                first_moment_file=File(
                    payload=io.BytesIO(self.pack_model(first_moment)), file_name="first.pt"
                ),
                second_moment_file=File(
                    payload=io.BytesIO(self.pack_model(second_moment)), file_name="second.pt"
                ),
            )
            http = self.api.get_httpx_client()

            def attempt() -> None:
                # httpx picks a random boundary (the generated function would use "+++")
                send(http, "POST", path, operation="swag upload", expected={201},
                     files=form.to_multipart(), timeout=_per_call_timeout(timeout))  # fmt: skip

            keys = ["SWAG First Moment Local", "SWAG Second Moment Local"]
            self._retrying(
                "swag upload",
                idempotent=False,
                verify=lambda _: metrics_outcome(
                    self.api, model_id=self.model_id, identity=self._identity, names=keys, round_=self.round
                ),
            )(attempt)
            return True
        except FLClientError as exc:
            raise operation_error(SwagUploadException, exc) from exc

    # -----------------------------------------------------------------------------------------
    # Helpers

    def get_headers(self) -> dict[str, str]:
        """Default HTTP headers for requests to the server (the Authorization header)."""
        return {"Authorization": self.http_authorization}

    def unpack_model(self, blob: bytes) -> Any:
        """Unpack a model from bytes, safely: TorchScript via ``torch.jit.load``, else
        ``weights_only`` with torch.nn's classes and ``trusted_classes`` allowed."""
        from ..serialization import unpack_model

        return unpack_model(
            blob,
            trusted_classes=self._trusted(),
            trust_remote_code=self._trust_remote_code(),
            map_location=self.map_location,
        )

    def pack_model(self, model: Any) -> bytes:
        """Pack a model to bytes: ``torch.jit.save`` for TorchScript, else ``torch.save``."""
        from ..serialization import pack_model

        return pack_model(model)


def _metric_fields(metrics: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Names and values as the form fields carry them (values as text, like ``requests`` sends them)."""
    return [str(name) for name in metrics], [str(value) for value in metrics.values()]


def _overrides(cls: type, name: str) -> bool:
    """True when ``cls`` replaces `Communication`'s method ``name``."""
    return getattr(cls, name) is not getattr(Communication, name)


def _client_timeout(timeout: httpx.Timeout | float | None) -> httpx.Timeout:
    if timeout is None:
        return DEFAULT_TIMEOUT
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


def _per_call_timeout(timeout: httpx.Timeout | float | None) -> Any:
    """A call's own timeout, or httpx's marker for "the client's"."""
    if timeout is None:
        return httpx.USE_CLIENT_DEFAULT
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
