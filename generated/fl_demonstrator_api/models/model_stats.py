from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.model_stats_summary_list_item import ModelStatsSummaryListItem


T = TypeVar("T", bound="ModelStats")


@_attrs_define
class ModelStats:
    """torchinfo summary of the model run on `input_shape` (free dimensions set to 1).

    Attributes:
        input_size (list[Any] | Unset):
        total_input (int | Unset):
        total_mult_adds (int | Unset):
        total_output_bytes (int | Unset):
        total_param_bytes (int | Unset):
        total_params (int | Unset):
        trainable_params (int | Unset):
        summary_list (list[ModelStatsSummaryListItem] | Unset):
    """

    input_size: list[Any] | Unset = UNSET
    total_input: int | Unset = UNSET
    total_mult_adds: int | Unset = UNSET
    total_output_bytes: int | Unset = UNSET
    total_param_bytes: int | Unset = UNSET
    total_params: int | Unset = UNSET
    trainable_params: int | Unset = UNSET
    summary_list: list[ModelStatsSummaryListItem] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_size: list[Any] | Unset = UNSET
        if not isinstance(self.input_size, Unset):
            input_size = self.input_size

        total_input = self.total_input

        total_mult_adds = self.total_mult_adds

        total_output_bytes = self.total_output_bytes

        total_param_bytes = self.total_param_bytes

        total_params = self.total_params

        trainable_params = self.trainable_params

        summary_list: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.summary_list, Unset):
            summary_list = []
            for summary_list_item_data in self.summary_list:
                summary_list_item = summary_list_item_data.to_dict()
                summary_list.append(summary_list_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if input_size is not UNSET:
            field_dict["input_size"] = input_size
        if total_input is not UNSET:
            field_dict["total_input"] = total_input
        if total_mult_adds is not UNSET:
            field_dict["total_mult_adds"] = total_mult_adds
        if total_output_bytes is not UNSET:
            field_dict["total_output_bytes"] = total_output_bytes
        if total_param_bytes is not UNSET:
            field_dict["total_param_bytes"] = total_param_bytes
        if total_params is not UNSET:
            field_dict["total_params"] = total_params
        if trainable_params is not UNSET:
            field_dict["trainable_params"] = trainable_params
        if summary_list is not UNSET:
            field_dict["summary_list"] = summary_list

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.model_stats_summary_list_item import ModelStatsSummaryListItem

        d = dict(src_dict)
        input_size = cast(list[Any], d.pop("input_size", UNSET))

        total_input = d.pop("total_input", UNSET)

        total_mult_adds = d.pop("total_mult_adds", UNSET)

        total_output_bytes = d.pop("total_output_bytes", UNSET)

        total_param_bytes = d.pop("total_param_bytes", UNSET)

        total_params = d.pop("total_params", UNSET)

        trainable_params = d.pop("trainable_params", UNSET)

        _summary_list = d.pop("summary_list", UNSET)
        summary_list: list[ModelStatsSummaryListItem] | Unset = UNSET
        if _summary_list is not UNSET:
            summary_list = []
            for summary_list_item_data in _summary_list:
                summary_list_item = ModelStatsSummaryListItem.from_dict(
                    summary_list_item_data
                )

                summary_list.append(summary_list_item)

        model_stats = cls(
            input_size=input_size,
            total_input=total_input,
            total_mult_adds=total_mult_adds,
            total_output_bytes=total_output_bytes,
            total_param_bytes=total_param_bytes,
            total_params=total_params,
            trainable_params=trainable_params,
            summary_list=summary_list,
        )

        model_stats.additional_properties = d
        return model_stats

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
