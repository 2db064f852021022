"""``client.models``: upload, download, inspect and delete models (``/api/models/``).

Global models and local models move through the streaming transfer of `fl_client._core.transfer`
(a temporary file, a random multipart boundary, Content-Length, a download verified before torch
sees it); the async client runs those transfers in a worker thread. Every other call goes through
the generated operations.
"""

from __future__ import annotations

import asyncio
import builtins
import io
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from fl_demonstrator_api.api.models import (
    create_model,
    delete_model,
    download_model,
    download_preprocessing_model,
    get_model_metadata,
    list_model_metrics,
    list_models,
    upload_model_metrics,
    upload_preprocessing_model,
    upload_swag_statistics,
)
from fl_demonstrator_api.models import (
    Detail,
    GlobalModel,
    GlobalModelMetadata,
    LocalModel,
    LocalModelMetadata,
    LocalModelUpload,
    MeanModel,
    MeanModelCreate,
    Metric,
    MetricsForm,
    ModelCreated,
    ModelType,
    ModelUpload,
    PreprocessingUpload,
    SwagModel,
    SwagUpload,
)
from fl_demonstrator_api.types import UNSET, File, Response

from .._core import transfer
from .._core.connection import Connection, Operation, expect_list, expect_one
from .._core.http import parsed_as
from ..defaults import MODEL_FILE_NAME
from ..exceptions import APIResponseValidationError, ConfigurationError
from ._base import AsyncResource, Id, SyncResource, as_enum, id_text

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = ["AsyncModels", "ModelSource", "Models"]

AnyModel = GlobalModel | LocalModel | MeanModel | SwagModel
ModelMetadata = GlobalModelMetadata | LocalModelMetadata
ModelSource = Any
"""What an upload accepts: an ``nn.Module``, a TorchScript module, a path to a model file, or bytes."""

_MODEL_TYPES = (GlobalModel, LocalModel, MeanModel, SwagModel)


def _bytes(response: Response[Any], op: Operation[Any]) -> bytes:
    return parsed_as(response, bytes, operation=op.name, method=op.method, path=op.path)


def _metadata_parse(response: Response[Any], op: Operation[Any]) -> ModelMetadata:
    parsed = response.parsed
    if isinstance(parsed, GlobalModelMetadata | LocalModelMetadata):
        return parsed
    return parsed_as(response, GlobalModelMetadata, operation=op.name, method=op.method, path=op.path)


def metadata_op(model_id: Id) -> Operation[ModelMetadata]:
    mid = id_text(model_id, "model_id")
    return Operation.of(get_model_metadata, mid, name="get model metadata", method="GET",
                        path=f"/api/models/{mid}/metadata/", expected={200}, parse=_metadata_parse)  # fmt: skip


def metrics_op(model_id: Id) -> Operation[list[Metric]]:
    mid = id_text(model_id, "model_id")
    return Operation.of(list_model_metrics, mid, name="list model metrics", method="GET",
                        path=f"/api/models/{mid}/metrics/", expected={200}, parse=expect_list(Metric))  # fmt: skip


def _list() -> Operation[list[AnyModel]]:
    return Operation.of(list_models, name="list models", method="GET", path="/api/models/",
                        expected={200}, parse=expect_list(*_MODEL_TYPES))  # fmt: skip


def _delete(model_id: Id) -> Operation[Detail]:
    mid = id_text(model_id, "model_id")
    return Operation.of(delete_model, mid, name="delete model", method="DELETE", path=f"/api/models/{mid}/",
                        expected={200}, parse=expect_one(Detail))  # fmt: skip


def _download_bytes(model_id: Id, *, preprocessing: bool) -> Operation[bytes]:
    mid = id_text(model_id, "model_id")
    if preprocessing:
        return Operation.of(download_preprocessing_model, mid, name="preprocessing download", method="GET",
                            path=f"/api/models/{mid}/preprocessing/", expected={200}, parse=_bytes)  # fmt: skip
    return Operation.of(download_model, mid, name="model download", method="GET", path=f"/api/models/{mid}/",
                        expected={200}, parse=_bytes)  # fmt: skip


