"""The run journal: what `fl-client serve` remembers across restarts, and `fl-client runs`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from fl_client.cli import main
from fl_client.exceptions import ConfigurationError
from fl_client.participant.journal import RunJournal
from fl_client.participant.recovery import RunSupervisor
from fl_client.participant.runs import RunKey, RunState, ScriptRun

TRAINING = uuid.UUID("6a8d8f36-2a55-4a8e-9b43-111111111111")
MODEL = uuid.UUID("6a8d8f36-2a55-4a8e-9b43-222222222222")


def run(round_: int, action: str, state: RunState, **fields: object) -> ScriptRun:
    script_run = ScriptRun(
        RunKey(TRAINING, round_, action), MODEL, ("x",), Path(f"/logs/{action}-{round_}.log")
    )
    script_run.state = state
    for name, value in fields.items():
        setattr(script_run, name, value)
    return script_run


def test_records_survive_reopening_and_running_becomes_interrupted(tmp_path: Path) -> None:
    with RunJournal(tmp_path) as journal:
        journal.record(run(0, "train", RunState.SUCCEEDED, returncode=0, pid=11))
        journal.record(run(1, "test", RunState.QUEUED))
        journal.record(run(1, "train", RunState.RUNNING, pid=12))
        journal.record(run(1, "train", RunState.RUNNING, pid=13, attempt=2))  # same key: one row
    with RunJournal(tmp_path) as journal:
        interrupted = journal.mark_interrupted()
        records = {(r.round, r.action): r for r in journal.records()}
    assert [(r.round, r.action, r.pid, r.attempts) for r in interrupted] == [(1, "train", 13, 2)]
    assert records[(0, "train")].state is RunState.SUCCEEDED and records[(0, "train")].exit_code == 0
    assert records[(0, "train")].log_file == "/logs/train-0.log"
    assert records[(1, "test")].state is RunState.QUEUED
    assert len(records) == 3


class FakeDispatcher:
    def __init__(self) -> None:
        self.adopted: dict[RunKey, ScriptRun] = {}
        self.submitted: list[RunKey] = []
        self.hooks: object = None

    def adopt(self, script_run: ScriptRun) -> None:
        self.adopted[script_run.key] = script_run

    def run_for(self, key: RunKey) -> ScriptRun | None:
        return self.adopted.get(key)

    def submit(self, action: str, training_id: uuid.UUID, round: int, model_id: uuid.UUID) -> None:
        self.submitted.append(RunKey(training_id, round, action))


def test_restore_resumes_queued_and_interrupted_work_but_not_finished_work(tmp_path: Path) -> None:
    with RunJournal(tmp_path) as journal:
        journal.record(run(0, "train", RunState.SUCCEEDED, returncode=0))
        journal.record(run(0, "swag", RunState.FAILED, returncode=1, attempt=3))  # attempts spent
        journal.record(run(1, "test", RunState.QUEUED))
        journal.record(run(1, "train", RunState.RUNNING, pid=99))
        journal.record(run(1, "swag", RunState.FAILED, returncode=1, attempt=1))
    with RunJournal(tmp_path) as journal:
        supervisor = RunSupervisor(journal=journal, max_attempts=3)
        dispatcher = FakeDispatcher()
        supervisor.attach(dispatcher)  # type: ignore[arg-type]
        resumed = supervisor.restore()
    assert sorted((k.round, k.action) for k in resumed) == [(1, "swag"), (1, "test"), (1, "train")]
    assert sorted(dispatcher.submitted) == sorted(resumed)
    assert dispatcher.adopted[RunKey(TRAINING, 0, "train")].state is RunState.SUCCEEDED
    assert dispatcher.adopted[RunKey(TRAINING, 1, "train")].state is RunState.INTERRUPTED


def test_runs_command_lists_the_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with RunJournal(tmp_path) as journal:
        journal.record(run(0, "train", RunState.SUCCEEDED, returncode=0))
        journal.record(run(0, "train", RunState.FAILED, returncode=1, attempt=2))
    assert main(["runs", "--state-dir", str(tmp_path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (
        row["training_id"],
        row["round"],
        row["action"],
        row["state"],
        row["attempts"],
        row["exit_code"],
    ) == (str(TRAINING), 0, "train", "failed", 2, 1)
    assert main(["runs", "--state-dir", str(tmp_path)]) == 0
    # the table: a header, a rule under it, one row
    header, _rule, line = capsys.readouterr().out.splitlines()
    header, line = (text.replace("┃", " ").replace("│", " ") for text in (header, line))
    assert header.split()[:5] == ["TRAINING", "ID", "ROUND", "ACTION", "STATE"]
    assert line.split()[:5] == [str(TRAINING), "0", "train", "failed", "2"]


def test_runs_without_a_journal_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no run journal"):
        RunJournal(tmp_path / "nothing", read_only=True)
    assert main(["runs", "--state-dir", str(tmp_path / "nothing")]) == 1
