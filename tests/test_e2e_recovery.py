"""No round lost: real ``fl-client serve`` receivers that crash, are down, or whose script fails.

Every test ends with the training in state C and exactly one local upload per participant per
round (the server accepts duplicates and then goes wrong, §7.1; the emulator counts them here).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from support.serve import Participant, UploadCounter

from fl_client.testing import EmulatedUser, FLEmulator, wait_for

pytestmark = pytest.mark.slow

WAIT = 180.0
ROUNDS = 2
QUICK = ("--catch-up-interval", "0.5", "--retry-delay", "0.2")


@pytest.fixture
def server() -> Iterator[FLEmulator]:
    # the server's retries, short: a receiver that is down misses the notification for good
    with FLEmulator(notification_retries=1, notification_retry_delay=0.01) as emulator:
        yield emulator


@pytest.fixture
def stop_all() -> Iterator[list[Participant]]:
    started: list[Participant] = []
    yield started
    for participant in started:
        participant.stop()


def setup(
    server: FLEmulator, tmp_path: Path, stop_all: list[Participant], envs: list[dict[str, str]]
) -> tuple[list[Participant], str, EmulatedUser, UploadCounter]:
    participants = [Participant(server, f"p{i}", tmp_path, *QUICK, env=env) for i, env in enumerate(envs)]
    stop_all.extend(participants)
    actor = server.create_user("actor", actor=True)
    torch.manual_seed(0)
    model_id = server.upload_model(actor, torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 2))))
    training_id = server.create_training(
        actor, model_id, [p.user for p in participants], target_num_updates=ROUNDS
    )
    counter = UploadCounter(server, model_id)
    server.add_observer(counter)
    return participants, training_id, actor, counter


def finish(
    server: FLEmulator, training_id: str, participants: list[Participant], counter: UploadCounter
) -> None:
    try:
        server.wait_for_state(training_id, "C", timeout=WAIT)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n" + "\n".join(p.log() for p in participants)) from None
    assert counter.snapshot() == Counter({(p.user.id, r): 1 for p in participants for r in range(ROUNDS)})
    assert server.task_errors == []


def journal(participant: Participant) -> dict[tuple[int, str], dict[str, object]]:
    out = subprocess.run(
        [sys.executable, "-m", "fl_client", "runs", "--json", "--state-dir", str(participant.workdir / "state")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return {(row["round"], row["action"]): row for row in json.loads(out)}


@pytest.mark.parametrize("script_survives", [True, False], ids=["script-survives", "script-killed-too"])
def test_receiver_killed_mid_round_and_restarted(
    server: FLEmulator, tmp_path: Path, stop_all: list[Participant], script_survives: bool
) -> None:
    participants, training_id, actor, counter = setup(
        server, tmp_path, stop_all, [{"FLOW_GATE": "train:1"}, {}]
    )
    crashing = participants[0]
    for participant in participants:
        participant.start()
    server.start_training(actor, training_id)
    started = crashing.flow_dir / "train-1.started"
    wait_for(started.exists, timeout=WAIT)
    crashing.kill()  # SIGKILL: no shutdown, the journal says "running"
    script_pid = int(started.read_text())
    if not script_survives:
        os.killpg(script_pid, signal.SIGKILL)  # the whole machine went down
    crashing.start()
    (crashing.flow_dir / "go").write_text("go")
    finish(server, training_id, participants, counter)
    row = journal(crashing)[(1, "train")]
    if script_survives:
        # the orphaned script uploaded; the restarted receiver waited for it, never ran it again
        assert row["state"] in ("deferred", "skipped")
        assert len(list((crashing.workdir / "runs").glob("*-round1-train-*.log"))) == 1
    else:
        assert row["state"] == "succeeded" and row["exit_code"] == 0
    assert journal(crashing)[(0, "train")]["state"] == "succeeded"  # finished before the crash: not re-run


def test_receiver_down_while_the_training_starts(
    server: FLEmulator, tmp_path: Path, stop_all: list[Participant]
) -> None:
    participants, training_id, actor, counter = setup(server, tmp_path, stop_all, [{}, {}])
    late = participants[1]
    participants[0].start()
    server.start_training(actor, training_id)
    missed = server.wait_for_notifications(2, where=lambda r: r.user_id == late.user.id)
    assert [(r.notification_type, r.status, r.attempts) for r in missed] == [
        ("TRAINING_START", None, 2),
        ("UPDATE_ROUND_START", None, 2),
    ]  # the server gave up on both
    late.start()  # catch-up at start finds round 0 owed
    finish(server, training_id, participants, counter)
    assert journal(late)[(0, "train")]["state"] == "succeeded"


def test_script_failing_once_is_retried(
    server: FLEmulator, tmp_path: Path, stop_all: list[Participant]
) -> None:
    participants, training_id, actor, counter = setup(
        server, tmp_path, stop_all, [{"FLOW_FAIL_ONCE": "train:1"}, {}]
    )
    for participant in participants:
        participant.start()
    server.start_training(actor, training_id)
    finish(server, training_id, participants, counter)
    row = journal(participants[0])[(1, "train")]
    assert (row["state"], row["attempts"], row["exit_code"]) == ("succeeded", 2, 0)
    assert (participants[0].flow_dir / "train-1.failed").exists()
