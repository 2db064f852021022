"""The emulator's training state machine (§8.1-8.5), notifications (§9) and FedAvg (§6).

Participants are played in-process with `Communication`; notifications go to a recording sink
that checks each body against the contract's webhook schemas.
"""

from __future__ import annotations

import pytest
import torch
from support.emulator import ContractChecker, NotificationSink, comm, for_user, model_file
from support.models import small_model, torch_bytes

from fl_client.testing import FLEmulator


def filled(module: torch.nn.Module, value: float) -> torch.nn.Module:
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.fill_(value)
    return module


def test_two_rounds_follow_the_documented_sequence_and_fedavg(
    emulator: FLEmulator, sink: NotificationSink, contract_checker: ContractChecker
) -> None:
    actor = emulator.create_user("actor", message_endpoint=sink.url)
    alice = emulator.create_user("alice", message_endpoint=sink.url)
    bob = emulator.create_user("bob", message_endpoint=sink.url)
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, [alice, bob], target_num_updates=2)
    emulator.start_training(actor, training_id)
    emulator.wait_for_notifications(2, where=for_user(alice))
    sizes = {alice.id: 10, bob.id: 30}
    for round_number in range(2):
        values = {alice.id: 1.0 + round_number, bob.id: 5.0 + round_number}
        for user in (alice, bob):
            c = comm(emulator, user, training_id, round_number, model_id)
            model = filled(c.download_model(), values[user.id])
            assert c.upload_model(model, {"loss": 0.1}, sizes[user.id])
        emulator.wait_for_round(training_id, round_number + 1)
        aggregated = comm(emulator, alice, training_id, round_number + 1, model_id).download_model()
        assert isinstance(aggregated, torch.jit.ScriptModule)  # re-serialised in the upload's format
        expected = (values[alice.id] * 10 + values[bob.id] * 30) / 40
        for parameter in aggregated.parameters():
            assert torch.allclose(parameter, torch.full_like(parameter, expected))
        assert emulator.training(training_id)["local_models_arrived"] == 0  # deleted after aggregation
        for user in (alice, bob):
            assert comm(emulator, user, training_id, round_number + 1, model_id).upload_metrics(
                {"accuracy": 0.5}
            )
    emulator.wait_for_state(training_id, "C")
    emulator.wait_for_notifications(1, where=for_user(actor))
    emulator.wait_for_notifications(6, where=for_user(bob))
    for user in (alice, bob):
        sequence = [(r.notification_type, r.round) for r in emulator.notifications if r.user_id == user.id]
        assert sequence == [
            ("TRAINING_START", None),
            ("UPDATE_ROUND_START", 0),
            ("MODEL_TEST_ROUND", 1),
            ("UPDATE_ROUND_START", 1),
            ("MODEL_TEST_ROUND", 2),
            ("TRAINING_FINISHED", None),
        ]
    assert [r.notification_type for r in emulator.notifications if r.user_id == actor.id] == [
        "TRAINING_FINISHED"
    ]
    assert all(r.delivered and r.attempts == 1 for r in emulator.notifications)
    assert {n["training_uuid"] for n in sink.received} == {training_id}
    assert {n["body"]["global_model_uuid"] for n in sink.received} == {model_id}
    assert len(sink.received) == 13
    assert contract_checker.request_violations == []  # Communication spoke the contract too


def test_pickled_models_aggregate_to_a_pickled_module(emulator: FLEmulator) -> None:
    actor, alice = emulator.create_user("actor"), emulator.create_user("alice")
    model_id = emulator.upload_model(actor, torch_bytes(small_model()))
    training_id = emulator.create_training(actor, model_id, [alice])
    emulator.start_training(actor, training_id)
    c = comm(emulator, alice, training_id, 0, model_id)
    model = c.download_model()
    assert c.upload_model(filled(model, 0.25), {}, 3)
    emulator.wait_for_round(training_id, 1)
    aggregated = comm(emulator, alice, training_id, 1, model_id).download_model()
    assert not isinstance(aggregated, torch.jit.ScriptModule)
    assert isinstance(aggregated, torch.nn.Sequential)
    assert all(torch.all(p == 0.25) for p in aggregated.parameters())


