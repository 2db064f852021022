"""The size a server can store: uploads over the limit are refused before a byte is sent.

A real 1.0.1 server stores a model file of just under 256 MiB (PostgreSQL's limit) and answers a
larger one with 500 after the whole body arrived. Every upload path refuses it first, with
`ModelTooLargeError` naming the size and the limit; the emulator refuses what it cannot store
with the server's own answer. The limits here are small so that tiny models cross them.
"""

from __future__ import annotations

import asyncio
import io
import pickle
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import torch

import fl_client
from fl_client import (
    AsyncFLClient,
    Communication,
    ExitCode,
    FLClient,
    InternalServerError,
    ModelTooLargeError,
    ModelUploadException,
    Settings,
    check_model_size,
)
from fl_client.cli import main
from fl_client.defaults import SERVER_MAX_MODEL_BYTES
from fl_client.exceptions import ConfigurationError
from fl_client.testing import EmulatedUser, FLEmulator
from fl_client.testing._server import Exchange

MEASURED_STORED = 268_422_833  # bytes; 201 on the real server
MEASURED_REFUSED = 268_438_911  # bytes; 500 {"error": "Server Error (500)"}


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def _file_bytes(module: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buffer)
    return buffer.getvalue()


class Recorder:
    """Every request the emulator answers from now on (and none from before)."""

    def __init__(self, server: FLEmulator) -> None:
        self.exchanges: list[Exchange] = []
        self._changed = threading.Condition()
        server.add_observer(self._record)
        # The emulator reports an exchange after answering it, so the last request of the set-up
        # may be reported late. One more request on the helpers' connection is reported after it:
        # once that one is seen, every earlier one was, and all are forgotten.
        sentinel = f"recorder-{uuid.uuid4().hex[:12]}"
        server.create_user(sentinel)
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(sentinel.encode() in e.request_body for e in self.exchanges), timeout=30
            )
            self.exchanges.clear()

    def _record(self, exchange: Exchange) -> None:
        with self._changed:
            self.exchanges.append(exchange)
            self._changed.notify_all()

    @property
    def requests(self) -> list[str]:
        with self._changed:
            return [f"{e.method} {e.url}" for e in self.exchanges]


@pytest.fixture
def server() -> Iterator[FLEmulator]:
    with FLEmulator(notification_retries=0, notification_timeout=2.0) as emulator:
        yield emulator


@pytest.fixture
def actor(server: FLEmulator) -> EmulatedUser:
    return server.create_user("actor", actor=True)


@pytest.fixture
def started(server: FLEmulator, actor: EmulatedUser) -> tuple[EmulatedUser, str, str]:
    """A participant, and the global model and id of a training in its round 0."""
    alice = server.create_user("alice", client=True)
    model_id = server.upload_model(actor, _file_bytes(_net()))
    training_id = server.create_training(actor, model_id, [alice])
    server.start_training(actor, training_id)
    return alice, model_id, training_id


def _assert_refused(error: ModelTooLargeError, size: int, limit: int) -> None:
    assert (error.size, error.limit) == (size, limit)
    assert f"the model file is {size:,} bytes, over the limit of {limit:,} bytes" in str(error)
    assert "nothing was sent" in str(error)


# ----------------------------------------------------------------------------- the limit itself


def test_the_default_limit_is_below_what_a_real_server_stored() -> None:
    assert fl_client.DEFAULT_MAX_MODEL_BYTES == 2**28 - 64 * 1024 == Settings().max_model_bytes
    assert fl_client.DEFAULT_MAX_MODEL_BYTES < MEASURED_STORED <= SERVER_MAX_MODEL_BYTES < MEASURED_REFUSED
    assert FLClient(token="0" * 40).max_model_bytes == fl_client.DEFAULT_MAX_MODEL_BYTES


def test_the_check_allows_the_limit_and_refuses_one_byte_more() -> None:
    check_model_size(1000, 1000)
    check_model_size(10**12, 0)  # 0: no limit
    with pytest.raises(ModelTooLargeError) as caught:
        check_model_size(1001, 1000)
    _assert_refused(caught.value, 1001, 1000)
    with pytest.raises(ModelTooLargeError, match="the most a FL Demonstrator server stores"):
        check_model_size(MEASURED_REFUSED)


