"""``client.inference``: run a training's global model on input data (``POST /api/inference/``)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fl_demonstrator_api.api.inference import run_inference
from fl_demonstrator_api.models import (
    InferenceRequest,
    InferenceRequestReturnFormat,
    InferenceResult,
    InferenceUpload,
    InferenceUploadReturnFormat,
)
from fl_demonstrator_api.types import File, Response

from .._core.connection import Operation, expect_one
from .._core.http import parsed_as
from ..exceptions import ConfigurationError
from ._base import AsyncResource, Id, SyncResource, id_text

__all__ = ["AsyncInference", "BinaryInference", "Inference", "ModelInput"]

ModelInput = Any
"""A ``torch.Tensor``, nested lists of numbers (send floats), image file bytes, or base64 image text."""


@dataclass(frozen=True)
class BinaryInference:
    """The binary answer, loaded safely: ``inference`` is a tensor, ``uncertainty`` a dict of them."""

    inference: Any
    uncertainty: dict[str, Any]


def _body(model_id: Id, model_input: ModelInput, binary: bool) -> InferenceRequest | InferenceUpload:
    mid = UUID(id_text(model_id, "model_id"))
    if isinstance(model_input, str) or (
        isinstance(model_input, Sequence) and not isinstance(model_input, bytes | bytearray)
    ):
        fmt = InferenceRequestReturnFormat.BINARY if binary else InferenceRequestReturnFormat.JSON
        data = model_input if isinstance(model_input, str) else list(model_input)
        return InferenceRequest(model_id=mid, model_input=data, return_format=fmt)
    if isinstance(model_input, bytes | bytearray):
        payload = bytes(model_input)
    elif hasattr(model_input, "detach"):
        from ..serialization import pack_model

        payload = pack_model(model_input.detach().cpu())
    else:
        raise ConfigurationError(
            f"model_input must be a tensor, nested lists, image bytes or base64 text, not {type(model_input).__name__}"
        )
    fmt_upload = InferenceUploadReturnFormat.BINARY if binary else InferenceUploadReturnFormat.JSON
    return InferenceUpload(
        model_id=mid,
        model_input=File(payload=io.BytesIO(payload), file_name="input.pt"),
        return_format=fmt_upload,
    )


def _binary(response: Response[Any], op: Operation[Any]) -> BinaryInference:
    from ..serialization import load_inference_result

    if response.parsed is not None or "json" in response.headers.get("content-type", ""):
        parsed_as(
            response, bytes, operation=op.name, method=op.method, path=op.path
        )  # raises the typed error
    result = load_inference_result(response.content)
    uncertainty = result.get("uncertainty") or {}
    return BinaryInference(result["inference"], dict(uncertainty) if isinstance(uncertainty, dict) else {})


def _predict(model_id: Id, model_input: ModelInput) -> Operation[InferenceResult]:
    return Operation.of(run_inference, name="inference", method="POST", path="/api/inference/",
                        expected={200}, parse=expect_one(InferenceResult), body=_body(model_id, model_input, False))  # fmt: skip


def _predict_binary(model_id: Id, model_input: ModelInput) -> Operation[BinaryInference]:
    return Operation.of(run_inference, name="inference", method="POST", path="/api/inference/",
                        expected={200}, parse=_binary, accept_unparsed=True,
                        body=_body(model_id, model_input, True))  # fmt: skip


class Inference(SyncResource):
    """Inference with the global model of a training (its uncertainty method picks the algorithm)."""

    def predict(self, model_id: Id, model_input: ModelInput) -> InferenceResult:
        """Run the model; JSON answer: ``inference`` (nested lists) and ``uncertainty``.

        Nested lists go as JSON (use floats: integers make an int64 tensor a float model rejects);
        tensors and image bytes go as a multipart file.
        """
        return self._connection.request(_predict(model_id, model_input))

    def predict_binary(self, model_id: Id, model_input: ModelInput) -> BinaryInference:
        """Run the model; binary answer (tensors), loaded with a loader that runs no pickled code."""
        return self._connection.request(_predict_binary(model_id, model_input))


class AsyncInference(AsyncResource):
    """The async twin of `Inference`."""

    async def predict(self, model_id: Id, model_input: ModelInput) -> InferenceResult:
        """See `Inference.predict`."""
        return await self._connection.arequest(_predict(model_id, model_input))

    async def predict_binary(self, model_id: Id, model_input: ModelInput) -> BinaryInference:
        """See `Inference.predict_binary`."""
        return await self._connection.arequest(_predict_binary(model_id, model_input))
