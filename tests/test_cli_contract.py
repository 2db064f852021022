"""``fl-client contract diff``: exit codes, JSON for CI, URLs, and recording a release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer

from fl_client import ExitCode
from fl_client.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "server-schema-1.0.1.yaml"
BASELINE = ROOT / "openapi" / "contract-baseline.yaml"


def _changed_schema(tmp_path: Path) -> Path:
    schema = yaml.safe_load(FIXTURE.read_text())
    schema["components"]["schemas"]["Group"]["properties"]["name"] = {"type": "integer"}
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(schema))
    return path


def test_only_known_deviations_exit_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "diff", "--schema", str(FIXTURE)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "New differences: 0" in out
    assert "auth-401" in out
    assert out.rstrip().endswith("OK: only known deviations.")


def test_a_new_difference_exits_contract_drift_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "diff", "--schema", str(_changed_schema(tmp_path))]) == ExitCode.ERROR
    out = capsys.readouterr().out
    assert (
        "~ GET /api/groups/  response 200 application/json field name: ours: string, required; server: integer, required"
        in out
    )
    assert "~ GET /api/groups/  (" in out  # its fingerprint changed too


def test_json_for_ci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "diff", "--schema", str(_changed_schema(tmp_path)), "--json"]) == ExitCode.ERROR
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert {"operation": "POST /api/groups/", "location": "request application/json field name", "change": "changed",
            "ours": "string, required", "theirs": "integer, required", "kind": "field"} in report["new"]  # fmt: skip


def test_a_schema_url(httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]) -> None:
    httpserver.expect_request("/api/schema/").respond_with_data(
        FIXTURE.read_bytes(), content_type="application/vnd.oai.openapi"
    )
    assert main(["contract", "diff", "--schema", httpserver.url_for("/api/schema/"), "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_unreadable_inputs_exit_2_with_the_reason(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "diff", "--schema", str(tmp_path / "missing.yaml")]) == ExitCode.USAGE
    assert "cannot read" in capsys.readouterr().err
    httpserver.expect_request("/api/schema/").respond_with_data("<html>", status=404)
    assert main(["contract", "diff", "--schema", httpserver.url_for("/api/schema/")]) == ExitCode.USAGE
    assert "the server answered 404" in capsys.readouterr().err


def test_record_writes_the_new_release_into_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.yaml"
    shutil.copyfile(BASELINE, baseline)
    schema = yaml.safe_load(FIXTURE.read_text())
    schema["info"]["version"] = "1.1.0"
    schema["paths"]["/api/users/myself/"]["get"]["responses"]["403"] = {
        "$ref": "#/components/responses/Unauthorized"
    }
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(schema))
    argv = ["contract", "diff", "--schema", str(path), "--baseline", str(baseline)]
    assert main(argv) == ExitCode.ERROR  # the operation changed since 1.0.1
    assert main([*argv, "--record"]) == ExitCode.OK
    assert "recorded 33 operation fingerprints of FL Demonstrator API 1.1.0" in capsys.readouterr().err
    assert main(argv) == ExitCode.OK
    recorded = yaml.safe_load(baseline.read_text())
    assert recorded["server"]["version"] == "1.1.0"
    # the hand-written part is kept as written, comments included
    assert (
        BASELINE.read_text().split("# --- recorded: end")[1]
        == baseline.read_text().split("# --- recorded: end")[1]
    )
