from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import File

T = TypeVar("T", bound="SwagUpload")


@_attrs_define
class SwagUpload:
    """
    Attributes:
        round_ (int):
        sample_size (int):
        first_moment_file (File): torch.save of a 1-D tensor (parameters concatenated in `parameters()` order).
        second_moment_file (File):
    """

    round_: int
    sample_size: int
    first_moment_file: File
    second_moment_file: File
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        round_ = self.round_

        sample_size = self.sample_size

        first_moment_file = self.first_moment_file.to_tuple()

        second_moment_file = self.second_moment_file.to_tuple()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "round": round_,
                "sample_size": sample_size,
                "first_moment_file": first_moment_file,
                "second_moment_file": second_moment_file,
            }
        )

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("round", (None, str(self.round_).encode(), "text/plain")))

        files.append(
            ("sample_size", (None, str(self.sample_size).encode(), "text/plain"))
        )

        files.append(("first_moment_file", self.first_moment_file.to_tuple()))

        files.append(("second_moment_file", self.second_moment_file.to_tuple()))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        round_ = d.pop("round")

        sample_size = d.pop("sample_size")

        first_moment_file = File(payload=BytesIO(d.pop("first_moment_file")))

        second_moment_file = File(payload=BytesIO(d.pop("second_moment_file")))

        swag_upload = cls(
            round_=round_,
            sample_size=sample_size,
            first_moment_file=first_moment_file,
            second_moment_file=second_moment_file,
        )

        swag_upload.additional_properties = d
        return swag_upload

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