def _metric_fields(metrics: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    if not metrics:
        raise ConfigurationError("metrics must name at least one metric")
    return [str(name) for name in metrics], [str(value) for value in metrics.values()]


def _upload_metrics(model_id: Id, metrics: Mapping[str, Any]) -> Operation[ModelCreated]:
    mid = id_text(model_id, "model_id")
    names, values = _metric_fields(metrics)
    return Operation.of(upload_model_metrics, mid, name="metrics upload", method="POST",
                        path=f"/api/models/{mid}/metrics/", expected={201}, parse=expect_one(ModelCreated),
                        body=MetricsForm(metric_names=names, metric_values=values))  # fmt: skip


def _file(source: ModelSource, name: str) -> File:
    """A small file part (preprocessing module, SWAG moments) from a module, tensor, path or bytes."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        data = Path(source).read_bytes()
    else:
        from ..serialization import pack_model

        data = pack_model(source)
    return File(payload=io.BytesIO(data), file_name=name)


def _upload_preprocessing(model_id: Id, source: ModelSource) -> Operation[Detail]:
    mid = id_text(model_id, "model_id")
    body = PreprocessingUpload(model_preprocessing_file=_file(source, "preprocessing.pt"))
    return Operation.of(upload_preprocessing_model, mid, name="preprocessing upload", method="POST",
                        path=f"/api/models/{mid}/preprocessing/", expected={202}, parse=expect_one(Detail),
                        body=body)  # fmt: skip


def _upload_swag(model_id: Id, first: Any, second: Any, round_: int, sample_size: int) -> Operation[Detail]:
    mid = id_text(model_id, "model_id")
    body = SwagUpload(round_=round_, sample_size=sample_size, first_moment_file=_file(first, "first.pt"),
                      second_moment_file=_file(second, "second.pt"))  # fmt: skip
    return Operation.of(upload_swag_statistics, mid, name="swag upload", method="POST",
                        path=f"/api/models/{mid}/swag/", expected={201}, parse=expect_one(Detail), body=body)  # fmt: skip


def _create_mean(models: Iterable[Id], name: str, description: str) -> Operation[ModelCreated]:
    from uuid import UUID

    body = MeanModelCreate.from_dict({
        "type": "MEAN", "name": name, "description": description,
        "models": [str(UUID(id_text(m, "models"))) for m in models]})  # fmt: skip
    return Operation.of(create_model, name="create mean model", method="POST", path="/api/models/",
                        expected={201}, parse=expect_one(ModelCreated), body=body)  # fmt: skip


def _shape_fields(input_shape: Sequence[int | None] | None) -> list[str] | Any:
    if input_shape is None:
        return UNSET
    for dim in input_shape:
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool) or dim < 1):
            raise ConfigurationError(f"input_shape holds integers >= 1 or None, not {dim!r}")
    return ["None" if dim is None else str(dim) for dim in input_shape]


class _Transfers:
    """The streamed uploads and downloads, written once (sync); the async twin runs them in a thread."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _send_file(self, source: ModelSource, path: str | Callable[[], str], parts: Any, operation: str,
                   file_field: str = "model_file") -> httpx.Response | None:  # fmt: skip
        c = self._connection
        retry = c.retrying(operation, idempotent=False)
        if isinstance(source, str | os.PathLike):
            file = Path(source)
            if not file.is_file():
                raise ConfigurationError(f"model file {str(file)!r} not found")
            body = transfer.MultipartFileBody.from_parts(
                parts, file_field=file_field, file_path=file, progress=c.options.progress
            )
            return transfer.send_upload(c.http, path, body, operation=operation, retry=retry,
                                        max_model_bytes=c.options.max_model_bytes)  # fmt: skip
        save = None
        if isinstance(source, bytes | bytearray):
            data = bytes(source)

            def save(_: Any, file: Path) -> None:
                file.write_bytes(data)

        return transfer.upload_model(c.http, path, source, parts, file_field=file_field, save=save,
                                     progress=c.options.progress, temp_dir=c.options.temp_dir,
                                     operation=operation, retry=retry,
                                     max_model_bytes=c.options.max_model_bytes)  # fmt: skip

    def create(self, source: ModelSource, name: str, description: str, input_shape: Sequence[int | None] | None,
               model_type: ModelType | str, preprocessing: ModelSource | None) -> ModelCreated:  # fmt: skip
        kind = as_enum(ModelType, model_type, "model_type")
        if kind is ModelType.MEAN:
            raise ConfigurationError("a MEAN model has no file: use models.create_mean(...)")
        form = ModelUpload(
            name=name, description=description, type_=kind, input_shape=_shape_fields(input_shape),
            model_file=File(payload=io.BytesIO(), file_name=MODEL_FILE_NAME),
            model_preprocessing_file=UNSET if preprocessing is None else _file(preprocessing, "preprocessing.pt"),
        )  # fmt: skip
        response = self._send_file(source, "/api/models/", form.to_multipart(), "model upload")
        return _created(response, "model upload")

    def upload_local(self, global_model_id: Id, source: ModelSource, *, round_: int, sample_size: int,
                     metrics: Mapping[str, Any], owner: Id | None) -> Detail:  # fmt: skip
        mid = id_text(global_model_id, "global_model_id")
        names = [str(n) for n in metrics]
        form = LocalModelUpload(
            model_file=File(payload=io.BytesIO(), file_name=MODEL_FILE_NAME), round_=round_,
            sample_size=sample_size, metric_names=names, metric_values=[str(v) for v in metrics.values()],
            owner=UNSET if owner is None else id_text(owner, "owner"),
        )  # fmt: skip
        response = self._send_file(source, f"/api/models/{mid}/", form.to_multipart(), "local model upload")
        if response is None:  # pragma: no cover - no verify step here, so always an answer
            raise APIResponseValidationError("local model upload: no answer to read")
        detail: Detail = _json_as(response, Detail, "local model upload")
        return detail

    def download(self, model_id: Id, trusted_classes: Iterable[TrustedClass], trust_remote_code: bool | None,
                 map_location: Any) -> Any:  # fmt: skip
        c = self._connection
        mid = id_text(model_id, "model_id")
        return transfer.download_model(
            c.http, f"/api/models/{mid}/", trusted_classes=c.trusted(trusted_classes),
            trust_remote_code=c.options.trust_remote_code if trust_remote_code is None else trust_remote_code,
            map_location=c.options.map_location if map_location is None else map_location,
            progress=c.options.progress, temp_dir=c.options.temp_dir,
            retry=c.retrying("model download", idempotent=True),
        )  # fmt: skip

    def download_to(self, model_id: Id, destination: str | os.PathLike[str]) -> Path:
        c = self._connection
        mid = id_text(model_id, "model_id")
        path = Path(destination)
        partial = path.with_name(path.name + ".part")
        try:
            c.retrying("model download", idempotent=True)(
                lambda: transfer.download_to_file(
                    c.http, f"/api/models/{mid}/", partial, progress=c.options.progress
                )
            )
            partial.replace(path)  # a verified, complete file only ever appears under the final name
        finally:
            partial.unlink(missing_ok=True)
        return path


