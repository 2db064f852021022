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
    """``arrived`` of ``expected`` local models are in for round ``round`` (None: round unknown).

    ``inferred`` is True when no poll saw the count: the round advanced between two polls, so all
    its local models had arrived (the event then says ``expected`` of ``expected``).
    """

    training: TrainingWithRounds
    arrived: int
    expected: int
    round: int | None = None
    inferred: bool = False


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
    """Compares each poll with the previous one and says what happened.

    A poll may come late: the emulator (or a fast server) can finish a round between two polls, so
    the count of its local models is never seen at ``expected``. When the round advanced from ``r``
    to ``r + k`` between two polls, each round ``r .. r + k - 1`` whose complete count was not yet
    reported gets an inferred ``LocalModelsArrived(expected, expected, round, inferred=True)``
    before the `RoundAdvanced` event: every round that ends yields an arrivals event. The events of
    one poll come in this order: a state change to a non-final state, inferred arrivals, the round,
    the current round's arrivals (when its round or count changed; not in the test round after the
    last aggregation, where no local model comes), new metrics, and last a change to a final state
    (``C`` or ``E``), so a watch ends with it.
    """

    state: TrainingState | None = None
    round: int | None = None
    arrived: tuple[int | None, int] | None = None
    seen_metrics: set[int] = field(default_factory=set)

    def observe(
        self, training: TrainingWithRounds, round_: int | None, metrics: list[Metric]
    ) -> list[TrainingEvent]:
        events: list[TrainingEvent] = []
        state_changed = training.state != self.state
        if state_changed and training.state not in FINAL_STATES:
            events.append(StateChanged(training, self.state, training.state))
        if round_ is not None and round_ != self.round:
            expected = training.local_models_expected
            if self.round is not None and round_ > self.round:
                for ended in range(self.round, round_):
                    if self.arrived != (ended, expected):
                        events.append(LocalModelsArrived(training, expected, expected, ended, inferred=True))
            events.append(RoundAdvanced(training, self.round, round_))
            self.round = round_
        arrived = (round_, training.local_models_arrived)
        training_round = round_ is None or round_ < training.target_num_updates  # not the test round
        if arrived != self.arrived and training_round:
            self.arrived = arrived
            events.append(
                LocalModelsArrived(
                    training, training.local_models_arrived, training.local_models_expected, round_
                )
            )
        new = [metric for metric in metrics if metric.id not in self.seen_metrics]
        if new:
            self.seen_metrics.update(metric.id for metric in new)
            events.append(MetricsReported(training, new))
        if state_changed and training.state in FINAL_STATES:
            events.append(StateChanged(training, self.state, training.state))
        self.state = training.state
        return events


def next_interval(current: float, maximum: float, changed: bool, initial: float) -> float:
    """Back off while nothing changes; poll quickly again after a change."""
    return initial if changed else min(maximum, current * 1.5)


UntilPredicate = Callable[[TrainingWithRounds], bool]
