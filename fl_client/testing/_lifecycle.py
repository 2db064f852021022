"""The training state machine of API reference §8.1-8.5 (plain FedAvg flow).

::

    start                      I -> O; TRAINING_START, UPDATE_ROUND_START {round}
    last local upload of r     aggregation task: FedAvg, round := r+1, local models deleted,
                               MODEL_TEST_ROUND {round: r+1}
    test metrics from as many  "test finished" task: UPDATE_ROUND_START {round} while
    reporters as participants  round < target_num_updates, else O -> C and TRAINING_FINISHED
                               (participants + actor)

Aggregation and the "test finished" event run on one background thread, as the server runs them
in a Celery worker: an upload's answer does not wait for the aggregation, and ``locked`` is true
while one runs. A failed aggregation leaves the training in O, as on the server, and is recorded
in ``task_errors`` (and logged) so that a test can say why its training stalled.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ._notifier import Notifier
from ._store import Model, Store, Training

if TYPE_CHECKING:
    from ..serialization import TrustedClass

__all__ = ["TaskRunner", "TrainingEngine"]

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
            self.tasks.submit(f"aggregate training {training.id}", lambda: self._aggregate(training.id))
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
            for local in self.store.local_models(model.id):
                self.store.delete_model(local)
            training.locked = False
            training.touch()
            self._notify(
                training.participants,
                "MODEL_TEST_ROUND",
                training,
                {"round": model.round, "global_model_uuid": model.id},
            )
        _logger.info("training %s: aggregated round %d", training_id, round_number)
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
