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
    from ..models.round_notification_body import RoundNotificationBody


T = TypeVar("T", bound="UpdateRoundStartNotification")


@_attrs_define
class UpdateRoundStartNotification:
    """
    Attributes:
        notification_type (Literal['UPDATE_ROUND_START']):
        body (RoundNotificationBody):
        training_uuid (UUID):
    """

    notification_type: Literal["UPDATE_ROUND_START"]
    body: RoundNotificationBody
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
        from ..models.round_notification_body import RoundNotificationBody

        d = dict(src_dict)
        notification_type = cast(
            Literal["UPDATE_ROUND_START"], d.pop("notification_type")
        )
        if notification_type != "UPDATE_ROUND_START":
            raise ValueError(
                f"notification_type must match const 'UPDATE_ROUND_START', got '{notification_type}'"
            )

        body = RoundNotificationBody.from_dict(d.pop("body"))

        training_uuid = UUID(d.pop("training_uuid"))

        update_round_start_notification = cls(
            notification_type=notification_type,
            body=body,
            training_uuid=training_uuid,
        )

        update_round_start_notification.additional_properties = d
        return update_round_start_notification

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
