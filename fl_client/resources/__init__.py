"""The application resources: one module per tag of the API, each a thin sync class and its async twin.

`fl_client.FLClient` and `fl_client.AsyncFLClient` hang them off the client object
(``client.users``, ``client.groups``, ``client.models``, ``client.trainings``,
``client.inference``). Every method has typed parameters, returns one concrete model of
``fl_demonstrator_api.models`` and raises `fl_client.exceptions` errors.
"""

from __future__ import annotations

from .events import (
    FINAL_STATES,
    LocalModelsArrived,
    MetricsReported,
    RoundAdvanced,
    StateChanged,
    TrainingEvent,
)
from .groups import AsyncGroups, Groups
from .inference import AsyncInference, BinaryInference, Inference
from .models import AsyncModels, Models
from .trainings import AsyncTrainings, TrainingConfig, Trainings, UncertaintyConfig
from .users import AsyncUsers, Users

__all__ = [
    "FINAL_STATES",
    "AsyncGroups",
    "AsyncInference",
    "AsyncModels",
    "AsyncTrainings",
    "AsyncUsers",
    "BinaryInference",
    "Groups",
    "Inference",
    "LocalModelsArrived",
    "MetricsReported",
    "Models",
    "RoundAdvanced",
    "StateChanged",
    "TrainingConfig",
    "TrainingEvent",
    "Trainings",
    "UncertaintyConfig",
    "Users",
]
