from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """Every key but `token` is in every answer (API reference §4.1); the server fills defaults ("", false).

    Attributes:
        id (UUID):
        username (str):
        first_name (str):
        last_name (str):
        email (str):
        actor (bool):
        client (bool):
        message_endpoint (str): Notification URL (not validated by the server).
        token (str | Unset): Present only in the create answer and when the caller looks up itself.
    """

    id: UUID
    username: str
    first_name: str
    last_name: str
    email: str
    actor: bool
    client: bool
    message_endpoint: str
    token: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        username = self.username

        first_name = self.first_name

        last_name = self.last_name

        email = self.email

        actor = self.actor

        client = self.client

        message_endpoint = self.message_endpoint

        token = self.token

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "username": username,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "actor": actor,
                "client": client,
                "message_endpoint": message_endpoint,
            }
        )
        if token is not UNSET:
            field_dict["token"] = token

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        username = d.pop("username")

        first_name = d.pop("first_name")

        last_name = d.pop("last_name")

        email = d.pop("email")

        actor = d.pop("actor")

        client = d.pop("client")

        message_endpoint = d.pop("message_endpoint")

        token = d.pop("token", UNSET)

        user = cls(
            id=id,
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            actor=actor,
            client=client,
            message_endpoint=message_endpoint,
            token=token,
        )

        user.additional_properties = d
        return user

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
