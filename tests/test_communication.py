"""`Communication`: every member of the reference interface, against the contract."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from uuid import UUID

import pytest
import torch
from support.contract_server import ContractServer
from support.models import same_parameters, script_bytes, small_model, torch_bytes
from support.multipart import form_of
from support.values import BASIC, CLIENT_ID, MODEL_ID, OTHER_MODEL_ID, SECRET, TOKEN, TRAINING, TRAINING_ID

from fl_client import Communication, Settings, is_torchscript_instance
from fl_client.exceptions import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    CommunicationException,
    InternalServerError,
    MetricsUploadException,
    ModelDownloadException,
    ModelUploadException,
    NotFoundError,
    PermissionDeniedError,
)
from fl_client.testing import wait_for


def make(api: ContractServer, **kwargs: object) -> Communication:
    return Communication.from_user_password(
        UUID(CLIENT_ID),
        UUID(TRAINING_ID),
        0,
        UUID(MODEL_ID),
        "alice",
        SECRET,
        base_url=api.url,
        **{"max_retries": 0, **kwargs},
    )


# ----------------------------------------------------------------------------- construction


def test_constructors_keep_the_reference_attributes() -> None:
    comm = Communication(UUID(CLIENT_ID), UUID(TRAINING_ID), 3, UUID(MODEL_ID), BASIC)
    assert (comm.client_id, comm.training_id, comm.round, comm.model_id) == (
        UUID(CLIENT_ID),
        UUID(TRAINING_ID),
        3,
        UUID(MODEL_ID),
    )
    assert comm.http_authorization == BASIC
    basic = Communication.from_user_password(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 3, UUID(MODEL_ID), "alice", SECRET
    )
    assert basic.http_authorization == BASIC
    token = Communication.from_http_authorization(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 3, UUID(MODEL_ID), f"Token {TOKEN}"
    )
    assert token.get_headers() == {"Authorization": f"Token {TOKEN}"}


def test_repr_hides_credentials() -> None:
    comm = Communication.from_user_password(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(MODEL_ID), "alice", SECRET
    )
    text = repr(comm) + repr(comm.api)
    assert SECRET not in text and BASIC.split()[1] not in text
    assert "Basic ***" in text


# ----------------------------------------------------------------------------- download


def test_download_model_returns_the_pickled_module(api: ContractServer) -> None:
    model = small_model()
    api.expect("GET", f"/api/models/{MODEL_ID}/", status=200, body=torch_bytes(model),
               content_type="application/octet-stream",
               headers={"Content-Disposition": f'filename="model-{MODEL_ID}.pt"'})  # fmt: skip
    loaded = make(api).download_model()
    assert same_parameters(loaded, model)
    assert api.requests[0].headers["Authorization"] == BASIC


def test_download_model_loads_torchscript(api: ContractServer) -> None:
    model = small_model()
    api.expect("GET", f"/api/models/{MODEL_ID}/", status=200, body=script_bytes(model),
               content_type="application/octet-stream")  # fmt: skip
    loaded = make(api).download_model()
    assert is_torchscript_instance(loaded)
    assert same_parameters(loaded, model)


def test_token_authorization_is_sent_verbatim(api: ContractServer) -> None:
    api.expect("GET", f"/api/models/{MODEL_ID}/", status=200, body=torch_bytes(small_model()),
               content_type="application/octet-stream")  # fmt: skip
    comm = Communication.from_http_authorization(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(MODEL_ID), f"Token {TOKEN}", base_url=api.url
    )
    comm.download_model()
    assert api.requests[0].headers["Authorization"] == f"Token {TOKEN}"


@pytest.mark.parametrize(
    ("status", "body", "cause", "message"),
    [
        (400, {"detail": f"Model {MODEL_ID} not found."}, NotFoundError, f"Model {MODEL_ID} not found."),
        (401, {"detail": "Invalid username/password."}, AuthenticationError, "Invalid username/password."),
        (500, {"error": "Server Error (500)"}, InternalServerError, "Server Error (500)"),
    ],
)
def test_download_errors_are_typed_by_operation_and_cause(
    api: ContractServer,
    status: int,
    body: object,
    cause: type[Exception],
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = {"WWW-Authenticate": "Token"} if status == 401 else None
    api.expect("GET", f"/api/models/{MODEL_ID}/", status=status, json_body=body, headers=headers)
    with caplog.at_level(logging.DEBUG), pytest.raises(ModelDownloadException) as info:
        make(api).download_model()
    error = info.value
    assert isinstance(error, cause) and isinstance(error, CommunicationException)
    assert error.status_code == status
    assert error.server_message == message
    assert message in str(error)
    assert error.response is not None and error.response.status_code == status
    for text in (str(error), repr(error), caplog.text):
        assert SECRET not in text and BASIC.split()[1] not in text


def test_download_of_unloadable_bytes_is_a_download_error(api: ContractServer) -> None:
    api.expect("GET", f"/api/models/{MODEL_ID}/", status=200, body=b"not a model",
               content_type="application/octet-stream")  # fmt: skip
    with pytest.raises(ModelDownloadException, match="invalid model file"):
        make(api).download_model()


@pytest.mark.slow
def test_connection_failure_is_typed_and_clean(unused_port: int) -> None:
    comm = Communication.from_user_password(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(MODEL_ID), "alice", SECRET,
        base_url=f"http://127.0.0.1:{unused_port}", timeout=2.0,
    )  # fmt: skip
    with pytest.raises(ModelDownloadException) as info:
        comm.download_model()
    assert isinstance(info.value, APIConnectionError)
    assert info.value.status_code is None
    assert SECRET not in str(info.value)


# ----------------------------------------------------------------------------- upload


def test_upload_model_sends_the_reference_form(api: ContractServer) -> None:
    api.expect("GET", f"/api/trainings/{TRAINING_ID}/", status=200, json_body=TRAINING)
    api.expect("POST", f"/api/models/{MODEL_ID}/", status=201, json_body={"detail": "Model Update Accepted"})
    model = small_model()
    assert make(api).upload_model(model, {"loss": 0.25, "acc": 0.9}, sample_size=600) is True
    request = api.requests[1]
    assert "boundary=+++" not in request.headers["Content-Type"]
    fields, uploads = form_of(request)
    assert fields == {
        "round": ["0"],
        "sample_size": ["600"],
        "metric_names": ["loss", "acc"],
        "metric_values": ["0.25", "0.9"],
        "owner": [CLIENT_ID],
    }
    name, data = uploads["model_file"]
    assert name  # the server ignores it, but multipart parsers need a file name to see a file
    assert same_parameters(torch.load(__import__("io").BytesIO(data), weights_only=False), model)


def test_upload_goes_to_the_global_model_in_daisy_chain_rounds(api: ContractServer) -> None:
    # the notification named a LOCAL model; uploads must go to the training's global model
    api.expect("GET", f"/api/trainings/{TRAINING_ID}/", status=200, json_body=TRAINING)
    api.expect("POST", f"/api/models/{MODEL_ID}/", status=201, json_body={"detail": "Model Update Accepted"})
    comm = Communication.from_user_password(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 1, UUID(OTHER_MODEL_ID), "alice", SECRET,
        base_url=api.url, global_model_id=UUID(MODEL_ID),
    )  # fmt: skip
    assert comm.upload_model(small_model(), {}, sample_size=1) is True
    fields, _ = form_of(api.requests[1])
    assert fields["round"] == ["1"] and "metric_names" not in fields


def test_each_upload_first_reads_the_training(api: ContractServer) -> None:
    # the training names the global model (the upload target) and counts the stored uploads,
    # the baseline that tells a lost answer from a lost upload (see test_resilience)
    for _ in range(2):
        api.expect("GET", f"/api/trainings/{TRAINING_ID}/", status=200, json_body=TRAINING)
        api.expect(
            "POST", f"/api/models/{MODEL_ID}/", status=201, json_body={"detail": "Model Update Accepted"}
        )
    comm = Communication.from_user_password(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(OTHER_MODEL_ID), "alice", SECRET, base_url=api.url
    )
    comm.upload_model(small_model(), {}, 1)
    comm.upload_model(small_model(), {}, 1)
    assert comm.global_model_id == UUID(MODEL_ID)
    assert [r.method for r in api.requests] == ["GET", "POST", "GET", "POST"]


@pytest.mark.parametrize(
    ("status", "body", "cause", "message"),
    [
        (400, ["Training with ID x is not currently in round 0"], BadRequestError,
         "Training with ID x is not currently in round 0"),
        (403, {"detail": f"You are not a participant of training {TRAINING_ID}!"}, PermissionDeniedError,
         f"You are not a participant of training {TRAINING_ID}!"),
        (404, {"detail": f"Model with ID {MODEL_ID} does not have a training process running"}, NotFoundError,
         f"Model with ID {MODEL_ID} does not have a training process running"),
        (400, {"detail": f"GlobalModel {MODEL_ID} not found."}, NotFoundError, f"GlobalModel {MODEL_ID} not found."),
    ],
)  # fmt: skip
def test_upload_errors_carry_the_server_message(
    api: ContractServer, status: int, body: object, cause: type[Exception], message: str
) -> None:
    api.expect("GET", f"/api/trainings/{TRAINING_ID}/", status=200, json_body=TRAINING)
    api.expect("POST", f"/api/models/{MODEL_ID}/", status=status, json_body=body)
    with pytest.raises(ModelUploadException) as info:
        make(api, global_model_id=UUID(MODEL_ID)).upload_model(small_model(), {"a": 1}, 3)
    assert isinstance(info.value, cause)
    assert info.value.server_message == message
    assert info.value.status_code == status


def test_upload_of_an_unpicklable_model_is_an_upload_error(api: ContractServer) -> None:
    with pytest.raises(ModelUploadException, match="cannot serialise"):
        make(api, global_model_id=UUID(MODEL_ID)).upload_model(lambda: None, {}, 1)
    assert api.requests == []  # it fails before any request


# ----------------------------------------------------------------------------- metrics


def test_upload_metrics_sends_repeated_form_fields(api: ContractServer) -> None:
    api.expect("POST", f"/api/models/{MODEL_ID}/metrics/", status=201,
               json_body={"detail": "Model Metrics Upload Accepted", "model_id": MODEL_ID})  # fmt: skip
    assert make(api).upload_metrics({"accuracy": 0.75, "note": "hello"}) is True
    request = api.requests[0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form.getlist("metric_names") == ["accuracy", "note"]
    assert request.form.getlist("metric_values") == ["0.75", "hello"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"detail": "Metric names or values are missing"}, "Metric names or values are missing"),
        ({"metric_names": ["Ensure this field has no more than 32 characters."]},
         "metric_names: Ensure this field has no more than 32 characters."),
        ({"clients": {"0": ["Not a valid UUID."]}}, "clients.0: Not a valid UUID."),
    ],
)  # fmt: skip
def test_upload_metrics_errors(api: ContractServer, body: object, message: str) -> None:
    api.expect("POST", f"/api/models/{MODEL_ID}/metrics/", status=400, json_body=body)
    with pytest.raises(MetricsUploadException) as info:
        make(api).upload_metrics({"a": 1})
    assert isinstance(info.value, BadRequestError)
    assert info.value.server_message == message


# ----------------------------------------------------------------------------- pack / unpack


def test_pack_and_unpack_round_trip() -> None:
    comm = Communication(UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(MODEL_ID), BASIC)
    model = small_model()
    assert same_parameters(comm.unpack_model(comm.pack_model(model)), model)
    scripted = torch.jit.script(model)
    assert is_torchscript_instance(comm.unpack_model(comm.pack_model(scripted)))
    assert not is_torchscript_instance(model)


# ----------------------------------------------------------------------------- notification handlers


@pytest.fixture
def script_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    record = tmp_path / "record.json"
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.setenv("FL_DEMONSTRATOR_TRAINING_SCRIPT_EXECUTOR", sys.executable)
    monkeypatch.setenv(
        "FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH", str(Path(__file__).parent / "fixtures" / "record_argv.py")
    )
    monkeypatch.setenv("FL_DEMONSTRATOR_TRAINING_WORKING_DIRETORY", str(workdir))
    monkeypatch.setenv("RECORD_TO", str(record))
    return record


@pytest.mark.slow
@pytest.mark.parametrize(("method", "action"), [("start_training", "train"), ("start_testing", "test")])
def test_start_methods_run_the_script_with_the_reference_argv(
    script_settings: Path, method: str, action: str
) -> None:
    from fl_client.participant.handlers import _BACKGROUND

    getattr(Communication, method)(UUID(TRAINING_ID), 4, UUID(MODEL_ID))
    wait_for(script_settings.exists)
    assert _BACKGROUND[-1].wait(timeout=10) == 0
    record = json.loads(script_settings.read_text())
    assert record["argv"] == [action, "--training-id", TRAINING_ID, "--round", "4", "--model-id", MODEL_ID]
    assert Path(record["cwd"]).name == "work"


def test_script_command_is_the_full_argv(script_settings: Path) -> None:
    argv = Communication.script_command("train", UUID(TRAINING_ID), 1, UUID(MODEL_ID))
    assert argv[0] == sys.executable and argv[1].endswith("record_argv.py")
    assert argv[2:] == ["train", "--training-id", TRAINING_ID, "--round", "1", "--model-id", MODEL_ID]


def test_script_command_without_a_script_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from fl_client.exceptions import ConfigurationError

    monkeypatch.delenv("FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH", raising=False)
    with pytest.raises(ConfigurationError, match="FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH"):
        Communication.script_command("train", UUID(TRAINING_ID), 1, UUID(MODEL_ID), settings=Settings())


def test_lifecycle_handlers(capsys: pytest.CaptureFixture[str]) -> None:
    Communication.init_training(UUID(TRAINING_ID), UUID(MODEL_ID))
    Communication.end_training(UUID(TRAINING_ID), UUID(MODEL_ID))
    out = capsys.readouterr().out
    assert "Training is initialized." in out and "Training is finished." in out
    assert Communication.unknown_message("SOMETHING", UUID(TRAINING_ID), {"x": 1}) == 400


# ----------------------------------------------------------------------------- SWAG statistics


def test_upload_swag_sends_both_moments(api: ContractServer) -> None:
    api.expect(
        "POST", f"/api/models/{MODEL_ID}/swag/", status=201, json_body={"detail": "SWAG Statistic Accepted"}
    )
    first, second = torch.arange(26, dtype=torch.float32), torch.ones(26)
    assert make(api).upload_swag(first, second, sample_size=12) is True
    fields, uploads = form_of(api.requests[0])
    assert fields == {"round": ["0"], "sample_size": ["12"]}
    assert torch.equal(torch.load(__import__("io").BytesIO(uploads["first_moment_file"][1])), first)
    assert torch.equal(torch.load(__import__("io").BytesIO(uploads["second_moment_file"][1])), second)


def test_upload_swag_error_carries_the_servers_text(api: ContractServer) -> None:
    from fl_client.exceptions import SwagUploadException

    text = f"[ErrorDetail(string='Training with ID {TRAINING_ID} is in state O', code='invalid')]"
    api.expect("POST", f"/api/models/{MODEL_ID}/swag/", status=500, json_body={"detail": text})
    with pytest.raises(SwagUploadException) as info:
        make(api).upload_swag(torch.zeros(2), torch.zeros(2), 1)
    assert isinstance(info.value, InternalServerError) and info.value.server_message == text


# ----------------------------------------------------------------------------- reference extension points


def test_get_headers_override_is_sent_with_every_request(api: ContractServer) -> None:
    class Tagged(Communication):
        def get_headers(self) -> dict[str, str]:
            return {**super().get_headers(), "X-Site": "plant-7"}

    api.expect("GET", f"/api/models/{MODEL_ID}/", status=200, body=torch_bytes(small_model()),
               content_type="application/octet-stream")  # fmt: skip
    api.expect("POST", f"/api/models/{MODEL_ID}/metrics/", status=201,
               json_body={"detail": "Model Metrics Upload Accepted", "model_id": MODEL_ID})  # fmt: skip
    comm = Tagged.from_user_password(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(MODEL_ID), "alice", SECRET, base_url=api.url
    )
    comm.download_model()
    comm.upload_metrics({"acc": 1})
    assert [r.headers.get("X-Site") for r in api.requests] == ["plant-7", "plant-7"]
    assert all(r.headers["Authorization"] == BASIC for r in api.requests)
    assert SECRET not in repr(comm.api.get_httpx_client().auth)


def test_upload_metrics_takes_a_per_call_timeout() -> None:
    import socket
    import threading

    from fl_client.exceptions import APITimeoutError

    with socket.socket() as listener:  # accepts, reads, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        release = threading.Event()

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                release.wait(30)

        threading.Thread(target=serve, daemon=True).start()
        comm = Communication.from_user_password(
            UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(MODEL_ID), "alice", SECRET,
            base_url=f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=60, max_retries=0,
        )  # fmt: skip
        try:
            with pytest.raises(MetricsUploadException) as info:
                comm.upload_metrics({"acc": 1}, timeout=0.3)
        finally:
            release.set()
    assert isinstance(info.value, APITimeoutError)
