"""End to end: SWAG and daisy-chain trainings with 3 real ``fl-client serve`` participants."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from support.serve import Participant, UploadCounter, serving

from fl_client.testing import FLEmulator

pytestmark = pytest.mark.slow

WAIT = 180.0


@pytest.fixture
def server() -> Iterator[FLEmulator]:
    with FLEmulator() as emulator:
        yield emulator


@pytest.fixture
def participants(server: FLEmulator, tmp_path: Path) -> Iterator[list[Participant]]:
    with serving([Participant(server, f"p{i}", tmp_path) for i in range(3)]) as started:
        yield started


def initial_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 2)))


def run_training(server: FLEmulator, participants: list[Participant], **fields: object) -> tuple[str, str]:
    actor = server.create_user("actor", actor=True)
    model_id = server.upload_model(actor, initial_model())
    training_id = server.create_training(actor, model_id, [p.user for p in participants], **fields)
    counter = UploadCounter(server, model_id)
    server.add_observer(counter)
    server.start_training(actor, training_id)
    try:
        server.wait_for_state(training_id, "C", timeout=WAIT)
    except TimeoutError:
        raise AssertionError("\n".join(p.log() for p in participants)) from None
    rounds = server.training(training_id)["target_num_updates"]
    assert counter.snapshot() == Counter({(p.user.id, r): 1 for p in participants for r in range(rounds)})
    assert server.task_errors == []
    return training_id, model_id


def test_swag_training_completes(server: FLEmulator, participants: list[Participant]) -> None:
    _, model_id = run_training(server, participants, target_num_updates=2, uncertainty_method="SWAG")
    for participant in participants:
        seen = [r.notification_type for r in server.notifications if r.user_id == participant.user.id]
        assert seen.count("SWAG_ROUND_START") == 2
        statuses = {r.status for r in server.notifications if r.user_id == participant.user.id}
        assert statuses <= {200, 202}
    with server.store.lock:
        swag = [m for m in server.store.metrics_of(model_id) if m.key == "SWAG First Moment Local"]
    assert sorted((m.reporter, m.step) for m in swag) == sorted(
        (p.user.id, r) for p in participants for r in (1, 2)
    )
    assert server.store.models[model_id].swag_moments is not None


def test_daisy_chain_training_completes(server: FLEmulator, participants: list[Participant]) -> None:
    _, model_id = run_training(server, participants, target_num_updates=2, options={"daisy_chain_period": 2})
    starts = [r for r in server.notifications if r.notification_type == "UPDATE_ROUND_START"]
    assert sorted({r.round for r in starts}) == [0, 1, 2, 3]
    assert all(r.payload["body"]["global_model_uuid"] != model_id for r in starts if r.round in (1, 3))
    assert all(r.status == 202 for r in starts)
