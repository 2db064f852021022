"""The client object itself, sync and async: `from_env`, `with_options`, closing, the retry loop
under it, a model with a preprocessing module, and `create_client`'s async transport."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import torch
from fl_demonstrator_api.api.trainings import get_training
from fl_demonstrator_api.models import Detail, ModelCreated
from support.contract_server import ContractServer
from support.models import small_model, torch_bytes
from support.resources import Api
from support.values import BASIC, MODEL_ID, SECRET, TOKEN, TRAINING, TRAINING_ID

from fl_client import (
    APIConnectionError,
    AsyncFLClient,
    BadRequestError,
    ConfigurationError,
    FLClient,
    InternalServerError,
    create_client,
)
from fl_client._core.retry import RetryPolicy, arun_with_retries
from fl_client.exceptions import APIError, status_error
from fl_client.testing import FLEmulator

URL = "http://fl.test:8000"
START = f"/api/trainings/{TRAINING_ID}/start/"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A mock server: answers each request with the next of ``answers`` (a response, or an
    exception to raise), and records what it saw."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(
            answer.status_code, headers=answer.headers, content=answer.content
        )  # a fresh one

    def transports(self) -> dict[str, Any]:
        """Both transports on this recorder (each mode uses its own)."""
        return {"transport": httpx.MockTransport(self), "async_transport": httpx.MockTransport(self)}


def training_answer() -> httpx.Response:
    return httpx.Response(200, json=TRAINING)


def unavailable() -> httpx.Response:
    return httpx.Response(503, json={"detail": "down for a moment"}, headers={"Retry-After": "0"})


# ---------------------------------------------------------------- from_env


@pytest.mark.parametrize(
    ("variables", "header"),
    [
        ({"FL_CLIENT_TOKEN": TOKEN}, f"Token {TOKEN}"),
        ({"FL_CLIENT_USERNAME": "alice", "FL_CLIENT_PASSWORD": SECRET}, BASIC),
        ({"FL_CLIENT_AUTHORIZATION": f"Token {TOKEN}"}, f"Token {TOKEN}"),
        ({"FL_CLIENT_AUTHORIZATION": BASIC, "FL_CLIENT_TOKEN": TOKEN}, BASIC),  # the ready header wins
        # what a script of fl-client serve sees: the header, and the user name the receiver had
        ({"FL_CLIENT_AUTHORIZATION": f"Token {TOKEN}", "FL_CLIENT_USERNAME": "alice"}, f"Token {TOKEN}"),
    ],
)
def test_from_env_reads_the_base_url_and_each_kind_of_credential(
    clients: Any, client_class: type[FLClient] | type[AsyncFLClient], variables: dict[str, str], header: str
) -> None:
    server = Recorder(training_answer())
    env = {"FL_DEMONSTRATOR_BASE_URL": URL + "/", **variables}
    api: Api = clients(client=client_class.from_env(env, **server.transports()))
    assert api.client.base_url == URL
    assert api("trainings.get", TRAINING_ID).id.hex == TRAINING_ID.replace("-", "")
    (request,) = server.requests
    assert str(request.url) == f"{URL}/api/trainings/{TRAINING_ID}/"
    assert request.headers["Authorization"] == header


def test_from_env_keyword_arguments_win(
    clients: Any, client_class: type[FLClient] | type[AsyncFLClient]
) -> None:
    server = Recorder(training_answer())
    env = {"FL_DEMONSTRATOR_BASE_URL": "http://elsewhere", "FL_CLIENT_TOKEN": "1" * 40}
    client = client_class.from_env(env, base_url=URL, token=TOKEN, max_retries=5, **server.transports())
    api: Api = clients(client=client)
    assert (api.client.base_url, api.client.max_retries) == (URL, 5)
    api("trainings.get", TRAINING_ID)
    assert server.requests[0].headers["Authorization"] == f"Token {TOKEN}"
    assert server.requests[0].url.host == "fl.test"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"FL_DEMONSTRATOR_BASE_URL": URL},
        {"FL_CLIENT_TOKEN": ""},
    ],
)
def test_from_env_without_credentials_is_a_configuration_error(
    client_class: type[FLClient] | type[AsyncFLClient], env: dict[str, str]
) -> None:
    with pytest.raises(
        ConfigurationError, match=r"FL_CLIENT_TOKEN.*FL_CLIENT_USERNAME.*FL_CLIENT_AUTHORIZATION"
    ):
        client_class.from_env(env)


@pytest.mark.parametrize(
    "env",
    [
        {"FL_CLIENT_TOKEN": "too-short"},
        {"FL_CLIENT_USERNAME": "alice"},  # no password
        {"FL_CLIENT_PASSWORD": SECRET},  # no user name
        {"FL_CLIENT_TOKEN": TOKEN, "FL_CLIENT_MAX_CONCURRENT": "many"},  # a bad setting
    ],
)
def test_from_env_with_bad_values_is_a_configuration_error(
    client_class: type[FLClient] | type[AsyncFLClient], env: dict[str, str]
) -> None:
    with pytest.raises(ConfigurationError):
        client_class.from_env(env)


def test_from_env_reads_os_environ_by_default(
    monkeypatch: pytest.MonkeyPatch, client_class: type[FLClient] | type[AsyncFLClient]
) -> None:
    for name in ("FL_CLIENT_USERNAME", "FL_CLIENT_PASSWORD", "FL_CLIENT_AUTHORIZATION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FL_DEMONSTRATOR_BASE_URL", URL)
    monkeypatch.setenv("FL_CLIENT_TOKEN", TOKEN)
    client = client_class.from_env()
    assert client.base_url == URL
    assert TOKEN not in repr(client) and TOKEN not in repr(client.connection)


# ---------------------------------------------------------------- with_options


def test_with_options_returns_a_configured_copy_and_leaves_the_original_alone(clients: Any) -> None:
    def progress(done: int, total: int | None) -> None:
        pass

    server = Recorder(unavailable(), training_answer())
    original: Api = clients(base_url=URL, token=TOKEN, max_retries=3, timeout=7, progress=progress,
                            **server.transports())  # fmt: skip
    copy: Api = clients(client=original.client.with_options(max_retries=0, timeout=httpx.Timeout(2.0)))

    assert type(copy.client) is type(original.client)
    assert (copy.client.max_retries, copy.client.timeout) == (0, httpx.Timeout(2.0))
    assert (original.client.max_retries, original.client.timeout) == (3, httpx.Timeout(7))
    assert copy.client.base_url == original.client.base_url
    assert copy.client.connection.options.progress is progress  # unchanged options are kept
    assert copy.client.connection is not original.client.connection
    assert copy.client.api is not original.client.api
    for name in ("users", "groups", "models", "trainings", "inference"):
        assert getattr(copy.client, name) is not getattr(original.client, name)

    # the copy's resources run on the copy's settings: no retry after a 503 ...
    with pytest.raises(InternalServerError) as info:
        copy("trainings.get", TRAINING_ID)
    assert info.value.status_code == 503 and len(server.requests) == 1
    # ... and closing the copy leaves the original working, with its own retries
    copy.close()
    server.answers = [unavailable(), training_answer()]
    assert original("trainings.get", TRAINING_ID).state.value == "O"
    assert len(server.requests) == 3
    assert all(r.headers["Authorization"] == f"Token {TOKEN}" for r in server.requests)


def test_with_options_changes_only_what_is_given(client_class: type[FLClient] | type[AsyncFLClient]) -> None:
    client = client_class(base_url=URL, token=TOKEN, max_retries=4, timeout=9)
    copy = client.with_options(progress=None)
    assert (copy.max_retries, copy.timeout) == (4, httpx.Timeout(9))
    assert client.with_options(timeout=None).timeout == client_class(base_url=URL, token=TOKEN).timeout


@pytest.mark.parametrize("bad", [-1, 1.5, "2"])
def test_with_options_rejects_a_bad_max_retries(
    client_class: type[FLClient] | type[AsyncFLClient], bad: Any
) -> None:
    client = client_class(base_url=URL, token=TOKEN)
    with pytest.raises(ConfigurationError, match="max_retries"):
        client.with_options(max_retries=bad)
    assert client.max_retries == 2


# ---------------------------------------------------------------- closing


def test_the_sync_client_closes_its_connections_on_leaving_with() -> None:
    server = Recorder(training_answer())
    with FLClient(base_url=URL, token=TOKEN, transport=httpx.MockTransport(server)) as client:
        assert client.trainings.get(TRAINING_ID).state.value == "O"
        http = client.api.get_httpx_client()
        assert not http.is_closed
    assert http.is_closed


def test_the_async_client_closes_both_connections_on_leaving_async_with() -> None:
    server = Recorder(training_answer())

    async def scenario() -> tuple[httpx.AsyncClient, httpx.Client]:
        async with AsyncFLClient(
            base_url=URL, token=TOKEN, async_transport=httpx.MockTransport(server)
        ) as client:
            assert (await client.trainings.get(TRAINING_ID)).state.value == "O"
            pair = client.api.get_async_httpx_client(), client.api.get_httpx_client()
            assert not pair[0].is_closed and not pair[1].is_closed
        return pair

    async_http, http = asyncio.run(scenario())
    assert async_http.is_closed and http.is_closed
    assert len(server.requests) == 1


def test_a_client_is_closed_even_when_the_block_raises() -> None:
    client = FLClient(base_url=URL, token=TOKEN, transport=httpx.MockTransport(Recorder(training_answer())))
    with pytest.raises(KeyError), client:
        raise KeyError("boom")
    assert client.api.get_httpx_client().is_closed


# ---------------------------------------------------------------- retries (sync and async loops)


@pytest.mark.parametrize(
    "failure",
    [unavailable(), httpx.ReadError("connection reset"), httpx.ConnectError("refused")],
    ids=["503", "read-error", "connect-error"],
)
def test_a_get_is_retried_after_a_transient_failure(
    clients: Any, mode: str, failure: httpx.Response | Exception, caplog: pytest.LogCaptureFixture
) -> None:
    server = Recorder(failure, training_answer())
    api: Api = clients(base_url=URL, token=TOKEN, max_retries=1, **server.transports())
    assert api("trainings.get", TRAINING_ID).state.value == "O"
    assert [r.method for r in server.requests] == ["GET", "GET"]
    assert "attempt 1 of 2 failed" in caplog.text


@pytest.mark.parametrize(
    ("failure", "error"),
    [(unavailable(), InternalServerError), (httpx.ReadError("connection reset"), APIConnectionError)],
    ids=["503", "read-error"],
)
def test_a_post_that_may_have_reached_the_server_is_not_retried(
    clients: Any, failure: httpx.Response | Exception, error: type[APIError]
) -> None:
    server = Recorder(failure, httpx.Response(202, json={"detail": "Training started!"}))
    api: Api = clients(base_url=URL, token=TOKEN, max_retries=3, **server.transports())
    with pytest.raises(error, match="not retried: the server may have applied it"):
        api("trainings.start", TRAINING_ID)
    assert [(r.method, r.url.path) for r in server.requests] == [("POST", START)]


def test_a_post_that_never_reached_the_server_is_retried(clients: Any) -> None:
    server = Recorder(
        httpx.ConnectError("refused"), httpx.Response(202, json={"detail": "Training started!"})
    )
    api: Api = clients(base_url=URL, token=TOKEN, max_retries=1, **server.transports())
    assert api("trainings.start", TRAINING_ID) == Detail(detail="Training started!")
    assert [r.method for r in server.requests] == ["POST", "POST"]


def test_retries_stop_after_max_retries_with_the_attempt_count(clients: Any) -> None:
    server = Recorder(unavailable())
    api: Api = clients(base_url=URL, token=TOKEN, max_retries=2, **server.transports())
    with pytest.raises(InternalServerError, match=r"after 3 attempts") as info:
        api("trainings.get", TRAINING_ID)
    assert info.value.attempts == 3 and len(server.requests) == 3


def test_arun_with_retries_waits_as_the_policy_says_and_never_repeats_an_ambiguous_post() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    def failure(code: int, retry_after: str | None = None) -> APIError:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        response = httpx.Response(
            code, headers=headers, json={"detail": "busy"}, request=httpx.Request("GET", URL)
        )
        return status_error(response, operation="op")

    failures: list[APIError] = [failure(503, "4"), failure(502)]
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "ok"

    policy = RetryPolicy(max_retries=2, initial_delay=1.0, max_delay=10.0)
    result = asyncio.run(
        arun_with_retries(attempt, operation="op", policy=policy, idempotent=True, sleep=sleep)
    )
    assert result == "ok" and len(calls) == 3
    assert waits[0] == 4.0 and 1.5 <= waits[1] <= 2.0  # Retry-After, then backoff (2nd retry: 2 s, jittered)

    failures[:] = [failure(503, "0")]
    calls.clear()
    with pytest.raises(InternalServerError, match="not retried"):
        asyncio.run(arun_with_retries(attempt, operation="op", policy=policy, idempotent=False, sleep=sleep))
    assert len(calls) == 1


# ---------------------------------------------------------------- a model with its preprocessing module


def test_models_create_sends_the_preprocessing_module(api: ContractServer, clients: Any) -> None:
    api.expect(
        "POST",
        "/api/models/",
        status=201,
        json_body={"detail": "Model Upload Accepted", "model_id": MODEL_ID},
    )
    client: Api = clients(base_url=api.url, token=TOKEN, max_retries=0)
    preprocessing = torch.nn.Sequential(torch.nn.Flatten())
    created = client("models.create", small_model(), name="net", preprocessing=preprocessing)
    assert isinstance(created, ModelCreated) and str(created.model_id) == MODEL_ID
    request = api.requests[0]
    parts = request.files
    assert set(parts) == {"model_file", "model_preprocessing_file"}
    sent = parts["model_preprocessing_file"].read()
    model_sent = parts["model_file"].read()
    for part in parts.values():
        part.close()
    loaded = torch.load(io.BytesIO(sent), weights_only=False)
    assert isinstance(loaded, torch.nn.Sequential) and isinstance(loaded[0], torch.nn.Flatten)
    assert isinstance(torch.load(io.BytesIO(model_sent), weights_only=False), torch.nn.Sequential)
    assert request.form["name"] == "net"


@pytest.mark.parametrize("kind", ["module", "bytes", "path"])
def test_models_create_with_preprocessing_against_the_emulator(
    emulator: FLEmulator, clients: Any, tmp_path: Any, kind: str
) -> None:
    from support.resources import NOBODY

    actor_user = clients(base_url=emulator.url, token=NOBODY)("users.create", "actor", "pw", actor=True)
    actor: Api = clients(base_url=emulator.url, token=actor_user.token)
    module = torch.nn.Sequential(torch.nn.Flatten())
    file = tmp_path / "pre.pt"
    file.write_bytes(torch_bytes(module))
    source = {"module": module, "bytes": file.read_bytes(), "path": file}[kind]
    created = actor("models.create", small_model(), name="with-pre", preprocessing=source)
    assert actor("models.metadata", created.model_id).name == "with-pre"
    with pytest.raises(BadRequestError, match="preprocessing"):  # the server loads it: garbage is refused
        actor("models.create", small_model(), name="bad-pre", preprocessing=b"not a torch file")


# ---------------------------------------------------------------- create_client(async_transport=...)


def test_create_client_async_transport_carries_the_async_operations() -> None:
    async_server, sync_server = Recorder(training_answer()), Recorder(httpx.Response(599))
    client = create_client(base_url=URL, token=TOKEN, transport=httpx.MockTransport(sync_server),
                           async_transport=httpx.MockTransport(async_server))  # fmt: skip

    async def scenario() -> int:
        async with client:
            response = await get_training.asyncio_detailed(TRAINING_ID, client=client)
        return response.status_code

    assert asyncio.run(scenario()) == 200
    assert sync_server.requests == []
    (request,) = async_server.requests
    assert request.headers["Authorization"] == f"Token {TOKEN}"
    assert str(request.url) == f"{URL}/api/trainings/{TRAINING_ID}/"
    assert TOKEN not in repr(client)
