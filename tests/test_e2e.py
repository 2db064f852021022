"""End to end: emulator + real ``fl-client serve`` receivers + the example script as subprocesses.

Two participants, two rounds. Asserts the notification sequence of API reference §8.5 (and the
receivers' answers), the state reaching C, and that each round's global model is exactly the
sample-size-weighted mean of that round's two uploads.
"""

from __future__ import annotations

import importlib.util
import io
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
import torch

from fl_client.serialization import unpack_model
from fl_client.testing import EmulatedUser, Exchange, FLEmulator
from fl_client.testing._forms import parse_body

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.py"
ROUNDS = 2
WAIT = 120.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    spec = importlib.util.spec_from_file_location("fl_demo", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.PARTICIPANTS = 2  # the shards are split two ways
    module.OUTPUT = tmp_path_factory.mktemp("demo-output")  # the receivers' logs, not in the repository
    return module


class UploadRecorder:
    """Keeps every accepted local upload (round, sample size, file) as the emulator received it."""

    def __init__(self, model_id: str) -> None:
        self.path = f"/api/models/{model_id}/"
        self.uploads: list[tuple[int, int, bytes]] = []
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        if exchange.method != "POST" or urlsplit(exchange.url).path != self.path or exchange.status != 201:
            return
        content_type = next(v for k, v in exchange.request_headers.items() if k.lower() == "content-type")
        body = parse_body(content_type, exchange.request_body)
        data = body.first_file("model_file")
        assert data is not None
        with self._lock:
            self.uploads.append((int(body.values("round")[0]), int(body.values("sample_size")[0]), data))

    def of_round(self, round_number: int) -> list[tuple[int, bytes]]:
        with self._lock:
            return [(size, data) for r, size, data in self.uploads if r == round_number]


def expected_fedavg(uploads: list[tuple[int, bytes]]) -> dict[str, torch.Tensor]:
    states = [unpack_model(data).state_dict() for _, data in uploads]
    total = sum(size for size, _ in uploads)
    return {
        key: sum(s[key] * size for s, (size, _) in zip(states, uploads, strict=True)) / total
        for key in states[0]
    }


@pytest.fixture
def server() -> Iterator[FLEmulator]:
    with FLEmulator() as emulator:
        yield emulator


def test_two_participants_two_rounds(demo: ModuleType, server: FLEmulator) -> None:
    actor = server.create_user("actor", actor=True)
    with ExitStack() as stack:
        participants: list[EmulatedUser] = []
        for shard in range(2):
            port = demo.free_port()
            user = server.create_user(f"p{shard}", message_endpoint=f"http://127.0.0.1:{port}/")
            participants.append(user)
            stack.enter_context(demo.real_receiver(server, user, shard, port))
        model_id = server.upload_model(actor, demo.initial_model())
        recorder = UploadRecorder(model_id)
        server.add_observer(recorder)
        training_id = server.create_training(actor, model_id, participants, target_num_updates=ROUNDS)
        previous = server.model_bytes(model_id)
        server.start_training(actor, training_id)
        for round_number in range(ROUNDS):
            server.wait_for_round(training_id, round_number + 1, timeout=WAIT)
            current = server.model_bytes(model_id)  # stable until this round's tests are in
            # the emulator calls observers after answering: the round may start before the last is seen
            deadline = time.monotonic() + WAIT
            while len(recorder.of_round(round_number)) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            uploads = recorder.of_round(round_number)
            assert len(uploads) == 2 and all(size > 0 for size, _ in uploads)
            aggregated = torch.jit.load(io.BytesIO(current)).state_dict()
            for key, value in expected_fedavg(uploads).items():
                assert torch.allclose(aggregated[key], value, atol=1e-6), (round_number, key)
            before = torch.jit.load(io.BytesIO(previous)).state_dict()
            assert any(not torch.equal(before[k], aggregated[k]) for k in aggregated), (
                "the model did not change"
            )
            previous = current
        server.wait_for_state(training_id, "C", timeout=WAIT)
        server.wait_for_notifications(
            ROUNDS * 2 + 2, where=lambda r: r.user_id == participants[1].id, timeout=WAIT
        )
        server.wait_for_notifications(1, where=lambda r: r.user_id == actor.id, timeout=WAIT)

    expected = [("TRAINING_START", None, 200)]
    for round_number in range(ROUNDS):
        expected += [("UPDATE_ROUND_START", round_number, 202), ("MODEL_TEST_ROUND", round_number + 1, 202)]
    expected += [("TRAINING_FINISHED", None, 200)]
    for user in participants:
        seen = [
            (r.notification_type, r.round, r.status) for r in server.notifications if r.user_id == user.id
        ]
        assert seen == expected, user.username
    # each participant reported test metrics exactly once per test round (step = round)
    with server.store.lock:
        steps = sorted((m.reporter, m.step) for m in server.store.metrics_of(model_id) if m.key == "accuracy")
    assert steps == sorted((u.id, r) for u in participants for r in range(1, ROUNDS + 1))
    assert server.task_errors == []
