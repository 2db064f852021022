"""``fl-client serve``: options, environment defaults, errors, and a real process with signals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from support.contract_server import ContractServer
from support.notifications import GLOBAL_MODEL_ID, RECORD_SCRIPT, TRAINING_ID, notification

from fl_client import Communication, ConfigurationError, ExitCode
from fl_client._core.auth import basic_authorization
from fl_client.cli import load_communication, main
from fl_client.testing import wait_for

SERVE_OPTIONS = [
    "--host", "--port", "--script", "--executor", "--workdir", "--base-url", "--communication", "--client-id",
    "--username", "--password", "--token", "--max-concurrent", "--max-body-bytes", "--body-timeout",
    "--log-dir", "--grace-period", "--kill-timeout", "--allow-from", "--shared-secret-header",
]  # fmt: skip
ENV_NAMES = [
    "FL_CLIENT_SERVER_HOST", "FL_CLIENT_SERVER_PORT", "FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH",
    "FL_DEMONSTRATOR_TRAINING_SCRIPT_EXECUTOR", "FL_DEMONSTRATOR_TRAINING_WORKING_DIRETORY",
    "FL_CLIENT_COMMUNICATION_MODULE", "FL_CLIENT_USERNAME", "FL_CLIENT_PASSWORD", "FL_CLIENT_TOKEN",
    "FL_CLIENT_AUTHORIZATION", "FL_CLIENT_GLOBAL_MODEL_ID", "Communication.from_env()",
]  # fmt: skip
PASSWORD = "s3cr3t-password"


def test_serve_help_explains_every_option_and_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for name in SERVE_OPTIONS + ENV_NAMES:
        assert name in text, name
    assert "8101" in text


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == ExitCode.USAGE
    assert "serve" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ([], {}, "no training script"),
        (["--script", "missing.py"], {}, "not found"),
        (["--script", "x.py", "--workdir", "/no/such/dir"], {}, "does not exist"),
        (["--script", "x.py", "--executor", "no-such-executor-xyz"], {}, "executor"),
        (["--script", "x.py", "--communication", "nomodule_xyz.Comm"], {}, "cannot import"),
        (["--script", "x.py", "--username", "alice"], {}, "password"),
        (
            ["--script", "x.py", "--token", "0" * 40],
            {"FL_CLIENT_USERNAME": "a", "FL_CLIENT_PASSWORD": "b"},
            "not both",
        ),
        (["--script", "x.py"], {"FL_CLIENT_SERVER_PORT": "http"}, "FL_CLIENT_SERVER_PORT"),
        (["--script", "x.py", "--port", "70000"], {}, "0..65535"),
    ],
)
def test_configuration_errors_exit_1_with_the_reason(
    argv: list[str],
    env: dict[str, str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "x.py").write_text("")
    monkeypatch.chdir(tmp_path)
    for name in (
        "FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH",
        "FL_CLIENT_USERNAME",
        "FL_CLIENT_PASSWORD",
        "FL_CLIENT_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", *argv]) == ExitCode.ERROR
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_load_communication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_comm_mod.py").write_text(
        "from fl_client import Communication\nclass Mine(Communication): pass\nclass NotOne: pass\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert issubclass(load_communication("my_comm_mod.Mine"), Communication)
    assert load_communication("my_comm_mod:Mine").__name__ == "Mine"
    with pytest.raises(ConfigurationError, match="not a Communication subclass"):
        load_communication("my_comm_mod.NotOne")
    with pytest.raises(ConfigurationError, match="dotted path"):
        load_communication("Mine")


# ---------------------------------------------------------------------------------------------
# A real `python -m fl_client serve` process


class ServeProcess:
    """``python -m fl_client serve`` on a free port; its stderr is collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fl_client", "serve", "--host", "127.0.0.1", "--port", "0", *args],
            env=env,
            cwd=cwd,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.lines: list[str] = []
        self.url_ready = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        assert self.url_ready.wait(20), "\n".join(self.lines)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            found = re.search(r"receiving notifications on (http://\S+)", line)
            if found and not self.url:
                self.url = found.group(1)
                self.url_ready.set()

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.proc.send_signal(signum)
        code = self.proc.wait(20)
        self._reader.join(5)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def serve_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    records = tmp_path / "records"
    records.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FL_CLIENT_", "FL_DEMONSTRATOR_"))}
    env.update(
        RECORD_DIR=str(records),
        FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH=str(RECORD_SCRIPT),
        FL_CLIENT_USERNAME="alice",
        FL_CLIENT_PASSWORD=PASSWORD,
        PYTHONPATH=os.pathsep.join(sys.path),
    )
    yield env, records


