"""The emulator's SWAG (§8.6) and daisy-chain (§8.7) flows, played in-process with `Communication`."""

from __future__ import annotations

import io
import uuid

import pytest
import torch
from support.emulator import NotificationSink, comm, for_user, model_file
from support.models import small_model

from fl_client.exceptions import SwagUploadException
from fl_client.testing import FLEmulator


def _moment(value: float, size: int) -> torch.Tensor:
    return torch.full((size,), value)


def test_swag_round_follows_every_aggregation(emulator: FLEmulator, sink: NotificationSink) -> None:
    actor = emulator.create_user("actor", message_endpoint=sink.url)
    alice = emulator.create_user("alice", message_endpoint=sink.url)
    bob = emulator.create_user("bob", message_endpoint=sink.url)
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(
        actor, model_id, [alice, bob], target_num_updates=1, uncertainty_method="SWAG"
    )
    emulator.start_training(actor, training_id)
    for user in (alice, bob):
        assert comm(emulator, user, training_id, 0, model_id).upload_model(
            torch.jit.script(small_model()), {}, 1
        )
    (swag_start,) = emulator.wait_for_notifications(1, where=for_user(alice, "SWAG_ROUND_START"))
    assert (swag_start.round, swag_start.payload["body"]["global_model_uuid"]) == (1, model_id)
    assert emulator.training(training_id)["state"] == "S"
    params = sum(p.numel() for p in small_model().parameters())
    # statistics are accepted only for the announced round
    with pytest.raises(SwagUploadException, match="not currently in round 0"):
        comm(emulator, alice, training_id, 0, model_id).upload_swag(_moment(1, params), _moment(1, params), 1)
    comm(emulator, alice, training_id, 1, model_id).upload_swag(_moment(1, params), _moment(2, params), 10)
    assert emulator.training(training_id)["state"] == "S"  # bob's are missing
    comm(emulator, bob, training_id, 1, model_id).upload_swag(_moment(4, params), _moment(8, params), 30)
    emulator.wait_for_notifications(1, where=for_user(alice, "MODEL_TEST_ROUND"))
    assert emulator.training(training_id)["state"] == "O"
    first, second = emulator.store.models[model_id].swag_moments
    assert torch.allclose(first, _moment((1 * 10 + 4 * 30) / 40, params))
    assert torch.allclose(second, _moment((2 * 10 + 8 * 30) / 40, params))
    # the SWAG statistics already count as reporters: the first test upload finishes (§8.4)
    comm(emulator, alice, training_id, 1, model_id).upload_metrics({"accuracy": 0.5})
    emulator.wait_for_state(training_id, "C")
    emulator.wait_for_notifications(1, where=for_user(bob, "TRAINING_FINISHED"))
    assert [r.notification_type for r in emulator.notifications if r.user_id == bob.id] == [
        "TRAINING_START",
        "UPDATE_ROUND_START",
        "SWAG_ROUND_START",
        "MODEL_TEST_ROUND",
        "TRAINING_FINISHED",
    ]


def test_swag_statistics_outside_a_swag_round_are_a_500_with_the_reason(emulator: FLEmulator) -> None:
    actor, alice = emulator.create_user("actor"), emulator.create_user("alice")
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, [alice], uncertainty_method="SWAG")
    emulator.start_training(actor, training_id)
    with pytest.raises(SwagUploadException, match="is in state O") as caught:
        comm(emulator, alice, training_id, 0, model_id).upload_swag(torch.zeros(3), torch.zeros(3), 1)
    assert "500" in str(caught.value)


def test_bad_swag_moments_set_state_e(emulator: FLEmulator) -> None:
    actor, alice = emulator.create_user("actor"), emulator.create_user("alice")
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, [alice], uncertainty_method="SWAG")
    emulator.start_training(actor, training_id)
    comm(emulator, alice, training_id, 0, model_id).upload_model(torch.jit.script(small_model()), {}, 1)
    emulator.wait_for_state(training_id, "S")
    comm(emulator, alice, training_id, 1, model_id).upload_swag(torch.zeros(2, 2), torch.zeros(2, 2), 1)
    emulator.wait_for_state(training_id, "E")
    assert "1-D" in emulator.task_errors[0]


