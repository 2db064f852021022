"""``fl-client doctor`` against the emulator: all ok for a correct setup (user name + password, and
a token), and one failing check each for a wrong password, a message_endpoint that points
elsewhere, a script that does not import, and a global model the safe loader refuses; a server
that is down or never answers ends in a fail line, promptly."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support.cli import cli_env, run_cli
from support.doctor import (
    REFERENCE_SCRIPT,
    check,
    custom_global_model,
    doctor_setup,
    run_doctor_json,
    statuses,
)
from support.faults import blackhole
from support.paths import REPOSITORY

from fl_client import ExitCode
from fl_client.env import ENV_PASSWORD, ENV_TOKEN, ENV_TRUSTED_CLASSES, ENV_USERNAME
from fl_client.testing import free_port

# every test here runs the dry run (a process) or the executable
pytestmark = pytest.mark.slow

PARTICIPANT_CHECKS = [
    "config", "server", "schema", "clock", "credentials", "roles", "endpoint", "script", "torch",
    "models", "size", "disk",
]  # fmt: skip


def use_password(monkeypatch: pytest.MonkeyPatch, username: str, password: str) -> None:
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    monkeypatch.setenv(ENV_USERNAME, username)
    monkeypatch.setenv(ENV_PASSWORD, password)


def use_token(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.delenv(ENV_USERNAME, raising=False)
    monkeypatch.delenv(ENV_PASSWORD, raising=False)
    monkeypatch.setenv(ENV_TOKEN, token)


@pytest.mark.parametrize(
    ("credentials", "script"), [("password", "TrainingScript"), ("token", "reference-style")]
)
def test_a_correct_setup_is_all_ok(
    credentials: str, script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    with doctor_setup(tmp_path) as setup:
        if credentials == "password":
            use_password(monkeypatch, "alice", setup.alice.password)
        else:
            use_token(monkeypatch, setup.alice.token)
        name = "train.py" if script == "TrainingScript" else setup.write("reference.py", REFERENCE_SCRIPT)
        code, report = run_doctor_json(setup.args(script=name), capsys)
    assert statuses(report) == dict.fromkeys(PARTICIPANT_CHECKS, "ok"), report
    assert code == ExitCode.OK and report["ok"] is True and report["role"] == "participant"
    assert check(report, "credentials")["details"]["username"] == "alice"
    assert check(report, "roles")["details"] | {"superuser": None} == {
        "actor": False, "client": True, "superuser": None, "role": "participant",
    }  # fmt: skip
    models = check(report, "models")["details"]["models"]
    assert [(m["training_id"], m["loaded"]) for m in models] == [(setup.training_id, True)]
    assert check(report, "size")["details"]["largest_model"] == models[0]["bytes"] > 0
    mode = check(report, "script")["details"]["mode"]
    assert mode == ("import" if script == "TrainingScript" else "imports")


def test_a_wrong_password_fails_the_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with doctor_setup(tmp_path) as setup:
        use_password(monkeypatch, "alice", "not-the-password")
        code, report = run_doctor_json(setup.args(), capsys)
    assert code == ExitCode.AUTH
    found = statuses(report)
    assert found["credentials"] == "fail" and "401" in check(report, "credentials")["summary"]
    assert [name for name, status in found.items() if status == "fail"] == ["credentials"]
    # what needs the user is skipped, saying why; what does not still runs
    assert {found[name] for name in ("roles", "endpoint", "models", "size")} == {"skip"}
    assert "credentials" in check(report, "endpoint")["summary"]
    assert found["script"] == found["torch"] == found["server"] == "ok"


def test_a_message_endpoint_pointing_elsewhere_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with doctor_setup(tmp_path) as setup:
        use_token(monkeypatch, setup.alice.token)
        other = free_port()
        code, report = run_doctor_json(setup.args(port=other), capsys)
    assert code == ExitCode.ERROR
    assert [c["name"] for c in report["checks"] if c["status"] == "fail"] == ["endpoint"]
    summary = check(report, "endpoint")["summary"]
    assert f"port {setup.port}" in summary and f"listens on port {other}" in summary


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import no_such_module_for_doctor\nimport argparse\n", "No module named 'no_such_module_for_doctor'"),
        ("from fl_client import TrainingScript\nraise RuntimeError('no data here')\n"
         "if __name__ == '__main__':\n    pass\n", "RuntimeError: no data here"),
        ("def broken(:\n    pass\n", "does not compile"),
        ("from fl_client import TrainingScript\nscript = TrainingScript()\n"
         "if __name__ == '__main__':\n    script.run()\n", "no train function"),
    ],
    ids=["reference-style-missing-module", "guarded-raises-at-import", "syntax-error", "no-train-function"],
)  # fmt: skip
def test_a_script_that_does_not_import_fails(
    source: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    with doctor_setup(tmp_path) as setup:
        use_token(monkeypatch, setup.alice.token)
        code, report = run_doctor_json(setup.args(script=setup.write("broken.py", source)), capsys)
    assert code == ExitCode.ERROR
    assert [c["name"] for c in report["checks"] if c["status"] == "fail"] == ["script"]
    assert expected in check(report, "script")["summary"]


def test_the_dry_run_gets_no_secret_and_runs_no_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "environment.json"
    source = (
        "import json, os\n"
        f"json.dump(dict(os.environ), open({str(record)!r}, 'w'))\n"
        "if __name__ == '__main__':\n"
        f"    open({str(tmp_path / 'trained')!r}, 'w').close()\n"
    )
    with doctor_setup(tmp_path) as setup:
        use_password(monkeypatch, "alice", setup.alice.password)
        code, report = run_doctor_json(setup.args(script=setup.write("record.py", source)), capsys)
    assert check(report, "script")["status"] == "ok", report
    environment = json.loads(record.read_text())
    assert setup.alice.password not in json.dumps(environment)
    assert not {ENV_PASSWORD, ENV_TOKEN, ENV_USERNAME, "FL_CLIENT_AUTHORIZATION"} & environment.keys()
    assert not (tmp_path / "trained").exists()  # the guarded block did not run
    assert code == ExitCode.OK


def test_a_global_model_the_safe_loader_refuses_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with doctor_setup(tmp_path, global_model=custom_global_model()) as setup:
        use_token(monkeypatch, setup.alice.token)
        monkeypatch.delenv(ENV_TRUSTED_CLASSES, raising=False)
        code, report = run_doctor_json(setup.args(), capsys)
    assert code == ExitCode.ERROR
    assert [c["name"] for c in report["checks"] if c["status"] == "fail"] == ["models"]
    summary = check(report, "models")["summary"]
    assert "support.models.CustomNet" in summary and ENV_TRUSTED_CLASSES in summary
    assert check(report, "models")["details"]["models"][0]["loaded"] is False


def test_a_server_that_is_down_is_one_fail_line(tmp_path: Path, unused_port: int) -> None:
    env = cli_env(tmp_path / "config", FL_CLIENT_TOKEN="0" * 40)
    started = time.monotonic()
    result = run_cli("doctor", "--base-url", f"http://127.0.0.1:{unused_port}", "--role", "actor", env=env)
    assert result.code == ExitCode.NETWORK, result.err
    assert "Traceback" not in result.out + result.err
    lines = {line.split()[1]: line.split()[0] for line in result.out.splitlines()[1:-1]}
    assert lines["server"] == "fail" and lines["credentials"] == "skip"
    assert "Connection refused" in result.out
    assert time.monotonic() - started < 60


def test_a_server_that_never_answers_times_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    listener, fillers = blackhole()
    try:
        use_token(monkeypatch, "0" * 40)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        code, report = run_doctor_json(
            ["doctor", "--base-url", url, "--role", "actor", "--timeout", "1", "--skip", "torch"], capsys
        )
        elapsed = time.monotonic() - started
    finally:
        for sock in [listener, *fillers]:
            sock.close()
    assert code == ExitCode.NETWORK
    assert "within 1 s" in check(report, "server")["summary"]
    assert elapsed < 10  # one connect timeout, nothing retried


def test_the_real_executable_reports_a_correct_setup(tmp_path: Path) -> None:
    with doctor_setup(tmp_path) as setup:
        env = cli_env(
            tmp_path / "config", FL_CLIENT_USERNAME="alice", FL_CLIENT_PASSWORD=setup.alice.password
        )
        text = run_cli(*setup.args(), env=env, timeout=180)
        as_json = run_cli(*setup.args("--json"), env=env, timeout=180)
        url = setup.server.url
    assert text.code == ExitCode.OK, text.out + text.err
    lines = text.out.splitlines()
    assert lines[0] == f"fl-client doctor: participant setup, server {url}"
    assert [line.split()[:2] for line in lines[1:-1]] == [["ok", name] for name in PARTICIPANT_CHECKS]
    assert lines[-1] == f"{len(PARTICIPANT_CHECKS)} ok, 0 warnings, 0 failed, 0 skipped"
    assert as_json.code == ExitCode.OK
    report = as_json.json()
    assert set(report) == {"ok", "role", "base_url", "exit_code", "checks"}
    # the README and the operators' guide document this shape, and the guide each check's details
    readme = (REPOSITORY / "README.md").read_text()
    readme_json = readme[readme.index("`doctor --json`") : readme.index("**Errors**")]
    guide = (REPOSITORY / "docs" / "guides" / "operators.md").read_text()
    guide_json = guide[guide.index("`doctor --json`") : guide.index("## Exit codes")]
    shape = set(report) | {key for c in report["checks"] for key in c}
    assert all(f'"{key}"' in readme_json and f'"{key}"' in guide_json for key in shape)
    for found in report["checks"]:
        row = next(line for line in guide_json.splitlines() if line.startswith(f"| `{found['name']}` |"))
        details = set(found["details"]) | {k for m in found["details"].get("models", []) for k in m}
        assert all(f'"{key}"' in row for key in details), (found["name"], details)