def test_the_limit_comes_from_the_option_else_the_environment() -> None:
    env = {"FL_CLIENT_MAX_MODEL_BYTES": "1234"}
    assert Settings.from_env(env).max_model_bytes == 1234
    assert FLClient(token="0" * 40, settings=Settings.from_env(env)).max_model_bytes == 1234
    assert FLClient(token="0" * 40, max_model_bytes=99, settings=Settings.from_env(env)).max_model_bytes == 99
    with FLClient(token="0" * 40).with_options(max_model_bytes=0) as unlimited:
        assert unlimited.max_model_bytes == 0
    for bad in ("many", "-1"):
        with pytest.raises(ConfigurationError, match="FL_CLIENT_MAX_MODEL_BYTES"):
            Settings.from_env({"FL_CLIENT_MAX_MODEL_BYTES": bad})
    with pytest.raises(ConfigurationError, match="max_model_bytes must be an integer >= 0"):
        FLClient(token="0" * 40, max_model_bytes=-1)


def test_the_error_pickles_with_its_sizes() -> None:
    error = ModelTooLargeError("too big", size=11, limit=10)
    back = pickle.loads(pickle.dumps(error))
    assert (type(back), back.size, back.limit, str(back)) == (ModelTooLargeError, 11, 10, "too big")
    combined = fl_client.exceptions.operation_error(ModelUploadException, error)
    back = pickle.loads(pickle.dumps(combined))
    assert isinstance(back, ModelUploadException) and isinstance(back, ModelTooLargeError)
    assert (back.size, back.limit) == (11, 10)  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- FLClient, sync and async


@pytest.mark.parametrize("source", ["module", "torchscript", "path", "bytes"])
def test_models_create_refuses_before_sending(
    source: str, server: FLEmulator, actor: EmulatedUser, tmp_path: Path
) -> None:
    net = _net()
    data = _file_bytes(net)
    file = tmp_path / "model.pt"
    file.write_bytes(data)
    model = {"module": net, "torchscript": torch.jit.script(net), "path": file, "bytes": data}[source]
    limit = 100  # every form of this model is larger
    recorder = Recorder(server)
    with (
        FLClient(base_url=server.url, token=actor.token, max_model_bytes=limit) as client,
        pytest.raises(ModelTooLargeError) as caught,
    ):
        client.models.create(model, name="m")
    assert caught.value.size is not None and caught.value.size > limit
    _assert_refused(caught.value, caught.value.size, limit)
    assert recorder.requests == []  # the server received nothing
    if source in {"path", "bytes"}:
        assert caught.value.size == len(data)  # the exact file that would have gone


def test_a_model_at_the_limit_is_sent(server: FLEmulator, actor: EmulatedUser, tmp_path: Path) -> None:
    file = tmp_path / "model.pt"
    file.write_bytes(_file_bytes(_net()))
    with FLClient(base_url=server.url, token=actor.token, max_model_bytes=file.stat().st_size) as client:
        created = client.models.create(file, name="m")
    assert server.model_bytes(str(created.model_id)) == file.read_bytes()


def test_async_create_and_local_upload_refuse_before_sending(
    server: FLEmulator, started: tuple[EmulatedUser, str, str]
) -> None:
    alice, model_id, training_id = started
    recorder = Recorder(server)

    async def run() -> list[ModelTooLargeError]:
        caught = []
        async with AsyncFLClient(base_url=server.url, token=alice.token, max_model_bytes=64) as client:
            for upload in (
                lambda: client.models.create(_net(), name="m"),
                lambda: client.models.upload_local(model_id, _net(), round=0, sample_size=5),
            ):
                with pytest.raises(ModelTooLargeError) as error:
                    await upload()
                caught.append(error.value)
        return caught

    for error in asyncio.run(run()):
        assert error.size is not None
        _assert_refused(error, error.size, 64)
    assert recorder.requests == []
    assert server.training(training_id)["local_models_arrived"] == 0


def test_sync_local_upload_refuses_before_sending(
    server: FLEmulator, started: tuple[EmulatedUser, str, str]
) -> None:
    alice, model_id, training_id = started
    recorder = Recorder(server)
    with (
        FLClient(base_url=server.url, token=alice.token, max_model_bytes=64) as client,
        pytest.raises(ModelTooLargeError),
    ):
        client.models.upload_local(model_id, _net(), round=0, sample_size=5)
    assert recorder.requests == []
    assert server.training(training_id)["local_models_arrived"] == 0


# ----------------------------------------------------------------------------- Communication


