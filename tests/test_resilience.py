"""Fault injection: real sockets on 127.0.0.1 that drop, stall, lie and refuse.

For each fault: the exception type, the number of attempts, and that no credential leaks into
the message or the logs. Uploads must never reach the server twice for one round.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from support.faults import (
    FaultServer,
    Request,
    blackhole,
    close_before_answer,
    close_mid_upload,
    hang,
    respond,
    truncated,
)
from support.models import same_parameters, small_model, torch_bytes
from support.values import BASIC, CLIENT_ID, MODEL_ID, MODEL_PATH, SECRET, TRAINING, TRAINING_ID

from fl_client import Communication
from fl_client._core.retry import RetryPolicy
from fl_client.exceptions import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    MetricsUploadException,
    ModelDownloadException,
    ModelUploadException,
    RateLimitError,
)

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
UPLOADED = {"detail": "Model Update Accepted"}
METRICS_OK = {"detail": "Model Metrics Upload Accepted", "model_id": MODEL_ID}
USER = {"username": "alice", "first_name": "", "last_name": "", "email": "", "id": CLIENT_ID,
        "actor": False, "client": True, "message_endpoint": "http://127.0.0.1:8101/"}  # fmt: skip
META = {"id": MODEL_ID, "round": 0, "name": "m", "description": "d", "input_shape": None, "preprocessing": None,
        "owner": CLIENT_ID, "has_preprocessing": False, "stats": None}  # fmt: skip


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def comm_for(url: str, *, timeout: float = 2.0, policy: RetryPolicy = FAST) -> Communication:
    comm = Communication.from_user_password(
        UUID(CLIENT_ID), UUID(TRAINING_ID), 0, UUID(MODEL_ID), "alice", SECRET, base_url=url, timeout=timeout
    )
    comm.retry_policy = policy
    return comm


def assert_clean(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    for text in (str(error), repr(error), caplog.text):
        assert SECRET not in text and BASIC.split()[1] not in text


def posts(server: FaultServer) -> list[Request]:
    return [r for r in server.requests if r.method == "POST"]


# ----------------------------------------------------------------------------- downloads (idempotent)


def test_download_survives_a_dropped_connection(faults: FaultServer) -> None:
    model = small_model()
    faults.push(close_before_answer(), respond(200, torch_bytes(model)))
    assert same_parameters(comm_for(faults.url).download_model(), model)
    assert len(faults.requests) == 2


def test_download_cut_off_midway_is_retried_then_typed(
    faults: FaultServer, caplog: pytest.LogCaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fl_client.serialization

    loads: list[object] = []
    monkeypatch.setattr(fl_client.serialization, "load_model", lambda *a, **k: loads.append(a))
    body = torch_bytes(small_model())
    faults.push(truncated(body, len(body) // 2))  # Content-Length says more than ever arrives
    comm = comm_for(faults.url)
    comm.temp_dir = tmp_path
    with caplog.at_level(logging.DEBUG), pytest.raises(ModelDownloadException) as info:
        comm.download_model()
    assert isinstance(info.value, APIConnectionError)
    assert info.value.attempts == 3 and len(faults.requests) == 3
    assert "after 3 attempts" in str(info.value)
    assert loads == []  # torch never saw the partial bytes
    assert list(tmp_path.iterdir()) == []  # and no temporary file is left
    assert_clean(info.value, caplog)


def test_download_503_with_retry_after_then_success(
    faults: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    model = small_model()
    faults.push(respond(503, {"detail": "busy"}, {"Retry-After": "0"}), respond(200, torch_bytes(model)))
    with caplog.at_level(logging.WARNING, "fl.client.retry"):
        assert same_parameters(comm_for(faults.url).download_model(), model)
    assert "attempt 1 of 3 failed" in caplog.text and "503" in caplog.text
    assert_clean(Exception(), caplog)


def test_download_500_until_attempts_run_out(faults: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    faults.push(respond(500, {"error": "Server Error (500)"}))
    with caplog.at_level(logging.DEBUG), pytest.raises(ModelDownloadException) as info:
        comm_for(faults.url).download_model()
    assert isinstance(info.value, InternalServerError)
    assert (info.value.attempts, len(faults.requests)) == (3, 3)
    assert info.value.server_message == "Server Error (500)"
    assert_clean(info.value, caplog)


def test_download_429_until_attempts_run_out(faults: FaultServer) -> None:
    faults.push(respond(429, {"detail": "slow down"}, {"Retry-After": "0"}))
    with pytest.raises(ModelDownloadException) as info:
        comm_for(faults.url).download_model()
    assert isinstance(info.value, RateLimitError) and info.value.attempts == 3


def test_read_timeout(faults: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    faults.push(hang(release))
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(ModelDownloadException) as info:
            comm_for(faults.url, timeout=0.3).download_model()
    finally:
        release.set()
    assert isinstance(info.value, APITimeoutError)
    assert info.value.attempts == 3 and len(faults.requests) == 3
    assert_clean(info.value, caplog)


def test_connect_timeout(caplog: pytest.LogCaptureFixture) -> None:
    listener, fillers = blackhole()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with caplog.at_level(logging.DEBUG), pytest.raises(ModelDownloadException) as info:
            comm_for(url, timeout=0.3).download_model()
    finally:
        for sock in (listener, *fillers):
            sock.close()
    assert isinstance(info.value, APITimeoutError) and info.value.attempts == 3
    assert_clean(info.value, caplog)


def test_unresolvable_host(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(ModelDownloadException) as info:
        comm_for("http://fl-server.invalid:8000").download_model()
    assert isinstance(info.value, APIConnectionError) and not isinstance(info.value, APITimeoutError)
    assert info.value.attempts == 3
    assert_clean(info.value, caplog)


# ----------------------------------------------------------------------------- metrics (not idempotent)


def test_metrics_never_sent_are_retried(caplog: pytest.LogCaptureFixture) -> None:
    listener, fillers = blackhole()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with caplog.at_level(logging.DEBUG), pytest.raises(MetricsUploadException) as info:
            comm_for(url, timeout=0.3).upload_metrics({"acc": 0.5})
    finally:
        for sock in (listener, *fillers):
            sock.close()
    assert isinstance(info.value, APITimeoutError) and info.value.attempts == 3
    assert_clean(info.value, caplog)


def test_metrics_503_is_retried_after_the_server_shows_none_stored(faults: FaultServer) -> None:
    faults.push(respond(503, {"detail": "busy"}), respond(200, []), respond(201, METRICS_OK))
    assert comm_for(faults.url).upload_metrics({"acc": 0.5}) is True
    assert [(r.method, r.path) for r in faults.requests] == [
        ("POST", f"{MODEL_PATH}metrics/"),
        ("GET", f"{MODEL_PATH}metrics/"),
        ("POST", f"{MODEL_PATH}metrics/"),
    ]


def test_metrics_whose_answer_was_lost_are_not_sent_twice(faults: FaultServer) -> None:
    stored = [{"id": 1, "identifier": None, "key": "acc", "value_float": 0.5, "value_binary": None, "step": 0,
               "model": MODEL_ID, "reporter": CLIENT_ID}]  # fmt: skip
    faults.push(close_before_answer(), respond(200, stored), respond(200, USER))
    assert comm_for(faults.url).upload_metrics({"acc": 0.5}) is True
    assert len(posts(faults)) == 1


# ----------------------------------------------------------------------------- model upload (not idempotent)


class StatefulServer:
    """Just enough of the server to tell whether an upload was stored: a round, an arrival count."""

    def __init__(self, *, lose_answer: bool, list_models_fails: bool) -> None:
        self.stored = 0
        self.lose_answer = lose_answer
        self.list_models_fails = list_models_fails

    def __call__(self, conn: object, request: Request) -> None:
        if request.method == "POST":
            self.stored += 1  # stored before the answer is lost
            if self.lose_answer:
                return
            respond(201, UPLOADED)(conn, request)  # type: ignore[arg-type]
        elif request.path == "/api/users/myself/":
            respond(200, USER)(conn, request)  # type: ignore[arg-type]
        elif request.path.endswith("/metadata/"):
            respond(200, META)(conn, request)  # type: ignore[arg-type]
        elif request.path.endswith("/models/"):
            if self.list_models_fails:  # the real server's 500 while the caller owns a stored local model
                respond(500, {"error": "Server Error (500)"})(conn, request)  # type: ignore[arg-type]
            else:
                local = {"id": "fe57e5c4-2c1e-4a5e-9a57-1b0a3c8d9e10", "round": 0, "sample_size": 10,
                         "owner": CLIENT_ID, "base_model": MODEL_ID}  # fmt: skip
                respond(200, [META, local] if self.stored else [META])(conn, request)  # type: ignore[arg-type]
        else:
            respond(200, {**TRAINING, "local_models_arrived": self.stored})(conn, request)  # type: ignore[arg-type]


def test_lost_upload_answer_is_recognised_and_not_repeated(faults: FaultServer) -> None:
    state = StatefulServer(lose_answer=True, list_models_fails=False)
    faults.push(state)
    assert comm_for(faults.url).upload_model(small_model(), {"loss": 1.0}, 10) is True
    assert state.stored == 1 and len(posts(faults)) == 1


def test_lost_upload_answer_with_unclear_state_is_not_repeated(
    faults: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    state = StatefulServer(lose_answer=True, list_models_fails=True)
    faults.push(state)
    with caplog.at_level(logging.DEBUG), pytest.raises(ModelUploadException, match="not retried") as info:
        comm_for(faults.url).upload_model(small_model(), {}, 10)
    assert isinstance(info.value, APIConnectionError)
    assert state.stored == 1 and len(posts(faults)) == 1
    assert_clean(info.value, caplog)


def test_upload_cut_off_midway_is_retried_once_the_server_shows_nothing_stored(faults: FaultServer) -> None:
    state = StatefulServer(lose_answer=False, list_models_fails=False)
    faults.push(
        respond(200, {**TRAINING, "local_models_arrived": 0}),  # baseline before the upload
        close_mid_upload(after_bytes=100),  # the server never got the whole body
        state,
    )
    assert comm_for(faults.url).upload_model(small_model(), {}, 10) is True
    assert state.stored == 1 and len(posts(faults)) == 2


def test_upload_that_never_connects_is_retried_then_typed(
    faults: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The training lookup is answered, then the server goes away: every POST is refused before
    it leaves, so the upload is retried (no duplicate is possible) and then raised, typed."""

    def answer_then_vanish(conn: object, request: Request) -> None:
        # stop listening before answering: the client opens the upload's connection once it has
        # the answer, so answering first left a window in which that connection still reached
        # the listener (queued, then reset: "Server disconnected", not retried; or even served)
        faults._sock.shutdown(socket.SHUT_RDWR)
        respond(200, TRAINING)(conn, request)  # type: ignore[arg-type]

    faults.push(answer_then_vanish)
    with caplog.at_level(logging.DEBUG), pytest.raises(ModelUploadException) as info:
        comm_for(faults.url).upload_model(small_model(), {}, 10)
    assert isinstance(info.value, APIConnectionError) and info.value.attempts == 3
    assert f"POST {MODEL_PATH}" in str(info.value) and "could not connect" in str(info.value)
    assert [(r.method, r.path) for r in faults.requests] == [("GET", f"/api/trainings/{TRAINING_ID}/")]
    assert_clean(info.value, caplog)


def test_swag_statistics_whose_answer_was_lost_are_not_sent_twice(faults: FaultServer) -> None:
    stored = [
        {"id": n, "identifier": None, "key": key, "value_float": None, "value_binary": "AA==", "step": 0,
         "model": MODEL_ID, "reporter": CLIENT_ID}
        for n, key in enumerate(["SWAG First Moment Local", "SWAG Second Moment Local"])
    ]  # fmt: skip
    faults.push(close_before_answer(), respond(200, stored), respond(200, USER))
    moment = small_model().state_dict()["0.bias"]
    assert comm_for(faults.url).upload_swag(moment, moment, 3) is True
    assert len(posts(faults)) == 1