def test_daisy_chain_hands_local_models_on_and_aggregates_only_at_the_end(
    emulator: FLEmulator, sink: NotificationSink
) -> None:
    actor = emulator.create_user("actor", message_endpoint=sink.url)
    users = [emulator.create_user(name, message_endpoint=sink.url) for name in ("alice", "bob", "carol")]
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(
        actor, model_id, users, target_num_updates=1, options={"daisy_chain_period": 2}
    )
    assert emulator.training(training_id)["target_num_updates"] == 2  # requested x period (§5.5)
    emulator.start_training(actor, training_id)
    initial = emulator.model_bytes(model_id)
    for user in users:
        comm(emulator, user, training_id, 0, model_id).upload_model(torch.jit.script(small_model()), {}, 1)
    starts = emulator.wait_for_notifications(
        6, where=lambda r: r.notification_type == "UPDATE_ROUND_START" and r.user_id in {u.id for u in users}
    )
    chain = {r.user_id: r.payload["body"]["global_model_uuid"] for r in starts if r.round == 1}
    assert set(chain) == {u.id for u in users}
    with emulator.store.lock:
        round0 = {m.id for m in emulator.store.local_models(model_id, round=0)}
    assert set(chain.values()) == round0  # every round-0 local model handed to one participant
    assert emulator.model_bytes(model_id) == initial  # no aggregation in a chain round
    assert not any(r.notification_type == "MODEL_TEST_ROUND" for r in emulator.notifications)
    for user in users:
        # download the handed local model; the upload still goes to the global model
        c = comm(emulator, user, training_id, 1, chain[user.id])
        c.upload_model(c.download_model(), {}, 1)
        assert c.global_model_id == uuid.UUID(model_id)
    (test_round,) = emulator.wait_for_notifications(1, where=for_user(users[0], "MODEL_TEST_ROUND"))
    assert test_round.round == 2
    with emulator.store.lock:
        assert {m.round for m in emulator.store.local_models(model_id)} == {0}  # only the last round deleted
    for user in users:
        comm(emulator, user, training_id, 2, model_id).upload_metrics({"accuracy": 1.0})
    emulator.wait_for_state(training_id, "C")
    assert torch.jit.load(io.BytesIO(emulator.model_bytes(model_id))) is not None


def test_daisy_chain_broadcasts_the_global_model_every_period(
    emulator: FLEmulator, sink: NotificationSink
) -> None:
    actor = emulator.create_user("actor")
    alice = emulator.create_user("alice", message_endpoint=sink.url)
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(
        actor, model_id, [alice], target_num_updates=2, options={"daisy_chain_period": 2}
    )
    emulator.start_training(actor, training_id)
    ids = [model_id]
    for round_number in range(3):
        c = comm(emulator, alice, training_id, round_number, ids[-1])
        c.upload_model(c.download_model(), {}, 1)
        starts = emulator.wait_for_notifications(
            round_number + 2, where=for_user(alice, "UPDATE_ROUND_START")
        )
        ids.append(starts[-1].payload["body"]["global_model_uuid"])
    # round 1 and 3 get a local model, round 2 (= period) the global one
    assert ids[2] == model_id and ids[1] != model_id and ids[3] != model_id


def test_a_non_integer_daisy_chain_period_is_a_server_error(emulator: FLEmulator) -> None:
    actor, alice = emulator.create_user("actor"), emulator.create_user("alice")
    model_id = emulator.upload_model(actor, model_file())
    with pytest.raises(Exception, match="500"):
        emulator.create_training(actor, model_id, [alice], options={"daisy_chain_period": "2"})
