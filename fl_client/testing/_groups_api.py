"""``/api/groups/...`` and ``/api/users/groups/``: Django auth groups (API reference §5.3).

Only a superuser may list every group; any user may create one, but the creator is not made a
member, and only members may read, change or delete a group. Membership has no API on the
server (only the Django admin sets it): the emulator's `FLEmulator.add_group_member` plays the
admin. The name is validated as DRF's model serializer does (required, not null or blank after
trimming, a string or number, at most 150 characters, unique), with its texts.
"""

from __future__ import annotations

from typing import Any

from ._store import DRF_PERMISSION_DENIED, ApiFailure, Group
from ._wire import Context, Reply, Request, drf_json, json_reply

__all__ = [
    "MAX_GROUP_NAME_LENGTH",
    "create_group",
    "delete_group",
    "get_group",
    "list_groups",
    "list_my_groups",
    "partial_update_group",
    "update_group",
]

MAX_GROUP_NAME_LENGTH = 150
_MISSING = object()


def _field_error(message: str, field: str = "name") -> ApiFailure:
    return ApiFailure(400, {field: [message]})


def _submitted_name(req: Request) -> Any:
    """The ``name`` the request carries, as DRF's parsers hand it over, or `_MISSING`."""
    body = req.body
    if body.is_json:
        data = drf_json(req)
        if not isinstance(data, dict):
            kind = "list" if isinstance(data, list) else type(data).__name__
            raise _field_error(f"Invalid data. Expected a dictionary, but got {kind}.", "non_field_errors")
        return data.get("name", _MISSING)
    values = body.values("name")
    return values[-1] if values else _MISSING  # a QueryDict's get() gives the last value


def _valid_name(ctx: Context, value: Any, *, current: Group | None = None) -> str:
    if value is _MISSING:
        raise _field_error("This field is required.")
    if value is None:
        raise _field_error("This field may not be null.")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _field_error("Not a valid string.")
    name = str(value).strip()
    if not name:
        raise _field_error("This field may not be blank.")
    if len(name) > MAX_GROUP_NAME_LENGTH:
        raise _field_error(f"Ensure this field has no more than {MAX_GROUP_NAME_LENGTH} characters.")
    existing = ctx.store.group_by_name(name)
    if existing is not None and existing is not current:
        raise _field_error("group with this name already exists.")
    return name


def _member_group(ctx: Context, req: Request) -> Group:
    """The group of the path, for its members only (superusers are no exception)."""
    group = ctx.store.get_group(req.params["id"])
    if req.caller.id not in group.members:
        raise ApiFailure(403, {"detail": DRF_PERMISSION_DENIED})
    return group


def list_my_groups(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        mine = [g.to_json() for g in ctx.store.groups.values() if req.caller.id in g.members]
    return json_reply(200, mine)


def list_groups(ctx: Context, req: Request) -> Reply:
    if not req.caller.is_superuser:
        raise ApiFailure(403, {"detail": DRF_PERMISSION_DENIED})
    with ctx.store.lock:
        return json_reply(200, [g.to_json() for g in ctx.store.groups.values()])


def create_group(ctx: Context, req: Request) -> Reply:
    submitted = _submitted_name(req)
    with ctx.store.lock:
        group = ctx.store.add_group(_valid_name(ctx, submitted))
        return json_reply(201, group.to_json())


def get_group(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        return json_reply(200, _member_group(ctx, req).to_json())


def _change(ctx: Context, req: Request, *, partial: bool) -> Reply:
    with ctx.store.lock:
        group = _member_group(ctx, req)
        submitted = _submitted_name(req)
        if not (partial and submitted is _MISSING):
            group.name = _valid_name(ctx, submitted, current=group)
        return json_reply(200, group.to_json())


def update_group(ctx: Context, req: Request) -> Reply:
    return _change(ctx, req, partial=False)


def partial_update_group(ctx: Context, req: Request) -> Reply:
    return _change(ctx, req, partial=True)


def delete_group(ctx: Context, req: Request) -> Reply:
    with ctx.store.lock:
        group = _member_group(ctx, req)
        del ctx.store.groups[group.id]
    return Reply(204, b"", None)
