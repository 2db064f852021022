"""Catch-up: ask the server what this participant owes, and start it as a notification would.

The server drops a notification after about 75 s of failed POSTs and nothing repairs it (API
reference §9.4-9.5): a receiver that was down, restarted or crashed would stall the training for
everyone. So at start and every ``interval`` seconds `CatchUp` reads the trainings this user
participates in (``GET /api/users/trainings/``); for each in state O or S it reads the current
round and decides, from the server's state alone, which run is owed:

======================  ===================================================================
state S, round R        ``swag`` R, unless our ``SWAG First Moment Local`` at step R is stored
state O, round R > 0    ``test`` R (not in daisy-chain rounds before the last), unless we
                        reported metrics at step R
state O, round R < T    ``train`` R once the test round R is over (everyone reported; the first
                        report in SWAG trainings; no test round at 0 or in chain rounds), unless
                        a local model of ours for round R is stored
======================  ===================================================================

A run owed and not queued, running or finished here is started through the `Communication`
class's handlers (``start_training`` ...), exactly as its notification would start it. Whether
our upload is stored is decided by the checks of the lost-answer logic (`fl_client._core.verify`);
when they cannot tell (the real server answers the models list with 500 while we own a stored
local model), nothing is started and the next pass asks again: never a duplicate upload.

A missed daisy-chain round (``round % period != 0``) starts from the global model: the local
model the server assigned is only named in the lost notification.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from uuid import UUID

from fl_demonstrator_api.api.models import get_model_metadata
from fl_demonstrator_api.api.trainings import get_training
from fl_demonstrator_api.api.users import list_my_trainings
from fl_demonstrator_api.client import Client
from fl_demonstrator_api.models import Metric, Training, TrainingWithRounds
from fl_demonstrator_api.types import Unset

from .._core.http import call
from .._core.retry import Outcome, RetryPolicy
from .._core.verify import Identity, local_model_outcome, metrics_of_model
from ..defaults import DEFAULT_CATCH_UP_INTERVAL
from ..exceptions import APIError, DispatcherStoppedError
from .handlers import NotificationHandlers
from .runs import RunKey
from .scope import Dispatcher, dispatching_to

__all__ = ["SWAG_METRIC_KEYS", "CatchUp", "ServerState", "TrainingView", "Verdict"]

logger = logging.getLogger("fl.client.catchup")

SWAG_FIRST_MOMENT = "SWAG First Moment Local"
SWAG_METRIC_KEYS = frozenset({SWAG_FIRST_MOMENT, "SWAG Second Moment Local", "SWAG Sample Size Local"})
_ONCE = RetryPolicy(max_retries=0)


class Verdict(Enum):
    """Does this participant owe the server a run's upload?"""

    OWED = "owed"
    DONE = "done"
    """stored, or no longer wanted (the round or the training moved on)"""
    UNKNOWN = "unknown"
    """the server's state cannot tell: wait and ask again"""


@dataclass
class TrainingView:
    """One training as the server shows it now (read by `ServerState.view`)."""

    training_id: UUID
    state: str
    round: int
    target: int
    period: int
    swag: bool
    participants: int
    global_model_id: UUID
    local_models_arrived: int
    metrics: list[Metric] | None = None
    metrics_read: bool = False


