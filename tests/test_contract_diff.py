"""`fl_client.contract`: the published schema against ours, sorted against the baseline.

Self-contained: the server's schema here is `support.contract_schemas.synthetic_release`, our document as
a server would publish it with one known deviation (start answers 200), and its baseline records
that deviation and the release's fingerprints. Each test edits a copy the way a new server
release would. The real published schema is tested in test_contract_live.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.contract_schemas import OURS, SYNTHETIC_TITLE, synthetic_release, write_synthetic

from fl_client.contract import (
    Baseline,
    Deviation,
    Difference,
    Matcher,
    build_report,
    compare,
    describe,
    document_sha256,
    load_baseline,
    load_document,
    normalise,
)
from fl_client.exceptions import ContractError


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    _, path = write_synthetic(tmp_path_factory.mktemp("baseline"))
    return load_baseline(path)


def server() -> dict[str, Any]:
    return synthetic_release()


def test_our_document_against_itself_is_empty() -> None:
    assert compare(normalise(OURS), normalise(OURS)) == []
    report = build_report(OURS, OURS, Baseline(server={}))
    assert report.ok
    assert report.new == () and report.known == ()


def test_the_published_schema_differs_only_by_known_deviations(baseline: Baseline) -> None:
    report = build_report(OURS, server(), baseline)
    assert report.new == ()
    assert report.resolved == ()
    assert report.changed_operations == ()
    assert report.ok
    assert report.same_document is True
    (known,) = report.known
    assert known.deviation.id == "start-202" and known.deviation.section == "§5.5"
    assert {(d.location, d.change) for d in known.differences} == {
        ("response 202", "removed"),
        ("response 200", "added"),
    }
    text = report.render()
    assert "Written against: server 1.0.1 (its schema says version 1.0.0)" in text
    assert "Server document: the one the baseline was recorded from" in text
    assert "start-202 (2) [§5.5]: POST /trainings/{id}/start/ answers 202, not 200." in text
    assert "OK: only known deviations." in text


def test_without_its_deviation_the_difference_is_new(baseline: Baseline) -> None:
    without = Baseline(server=baseline.server, fingerprints=baseline.fingerprints, deviations=())
    report = build_report(OURS, server(), without)
    assert not report.ok
    assert {(d.operation, d.location) for d in report.new} == {
        ("POST /api/trainings/{id}/start/", "response 200"),
        ("POST /api/trainings/{id}/start/", "response 202"),
    }


def test_a_description_change_keeps_the_facts_but_not_the_document_hash(baseline: Baseline) -> None:
    schema = server()
    schema["info"]["description"] = "now with more words"
    report = build_report(OURS, schema, baseline)
    assert report.ok  # no fact changed
    assert report.same_document is False
    assert report.server["sha256"] == document_sha256(schema) != baseline.sha256
    assert "not the one the baseline was recorded from" in report.render()


def test_an_added_operation_is_new(baseline: Baseline) -> None:
    schema = server()
    schema["paths"]["/api/models/{id}/export/"] = {
        "get": {
            "operationId": "fl_server_api.views.model.Model.export",
            "parameters": [{"in": "path", "name": "id", "schema": {"type": "string"}, "required": True}],
            "responses": {"200": {"description": "", "content": {"application/zip": {"schema": {}}}}},
        }
    }
    report = build_report(OURS, schema, baseline)
    assert not report.ok
    assert report.new == (Difference("GET /api/models/{id}/export/", "", "added", None, "operation"),)
    assert [(c.operation, c.change) for c in report.changed_operations] == [
        ("GET /api/models/{id}/export/", "added")
    ]


def test_a_removed_operation_is_new(baseline: Baseline) -> None:
    schema = server()
    del schema["paths"]["/api/trainings/{id}/start/"]
    report = build_report(OURS, schema, baseline)
    assert Difference("POST /api/trainings/{id}/start/", "", "removed", "operation", None) in report.new
    assert [(c.operation, c.change) for c in report.changed_operations] == [
        ("POST /api/trainings/{id}/start/", "removed")
    ]
    assert [d.id for d in report.resolved] == ["start-202"]  # nothing left for it to explain


def test_a_removed_response_field_is_new(baseline: Baseline) -> None:
    schema = server()
    del schema["components"]["schemas"]["Training"]["properties"]["participants"]
    report = build_report(OURS, schema, baseline)
    location = "response 200 application/json field participants"
    trainings = {"GET /api/trainings/", "GET /api/users/trainings/", "GET /api/trainings/{id}/"}
    assert {(d.operation, d.location, d.change) for d in report.new} == {
        (operation, location, "removed") for operation in trainings
    }
    assert {c.operation for c in report.changed_operations} == trainings


def test_an_added_request_field_is_new(baseline: Baseline) -> None:
    schema = server()
    creation = schema["components"]["schemas"]["TrainingCreate"]
    creation["properties"]["seed"] = {"type": "integer"}
    report = build_report(OURS, schema, baseline)
    assert report.new == (
        Difference(
            "POST /api/trainings/", "request application/json field seed", "added", None, "integer, optional"
        ),
    )


def test_a_changed_type_is_new_even_inside_an_operation_with_known_deviations(baseline: Baseline) -> None:
    schema = server()
    start = schema["paths"]["/api/trainings/{id}/start/"]["post"]
    start["parameters"] = [{"in": "query", "name": "force", "schema": {"type": "boolean"}}]
    report = build_report(OURS, schema, baseline)
    assert report.new == (
        Difference(
            "POST /api/trainings/{id}/start/", "parameter query force", "added", None, "boolean, optional"
        ),
    )
    assert [k.deviation.id for k in report.known] == ["start-202"]  # still explained
    assert [c.operation for c in report.changed_operations] == ["POST /api/trainings/{id}/start/"]


def test_a_changed_status_code_is_new(baseline: Baseline) -> None:
    schema = server()
    responses = schema["paths"]["/api/trainings/{id}/"]["delete"]["responses"]
    responses["204"] = {"description": "No response body"}
    del responses["200"]
    report = build_report(OURS, schema, baseline)
    assert {(d.location, d.change) for d in report.new} == {
        ("response 200", "removed"),
        ("response 204", "added"),
    }


def test_a_deviation_the_server_fixed_is_reported_as_resolved(baseline: Baseline) -> None:
    schema = server()
    responses = schema["paths"]["/api/trainings/{id}/start/"]["post"]["responses"]
    responses["202"] = responses.pop("200")  # the server now documents what it does
    report = build_report(OURS, schema, baseline)
    assert [d.id for d in report.resolved] == ["start-202"]
    assert report.new == ()
    assert not report.ok
    assert "start-202 [§5.5]" in report.render()


def test_a_change_hidden_inside_a_wildcard_deviation_still_changes_the_fingerprint(
    baseline: Baseline,
) -> None:
    schema = server()
    # a new code on an operation a wide deviation covers is explained by it ...
    responses = schema["paths"]["/api/trainings/{id}/start/"]["post"]["responses"]
    responses["409"] = {"description": "conflict"}
    anything_on_start = Matcher({"operation": "POST /api/trainings/{id}/start/"})
    wide = Baseline(
        server=baseline.server,
        fingerprints=baseline.fingerprints,
        deviations=[Deviation("start-any", "anything on start", (anything_on_start,), section="§5.5")],
    )
    report = build_report(OURS, schema, wide)
    assert report.new == ()
    # ... but the operation is not what the recorded release published
    assert [(c.operation, c.change) for c in report.changed_operations] == [
        ("POST /api/trainings/{id}/start/", "changed")
    ]
    assert not report.ok


def test_json_report_has_every_section(baseline: Baseline) -> None:
    data = build_report(OURS, server(), baseline).to_json()
    assert data["ok"] is True
    assert data["server"] == {
        "title": SYNTHETIC_TITLE,
        "version": "1.0.0",
        "openapi": "3.0.3",
        "sha256": document_sha256(server()),
    }
    assert data["baseline"] == {
        "version": "1.0.0",
        "release": "1.0.1",
        "fingerprints": True,
        "same_document": True,
    }
    assert data["new"] == [] and data["changed_operations"] == [] and data["resolved_deviations"] == []
    assert [(k["id"], k["section"]) for k in data["known"]] == [("start-202", "§5.5")]
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
    (tmp_path / "baseline.yaml").write_text("deviations:\n  - {id: x, reason: y, match: [{location: '*'}]}\n")
    with pytest.raises(ContractError, match="deviation x needs a 'section'"):
        load_baseline(tmp_path / "baseline.yaml")
    (tmp_path / "baseline.yaml").write_text(
        "deviations:\n  - {id: x, reason: y, section: '§1', match: [{where: '*'}]}\n"
    )
    with pytest.raises(ContractError, match="a match entry uses only"):
        load_baseline(tmp_path / "baseline.yaml")
