"""End to end: emulator + real ``fl-client serve`` receivers + the examples as subprocesses.

Two participants with examples/train_digits.py, two rounds. Asserts the notification sequence of
API reference §8.5 (and the receivers' answers), the state reaching C, and that each round's
global model is exactly the sample-size-weighted mean of that round's two uploads. And
``make demo`` (examples/demo.py, with examples/actor.py) runs to its end: the model learned.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from support.models import digits_mlp
from support.paths import EXAMPLES
from support.serve import Participant, UploadRecorder, serving

from fl_client.serialization import unpack_model
from fl_client.testing import FLEmulator, wait_for

pytestmark = pytest.mark.slow

SCRIPT = EXAMPLES / "train_digits.py"
PARTICIPANTS = 2
ROUNDS = 2
WAIT = 120.0


def expected_fedavg(uploads: list[tuple[int, bytes]]) -> dict[str, torch.Tensor]:
    states = [unpack_model(data).state_dict() for _, data in uploads]
    total = sum(size for size, _ in uploads)
    return {
        key: sum(s[key] * size for s, (size, _) in zip(states, uploads, strict=True)) / total
        for key in states[0]
    }


@pytest.fixture
def server() -> Iterator[FLEmulator]:
    with FLEmulator() as emulator:
        yield emulator


@pytest.fixture
def participants(server: FLEmulator, tmp_path: Path) -> Iterator[list[Participant]]:
    """One ``fl-client serve`` per shard of the digits data (the shards are split two ways)."""
    shards = {"FL_EXAMPLE_SHARDS": str(PARTICIPANTS)}
    started = [
        Participant(
            server, f"p{shard}", tmp_path, script=SCRIPT, env={**shards, "FL_EXAMPLE_SHARD": str(shard)}
        )
        for shard in range(PARTICIPANTS)
    ]
    with serving(started):
        yield started


def test_two_participants_two_rounds(server: FLEmulator, participants: list[Participant]) -> None:
    actor = server.create_user("actor", actor=True)
    users = [participant.user for participant in participants]
    model_id = server.upload_model(actor, digits_mlp())
    recorder = UploadRecorder(model_id)
    server.add_observer(recorder)
    training_id = server.create_training(actor, model_id, users, target_num_updates=ROUNDS)
    previous = server.model_bytes(model_id)
    server.start_training(actor, training_id)
    for round_number in range(ROUNDS):
        server.wait_for_round(training_id, round_number + 1, timeout=WAIT)
        current = server.model_bytes(model_id)  # stable until this round's tests are in
        # the emulator calls observers after answering: the round may start before the last is seen
        wait_for(
            lambda r=round_number: len(recorder.of_round(r)) >= 2, timeout=WAIT, what="both uploads seen"
        )
        uploads = recorder.of_round(round_number)
        assert len(uploads) == 2 and all(size > 0 for size, _ in uploads)
        aggregated = torch.jit.load(io.BytesIO(current)).state_dict()
        for key, value in expected_fedavg(uploads).items():
            assert torch.allclose(aggregated[key], value, atol=1e-6), (round_number, key)
        before = torch.jit.load(io.BytesIO(previous)).state_dict()
        assert any(not torch.equal(before[k], aggregated[k]) for k in aggregated), "the model did not change"
        previous = current
    server.wait_for_state(training_id, "C", timeout=WAIT)
    server.wait_for_notifications(ROUNDS * 2 + 2, where=lambda r: r.user_id == users[1].id, timeout=WAIT)
    server.wait_for_notifications(1, where=lambda r: r.user_id == actor.id, timeout=WAIT)

    expected = [("TRAINING_START", None, 200)]
    for round_number in range(ROUNDS):
        expected += [("UPDATE_ROUND_START", round_number, 202), ("MODEL_TEST_ROUND", round_number + 1, 202)]
    expected += [("TRAINING_FINISHED", None, 200)]
    for user in users:
        seen = [
            (r.notification_type, r.round, r.status) for r in server.notifications if r.user_id == user.id
        ]
        assert seen == expected, user.username
    # each participant reported test metrics exactly once per test round (step = round)
    with server.store.lock:
        steps = sorted((m.reporter, m.step) for m in server.store.metrics_of(model_id) if m.key == "accuracy")
    assert steps == sorted((u.id, r) for u in users for r in range(1, ROUNDS + 1))
    assert server.task_errors == []


def test_the_demo_trains_a_model_that_learns(tmp_path: Path) -> None:
    """``make demo`` as a user runs it, from a copy: its output folder lands next to examples/."""
    examples = shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, str(examples / "demo.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=10 * WAIT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "the federated model learned" in done.stdout