class ServerState:
    """The server-state checks of catch-up and of repeated runs, for one participant."""

    def __init__(self, api: Client, client_id: UUID | Identity) -> None:
        """``client_id``: the participant's user id, or a callable that returns it once known (the
        receiver learns it from the server; until then nothing counts as owed or done)."""
        self.api = api
        self._identity: Identity = client_id if callable(client_id) else (lambda: client_id)

    @property
    def client_id(self) -> UUID | None:
        return self._identity()

    def trainings(self) -> list[UUID]:
        """The trainings we participate in that are running (state O or S)."""
        response = call(
            lambda: list_my_trainings.sync_detailed(client=self.api),
            operation="catch-up",
            method="GET",
            path="/api/users/trainings/",
            expected={200},
            policy=_ONCE,
        )
        found = response.parsed if isinstance(response.parsed, list) else []
        return [
            t.id
            for t in found
            if isinstance(t, Training) and str(t.state) in ("O", "S") and self.client_id in t.participants
        ]

    def view(self, training_id: UUID) -> TrainingView:
        """Read the training and its global model's round. Raises `APIError`."""
        training = call(
            lambda: get_training.sync_detailed(str(training_id), client=self.api),
            operation="catch-up",
            method="GET",
            path=f"/api/trainings/{training_id}/",
            expected={200},
            policy=_ONCE,
        ).parsed
        if not isinstance(training, TrainingWithRounds):
            raise APIError(f"catch-up: GET /api/trainings/{training_id}/ answered an unreadable body")
        meta = call(
            lambda: get_model_metadata.sync_detailed(str(training.model), client=self.api),
            operation="catch-up",
            method="GET",
            path=f"/api/models/{training.model}/metadata/",
            expected={200},
            policy=_ONCE,
        ).parsed
        round_ = getattr(meta, "round_", None)
        if not isinstance(round_, int):
            raise APIError(f"catch-up: the metadata of model {training.model} has no round")
        options = {} if isinstance(training.options, Unset) else training.options.additional_properties
        swag = str(training.uncertainty_method) == "SWAG"
        period = options.get("daisy_chain_period")
        valid_period = isinstance(period, int) and not isinstance(period, bool) and period > 0 and not swag
        return TrainingView(
            training_id=training.id,
            state=str(training.state),
            round=round_,
            target=training.target_num_updates,
            period=int(period) if valid_period and isinstance(period, int) else 0,
            swag=swag,
            participants=len(training.participants),
            global_model_id=training.model,
            local_models_arrived=training.local_models_arrived,
        )

    # ----------------------------------------------------------------------------------------- checks
    def _metrics(self, view: TrainingView) -> list[Metric] | None:
        if not view.metrics_read:
            view.metrics, view.metrics_read = metrics_of_model(self.api, view.global_model_id), True
        return view.metrics

    def _reported(self, view: TrainingView, step: int, *, swag: bool) -> Verdict:
        metrics = self._metrics(view)
        if metrics is None:
            return Verdict.UNKNOWN
        ours = [m for m in metrics if str(m.reporter) == str(self.client_id) and m.step == step]
        found = any((m.key == SWAG_FIRST_MOMENT) if swag else (m.key not in SWAG_METRIC_KEYS) for m in ours)
        return Verdict.DONE if found else Verdict.OWED

    def _test_round_over(self, view: TrainingView) -> Verdict:
        """Has the test round of the current round ended, so that training it is announced?"""
        r = view.round
        if r == 0 or (view.period and r < view.target):
            return Verdict.DONE
        metrics = self._metrics(view)
        if metrics is None:
            return Verdict.UNKNOWN
        tests = {str(m.reporter) for m in metrics if m.step == r and m.key not in SWAG_METRIC_KEYS}
        # SWAG statistics already count as reports, so the first test report ends it (§8.4)
        needed = 1 if view.swag else view.participants
        return Verdict.DONE if len(tests) >= needed else Verdict.OWED

    def _local_model(self, view: TrainingView) -> Verdict:
        outcome = local_model_outcome(
            self.api, training_id=view.training_id, identity=self._identity, round_=view.round
        )
        if outcome is Outcome.APPLIED:
            return Verdict.DONE
        if outcome is Outcome.NOT_APPLIED:
            return Verdict.OWED
        # the list cannot be read: no local model of this round stored yet means ours is not either
        # (a daisy chain keeps every earlier round's participants' models)
        if view.local_models_arrived in (0, view.participants * view.round if view.period else 0):
            return Verdict.OWED
        return Verdict.UNKNOWN

    def verdict(self, view: TrainingView, action: str, round_: int) -> Verdict:
        """Does this participant owe ``action`` for ``round_`` now?"""
        if self.client_id is None:
            return Verdict.UNKNOWN  # whose uploads are ours is not known yet
        if view.state not in ("O", "S") or view.round > round_:
            return Verdict.DONE
        if view.round < round_:
            return Verdict.UNKNOWN  # announced ahead of what we read: ask again
        if action == "swag":
            return self._reported(view, round_, swag=True) if view.state == "S" else Verdict.DONE
        if view.state == "S":
            return Verdict.UNKNOWN  # train and test rounds follow the SWAG round
        if action == "test":
            return self._reported(view, round_, swag=False)
        if action == "train":
            return self._local_model(view) if round_ < view.target else Verdict.DONE
        return Verdict.UNKNOWN

    def owed(self, key: RunKey) -> Verdict:
        """`verdict` for one run, reading the training first (UNKNOWN when it cannot be read)."""
        try:
            view = self.view(key.training_id)
        except APIError as error:
            logger.warning("cannot check %s: %s", key, error.message)
            return Verdict.UNKNOWN
        return self.verdict(view, key.action, key.round)

    def owed_runs(self, view: TrainingView) -> list[str]:
        """The actions owed for the current round, in the order they run."""
        r = view.round
        if view.state == "S":
            return ["swag"] if self.verdict(view, "swag", r) is Verdict.OWED else []
        owed: list[str] = []
        tested = r > 0 and (not view.period or r >= view.target)
        if tested and self.verdict(view, "test", r) is Verdict.OWED:
            owed.append("test")
        train_announced = r < view.target and self._test_round_over(view) is Verdict.DONE
        if train_announced and self.verdict(view, "train", r) is Verdict.OWED:
            owed.append("train")
        return owed


