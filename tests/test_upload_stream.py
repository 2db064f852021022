"""Zero-copy upload: torch.save's output streamed into the request with an exact Content-Length.

The bytes the server receives are the very bytes ``torch.save`` writes (loadable with plain
``torch.load``); nothing is staged in a file, except for what the fast path does not take
(TorchScript, a subclass's ``pack_model``), which keeps the temporary-file path.
"""

from __future__ import annotations

import io
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
from fl_demonstrator_api.models import LocalModelUpload
from fl_demonstrator_api.types import File
from support.contract_server import ContractServer, expect_training
from support.models import same_parameters
from support.multipart import parse_form
from support.participant import communication
from support.values import BASIC, CLIENT_ID, MODEL_PATH

from fl_client import create_client
from fl_client._core import transfer
from fl_client.exceptions import APIError, InternalServerError, ModelSerializationError

SAVE_THREAD = "fl-client-upload-save"


@pytest.fixture
def no_staging(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail any temporary file creation (where the staged path would put the model)."""
    calls: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        calls.append("mkstemp")
        raise AssertionError("the model must not be staged in a file")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    return calls


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record temporary file creation."""
    calls: list[str] = []
    real = tempfile.mkstemp

    def record(*args: Any, **kwargs: Any) -> Any:
        calls.append("mkstemp")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", record)
    return calls


def _saved(model: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(model, buffer)
    return buffer.getvalue()


def _parts() -> Any:
    form = LocalModelUpload(
        model_file=File(payload=io.BytesIO(), file_name="model.pt"), round_=3, sample_size=60, owner=CLIENT_ID
    )
    return form.to_multipart()


def test_the_server_receives_exactly_torch_saves_bytes_with_exact_length_and_nothing_staged(
    api: ContractServer, tmp_path: Path, no_staging: list[str]
) -> None:
    torch.manual_seed(1)
    # several storages, one shared by two tensors, and a tail smaller than a chunk
    model = torch.nn.Sequential(torch.nn.Linear(700, 900), torch.nn.ReLU(), torch.nn.Linear(900, 3))
    state = {**model.state_dict(), "tied": model[0].weight, "view": model[0].weight[1:5]}
    expect_training(api)
    api.expect("POST", MODEL_PATH, status=201, json_body={"detail": "Model Update Accepted"})
    seen: list[tuple[int, int | None]] = []
    with communication(api.url, tmp_path, progress=lambda d, t: seen.append((d, t))) as comm:
        assert comm.upload_model(state, {"loss": 0.5}, 60) is True

    request = api.requests[1]
    assert "Transfer-Encoding" not in request.headers
    length = int(request.headers["Content-Length"])
    assert len(request.get_data()) == length
    form, files = parse_form(request.get_data(), request.headers["Content-Type"])
    assert form["round"] == "3" and form["sample_size"] == "60"
    received = files["model_file"][1]
    assert received == _saved(state)
    loaded = torch.load(io.BytesIO(received), weights_only=True)  # plain torch.load, safe mode
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    assert loaded["tied"].untyped_storage().data_ptr() == loaded["0.weight"].untyped_storage().data_ptr()
    assert seen[0] == (0, length) and seen[-1] == (length, length)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert no_staging == []
    assert list(tmp_path.iterdir()) == []


def test_a_whole_module_streams_and_loads_with_torch_load(
    api: ContractServer, tmp_path: Path, no_staging: list[str]
) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh())
    expect_training(api)
    api.expect("POST", MODEL_PATH, status=201, json_body={"detail": "Model Update Accepted"})
    with communication(api.url, tmp_path) as comm:
        assert comm.upload_model(model, {}, 1)
    received = parse_form(api.requests[1].get_data(), api.requests[1].headers["Content-Type"])[1][
        "model_file"
    ][1]
    assert same_parameters(torch.load(io.BytesIO(received), weights_only=False), model)


def test_torchscript_falls_back_to_a_staged_file_that_is_removed(
    api: ContractServer, tmp_path: Path, staged: list[str]
) -> None:
    model = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(8, 4)))
    expect_training(api)
    api.expect("POST", MODEL_PATH, status=201, json_body={"detail": "Model Update Accepted"})
    with communication(api.url, tmp_path) as comm:
        assert comm.upload_model(model, {}, 1)
    request = api.requests[1]
    received = parse_form(request.get_data(), request.headers["Content-Type"])[1]["model_file"][1]
    assert len(request.get_data()) == int(request.headers["Content-Length"])
    loaded = torch.jit.load(io.BytesIO(received))
    assert same_parameters(loaded, model)
    assert staged == ["mkstemp"]
    assert list(tmp_path.iterdir()) == []


