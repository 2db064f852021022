"""Our document and baseline against the schema a real server published (release 1.0.1).

The document lives outside the project (see `support.contract_schemas.live_schema_path`); these tests skip
when it is absent. Present, it must be the very document the baseline was recorded from (its
SHA-256), `fl-client contract diff` must exit 0 on it, and 1 once an operation is added.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.contract_schemas import BASELINE_PATH, OURS, require_live_schema

from fl_client.cli import main
from fl_client.contract import Baseline, build_report, document_sha256, load_baseline, load_document

BASELINE = load_baseline(BASELINE_PATH)


@pytest.fixture(scope="module")
def live_path() -> Path:
    return require_live_schema()


@pytest.fixture(scope="module")
def live(live_path: Path) -> dict[str, Any]:
    return load_document(live_path)


def test_it_is_the_document_the_baseline_was_recorded_from(live: dict[str, Any]) -> None:
    assert BASELINE.sha256 is not None, "the baseline records no sha256 of the server's document"
    assert document_sha256(live) == BASELINE.sha256, (
        "the live schema is not the one the baseline was recorded from: run "
        "`fl-client contract diff --schema <it>` and follow README 'When the server changes'"
    )
    assert BASELINE.written_against == "1.0.1"


def test_contract_diff_exits_0_on_the_live_schema(
    live_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "diff", "--schema", str(live_path)]) == 0
    out = capsys.readouterr().out
    assert "New differences: 0" in out
    assert "Server operations changed since 1.0.1: 0" in out
    assert "Server document: the one the baseline was recorded from" in out
    assert out.rstrip().endswith("OK: only known deviations.")


def test_one_added_operation_exits_1_and_is_named(
    live: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = json.loads(json.dumps(live))
    changed["paths"]["/api/models/{id}/export/"] = {
        "get": {
            "operationId": "fl_server_api.views.model.Model.export",
            "parameters": [{"in": "path", "name": "id", "schema": {"type": "string"}, "required": True}],
            "responses": {"200": {"description": "", "content": {"application/zip": {"schema": {}}}}},
        }
    }
    path = tmp_path / "schema.json"  # a temporary copy, never in the project
    path.write_text(json.dumps(changed))
    assert main(["contract", "diff", "--schema", str(path)]) == 1
    out = capsys.readouterr().out
    assert "New differences: 1\n  + GET /api/models/{id}/export/: operation" in out
    assert "+ GET /api/models/{id}/export/  (- -> " in out
    assert "CHANGED: see above." in out


def test_every_deviation_has_a_reason_and_a_section_and_explains_something(live: dict[str, Any]) -> None:
    report = build_report(OURS, live, BASELINE)
    assert report.ok and report.resolved == ()
    for deviation in BASELINE.deviations:
        assert deviation.reason and deviation.section.startswith("§"), deviation.id
    assert {k.deviation.id for k in report.known} == {d.id for d in BASELINE.deviations}


@pytest.mark.parametrize("deviation", [d.id for d in BASELINE.deviations])
def test_each_known_deviation_explains_differences_that_would_otherwise_be_new(
    deviation: str, live: dict[str, Any]
) -> None:
    report = build_report(OURS, live, BASELINE)
    (known,) = [k for k in report.known if k.deviation.id == deviation]
    assert known.differences
    without = Baseline(
        server=BASELINE.server,
        fingerprints=BASELINE.fingerprints,
        deviations=[d for d in BASELINE.deviations if d.id != deviation],
        release=BASELINE.release,
    )
    unexplained = build_report(OURS, live, without)
    assert not unexplained.ok
    assert set(known.differences) <= set(unexplained.new)
