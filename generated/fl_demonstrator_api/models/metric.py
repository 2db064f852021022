from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Metric")


@_attrs_define
class Metric:
    """Every key is in every answer (API reference §4.5); exactly one of `value_float` and `value_binary` is not null.

    Attributes:
        id (int):
        identifier (None | str):
        key (str):
        value_float (float | None):
        value_binary (None | str): base64 text
        step (int):
        model (UUID):
        reporter (None | UUID):
    """

    id: int
    identifier: None | str
    key: str
    value_float: float | None
    value_binary: None | str
    step: int
    model: UUID
    reporter: None | UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        identifier: None | str
        identifier = self.identifier

        key = self.key

        value_float: float | None
        value_float = self.value_float

        value_binary: None | str
        value_binary = self.value_binary

        step = self.step

        model = str(self.model)

        reporter: None | str
        if isinstance(self.reporter, UUID):
            reporter = str(self.reporter)
        else:
            reporter = self.reporter

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "identifier": identifier,
                "key": key,
                "value_float": value_float,
                "value_binary": value_binary,
                "step": step,
                "model": model,
                "reporter": reporter,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        def _parse_identifier(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        identifier = _parse_identifier(d.pop("identifier"))

        key = d.pop("key")

        def _parse_value_float(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        value_float = _parse_value_float(d.pop("value_float"))

        def _parse_value_binary(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        value_binary = _parse_value_binary(d.pop("value_binary"))

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

        metric = cls(
            id=id,
            identifier=identifier,
            key=key,
            value_float=value_float,
            value_binary=value_binary,
            step=step,
            model=model,
            reporter=reporter,
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
