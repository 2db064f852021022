"""``/api/models/...``: global model upload, download, local (participant) uploads, metrics, SWAG.

Checks, their order and their texts follow API reference §5.4 and §7.1. The one deliberate
difference: a participant's second local upload for the same round is rejected with 400 (the
real server stores it, counts it, and can aggregate early or get stuck, §7.1).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ._store import DRF_PERMISSION_DENIED, ApiFailure, Model, ModelKind, not_found, server_error
from ._wire import Context, Reply, Request, json_reply

__all__ = [
    "MAX_METRIC_NAME_LENGTH",
    "create_model",
    "delete_model",
    "download_model",
    "download_preprocessing_model",
    "get_model_metadata",
    "list_model_metrics",
    "list_models",
    "upload_local_model",
    "upload_model_metrics",
    "upload_preprocessing_model",
    "upload_swag_statistics",
]

_logger = logging.getLogger("fl.client.testing.api")

MAX_METRIC_NAME_LENGTH = 32  # a longer name makes the server's database insert fail (500)
_MODEL_UPLOAD_FIELDS = {
    "name",
    "description",
    "type",
    "model_file",
    "model_preprocessing_file",
    "input_shape",
    "round",
    "owner",
}
_NOT_IMPLEMENTED_TYPES = {"SWAG", "MEAN"}


def _load_or_400(ctx: Context, data: bytes, what: str) -> None:
    from .aggregation import ModelFileError, load_module

    try:
        load_module(data, trusted_classes=ctx.trusted_classes, trust_remote_code=ctx.trust_remote_code)
    except ModelFileError as exc:
        raise ApiFailure(400, [f"Invalid {what} file: {exc.reason}"]) from None


def _storable(ctx: Context, *files: bytes | None) -> None:
    """The server writes a file into its INSERT as hex text; PostgreSQL cannot parse that for a
    file over its ceiling (fl_client.defaults.SERVER_MAX_MODEL_BYTES): an unhandled 500, and
    nothing stored. Called where the server saves, after its checks."""
    for data in files:
        if data is not None and len(data) > ctx.max_stored_bytes:
            _logger.warning(
                "a %d-byte file is over the %d bytes the database stores: the server answers 500",
                len(data),
                ctx.max_stored_bytes,
            )
            raise server_error()


def _integer(text: str) -> int:
    """``int()`` of a form value; the server does not catch a bad one (500)."""
    try:
        return int(text)
    except ValueError:
        raise server_error() from None


def _single(req: Request, name: str) -> str:
    values = req.body.values(name)
    if not values:
        raise ApiFailure(400, {"detail": f"'{name}'"})  # the server's KeyError text
    if len(values) > 1:
        raise server_error()
    return values[0]


# ---------------------------------------------------------------------------------------------


def list_models(ctx: Context, req: Request) -> Reply:
    caller = req.caller.id
    store = ctx.store
    with store.lock:
        mine = [m for m in store.models.values() if m.owner == caller]
        training_models = [
            store.models[t.model]
            for t in store.trainings.values()
            if (t.actor == caller or caller in t.participants) and t.model in store.models
        ]
        found = {m.id: m for m in [*mine, *training_models]}
        return json_reply(200, [m.to_json() for m in sorted(found.values(), key=lambda m: m.created)])


def create_model(ctx: Context, req: Request) -> Reply:
    body = req.body
    model_type = (body.values("type") or ["GLOBAL"])[0].upper()
    if model_type in _NOT_IMPLEMENTED_TYPES:
        raise ApiFailure(500, {"detail": f"fl_client emulator: {model_type} models are not implemented"})
    unknown = (set(body.form) | set(body.files)) - _MODEL_UPLOAD_FIELDS
    if unknown:
        _logger.warning("model upload with unknown fields %s: the server answers 500", sorted(unknown))
        raise server_error()
    data = body.first_file("model_file")
    if data is None:
        raise ApiFailure(400, {"detail": "No uploaded file 'model_file' found."})
    for name in ("name", "description"):
        if not body.values(name):
            raise ApiFailure(400, [f"Missing required field: {name}"])
    round_number = _integer(body.values("round")[0]) if body.values("round") else 0
    input_shape: list[int | None] | None = None
    if body.values("input_shape"):
        input_shape = [
            None if value.lower() in {"none", "null"} else _integer(value)
            for value in body.values("input_shape")
        ]
    _load_or_400(ctx, data, "model")
    preprocessing = body.first_file("model_preprocessing_file")
    if preprocessing is not None:
        _load_or_400(ctx, preprocessing, "preprocessing")
    _storable(ctx, data, preprocessing)
    model = Model(
        id=str(uuid.uuid4()),
        kind=ModelKind.GLOBAL,
        owner=req.caller.id,
        data=data,
        round=round_number,
        name=body.values("name")[0],
        description=body.values("description")[0],
        input_shape=input_shape,
        preprocessing=preprocessing,
    )
    with ctx.store.lock:
        ctx.store.add_model(model)
    return json_reply(201, {"detail": "Model Upload Accepted", "model_id": model.id})


def download_model(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        model = ctx.store.get_model(req.params["id"])
        data = model.data
    return Reply(
        200,
        data,
        "application/octet-stream",
        {"Content-Disposition": f'filename="model-{model.id}.pt"'},
    )


def download_preprocessing_model(ctx: Context, req: Request) -> Reply:
    """§5.4: a local model's id gives its base model's preprocessing module."""
    store = ctx.store
    with store.lock:
        model = store.get_model(req.params["id"])
        base = store.models.get(model.base_model) if model.base_model else model
        data = base.preprocessing if base is not None else None
    if data is None:
        raise ApiFailure(404, {"detail": f"Model '{model.id}' has no preprocessing model defined."})
    return Reply(
        200,
        data,
        "application/octet-stream",
        {"Content-Disposition": f'filename="model-{model.id}-proprecessing.pt"'},  # sic
    )


def upload_preprocessing_model(ctx: Context, req: Request) -> Reply:
    """§5.4: set or replace the preprocessing module of a global model, for its owner only."""
    store = ctx.store
    with store.lock:
        model = store.get_model(req.params["id"], type_name="GlobalModel", global_only=True)
        if model.owner != req.caller.id:
            raise ApiFailure(403, {"detail": f"You are not the owner of model {model.id}!"})
    data = req.body.first_file("model_preprocessing_file")
    if data is None:
        raise ApiFailure(400, {"detail": "No uploaded file 'model_preprocessing_file' found."})
    _load_or_400(ctx, data, "preprocessing")
    _storable(ctx, data)
    with store.lock:
        if model.id not in store.models:
            raise not_found("GlobalModel", req.params["id"])
        model.preprocessing = data
    return json_reply(202, {"detail": "Proprocessing Model Upload Accepted"})  # sic


def upload_local_model(ctx: Context, req: Request) -> Reply:
    """§7.1, checks in the server's order; then the emulator's duplicate check before the file check."""
    round_number = _integer(_single(req, "round"))
    sample_size = _integer(_single(req, "sample_size"))
    data = req.body.first_file("model_file")
    if data is None:
        raise ApiFailure(400, {"detail": "No uploaded file 'model_file' found."})
    store = ctx.store
    caller = req.caller.id
    with store.lock:
        model = store.get_model(req.params["id"], type_name="GlobalModel", global_only=True)
        training = store.training_of_model(model.id)
        if training is None:
            raise ApiFailure(
                404, {"detail": f"Model with ID {model.id} does not have a training process running"}
            )
        if caller not in training.participants:
            raise ApiFailure(403, {"detail": f"You are not a participant of training {training.id}!"})
        if training.state != "O":
            raise ApiFailure(400, [f"Training with ID {training.id} is in state {training.state}"])
        if round_number != model.round:
            raise ApiFailure(
                400, [f"Training with ID {training.id} is not currently in round {round_number}"]
            )
        if any(local.owner == caller for local in store.local_models(model.id, round=round_number)):
            # the real server accepts this and corrupts the round (§7.1); the emulator refuses
            raise ApiFailure(
                400,
                [
                    f"Duplicate upload: participant {caller} already uploaded a model for round "
                    f"{round_number} of training {training.id} (the fl_client emulator rejects this; "
                    "the real server accepts it and its round goes wrong)"
                ],
            )
    _load_or_400(ctx, data, "model")
    _storable(ctx, data)
    names, values = req.body.values("metric_names"), req.body.values("metric_values")
    with store.lock:
        if model.id not in store.models or training.id not in store.trainings:
            raise not_found("GlobalModel", req.params["id"])
        local = store.add_model(
            Model(
                id=str(uuid.uuid4()),
                kind=ModelKind.LOCAL,
                owner=caller,
                data=data,
                round=round_number,
                sample_size=sample_size,
                base_model=model.id,
            )
        )
        if bool(names) == bool(values) and len(names) == len(values):
            _store_metrics(ctx, local, names, values, caller)
        ctx.engine.local_model_stored(training, model)
    if bool(names) != bool(values):
        raise ApiFailure(400, {"detail": "Metric names or values are missing"})  # model already counts
    return json_reply(201, {"detail": "Model Update Accepted"})


def delete_model(ctx: Context, req: Request) -> Reply:
    store = ctx.store
    with store.lock:
        model = store.get_model(req.params["id"])
        training = store.training_of_model(model.base_model or model.id)
        allowed = model.owner == req.caller.id or (training is not None and training.actor == req.caller.id)
        if not allowed:
            raise ApiFailure(403, {"detail": DRF_PERMISSION_DENIED})
        store.delete_model(model)
    return json_reply(200, {"detail": "Model removed!"})


def get_model_metadata(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        model = ctx.store.get_model(req.params["id"])
        # the server's torchinfo summary is not emulated: null, as for a failed analysis
        return json_reply(200, {**model.to_json(), "stats": None})


def list_model_metrics(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        model = ctx.store.get_model(req.params["id"])
        return json_reply(200, [m.to_json() for m in ctx.store.metrics_of(model.id)])


def upload_model_metrics(ctx: Context, req: Request) -> Reply:
    store = ctx.store
    with store.lock:
        model = store.get_model(req.params["id"])
    body = req.body
    # a JSON body is not read by this view: its fields count as missing
    names = [] if body.is_json else body.values("metric_names")
    values = [] if body.is_json else body.values("metric_values")
    if not names or not values:
        raise ApiFailure(400, {"detail": "Metric names or values are missing"})
    if len(names) != len(values):
        raise ApiFailure(400, {"detail": "Metric names and values must have the same length"})
    if any(len(name) > MAX_METRIC_NAME_LENGTH for name in names):
        _logger.warning("metric name over %d characters: the server answers 500", MAX_METRIC_NAME_LENGTH)
        raise server_error()
    with store.lock:
        if model.id not in store.models:
            raise not_found("Model", req.params["id"])
        _store_metrics(ctx, model, names, values, req.caller.id, step=model.round)
        ctx.engine.metrics_stored(model)
    return json_reply(201, {"detail": "Model Metrics Upload Accepted", "model_id": model.id})


def _store_metrics(
    ctx: Context, model: Model, names: list[str], values: list[str], reporter: str, step: int | None = None
) -> None:
    for name, value in zip(names, values, strict=True):
        fields: dict[str, Any] = {"key": name, "step": model.round if step is None else step}
        try:
            fields["value_float"] = float(value)
        except ValueError:
            fields["value_binary"] = value.encode()
        ctx.store.add_metric(model=model.id, reporter=reporter, **fields)


def _swag_error(message: str) -> ApiFailure:
    """Every SWAG failure but a missing field or training is a 500 with the message (§7.3)."""
    return ApiFailure(500, {"detail": message})


def upload_swag_statistics(ctx: Context, req: Request) -> Reply:
    """§7.3: store the moments as metrics on the global model; the last participant's queues the mean."""
    from ._lifecycle import SWAG_FIRST_MOMENT, SWAG_SAMPLE_SIZE, SWAG_SECOND_MOMENT

    round_text, size_text = _single(req, "round"), _single(req, "sample_size")
    try:
        round_number, sample_size = int(round_text), int(size_text)
    except ValueError as exc:
        raise _swag_error(str(exc)) from None
    store = ctx.store
    caller = req.caller.id
    with store.lock:
        try:
            model = store.get_model(req.params["id"], type_name="GlobalModel", global_only=True)
        except ApiFailure as failure:
            raise _swag_error(str(failure.body.get("detail", failure.body))) from None
        training = store.training_of_model(model.id)
        if training is None:
            raise ApiFailure(
                404, {"detail": f"Model with ID {model.id} does not have a training process running"}
            )
        if caller not in training.participants:
            raise _swag_error(f"You are not a participant of training {training.id}!")
        if training.state != "S":
            raise _swag_error(
                f"[ErrorDetail(string='Training with ID {training.id} is in state {training.state}', code='invalid')]"
            )
        if round_number != model.round:
            raise _swag_error(
                f"[ErrorDetail(string='Training with ID {training.id} is not currently in round "
                f"{round_number}', code='invalid')]"
            )
        first, second = req.body.first_file("first_moment_file"), req.body.first_file("second_moment_file")
        if first is None or second is None:
            missing = "first_moment_file" if first is None else "second_moment_file"
            raise _swag_error(f"'{missing}'")
        for key, data in ((SWAG_FIRST_MOMENT, first), (SWAG_SECOND_MOMENT, second)):
            store.add_metric(model=model.id, reporter=caller, key=key, step=model.round, value_binary=data)
        store.add_metric(
            model=model.id,
            reporter=caller,
            key=SWAG_SAMPLE_SIZE,
            step=model.round,
            value_float=float(sample_size),
        )
        ctx.engine.swag_stored(training, model)
    return json_reply(201, {"detail": "SWAG Statistic Accepted"})