@pytest.mark.slow
def test_serve_runs_the_script_with_credentials_and_stops_on_sigterm(
    serve_env: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, records = serve_env
    serve = ServeProcess(
        ["--log-dir", str(tmp_path / "logs"), "--client-id", "1da54bb8-9d1f-4a3c-8d7e-0f6e2f2b9a11"],
        env,
        tmp_path,
    )
    try:
        answer = httpx.post(serve.url, json=notification("UPDATE_ROUND_START", round=0), timeout=5)
        assert answer.status_code == 202
        assert httpx.post(serve.url, json=notification("NOPE"), timeout=5).status_code == 400
        wait_for(lambda: (records / "train-0.json").exists(), timeout=20)
        wait_for(lambda: "run finished" in serve.output, timeout=20)
    finally:
        code = serve.stop()
    assert code == 0
    record = json.loads((records / "train-0.json").read_text())
    assert record["env"]["FL_CLIENT_AUTHORIZATION"] == basic_authorization("alice", PASSWORD)
    assert record["env"]["FL_CLIENT_GLOBAL_MODEL_ID"] == GLOBAL_MODEL_ID  # round 0 carries the global model
    assert record["argv"][1:4] == ["train", "--training-id", TRAINING_ID]
    out = serve.output
    assert PASSWORD not in out and basic_authorization("alice", PASSWORD).split()[1] not in out
    assert "Basic ***" in out
    assert len([line for line in out.splitlines() if "notification from 127.0.0.1" in line]) == 2
    assert "run started: train" in out and "exit=0" in out and str(tmp_path / "logs") in out
    assert "SIGTERM received: stopping" in out
    assert len(list((tmp_path / "logs").iterdir())) == 1


@pytest.mark.slow
def test_sigint_with_a_hanging_script_ends_after_the_grace_period(
    serve_env: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, records = serve_env
    env["RECORD_HANG"] = "1"
    serve = ServeProcess(
        ["--grace-period", "0.2", "--kill-timeout", "0.3", "--log-dir", str(tmp_path / "logs")], env, tmp_path
    )
    try:
        assert (
            httpx.post(serve.url, json=notification("MODEL_TEST_ROUND", round=1), timeout=5).status_code
            == 202
        )
        wait_for(lambda: (records / "pids.json").exists(), timeout=20)
    finally:
        code = serve.stop(signal.SIGINT)
    assert code == 0
    pids = json.loads((records / "pids.json").read_text())
    for pid in pids.values():
        wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists() or _zombie(pid), timeout=5)
    assert "terminating test" in serve.output and "killing test" in serve.output


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in {"Z", "X"}
    except OSError:
        return True


@pytest.mark.slow
def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "fl-client"
    result = subprocess.run([str(script), "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "--max-concurrent" in result.stdout


@pytest.mark.slow
def test_serve_hands_scripts_the_looked_up_id_and_token_instead_of_the_password(
    api: ContractServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.notifications import script_settings
    from support.values import BASIC, CLIENT_ID, TOKEN

    from fl_client import ScriptDispatcher
    from fl_client.cli.serve import watch_identity

    user = {"username": "alice", "first_name": "", "last_name": "", "email": "", "id": CLIENT_ID,
            "actor": False, "client": True, "message_endpoint": "http://127.0.0.1:8101/"}  # fmt: skip
    api.expect("GET", "/api/users/myself/", status=200, json_body=user)
    api.expect("GET", f"/api/users/{CLIENT_ID}/", status=200, json_body={**user, "token": TOKEN})
    records = tmp_path / "records"
    records.mkdir()
    monkeypatch.setenv("RECORD_DIR", str(records))
    monkeypatch.setenv("FL_CLIENT_PASSWORD", PASSWORD)
    (tmp_path / "work").mkdir()
    dispatcher = ScriptDispatcher(
        settings=script_settings(tmp_path / "work"), authorization=BASIC, log_dir=tmp_path / "logs"
    )
    with dispatcher:
        watcher = watch_identity(dispatcher, api.url, BASIC)
        assert watcher.found.wait(10)
        watcher.stop()
        dispatcher.submit("train", UUID(TRAINING_ID), 0, UUID(GLOBAL_MODEL_ID))
        assert dispatcher.wait_idle(20)
    env = json.loads((records / "train-0.json").read_text())["env"]
    assert env["FL_CLIENT_AUTHORIZATION"] == f"Token {TOKEN}"
    assert env["FL_CLIENT_CLIENT_ID"] == CLIENT_ID
    assert "FL_CLIENT_PASSWORD" not in env and PASSWORD not in json.dumps(env)
    assert api.requests[0].headers["Authorization"] == BASIC


def test_download_command_writes_the_file(
    api: ContractServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.values import MODEL_ID, TOKEN

    blob = bytes(range(256)) * 4096
    api.expect(
        "GET", f"/api/models/{MODEL_ID}/", status=200, body=blob, content_type="application/octet-stream"
    )
    api.expect(
        "GET", f"/api/models/{MODEL_ID}/", status=400, json_body={"detail": f"Model {MODEL_ID} not found."}
    )
    monkeypatch.setenv("FL_CLIENT_TOKEN", TOKEN)
    out = tmp_path / "model.pt"
    assert main(["download", MODEL_ID, "-o", str(out), "--base-url", api.url]) == 0
    assert out.read_bytes() == blob
    assert api.requests[0].headers["Authorization"] == f"Token {TOKEN}"
    assert (
        main(["download", MODEL_ID, "-o", str(tmp_path / "missing.pt"), "--base-url", api.url])
        == ExitCode.NOT_FOUND
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # no partial file left


def test_download_command_needs_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("FL_CLIENT_TOKEN", "FL_CLIENT_USERNAME", "FL_CLIENT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert (
        main(["download", "35331953-e6bf-4a47-bba6-a821465254db", "-o", str(tmp_path / "m")])
        == ExitCode.ERROR
    )


def test_download_interrupted_by_ctrl_c_leaves_no_partial_file(
    api: ContractServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    from support.values import MODEL_ID, TOKEN

    import fl_client.cli.download

    def ctrl_c(done: int, total: int | None) -> None:  # the user presses Ctrl-C once bytes are on disk
        if done:
            assert (tmp_path / "model.pt.part").stat().st_size == done
            raise KeyboardInterrupt

    @contextmanager
    def progress(label: str) -> Iterator[object]:  # what a terminal's progress bar would be called as
        yield ctrl_c

    monkeypatch.setattr(fl_client.cli.download, "transfer_progress", progress)
    api.expect("GET", f"/api/models/{MODEL_ID}/", status=200, body=bytes(4 << 20),
               content_type="application/octet-stream")  # fmt: skip
    monkeypatch.setenv("FL_CLIENT_TOKEN", TOKEN)
    code = main(["download", MODEL_ID, "-o", str(tmp_path / "model.pt"), "--base-url", api.url])
    assert code == ExitCode.INTERRUPTED
    assert list(tmp_path.iterdir()) == []


SERVE_VARIABLES = {
    "FL_CLIENT_LOG_DIR": ("--log-dir", "runs-here", "log_dir", "runs-there"),
    "FL_CLIENT_LOG_KEEP": ("--log-keep", "7", "log_keep", "8"),
    "FL_CLIENT_MAX_CONCURRENT": ("--max-concurrent", "2", "max_concurrent", "3"),
    "FL_CLIENT_GRACE_PERIOD": ("--grace-period", "1.5", "grace_period", "2.5"),
    "FL_CLIENT_KILL_TIMEOUT": ("--kill-timeout", "0.5", "kill_timeout", "0.25"),
    "FL_CLIENT_BODY_TIMEOUT": ("--body-timeout", "3", "body_timeout", "4"),
    "FL_CLIENT_MAX_BODY_BYTES": ("--max-body-bytes", "2048", "max_body_bytes", "4096"),
    "FL_CLIENT_SHARED_SECRET_HEADER": ("--shared-secret-header", "X-A", "shared_secret_header", "X-B"),
}


def _serve_settings_from(argv: list[str], env: dict[str, str]) -> object:
    """The settings `fl-client serve ARGV` would run with in environment ``env``."""
    import dataclasses

    from fl_client.cli._common import Target
    from fl_client.cli.serve import ServeOptions, _serve_settings, serve_command

    params = serve_command.make_context("serve", argv).params
    names = {f.name for f in dataclasses.fields(ServeOptions)}
    options = ServeOptions(**{k: v for k, v in params.items() if k in names})
    return _serve_settings(
        options, Target(base_url="http://127.0.0.1:1", authorization=None, profile="default"), env
    )


def test_every_serve_option_has_an_environment_variable_and_the_option_wins(tmp_path: Path) -> None:
    from fl_client.cli.serve import serve_command

    (tmp_path / "train.py").write_text("")
    base = {"FL_DEMONSTRATOR_TRAINING_WORKING_DIRETORY": str(tmp_path)}
    env = {**base, **{name: value for name, (_, value, _, _) in SERVE_VARIABLES.items()}}
    from_env = _serve_settings_from(["--script", "train.py"], env)
    options = ["--script", "train.py"]
    for option, _, _, other in SERVE_VARIABLES.values():
        options += [option, other]
    from_options = _serve_settings_from(options, env)
    for _, value, field, other in SERVE_VARIABLES.values():
        kind = type(getattr(from_env, field))
        assert getattr(from_env, field) == kind(value)
        assert getattr(from_options, field) == kind(other)
    help_text = serve_command.get_help(serve_command.make_context("serve", ["--script", "x"]))
    for name in SERVE_VARIABLES:
        assert name in help_text


def test_a_bad_serve_variable_is_a_configuration_error_naming_it() -> None:
    from fl_client import Settings

    with pytest.raises(ConfigurationError, match="FL_CLIENT_MAX_CONCURRENT"):
        Settings.from_env({"FL_CLIENT_MAX_CONCURRENT": "many"})
    with pytest.raises(ConfigurationError, match="FL_CLIENT_BODY_TIMEOUT"):
        Settings.from_env({"FL_CLIENT_BODY_TIMEOUT": "-1"})
