"""The doctor's checks as functions of plain facts (`fl_client.participant.checks`), and the
schema check against a server publishing the live (or a changed) document."""

from __future__ import annotations

import copy
import json
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from support.contract_schemas import require_live_schema
from support.doctor import check, run_doctor_json

from fl_client import DEFAULT_MAX_MODEL_BYTES, ExitCode
from fl_client.env import ENV_AUTHORIZATION, ENV_PASSWORD, ENV_ROUND, ENV_SHARED_SECRET, ENV_TOKEN
from fl_client.participant.checks import (
    GlobalModel,
    Status,
    clock_check,
    disk_check,
    endpoint_check,
    is_local_address,
    models_check,
    script_check,
    size_check,
    torch_check,
)
from fl_client.participant.probe import ModelProbe, ProbeReport, ScriptProbe, is_python, probe_environment


def model(size: int | None, error: str | None = None) -> GlobalModel:
    return GlobalModel("t-1", "m-1", "O", size=size, error=error)


# ---------------------------------------------------------------------------- endpoint


def test_an_endpoint_at_this_receiver_is_ok() -> None:
    result = endpoint_check("http://127.0.0.1:8101/", host="0.0.0.0", port=8101)
    assert result.status is Status.OK, result.summary
    assert endpoint_check("http://localhost:8101/", host="127.0.0.1", port=8101).status is Status.OK


@pytest.mark.parametrize(
    ("endpoint", "host", "port", "words"),
    [
        ("", "0.0.0.0", 8101, "no message_endpoint"),
        ("not a url", "0.0.0.0", 8101, "not an http(s) URL"),
        ("http://127.0.0.1:9000/", "0.0.0.0", 8101, "points at port 9000 of this machine, but the receiver listens on port 8101"),
        ("http://127.0.0.2:8101/", "127.0.0.1", 8101, "listens on 127.0.0.1"),
    ],
)  # fmt: skip
def test_an_endpoint_elsewhere_fails(endpoint: str, host: str, port: int, words: str) -> None:
    result = endpoint_check(endpoint, host=host, port=port)
    assert result.status is Status.FAIL and result.exit_code is ExitCode.ERROR
    assert words in result.summary


def test_an_endpoint_at_another_machine_is_a_warning() -> None:
    assert not is_local_address("192.0.2.7")  # TEST-NET-1: never a local address
    result = endpoint_check("http://192.0.2.7:8101/", host="0.0.0.0", port=8101)
    assert result.status is Status.WARN and "not at this machine" in result.summary


def test_a_receiver_on_port_0_cannot_match_an_endpoint() -> None:
    assert endpoint_check("http://127.0.0.1:8101/", host="0.0.0.0", port=0).status is Status.WARN


# ---------------------------------------------------------------------------- clock


def test_the_clock_check_compares_the_date_header() -> None:
    now = time.time()
    assert clock_check(formatdate(now, usegmt=True), sent=now - 0.1, received=now + 0.1).status is Status.OK
    ahead = clock_check(formatdate(now + 120, usegmt=True), sent=now, received=now)
    assert ahead.status is Status.WARN and "ahead of" in ahead.summary and ahead.details["skew_seconds"] > 100
    behind = clock_check(formatdate(now - 120, usegmt=True), sent=now, received=now)
    assert behind.status is Status.WARN and "behind" in behind.summary
    assert clock_check(None, sent=now, received=now).status is Status.SKIP
    assert clock_check("yesterday", sent=now, received=now).status is Status.WARN


# ---------------------------------------------------------------------------- disk and size


