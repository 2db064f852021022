"""``POST /api/inference/``: run a training's global model on input data (API reference §5.6).

The checks, their order and their answers follow the server's view:

1. the content type: JSON or multipart, anything else 415; a JSON body that does not parse is
   the server's unhandled 500;
2. ``model_id`` present (400), the model exists (400 "not found"), ``return_format`` is ``json``
   or ``binary`` (default: ``json`` for JSON bodies, ``binary`` for multipart);
3. ``model_input`` present: a multipart file part, or the field's value (400 when missing or empty);
4. decoding: a ``torch.save``d tensor, else base64 text of bytes; then the global model's
   preprocessing module when it has one (its failure is an unhandled 500), else an image (when
   Pillow is installed: a ``C x H x W`` float tensor in [0, 1], as torchvision's ``to_tensor``
   makes it), else ``torch.as_tensor``; not a tensor by then: 400; a non-null dimension of the
   model's ``input_shape`` that differs: 400;
5. the inference by the training's uncertainty method: ``NONE`` (arg-max over dimension 1 of
   one forward pass) and ``MC_DROPOUT`` (``options.uncertainty.N`` passes, 10 by default, with
   the dropout layers active, optionally softmaxed; mean, variance, std, and the entropies when
   every output lies in [0, 1]). A model without a training, a local model, ``ENSEMBLE`` and
   ``SWAG`` (which need MEAN- and SWAG-type models, which the emulator cannot create) and any
   failure of the forward pass answer the server's 500 "Internal Server Error occurred during
   inference!".

The answer is JSON (as the server writes it: ``NaN`` is not refused) or a plain pickle of
``{"inference": Tensor, "uncertainty": dict}``. Models load with the emulator's safe loader;
torch is imported when the first inference request arrives.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
from typing import TYPE_CHECKING, Any

from ._store import ApiFailure, server_error
from ._wire import Context, Reply, Request, unguarded_json

if TYPE_CHECKING:
    import torch

__all__ = ["run_inference"]

_UNSUPPORTED = (
    "Unsupported media type \"Only Content-Type 'application/json' and 'multipart/form-data' "
    'is supported." in request.'
)
_INFERENCE_FAILED = "Internal Server Error occurred during inference!"
_NOT_A_TENSOR = "Model input could not be casted or interpreted as a PyTorch tensor object"
_MISSING = object()


def _inference_failure() -> ApiFailure:
    return ApiFailure(500, {"detail": _INFERENCE_FAILED})


def _fields(req: Request) -> tuple[Any, bool]:
    """The request's fields (a JSON value, or the multipart form) and whether it was JSON."""
    body = req.body
    if body.content_type == "multipart/form-data":
        return {name: values[-1] for name, values in body.form.items()}, False
    if body.content_type == "application/json":
        return unguarded_json(req), True
    raise ApiFailure(415, {"detail": _UNSUPPORTED})


def _field(fields: Any, name: str) -> Any:
    """``fields.get(name)`` as the view does it on whatever the JSON body was."""
    if isinstance(fields, dict):
        return fields.get(name, _MISSING)
    if isinstance(fields, list | str) and name not in fields:  # the view's "in": an element, a substring
        return _MISSING
    raise server_error()  # indexing a list, a string or a number fails unhandled


def run_inference(ctx: Context, req: Request) -> Reply:
    fields, is_json = _fields(req)
    model_id = _field(fields, "model_id")
    if model_id is _MISSING:
        raise ApiFailure(400, ["No 'model_id' provided in request."])
    store = ctx.store
    with store.lock:
        model = store.get_model(str(model_id))
    return_format = fields.get("return_format", "json" if is_json else "binary")
    if return_format not in ("binary", "json"):
        raise ApiFailure(400, [f"Unknown return format '{return_format}'. Supported are binary and json."])
    uploaded = req.body.files.get("model_input")
    model_input = uploaded[-1] if uploaded else fields.get("model_input")
    if not model_input:
        raise ApiFailure(400, ["No uploaded file 'model_input' found."])
    with store.lock:
        base = model if model.is_global else store.models.get(model.base_model or "")
        preprocessing = base.preprocessing if base is not None else None
        input_shape = base.input_shape if base is not None else None
        training = store.training_of_model(model.id)
        method = training.uncertainty_method if training is not None else None
        options = dict(training.options) if training is not None else {}
        weights = model.data
    tensor = _model_input(ctx, model_input, preprocessing)
    if input_shape and not all(
        size == expected
        for size, expected in zip(tensor.shape, input_shape, strict=False)
        if expected is not None
    ):
        raise ApiFailure(400, ["Input shape does not match model input shape."])
    inference, uncertainty = _predict(ctx, weights, method, options, tensor)
    if return_format == "binary":
        return Reply(
            200,
            pickle.dumps({"inference": inference, "uncertainty": uncertainty}),
            "application/octet-stream",
        )
    document = {"inference": inference.tolist(), "uncertainty": _plain(uncertainty) if uncertainty else {}}
    return Reply(200, json.dumps(document).encode(), "application/json")


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


# ---------------------------------------------------------------------------------------------
# decoding the input


