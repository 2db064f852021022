from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="LocalModel")


@_attrs_define
class LocalModel:
    """A participant's update for one round.

    Attributes:
        id (UUID):
        round_ (int):
        sample_size (int):
        owner (UUID):
        base_model (UUID):
    """

    id: UUID
    round_: int
    sample_size: int
    owner: UUID
    base_model: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        round_ = self.round_

        sample_size = self.sample_size

        owner = str(self.owner)

        base_model = str(self.base_model)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "round": round_,
                "sample_size": sample_size,
                "owner": owner,
                "base_model": base_model,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        round_ = d.pop("round")

        sample_size = d.pop("sample_size")

        owner = UUID(d.pop("owner"))

        base_model = UUID(d.pop("base_model"))

        local_model = cls(
            id=id,
            round_=round_,
            sample_size=sample_size,
            owner=owner,
            base_model=base_model,
        )

        local_model.additional_properties = d
        return local_model

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
