from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.inference_result_uncertainty import InferenceResultUncertainty


T = TypeVar("T", bound="InferenceResult")


@_attrs_define
class InferenceResult:
    """
    Attributes:
        inference (list[Any]):
        uncertainty (InferenceResultUncertainty):
    """

    inference: list[Any]
    uncertainty: InferenceResultUncertainty
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        inference = self.inference

        uncertainty = self.uncertainty.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "inference": inference,
                "uncertainty": uncertainty,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.inference_result_uncertainty import InferenceResultUncertainty

        d = dict(src_dict)
        inference = cast(list[Any], d.pop("inference"))

        uncertainty = InferenceResultUncertainty.from_dict(d.pop("uncertainty"))

        inference_result = cls(
            inference=inference,
            uncertainty=uncertainty,
        )

        inference_result.additional_properties = d
        return inference_result

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
