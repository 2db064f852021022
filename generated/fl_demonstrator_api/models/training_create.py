from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.aggregation_method import AggregationMethod
from ..models.uncertainty_method import UncertaintyMethod
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.training_create_options import TrainingCreateOptions


T = TypeVar("T", bound="TrainingCreate")


@_attrs_define
class TrainingCreate:
    """
    Attributes:
        model_id (UUID):
        target_num_updates (int):
        metric_names (list[str]):
        aggregation_method (AggregationMethod):
        uncertainty_method (UncertaintyMethod | Unset):
        options (TrainingCreateOptions | Unset): `daisy_chain_period` (int), `uncertainty.N` (int),
            `uncertainty.softmax` (bool).
        clients (list[UUID] | Unset):
    """

    model_id: UUID
    target_num_updates: int
    metric_names: list[str]
    aggregation_method: AggregationMethod
    uncertainty_method: UncertaintyMethod | Unset = UNSET
    options: TrainingCreateOptions | Unset = UNSET
    clients: list[UUID] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        model_id = str(self.model_id)

        target_num_updates = self.target_num_updates

        metric_names = self.metric_names

        aggregation_method = self.aggregation_method.value

        uncertainty_method: str | Unset = UNSET
        if not isinstance(self.uncertainty_method, Unset):
            uncertainty_method = self.uncertainty_method.value

        options: dict[str, Any] | Unset = UNSET
        if not isinstance(self.options, Unset):
            options = self.options.to_dict()

        clients: list[str] | Unset = UNSET
        if not isinstance(self.clients, Unset):
            clients = []
            for clients_item_data in self.clients:
                clients_item = str(clients_item_data)
                clients.append(clients_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "model_id": model_id,
                "target_num_updates": target_num_updates,
                "metric_names": metric_names,
                "aggregation_method": aggregation_method,
            }
        )
        if uncertainty_method is not UNSET:
            field_dict["uncertainty_method"] = uncertainty_method
        if options is not UNSET:
            field_dict["options"] = options
        if clients is not UNSET:
            field_dict["clients"] = clients

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.training_create_options import TrainingCreateOptions

        d = dict(src_dict)
        model_id = UUID(d.pop("model_id"))

        target_num_updates = d.pop("target_num_updates")

        metric_names = cast(list[str], d.pop("metric_names"))

        aggregation_method = AggregationMethod(d.pop("aggregation_method"))

        _uncertainty_method = d.pop("uncertainty_method", UNSET)
        uncertainty_method: UncertaintyMethod | Unset
        if isinstance(_uncertainty_method, Unset):
            uncertainty_method = UNSET
        else:
            uncertainty_method = UncertaintyMethod(_uncertainty_method)

        _options = d.pop("options", UNSET)
        options: TrainingCreateOptions | Unset
        if isinstance(_options, Unset):
            options = UNSET
        else:
            options = TrainingCreateOptions.from_dict(_options)

        _clients = d.pop("clients", UNSET)
        clients: list[UUID] | Unset = UNSET
        if _clients is not UNSET:
            clients = []
            for clients_item_data in _clients:
                clients_item = UUID(clients_item_data)

                clients.append(clients_item)

        training_create = cls(
            model_id=model_id,
            target_num_updates=target_num_updates,
            metric_names=metric_names,
            aggregation_method=aggregation_method,
            uncertainty_method=uncertainty_method,
            options=options,
            clients=clients,
        )

        return training_create
