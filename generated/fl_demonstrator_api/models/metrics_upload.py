from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types

T = TypeVar("T", bound="MetricsUpload")


@_attrs_define
class MetricsUpload:
    """Metrics as repeated multipart fields `metric_names` / `metric_values`, paired by position.

    Attributes:
        metric_names (list[str]):
        metric_values (list[str]):
    """

    metric_names: list[str]
    metric_values: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        metric_names = self.metric_names

        metric_values = self.metric_values

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "metric_names": metric_names,
                "metric_values": metric_values,
            }
        )

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        for metric_names_item_element in self.metric_names:
            files.append(
                (
                    "metric_names",
                    (None, str(metric_names_item_element).encode(), "text/plain"),
                )
            )

        for metric_values_item_element in self.metric_values:
            files.append(
                (
                    "metric_values",
                    (None, str(metric_values_item_element).encode(), "text/plain"),
                )
            )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        metric_names = cast(list[str], d.pop("metric_names"))

        metric_values = cast(list[str], d.pop("metric_values"))

        metrics_upload = cls(
            metric_names=metric_names,
            metric_values=metric_values,
        )

        metrics_upload.additional_properties = d
        return metrics_upload

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
