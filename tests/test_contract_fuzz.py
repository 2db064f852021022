"""Property-based contract tests: requests generated from openapi/fl-demonstrator.yaml, sent to the
emulator; every answer must be one the document allows (status listed, content type listed,
body valid for its schema).

Seeded and bounded: FL_FUZZ_EXAMPLES requests per operation (default 12), derandomised, so
`make test` runs the same requests every time. `make fuzz` runs many more with a fresh seed
(FL_FUZZ_SEED); a failure prints the seed and the request to reproduce it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, note, seed, settings
from support.contract import Contract, ContractViolation
from support.models import script_bytes, small_model
from support.openapi_strategies import DrawnRequest, Operation, World, operations, requests

from fl_client.testing import FLEmulator

EXAMPLES = int(os.environ.get("FL_FUZZ_EXAMPLES", "12"))
SEED = os.environ.get("FL_FUZZ_SEED")
OPERATIONS = operations(Contract().spec)


@pytest.fixture(scope="module")
def model_file() -> bytes:
    return script_bytes(small_model())


@pytest.fixture
def world(model_file: bytes) -> Iterator[tuple[FLEmulator, World]]:
    """A fresh emulator per operation: an actor, a participant and a superuser, a model in a
    training, a model without one, and a group the actor belongs to."""
    with FLEmulator(notification_retries=0, notification_timeout=2.0) as server:
        actor = server.create_user("actor", actor=True)
        alice = server.create_user("alice", client=True)
        root = server.create_user("root", is_superuser=True)
        model_id = server.upload_model(actor, model_file)
        training_id = server.create_training(actor, model_id, [alice])
        lone_model = server.upload_model(alice, model_file)
        group = httpx.post(
            f"{server.url}/api/groups/",
            json={"name": "fuzzers"},
            headers={"Authorization": actor.authorization},
            trust_env=False,  # no proxy from the environment between the test and 127.0.0.1
        ).json()
        server.add_group_member(group["id"], actor)
        yield (
            server,
            World(
                authorizations=[
                    actor.authorization,
                    alice.authorization,
                    alice.basic_authorization,
                    root.authorization,
                ],
                ids=[actor.id, alice.id, model_id, training_id, lone_model],
                files=[model_file],
                ids_by_prefix={
                    "/api/users/": [actor.id, alice.id],
                    "/api/models/": [model_id, lone_model],
                    "/api/trainings/": [training_id],
                    "/api/groups/": [str(group["id"])],
                },
            ),
        )


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_every_answer_is_one_the_document_allows(
    op: Operation, world: tuple[FLEmulator, World], contract: Contract
) -> None:
    server, seeded = world
    statuses: set[int] = set()
    with httpx.Client(base_url=server.url, trust_env=False, timeout=30.0) as client:

        @settings(
            max_examples=EXAMPLES,
            derandomize=SEED is None,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(requests(op, seeded))
        def check(request: DrawnRequest) -> None:
            note(f"{request.method} {request.path} {request.headers} {request.content!r:.300}")
            answer = client.request(
                request.method, request.path, headers=request.headers, content=request.content
            )
            note(f"-> {answer.status_code} {answer.headers.get('content-type')} {answer.content!r:.300}")
            statuses.add(answer.status_code)
            try:
                contract.validate_response(
                    request.method,
                    f"{server.url}{request.path}",
                    request_headers=request.headers,
                    status=answer.status_code,
                    content_type=answer.headers.get("content-type"),
                    body=answer.content,
                    headers=dict(answer.headers),
                )
            except ContractViolation as exc:
                raise AssertionError(f"{exc}\nanswer body: {answer.content!r:.500}") from None

        runner: Any = seed(int(SEED))(check) if SEED is not None else check
        runner()
    if os.environ.get("FL_FUZZ_REPORT"):
        print(f"\n{op.name}: {sorted(statuses)}")
    if op.authenticated:  # the requests got past authentication, not only 401s
        assert statuses - {401}, statuses
