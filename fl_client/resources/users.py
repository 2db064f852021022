"""``client.users``: accounts (``/api/users/``)."""

from __future__ import annotations

import builtins

from fl_demonstrator_api.api.users import (
    create_user,
    get_myself,
    get_user,
    list_my_groups,
    list_my_trainings,
    list_users,
)
from fl_demonstrator_api.models import Group, Training, User, UserCreate

from .._core.connection import Operation, expect_list, expect_one
from ._base import AsyncResource, Id, SyncResource, id_text

__all__ = ["AsyncUsers", "Users"]


def _create(
    username: str,
    password: str,
    *,
    actor: bool,
    client: bool,
    message_endpoint: str,
    first_name: str,
    last_name: str,
    email: str,
) -> Operation[User]:
    body = UserCreate(
        username=username, password=password, actor=actor, client=client, message_endpoint=message_endpoint,
        first_name=first_name, last_name=last_name, email=email,
    )  # fmt: skip
    return Operation.of(create_user, name="create user", method="POST", path="/api/users/",
                        expected={201}, parse=expect_one(User), body=body)  # fmt: skip


def _list() -> Operation[list[User]]:
    return Operation.of(list_users, name="list users", method="GET", path="/api/users/",
                        expected={200}, parse=expect_list(User))  # fmt: skip


def _me() -> Operation[User]:
    return Operation.of(get_myself, name="get myself", method="GET", path="/api/users/myself/",
                        expected={200}, parse=expect_one(User))  # fmt: skip


def _get(user_id: Id) -> Operation[User]:
    uid = id_text(user_id, "user_id")
    return Operation.of(get_user, uid, name="get user", method="GET", path=f"/api/users/{uid}/",
                        expected={200}, parse=expect_one(User))  # fmt: skip


def _groups() -> Operation[list[Group]]:
    return Operation.of(list_my_groups, name="list my groups", method="GET", path="/api/users/groups/",
                        expected={200}, parse=expect_list(Group))  # fmt: skip


def _trainings() -> Operation[list[Training]]:
    return Operation.of(list_my_trainings, name="list my trainings", method="GET",
                        path="/api/users/trainings/", expected={200}, parse=expect_list(Training))  # fmt: skip


class Users(SyncResource):
    """User accounts. Anyone may create one (no authentication needed on the server)."""

    def create(
        self,
        username: str,
        password: str,
        *,
        actor: bool = False,
        client: bool = False,
        message_endpoint: str = "",
        first_name: str = "",
        last_name: str = "",
        email: str = "",
    ) -> User:
        """Create a user; the answer carries its ``token`` (40 hex characters).

        ``actor`` users create trainings; ``client`` users take part, and receive notifications at
        ``message_endpoint`` (the URL of their ``fl-client serve``).
        """
        return self._connection.request(_create(
            username, password, actor=actor, client=client, message_endpoint=message_endpoint,
            first_name=first_name, last_name=last_name, email=email))  # fmt: skip

    def list(self) -> builtins.list[User]:
        """Every user."""
        return self._connection.request(_list())

    def me(self) -> User:
        """The user the credentials belong to."""
        return self._connection.request(_me())

    def get(self, user_id: Id) -> User:
        """One user (``token`` is present only for the caller)."""
        return self._connection.request(_get(user_id))

    def groups(self) -> builtins.list[Group]:
        """The caller's groups."""
        return self._connection.request(_groups())

    def trainings(self) -> builtins.list[Training]:
        """Trainings the caller takes part in (as participant or actor)."""
        return self._connection.request(_trainings())


class AsyncUsers(AsyncResource):
    """The async twin of `Users`."""

    async def create(
        self,
        username: str,
        password: str,
        *,
        actor: bool = False,
        client: bool = False,
        message_endpoint: str = "",
        first_name: str = "",
        last_name: str = "",
        email: str = "",
    ) -> User:
        """See `Users.create`."""
        return await self._connection.arequest(_create(
            username, password, actor=actor, client=client, message_endpoint=message_endpoint,
            first_name=first_name, last_name=last_name, email=email))  # fmt: skip

    async def list(self) -> builtins.list[User]:
        """See `Users.list`."""
        return await self._connection.arequest(_list())

    async def me(self) -> User:
        """See `Users.me`."""
        return await self._connection.arequest(_me())

    async def get(self, user_id: Id) -> User:
        """See `Users.get`."""
        return await self._connection.arequest(_get(user_id))

    async def groups(self) -> builtins.list[Group]:
        """See `Users.groups`."""
        return await self._connection.arequest(_groups())

    async def trainings(self) -> builtins.list[Training]:
        """See `Users.trainings`."""
        return await self._connection.arequest(_trainings())
