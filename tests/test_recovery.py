"""Retries of failed runs, the server check before a repeated run, and catch-up's decisions."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from support.notifications import GLOBAL_MODEL_ID, TRAINING_ID, make_dispatcher

from fl_client import ScriptDispatcher
from fl_client.participant.catchup import CatchUp, ServerState, TrainingView, Verdict
from fl_client.participant.journal import RunJournal
from fl_client.participant.recovery import RunSupervisor
from fl_client.participant.runs import RunKey, RunState
from fl_client.testing import wait_for

T, G = UUID(TRAINING_ID), UUID(GLOBAL_MODEL_ID)


@pytest.fixture
def record_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "records"
    directory.mkdir()
    monkeypatch.setenv("RECORD_DIR", str(directory))
    return directory


class FakeServer:
    """`ServerState.owed` with a fixed answer, counting the questions."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.asked: list[RunKey] = []

    def owed(self, key: RunKey) -> Verdict:
        self.asked.append(key)
        return self.verdict


def supervised(
    tmp_path: Path, verdict: Verdict, attempts: int
) -> tuple[ScriptDispatcher, FakeServer, RunJournal]:
    dispatcher = make_dispatcher(tmp_path)
    server = FakeServer(verdict)
    journal = RunJournal(tmp_path / "state")
    RunSupervisor(journal=journal, server=server, max_attempts=attempts, retry_delay=0.0).attach(dispatcher)  # type: ignore[arg-type]
    return dispatcher, server, journal


def logs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "logs").glob("*-round1-train-*.log"))


def settled(dispatcher: ScriptDispatcher, key: RunKey, state: RunState) -> bool:
    run = dispatcher.run_for(key)
    return run is not None and run.state is state and run.done.is_set()


@pytest.mark.slow
def test_failing_run_is_retried_until_its_attempts_are_spent(
    tmp_path: Path,
    record_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECORD_EXIT", "1")
    dispatcher, server, journal = supervised(tmp_path, Verdict.OWED, attempts=3)
    key = RunKey(T, 1, "train")
    with dispatcher, journal:
        dispatcher.submit("train", T, 1, G)
        wait_for(lambda: settled(dispatcher, key, RunState.FAILED) and dispatcher.run_for(key).attempt == 3)  # type: ignore[union-attr]
        record = journal.get(key)
        assert record is not None and (record.state, record.attempts, record.exit_code) == (
            RunState.FAILED,
            3,
            1,
        )
    assert server.asked == [key, key]  # each retry asked the server first
    assert len(logs(tmp_path)) in (1, 2, 3)  # log names carry seconds: retries may share one file


@pytest.mark.slow
def test_failed_run_whose_upload_is_stored_is_not_run_again(
    tmp_path: Path,
    record_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECORD_EXIT", "1")
    dispatcher, _, journal = supervised(tmp_path, Verdict.DONE, attempts=3)
    key = RunKey(T, 1, "train")
    with dispatcher, journal:
        dispatcher.submit("train", T, 1, G)
        wait_for(lambda: settled(dispatcher, key, RunState.SKIPPED))
        assert dispatcher.run_for(key).attempt == 2  # type: ignore[union-attr]
        assert journal.get(key).state is RunState.SKIPPED  # type: ignore[union-attr]
        # a re-delivered notification does not start it either
        assert dispatcher.submit("train", T, 1, G).duplicate


@pytest.mark.slow
def test_cannot_tell_defers_the_retry(
    tmp_path: Path, record_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECORD_EXIT", "1")
    dispatcher, _, journal = supervised(tmp_path, Verdict.UNKNOWN, attempts=3)
    key = RunKey(T, 1, "train")
    with dispatcher, journal:
        dispatcher.submit("train", T, 1, G)
        wait_for(lambda: settled(dispatcher, key, RunState.DEFERRED))
    assert (record_dir / "train-1.json").exists()


@pytest.mark.slow
def test_redelivered_notification_for_a_failed_run_runs_it_again(
    tmp_path: Path,
    record_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECORD_EXIT", "1")
    dispatcher, server, journal = supervised(tmp_path, Verdict.OWED, attempts=1)  # no automatic retry
    key = RunKey(T, 1, "train")
    with dispatcher, journal:
        dispatcher.submit("train", T, 1, G)
        wait_for(lambda: settled(dispatcher, key, RunState.FAILED))
        (record_dir / "train-1.json").unlink()
        monkeypatch.setenv("RECORD_EXIT", "0")
        submission = dispatcher.submit("train", T, 1, G)
        assert not submission.duplicate and submission.run.attempt == 2
        wait_for(lambda: settled(dispatcher, key, RunState.SUCCEEDED))
    assert (record_dir / "train-1.json").exists() and server.asked == [key]


# ------------------------------------------------------------------------------------ catch-up


class StubServer(ServerState):
    def __init__(self, owed: list[str]) -> None:
        self._owed = owed

    def trainings(self) -> list[UUID]:
        return [T]

    def view(self, training_id: UUID) -> TrainingView:
        return TrainingView(training_id, "O", 1, 2, 0, False, 2, G, 0)

    def owed_runs(self, view: TrainingView) -> list[str]:
        return list(self._owed)


@pytest.mark.parametrize(
    ("known", "expected"),
    [(None, True), (RunState.RUNNING, False), (RunState.SUCCEEDED, False), (RunState.DEFERRED, True)],
)
def test_catch_up_starts_owed_work_not_running_here(known: RunState | None, expected: bool) -> None:
    from fl_client import Communication

    submitted: list[RunKey] = []

    class Dispatcher:
        settings = None

        def submit(
            self, action: str, training_id: UUID, round: int, model_id: UUID, *, argv: object = None
        ) -> object:
            submitted.append(RunKey(training_id, round, action))
            return type("S", (), {"describe": lambda self: ""})()

    class Known:
        state = known

    class Comm(Communication):
        @classmethod
        def script_command(cls, *args: object, **kwargs: object) -> list[str]:
            return ["true"]

    catch_up = CatchUp(
        server=StubServer(["test", "train"]),
        dispatcher=Dispatcher(),  # type: ignore[arg-type]
        communication=Comm,
        run_for=lambda key: None if known is None else Known(),
        interval=60,
    )
    started = catch_up.run_once()
    keys = [RunKey(T, 1, "test"), RunKey(T, 1, "train")]
    assert started == (keys if expected else [])
    assert submitted == (keys if expected else [])
