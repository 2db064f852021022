from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Metric")


@_attrs_define
class Metric:
    """
    Attributes:
        id (int):
        key (str):
        step (int):
        model (UUID):
        reporter (None | UUID):
        identifier (None | str | Unset):
        value_float (float | None | Unset):
        value_binary (None | str | Unset): base64 text
    """

    id: int
    key: str
    step: int
    model: UUID
    reporter: None | UUID
    identifier: None | str | Unset = UNSET
    value_float: float | None | Unset = UNSET
    value_binary: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        key = self.key

        step = self.step

        model = str(self.model)

        reporter: None | str
        if isinstance(self.reporter, UUID):
            reporter = str(self.reporter)
        else:
            reporter = self.reporter

        identifier: None | str | Unset
        if isinstance(self.identifier, Unset):
            identifier = UNSET
        else:
            identifier = self.identifier

        value_float: float | None | Unset
        if isinstance(self.value_float, Unset):
            value_float = UNSET
        else:
            value_float = self.value_float

        value_binary: None | str | Unset
        if isinstance(self.value_binary, Unset):
            value_binary = UNSET
        else:
            value_binary = self.value_binary

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "key": key,
                "step": step,
                "model": model,
                "reporter": reporter,
            }
        )
        if identifier is not UNSET:
            field_dict["identifier"] = identifier
        if value_float is not UNSET:
            field_dict["value_float"] = value_float
        if value_binary is not UNSET:
            field_dict["value_binary"] = value_binary

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        key = d.pop("key")

        step = d.pop("step")

        model = UUID(d.pop("model"))

        def _parse_reporter(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reporter_type_0 = UUID(data)

                return reporter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        reporter = _parse_reporter(d.pop("reporter"))

        def _parse_identifier(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        identifier = _parse_identifier(d.pop("identifier", UNSET))

        def _parse_value_float(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        value_float = _parse_value_float(d.pop("value_float", UNSET))

        def _parse_value_binary(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        value_binary = _parse_value_binary(d.pop("value_binary", UNSET))

        metric = cls(
            id=id,
            key=key,
            step=step,
            model=model,
            reporter=reporter,
            identifier=identifier,
            value_float=value_float,
            value_binary=value_binary,
        )

        metric.additional_properties = d
        return metric

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
