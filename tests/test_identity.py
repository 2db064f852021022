"""Identity comes from the credentials: lost-answer checks, and a client id nobody configured.

The server records the uploader and the metrics reporter from the credentials and ignores the
``client_id`` form field, so "was it ours?" must be asked with the credentials' user id.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from uuid import UUID

import pytest
from support.faults import FaultServer, Request, respond
from support.models import small_model
from support.values import BASIC, CLIENT_ID, MODEL_ID, SECRET, TRAINING, TRAINING_ID

from fl_client import Communication
from fl_client._core.retry import RetryPolicy
from fl_client.exceptions import APIConnectionError, APIError, MetricsUploadException

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
STALE_ID = UUID("0b7c6a55-5d2e-4c1b-9a0e-3f4d5e6a7b8c")  # a client id that is not the credentials' user
USER = {"username": "alice", "first_name": "", "last_name": "", "email": "", "id": CLIENT_ID,
        "actor": False, "client": True, "message_endpoint": "http://127.0.0.1:8101/"}  # fmt: skip
META = {"id": MODEL_ID, "round": 0, "name": "m", "description": "d", "input_shape": None, "preprocessing": None,
        "owner": CLIENT_ID, "has_preprocessing": False, "stats": None}  # fmt: skip


def metric(key: str, reporter: str) -> dict[str, object]:
    return {"id": 1, "identifier": None, "key": key, "value_float": 0.5, "value_binary": None, "step": 0,
            "model": MODEL_ID, "reporter": reporter}  # fmt: skip


class Server:
    """Routes by path; the first POST (upload or metrics) is stored and its answer lost."""

    def __init__(self, *, myself: int = 200) -> None:
        self.stored = 0
        self.myself = myself

    def __call__(self, conn: socket.socket, request: Request) -> None:
        if request.method == "POST":
            self.stored += 1
            if self.stored == 1:
                return  # stored, answer lost
            respond(201, {"detail": "ok", "model_id": MODEL_ID})(conn, request)
        elif request.path == "/api/users/myself/":
            respond(self.myself, USER if self.myself == 200 else {"error": "Server Error (500)"})(
                conn, request
            )
        elif request.path.endswith("/metrics/"):
            respond(200, [metric("acc", CLIENT_ID)] if self.stored else [])(conn, request)
        elif request.path.endswith("/metadata/"):
            respond(200, META)(conn, request)
        elif request.path.endswith("/models/"):
            local = {"id": "fe57e5c4-2c1e-4a5e-9a57-1b0a3c8d9e10", "round": 0, "sample_size": 10,
                     "owner": CLIENT_ID, "base_model": MODEL_ID}  # fmt: skip
            respond(200, [META, local] if self.stored else [META])(conn, request)
        else:
            respond(200, {**TRAINING, "local_models_arrived": self.stored})(conn, request)


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def comm_for(url: str, client_id: UUID | None) -> Communication:
    comm = Communication.from_user_password(
        client_id, UUID(TRAINING_ID), 0, UUID(MODEL_ID), "alice", SECRET, base_url=url, timeout=2.0
    )
    comm.retry_policy = FAST
    return comm


def posts(server: FaultServer) -> int:
    return sum(r.method == "POST" for r in server.requests)


def test_lost_metrics_answer_with_a_stale_client_id_is_not_sent_twice(
    faults: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    state = Server()
    faults.push(state)
    with caplog.at_level(logging.WARNING):
        assert comm_for(faults.url, STALE_ID).upload_metrics({"acc": 0.5}) is True
    assert state.stored == 1 and posts(faults) == 1  # a second POST would re-fire the round
    assert str(STALE_ID) in caplog.text and CLIENT_ID in caplog.text  # the wrong id is named
    assert SECRET not in caplog.text and BASIC.split()[1] not in caplog.text


def test_lost_metrics_answer_with_unknown_identity_is_raised_not_resent(faults: FaultServer) -> None:
    state = Server(myself=500)
    faults.push(state)
    with pytest.raises(MetricsUploadException, match="not retried") as info:
        comm_for(faults.url, UUID(CLIENT_ID)).upload_metrics({"acc": 0.5})
    assert isinstance(info.value, APIConnectionError)
    assert state.stored == 1 and posts(faults) == 1


def test_lost_upload_answer_with_a_stale_client_id_is_recognised(faults: FaultServer) -> None:
    state = Server()
    faults.push(state)
    assert comm_for(faults.url, STALE_ID).upload_model(small_model(), {"loss": 1.0}, 10) is True
    assert state.stored == 1 and posts(faults) == 1


def test_identity_is_asked_once_per_communication(faults: FaultServer) -> None:
    faults.push(respond(200, USER))
    comm = comm_for(faults.url, None)
    assert comm.client_id == UUID(CLIENT_ID) and comm.client_id == UUID(CLIENT_ID)
    assert comm._identity() == UUID(CLIENT_ID)
    assert [r.path for r in faults.requests] == ["/api/users/myself/"]


def test_from_env_without_a_client_id_looks_it_up_when_needed_with_retries(faults: FaultServer) -> None:
    faults.push(respond(503, {"detail": "starting"}, {"Retry-After": "0"}), respond(200, USER))
    env = {
        "FL_CLIENT_TRAINING_ID": TRAINING_ID,
        "FL_CLIENT_ROUND": "0",
        "FL_CLIENT_MODEL_ID": MODEL_ID,
        "FL_CLIENT_AUTHORIZATION": BASIC,
        "FL_DEMONSTRATOR_BASE_URL": faults.url,
    }
    comm = Communication.from_env(env, max_retries=2)
    assert faults.requests == []  # nothing asked before it is needed
    assert comm.client_id == UUID(CLIENT_ID)
    assert [r.path for r in faults.requests] == ["/api/users/myself/"] * 2
    assert faults.requests[0].headers["authorization"] == BASIC


def test_a_client_id_that_cannot_be_looked_up_is_a_typed_error(unused_port: int) -> None:
    comm = comm_for(f"http://127.0.0.1:{unused_port}", None)
    with pytest.raises(APIError, match="identity lookup"):
        _ = comm.client_id
