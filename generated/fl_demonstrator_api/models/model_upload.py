from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.model_type import ModelType
from ..types import UNSET, File, FileTypes, Unset

T = TypeVar("T", bound="ModelUpload")


@_attrs_define
class ModelUpload:
    """Multipart upload of a GLOBAL or SWAG model.

    Attributes:
        name (str):
        description (str):
        model_file (File): TorchScript archive or `torch.save`d `nn.Module`.
        type_ (ModelType | Unset): Kind of model to create (case-insensitive on the server; unknown values mean GLOBAL).
        model_preprocessing_file (File | Unset): A preprocessing `nn.Module` (TorchScript or pickled).
        input_shape (list[str] | Unset): Repeated field; the text `None` stands for a free dimension.
        round_ (int | Unset): Initial round (default 0).
    """

    name: str
    description: str
    model_file: File
    type_: ModelType | Unset = UNSET
    model_preprocessing_file: File | Unset = UNSET
    input_shape: list[str] | Unset = UNSET
    round_: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        model_file = self.model_file.to_tuple()

        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

        model_preprocessing_file: FileTypes | Unset = UNSET
        if not isinstance(self.model_preprocessing_file, Unset):
            model_preprocessing_file = self.model_preprocessing_file.to_tuple()

        input_shape: list[str] | Unset = UNSET
        if not isinstance(self.input_shape, Unset):
            input_shape = self.input_shape

        round_ = self.round_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "description": description,
                "model_file": model_file,
            }
        )
        if type_ is not UNSET:
            field_dict["type"] = type_
        if model_preprocessing_file is not UNSET:
            field_dict["model_preprocessing_file"] = model_preprocessing_file
        if input_shape is not UNSET:
            field_dict["input_shape"] = input_shape
        if round_ is not UNSET:
            field_dict["round"] = round_

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("name", (None, str(self.name).encode(), "text/plain")))

        files.append(
            ("description", (None, str(self.description).encode(), "text/plain"))
        )

        files.append(("model_file", self.model_file.to_tuple()))

        if not isinstance(self.type_, Unset):
            files.append(("type", (None, str(self.type_.value).encode(), "text/plain")))

        if not isinstance(self.model_preprocessing_file, Unset):
            files.append(
                ("model_preprocessing_file", self.model_preprocessing_file.to_tuple())
            )

        if not isinstance(self.input_shape, Unset):
            for input_shape_item_element in self.input_shape:
                files.append(
                    (
                        "input_shape",
                        (None, str(input_shape_item_element).encode(), "text/plain"),
                    )
                )

        if not isinstance(self.round_, Unset):
            files.append(("round", (None, str(self.round_).encode(), "text/plain")))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description")

        model_file = File(payload=BytesIO(d.pop("model_file")))

        _type_ = d.pop("type", UNSET)
        type_: ModelType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = ModelType(_type_)

        _model_preprocessing_file = d.pop("model_preprocessing_file", UNSET)
        model_preprocessing_file: File | Unset
        if isinstance(_model_preprocessing_file, Unset):
            model_preprocessing_file = UNSET
        else:
            model_preprocessing_file = File(payload=BytesIO(_model_preprocessing_file))

        input_shape = cast(list[str], d.pop("input_shape", UNSET))

        round_ = d.pop("round", UNSET)

        model_upload = cls(
            name=name,
            description=description,
            model_file=model_file,
            type_=type_,
            model_preprocessing_file=model_preprocessing_file,
            input_shape=input_shape,
            round_=round_,
        )

        model_upload.additional_properties = d
        return model_upload

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
