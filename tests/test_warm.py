"""Warm runs: each run forked from a parent that imported torch and the script once.

Through the dispatcher with a `WarmLauncher` (as ``fl-client serve --warm`` builds it), and end to
end through ``fl-client serve --warm`` against the emulator.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from support.notifications import CLIENT, RECORD_SCRIPT
from support.paths import FIXTURES

from fl_client import ExitCode
from fl_client.participant.dispatch import ScriptDispatcher
from fl_client.participant.runs import RunState
from fl_client.participant.warm import WarmLauncher, is_warm_capable
from fl_client.settings import Settings
from fl_client.testing import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(os, "fork"), reason="warm runs need fork")]

SCRIPT = FIXTURES / "warm_script.py"
SECRET = "Token warm-secret-0123456789"
WAIT = 120.0


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _runs(record: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _lines(record / "runs")]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class Rig:
    def __init__(self, tmp_path: Path, script: Path, **env: str) -> None:
        self.record = tmp_path / "record"
        self.record.mkdir()
        self.workdir = tmp_path / "work"
        self.workdir.mkdir()
        self.env = {**os.environ, "WARM_RECORD_DIR": str(self.record), "WARM_FAKE": "1",
                    "RECORD_DIR": str(self.record), **env}  # fmt: skip
        settings = Settings(
            script_path=str(script), script_executor=sys.executable, working_directory=str(self.workdir)
        )
        self.launcher = WarmLauncher(
            executor=sys.executable,
            script=str(script),
            working_directory=self.workdir,
            log_dir=tmp_path / "runs",
            environment=self.env,
        )
        self.dispatcher = ScriptDispatcher(
            settings=settings, authorization=SECRET, client_id=CLIENT, log_dir=tmp_path / "runs",
            environment=self.env, launcher=self.launcher, grace_period=0, kill_timeout=5,
        )  # fmt: skip

    def submit(self, action: str, round_: int) -> Any:
        return self.dispatcher.submit(action, uuid4(), round_, uuid4()).run


@pytest.fixture
def rig(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Rig]:
    rig = Rig(tmp_path, SCRIPT, **getattr(request, "param", {}))
    yield rig
    rig.dispatcher.shutdown(grace_period=0)


def test_runs_fork_from_one_parent_that_imported_the_script_once(rig: Rig) -> None:
    runs = [rig.submit("train", 0), rig.submit("test", 1), rig.submit("train", 1)]
    assert rig.dispatcher.wait_idle(WAIT)

    assert [(r.state, r.returncode) for r in runs] == [(RunState.SUCCEEDED, 0)] * 3
    imports = _lines(rig.record / "imports")
    assert len(imports) == 1  # the warm parent's import; no run imported the script again
    parent = int(imports[0])
    records = _runs(rig.record)
    assert sorted((r["action"], r["round"]) for r in records) == [("test", 1), ("train", 0), ("train", 1)]
    assert {r["ppid"] for r in records} == {parent}
    assert len({r["pid"] for r in records}) == 3
    assert all(r["pgid"] == r["pid"] for r in records)  # each run leads its own process group
    assert {r["pid"] for r in records} == {r.pid for r in runs}
    assert all(Path(r["cwd"]) == rig.workdir.resolve() for r in records)
    assert all(r["env"]["FL_CLIENT_AUTHORIZATION"] == SECRET for r in records)
    for run in runs[::2]:
        assert f"in pid {run.pid}" in run.log_path.read_text()  # each run has its own log
    # the long-lived warm parent never holds the credentials or a run's variables
    environ = Path(f"/proc/{parent}/environ").read_bytes().split(b"\0")
    assert not [v for v in environ if v.startswith(b"FL_CLIENT_")]


@pytest.mark.parametrize("rig", [{"WARM_MODE": "fail"}], indirect=True, ids=["fail"])
def test_a_failing_run_reports_its_own_exit_code_and_log(rig: Rig) -> None:
    run = rig.submit("train", 0)
    assert rig.dispatcher.wait_idle(WAIT)
    assert run.state is RunState.FAILED and run.returncode == ExitCode.HANDLER_FAILED
    assert "training failed on purpose" in run.log_path.read_text()


@pytest.mark.parametrize("rig", [{"WARM_MODE": "hang"}], indirect=True, ids=["hang"])
def test_shutdown_kills_a_running_warm_run_and_the_parent(rig: Rig) -> None:
    run = rig.submit("train", 0)
    wait_for(lambda: any(r["action"] == "hang" for r in _runs(rig.record)), timeout=WAIT)
    parent = int(_lines(rig.record / "imports")[0])
    started = time.monotonic()
    rig.dispatcher.shutdown(grace_period=0)
    assert time.monotonic() - started < 10
    assert run.state is RunState.FAILED and run.returncode == -signal.SIGTERM
    assert _gone(run.pid)
    wait_for(lambda: _gone(parent), timeout=10)


def test_plain_scripts_keep_the_cold_path(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert is_warm_capable(RECORD_SCRIPT) is not None
    assert is_warm_capable(SCRIPT) is None
    with caplog.at_level(logging.WARNING, "fl.client.warm"):
        rig = Rig(tmp_path, RECORD_SCRIPT)
    try:
        assert "does not use fl_client.TrainingScript" in caplog.text
        run = rig.submit("train", 4)
        assert rig.dispatcher.wait_idle(WAIT)
        assert run.state is RunState.SUCCEEDED
        assert json.loads((rig.record / "train-4.json").read_text())["argv"][1:3] == [
            "train",
            "--training-id",
        ]
    finally:
        rig.dispatcher.shutdown(grace_period=0)


@pytest.mark.parametrize("rig", [{"WARM_START_THREAD": "1"}], indirect=True, ids=["1"])
def test_a_script_that_starts_threads_at_import_runs_cold(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "fl.client.warm"):
        runs = [rig.submit("train", 0), rig.submit("train", 1)]
        assert rig.dispatcher.wait_idle(WAIT)
    assert "started threads" in caplog.text
    assert [r.state for r in runs] == [RunState.SUCCEEDED] * 2
    imports = _lines(rig.record / "imports")
    assert len(imports) == 3  # the refused parent, then each cold run imports it itself
    assert {r["pid"] for r in _runs(rig.record)} == {int(p) for p in imports[1:]}


# ---------------------------------------------------------------------------------------------
# End to end: fl-client serve --warm against the emulator


def test_fl_client_serve_warm_trains_rounds_against_the_emulator(tmp_path: Path) -> None:
    import io

    import torch
    from support.models import digits_mlp
    from support.serve import Participant, UploadRecorder

    from fl_client.testing import FLEmulator

    record = tmp_path / "record"
    record.mkdir()
    with FLEmulator() as server:
        actor = server.create_user("actor", actor=True)
        receiver = Participant(
            server, "p0", tmp_path, "--warm", script=SCRIPT, env={"WARM_RECORD_DIR": str(record)}
        )
        receiver.start()
        try:
            model_id = server.upload_model(actor, digits_mlp())
            recorder = UploadRecorder(model_id)
            server.add_observer(recorder)
            training_id = server.create_training(actor, model_id, [receiver.user], target_num_updates=2)
            server.start_training(actor, training_id)
            server.wait_for_state(training_id, "C", timeout=WAIT)
        finally:
            receiver.stop()
    receiver_log = (receiver.workdir / "receiver-1.log").read_text()
    assert receiver.process is not None and receiver.process.returncode == 0, receiver_log
    assert "warm parent ready" in receiver_log
    assert receiver_log.count("exit=0") == 4, receiver_log  # 2 train + 2 test runs
    assert len(_lines(record / "imports")) == 1  # imported once, by the warm parent
    runs = _runs(record)
    assert len(runs) == 4 and len({r["ppid"] for r in runs}) == 1
    for round_number in (0, 1):
        ((_, data),) = recorder.of_round(round_number)
        torch.jit.load(io.BytesIO(data))  # the trained upload loads (TorchScript, staged path)