def test_fedavg_weights_random_tensors_by_sample_size(emulator: FLEmulator) -> None:
    actor = emulator.create_user("actor")
    users = [emulator.create_user(f"p{i}") for i in range(3)]
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, users)
    emulator.start_training(actor, training_id)
    sizes = [1, 2, 7]
    states = []
    for index, (user, size) in enumerate(zip(users, sizes, strict=True)):
        torch.manual_seed(index + 10)
        local = torch.jit.script(small_model())
        with torch.no_grad():
            for parameter in local.parameters():
                parameter.copy_(torch.randn_like(parameter))
        states.append({k: v.clone() for k, v in local.state_dict().items()})
        assert comm(emulator, user, training_id, 0, model_id).upload_model(local, {}, size)
    emulator.wait_for_round(training_id, 1)
    result = torch.jit.load(__import__("io").BytesIO(emulator.model_bytes(model_id))).state_dict()
    for key, value in result.items():
        expected = sum(s[key] * n for s, n in zip(states, sizes, strict=True)) / sum(sizes)
        assert torch.allclose(value, expected, atol=1e-6), key


def test_round_is_aggregated_only_when_every_participant_uploaded(emulator: FLEmulator) -> None:
    actor, alice, bob = (emulator.create_user(name) for name in ("actor", "alice", "bob"))
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, [alice, bob])
    emulator.start_training(actor, training_id)
    assert comm(emulator, alice, training_id, 0, model_id).upload_model(
        torch.jit.script(small_model()), {}, 1
    )
    training = emulator.get_training(actor, training_id)
    assert (training["local_models_arrived"], training["local_models_expected"]) == (1, 2)
    assert emulator.training(training_id)["round"] == 0
    assert comm(emulator, bob, training_id, 0, model_id).upload_model(torch.jit.script(small_model()), {}, 1)
    emulator.wait_for_round(training_id, 1)
    assert emulator.training(training_id)["state"] == "O"


def test_repeated_test_metrics_refire_the_event_as_on_the_server(
    emulator: FLEmulator, sink: NotificationSink
) -> None:
    actor = emulator.create_user("actor")
    alice = emulator.create_user("alice", message_endpoint=sink.url)
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, [alice], target_num_updates=3)
    emulator.start_training(actor, training_id)
    assert comm(emulator, alice, training_id, 0, model_id).upload_model(
        torch.jit.script(small_model()), {}, 1
    )
    emulator.wait_for_round(training_id, 1)
    tester = comm(emulator, alice, training_id, 1, model_id)
    tester.upload_metrics({"accuracy": 0.5})
    tester.upload_metrics({"accuracy": 0.5})  # don't: §8.4
    starts = emulator.wait_for_notifications(3, where=for_user(alice, "UPDATE_ROUND_START"))
    assert [r.round for r in starts] == [0, 1, 1]


def test_failed_aggregation_stalls_in_state_o_and_is_reported(emulator: FLEmulator) -> None:
    actor, alice, bob = (emulator.create_user(name) for name in ("actor", "alice", "bob"))
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, [alice, bob])
    emulator.start_training(actor, training_id)
    assert comm(emulator, alice, training_id, 0, model_id).upload_model(
        torch.jit.script(small_model()), {}, 1
    )
    other = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    assert comm(emulator, bob, training_id, 0, model_id).upload_model(other, {}, 1)
    emulator.wait_until(
        lambda: bool(emulator.store and emulator._engine.task_errors), what="the aggregation failure"
    )
    assert "state_dict keys" in emulator.task_errors[0]
    assert emulator.training(training_id)["state"] == "O"
    assert emulator.training(training_id)["round"] == 0
    with pytest.raises(TimeoutError, match="state_dict keys"):
        emulator.wait_for_round(training_id, 1, timeout=0.2)


def test_unreachable_receiver_is_retried_then_recorded(unused_port: int) -> None:
    with FLEmulator(notification_retries=2, notification_retry_delay=0.01) as server:
        actor = server.create_user("actor")
        alice = server.create_user("alice", message_endpoint=f"http://127.0.0.1:{unused_port}/")
        model_id = server.upload_model(actor, model_file())
        training_id = server.create_training(actor, model_id, [alice])
        server.start_training(actor, training_id)
        records = server.wait_for_notifications(2)
    assert [r.attempts for r in records] == [3, 3]
    assert all(r.status is None and r.error and "ConnectError" in r.error for r in records)
    assert server.training(training_id)["state"] == "O"  # as on the server: nothing else happens (§9.5)


def test_non_2xx_answer_is_not_retried(emulator: FLEmulator, sink: NotificationSink) -> None:
    sink.status_for["TRAINING_START"] = 500
    actor = emulator.create_user("actor")
    alice = emulator.create_user("alice", message_endpoint=sink.url)
    model_id = emulator.upload_model(actor, model_file())
    training_id = emulator.create_training(actor, model_id, [alice])
    emulator.start_training(actor, training_id)
    records = emulator.wait_for_notifications(2)
    assert [(r.notification_type, r.status, r.attempts) for r in records] == [
        ("TRAINING_START", 500, 1),
        ("UPDATE_ROUND_START", 202, 1),
    ]
    assert not records[0].delivered and records[1].delivered
