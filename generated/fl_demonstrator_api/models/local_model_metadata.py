from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.model_stats import ModelStats


T = TypeVar("T", bound="LocalModelMetadata")


@_attrs_define
class LocalModelMetadata:
    """
    Attributes:
        id (UUID):
        round_ (int):
        sample_size (int):
        owner (UUID):
        base_model (UUID):
        stats (ModelStats | None): torchinfo statistics, or null (local models, models without `input_shape`, failed
            analysis).
    """

    id: UUID
    round_: int
    sample_size: int
    owner: UUID
    base_model: UUID
    stats: ModelStats | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.model_stats import ModelStats

        id = str(self.id)

        round_ = self.round_

        sample_size = self.sample_size

        owner = str(self.owner)

        base_model = str(self.base_model)

        stats: dict[str, Any] | None
        if isinstance(self.stats, ModelStats):
            stats = self.stats.to_dict()
        else:
            stats = self.stats

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "round": round_,
                "sample_size": sample_size,
                "owner": owner,
                "base_model": base_model,
                "stats": stats,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.model_stats import ModelStats

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        round_ = d.pop("round")

        sample_size = d.pop("sample_size")

        owner = UUID(d.pop("owner"))

        base_model = UUID(d.pop("base_model"))

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

        local_model_metadata = cls(
            id=id,
            round_=round_,
            sample_size=sample_size,
            owner=owner,
            base_model=base_model,
            stats=stats,
        )

        local_model_metadata.additional_properties = d
        return local_model_metadata

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
