"""`ScriptDispatcher`: argv, environment, logs, limits, de-duplication, shutdown -- with real processes."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from uuid import UUID

import pytest
from support.notifications import (
    AUTH,
    CLIENT,
    GLOBAL_MODEL_ID,
    LOCAL_MODEL_ID,
    RECORD_SCRIPT,
    TRAINING_ID,
    RecordingDispatcher,
    make_dispatcher,
)

from fl_client import Communication, ConfigurationError, DispatcherStoppedError, ScriptDispatcher, Settings
from fl_client.participant.runs import RunState
from fl_client.participant.scope import dispatching_to
from fl_client.testing import wait_for

T, G, L = UUID(TRAINING_ID), UUID(GLOBAL_MODEL_ID), UUID(LOCAL_MODEL_ID)


@pytest.fixture
def record_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "records"
    directory.mkdir()
    monkeypatch.setenv("RECORD_DIR", str(directory))
    for name in ("FL_CLIENT_TRAINING_ID", "FL_CLIENT_GLOBAL_MODEL_ID", "FL_CLIENT_AUTHORIZATION"):
        monkeypatch.delenv(name, raising=False)
    return directory


@pytest.mark.slow
def test_a_run_gets_the_seed_argv_the_workdir_and_its_context(tmp_path: Path, record_dir: Path) -> None:
    with make_dispatcher(tmp_path) as dispatcher:
        dispatcher.note_global_model(T, G)
        submission = dispatcher.submit("train", T, 4, L)
        assert not submission.duplicate
        assert dispatcher.wait_idle(10)
    record = json.loads((record_dir / "train-4.json").read_text())
    assert record["argv"][1:] == [
        "train",
        "--training-id",
        TRAINING_ID,
        "--round",
        "4",
        "--model-id",
        LOCAL_MODEL_ID,
    ]
    assert Path(record["argv"][0]).resolve() == RECORD_SCRIPT
    assert record["cwd"] == str(tmp_path / "work")
    env = record["env"]
    assert env["FL_CLIENT_ACTION"] == "train"
    assert env["FL_CLIENT_TRAINING_ID"] == TRAINING_ID
    assert env["FL_CLIENT_ROUND"] == "4"
    assert env["FL_CLIENT_MODEL_ID"] == LOCAL_MODEL_ID
    assert env["FL_CLIENT_GLOBAL_MODEL_ID"] == GLOBAL_MODEL_ID
    assert env["FL_DEMONSTRATOR_BASE_URL"] == "http://fl-server.test:8000"
    assert env["FL_CLIENT_AUTHORIZATION"] == AUTH
    assert env["FL_CLIENT_CLIENT_ID"] == str(CLIENT)
    # ... which is all a script needs to build its Communication
    comm = Communication.from_env(env)
    assert (comm.client_id, comm.training_id, comm.round, comm.model_id) == (CLIENT, T, 4, L)
    assert comm.global_model_id == G and comm.http_authorization == AUTH
    run = submission.run
    assert run.state is RunState.SUCCEEDED and run.returncode == 0 and run.duration is not None
    log = run.log_path.read_text()
    assert "stdout line of train 4" in log and "stderr line of train 4" in log


@pytest.mark.slow
def test_unknown_global_model_is_not_set_nor_inherited(
    tmp_path: Path, record_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FL_CLIENT_GLOBAL_MODEL_ID", "stale-from-the-parent")
    with make_dispatcher(tmp_path, authorization=None, client_id=None) as dispatcher:
        dispatcher.submit("test", T, 1, L)
        assert dispatcher.wait_idle(10)
    env = json.loads((record_dir / "test-1.json").read_text())["env"]
    assert "FL_CLIENT_GLOBAL_MODEL_ID" not in env
    assert "FL_CLIENT_AUTHORIZATION" not in env and "FL_CLIENT_CLIENT_ID" not in env
    with pytest.raises(ConfigurationError, match="FL_CLIENT_AUTHORIZATION"):
        Communication.from_env(env)


@pytest.mark.slow
def test_the_same_training_round_and_action_runs_once(tmp_path: Path, record_dir: Path) -> None:
    with make_dispatcher(tmp_path) as dispatcher:
        first = dispatcher.submit("train", T, 0, G)
        again = dispatcher.submit("train", T, 0, G)
        other_action = dispatcher.submit("test", T, 0, G)
        assert dispatcher.wait_idle(10)
    assert again.duplicate and again.run is first.run
    assert not other_action.duplicate
    assert len(dispatcher.runs()) == 2


@pytest.mark.slow
def test_a_failing_script_is_recorded_and_logged_with_its_tail(
    tmp_path: Path, record_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RECORD_EXIT", "3")
    with caplog.at_level(logging.INFO, logger="fl.client"), make_dispatcher(tmp_path) as dispatcher:
        run = dispatcher.submit("train", T, 2, G).run
        assert dispatcher.wait_idle(10)
    assert run.state is RunState.FAILED and run.returncode == 3
    failure = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failure) == 1
    assert "exit=3" in failure[0] and str(run.log_path) in failure[0]
    assert "stderr line of train 2" in failure[0]  # the tail of the log
    started = [r.getMessage() for r in caplog.records if r.getMessage().startswith("run started")]
    assert len(started) == 1 and f"pid={run.pid}" in started[0]
    text = caplog.text + repr(dispatcher)
    assert "s3cr3t" not in text and AUTH not in text


@pytest.mark.slow
def test_a_missing_executor_fails_the_run_not_the_dispatcher(tmp_path: Path, record_dir: Path) -> None:
    settings = Settings(script_path="x.py", script_executor=str(tmp_path / "no-such-python"))
    with make_dispatcher(tmp_path, settings=settings) as dispatcher:
        run = dispatcher.submit("train", T, 0, G).run
        assert dispatcher.wait_idle(10)
    assert run.state is RunState.FAILED and run.returncode is None
    assert run.error is not None and "no-such-python" in run.error
    assert "cannot start" in run.log_path.read_text()


def test_no_script_configured_is_a_configuration_error(tmp_path: Path) -> None:
    with make_dispatcher(tmp_path, settings=Settings()) as dispatcher, pytest.raises(ConfigurationError):
        dispatcher.submit("train", T, 0, G)
    with pytest.raises(ConfigurationError, match="at least 1"):
        ScriptDispatcher(max_concurrent=0)


def test_extra_runs_queue_behind_the_concurrency_limit() -> None:
    gate = threading.Event()
    dispatcher = RecordingDispatcher(gate=gate, max_concurrent=2)
    for round_ in range(6):
        dispatcher.submit("train", T, round_, G)
    wait_for(lambda: dispatcher.running_now == 2)
    states = [run.state for run in dispatcher.runs()]
    assert states.count(RunState.RUNNING) == 2 and states.count(RunState.QUEUED) == 4
    gate.set()
    assert dispatcher.wait_idle(10)
    dispatcher.shutdown()
    assert dispatcher.most_at_once == 2
    assert sorted(key.round for key in dispatcher.executed) == list(range(6))


def _gone(pid: int) -> bool:
    """True when no live process has this pid (a zombie of another parent counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] in {"Z", "X"}


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_a_script_that_hangs_at_shutdown_is_terminated_then_killed_with_its_children(
    tmp_path: Path, record_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECORD_HANG", "1")
    dispatcher = make_dispatcher(tmp_path, max_concurrent=1, grace_period=0.2, kill_timeout=0.3)
    hanging = dispatcher.submit("train", T, 0, G).run
    queued = dispatcher.submit("train", T, 1, G).run
    wait_for(lambda: (record_dir / "pids.json").exists())
    pids = json.loads((record_dir / "pids.json").read_text())
    dispatcher.shutdown()
    assert hanging.state is RunState.FAILED and hanging.returncode == -9  # ignored SIGTERM, got SIGKILL
    assert queued.state is RunState.CANCELLED and queued.pid is None
    assert not Path(f"/proc/{pids['script']}").exists()  # reaped: no zombie
    wait_for(lambda: _gone(pids["grandchild"]), timeout=5)  # no orphan
    with pytest.raises(DispatcherStoppedError):
        dispatcher.submit("train", T, 2, G)


@pytest.mark.slow
def test_a_script_that_finishes_within_the_grace_period_is_not_killed(
    tmp_path: Path, record_dir: Path
) -> None:
    dispatcher = make_dispatcher(tmp_path, grace_period=10)
    run = dispatcher.submit("train", T, 0, G).run
    wait_for(lambda: run.state is RunState.RUNNING)
    dispatcher.shutdown()
    assert run.state is RunState.SUCCEEDED and run.returncode == 0


def test_start_script_goes_to_the_active_dispatcher_with_the_subclass_argv() -> None:
    class Custom(Communication):
        @classmethod
        def script_command(
            cls,
            action: str,
            training_id: UUID,
            round: int,
            model_id: UUID,
            *,
            settings: Settings | None = None,
        ) -> list[str]:
            return ["custom", action, str(round)]

    dispatcher = RecordingDispatcher()
    with dispatching_to(dispatcher) as scope:
        Custom.start_training(T, 7, G)
        Custom.start_training(T, 7, G)
    assert [s.duplicate for s in scope.submissions] == [False, True]
    assert scope.submissions[0].run.argv == ("custom", "train", "7")
    assert dispatcher.wait_idle(5)
    dispatcher.shutdown()


@pytest.mark.parametrize(
    ("missing", "bad"),
    [
        ("FL_CLIENT_TRAINING_ID", None),
        ("FL_CLIENT_ROUND", None),
        ("FL_CLIENT_MODEL_ID", None),
        ("FL_CLIENT_AUTHORIZATION", None),
        (None, ("FL_CLIENT_ROUND", "one")),
        (None, ("FL_CLIENT_MODEL_ID", "model")),
        (None, ("FL_CLIENT_GLOBAL_MODEL_ID", "global")),
    ],
)
def test_from_env_names_the_variable_that_is_missing_or_wrong(
    missing: str | None, bad: tuple[str, str] | None
) -> None:
    env = {
        "FL_CLIENT_CLIENT_ID": str(CLIENT),
        "FL_CLIENT_TRAINING_ID": TRAINING_ID,
        "FL_CLIENT_ROUND": "2",
        "FL_CLIENT_MODEL_ID": LOCAL_MODEL_ID,
        "FL_CLIENT_AUTHORIZATION": AUTH,
    }
    if missing:
        del env[missing]
    if bad:
        env[bad[0]] = bad[1]
    name = missing or (bad[0] if bad else "")
    with pytest.raises(ConfigurationError, match=name) as caught:
        Communication.from_env(env)
    assert AUTH not in str(caught.value)


def test_from_env_keyword_arguments_win() -> None:
    env = {
        "FL_CLIENT_TRAINING_ID": TRAINING_ID,
        "FL_CLIENT_ROUND": "2",
        "FL_CLIENT_MODEL_ID": LOCAL_MODEL_ID,
        "FL_CLIENT_AUTHORIZATION": AUTH,
        "FL_DEMONSTRATOR_BASE_URL": "http://server:8000/",
    }
    comm = Communication.from_env(env, client_id=CLIENT, global_model_id=G)
    assert comm.client_id == CLIENT and comm.global_model_id == G and comm.round == 2
    assert str(comm.api.get_httpx_client().base_url).rstrip("/") == "http://server:8000"
    comm.close()


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_the_group_is_signalled_before_its_leader_is_reaped(
    tmp_path: Path, record_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_killpg = os.killpg
    sent: list[tuple[int, bool]] = []  # (signal, leader already reaped)

    def killpg(pgid: int, signum: int) -> None:
        try:
            os.waitid(os.P_PID, pgid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            reaped = False
        except ChildProcessError:  # reaped: this pid (and group id) may now be anyone's
            reaped = True
        sent.append((signum, reaped))
        real_killpg(pgid, signum)

    monkeypatch.setattr(os, "killpg", killpg)
    with make_dispatcher(tmp_path) as dispatcher:
        dispatcher.submit("train", T, 5, L)
        assert dispatcher.wait_idle(10)
    assert dispatcher.runs()[0].state is RunState.SUCCEEDED
    assert sent and all(not reaped for _, reaped in sent)


@pytest.mark.slow
def test_scripts_get_none_of_the_receivers_secrets(tmp_path: Path, record_dir: Path) -> None:
    environment = {
        **os.environ,
        "FL_CLIENT_PASSWORD": "s3cr3t-password",
        "FL_CLIENT_TOKEN": "68d2d144d087e03784e102f5f9c5e6efcb20f64e",
        "FL_CLIENT_SHARED_SECRET": "proxy-secret",
    }
    with make_dispatcher(tmp_path, environment=environment) as dispatcher:
        dispatcher.submit("train", T, 6, L)
        assert dispatcher.wait_idle(10)
    env = json.loads((record_dir / "train-6.json").read_text())["env"]
    for name in ("FL_CLIENT_PASSWORD", "FL_CLIENT_TOKEN", "FL_CLIENT_SHARED_SECRET"):
        assert name not in env
    assert env["FL_CLIENT_AUTHORIZATION"] == AUTH  # what the script needs, and only that


def test_identity_watcher_keeps_asking_until_the_server_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    from support.faults import FaultServer, respond

    from fl_client.participant.identity import IdentityWatcher

    user = {"username": "alice", "first_name": "", "last_name": "", "email": "", "id": str(CLIENT),
            "actor": False, "client": True, "message_endpoint": "http://127.0.0.1:8101/"}  # fmt: skip
    token = "68d2d144d087e03784e102f5f9c5e6efcb20f64e"
    found: list[tuple[UUID, str | None]] = []
    with FaultServer() as server:
        server.push(
            respond(502, {"error": "Bad Gateway"}),
            respond(503, {"detail": "starting"}),
            respond(502, {"error": "Bad Gateway"}),
            respond(200, user),
            respond(200, {**user, "token": token}),
        )
        watcher = IdentityWatcher(
            base_url=server.url,
            authorization=AUTH,
            on_found=lambda *found_now: found.append(found_now),
            retry_delay=0.01,
            max_delay=0.02,
        )
        watcher.start()
        assert watcher.found.wait(10)
        watcher.stop()
    assert found == [(CLIENT, f"Token {token}")]
    assert [r.path for r in server.requests] == ["/api/users/myself/"] * 4 + [f"/api/users/{CLIENT}/"]


@pytest.mark.slow
def test_old_trainings_are_forgotten_and_the_map_stays_bounded(tmp_path: Path, record_dir: Path) -> None:
    trainings = [UUID(int=n + 1) for n in range(3)]
    with make_dispatcher(tmp_path, max_trainings=2) as dispatcher:
        for training in trainings:
            dispatcher.note_global_model(training, G)
            dispatcher.submit("train", training, 1, L)
            assert dispatcher.wait_idle(10)
        assert {run.key.training_id for run in dispatcher.runs()} == set(trainings[1:])
        assert dispatcher.global_model_id(trainings[0]) is None
        assert dispatcher.submit("train", trainings[2], 1, L).duplicate  # remembered ones still de-duplicate
        assert dispatcher.wait_idle(10)


@pytest.mark.slow
def test_run_logs_beyond_the_retention_are_removed(tmp_path: Path, record_dir: Path) -> None:
    with make_dispatcher(tmp_path, log_keep=2) as dispatcher:
        for round_ in range(4):
            dispatcher.submit("train", T, round_, L)
            assert dispatcher.wait_idle(10)
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert len(logs) == 2 and "round2" in logs[0] and "round3" in logs[1]
