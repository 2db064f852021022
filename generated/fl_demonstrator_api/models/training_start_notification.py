from __future__ import annotations

from collections.abc import Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.model_notification_body import ModelNotificationBody


T = TypeVar("T", bound="TrainingStartNotification")


@_attrs_define
class TrainingStartNotification:
    """
    Attributes:
        notification_type (Literal['TRAINING_START']):
        body (ModelNotificationBody):
        training_uuid (UUID):
    """

    notification_type: Literal["TRAINING_START"]
    body: ModelNotificationBody
    training_uuid: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        notification_type = self.notification_type

        body = self.body.to_dict()

        training_uuid = str(self.training_uuid)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "notification_type": notification_type,
                "body": body,
                "training_uuid": training_uuid,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.model_notification_body import ModelNotificationBody

        d = dict(src_dict)
        notification_type = cast(Literal["TRAINING_START"], d.pop("notification_type"))
        if notification_type != "TRAINING_START":
            raise ValueError(
                f"notification_type must match const 'TRAINING_START', got '{notification_type}'"
            )

        body = ModelNotificationBody.from_dict(d.pop("body"))

        training_uuid = UUID(d.pop("training_uuid"))

        training_start_notification = cls(
            notification_type=notification_type,
            body=body,
            training_uuid=training_uuid,
        )

        training_start_notification.additional_properties = d
        return training_start_notification

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