def _json_as(response: httpx.Response, cls: Any, operation: str) -> Any:
    try:
        return cls.from_dict(response.json())
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise APIResponseValidationError(
            f"{operation} failed: {response.request.method} {response.request.url.path} answered "
            f"{response.status_code} with a body that is not the documented content",
            status_code=response.status_code,
            response=response,
        ) from exc


def _created(response: httpx.Response | None, operation: str) -> ModelCreated:
    if response is None:  # pragma: no cover - no verify step here, so always an answer
        raise APIResponseValidationError(f"{operation}: no answer to read")
    created: ModelCreated = _json_as(response, ModelCreated, operation)
    return created


class Models(SyncResource):
    """Models: global models an actor uploads, local models participants send, metrics on them."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._transfers = _Transfers(connection)

    def create(
        self,
        model: ModelSource,
        *,
        name: str,
        description: str = "",
        input_shape: Sequence[int | None] | None = None,
        model_type: ModelType | str = ModelType.GLOBAL,
        preprocessing: ModelSource | None = None,
    ) -> ModelCreated:
        """Upload a global (or SWAG) model: an ``nn.Module``, a TorchScript module, a path or bytes.

        The file streams (a module is saved to a temporary file first) with a random multipart
        boundary and a Content-Length. ``input_shape`` (``None`` = a free dimension) lets the server
        compute the model's statistics; ``preprocessing`` is an optional preprocessing module.
        Retried only when the request provably never reached the server.
        """
        return self._transfers.create(model, name, description, input_shape, model_type, preprocessing)

    def create_mean(self, models: Iterable[Id], *, name: str, description: str = "") -> ModelCreated:
        """Create a MEAN (ensemble) model of models the caller owns."""
        return self._connection.request(_create_mean(models, name, description))

    def list(self) -> builtins.list[AnyModel]:
        """Models the caller owns plus the global models of the caller's trainings."""
        return self._connection.request(_list())

    def metadata(self, model_id: Id) -> ModelMetadata:
        """A model's metadata: `GlobalModelMetadata` (with ``round_`` and ``stats``) or `LocalModelMetadata`."""
        return self._connection.request(metadata_op(model_id))

    def download(
        self,
        model_id: Id,
        *,
        trusted_classes: Iterable[TrustedClass] = (),
        trust_remote_code: bool | None = None,
        map_location: Any = None,
    ) -> Any:
        """Download a model and load it safely (TorchScript via ``torch.jit.load``, else
        ``weights_only`` with torch.nn's classes and ``trusted_classes``); verified complete first."""
        return self._transfers.download(model_id, trusted_classes, trust_remote_code, map_location)

    def download_to(self, model_id: Id, destination: str | os.PathLike[str]) -> Path:
        """Stream a model's file to ``destination`` (verified against its Content-Length; the file
        appears only when complete). Returns the path."""
        return self._transfers.download_to(model_id, destination)

    def download_bytes(self, model_id: Id) -> bytes:
        """A model's file as bytes (in memory: prefer `download_to` for big models)."""
        return self._connection.request(_download_bytes(model_id, preprocessing=False))

    def delete(self, model_id: Id) -> Detail:
        """Delete a model (deleting a global model deletes its training)."""
        return self._connection.request(_delete(model_id))

    def metrics(self, model_id: Id) -> builtins.list[Metric]:
        """Metrics reported on a model (``step`` is the round)."""
        return self._connection.request(metrics_op(model_id))

    def upload_metrics(self, model_id: Id, metrics: Mapping[str, Any]) -> ModelCreated:
        """Report metrics on a model (at its current round). Not retried once it may have arrived."""
        return self._connection.request(_upload_metrics(model_id, metrics))

    def upload_local(
        self,
        global_model_id: Id,
        model: ModelSource,
        *,
        round: int,
        sample_size: int,
        metrics: Mapping[str, Any] | None = None,
        owner: Id | None = None,
    ) -> Detail:
        """Upload a participant's local model for ``round`` of global model ``global_model_id``
        (streamed). Training scripts normally use `fl_client.Communication.upload_model`."""
        return self._transfers.upload_local(global_model_id, model, round_=round, sample_size=sample_size,
                                            metrics=metrics or {}, owner=owner)  # fmt: skip

    def upload_swag(
        self, model_id: Id, first_moment: Any, second_moment: Any, *, round: int, sample_size: int
    ) -> Detail:
        """Upload SWAG first and second moments (tensors, or their saved bytes) for ``round``."""
        return self._connection.request(
            _upload_swag(model_id, first_moment, second_moment, round, sample_size)
        )

    def upload_preprocessing(self, model_id: Id, preprocessing: ModelSource) -> Detail:
        """Set or replace the preprocessing module of a global model (a module, path or bytes)."""
        return self._connection.request(_upload_preprocessing(model_id, preprocessing))

    def download_preprocessing(self, model_id: Id) -> bytes:
        """The preprocessing module's file (raises `NotFoundError` when there is none)."""
        return self._connection.request(_download_bytes(model_id, preprocessing=True))


