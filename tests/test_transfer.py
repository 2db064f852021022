"""Streaming transfer at 32 MB: integrity, temporary files, truncated and oversized bodies, multipart."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import torch
from fl_demonstrator_api.models import LocalModelUpload
from fl_demonstrator_api.types import File
from support.contract_server import ContractServer, expect_training
from support.models import same_parameters
from support.multipart import parse_form
from support.participant import communication
from support.rawserver import raw_server
from support.values import BASIC, CLIENT_ID, MODEL_ID, MODEL_PATH, SECRET, TRAINING_ID

from fl_client import Communication, create_client
from fl_client._core import transfer
from fl_client.exceptions import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    ModelDownloadException,
    ModelSerializationError,
    ModelUploadException,
    NotFoundError,
)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def big_model() -> torch.nn.Module:
    """32 MiB of float32 parameters (plus a small bias)."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2048, 4096), torch.nn.ReLU())


@pytest.fixture(scope="module")
def big_blob(big_model: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save(big_model, buffer)
    return buffer.getvalue()


def _sent_file(request: Any) -> bytes:
    return parse_form(request.get_data(), request.headers["Content-Type"])[1]["model_file"][1]


@pytest.fixture
def no_torch_load(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any call of torch's loaders (an incomplete body must never reach them)."""
    calls: list[str] = []

    def spy(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} must not run")

        return record

    monkeypatch.setattr(torch, "load", spy("torch.load"))
    monkeypatch.setattr(torch.jit, "load", spy("torch.jit.load"))
    return calls


# ---------------------------------------------------------------------------------------------
# Download


def test_download_to_file_keeps_every_byte_and_reports_progress(
    api: ContractServer, tmp_path: Path, big_blob: bytes
) -> None:
    api.expect("GET", MODEL_PATH, status=200, body=big_blob, content_type="application/octet-stream")
    seen: list[tuple[int, int | None]] = []
    http = create_client(base_url=api.url, authorization=BASIC).get_httpx_client()

    file = transfer.download_to_file(
        http, MODEL_PATH, tmp_path / "model.pt", progress=lambda d, t: seen.append((d, t))
    )

    assert file.read_bytes() == big_blob
    assert seen[0] == (0, len(big_blob)) and seen[-1] == (len(big_blob), len(big_blob))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert api.requests[0].headers["Accept-Encoding"] == "identity"


def test_download_model_round_trips_tensors_and_leaves_no_file(
    api: ContractServer, tmp_path: Path, big_model: torch.nn.Module, big_blob: bytes
) -> None:
    api.expect("GET", MODEL_PATH, status=200, body=big_blob, content_type="application/octet-stream")
    with communication(api.url, tmp_path) as comm:
        loaded = comm.download_model()
    assert isinstance(loaded, torch.nn.Sequential)
    assert same_parameters(loaded, big_model)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_downloaded_model_can_be_trained_in_place(
    api: ContractServer, tmp_path: Path, big_model: torch.nn.Module, big_blob: bytes
) -> None:
    # the tensors are a shared mapping of the (removed) temporary file: writing them must just work
    api.expect("GET", MODEL_PATH, status=200, body=big_blob, content_type="application/octet-stream")
    with communication(api.url, tmp_path) as comm:
        loaded = comm.download_model()
    optimizer = torch.optim.SGD(loaded.parameters(), lr=0.5)
    loss = loaded(torch.ones(3, 2048)).sum()
    loss.backward()
    optimizer.step()
    weight, original = loaded[0].weight, big_model[0].weight
    assert torch.allclose(weight, original - 0.5 * weight.grad)
    assert not torch.equal(weight, original)
    assert list(tmp_path.iterdir()) == []


def test_download_onto_map_location(api: ContractServer, tmp_path: Path, big_blob: bytes) -> None:
    api.expect("GET", MODEL_PATH, status=200, body=big_blob, content_type="application/octet-stream")
    seen: list[str] = []

    def location(storage: Any, where: str) -> Any:
        seen.append(where)
        return storage

    with communication(api.url, tmp_path, map_location=location) as comm:
        loaded = comm.download_model()
    assert seen and all(where == "cpu" for where in seen)
    assert all(p.device.type == "cpu" for p in loaded.parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_download_straight_to_cuda_and_upload_from_cuda(
    api: ContractServer, tmp_path: Path, big_model: torch.nn.Module, big_blob: bytes
) -> None:
    api.expect("GET", MODEL_PATH, status=200, body=big_blob, content_type="application/octet-stream")
    expect_training(api)
    api.expect("POST", MODEL_PATH, status=201, json_body={"detail": "Model Update Accepted"})
    with communication(api.url, tmp_path, map_location="cuda") as comm:
        loaded = comm.download_model()
        assert all(p.device.type == "cuda" for p in loaded.parameters())
        assert comm.upload_model(loaded, {}, 1)
    uploaded = _sent_file(api.requests[1])
    back = torch.load(io.BytesIO(uploaded), weights_only=False, map_location="cpu")
    assert same_parameters(back, big_model)


@pytest.mark.slow
def test_truncated_body_is_rejected_before_torch_sees_it(
    tmp_path: Path, big_blob: bytes, no_torch_load: list[str]
) -> None:
    with (
        raw_server(big_blob[: len(big_blob) // 2], content_length=len(big_blob)) as server,
        communication(server.url, tmp_path) as comm,
        pytest.raises(ModelDownloadException) as info,
    ):
        comm.download_model()
    assert isinstance(info.value, APIConnectionError)
    assert list(tmp_path.iterdir()) == []
    assert no_torch_load == []


def test_oversized_body_cut_at_its_content_length_is_rejected_before_torch(
    tmp_path: Path, big_blob: bytes, no_torch_load: list[str]
) -> None:
    # the server declares fewer bytes than the model has: HTTP delivers the declared bytes only
    with (
        raw_server(big_blob, content_length=len(big_blob) - 1000) as server,
        communication(server.url, tmp_path) as comm,
        pytest.raises(ModelDownloadException) as info,
    ):
        comm.download_model()
    assert isinstance(info.value, ModelSerializationError)
    assert "incomplete zip archive" in str(info.value)
    assert list(tmp_path.iterdir()) == []
    assert no_torch_load == []


def test_body_shorter_than_content_length_is_caught_without_http11_framing(tmp_path: Path) -> None:
    # a transport that does not enforce Content-Length itself (here: a mock) still gets checked
    def short(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "100"}, stream=httpx.ByteStream(b"x" * 60))

    http = httpx.Client(transport=httpx.MockTransport(short), base_url="http://server")
    with pytest.raises(APIConnectionError, match="received 60 of 100 bytes"):
        transfer.download_to_file(http, MODEL_PATH, temp_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_stalled_body_times_out_and_leaves_nothing(
    tmp_path: Path, big_blob: bytes, no_torch_load: list[str]
) -> None:
    with (
        raw_server(big_blob[:MB], content_length=len(big_blob), hold=True) as server,
        communication(server.url, tmp_path, timeout=0.5) as comm,
        pytest.raises(ModelDownloadException) as info,
    ):
        comm.download_model()
    assert isinstance(info.value, APITimeoutError)
    assert list(tmp_path.iterdir()) == []
    assert no_torch_load == []


def test_download_error_status_is_typed_and_leaves_nothing(api: ContractServer, tmp_path: Path) -> None:
    api.expect("GET", MODEL_PATH, status=400, json_body={"detail": f"Model {MODEL_ID} not found."})
    with communication(api.url, tmp_path) as comm, pytest.raises(ModelDownloadException) as info:
        comm.download_model()
    assert isinstance(info.value, NotFoundError)
    assert info.value.status_code == 400
    assert list(tmp_path.iterdir()) == []


def test_empty_model_body_is_a_typed_error(tmp_path: Path) -> None:
    # what the server answers for a MEAN model (the contract's binary schema cannot say "empty")
    with (
        raw_server(b"") as server,
        communication(server.url, tmp_path) as comm,
        pytest.raises(ModelDownloadException) as info,
    ):
        comm.download_model()
    assert isinstance(info.value, ModelSerializationError)
    assert "empty" in str(info.value)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Upload


@pytest.mark.slow
def test_upload_streams_the_contracts_multipart_body(
    api: ContractServer, tmp_path: Path, big_model: torch.nn.Module
) -> None:
    expect_training(api)
    api.expect("POST", MODEL_PATH, status=201, json_body={"detail": "Model Update Accepted"})
    seen: list[tuple[int, int | None]] = []
    with communication(api.url, tmp_path, progress=lambda d, t: seen.append((d, t))) as comm:
        assert comm.upload_model(big_model, {"loss": 0.25, "accuracy": 0.9}, 600) is True

    request = api.requests[1]
    assert "chunked" not in request.headers.get("Transfer-Encoding", "")
    length = int(request.headers["Content-Length"])
    assert len(request.get_data()) == length
    boundary = request.mimetype_params["boundary"]
    assert re.fullmatch(r"[0-9a-f]{32}", boundary)
    form, files = parse_form(request.get_data(), request.headers["Content-Type"])
    assert form["owner"] == CLIENT_ID
    assert form["round"] == "3" and form["sample_size"] == "600"
    assert form.getlist("metric_names") == ["loss", "accuracy"]
    assert form.getlist("metric_values") == ["0.25", "0.9"]
    filename, content = files["model_file"]
    assert filename == "model.pt"
    assert same_parameters(torch.load(io.BytesIO(content), weights_only=False), big_model)
    assert seen[-1] == (length, length)
    assert list(tmp_path.iterdir()) == []
    assert SECRET not in request.get_data(as_text=False).decode("latin-1")


def test_every_body_gets_its_own_random_boundary(tmp_path: Path) -> None:
    file = tmp_path / "m.pt"
    file.write_bytes(b"+++ model bytes")
    first, second = (
        transfer.MultipartFileBody([("round", "1")], file_field="model_file", file_path=file)
        for _ in range(2)
    )
    assert first.boundary != second.boundary
    assert "+++" not in first.boundary


def test_a_body_can_be_sent_again_from_the_same_file(tmp_path: Path) -> None:
    file = tmp_path / "m.pt"
    file.write_bytes(bytes(range(256)) * 5000)
    body = transfer.MultipartFileBody(
        [("round", "1"), ("metric_names", 'a "quoted"\nname')],
        file_field="model_file",
        file_path=file,
        chunk_size=4096,
    )
    once, twice = b"".join(body), b"".join(body)
    assert once == twice
    assert len(once) == body.content_length
    form, files = parse_form(once, body.content_type)
    assert form["metric_names"] == 'a "quoted"\nname'
    assert files["model_file"] == ("model.pt", file.read_bytes())


def test_upload_error_status_is_typed_and_removes_the_temporary_file(
    api: ContractServer, tmp_path: Path
) -> None:
    detail = f"Training with ID {TRAINING_ID} is not currently in round 3"
    expect_training(api)
    api.expect("POST", MODEL_PATH, status=400, json_body=[detail])
    with communication(api.url, tmp_path) as comm, pytest.raises(ModelUploadException) as info:
        comm.upload_model(torch.nn.Linear(4, 4), {"loss": 1.0}, 10)
    assert isinstance(info.value, BadRequestError)
    assert detail in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_upload_without_a_server_is_typed_and_removes_the_temporary_file(
    tmp_path: Path, big_model: torch.nn.Module
) -> None:
    with raw_server(b"") as server:
        url = server.url
    # the port is closed now: connecting is refused
    with communication(url, tmp_path) as comm, pytest.raises(ModelUploadException) as info:
        comm.upload_model(big_model, {}, 10)
    assert isinstance(info.value, APIConnectionError)
    assert SECRET not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_model_that_cannot_be_saved_is_typed_and_removes_the_temporary_file(tmp_path: Path) -> None:
    with communication("http://127.0.0.1:9", tmp_path) as comm, pytest.raises(ModelUploadException) as info:
        comm.upload_model(lambda: None, {}, 10)
    assert isinstance(info.value, ModelSerializationError)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Re-running attempts (what the retry policy of fl_client._core.retry builds on)


def _twice(attempt: Any) -> Any:
    """A stand-in retry policy: one failed attempt, then one more."""
    with pytest.raises(InternalServerError):
        attempt()
    return attempt()


@pytest.mark.slow
def test_an_upload_attempt_resends_the_same_body_from_the_same_file(
    api: ContractServer, tmp_path: Path, big_model: torch.nn.Module
) -> None:
    api.expect("POST", MODEL_PATH, status=500, json_body={"error": "Server Error (500)"})
    api.expect("POST", MODEL_PATH, status=201, json_body={"detail": "Model Update Accepted"})
    http = create_client(base_url=api.url, authorization=BASIC).get_httpx_client()
    form = LocalModelUpload(
        model_file=File(payload=io.BytesIO(), file_name="model.pt"), round_=3, sample_size=60
    )
    parts = form.to_multipart()

    # TorchScript takes the staged path (a streamed model is saved again: tests/test_upload_stream.py)
    scripted = torch.jit.script(big_model)
    response = transfer.upload_model(http, MODEL_PATH, scripted, parts, temp_dir=tmp_path, retry=_twice)

    assert response.status_code == 201
    first, second = (request.get_data() for request in api.requests)
    assert first == second  # same boundary, same bytes: the file was not serialised twice
    assert list(tmp_path.iterdir()) == []


def test_a_download_attempt_starts_over_and_leaves_no_failed_file(
    api: ContractServer, tmp_path: Path, big_model: torch.nn.Module, big_blob: bytes
) -> None:
    api.expect("GET", MODEL_PATH, status=500, json_body={"error": "Server Error (500)"})
    api.expect("GET", MODEL_PATH, status=200, body=big_blob, content_type="application/octet-stream")
    http = create_client(base_url=api.url, authorization=BASIC).get_httpx_client()

    loaded = transfer.download_model(http, MODEL_PATH, temp_dir=tmp_path, retry=_twice)

    assert same_parameters(loaded, big_model)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Subclasses, staging, imports


def test_subclass_pack_and_unpack_overrides_are_honoured(api: ContractServer, tmp_path: Path) -> None:
    class BytesCommunication(Communication):
        def pack_model(self, model: Any) -> bytes:
            return b"packed:" + str(model).encode()

        def unpack_model(self, blob: bytes) -> Any:
            return blob.decode()

    api.expect("GET", MODEL_PATH, status=200, body=b"stored model", content_type="application/octet-stream")
    expect_training(api)
    api.expect("POST", MODEL_PATH, status=201, json_body={"detail": "Model Update Accepted"})
    comm = BytesCommunication(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 3, UUID(MODEL_ID), BASIC, global_model_id=UUID(MODEL_ID),
        base_url=api.url, temp_dir=tmp_path,
    )  # fmt: skip
    with comm:
        assert comm.download_model() == "stored model"
        assert comm.upload_model("net", {}, 1)
    assert _sent_file(api.requests[2]) == b"packed:net"
    assert list(tmp_path.iterdir()) == []


def test_staging_directory_prefers_what_the_user_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert transfer.staging_directory(10, tmp_path) == tmp_path
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert transfer.staging_directory(10) is None  # Python's temporary directory, i.e. TMPDIR
    monkeypatch.delenv("TMPDIR")
    assert transfer.staging_directory(None) is None  # size unknown: the temporary directory


@pytest.mark.skipif(sys.platform != "linux", reason="RAM staging is Linux only")
def test_staging_in_ram_only_when_it_has_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(transfer, "RAM_STAGING_DIR", "/nonexistent-fl-client")
    assert transfer.staging_directory(10) is None
    monkeypatch.setattr(transfer, "_available_memory", lambda: 0)
    monkeypatch.setattr(transfer, "RAM_STAGING_DIR", "/dev/shm")
    assert transfer.staging_directory(10) is None
    monkeypatch.setattr(transfer, "_available_memory", lambda: 1 << 62)
    free = Path("/dev/shm").exists() and transfer.staging_directory(10)
    assert free in {"/dev/shm", None, False}
    assert transfer.staging_directory(1 << 61) is None  # far more than /dev/shm holds


@pytest.mark.slow
def test_importing_the_transfer_code_does_not_import_torch() -> None:
    code = (
        "import sys, fl_client, fl_client._core.transfer, fl_client.progress; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
