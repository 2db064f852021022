"""Routing and the ``/api/users/...`` endpoints; every request passes through `dispatch`.

`dispatch` does what Django and DRF do around a view, in their order: resolve the URL (HTML 404
for an unknown route, 301 to the slash form for a GET without it), authenticate (401), check
the method (405), run the view, and turn an unexpected exception into the production 500 body.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import yaml

from ..defaults import EMULATOR_SCHEMA_TITLE
from . import _groups_api as groups
from . import _models_api as models
from . import _trainings_api as trainings
from ._authn import authenticate
from ._inference_api import run_inference
from ._store import ApiFailure, server_error
from ._wire import Context, Reply, Request, drf_json, json_reply

__all__ = ["ROUTES", "dispatch"]

_logger = logging.getLogger("fl.client.testing.api")

Handler = Callable[[Context, Request], Reply]

# Columns a user may be created with (§5.2); any other key makes the server fail with 500.
USER_COLUMNS = frozenset(
    {
        "username",
        "password",
        "first_name",
        "last_name",
        "email",
        "actor",
        "client",
        "message_endpoint",
        "is_superuser",
        "is_staff",
        "is_active",
    }
)
_BOOLEAN_COLUMNS = frozenset({"actor", "client", "is_superuser", "is_staff", "is_active"})
_HTML_NOT_FOUND = (
    b"<!doctype html>\n<html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>\n"
)


# ---------------------------------------------------------------------------------------------
# users


def create_user(ctx: Context, req: Request) -> Reply:
    body = req.body
    if body.is_json:
        data = drf_json(req)
        if not isinstance(data, dict):
            raise server_error()
    else:
        # form and multipart values are stored as the text of a Python list (§5.2), as on the server
        data = {key: str(values) for key, values in body.form.items()}
    unknown = set(data) - USER_COLUMNS
    username = data.get("username")
    with ctx.store.lock:
        if unknown or not isinstance(username, str) or ctx.store.user_by_username(username) is not None:
            _logger.warning(
                "user creation the server answers with 500 (unknown key, no or duplicate username)"
            )
            raise server_error()
        try:
            columns = {k: _column_value(k, v) for k, v in data.items() if k not in {"username", "password"}}
        except ValueError:
            _logger.warning("user creation the server answers with 500 (a value its column refuses)")
            raise server_error() from None
        password = data.get("password")
        user = ctx.store.add_user(username, str(password) if password is not None else None, **columns)
    if password is None:
        raise server_error()  # the user exists now, without a usable password (§5.2)
    return json_reply(201, user.to_json(with_token=True))


def _column_value(column: str, value: Any) -> Any:
    """The value as Django stores it: BooleanField takes True/False/1/0 and "t", "True", "1", "f",
    "False", "0", CharField the text of anything but None; anything else fails the INSERT (500).
    So a form body's list-text "['true']" cannot become a boolean column."""
    if column in _BOOLEAN_COLUMNS:
        if isinstance(value, bool | int | float) and value in (True, False):
            return bool(value)
        if value in ("t", "True", "1", "f", "False", "0"):
            return value in ("t", "True", "1")
        raise ValueError(f"{column}: not a boolean")
    if value is None:
        raise ValueError(f"{column}: NULL in a NOT NULL column")
    return value if isinstance(value, str) else str(value)


