from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.inference_upload_return_format import InferenceUploadReturnFormat
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="InferenceUpload")


@_attrs_define
class InferenceUpload:
    """
    Attributes:
        model_id (UUID):
        model_input (File): A torch.save'd tensor, image bytes, or base64 text of an image.
        return_format (InferenceUploadReturnFormat | Unset):
    """

    model_id: UUID
    model_input: File
    return_format: InferenceUploadReturnFormat | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model_id = str(self.model_id)

        model_input = self.model_input.to_tuple()

        return_format: str | Unset = UNSET
        if not isinstance(self.return_format, Unset):
            return_format = self.return_format.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model_id": model_id,
                "model_input": model_input,
            }
        )
        if return_format is not UNSET:
            field_dict["return_format"] = return_format

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("model_id", (None, str(self.model_id), "text/plain")))

        files.append(("model_input", self.model_input.to_tuple()))

        if not isinstance(self.return_format, Unset):
            files.append(
                (
                    "return_format",
                    (None, str(self.return_format.value).encode(), "text/plain"),
                )
            )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        model_id = UUID(d.pop("model_id"))

        model_input = File(payload=BytesIO(d.pop("model_input")))

        _return_format = d.pop("return_format", UNSET)
        return_format: InferenceUploadReturnFormat | Unset
        if isinstance(_return_format, Unset):
            return_format = UNSET
        else:
            return_format = InferenceUploadReturnFormat(_return_format)

        inference_upload = cls(
            model_id=model_id,
            model_input=model_input,
            return_format=return_format,
        )

        inference_upload.additional_properties = d
        return inference_upload

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
