"""Asking the server whether a non-idempotent request whose answer was lost was applied.

The server does not reject a second local-model upload for the same round, and a duplicate makes
it aggregate early and reject the other participants (API reference §7.1); a duplicate metrics
upload re-fires the round's "test finished" event (§8.4). So an upload or metrics POST that may
have reached the server is repeated only when the server's state shows it was not applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from uuid import UUID

from fl_demonstrator_api.api.models import get_model_metadata, list_model_metrics
from fl_demonstrator_api.api.trainings import get_training, list_training_models
from fl_demonstrator_api.client import Client
from fl_demonstrator_api.models import LocalModel, Metric, TrainingWithRounds

from ..exceptions import APIError
from .http import call, parsed_as
from .retry import Outcome, RetryPolicy

__all__ = [
    "Identity",
    "TrainingSnapshot",
    "local_model_outcome",
    "metrics_of_model",
    "metrics_outcome",
    "training_snapshot",
    "upload_outcome",
]

Identity = Callable[[], UUID | None]
"""Returns the id of the user the credentials belong to (asked once, then cached), or None when
it cannot be known; then nothing counts as "ours" and a lost answer is never repeated."""

_logger = logging.getLogger("fl.client.retry")
_ONCE = RetryPolicy(max_retries=0)


@dataclass(frozen=True)
class TrainingSnapshot:
    """What an upload needs to know before it starts: where it goes, and the arrival count."""

    global_model_id: UUID
    local_models_arrived: int


def training_snapshot(
    api: Client, training_id: UUID | str, *, policy: RetryPolicy | None = None
) -> TrainingSnapshot:
    """Read the training (GET, retried as idempotent)."""
    response = call(
        lambda: get_training.sync_detailed(str(training_id), client=api),
        operation="training lookup",
        method="GET",
        path=f"/api/trainings/{training_id}/",
        expected={200},
        policy=policy,
    )
    parsed = parsed_as(
        response,
        TrainingWithRounds,
        operation="training lookup",
        method="GET",
        path=f"/api/trainings/{training_id}/",
    )
    return TrainingSnapshot(UUID(str(parsed.model)), parsed.local_models_arrived)


def upload_outcome(
    api: Client,
    *,
    training_id: UUID | str,
    global_model_id: UUID | str,
    identity: Identity,
    round_: int,
    before: TrainingSnapshot,
) -> Outcome:
    """Was our local model for ``round_`` stored? Checked three ways, most certain first:

    1. the global model's round moved past ``round_``: the round was aggregated, which needs
       every participant's upload, ours included -> APPLIED;
    2. the training's models list holds a local model of ours (owned by the credentials' user,
       ``identity``) for ``round_`` -> APPLIED (the real server answers this list with 500 while
       we own a stored local model: UNKNOWN);
    3. ``local_models_arrived`` is unchanged since before the upload -> NOT_APPLIED; moved (maybe
       by another participant) -> UNKNOWN, and the caller does not repeat the upload.
    """
    try:
        meta = call(
            lambda: get_model_metadata.sync_detailed(str(global_model_id), client=api),
            operation="upload check",
            method="GET",
            path=f"/api/models/{global_model_id}/metadata/",
            expected={200},
            policy=_ONCE,
        ).parsed
        current_round = getattr(meta, "round_", None)
        if isinstance(current_round, int) and current_round > round_:
            return Outcome.APPLIED
        if local_model_outcome(api, training_id=training_id, identity=identity, round_=round_) is (
            Outcome.APPLIED
        ):
            return Outcome.APPLIED
        now = training_snapshot(api, training_id, policy=_ONCE)
    except APIError as error:
        _logger.warning("upload check failed: %s", error.message)
        return Outcome.UNKNOWN
    if now.local_models_arrived == before.local_models_arrived:
        return Outcome.NOT_APPLIED
    return Outcome.UNKNOWN


def local_model_outcome(api: Client, *, training_id: UUID | str, identity: Identity, round_: int) -> Outcome:
    """Does the training's models list hold a local model of ours (owned by the credentials' user,
    ``identity``, asked only when some local model of ``round_`` is there) for ``round_``?

    APPLIED when it does, NOT_APPLIED when the list is readable without one, UNKNOWN when it is
    not (the real server answers 500 while we own any stored local model of the training, §5.5)
    or when whose models they are cannot be known.
    """
    try:
        models = call(
            lambda: list_training_models.sync_detailed(str(training_id), client=api),
            operation="upload check",
            method="GET",
            path=f"/api/trainings/{training_id}/models/",
            expected={200},
            policy=_ONCE,
        ).parsed
    except APIError:
        return Outcome.UNKNOWN
    if not isinstance(models, list):
        return Outcome.UNKNOWN
    owners = {str(m.owner) for m in models if isinstance(m, LocalModel) and m.round_ == round_}
    if not owners:
        return Outcome.NOT_APPLIED
    me = identity()
    if me is None:
        return Outcome.UNKNOWN
    return Outcome.APPLIED if str(me) in owners else Outcome.NOT_APPLIED


def metrics_of_model(api: Client, model_id: UUID | str) -> list[Metric] | None:
    """Every metric stored on a model (reporter, key, step), or None when the list cannot be read."""
    try:
        metrics = call(
            lambda: list_model_metrics.sync_detailed(str(model_id), client=api),
            operation="metrics check",
            method="GET",
            path=f"/api/models/{model_id}/metrics/",
            expected={200},
            policy=_ONCE,
        ).parsed
    except APIError as error:
        _logger.warning("metrics check failed: %s", error.message)
        return None
    if not isinstance(metrics, list):
        return None
    return [m for m in metrics if isinstance(m, Metric)]


def metrics_outcome(
    api: Client, *, model_id: UUID | str, identity: Identity, names: Collection[str], round_: int
) -> Outcome:
    """Were our metrics stored? The model's metrics hold the reporter, key and step (= round).

    No metric of these names for this round -> NOT_APPLIED, whoever reported. Otherwise "ours"
    means reported by the credentials' user (``identity``, asked only then): all names there ->
    APPLIED; some, or an unknown identity -> UNKNOWN (the caller raises, never re-sends).
    """
    metrics = metrics_of_model(api, model_id)
    if metrics is None:
        return Outcome.UNKNOWN
    wanted = set(names)
    candidates = [m for m in metrics if m.step == round_ and m.key in wanted]
    if not candidates:
        return Outcome.NOT_APPLIED
    me = identity()
    if me is None:
        _logger.warning("metrics check: cannot tell whose metrics are stored (identity unknown)")
        return Outcome.UNKNOWN
    ours = {m.key for m in candidates if str(m.reporter) == str(me)}
    if ours and wanted <= ours:
        return Outcome.APPLIED
    return Outcome.NOT_APPLIED if not ours else Outcome.UNKNOWN
