"""``/api/trainings/...``: create, read, delete, participants, start, a training's models.

Checks and texts follow API reference §5.5. Field errors are marshmallow's texts, collected for
every field at once, as the server's schema does. A ``daisy_chain_period`` multiplies the stored
target (a non-integer one is a 500, as on the server).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ._store import DRF_PERMISSION_DENIED, ApiFailure, Model, Training, parse_uuid, server_error
from ._wire import Context, Reply, Request, json_reply, unguarded_json

__all__ = [
    "AGGREGATION_METHODS",
    "UNCERTAINTY_METHODS",
    "create_training",
    "delete_training",
    "get_training",
    "list_latest_training_models",
    "list_my_trainings",
    "list_training_models",
    "list_trainings",
    "register_training_clients",
    "remove_training_clients",
    "start_training",
]

AGGREGATION_METHODS = ("FedAvg", "FedDC", "FedProx")
UNCERTAINTY_METHODS = ("NONE", "ENSEMBLE", "MC_DROPOUT", "SWAG")
_REQUIRED_OR_500 = ("model_id", "target_num_updates", "metric_names")
_CREATE_FIELDS = {*_REQUIRED_OR_500, "aggregation_method", "uncertainty_method", "options", "clients"}
_MISSING = "Missing data for required field."


def _member(training: Training, user_id: str) -> bool:
    return training.actor == user_id or user_id in training.participants


def _check_member(training: Training, user_id: str) -> None:
    if not _member(training, user_id):
        raise ApiFailure(403, {"detail": DRF_PERMISSION_DENIED})


def _with_rounds(ctx: Context, training: Training) -> dict[str, Any]:
    return {
        **training.to_json(),
        "local_models_arrived": len(ctx.store.local_models(training.model)),
        "local_models_expected": len(training.participants),
    }


def _uuid_list_errors(value: Any) -> list[str] | dict[str, list[str]] | None:
    if not isinstance(value, list):
        return ["Not a valid list."]
    bad = {str(i): ["Not a valid UUID."] for i, item in enumerate(value) if parse_uuid(str(item)) is None}
    return bad or None


def _resolve_users(ctx: Context, ids: list[Any]) -> list[str]:
    resolved = [str(parse_uuid(str(item))) for item in ids]
    if any(user_id not in ctx.store.users for user_id in resolved):
        raise ApiFailure(400, {"detail": "Not all provided users were found!"})
    return resolved


# ---------------------------------------------------------------------------------------------


def list_trainings(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        mine = [t.to_json() for t in ctx.store.trainings.values() if t.actor == req.caller.id]
    return json_reply(200, mine)


def list_my_trainings(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        mine = [t.to_json() for t in ctx.store.trainings.values() if _member(t, req.caller.id)]
    return json_reply(200, mine)


def _validate_create(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {key: ["Unknown field."] for key in data if key not in _CREATE_FIELDS}
    target = data["target_num_updates"]
    try:
        if isinstance(target, bool) or not isinstance(target, int | str):
            raise ValueError
        data["target_num_updates"] = int(target)
    except ValueError:
        errors["target_num_updates"] = ["Not a valid integer."]
    names = data["metric_names"]
    if not isinstance(names, list):
        errors["metric_names"] = ["Not a valid list."]
    elif any(not isinstance(name, str) for name in names):
        errors["metric_names"] = {
            str(i): ["Not a valid string."] for i, n in enumerate(names) if not isinstance(n, str)
        }
    if "aggregation_method" not in data:
        errors["aggregation_method"] = [_MISSING]
    elif data["aggregation_method"] not in AGGREGATION_METHODS:
        errors["aggregation_method"] = [f"Must be one of: {', '.join(AGGREGATION_METHODS)}."]
    uncertainty = data.setdefault("uncertainty_method", "NONE")
    if uncertainty not in UNCERTAINTY_METHODS:
        errors["uncertainty_method"] = [f"Must be one of: {', '.join(UNCERTAINTY_METHODS)}."]
    options = data.setdefault("options", {})
    if not isinstance(options, dict):
        errors["options"] = ["Not a valid mapping type."]
    if "clients" in data:
        client_errors = _uuid_list_errors(data["clients"])
        if client_errors:
            errors["clients"] = client_errors
    if errors:
        raise ApiFailure(400, errors)
    period = options.get("daisy_chain_period")
    if period is not None:
        if isinstance(period, bool) or not isinstance(period, int):
            raise server_error()  # the server multiplies by int(period) unchecked
        if period > 0:
            data["target_num_updates"] *= period  # the stored target counts every chain round (§5.5)
    return data


def create_training(ctx: Context, req: Request) -> Reply:
    data = unguarded_json(req)  # whatever the content type
    if not isinstance(data, dict) or any(key not in data for key in _REQUIRED_OR_500):
        raise server_error()  # the view indexes these keys before validating
    data = _validate_create(data)
    store = ctx.store
    with store.lock:
        model = store.get_model(str(data["model_id"]))
        if model.owner != req.caller.id:
            raise ApiFailure(403, {"detail": DRF_PERMISSION_DENIED})
        participants = _resolve_users(ctx, data.get("clients", []))
        if store.training_of_model(model.id) is not None:
            # the server attaches a copy of a model that already has a training (§5.5)
            model = store.add_model(_copy(model))
        training = Training(
            id=str(uuid.uuid4()),
            model=model.id,
            actor=req.caller.id,
            target_num_updates=data["target_num_updates"],
            aggregation_method=data["aggregation_method"],
            uncertainty_method=data["uncertainty_method"],
            options=data["options"],
            participants=list(dict.fromkeys(participants)),
        )
        store.trainings[training.id] = training
    return json_reply(201, {"detail": "Training created successfully!", "training_id": training.id})


def _copy(model: Model) -> Model:
    clone = copy.copy(model)
    clone.id = str(uuid.uuid4())
    return clone


def get_training(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        training = ctx.store.get_training(req.params["id"], bad_id_is_server_error=True)
        _check_member(training, req.caller.id)
        return json_reply(200, _with_rounds(ctx, training))


def delete_training(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        training = ctx.store.get_training(req.params["id"])
        if training.actor != req.caller.id:
            raise ApiFailure(403, {"detail": "You are not the owner the training."})
        del ctx.store.trainings[training.id]
    return json_reply(200, {"detail": "Training removed!"})


def _client_ids(ctx: Context, req: Request) -> list[str]:
    data = unguarded_json(req)  # whatever the content type
    if not isinstance(data, dict):
        raise ApiFailure(400, {"_schema": ["Invalid input type."]})
    if "clients" not in data:
        raise ApiFailure(400, {"clients": [_MISSING]})
    errors = _uuid_list_errors(data["clients"])
    if errors:
        raise ApiFailure(400, {"clients": errors})
    return _resolve_users(ctx, data["clients"])


def register_training_clients(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        training = ctx.store.get_training(req.params["id"], bad_id_is_server_error=True)
        _check_member(training, req.caller.id)
        for user_id in _client_ids(ctx, req):
            if user_id not in training.participants:
                training.participants.append(user_id)
        training.touch()
    return json_reply(202, {"detail": "Users registered as participants!"})


def remove_training_clients(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        training = ctx.store.get_training(req.params["id"], bad_id_is_server_error=True)
        _check_member(training, req.caller.id)
        removed = set(_client_ids(ctx, req))
        training.participants = [p for p in training.participants if p not in removed]
        training.touch()
    return json_reply(200, {"detail": "Users removed from training participants!"})


def start_training(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        training = ctx.store.get_training(req.params["id"], bad_id_is_server_error=True)
        _check_member(training, req.caller.id)
        if not training.participants:
            raise ApiFailure(400, {"detail": "At least one participant must be registered!"})
        if training.state != "I":
            raise ApiFailure(400, {"detail": f"Training {training.id} is not in state INITIAL!"})
        ctx.engine.start(training)
    return json_reply(202, {"detail": "Training started!"})


def _training_models(ctx: Context, req: Request, *, latest: bool) -> Reply:
    training_id = req.params["training_id"]
    if parse_uuid(training_id) is None:
        raise server_error()
    caller = req.caller.id
    with ctx.store.lock:
        training = ctx.store.trainings.get(str(parse_uuid(training_id)))
        model = ctx.store.models.get(training.model) if training else None
        if training is None or model is None:
            if latest:
                raise server_error()  # "no visible model" fails on the server
            return json_reply(200, [])
        local_models = ctx.store.local_models(model.id)
        if any(local.owner == caller for local in local_models):
            raise server_error()  # the server's known failure (§5.5), reproduced on purpose
        visible = model.owner == caller or _member(training, caller)
        if latest:
            if not visible:
                raise server_error()
            newest: dict[str, Model] = {}
            for local in local_models:
                if local.owner not in newest or local.round >= newest[local.owner].round:
                    newest[local.owner] = local
            local_models = list(newest.values())
        found = ([model] if visible else []) + local_models
        return json_reply(200, [m.to_json() for m in found])


def list_training_models(ctx: Context, req: Request) -> Reply:
    return _training_models(ctx, req, latest=False)


def list_latest_training_models(ctx: Context, req: Request) -> Reply:
    return _training_models(ctx, req, latest=True)
