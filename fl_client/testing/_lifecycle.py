"""The training state machine of API reference §8.1-8.7: the plain, SWAG and daisy-chain flows.

::

    start                      I -> O; TRAINING_START, UPDATE_ROUND_START {round}
    last local upload of r     aggregation task: FedAvg, round := r+1, local models deleted,
                               MODEL_TEST_ROUND {round: r+1}
    test metrics from as many  "test finished" task: UPDATE_ROUND_START {round} while
    reporters as participants  round < target_num_updates, else O -> C and TRAINING_FINISHED
                               (participants + actor)

SWAG (``uncertainty_method = "SWAG"``, §8.6): the aggregation sets state S and sends
``SWAG_ROUND_START {round: r+1}`` instead of the test round; when every participant's statistics
are in (``POST /api/models/{id}/swag/``), the moments are averaged, the state goes back to O and
``MODEL_TEST_ROUND`` follows. The statistics are metrics at the same step, so -- as on the server
-- the FIRST test-metrics upload advances the training, and each further one re-fires the event.

Daisy chain (``options.daisy_chain_period = P > 0``, §8.7): only the last round (``T-1``) is
aggregated; after every other round the round just advances, the local models stay, and each
participant gets its own ``UPDATE_ROUND_START`` with a randomly assigned local model of the round
before (``round % P != 0``), or the global model, broadcast (``round % P == 0``).

Aggregation and the "test finished" event run on one background thread, as the server runs them
in a Celery worker: an upload's answer does not wait for the aggregation, and ``locked`` is true
while one runs. A failed aggregation leaves the training in O, as on the server, and is recorded
in ``task_errors`` (and logged) so that a test can say why its training stalled.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ._notifier import Notifier
from ._store import Model, Store, Training

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = [
    "SWAG_FIRST_MOMENT",
    "SWAG_SAMPLE_SIZE",
    "SWAG_SECOND_MOMENT",
    "TaskRunner",
    "TrainingEngine",
    "daisy_chain_period",
]

# the metric keys of SWAG statistics on the global model (§7.3)
SWAG_FIRST_MOMENT = "SWAG First Moment Local"
SWAG_SECOND_MOMENT = "SWAG Second Moment Local"
SWAG_SAMPLE_SIZE = "SWAG Sample Size Local"


def daisy_chain_period(training: Training) -> int:
    """The training's daisy-chain period, 0 when it has none; SWAG wins over it (§8.2)."""
    if training.uncertainty_method == "SWAG":
        return 0
    period = training.options.get("daisy_chain_period")
    return period if isinstance(period, int) and not isinstance(period, bool) and period > 0 else 0


_logger = logging.getLogger("fl.client.testing.lifecycle")
_STOP = object()
_JOIN_TIMEOUT = 10.0


