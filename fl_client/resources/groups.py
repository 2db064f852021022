"""``client.groups``: groups of users (``/api/groups/``)."""

from __future__ import annotations

import builtins
from typing import Any

from fl_demonstrator_api.api.groups import (
    create_group,
    delete_group,
    get_group,
    list_groups,
    partial_update_group,
    update_group,
)
from fl_demonstrator_api.models import Group, GroupPatch, GroupRequest
from fl_demonstrator_api.types import Response

from .._core.connection import Operation, expect_list, expect_one
from ._base import AsyncResource, SyncResource

__all__ = ["AsyncGroups", "Groups"]


def _nothing(response: Response[Any], op: Operation[Any]) -> None:
    return None


def _list() -> Operation[list[Group]]:
    return Operation.of(list_groups, name="list groups", method="GET", path="/api/groups/",
                        expected={200}, parse=expect_list(Group))  # fmt: skip


def _create(name: str) -> Operation[Group]:
    return Operation.of(create_group, name="create group", method="POST", path="/api/groups/",
                        expected={201}, parse=expect_one(Group), body=GroupRequest(name=name))  # fmt: skip


def _get(group_id: int) -> Operation[Group]:
    return Operation.of(get_group, group_id, name="get group", method="GET", path=f"/api/groups/{group_id}/",
                        expected={200}, parse=expect_one(Group))  # fmt: skip


def _update(group_id: int, name: str) -> Operation[Group]:
    return Operation.of(update_group, group_id, name="update group", method="PUT",
                        path=f"/api/groups/{group_id}/", expected={200}, parse=expect_one(Group),
                        body=GroupRequest(name=name))  # fmt: skip


def _patch(group_id: int, name: str) -> Operation[Group]:
    return Operation.of(partial_update_group, group_id, name="patch group", method="PATCH",
                        path=f"/api/groups/{group_id}/", expected={200}, parse=expect_one(Group),
                        body=GroupPatch(name=name))  # fmt: skip


def _delete(group_id: int) -> Operation[None]:
    return Operation.of(delete_group, group_id, name="delete group", method="DELETE",
                        path=f"/api/groups/{group_id}/", expected={204}, parse=_nothing)  # fmt: skip


class Groups(SyncResource):
    """Groups (integer ids; names are unique, at most 150 characters)."""

    def list(self) -> builtins.list[Group]:
        """Every group."""
        return self._connection.request(_list())

    def create(self, name: str) -> Group:
        """Create a group."""
        return self._connection.request(_create(name))

    def get(self, group_id: int) -> Group:
        """One group."""
        return self._connection.request(_get(group_id))

    def update(self, group_id: int, *, name: str) -> Group:
        """Replace a group (``PUT``)."""
        return self._connection.request(_update(group_id, name))

    def patch(self, group_id: int, *, name: str) -> Group:
        """Change some fields of a group (``PATCH``)."""
        return self._connection.request(_patch(group_id, name))

    def delete(self, group_id: int) -> None:
        """Delete a group (members only)."""
        self._connection.request(_delete(group_id))


class AsyncGroups(AsyncResource):
    """The async twin of `Groups`."""

    async def list(self) -> builtins.list[Group]:
        """See `Groups.list`."""
        return await self._connection.arequest(_list())

    async def create(self, name: str) -> Group:
        """See `Groups.create`."""
        return await self._connection.arequest(_create(name))

    async def get(self, group_id: int) -> Group:
        """See `Groups.get`."""
        return await self._connection.arequest(_get(group_id))

    async def update(self, group_id: int, *, name: str) -> Group:
        """See `Groups.update`."""
        return await self._connection.arequest(_update(group_id, name))

    async def patch(self, group_id: int, *, name: str) -> Group:
        """See `Groups.patch`."""
        return await self._connection.arequest(_patch(group_id, name))

    async def delete(self, group_id: int) -> None:
        """See `Groups.delete`."""
        await self._connection.arequest(_delete(group_id))
