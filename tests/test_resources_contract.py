"""Resource methods against canned answers the emulator cannot give (SWAG and mean models, the
server's pickled inference answer byte for byte), and the typed errors of every error shape, sync
and async, through the contract-validating test server (every request and canned answer is checked
against the document). The emulator's groups, preprocessing and inference are tested in
test_emulator_groups_inference.py."""

from __future__ import annotations

import io
import pickle
from typing import Any

import pytest
import torch
from fl_demonstrator_api.models import Detail, Group, InferenceResult, ModelCreated
from support.contract_server import ContractServer
from support.resources import Api
from support.values import CLIENT_ID, MODEL_ID, OTHER_MODEL_ID, TOKEN, TRAINING_ID

from fl_client import (
    APIResponseValidationError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    UnsafeModelError,
)
from fl_client.resources import BinaryInference

DETAIL = {"detail": "ok"}


@pytest.fixture
def api_client(api: ContractServer, clients: Any) -> Api:
    client: Api = clients(base_url=api.url, token=TOKEN, max_retries=0)
    return client


def test_groups_crud(api: ContractServer, api_client: Api) -> None:
    group = {"id": 7, "name": "g"}
    api.expect("GET", "/api/groups/", status=200, json_body=[group])
    api.expect("POST", "/api/groups/", status=201, json_body=group)
    api.expect("GET", "/api/groups/7/", status=200, json_body=group)
    api.expect("PUT", "/api/groups/7/", status=200, json_body={"id": 7, "name": "h"})
    api.expect("PATCH", "/api/groups/7/", status=200, json_body={"id": 7, "name": "i"})
    api.expect("DELETE", "/api/groups/7/", status=204)
    assert api_client("groups.list") == [Group(id=7, name="g")]
    assert api_client("groups.create", "g").name == "g"
    assert api_client("groups.get", 7).id == 7
    assert api_client("groups.update", 7, name="h").name == "h"
    assert api_client("groups.patch", 7, name="i").name == "i"
    assert api_client("groups.delete", 7) is None
    assert api.requests[1].get_json() == {"name": "g"}


def test_preprocessing_swag_and_mean_models(api: ContractServer, api_client: Api) -> None:
    api.expect("POST", f"/api/models/{MODEL_ID}/preprocessing/", status=202, json_body=DETAIL)
    api.expect("GET", f"/api/models/{MODEL_ID}/preprocessing/", status=200, body=b"PREP",
               content_type="application/octet-stream")  # fmt: skip
    api.expect("POST", f"/api/models/{MODEL_ID}/swag/", status=201, json_body=DETAIL)
    api.expect(
        "POST",
        "/api/models/",
        status=201,
        json_body={"detail": "Model Upload Accepted", "model_id": MODEL_ID},
    )
    assert isinstance(api_client("models.upload_preprocessing", MODEL_ID, b"PREP"), Detail)
    assert api_client("models.download_preprocessing", MODEL_ID) == b"PREP"
    moment = torch.zeros(3)
    assert isinstance(
        api_client("models.upload_swag", MODEL_ID, moment, moment, round=1, sample_size=5), Detail
    )
    created = api_client("models.create_mean", [MODEL_ID, OTHER_MODEL_ID], name="mean")
    assert isinstance(created, ModelCreated)
    assert api.requests[-1].get_json()["models"] == [MODEL_ID, OTHER_MODEL_ID]
    upload = api.requests[0]
    boundary = upload.headers["Content-Type"].split("boundary=")[1]
    assert boundary != "+++" and len(boundary) >= 16


