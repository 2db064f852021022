"""``client.trainings``: create, start, follow and clean up trainings (``/api/trainings/``)."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fl_demonstrator_api.api.trainings import (
    create_training,
    delete_training,
    get_training,
    list_latest_training_models,
    list_training_models,
    list_trainings,
    register_training_clients,
    remove_training_clients,
    start_training,
)
from fl_demonstrator_api.models import (
    AggregationMethod,
    ClientList,
    Detail,
    GlobalModel,
    GlobalModelMetadata,
    LocalModel,
    LocalModelMetadata,
    MeanModel,
    SwagModel,
    Training,
    TrainingCreate,
    TrainingCreated,
    TrainingCreateOptions,
    TrainingState,
    TrainingWithRounds,
    UncertaintyMethod,
)

from .._core.connection import Operation, expect_list, expect_one
from ..defaults import DEFAULT_WAIT_TIMEOUT, DEFAULT_WATCH_INTERVAL, DEFAULT_WATCH_MAX_INTERVAL
from ..exceptions import ConfigurationError, TrainingWaitTimeout
from ._base import AsyncResource, Id, SyncResource, as_enum, id_text
from .events import (
    FINAL_STATES,
    Observer,
    TrainingEvent,
    describe,
    next_interval,
)
from .models import metadata_op, metrics_op

__all__ = ["AsyncTrainings", "TrainingConfig", "Trainings", "UncertaintyConfig"]

AnyModel = GlobalModel | LocalModel | MeanModel | SwagModel
_MODEL_TYPES = (GlobalModel, LocalModel, MeanModel, SwagModel)
Until = TrainingState | str | Callable[[TrainingWithRounds], bool] | None
EventCallback = Callable[[TrainingEvent], None]


@dataclass(frozen=True, kw_only=True)
class UncertaintyConfig:
    """``options.uncertainty``: passes at inference (``N``) and softmax per pass."""

    n: int | None = None
    softmax: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.n is not None:
            if not isinstance(self.n, int) or isinstance(self.n, bool) or self.n < 1:
                raise ConfigurationError(f"uncertainty n must be an integer >= 1, not {self.n!r}")
            out["N"] = self.n
        if self.softmax is not None:
            out["softmax"] = bool(self.softmax)
        return out


@dataclass(frozen=True, kw_only=True)
class TrainingConfig:
    """The training ``options`` the server reads, typed (API reference §8.3).

    ``daisy_chain_period`` > 0 switches on daisy chaining (the server then multiplies
    ``target_num_updates`` by it); ``uncertainty`` configures MC dropout / SWAG inference;
    ``extra`` keys are stored and returned by the server but not used by it.
    """

    daisy_chain_period: int | None = None
    uncertainty: UncertaintyConfig | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_generated(self) -> TrainingCreateOptions:
        data: dict[str, Any] = dict(self.extra)
        if self.daisy_chain_period is not None:
            period = self.daisy_chain_period
            if not isinstance(period, int) or isinstance(period, bool) or period < 0:
                raise ConfigurationError(f"daisy_chain_period must be an integer >= 0, not {period!r}")
            data["daisy_chain_period"] = period
        if self.uncertainty is not None:
            data["uncertainty"] = self.uncertainty.to_dict()
        return TrainingCreateOptions.from_dict(data)


def _path(training_id: str, suffix: str = "") -> str:
    return f"/api/trainings/{training_id}/{suffix}"


def _create(
    model_id: Id,
    participants: Iterable[Any],
    *,
    target_num_updates: int,
    aggregation_method: AggregationMethod | str,
    uncertainty_method: UncertaintyMethod | str,
    metric_names: Iterable[str],
    options: TrainingConfig | None,
) -> Operation[TrainingCreated]:
    if (
        not isinstance(target_num_updates, int)
        or isinstance(target_num_updates, bool)
        or target_num_updates < 1
    ):
        raise ConfigurationError(f"target_num_updates must be an integer >= 1, not {target_num_updates!r}")
    from uuid import UUID

    body = TrainingCreate(
        model_id=UUID(id_text(model_id, "model_id")),
        target_num_updates=target_num_updates,
        metric_names=[str(name) for name in metric_names],
        aggregation_method=as_enum(AggregationMethod, aggregation_method, "aggregation_method"),
        uncertainty_method=as_enum(UncertaintyMethod, uncertainty_method, "uncertainty_method"),
        options=(options or TrainingConfig()).to_generated(),
        clients=[UUID(id_text(user, "participant")) for user in participants],
    )
    return Operation.of(create_training, name="create training", method="POST", path="/api/trainings/",
                        expected={201}, parse=expect_one(TrainingCreated), body=body)  # fmt: skip


def _get(training_id: Id) -> Operation[TrainingWithRounds]:
    tid = id_text(training_id, "training_id")
    return Operation.of(get_training, tid, name="get training", method="GET", path=_path(tid),
                        expected={200}, parse=expect_one(TrainingWithRounds))  # fmt: skip


def _list() -> Operation[list[Training]]:
    return Operation.of(list_trainings, name="list trainings", method="GET", path="/api/trainings/",
                        expected={200}, parse=expect_list(Training))  # fmt: skip


def _delete(training_id: Id) -> Operation[Detail]:
    tid = id_text(training_id, "training_id")
    return Operation.of(delete_training, tid, name="delete training", method="DELETE", path=_path(tid),
                        expected={200}, parse=expect_one(Detail))  # fmt: skip


def _start(training_id: Id) -> Operation[Detail]:
    tid = id_text(training_id, "training_id")
    return Operation.of(start_training, tid, name="start training", method="POST", path=_path(tid, "start/"),
                        expected={202}, parse=expect_one(Detail))  # fmt: skip


def _clients(training_id: Id, users: Iterable[Any], *, add: bool) -> Operation[Detail]:
    from uuid import UUID

    tid = id_text(training_id, "training_id")
    body = ClientList(clients=[UUID(id_text(user, "participant")) for user in users])
    module = register_training_clients if add else remove_training_clients
    return Operation.of(module, tid, name="add participants" if add else "remove participants",
                        method="PUT" if add else "DELETE", path=_path(tid, "clients/"),
                        expected={202} if add else {200}, parse=expect_one(Detail), body=body)  # fmt: skip


def _models(training_id: Id, *, latest: bool) -> Operation[list[AnyModel]]:
    tid = id_text(training_id, "training_id")
    module = list_latest_training_models if latest else list_training_models
    return Operation.of(module, tid, name="list latest training models" if latest else "list training models",
                        method="GET", path=_path(tid, "models/latest/" if latest else "models/"),
                        expected={200}, parse=expect_list(*_MODEL_TYPES))  # fmt: skip


def _predicate(until: Until) -> Callable[[TrainingWithRounds], bool]:
    if until is None:
        return lambda training: training.state in FINAL_STATES
    if callable(until) and not isinstance(until, str | TrainingState):
        return until
    state = as_enum(TrainingState, until, "until")
    return lambda training: training.state == state or training.state in FINAL_STATES


def _round_of(metadata: GlobalModelMetadata | LocalModelMetadata) -> int | None:
    return metadata.round_ if isinstance(metadata, GlobalModelMetadata) else None


def _timeout_error(
    training_id: str, timeout: float, training: TrainingWithRounds | None, round_: int | None
) -> TrainingWaitTimeout:
    where = describe(training, round_) if training is not None else "no answer yet"
    return TrainingWaitTimeout(
        f"training {training_id} did not get there within {timeout:g} s; it is at {where}", training=training
    )


class Trainings(SyncResource):
    """Trainings: the actor creates one on a global model, adds participants, starts it, follows it."""

    def create(
        self,
        model_id: Id,
        participants: Iterable[Any] = (),
        *,
        target_num_updates: int,
        aggregation_method: AggregationMethod | str = AggregationMethod.FEDAVG,
        uncertainty_method: UncertaintyMethod | str = UncertaintyMethod.NONE,
        metric_names: Iterable[str] = ("accuracy",),
        options: TrainingConfig | None = None,
    ) -> TrainingCreated:
        """Create a training (state ``I``) of ``target_num_updates`` rounds on global model ``model_id``.

        ``participants`` are user ids (or `User` objects). If the model already belongs to another
        training the server attaches a copy: read the training's ``model`` afterwards.
        """
        return self._connection.request(_create(
            model_id, participants, target_num_updates=target_num_updates, aggregation_method=aggregation_method,
            uncertainty_method=uncertainty_method, metric_names=metric_names, options=options))  # fmt: skip

    def get(self, training_id: Id) -> TrainingWithRounds:
        """One training, with ``local_models_arrived`` / ``local_models_expected``."""
        return self._connection.request(_get(training_id))

    def list(self) -> builtins.list[Training]:
        """Trainings whose actor is the caller."""
        return self._connection.request(_list())

    def delete(self, training_id: Id) -> Detail:
        """Delete a training (actor only; its model is kept)."""
        return self._connection.request(_delete(training_id))

    def start(self, training_id: Id) -> Detail:
        """Start a training in state ``I`` that has participants (state becomes ``O``)."""
        return self._connection.request(_start(training_id))

    def add_participants(self, training_id: Id, users: Iterable[Any]) -> Detail:
        """Add participants (user ids or `User` objects); allowed in any state."""
        return self._connection.request(_clients(training_id, users, add=True))

    def remove_participants(self, training_id: Id, users: Iterable[Any]) -> Detail:
        """Remove participants (ids of non-participants are ignored)."""
        return self._connection.request(_clients(training_id, users, add=False))

    def models(self, training_id: Id) -> builtins.list[AnyModel]:
        """The global model and the local models stored for it."""
        return self._connection.request(_models(training_id, latest=False))

    def latest_models(self, training_id: Id) -> builtins.list[AnyModel]:
        """The global model and each participant's latest local model."""
        return self._connection.request(_models(training_id, latest=True))

    def _poll(
        self, training_id: Id, interval: float, max_interval: float, deadline: float | None
    ) -> Iterator[tuple[TrainingWithRounds, int | None, builtins.list[TrainingEvent]]]:
        observer, wait = Observer(), interval
        while True:
            training = self.get(training_id)
            model = str(training.model)
            round_ = _round_of(self._connection.request(metadata_op(model)))
            events = observer.observe(training, round_, self._connection.request(metrics_op(model)))
            yield training, round_, events
            if training.state in FINAL_STATES:
                return
            wait = next_interval(wait, max_interval, bool(events), interval)
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            time.sleep(wait)

    def watch(
        self,
        training_id: Id,
        *,
        interval: float = DEFAULT_WATCH_INTERVAL,
        max_interval: float = DEFAULT_WATCH_MAX_INTERVAL,
    ) -> Iterator[TrainingEvent]:
        """Yield what happens to a training (`StateChanged`, `RoundAdvanced`, `LocalModelsArrived`,
        `MetricsReported`) until it reaches a final state (``C`` or ``E``); the last event is that
        `StateChanged`.

        Polls with backoff from ``interval`` to ``max_interval`` seconds (see `fl_client.resources.events`).
        A poll sees the count of local models only at that moment, so a round can end unseen between
        two polls; every round that ends still yields a `LocalModelsArrived` with its ``round``:
        one the polls saw complete, or, inferred from the round advancing, ``expected`` of
        ``expected`` with ``inferred=True``, just before the `RoundAdvanced` event. Rounds that
        ended before the first poll are not reported.
        """
        for _, _, events in self._poll(training_id, interval, max_interval, None):
            yield from events

    def wait(
        self,
        training_id: Id,
        *,
        until: Until = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_event: EventCallback | None = None,
        interval: float = DEFAULT_WATCH_INTERVAL,
        max_interval: float = DEFAULT_WATCH_MAX_INTERVAL,
    ) -> TrainingWithRounds:
        """Block until ``until`` holds (default: a final state) and return the training.

        ``until`` is a state (``"O"``, `TrainingState.C`, ...; a final state also ends the wait) or
        a predicate of the training. ``on_event`` sees every event on the way.

        Raises:
            TrainingWaitTimeout: not there within ``timeout`` seconds; says where the training was.
        """
        done = _predicate(until)
        deadline = time.monotonic() + timeout
        training: TrainingWithRounds | None = None
        round_: int | None = None
        for polled in self._poll(training_id, interval, max_interval, deadline):
            training, round_, events = polled
            for event in events:
                if on_event is not None:
                    on_event(event)
            if done(training):
                return training
            if time.monotonic() >= deadline:
                break
        if training is not None and done(training):
            return training
        raise _timeout_error(id_text(training_id), timeout, training, round_)


