from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.model_stats import ModelStats


T = TypeVar("T", bound="GlobalModelMetadata")


@_attrs_define
class GlobalModelMetadata:
    """
    Attributes:
        id (UUID):
        round_ (int):
        name (str):
        description (str):
        owner (UUID):
        stats (ModelStats | None): torchinfo statistics, or null (local models, models without `input_shape`, failed
            analysis).
        input_shape (list[int | None] | None | Unset): Model input shape; `null` dimensions are free.
        preprocessing (None | str | Unset): base64 text of the whole preprocessing model file, or null.
        has_preprocessing (bool | Unset):
    """

    id: UUID
    round_: int
    name: str
    description: str
    owner: UUID
    stats: ModelStats | None
    input_shape: list[int | None] | None | Unset = UNSET
    preprocessing: None | str | Unset = UNSET
    has_preprocessing: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.model_stats import ModelStats

        id = str(self.id)

        round_ = self.round_

        name = self.name

        description = self.description

        owner = str(self.owner)

        stats: dict[str, Any] | None
        if isinstance(self.stats, ModelStats):
            stats = self.stats.to_dict()
        else:
            stats = self.stats

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
                "stats": stats,
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
        from ..models.model_stats import ModelStats

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        round_ = d.pop("round")

        name = d.pop("name")

        description = d.pop("description")

        owner = UUID(d.pop("owner"))

        def _parse_stats(data: object) -> ModelStats | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_stats_field_type_0 = ModelStats.from_dict(data)

                return componentsschemas_model_stats_field_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ModelStats | None, data)

        stats = _parse_stats(d.pop("stats"))

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

        global_model_metadata = cls(
            id=id,
            round_=round_,
            name=name,
            description=description,
            owner=owner,
            stats=stats,
            input_shape=input_shape,
            preprocessing=preprocessing,
            has_preprocessing=has_preprocessing,
        )

        global_model_metadata.additional_properties = d
        return global_model_metadata

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