class AsyncModels(AsyncResource):
    """The async twin of `Models`; streamed transfers run in a worker thread."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._transfers = _Transfers(connection)

    async def create(
        self,
        model: ModelSource,
        *,
        name: str,
        description: str = "",
        input_shape: Sequence[int | None] | None = None,
        model_type: ModelType | str = ModelType.GLOBAL,
        preprocessing: ModelSource | None = None,
    ) -> ModelCreated:
        """See `Models.create`."""
        return await asyncio.to_thread(
            self._transfers.create, model, name, description, input_shape, model_type, preprocessing
        )

    async def create_mean(self, models: Iterable[Id], *, name: str, description: str = "") -> ModelCreated:
        """See `Models.create_mean`."""
        return await self._connection.arequest(_create_mean(models, name, description))

    async def list(self) -> builtins.list[AnyModel]:
        """See `Models.list`."""
        return await self._connection.arequest(_list())

    async def metadata(self, model_id: Id) -> ModelMetadata:
        """See `Models.metadata`."""
        return await self._connection.arequest(metadata_op(model_id))

    async def download(
        self,
        model_id: Id,
        *,
        trusted_classes: Iterable[TrustedClass] = (),
        trust_remote_code: bool | None = None,
        map_location: Any = None,
    ) -> Any:
        """See `Models.download`."""
        return await asyncio.to_thread(
            self._transfers.download, model_id, trusted_classes, trust_remote_code, map_location
        )

    async def download_to(self, model_id: Id, destination: str | os.PathLike[str]) -> Path:
        """See `Models.download_to`."""
        return await asyncio.to_thread(self._transfers.download_to, model_id, destination)

    async def download_bytes(self, model_id: Id) -> bytes:
        """See `Models.download_bytes`."""
        return await self._connection.arequest(_download_bytes(model_id, preprocessing=False))

    async def delete(self, model_id: Id) -> Detail:
        """See `Models.delete`."""
        return await self._connection.arequest(_delete(model_id))

    async def metrics(self, model_id: Id) -> builtins.list[Metric]:
        """See `Models.metrics`."""
        return await self._connection.arequest(metrics_op(model_id))

    async def upload_metrics(self, model_id: Id, metrics: Mapping[str, Any]) -> ModelCreated:
        """See `Models.upload_metrics`."""
        return await self._connection.arequest(_upload_metrics(model_id, metrics))

    async def upload_local(
        self,
        global_model_id: Id,
        model: ModelSource,
        *,
        round: int,
        sample_size: int,
        metrics: Mapping[str, Any] | None = None,
        owner: Id | None = None,
    ) -> Detail:
        """See `Models.upload_local`."""
        return await asyncio.to_thread(
            lambda: self._transfers.upload_local(
                global_model_id,
                model,
                round_=round,
                sample_size=sample_size,
                metrics=metrics or {},
                owner=owner,
            )
        )

    async def upload_swag(
        self, model_id: Id, first_moment: Any, second_moment: Any, *, round: int, sample_size: int
    ) -> Detail:
        """See `Models.upload_swag`."""
        return await self._connection.arequest(
            _upload_swag(model_id, first_moment, second_moment, round, sample_size)
        )

    async def upload_preprocessing(self, model_id: Id, preprocessing: ModelSource) -> Detail:
        """See `Models.upload_preprocessing`."""
        return await self._connection.arequest(_upload_preprocessing(model_id, preprocessing))

    async def download_preprocessing(self, model_id: Id) -> bytes:
        """See `Models.download_preprocessing`."""
        return await self._connection.arequest(_download_bytes(model_id, preprocessing=True))