class CatchUp:
    """Asks the server at start and every ``interval`` seconds, and starts what is owed."""

    def __init__(
        self,
        *,
        server: ServerState,
        dispatcher: Dispatcher,
        communication: type[NotificationHandlers],
        run_for: Callable[[RunKey], object | None],
        note_global_model: Callable[[UUID, UUID], None] | None = None,
        may_rerun: Callable[[RunKey], bool] = lambda key: True,
        interval: float = DEFAULT_CATCH_UP_INTERVAL,
    ) -> None:
        """
        Args:
            server: the checks.
            dispatcher: where owed runs go (through ``communication``'s handlers).
            run_for: the dispatcher's latest run of a key (``ScriptDispatcher.run_for``).
            note_global_model: told each training's global model.
            may_rerun: False for a key whose failed run must not run again (attempts exhausted).
            interval: seconds between passes.
        """
        self.server = server
        self.dispatcher = dispatcher
        self.communication = communication
        self.interval = interval
        self._run_for = run_for
        self._note = note_global_model
        self._may_rerun = may_rerun
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fl-client-catch-up", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the loop must survive anything; the next pass tries again
                logger.exception("catch-up pass failed")
            if self._stop.wait(self.interval):
                return

    def run_once(self) -> list[RunKey]:
        """One pass; returns the runs it started."""
        started: list[RunKey] = []
        try:
            trainings = self.server.trainings()
        except APIError as error:
            logger.warning("catch-up: cannot list the trainings: %s", error.message)
            return started
        for training_id in trainings:
            if self._stop.is_set():
                break
            try:
                view = self.server.view(training_id)
                owed = self.server.owed_runs(view)
            except APIError as error:
                logger.warning("catch-up: cannot read training %s: %s", training_id, error.message)
                continue
            if self._note is not None:
                self._note(view.training_id, view.global_model_id)
            for action in owed:
                key = RunKey(view.training_id, view.round, action)
                if self._start(key, view):
                    started.append(key)
        self.passes += 1
        return started

    def _start(self, key: RunKey, view: TrainingView) -> bool:
        known = self._run_for(key)
        state = getattr(known, "state", None)
        if state is not None and not state.rerunnable:
            return False  # queued, running, or finished here
        if state is not None and not self._may_rerun(key):
            return False
        logger.warning("catch-up: %s is owed and not running here: starting it", key)
        comm = self.communication
        model = view.global_model_id
        try:
            with dispatching_to(self.dispatcher):
                if key.action == "train":
                    comm.start_training(key.training_id, key.round, model)
                elif key.action == "test":
                    comm.start_testing(key.training_id, key.round, model)
                else:
                    comm.start_swag(key.training_id, key.round, model)
        except DispatcherStoppedError:
            return False
        return True