def _model_input(ctx: Context, value: Any, preprocessing: bytes | None) -> torch.Tensor:
    import torch

    decoded = _decode(value)
    if preprocessing is not None:
        module = _load(ctx, preprocessing)
        try:
            with torch.no_grad():
                decoded = module(decoded)
        except Exception:
            raise server_error() from None  # the view does not guard the preprocessing call
        suffix = " and is still not a PyTorch tensor after preprecessing."  # sic
    else:
        decoded = _cast(decoded)
        suffix = " and no preprecessing is defined."  # sic
    if not isinstance(decoded, torch.Tensor):
        raise ApiFailure(400, [_NOT_A_TENSOR + suffix])
    return decoded


def _decode(value: Any) -> Any:
    """A saved tensor, else the bytes that base64 text stands for, else the value itself."""
    import torch

    if isinstance(value, bytes):
        try:
            loaded = torch.load(io.BytesIO(value), weights_only=True)
        except Exception:  # not a torch file at all: torch raises many kinds
            loaded = None
        if isinstance(loaded, torch.Tensor):
            return loaded
    if isinstance(value, str | bytes):
        try:
            raw = value.encode("ascii") if isinstance(value, str) else value
            decoded = base64.b64decode(raw)
        except (UnicodeEncodeError, binascii.Error, ValueError):
            return value
        if base64.b64encode(decoded) == raw:
            return decoded
    return value


def _cast(value: Any) -> Any:
    """An image (when Pillow is installed), else ``torch.as_tensor``; else the value unchanged."""
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, bytes):
        image = _image_tensor(value)
        if image is not None:
            return image
    try:
        return torch.as_tensor(value)
    except Exception:  # ragged lists, text, bytes: not a tensor
        return value


def _image_tensor(data: bytes) -> torch.Tensor | None:
    """Image bytes as ``C x H x W``: 8-bit modes scaled to [0, 1], like torchvision's ``to_tensor``."""
    import torch

    try:
        from PIL import Image
    except ImportError:  # Pillow is not a dependency of fl_client: no image inputs then
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("L") if opened.mode == "1" else opened.copy()
    except Exception:  # not an image Pillow can read
        return None
    width, height = image.size
    dtypes = {"I": torch.int32, "I;16": torch.int16, "F": torch.float32}
    if image.mode not in dtypes and image.mode not in {"L", "P", "LA", "RGB", "RGBA", "CMYK", "YCbCr"}:
        image = image.convert("RGB")
    raw = bytearray(image.tobytes())
    pixels = torch.frombuffer(raw, dtype=dtypes.get(image.mode, torch.uint8)).reshape(height, width, -1)
    tensor = pixels.permute(2, 0, 1).contiguous()
    return tensor.float().div(255) if image.mode not in dtypes else tensor


# ---------------------------------------------------------------------------------------------
# the inference


def _load(ctx: Context, data: bytes) -> torch.nn.Module:
    from .aggregation import ModelFileError, load_module

    try:
        return load_module(data, trusted_classes=ctx.trusted_classes, trust_remote_code=ctx.trust_remote_code)
    except ModelFileError as exc:
        raise ApiFailure(500, {"detail": exc.reason}) from None


def _predict(
    ctx: Context,
    weights: bytes,
    method: str | None,
    options: dict[str, Any],
    tensor: torch.Tensor,
) -> tuple[torch.Tensor, dict[str, Any]]:
    import torch

    if method not in ("NONE", "MC_DROPOUT"):
        raise _inference_failure()  # no training, a local model, or ENSEMBLE/SWAG without their model types
    net = _load(ctx, weights)
    try:
        with torch.no_grad():
            if method == "NONE":
                return net(tensor).argmax(dim=1), {}
            return _mc_dropout(net, tensor, options)
    except ApiFailure:
        raise
    except Exception:
        raise _inference_failure() from None


def _mc_dropout(
    net: torch.nn.Module, tensor: torch.Tensor, options: dict[str, Any]
) -> tuple[torch.Tensor, dict[str, Any]]:
    import torch

    settings = options.get("uncertainty", {})
    passes, softmax = settings.get("N", 10), settings.get("softmax", False)
    net.eval()
    for module in net.modules():
        if (
            isinstance(module, torch.nn.modules.dropout._DropoutNd)
            or "dropout" in type(module).__name__.lower()
        ):
            module.train(True)
    outputs = []
    for _ in range(passes):
        output = net(tensor)
        outputs.append(torch.softmax(output, dim=1) if softmax else output)
    stacked = torch.stack(outputs, dim=0)  # passes x batch x classes
    uncertainty: dict[str, Any] = {"variance": stacked.var(dim=0), "std": stacked.std(dim=0)}
    if bool(torch.all(stacked <= 1.0)) and bool(torch.all(stacked >= 0.0)):
        predictive = torch.distributions.Categorical(probs=stacked.mean(dim=0)).entropy()
        expected = torch.distributions.Categorical(probs=stacked).entropy().mean(dim=0)
        uncertainty.update(
            predictive_entropy=predictive, expected_entropy=expected, mutual_info=predictive - expected
        )
    return stacked.mean(dim=0), uncertainty
