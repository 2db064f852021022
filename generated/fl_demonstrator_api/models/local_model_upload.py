from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="LocalModelUpload")


@_attrs_define
class LocalModelUpload:
    """A participant's local model for one round.

    Attributes:
        model_file (File): TorchScript archive or `torch.save`d `nn.Module`.
        round_ (int): Must equal the global model's current round.
        sample_size (int): Weight of this update in the average.
        metric_names (list[str] | Unset): Repeated field, paired by position with `metric_values`.
        metric_values (list[str] | Unset): Repeated field; floats are stored as numbers, anything else as bytes.
        owner (str | Unset): Ignored by the server (the caller is the owner); the reference client sends it.
    """

    model_file: File
    round_: int
    sample_size: int
    metric_names: list[str] | Unset = UNSET
    metric_values: list[str] | Unset = UNSET
    owner: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model_file = self.model_file.to_tuple()

        round_ = self.round_

        sample_size = self.sample_size

        metric_names: list[str] | Unset = UNSET
        if not isinstance(self.metric_names, Unset):
            metric_names = self.metric_names

        metric_values: list[str] | Unset = UNSET
        if not isinstance(self.metric_values, Unset):
            metric_values = self.metric_values

        owner = self.owner

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model_file": model_file,
                "round": round_,
                "sample_size": sample_size,
            }
        )
        if metric_names is not UNSET:
            field_dict["metric_names"] = metric_names
        if metric_values is not UNSET:
            field_dict["metric_values"] = metric_values
        if owner is not UNSET:
            field_dict["owner"] = owner

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("model_file", self.model_file.to_tuple()))

        files.append(("round", (None, str(self.round_).encode(), "text/plain")))

        files.append(
            ("sample_size", (None, str(self.sample_size).encode(), "text/plain"))
        )

        if not isinstance(self.metric_names, Unset):
            for metric_names_item_element in self.metric_names:
                files.append(
                    (
                        "metric_names",
                        (None, str(metric_names_item_element).encode(), "text/plain"),
                    )
                )

        if not isinstance(self.metric_values, Unset):
            for metric_values_item_element in self.metric_values:
                files.append(
                    (
                        "metric_values",
                        (None, str(metric_values_item_element).encode(), "text/plain"),
                    )
                )

        if not isinstance(self.owner, Unset):
            files.append(("owner", (None, str(self.owner).encode(), "text/plain")))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        model_file = File(payload=BytesIO(d.pop("model_file")))

        round_ = d.pop("round")

        sample_size = d.pop("sample_size")

        metric_names = cast(list[str], d.pop("metric_names", UNSET))

        metric_values = cast(list[str], d.pop("metric_values", UNSET))

        owner = d.pop("owner", UNSET)

        local_model_upload = cls(
            model_file=model_file,
            round_=round_,
            sample_size=sample_size,
            metric_names=metric_names,
            metric_values=metric_values,
            owner=owner,
        )

        local_model_upload.additional_properties = d
        return local_model_upload

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
