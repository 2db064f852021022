from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.inference_request_return_format import InferenceRequestReturnFormat
from ..types import UNSET, Unset

T = TypeVar("T", bound="InferenceRequest")


@_attrs_define
class InferenceRequest:
    """
    Attributes:
        model_id (UUID):
        model_input (list[Any] | str): Nested float arrays, or base64 text of an image file.
        return_format (InferenceRequestReturnFormat | Unset):
    """

    model_id: UUID
    model_input: list[Any] | str
    return_format: InferenceRequestReturnFormat | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model_id = str(self.model_id)

        model_input: list[Any] | str
        if isinstance(self.model_input, list):
            model_input = self.model_input

        else:
            model_input = self.model_input

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

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        model_id = UUID(d.pop("model_id"))

        def _parse_model_input(data: object) -> list[Any] | str:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                model_input_type_0 = cast(list[Any], data)

                return model_input_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Any] | str, data)

        model_input = _parse_model_input(d.pop("model_input"))

        _return_format = d.pop("return_format", UNSET)
        return_format: InferenceRequestReturnFormat | Unset
        if isinstance(_return_format, Unset):
            return_format = UNSET
        else:
            return_format = InferenceRequestReturnFormat(_return_format)

        inference_request = cls(
            model_id=model_id,
            model_input=model_input,
            return_format=return_format,
        )

        inference_request.additional_properties = d
        return inference_request

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