class TaskRunner:
    """A single background worker, the emulator's stand-in for the server's Celery worker."""

    def __init__(self, on_error: Callable[[str], None]) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._on_error = on_error
        self._busy = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="fl-emulator-tasks", daemon=True)
        self._thread.start()

    def submit(self, name: str, task: Callable[[], None]) -> None:
        with self._lock:
            self._busy += 1
        self._queue.put((name, task))

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._busy == 0

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(_JOIN_TIMEOUT)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            name, task = item
            try:
                task()
            except Exception as exc:  # a task failure must not kill the worker
                _logger.exception("emulator task %s failed", name)
                self._on_error(f"{name}: {type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._busy -= 1


class TrainingEngine:
    """Moves trainings through their states and sends the notifications of each step."""

    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        *,
        on_change: Callable[[], None],
        trusted_classes: Iterable[TrustedClass] = (),
        trust_remote_code: bool = False,
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.task_errors: list[str] = []
        self._on_change = on_change
        self._trusted = tuple(trusted_classes)
        self._trust_remote_code = trust_remote_code
        self.tasks = TaskRunner(self._record_error)

    def stop(self) -> None:
        self.tasks.stop()

    def _record_error(self, text: str) -> None:
        with self.store.lock:
            self.task_errors.append(text)
        self._on_change()

    # ---------------------------------------------------------------- notifications
    def _notify(self, user_ids: Iterable[str], kind: str, training: Training, body: dict[str, Any]) -> None:
        payload_base = {"notification_type": kind, "body": body, "training_uuid": training.id}
        for user_id in dict.fromkeys(user_ids):  # once per user, in order
            user = self.store.users.get(user_id)
            if user is None:
                continue
            self.notifier.send(user.id, user.message_endpoint, dict(payload_base))

    # ---------------------------------------------------------------- transitions
    def start(self, training: Training) -> None:
        """I -> O; the caller has checked the state and the participants."""
        model = self.store.models[training.model]
        training.state = "O"
        training.touch()
        self._notify(training.participants, "TRAINING_START", training, {"global_model_uuid": model.id})
        self._notify(
            training.participants,
            "UPDATE_ROUND_START",
            training,
            {"round": model.round, "global_model_uuid": model.id},
        )
        self._on_change()

    def local_model_stored(self, training: Training, global_model: Model) -> None:
        """Queue the aggregation when every participant's model of this round is in (§7.1)."""
        arrived = len(self.store.local_models(global_model.id, round=global_model.round))
        if arrived == len(training.participants) and not training.locked:
            training.locked = True
            period = daisy_chain_period(training)
            if period and global_model.round + 1 < training.target_num_updates:
                self.tasks.submit(
                    f"daisy chain {training.id}", lambda: self._daisy_chain(training.id, period)
                )
            else:
                self.tasks.submit(f"aggregate training {training.id}", lambda: self._aggregate(training.id))
        self._on_change()

    def swag_stored(self, training: Training, global_model: Model) -> None:
        """Queue the SWAG aggregation when every participant's first moment of this round is in (§7.3)."""
        firsts = [
            m
            for m in self.store.metrics_of(global_model.id)
            if m.key == SWAG_FIRST_MOMENT and m.step == global_model.round
        ]
        if len(firsts) == len(training.participants) and not training.locked:
            training.locked = True
            self.tasks.submit(f"SWAG aggregation {training.id}", lambda: self._swag_aggregate(training.id))
        self._on_change()

    def metrics_stored(self, model: Model) -> None:
        """Queue "test finished" when the model's current step has one reporter per participant (§8.4)."""
        training = self.store.training_of_model(model.id) if model.is_global else None
        if training is not None:
            reporters = {m.reporter for m in self.store.metrics_of(model.id) if m.step == model.round}
            if len(reporters) == len(training.participants):
                self.tasks.submit(f"test finished {training.id}", lambda: self._test_finished(training.id))
        self._on_change()

    # ---------------------------------------------------------------- tasks
    def _aggregate(self, training_id: str) -> None:
        from .aggregation import AggregationError, aggregate

        with self.store.lock:
            training = self.store.trainings.get(training_id)
            if training is None:
                return
            model = self.store.models[training.model]
            round_number = model.round
            local_models = self.store.local_models(model.id, round=round_number)
            uploads = [local.data for local in local_models]
            sizes = [local.sample_size for local in local_models]
        try:
            new_data = aggregate(
                uploads, sizes, trusted_classes=self._trusted, trust_remote_code=self._trust_remote_code
            )
        except AggregationError as exc:
            with self.store.lock:
                training.locked = False
            message = f"aggregation of training {training_id} round {round_number} failed: {exc}"
            _logger.error("%s; the training stays in state O, as on the real server", message)
            self._record_error(message)
            return
        with self.store.lock:
            if training_id not in self.store.trainings:
                return
            model.data = new_data
            model.round = round_number + 1
            # a daisy chain keeps its earlier rounds' local models (§8.7)
            kept_round = round_number if daisy_chain_period(training) else None
            for local in self.store.local_models(model.id, round=kept_round):
                self.store.delete_model(local)
            training.locked = False
            training.touch()
            swag = training.uncertainty_method == "SWAG"
            if swag:
                training.state = "S"
            self._notify(
                training.participants,
                "SWAG_ROUND_START" if swag else "MODEL_TEST_ROUND",
                training,
                {"round": model.round, "global_model_uuid": model.id},
            )
        _logger.info("training %s: aggregated round %d", training_id, round_number)
        self._on_change()

    def _daisy_chain(self, training_id: str, period: int) -> None:
        """A daisy-chain round ended: advance the round, no aggregation, hand the models on (§8.7)."""
        with self.store.lock:
            training = self.store.trainings.get(training_id)
            if training is None:
                return
            model = self.store.models[training.model]
            finished = model.round
            model.round = finished + 1
            training.locked = False
            training.touch()
            if model.round % period == 0:
                self._notify(
                    training.participants,
                    "UPDATE_ROUND_START",
                    training,
                    {"round": model.round, "global_model_uuid": model.id},
                )
            else:
                chain = [local.id for local in self.store.local_models(model.id, round=finished)]
                random.shuffle(chain)
                for index, user_id in enumerate(training.participants):
                    handed = chain[index % len(chain)] if chain else model.id
                    self._notify(
                        [user_id],
                        "UPDATE_ROUND_START",
                        training,
                        {"round": model.round, "global_model_uuid": handed},
                    )
        _logger.info("training %s: daisy-chain round %d done", training_id, finished)
        self._on_change()

    def _swag_aggregate(self, training_id: str) -> None:
        from .aggregation import AggregationError, swag_average

        with self.store.lock:
            training = self.store.trainings.get(training_id)
            if training is None:
                return
            model = self.store.models[training.model]
            step = model.round
            by_reporter: dict[str, dict[str, Any]] = {}
            for metric in self.store.metrics_of(model.id):
                if metric.step == step:
                    by_reporter.setdefault(metric.reporter, {})[metric.key] = metric
        try:
            entries = [e for e in by_reporter.values() if SWAG_FIRST_MOMENT in e]
            moments = [
                (e[SWAG_FIRST_MOMENT].value_binary or b"", e[SWAG_SECOND_MOMENT].value_binary or b"")
                for e in entries
            ]
            sizes = [float(e[SWAG_SAMPLE_SIZE].value_float or 0.0) for e in entries]
            first, second = swag_average(moments, sizes)
        except (AggregationError, KeyError) as exc:
            with self.store.lock:
                training.locked = False
                training.state = "E"  # the server's internal consistency check (§8.1)
                training.touch()
            message = f"SWAG aggregation of training {training_id} round {step} failed: {exc}"
            _logger.error("%s; the training is in state E", message)
            self._record_error(message)
            return
        with self.store.lock:
            model.swag_moments = (first, second)
            training.locked = False
            training.state = "O"
            training.touch()
            self._notify(
                training.participants,
                "MODEL_TEST_ROUND",
                training,
                {"round": model.round, "global_model_uuid": model.id},
            )
        _logger.info("training %s: SWAG statistics of round %d averaged", training_id, step)
        self._on_change()

    def _test_finished(self, training_id: str) -> None:
        with self.store.lock:
            training = self.store.trainings.get(training_id)
            if training is None:
                return
            model = self.store.models[training.model]
            if model.round < training.target_num_updates:
                self._notify(
                    training.participants,
                    "UPDATE_ROUND_START",
                    training,
                    {"round": model.round, "global_model_uuid": model.id},
                )
            else:
                training.state = "C"
                training.touch()
                self._notify(
                    [*training.participants, training.actor],
                    "TRAINING_FINISHED",
                    training,
                    {"global_model_uuid": model.id},
                )
                _logger.info("training %s completed", training_id)
        self._on_change()
