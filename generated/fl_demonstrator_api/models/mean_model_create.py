from __future__ import annotations

from collections.abc import Mapping
from typing import (
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MeanModelCreate")


@_attrs_define
class MeanModelCreate:
    """JSON body creating a MEAN (ensemble) model from models the caller owns.

    Attributes:
        name (str):
        description (str):
        type_ (Literal['MEAN']):
        models (list[UUID]):
        input_shape (list[int | None] | Unset):
    """

    name: str
    description: str
    type_: Literal["MEAN"]
    models: list[UUID]
    input_shape: list[int | None] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        type_ = self.type_

        models = []
        for models_item_data in self.models:
            models_item = str(models_item_data)
            models.append(models_item)

        input_shape: list[int | None] | Unset = UNSET
        if not isinstance(self.input_shape, Unset):
            input_shape = []
            for input_shape_item_data in self.input_shape:
                input_shape_item: int | None
                input_shape_item = input_shape_item_data
                input_shape.append(input_shape_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "description": description,
                "type": type_,
                "models": models,
            }
        )
        if input_shape is not UNSET:
            field_dict["input_shape"] = input_shape

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description")

        type_ = cast(Literal["MEAN"], d.pop("type"))
        if type_ != "MEAN":
            raise ValueError(f"type must match const 'MEAN', got '{type_}'")

        models = []
        _models = d.pop("models")
        for models_item_data in _models:
            models_item = UUID(models_item_data)

            models.append(models_item)

        _input_shape = d.pop("input_shape", UNSET)
        input_shape: list[int | None] | Unset = UNSET
        if _input_shape is not UNSET:
            input_shape = []
            for input_shape_item_data in _input_shape:

                def _parse_input_shape_item(data: object) -> int | None:
                    if data is None:
                        return data
                    return cast(int | None, data)

                input_shape_item = _parse_input_shape_item(input_shape_item_data)

                input_shape.append(input_shape_item)

        mean_model_create = cls(
            name=name,
            description=description,
            type_=type_,
            models=models,
            input_shape=input_shape,
        )

        mean_model_create.additional_properties = d
        return mean_model_create

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
