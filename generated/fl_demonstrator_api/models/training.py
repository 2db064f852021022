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

if TYPE_CHECKING:
    from ..models.training_options import TrainingOptions


T = TypeVar("T", bound="Training")


@_attrs_define
class Training:
    """Every key is in every answer (API reference §4.3).

    Attributes:
        id (UUID):
        state (TrainingState): I initial, O ongoing, S SWAG round, C completed, E error.
        target_num_updates (int):
        last_update (datetime.datetime):
        uncertainty_method (UncertaintyMethod):
        aggregation_method (AggregationMethod):
        options (TrainingOptions):
        locked (bool):
        model (UUID): The training's global model.
        actor (UUID):
        participants (list[UUID]):
    """

    id: UUID
    state: TrainingState
    target_num_updates: int
    last_update: datetime.datetime
    uncertainty_method: UncertaintyMethod
    aggregation_method: AggregationMethod
    options: TrainingOptions
    locked: bool
    model: UUID
    actor: UUID
    participants: list[UUID]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        state = self.state.value

        target_num_updates = self.target_num_updates

        last_update = self.last_update.isoformat()

        uncertainty_method = self.uncertainty_method.value

        aggregation_method = self.aggregation_method.value

        options = self.options.to_dict()

        locked = self.locked

        model = str(self.model)

        actor = str(self.actor)

        participants = []
        for participants_item_data in self.participants:
            participants_item = str(participants_item_data)
            participants.append(participants_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "state": state,
                "target_num_updates": target_num_updates,
                "last_update": last_update,
                "uncertainty_method": uncertainty_method,
                "aggregation_method": aggregation_method,
                "options": options,
                "locked": locked,
                "model": model,
                "actor": actor,
                "participants": participants,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.training_options import TrainingOptions

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        state = TrainingState(d.pop("state"))

        target_num_updates = d.pop("target_num_updates")

        last_update = datetime.datetime.fromisoformat(d.pop("last_update"))

        uncertainty_method = UncertaintyMethod(d.pop("uncertainty_method"))

        aggregation_method = AggregationMethod(d.pop("aggregation_method"))

        options = TrainingOptions.from_dict(d.pop("options"))

        locked = d.pop("locked")

        model = UUID(d.pop("model"))

        actor = UUID(d.pop("actor"))

        participants = []
        _participants = d.pop("participants")
        for participants_item_data in _participants:
            participants_item = UUID(participants_item_data)

            participants.append(participants_item)

        training = cls(
            id=id,
            state=state,
            target_num_updates=target_num_updates,
            last_update=last_update,
            uncertainty_method=uncertainty_method,
            aggregation_method=aggregation_method,
            options=options,
            locked=locked,
            model=model,
            actor=actor,
            participants=participants,
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
