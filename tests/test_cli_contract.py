"""``fl-client contract diff``: exit codes, JSON for CI, URLs, and recording a release.

Self-contained: the server's schema is `support.contract_schemas.synthetic_release` with its own baseline
in a temporary folder (the real baseline against the live schema: test_contract_live.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from support.contract_schemas import SYNTHETIC_TITLE, synthetic_release, write_synthetic

from fl_client import ExitCode
from fl_client.cli import main


def _changed_schema(tmp_path: Path) -> Path:
    schema = synthetic_release()
    schema["components"]["schemas"]["Group"]["properties"]["name"] = {"type": "integer"}
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(schema))
    return path


def test_only_known_deviations_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema, baseline = write_synthetic(tmp_path)
    assert main(["contract", "diff", "--schema", str(schema), "--baseline", str(baseline)]) == 0
    out = capsys.readouterr().out
    assert "New differences: 0" in out
    assert "start-202 (2) [§5.5]" in out
    assert out.rstrip().endswith("OK: only known deviations.")


def test_a_new_difference_exits_1_and_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, baseline = write_synthetic(tmp_path)
    argv = ["contract", "diff", "--schema", str(_changed_schema(tmp_path)), "--baseline", str(baseline)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert (
        "~ GET /api/groups/  response 200 application/json field name: ours: string, required; server: integer, required"
        in out
    )
    assert "~ GET /api/groups/  (" in out  # its fingerprint changed too
    assert "Server document: not the one the baseline was recorded from" in out


def test_json_for_ci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, baseline = write_synthetic(tmp_path)
    schema = _changed_schema(tmp_path)
    assert main(["contract", "diff", "--schema", str(schema), "--baseline", str(baseline), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert {"operation": "POST /api/groups/", "location": "response 201 application/json field name",
            "change": "changed", "ours": "string, required", "theirs": "integer, required", "kind": "field"} in report["new"]  # fmt: skip
    assert report["baseline"]["same_document"] is False


def test_a_schema_url(tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]) -> None:
    schema, baseline = write_synthetic(tmp_path)
    httpserver.expect_request("/api/schema/").respond_with_data(
        schema.read_bytes(), content_type="application/vnd.oai.openapi"
    )
    argv = ["contract", "diff", "--schema", httpserver.url_for("/api/schema/"), "--baseline", str(baseline)]
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    (request, _), *_ = httpserver.log
    assert "json" in request.headers["Accept"]  # asks for JSON (drf-spectacular's default is YAML)
    assert "Authorization" not in request.headers  # the schema needs no credentials


def test_unreadable_inputs_exit_2_with_the_reason(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "diff", "--schema", str(tmp_path / "missing.yaml")]) == ExitCode.USAGE
    assert "cannot read" in capsys.readouterr().err
    httpserver.expect_request("/api/schema/").respond_with_data("<html>", status=404)
    assert main(["contract", "diff", "--schema", httpserver.url_for("/api/schema/")]) == ExitCode.USAGE
    assert "the server answered 404" in capsys.readouterr().err


@pytest.mark.slow
def test_record_writes_the_new_release_into_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, baseline = write_synthetic(tmp_path)
    hand_written = baseline.read_text().split("# --- recorded: end")[1]
    schema = synthetic_release()
    schema["info"]["version"] = "1.1.0"
    schema["paths"]["/api/users/myself/"]["get"]["responses"]["404"] = {"description": "gone"}
    path = tmp_path / "release.yaml"
    path.write_text(yaml.safe_dump(schema))
    argv = ["contract", "diff", "--schema", str(path), "--baseline", str(baseline)]
    assert main(argv) == 1  # a new code, and the operation changed since the recorded release
    assert main([*argv, "--record"]) == 1  # recording does not explain the new code ...
    assert f"recorded 34 operation fingerprints of {SYNTHETIC_TITLE} 1.1.0" in capsys.readouterr().err
    recorded = yaml.safe_load(baseline.read_text())
    assert recorded["server"]["version"] == "1.1.0"
    assert recorded["release"] == "1.0.1"  # hand-written, kept
    assert len(recorded["server"]["sha256"]) == 64
    # ... but only the difference is left, not the changed operation; the hand-written part is kept
    report_argv = [*argv, "--json"]
    assert main(report_argv) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["changed_operations"] == [] and report["baseline"]["same_document"] is True
    assert [d["location"] for d in report["new"]] == ["response 404"]
    assert baseline.read_text().split("# --- recorded: end")[1] == hand_written
