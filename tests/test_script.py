"""`TrainingScript`: registration checks, the argv, the round trip, and the named exit codes."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from support.contract_server import ContractServer
from support.models import same_parameters, small_model, torch_bytes
from support.values import BASIC, CLIENT_ID, MODEL_ID, TRAINING_ID

from fl_client import Communication, ExitCode, SwagResult, TrainingScript, TrainResult

ARGV = ["--training-id", TRAINING_ID, "--round", "0", "--model-id", MODEL_ID]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, api: ContractServer) -> ContractServer:
    monkeypatch.setenv("FL_CLIENT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("FL_CLIENT_AUTHORIZATION", BASIC)
    monkeypatch.setenv("FL_DEMONSTRATOR_BASE_URL", api.url)
    for name in (
        "FL_CLIENT_TRAINING_ID",
        "FL_CLIENT_ROUND",
        "FL_CLIENT_MODEL_ID",
        "FL_CLIENT_GLOBAL_MODEL_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    return api


def serve_model(api: ContractServer, model: Any) -> None:
    api.expect("GET", f"/api/models/{MODEL_ID}/", status=200, body=torch_bytes(model),
               content_type="application/octet-stream")  # fmt: skip


def test_train_downloads_calls_and_uploads(env: ContractServer) -> None:
    from support.values import TRAINING

    model = small_model()
    serve_model(env, model)
    env.expect("GET", f"/api/trainings/{TRAINING_ID}/", status=200, json_body=TRAINING)
    env.expect("POST", f"/api/models/{MODEL_ID}/", status=201, json_body={"detail": "Model Update Accepted"})
    script = TrainingScript()
    seen: list[Communication] = []

    @script.train
    def train(received: Any, comm: Communication) -> TrainResult:
        assert same_parameters(received, model)
        seen.append(comm)
        return TrainResult(received, {"loss": 0.5}, sample_size=42)

    assert script.run(["train", *ARGV]) == ExitCode.OK
    assert seen[0].round == 0 and str(seen[0].training_id) == TRAINING_ID
    from support.multipart import form_of

    fields, _ = form_of(env.requests[-1])
    assert fields["sample_size"] == ["42"] and fields["metric_names"] == ["loss"]


def test_test_uploads_metrics(env: ContractServer) -> None:
    serve_model(env, small_model())
    env.expect("POST", f"/api/models/{MODEL_ID}/metrics/", status=201,
               json_body={"detail": "Model Metrics Upload Accepted", "model_id": MODEL_ID})  # fmt: skip
    script = TrainingScript()
    script.test(lambda model, comm: {"accuracy": 0.9})
    assert script.run(["test", *ARGV]) == ExitCode.OK
    assert env.requests[-1].form.getlist("metric_names") == ["accuracy"]


def test_swag_uploads_both_moments(env: ContractServer) -> None:
    serve_model(env, small_model())
    env.expect(
        "POST", f"/api/models/{MODEL_ID}/swag/", status=201, json_body={"detail": "SWAG Statistic Accepted"}
    )
    script = TrainingScript()

    @script.swag
    def swag(model: Any, comm: Communication) -> SwagResult:
        vector = torch.cat([p.detach().flatten() for p in model.parameters()])
        return SwagResult(vector, vector**2, sample_size=7)

    assert script.run(["swag", *ARGV]) == ExitCode.OK
    from support.multipart import form_of

    fields, uploads = form_of(env.requests[-1])
    assert fields == {"round": ["0"], "sample_size": ["7"]}
    assert set(uploads) == {"first_moment_file", "second_moment_file"}
    script.swag(lambda model, comm: {"not": "a SwagResult"})
    serve_model(env, small_model())
    assert script.run(["swag", *ARGV]) == ExitCode.HANDLER_FAILED


def test_bad_registration_fails_at_once_with_the_fix() -> None:
    script = TrainingScript()

    def train(model: Any) -> Any:
        return model

    with pytest.raises(TypeError, match=r"def train\(model, comm\)"):
        script.train(train)


def test_exit_codes(env: ContractServer, monkeypatch: pytest.MonkeyPatch) -> None:
    script = TrainingScript()
    assert script.run(["train"]) == ExitCode.USAGE
    assert script.run(["swag", *ARGV]) == ExitCode.NO_HANDLER

    @script.train
    def broken(model: Any, comm: Communication) -> TrainResult:
        raise RuntimeError("bug in user code")

    serve_model(env, small_model())
    assert script.run(["train", *ARGV]) == ExitCode.HANDLER_FAILED
    env.expect(
        "GET", f"/api/models/{MODEL_ID}/", status=400, json_body={"detail": f"Model {MODEL_ID} not found."}
    )
    assert script.run(["train", *ARGV]) == ExitCode.TRANSFER_FAILED
    monkeypatch.delenv("FL_CLIENT_AUTHORIZATION")
    assert script.run(["train", *ARGV]) == ExitCode.ERROR