def _twice(attempt: Any) -> Any:
    with pytest.raises(InternalServerError):
        attempt()
    return attempt()


def test_a_retried_attempt_saves_again_and_sends_identical_bytes(
    api: ContractServer, tmp_path: Path, no_staging: list[str]
) -> None:
    api.expect("POST", MODEL_PATH, status=500, json_body={"error": "Server Error (500)"})
    api.expect("POST", MODEL_PATH, status=201, json_body={"detail": "Model Update Accepted"})
    http = create_client(base_url=api.url, authorization=BASIC).get_httpx_client()
    model = torch.nn.Linear(300, 300)
    response = transfer.upload_model(http, MODEL_PATH, model, _parts(), retry=_twice)
    assert response is not None and response.status_code == 201
    first, second = (request.get_data() for request in api.requests)
    assert first == second
    resent = parse_form(second, api.requests[1].headers["Content-Type"])[1]["model_file"][1]
    assert same_parameters(torch.load(io.BytesIO(resent), weights_only=False), model)


# ---------------------------------------------------------------------------------------------
# A model whose serialisation changes between the counting and the sending pass


class _Changing:
    """Pickles to a different length each time (e.g. a model mutated while it uploads)."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.calls = 0

    def __reduce__(self) -> Any:
        self.calls += 1
        return (bytes, (b"x" * (1000 + self.step * self.calls),))


@dataclass
class _Sink:
    """Accepts one request, reads its body up to its Content-Length (or EOF), answers 201."""

    sock: socket.socket
    declared: list[int] = field(default_factory=list)
    received: list[int] = field(default_factory=list)

    def serve(self) -> None:
        with suppress(OSError):
            conn, _ = self.sock.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                self.declared.append(length)
                got = len(body)
                while got < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
                self.received.append(got)
                if got == length:
                    conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")


@contextmanager
def _sink() -> Iterator[_Sink]:
    server = _Sink(socket.create_server(("127.0.0.1", 0)))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        with suppress(OSError):
            server.sock.shutdown(socket.SHUT_RDWR)
        server.sock.close()
        thread.join(5)


@pytest.mark.parametrize("step", [500, -500], ids=["grows", "shrinks"])
def test_a_model_that_changes_while_uploading_never_arrives_complete(
    step: int, no_staging: list[str]
) -> None:
    with _sink() as server:
        host, port = server.sock.getsockname()[:2]
        http = create_client(base_url=f"http://{host}:{port}", authorization=BASIC).get_httpx_client()
        with pytest.raises(ModelSerializationError, match="changed while being uploaded"):
            transfer.upload_model(
                http, MODEL_PATH, {"weights": torch.ones(3), "extra": _Changing(step)}, _parts()
            )
        http.close()
    assert len(server.received) == 1 and server.received[0] < server.declared[0]
    assert not any(t.name == SAVE_THREAD for t in threading.enumerate())


def test_a_server_that_answers_early_stops_the_saving_thread(no_staging: list[str]) -> None:
    """An error answer before the body is read (e.g. 413) must not leave torch.save blocked."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_at_once() -> None:
        with suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 17\r\nConnection: close\r\n\r\n{"detail": "big"}'
                )

    thread = threading.Thread(target=answer_at_once, daemon=True)
    thread.start()
    host, port = listener.getsockname()[:2]
    http = create_client(base_url=f"http://{host}:{port}", authorization=BASIC).get_httpx_client()
    model = torch.nn.Linear(2048, 2048)  # 16 MiB: far more than the socket buffers take
    try:
        with pytest.raises(APIError):  # a broken pipe or the 413: either ends the call
            transfer.upload_model(http, MODEL_PATH, model, _parts())
    finally:
        http.close()
        listener.close()
        thread.join(5)
    assert not any(t.name == SAVE_THREAD for t in threading.enumerate())