@pytest.mark.parametrize("configured", ["argument", "environment"])
def test_communication_upload_model_refuses_before_any_request(
    configured: str, server: FLEmulator, started: tuple[EmulatedUser, str, str]
) -> None:
    alice, model_id, training_id = started
    options: dict[str, object] = (
        {"max_model_bytes": 64}
        if configured == "argument"
        else {"settings": Settings.from_env({"FL_CLIENT_MAX_MODEL_BYTES": "64"})}
    )
    comm = Communication(
        uuid.UUID(alice.id), uuid.UUID(training_id), 0, uuid.UUID(model_id), alice.authorization,
        base_url=server.url, **options,  # type: ignore[arg-type]
    )  # fmt: skip
    recorder = Recorder(server)
    with comm, pytest.raises(ModelUploadException) as caught:
        comm.upload_model(_net(), {"loss": 0.5}, 5)
    error = caught.value
    assert isinstance(error, ModelTooLargeError)  # both: the reference class and the cause
    assert error.limit == 64 and error.size is not None and error.size > 64
    assert recorder.requests == []  # not even the training lookup before an upload
    assert server.training(training_id)["local_models_arrived"] == 0


# ----------------------------------------------------------------------------- fl-client models upload


@pytest.mark.parametrize("configured", ["flag", "environment"])
def test_cli_upload_exits_rejected_with_one_line(
    configured: str,
    server: FLEmulator,
    actor: EmulatedUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = tmp_path / "model.pt"
    file.write_bytes(_file_bytes(_net()))
    size = file.stat().st_size
    monkeypatch.setenv("FL_CLIENT_CONFIG_DIR", str(tmp_path / "config"))
    argv = ["models", "upload", str(file), "--name", "m", "--base-url", server.url, "--token", actor.token]
    if configured == "flag":
        argv += ["--max-model-bytes", "100"]
    else:
        monkeypatch.setenv("FL_CLIENT_MAX_MODEL_BYTES", "100")
    recorder = Recorder(server)
    assert main(argv) == ExitCode.REJECTED == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"fl-client: error: model upload refused: the model file is {size:,} bytes, over the limit of "
        "100 bytes (the configured limit; max_model_bytes, FL_CLIENT_MAX_MODEL_BYTES or --max-model-bytes "
        "change it); nothing was sent"
    ]
    assert recorder.requests == []


def test_cli_limit_0_turns_the_check_off(
    server: FLEmulator, actor: EmulatedUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "model.pt"
    file.write_bytes(_file_bytes(_net()))
    monkeypatch.setenv("FL_CLIENT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("FL_CLIENT_MAX_MODEL_BYTES", "100")
    argv = ["models", "upload", str(file), "--name", "m", "--base-url", server.url, "--token", actor.token]
    assert main([*argv, "--max-model-bytes", "0"]) == 0  # the flag wins over the environment
    assert main([*argv, "--max-model-bytes", "-1"]) == 2  # a usage error


# ----------------------------------------------------------------------------- the emulator


def test_the_emulator_refuses_what_the_server_cannot_store() -> None:
    data = _file_bytes(_net())
    with FLEmulator(max_stored_bytes=len(data) - 1) as small:
        owner = small.create_user("owner")
        with httpx.Client(base_url=small.url, trust_env=False) as raw:  # no proxy to 127.0.0.1
            answer = raw.post(
                "/api/models/",
                headers={"Authorization": owner.authorization},
                data={"name": "m", "description": ""},
                files={"model_file": ("m.pt", data)},
            )
        assert (answer.status_code, answer.json()) == (500, {"error": "Server Error (500)"})
        # through the client, with its own check off: the server's answer, typed
        with FLClient(base_url=small.url, token=owner.token, max_model_bytes=0) as client:
            with pytest.raises(InternalServerError, match="Server Error"):
                client.models.create(data, name="m")
            assert client.models.list() == []  # nothing stored
    with FLEmulator(max_stored_bytes=len(data)) as fits:
        assert fits.upload_model(fits.create_user("owner"), data)  # the ceiling itself is stored


def test_the_emulator_stores_no_local_model_it_cannot() -> None:
    data = _file_bytes(_net())
    with FLEmulator(max_stored_bytes=len(data)) as server:
        actor = server.create_user("actor")
        alice = server.create_user("alice")
        model_id = server.upload_model(actor, data)
        training_id = server.create_training(actor, model_id, [alice])
        server.start_training(actor, training_id)
        bigger = torch.nn.Sequential(torch.nn.Linear(64, 64))
        with (
            FLClient(base_url=server.url, token=alice.token, max_model_bytes=0) as client,
            pytest.raises(InternalServerError),
        ):
            client.models.upload_local(model_id, torch.jit.script(bigger), round=0, sample_size=5)
        assert server.training(training_id)["local_models_arrived"] == 0