def test_the_disk_check_counts_concurrent_downloads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # staged in the temporary directory, not in RAM
    free = disk_check(0).details["free"]
    assert disk_check(free // 10, concurrent=2).status is Status.OK
    crowded = disk_check(free * 2 // 5, concurrent=4)
    assert crowded.status is Status.WARN and "room for 2 of 4" in crowded.summary
    full = disk_check(free * 2)
    assert full.status is Status.FAIL and "TMPDIR" in full.summary


def test_the_size_check_is_the_upload_check() -> None:
    limit = DEFAULT_MAX_MODEL_BYTES
    over = size_check([model(1000), model(limit + 1)], limit=limit)
    assert over.status is Status.FAIL and over.exit_code is ExitCode.REJECTED
    assert f"{limit + 1:,} bytes" in over.summary
    assert size_check([model(int(limit * 0.95))], limit=limit).status is Status.WARN
    assert size_check([model(limit // 2)], limit=limit).status is Status.OK
    assert size_check([model(limit)], limit=limit).status is Status.WARN  # at the limit: still stored
    assert size_check([model(10**12)], limit=0).status is Status.OK  # no limit
    assert size_check([], limit=limit).status is Status.OK


# ---------------------------------------------------------------------------- the dry run's findings


def report(**fields: object) -> ProbeReport:
    base: dict[str, object] = {
        "executor": "/usr/bin/python3",
        "python": "3.11.2",
        "torch": "2.13.0",
        "fl_client": "0.1.0",
    }
    return ProbeReport(**(base | fields))  # type: ignore[arg-type]


def test_the_script_check_reads_the_dry_run() -> None:
    guarded = report(script=ScriptProbe(ok=True, mode="import", training_scripts=(("test", "train"),)))
    assert script_check(guarded, script="s.py").status is Status.OK
    untrained = report(script=ScriptProbe(ok=True, mode="import", training_scripts=(("test",),)))
    assert "no train function" in script_check(untrained, script="s.py").summary
    broken = report(script=ScriptProbe(ok=False, mode="imports", error="import x: ModuleNotFoundError: x"))
    result = script_check(broken, script="s.py")
    assert result.status is Status.FAIL and "ModuleNotFoundError" in result.summary
    overran = report(problem="it did not finish within 5 s", output="loading data...\n")
    assert "did not finish within 5 s (loading data...)" in script_check(overran, script="s.py").summary
    assert script_check(None, script="run.sh").status is Status.WARN  # not Python: not dry-run


def test_the_torch_check_reads_the_dry_run() -> None:
    assert torch_check(report()).status is Status.OK
    missing = torch_check(report(torch=None, torch_error="ModuleNotFoundError: No module named 'torch'"))
    assert missing.status is Status.FAIL and "cannot import torch" in missing.summary
    assert torch_check(report(fl_client=None, fl_client_error="x")).status is Status.FAIL


def test_the_models_check_reads_the_dry_run() -> None:
    good = report(models=(ModelProbe("m-1", ok=True, loaded_type="torch.nn.Sequential"),))
    assert models_check([model(10)], good).status is Status.OK
    refused = report(
        models=(ModelProbe("m-1", ok=False, error_type="UnsafeModelError", error="refused x.Net"),)
    )
    result = models_check([model(10)], refused)
    assert result.status is Status.FAIL and "refused x.Net" in result.summary
    assert models_check([model(None, error="download failed: 500")], None).status is Status.FAIL
    assert models_check([], None).status is Status.OK


def test_the_dry_run_environment_has_no_credentials() -> None:
    env = {ENV_PASSWORD: "p", ENV_TOKEN: "t", ENV_AUTHORIZATION: "Basic x", ENV_SHARED_SECRET: "s",
           ENV_ROUND: "3", "PATH": "/bin"}  # fmt: skip
    assert probe_environment(env) == {"PATH": "/bin"}


def test_python_executors_are_told_by_name() -> None:
    import sys

    assert is_python(sys.executable)
    assert is_python("python3") and is_python("/opt/venv/bin/python3.11") and is_python("python")
    assert not is_python("/bin/bash") and not is_python("Rscript")


# ---------------------------------------------------------------------------- schema


def serve_schema(httpserver: HTTPServer, document: dict[str, object]) -> str:
    httpserver.expect_request("/api/schema/").respond_with_data(
        json.dumps(document), content_type="application/vnd.oai.openapi+json"
    )
    return httpserver.url_for("/").rstrip("/")


def test_the_schema_check_is_the_contract_diff(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    live = json.loads(require_live_schema().read_text())
    url = serve_schema(httpserver, live)
    args = ["doctor", "--base-url", url, "--role", "actor", "--skip", "torch"]
    code, found = run_doctor_json(args, capsys)
    schema = check(found, "schema")
    assert schema["status"] == "ok", schema
    assert schema["details"]["same_document"] is True and schema["details"]["new"] == 0
    assert check(found, "server")["status"] == "ok"
    assert check(found, "credentials")["status"] == "fail"  # none given: the rest is no concern here
    assert code == ExitCode.ERROR

    changed = copy.deepcopy(live)
    changed["paths"]["/api/doctor-test/"] = {"get": {"responses": {"200": {"description": "new"}}}}
    httpserver.clear()
    serve_schema(httpserver, changed)
    _, found = run_doctor_json(args, capsys)
    schema = check(found, "schema")
    assert schema["status"] == "warn" and schema["details"]["new"] == 1
    assert "fl-client contract diff --schema" in schema["summary"]
