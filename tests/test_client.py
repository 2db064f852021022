"""`FLClient` and `create_client` (the generated client for any operation), checked against the contract."""

from __future__ import annotations

import httpx
import pytest
from fl_demonstrator_api.api.trainings import get_training, start_training
from fl_demonstrator_api.models import AggregationMethod, GlobalModel, LocalModel, TrainingState
from support.contract_server import ContractServer
from support.values import BASIC, CLIENT_ID, MODEL_ID, SECRET, TOKEN, TRAINING, TRAINING_ID

from fl_client import DEFAULT_TIMEOUT, ConfigurationError, FLClient, create_client
from fl_client._core.http import call
from fl_client.exceptions import BadRequestError


def test_default_timeout_and_base_url_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FL_DEMONSTRATOR_BASE_URL", "http://fl.example:8000/")
    client = create_client(token=TOKEN)
    http = client.get_httpx_client()
    assert str(http.base_url) == "http://fl.example:8000"
    assert http.timeout == DEFAULT_TIMEOUT
    assert DEFAULT_TIMEOUT.connect == 5.0 and DEFAULT_TIMEOUT.read == 300.0
    assert TOKEN not in repr(client)


def test_credentials_are_required() -> None:
    with pytest.raises(ConfigurationError):
        create_client(base_url="http://x")


def test_get_training_with_token(api: ContractServer) -> None:
    api.expect("GET", f"/api/trainings/{TRAINING_ID}/", status=200, json_body=TRAINING)
    with FLClient(base_url=api.url, token=TOKEN) as client:
        training = client.trainings.get(TRAINING_ID)
    assert training.state == TrainingState.O
    assert training.local_models_arrived == 0
    assert api.requests[0].headers["Authorization"] == f"Token {TOKEN}"


def test_actor_workflow_operations(api: ContractServer) -> None:
    api.expect("POST", "/api/users/", status=201, json_body={
        "username": "bob", "first_name": "", "last_name": "", "email": "", "id": CLIENT_ID,
        "actor": False, "client": True, "message_endpoint": "http://127.0.0.1:8101/", "token": TOKEN})  # fmt: skip
    api.expect("POST", "/api/trainings/", status=201,
               json_body={"detail": "Training created successfully!", "training_id": TRAINING_ID})  # fmt: skip
    api.expect("PUT", f"/api/trainings/{TRAINING_ID}/clients/", status=202,
               json_body={"detail": "Users registered as participants!"})  # fmt: skip
    api.expect("DELETE", f"/api/trainings/{TRAINING_ID}/clients/", status=200,
               json_body={"detail": "Users removed from training participants!"})  # fmt: skip
    api.expect(
        "POST", f"/api/trainings/{TRAINING_ID}/start/", status=202, json_body={"detail": "Training started!"}
    )
    with FLClient(base_url=api.url, username="alice", password=SECRET) as client:
        user = client.users.create("bob", "pw", client=True, message_endpoint="http://127.0.0.1:8101/")
        assert user.token == TOKEN
        created = client.trainings.create(MODEL_ID, [CLIENT_ID], target_num_updates=2, metric_names=["acc"],
                                          aggregation_method=AggregationMethod.FEDAVG)  # fmt: skip
        assert str(created.training_id) == TRAINING_ID
        assert client.trainings.add_participants(TRAINING_ID, [CLIENT_ID]).detail.startswith(
            "Users registered"
        )
        assert client.trainings.remove_participants(TRAINING_ID, [CLIENT_ID]).detail.startswith(
            "Users removed"
        )
        assert client.trainings.start(TRAINING_ID).detail == "Training started!"
    assert api.requests[1].headers["Authorization"] == BASIC
    assert api.requests[1].get_json()["aggregation_method"] == "FedAvg"
    assert api.requests[3].get_json() == {"clients": [CLIENT_ID]}


def test_polymorphic_model_lists(api: ContractServer) -> None:
    api.expect("GET", "/api/models/", status=200, json_body=[
        {"id": MODEL_ID, "round": 0, "name": "ts", "description": "d", "input_shape": [None, 3],
         "preprocessing": None, "owner": CLIENT_ID, "has_preprocessing": False},
        {"id": TRAINING_ID, "round": 0, "sample_size": 10, "owner": CLIENT_ID, "base_model": MODEL_ID},
    ])  # fmt: skip
    with FLClient(base_url=api.url, token=TOKEN) as client:
        kinds = [type(item) for item in client.models.list()]
    assert kinds == [GlobalModel, LocalModel]


def test_call_maps_an_unexpected_status(api: ContractServer) -> None:
    api.expect("POST", f"/api/trainings/{TRAINING_ID}/start/", status=400,
               json_body={"detail": f"Training {TRAINING_ID} is not in state INITIAL!"})  # fmt: skip
    client = create_client(base_url=api.url, token=TOKEN)
    with pytest.raises(BadRequestError, match="not in state INITIAL"):
        call(lambda: start_training.sync_detailed(TRAINING_ID, client=client), operation="start training",
             method="POST", path=f"/api/trainings/{TRAINING_ID}/start/", expected={202})  # fmt: skip


def test_transport_argument_reaches_httpx() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=TRAINING)

    client = create_client(base_url="http://fl", token=TOKEN, transport=httpx.MockTransport(handler))
    assert get_training.sync_detailed(TRAINING_ID, client=client).status_code == 200
