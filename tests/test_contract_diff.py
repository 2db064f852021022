"""`fl_client.contract`: the published schema against ours, sorted against the baseline.

The server's schema here is tests/fixtures/server-schema-1.0.1.yaml, our reconstruction of what
FL Demonstrator 1.0.1 publishes at /api/schema/ (see its header); each test edits a copy of it the
way a new server release would.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fl_client.contract import (
    Baseline,
    Difference,
    build_report,
    compare,
    describe,
    load_baseline,
    load_document,
    normalise,
)
from fl_client.exceptions import ContractError

ROOT = Path(__file__).resolve().parent.parent
OURS = load_document(ROOT / "openapi" / "fl-demonstrator.yaml")
SERVER = load_document(ROOT / "tests" / "fixtures" / "server-schema-1.0.1.yaml")
BASELINE = load_baseline(ROOT / "openapi" / "contract-baseline.yaml")


def server() -> dict[str, Any]:
    return copy.deepcopy(SERVER)


def test_our_document_against_itself_is_empty() -> None:
    assert compare(normalise(OURS), normalise(OURS)) == []
    report = build_report(OURS, OURS, Baseline(server={}))
    assert report.ok
    assert report.new == () and report.known == ()


def test_the_published_schema_differs_only_by_known_deviations() -> None:
    report = build_report(OURS, SERVER, BASELINE)
    assert report.new == ()
    assert report.resolved == ()
    assert report.changed_operations == ()
    assert report.ok
    assert "OK: only known deviations." in report.render()


@pytest.mark.parametrize("deviation", [d.id for d in BASELINE.deviations])
def test_each_known_deviation_explains_differences_that_would_otherwise_be_new(deviation: str) -> None:
    report = build_report(OURS, SERVER, BASELINE)
    (known,) = [k for k in report.known if k.deviation.id == deviation]
    assert known.differences
    without = Baseline(
        server=BASELINE.server,
        fingerprints=BASELINE.fingerprints,
        deviations=[d for d in BASELINE.deviations if d.id != deviation],
    )
    unexplained = build_report(OURS, SERVER, without)
    assert not unexplained.ok
    assert set(known.differences) <= set(unexplained.new)


def test_an_added_operation_is_new() -> None:
    schema = server()
    schema["paths"]["/api/models/{id}/export/"] = {
        "get": {
            "operationId": "fl_server_api.views.model.Model.export",
            "parameters": [{"in": "path", "name": "id", "schema": {"type": "string"}, "required": True}],
            "responses": {"200": {"description": "", "content": {"application/zip": {"schema": {}}}}},
        }
    }
    report = build_report(OURS, schema, BASELINE)
    assert not report.ok
    assert report.new == (Difference("GET /api/models/{id}/export/", "", "added", None, "operation"),)
    assert [(c.operation, c.change) for c in report.changed_operations] == [
        ("GET /api/models/{id}/export/", "added")
    ]


def test_a_removed_operation_is_new() -> None:
    schema = server()
    del schema["paths"]["/api/trainings/{id}/start/"]
    report = build_report(OURS, schema, BASELINE)
    assert Difference("POST /api/trainings/{id}/start/", "", "removed", "operation", None) in report.new
    assert [(c.operation, c.change) for c in report.changed_operations] == [
        ("POST /api/trainings/{id}/start/", "removed")
    ]


def test_a_removed_response_field_is_new() -> None:
    schema = server()
    del schema["components"]["schemas"]["Training"]["properties"]["participants"]
    report = build_report(OURS, schema, BASELINE)
    location = "response 200 application/json field participants"
    assert {(d.operation, d.location, d.change) for d in report.new} == {
        ("GET /api/trainings/", location, "removed"),
        ("GET /api/users/trainings/", location, "removed"),
    }
    assert {c.operation for c in report.changed_operations} == {
        "GET /api/trainings/",
        "GET /api/users/trainings/",
    }


def test_an_added_request_field_is_new() -> None:
    schema = server()
    creation = schema["components"]["schemas"]["TrainingCreation"]
    creation["properties"]["seed"] = {"type": "integer"}
    report = build_report(OURS, schema, BASELINE)
    assert report.new == (
        Difference(
            "POST /api/trainings/", "request application/json field seed", "added", None, "integer, optional"
        ),
    )


def test_a_changed_type_is_new_even_inside_an_operation_with_known_deviations() -> None:
    schema = server()
    creation = schema["components"]["schemas"]["TrainingCreation"]
    creation["properties"]["target_num_updates"] = {"type": "string"}
    report = build_report(OURS, schema, BASELINE)
    assert report.new == (
        Difference(
            "POST /api/trainings/",
            "request application/json field target_num_updates",
            "changed",
            "integer, required",
            "string, required",
        ),
    )
    assert [c.operation for c in report.changed_operations] == ["POST /api/trainings/"]


def test_a_changed_status_code_is_new() -> None:
    schema = server()
    responses = schema["paths"]["/api/trainings/{id}/"]["delete"]["responses"]
    responses["204"] = {"description": "No response body"}
    del responses["200"]
    report = build_report(OURS, schema, BASELINE)
    assert {(d.location, d.change) for d in report.new} == {
        ("response 200", "removed"),
        ("response 204", "added"),
    }


def test_a_deviation_the_server_fixed_is_reported_as_resolved() -> None:
    schema = server()
    responses = schema["paths"]["/api/trainings/{id}/start/"]["post"]["responses"]
    responses["202"] = responses.pop("200")  # the server now documents what it does
    report = build_report(OURS, schema, BASELINE)
    assert [d.id for d in report.resolved] == ["start-training"]
    assert report.new == ()
    assert not report.ok
    assert "start-training" in report.render()


def test_a_change_hidden_inside_a_wildcard_deviation_still_changes_the_fingerprint() -> None:
    schema = server()
    # a 403 on an operation ours does not list is a known deviation (auth-401) ...
    schema["paths"]["/api/users/myself/"]["get"]["responses"]["403"] = {
        "$ref": "#/components/responses/Unauthorized"
    }
    report = build_report(OURS, schema, BASELINE)
    assert report.new == ()
    # ... but the operation is not what 1.0.1 published
    assert [(c.operation, c.change) for c in report.changed_operations] == [
        ("GET /api/users/myself/", "changed")
    ]
    assert not report.ok


def test_json_report_has_every_section() -> None:
    data = build_report(OURS, SERVER, BASELINE).to_json()
    assert data["ok"] is True
    assert data["server"] == {"title": "FL Demonstrator API", "version": "1.0.1", "openapi": "3.0.3"}
    assert data["new"] == [] and data["changed_operations"] == [] and data["resolved_deviations"] == []
    assert {k["id"] for k in data["known"]} == {d.id for d in BASELINE.deviations}
    assert all(k["reason"] and k["differences"] for k in data["known"])


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "nullable": True}, "string|null"),
        ({"type": ["string", "null"]}, "string|null"),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "integer|null"),
        ({"type": "string", "format": "uuid", "maxLength": 36}, "string(uuid)"),
        ({"type": "string", "format": "email"}, "string"),
        ({"type": "array", "items": {"type": "string", "format": "binary"}}, "array[string(binary)]"),
        ({"enum": ["b", "a"], "type": "string"}, "string{a,b}"),
        ({"type": "string", "const": "MEAN"}, "string{MEAN}"),
        ({"allOf": [{"type": "object"}, {"properties": {"x": {}}}]}, "object"),
        ({"type": "list[float]"}, "list[float]"),
        ({}, "any"),
    ],
)
def test_types_are_normalised_across_openapi_versions(schema: dict[str, Any], expected: str) -> None:
    assert describe(schema, {}) == expected


def test_bad_inputs_raise_contract_errors(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="cannot read"):
        load_document(tmp_path / "missing.yaml")
    (tmp_path / "not-openapi.yaml").write_text("just: text\n")
    with pytest.raises(ContractError, match="not an OpenAPI document"):
        load_document(tmp_path / "not-openapi.yaml")
    with pytest.raises(ContractError, match="unresolvable reference"):
        normalise({"openapi": "3.0.3", "paths": {"/a/": {"get": {"responses": {"200": {"$ref": "#/nope"}}}}}})
    (tmp_path / "baseline.yaml").write_text("deviations:\n  - id: x\n    match: [{location: '*'}]\n")
    with pytest.raises(ContractError, match="one-line 'reason'"):
        load_baseline(tmp_path / "baseline.yaml")
    (tmp_path / "baseline.yaml").write_text("deviations:\n  - {id: x, reason: y, match: [{where: '*'}]}\n")
    with pytest.raises(ContractError, match="a match entry uses only"):
        load_baseline(tmp_path / "baseline.yaml")
