from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.aggregation_method import AggregationMethod
from ..models.training_state import TrainingState
from ..models.uncertainty_method import UncertaintyMethod
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.training_options import TrainingOptions


T = TypeVar("T", bound="Training")


@_attrs_define
class Training:
    """
    Attributes:
        id (UUID):
        state (TrainingState): I initial, O ongoing, S SWAG round, C completed, E error.
        target_num_updates (int):
        aggregation_method (AggregationMethod):
        model (UUID): The training's global model.
        actor (UUID):
        participants (list[UUID]):
        last_update (datetime.datetime | Unset):
        uncertainty_method (UncertaintyMethod | Unset):
        options (TrainingOptions | Unset):
        locked (bool | Unset):
    """

    id: UUID
    state: TrainingState
    target_num_updates: int
    aggregation_method: AggregationMethod
    model: UUID
    actor: UUID
    participants: list[UUID]
    last_update: datetime.datetime | Unset = UNSET
    uncertainty_method: UncertaintyMethod | Unset = UNSET
    options: TrainingOptions | Unset = UNSET
    locked: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        state = self.state.value

        target_num_updates = self.target_num_updates

        aggregation_method = self.aggregation_method.value

        model = str(self.model)

        actor = str(self.actor)

        participants = []
        for participants_item_data in self.participants:
            participants_item = str(participants_item_data)
            participants.append(participants_item)

        last_update: str | Unset = UNSET
        if not isinstance(self.last_update, Unset):
            last_update = self.last_update.isoformat()

        uncertainty_method: str | Unset = UNSET
        if not isinstance(self.uncertainty_method, Unset):
            uncertainty_method = self.uncertainty_method.value

        options: dict[str, Any] | Unset = UNSET
        if not isinstance(self.options, Unset):
            options = self.options.to_dict()

        locked = self.locked

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "state": state,
                "target_num_updates": target_num_updates,
                "aggregation_method": aggregation_method,
                "model": model,
                "actor": actor,
                "participants": participants,
            }
        )
        if last_update is not UNSET:
            field_dict["last_update"] = last_update
        if uncertainty_method is not UNSET:
            field_dict["uncertainty_method"] = uncertainty_method
        if options is not UNSET:
            field_dict["options"] = options
        if locked is not UNSET:
            field_dict["locked"] = locked

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.training_options import TrainingOptions

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        state = TrainingState(d.pop("state"))

        target_num_updates = d.pop("target_num_updates")

        aggregation_method = AggregationMethod(d.pop("aggregation_method"))

        model = UUID(d.pop("model"))

        actor = UUID(d.pop("actor"))

        participants = []
        _participants = d.pop("participants")
        for participants_item_data in _participants:
            participants_item = UUID(participants_item_data)

            participants.append(participants_item)

        _last_update = d.pop("last_update", UNSET)
        last_update: datetime.datetime | Unset
        if isinstance(_last_update, Unset):
            last_update = UNSET
        else:
            last_update = datetime.datetime.fromisoformat(_last_update)

        _uncertainty_method = d.pop("uncertainty_method", UNSET)
        uncertainty_method: UncertaintyMethod | Unset
        if isinstance(_uncertainty_method, Unset):
            uncertainty_method = UNSET
        else:
            uncertainty_method = UncertaintyMethod(_uncertainty_method)

        _options = d.pop("options", UNSET)
        options: TrainingOptions | Unset
        if isinstance(_options, Unset):
            options = UNSET
        else:
            options = TrainingOptions.from_dict(_options)

        locked = d.pop("locked", UNSET)

        training = cls(
            id=id,
            state=state,
            target_num_updates=target_num_updates,
            aggregation_method=aggregation_method,
            model=model,
            actor=actor,
            participants=participants,
            last_update=last_update,
            uncertainty_method=uncertainty_method,
            options=options,
            locked=locked,
        )

        training.additional_properties = d
        return training

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