def list_users(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        return json_reply(200, [u.to_json() for u in ctx.store.users.values()])


def get_myself(ctx: Context, req: Request) -> Reply:
    return json_reply(200, req.caller.to_json())


def get_user(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        user = ctx.store.get_user(req.params["id"])
        return json_reply(200, user.to_json(with_token=user.id == req.caller.id))


# drf-spectacular's renderers, in its order: (media type, format), YAML first (so */* gets YAML)
_SCHEMA_RENDERERS = (
    ("application/vnd.oai.openapi", "yaml"),
    ("application/yaml", "yaml"),
    ("application/vnd.oai.openapi+json", "json"),
    ("application/json", "json"),
)


def get_schema(ctx: Context, req: Request) -> Reply:
    """``GET /api/schema/`` (no credentials), negotiated as DRF does: ``?format=json|yaml``, else
    the first renderer the ``Accept`` header allows. The server publishes drf-spectacular's
    document of its annotations; the emulator publishes a small one of its own routes (paths and
    methods), not a copy of the server's."""
    paths: dict[str, Any] = {}
    for template, handlers in ROUTES:
        path = template.replace("{int}", "{id}")
        paths[path] = {method.lower(): {"responses": {"200": {"description": ""}}} for method in handlers}
    document = {
        "openapi": "3.0.3",
        "info": {"title": EMULATOR_SCHEMA_TITLE, "version": "1.0.1"},
        "paths": paths,
    }
    media_type, fmt = _schema_renderer(req)
    if fmt == "json":
        return Reply(200, json.dumps(document).encode(), media_type)
    return Reply(200, yaml.safe_dump(document, sort_keys=False).encode(), media_type)


def _schema_renderer(req: Request) -> tuple[str, str]:
    wanted = (req.query.get("format") or [""])[0]
    for media_type, fmt in _SCHEMA_RENDERERS:
        if fmt == wanted:
            return media_type, fmt
    for accepted in req.headers.get("accept", "*/*").split(","):
        kind = accepted.split(";", 1)[0].strip().lower()
        for media_type, fmt in _SCHEMA_RENDERERS:
            if kind in {media_type, "*/*", "application/*"}:
                return media_type, fmt
    return _SCHEMA_RENDERERS[0]


# ---------------------------------------------------------------------------------------------
# routes: literal paths before {id} paths, as Django matches them

ROUTES: list[tuple[str, dict[str, Handler]]] = [
    ("/api/users/", {"GET": list_users, "POST": create_user}),
    ("/api/users/myself/", {"GET": get_myself}),
    ("/api/users/groups/", {"GET": groups.list_my_groups}),
    ("/api/users/trainings/", {"GET": trainings.list_my_trainings}),
    ("/api/users/{id}/", {"GET": get_user}),
    ("/api/groups/", {"GET": groups.list_groups, "POST": groups.create_group}),
    (
        "/api/groups/{int}/",
        {
            "GET": groups.get_group,
            "PUT": groups.update_group,
            "PATCH": groups.partial_update_group,
            "DELETE": groups.delete_group,
        },
    ),
    ("/api/models/", {"GET": models.list_models, "POST": models.create_model}),
    (
        "/api/models/{id}/",
        {"GET": models.download_model, "POST": models.upload_local_model, "DELETE": models.delete_model},
    ),
    ("/api/models/{id}/metadata/", {"GET": models.get_model_metadata}),
    ("/api/models/{id}/metrics/", {"GET": models.list_model_metrics, "POST": models.upload_model_metrics}),
    (
        "/api/models/{id}/preprocessing/",
        {"GET": models.download_preprocessing_model, "POST": models.upload_preprocessing_model},
    ),
    ("/api/models/{id}/swag/", {"POST": models.upload_swag_statistics}),
    ("/api/trainings/", {"GET": trainings.list_trainings, "POST": trainings.create_training}),
    ("/api/trainings/{id}/", {"GET": trainings.get_training, "DELETE": trainings.delete_training}),
    (
        "/api/trainings/{id}/clients/",
        {"PUT": trainings.register_training_clients, "DELETE": trainings.remove_training_clients},
    ),
    ("/api/trainings/{id}/start/", {"POST": trainings.start_training}),
    ("/api/trainings/{training_id}/models/", {"GET": trainings.list_training_models}),
    ("/api/trainings/{training_id}/models/latest/", {"GET": trainings.list_latest_training_models}),
    ("/api/inference/", {"POST": run_inference}),
    ("/api/schema/", {"GET": get_schema}),
]

_NO_AUTH = {("/api/users/", "POST"), ("/api/schema/", "GET")}


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{int\}", r"(?P<id>[0-9]+)", template)
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^{pattern}$")


_COMPILED = [(template, _compile(template), handlers) for template, handlers in ROUTES]


def _resolve(path: str) -> tuple[str, dict[str, str], dict[str, Handler]] | None:
    for template, pattern, handlers in _COMPILED:
        match = pattern.match(path)
        if match:
            return template, match.groupdict(), handlers
    return None


def dispatch(ctx: Context, req: Request) -> Reply:
    """Answer one request as the server would."""
    resolved = _resolve(req.path)
    if resolved is None:
        if req.method == "GET" and not req.path.endswith("/") and _resolve(req.path + "/"):
            return Reply(301, b"", None, {"Location": req.path + "/"})
        return Reply(404, _HTML_NOT_FOUND, "text/html; charset=utf-8")
    template, params, handlers = resolved
    req.params = params
    try:
        if (template, req.method) not in _NO_AUTH:
            req.user = authenticate(ctx.store, req.headers.get("authorization"))
        handler = handlers.get(req.method)
        if handler is None:
            raise ApiFailure(405, {"detail": f'Method "{req.method}" not allowed.'})
        return handler(ctx, req)
    except ApiFailure as failure:
        return json_reply(failure.status, failure.body, failure.headers)
    except Exception:
        _logger.exception("emulator failure on %s %s", req.method, req.path)
        return json_reply(500, {"error": "Server Error (500)"})
