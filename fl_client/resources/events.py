"""Progress events of a training, as `Trainings.watch` yields them, and the polling that finds them.

The server pushes nothing to an actor, so a watch polls: ``GET /api/trainings/{id}/`` (state and
local models arrived), the global model's metadata (its round) and its metrics. The interval starts
at ``interval`` and grows by half each quiet poll up to ``max_interval``; any change resets it. The
comparison of two polls (`Observer`) is shared by the sync and async loops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fl_demonstrator_api.models import Metric, TrainingState, TrainingWithRounds

__all__ = [
    "DEFAULT_WATCH_INTERVAL",
    "DEFAULT_WATCH_MAX_INTERVAL",
    "FINAL_STATES",
    "LocalModelsArrived",
    "MetricsReported",
    "Observer",
    "RoundAdvanced",
    "StateChanged",
    "TrainingEvent",
    "describe",
]

FINAL_STATES = frozenset({TrainingState.C, TrainingState.E})
"""States a training never leaves: Completed and Error."""

DEFAULT_WATCH_INTERVAL = 0.5
DEFAULT_WATCH_MAX_INTERVAL = 5.0


@dataclass(frozen=True)
class StateChanged:
    """The training's state changed (``previous`` is None on the first poll)."""

    training: TrainingWithRounds
    previous: TrainingState | None
    state: TrainingState


@dataclass(frozen=True)
class RoundAdvanced:
    """The global model's round moved on (an aggregation finished)."""

    training: TrainingWithRounds
    previous: int | None
    round: int


@dataclass(frozen=True)
class LocalModelsArrived:
    """The number of local models stored for this round changed: ``arrived`` of ``expected``."""

    training: TrainingWithRounds
    arrived: int
    expected: int


@dataclass(frozen=True)
class MetricsReported:
    """New metrics on the global model (participants' test results, per round as ``step``)."""

    training: TrainingWithRounds
    metrics: list[Metric]


TrainingEvent = StateChanged | RoundAdvanced | LocalModelsArrived | MetricsReported
"""Anything `Trainings.watch` yields."""


def describe(training: TrainingWithRounds, round_: int | None) -> str:
    """Where a training is, in words (for messages and logs)."""
    where = f"state {training.state.value}"
    if round_ is not None:
        where += f", round {round_} of {training.target_num_updates}"
    return f"{where}, {training.local_models_arrived}/{training.local_models_expected} local models arrived"


@dataclass
class Observer:
    """Compares each poll with the previous one and says what happened."""

    state: TrainingState | None = None
    round: int | None = None
    arrived: int | None = None
    seen_metrics: set[int] = field(default_factory=set)

    def observe(
        self, training: TrainingWithRounds, round_: int | None, metrics: list[Metric]
    ) -> list[TrainingEvent]:
        events: list[TrainingEvent] = []
        if training.state != self.state:
            events.append(StateChanged(training, self.state, training.state))
            self.state = training.state
        if round_ is not None and round_ != self.round:
            events.append(RoundAdvanced(training, self.round, round_))
            self.round = round_
        if training.local_models_arrived != self.arrived:
            self.arrived = training.local_models_arrived
            events.append(LocalModelsArrived(training, self.arrived, training.local_models_expected))
        new = [metric for metric in metrics if metric.id not in self.seen_metrics]
        if new:
            self.seen_metrics.update(metric.id for metric in new)
            events.append(MetricsReported(training, new))
        return events


def next_interval(current: float, maximum: float, changed: bool, initial: float) -> float:
    """Back off while nothing changes; poll quickly again after a change."""
    return initial if changed else min(maximum, current * 1.5)


UntilPredicate = Callable[[TrainingWithRounds], bool]
