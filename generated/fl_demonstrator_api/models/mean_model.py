from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MeanModel")


@_attrs_define
class MeanModel:
    """
    Attributes:
        id (UUID):
        round_ (int):
        name (str):
        description (str):
        owner (UUID):
        models (list[UUID]):
        input_shape (list[int | None] | None | Unset): Model input shape; `null` dimensions are free.
        preprocessing (None | str | Unset): base64 text of the whole preprocessing model file, or null.
        has_preprocessing (bool | Unset):
    """

    id: UUID
    round_: int
    name: str
    description: str
    owner: UUID
    models: list[UUID]
    input_shape: list[int | None] | None | Unset = UNSET
    preprocessing: None | str | Unset = UNSET
    has_preprocessing: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        round_ = self.round_

        name = self.name

        description = self.description

        owner = str(self.owner)

        models = []
        for models_item_data in self.models:
            models_item = str(models_item_data)
            models.append(models_item)

        input_shape: list[int | None] | None | Unset
        if isinstance(self.input_shape, Unset):
            input_shape = UNSET
        elif isinstance(self.input_shape, list):
            input_shape = []
            for componentsschemas_input_shape_type_0_item_data in self.input_shape:
                componentsschemas_input_shape_type_0_item: int | None
                componentsschemas_input_shape_type_0_item = (
                    componentsschemas_input_shape_type_0_item_data
                )
                input_shape.append(componentsschemas_input_shape_type_0_item)

        else:
            input_shape = self.input_shape

        preprocessing: None | str | Unset
        if isinstance(self.preprocessing, Unset):
            preprocessing = UNSET
        else:
            preprocessing = self.preprocessing

        has_preprocessing = self.has_preprocessing

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "round": round_,
                "name": name,
                "description": description,
                "owner": owner,
                "models": models,
            }
        )
        if input_shape is not UNSET:
            field_dict["input_shape"] = input_shape
        if preprocessing is not UNSET:
            field_dict["preprocessing"] = preprocessing
        if has_preprocessing is not UNSET:
            field_dict["has_preprocessing"] = has_preprocessing

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        round_ = d.pop("round")

        name = d.pop("name")

        description = d.pop("description")

        owner = UUID(d.pop("owner"))

        models = []
        _models = d.pop("models")
        for models_item_data in _models:
            models_item = UUID(models_item_data)

            models.append(models_item)

        def _parse_input_shape(data: object) -> list[int | None] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                componentsschemas_input_shape_type_0 = []
                _componentsschemas_input_shape_type_0 = data
                for (
                    componentsschemas_input_shape_type_0_item_data
                ) in _componentsschemas_input_shape_type_0:

                    def _parse_componentsschemas_input_shape_type_0_item(
                        data: object,
                    ) -> int | None:
                        if data is None:
                            return data
                        return cast(int | None, data)

                    componentsschemas_input_shape_type_0_item = (
                        _parse_componentsschemas_input_shape_type_0_item(
                            componentsschemas_input_shape_type_0_item_data
                        )
                    )

                    componentsschemas_input_shape_type_0.append(
                        componentsschemas_input_shape_type_0_item
                    )

                return componentsschemas_input_shape_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int | None] | None | Unset, data)

        input_shape = _parse_input_shape(d.pop("input_shape", UNSET))

        def _parse_preprocessing(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        preprocessing = _parse_preprocessing(d.pop("preprocessing", UNSET))

        has_preprocessing = d.pop("has_preprocessing", UNSET)

        mean_model = cls(
            id=id,
            round_=round_,
            name=name,
            description=description,
            owner=owner,
            models=models,
            input_shape=input_shape,
            preprocessing=preprocessing,
            has_preprocessing=has_preprocessing,
        )

        mean_model.additional_properties = d
        return mean_model

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