class AsyncTrainings(AsyncResource):
    """The async twin of `Trainings`."""

    async def create(
        self,
        model_id: Id,
        participants: Iterable[Any] = (),
        *,
        target_num_updates: int,
        aggregation_method: AggregationMethod | str = AggregationMethod.FEDAVG,
        uncertainty_method: UncertaintyMethod | str = UncertaintyMethod.NONE,
        metric_names: Iterable[str] = ("accuracy",),
        options: TrainingConfig | None = None,
    ) -> TrainingCreated:
        """See `Trainings.create`."""
        return await self._connection.arequest(_create(
            model_id, participants, target_num_updates=target_num_updates, aggregation_method=aggregation_method,
            uncertainty_method=uncertainty_method, metric_names=metric_names, options=options))  # fmt: skip

    async def get(self, training_id: Id) -> TrainingWithRounds:
        """See `Trainings.get`."""
        return await self._connection.arequest(_get(training_id))

    async def list(self) -> builtins.list[Training]:
        """See `Trainings.list`."""
        return await self._connection.arequest(_list())

    async def delete(self, training_id: Id) -> Detail:
        """See `Trainings.delete`."""
        return await self._connection.arequest(_delete(training_id))

    async def start(self, training_id: Id) -> Detail:
        """See `Trainings.start`."""
        return await self._connection.arequest(_start(training_id))

    async def add_participants(self, training_id: Id, users: Iterable[Any]) -> Detail:
        """See `Trainings.add_participants`."""
        return await self._connection.arequest(_clients(training_id, users, add=True))

    async def remove_participants(self, training_id: Id, users: Iterable[Any]) -> Detail:
        """See `Trainings.remove_participants`."""
        return await self._connection.arequest(_clients(training_id, users, add=False))

    async def models(self, training_id: Id) -> builtins.list[AnyModel]:
        """See `Trainings.models`."""
        return await self._connection.arequest(_models(training_id, latest=False))

    async def latest_models(self, training_id: Id) -> builtins.list[AnyModel]:
        """See `Trainings.latest_models`."""
        return await self._connection.arequest(_models(training_id, latest=True))

    async def _poll(
        self, training_id: Id, interval: float, max_interval: float, deadline: float | None
    ) -> AsyncIterator[tuple[TrainingWithRounds, int | None, builtins.list[TrainingEvent]]]:
        observer, wait = Observer(), interval
        while True:
            training = await self.get(training_id)
            model = str(training.model)
            round_ = _round_of(await self._connection.arequest(metadata_op(model)))
            events = observer.observe(training, round_, await self._connection.arequest(metrics_op(model)))
            yield training, round_, events
            if training.state in FINAL_STATES:
                return
            wait = next_interval(wait, max_interval, bool(events), interval)
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            await asyncio.sleep(wait)

    async def watch(
        self,
        training_id: Id,
        *,
        interval: float = DEFAULT_WATCH_INTERVAL,
        max_interval: float = DEFAULT_WATCH_MAX_INTERVAL,
    ) -> AsyncIterator[TrainingEvent]:
        """See `Trainings.watch` (``async for event in client.trainings.watch(id)``)."""
        async for _, _, events in self._poll(training_id, interval, max_interval, None):
            for event in events:
                yield event

    async def wait(
        self,
        training_id: Id,
        *,
        until: Until = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_event: EventCallback | None = None,
        interval: float = DEFAULT_WATCH_INTERVAL,
        max_interval: float = DEFAULT_WATCH_MAX_INTERVAL,
    ) -> TrainingWithRounds:
        """See `Trainings.wait`."""
        done = _predicate(until)
        deadline = time.monotonic() + timeout
        training: TrainingWithRounds | None = None
        round_: int | None = None
        async for polled in self._poll(training_id, interval, max_interval, deadline):
            training, round_, events = polled
            for event in events:
                if on_event is not None:
                    on_event(event)
            if done(training):
                return training
            if time.monotonic() >= deadline:
                break
        if training is not None and done(training):
            return training
        raise _timeout_error(id_text(training_id), timeout, training, round_)
