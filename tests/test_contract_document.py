"""The OpenAPI document itself: valid, complete, and checked by the helpers the other tests use."""

from __future__ import annotations

import httpx
import pytest
from openapi_spec_validator import validate
from support.contract import Contract, ContractViolation

OPERATIONS = {
    "create_user", "list_users", "get_myself", "list_my_groups", "list_my_trainings", "get_user",
    "list_groups", "create_group", "get_group", "update_group", "partial_update_group", "delete_group",
    "list_models", "create_model", "download_model", "upload_local_model", "delete_model",
    "get_model_metadata", "list_model_metrics", "upload_model_metrics", "download_preprocessing_model",
    "upload_preprocessing_model", "upload_swag_statistics",
    "list_trainings", "create_training", "get_training", "delete_training", "register_training_clients",
    "remove_training_clients", "start_training", "list_training_models", "list_latest_training_models",
    "run_inference", "get_schema",
}  # fmt: skip


def _operations(contract: Contract) -> dict[str, tuple[str, str, dict]]:
    found = {}
    for path, item in contract.spec["paths"].items():
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found[op["operationId"]] = (method, path, op)
    return found


def test_document_is_valid_openapi_31(contract: Contract) -> None:
    assert contract.spec["openapi"].startswith("3.1")
    validate(contract.spec)


def test_every_server_operation_is_documented(contract: Contract) -> None:
    assert set(_operations(contract)) == OPERATIONS


@pytest.mark.parametrize(
    ("operation", "status"),
    [
        ("create_user", "201"),
        ("upload_local_model", "201"),
        ("upload_model_metrics", "201"),
        ("create_training", "201"),
        ("start_training", "202"),
        ("register_training_clients", "202"),
        ("upload_swag_statistics", "201"),
        ("upload_preprocessing_model", "202"),
        ("delete_group", "204"),
    ],
)
def test_real_success_codes(contract: Contract, operation: str, status: str) -> None:
    _, _, op = _operations(contract)[operation]
    assert [code for code in op["responses"] if code.startswith("2")] == [status]


def test_authenticated_operations_document_401_not_403_for_credentials(contract: Contract) -> None:
    for name, (_, _, op) in _operations(contract).items():
        if op.get("security") == []:
            continue
        assert op["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}, name


def test_security_schemes(contract: Contract) -> None:
    schemes = contract.spec["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {**schemes["basicAuth"], "type": "http", "scheme": "basic"}
    assert schemes["tokenAuth"]["in"] == "header" and schemes["tokenAuth"]["name"] == "Authorization"


def test_six_webhooks_with_component_schemas(contract: Contract) -> None:
    webhooks = contract.spec["webhooks"]
    assert len(webhooks) == 6
    for hook in webhooks.values():
        ref = hook["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.startswith("#/components/schemas/")


@pytest.mark.parametrize(
    "body",
    [
        {"detail": "Training 6c6f not found."},
        ["Invalid model file: Error loading torch object"],
        {"aggregation_method": ["Must be one of: FedAvg, FedDC, FedProx."]},
        {"clients": {"0": ["Not a valid UUID."]}},
        {"error": "Server Error (500)"},
    ],
)
def test_every_error_shape_is_a_valid_error_body(contract: Contract, body: object) -> None:
    contract.check_schema(body, contract.component("ErrorBody"), "error body")


def test_multipart_fields_are_typed(contract: Contract) -> None:
    good = httpx.Request(
        "POST",
        "http://127.0.0.1:1/api/models/35331953-e6bf-4a47-bba6-a821465254db/",
        headers={"Authorization": "Basic eDp5"},
        files=[("model_file", ("m.pt", b"\x00\xff", "application/octet-stream")), ("round", (None, b"0")),
               ("sample_size", (None, b"5"))],
    )  # fmt: skip
    contract.validate_request("POST", str(good.url), headers=dict(good.headers), body=good.read())
    bad = httpx.Request(
        "POST",
        str(good.url),
        headers={"Authorization": "Basic eDp5"},
        files=[("model_file", ("m.pt", b"x", None)), ("round", (None, b"0")), ("round", (None, b"1")),
               ("sample_size", (None, b"many"))],
    )  # fmt: skip
    with pytest.raises(ContractViolation, match="round"):
        contract.validate_request("POST", str(bad.url), headers=dict(bad.headers), body=bad.read())


def test_notification_schema_rejects_bad_uuid(contract: Contract) -> None:
    with pytest.raises(ContractViolation):
        contract.validate_notification(
            {
                "notification_type": "TRAINING_START",
                "body": {"global_model_uuid": "nope"},
                "training_uuid": "x",
            }
        )


def test_every_answer_of_the_receiver_is_documented_for_every_webhook(contract: Contract) -> None:
    # fl_client.participant.receiver answers these (see tests/test_receiver.py for when)
    answers = {"TRAINING_START": 200, "UPDATE_ROUND_START": 202, "MODEL_TEST_ROUND": 202,
               "SWAG_ROUND_START": 202, "TRAINING_FINISHED": 200, "CLIENT_REMOVED": 200}  # fmt: skip
    for kind, success in answers.items():
        assert {success, 400, 405, 408, 411, 413, 500, 503} == contract.webhook_answer_statuses(kind), kind