def test_inference_json_and_binary(api: ContractServer, api_client: Api) -> None:
    api.expect("POST", "/api/inference/", status=200, json_body={"inference": [1], "uncertainty": {}})
    result = {"inference": torch.tensor([[0.25, 0.75]]), "uncertainty": {"std": torch.tensor([0.1])}}
    api.expect("POST", "/api/inference/", status=200, body=pickle.dumps(result),
               content_type="application/octet-stream")  # fmt: skip
    answer = api_client("inference.predict", MODEL_ID, [[1.0, 2.0, 3.0]])
    assert isinstance(answer, InferenceResult) and answer.inference == [1]
    binary = api_client("inference.predict_binary", MODEL_ID, torch.ones(1, 3))
    assert isinstance(binary, BinaryInference)
    assert torch.equal(binary.inference, result["inference"]) and set(binary.uncertainty) == {"std"}
    assert api.requests[0].get_json()["return_format"] == "json"
    assert api.requests[1].form["return_format"] == "binary"
    part = api.requests[1].files["model_input"]
    sent = part.read()
    part.close()
    assert torch.equal(torch.load(io.BytesIO(sent), weights_only=True), torch.ones(1, 3))


def test_a_binary_inference_answer_that_runs_code_is_refused(api: ContractServer, api_client: Api) -> None:
    class Evil:
        def __reduce__(self) -> Any:
            return (print, ("pwned",))

    api.expect("POST", "/api/inference/", status=200, body=pickle.dumps({"inference": Evil()}),
               content_type="application/octet-stream")  # fmt: skip
    with pytest.raises(UnsafeModelError, match=r"builtins\.print"):
        api_client("inference.predict_binary", MODEL_ID, b"\x89PNG")


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (400, {"detail": f"Training {TRAINING_ID} not found."}, NotFoundError, "not found"),
        (400, ["Training is not in state INITIAL!"], BadRequestError, "not in state INITIAL"),
        (400, {"clients": {"0": ["Not a valid UUID."]}}, BadRequestError, "clients.0: Not a valid UUID."),
        (500, {"error": "Server Error (500)"}, InternalServerError, r"Server Error \(500\)"),
        (403, {"detail": "You are not the owner the training."}, PermissionDeniedError, "not the owner"),
        (401, {"detail": "Invalid token."}, AuthenticationError, "Invalid token"),
    ],
)
def test_error_shapes_become_typed_errors(
    api: ContractServer, api_client: Api, status: int, body: Any, error: type[Exception], text: str
) -> None:
    method, path = ("DELETE", f"/api/trainings/{TRAINING_ID}/") if status in {401, 403} else (
        "POST", f"/api/trainings/{TRAINING_ID}/start/")  # fmt: skip
    api.expect(method, path, status=status, json_body=body)
    with pytest.raises(error, match=text) as info:
        api_client("trainings.delete" if method == "DELETE" else "trainings.start", TRAINING_ID)
    assert info.value.status_code == status  # type: ignore[attr-defined]


def test_an_html_page_on_a_json_operation_is_a_typed_error(api: ContractServer, api_client: Api) -> None:
    api.server.expect_request(f"/api/trainings/{TRAINING_ID}/").respond_with_data(
        "<html>gateway</html>", status=200, content_type="text/html"
    )
    api.server.expect_request(f"/api/trainings/{TRAINING_ID}/start/").respond_with_data(
        "<html>bad gateway</html>", status=400, content_type="text/html"
    )
    with pytest.raises(APIResponseValidationError, match=r"not the documented content \(text/html"):
        api_client("trainings.get", TRAINING_ID)
    with pytest.raises(BadRequestError, match="HTML error page"):
        api_client("trainings.start", TRAINING_ID)


def test_bad_arguments_are_configuration_errors(api_client: Api) -> None:
    with pytest.raises(ConfigurationError, match="aggregation_method must be one of FedAvg"):
        api_client("trainings.create", MODEL_ID, [CLIENT_ID], target_num_updates=1, aggregation_method="avg")
    with pytest.raises(ConfigurationError, match="training_id must be a UUID"):
        api_client("trainings.get", "../users")
    with pytest.raises(ConfigurationError, match="target_num_updates"):
        api_client("trainings.create", MODEL_ID, target_num_updates=0)
