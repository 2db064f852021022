"""Every resource method the emulator implements, sync and async, against `fl_client.testing`'s
emulator (whose every answer is checked against the contract): a whole training driven through
the public client only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from fl_demonstrator_api.models import (
    Detail,
    GlobalModel,
    GlobalModelMetadata,
    Metric,
    ModelCreated,
    Training,
    TrainingCreated,
    TrainingState,
    TrainingWithRounds,
    User,
)
from helpers import same_parameters, small_model, torch_bytes
from resource_support import NOBODY, Api

from fl_client import (
    LocalModelsArrived,
    MetricsReported,
    NotFoundError,
    RoundAdvanced,
    StateChanged,
    TrainingConfig,
    TrainingWaitTimeout,
    UncertaintyConfig,
)
from fl_client.testing import FLEmulator


def test_a_whole_training_through_the_public_client(
    emulator: FLEmulator, clients: Any, tmp_path: Path
) -> None:
    anonymous: Api = clients(base_url=emulator.url, token=NOBODY)
    actor_user = anonymous("users.create", "actor", "pw-actor", actor=True)
    assert isinstance(actor_user, User) and actor_user.token
    people = [anonymous("users.create", f"p{i}", "pw", client=True) for i in range(2)]
    actor: Api = clients(base_url=emulator.url, token=actor_user.token)
    parts = [clients(base_url=emulator.url, username=p.username, password="pw") for p in people]

    # users
    assert actor("users.me").id == actor_user.id
    assert actor("users.get", people[0].id).username == "p0"
    assert {u.username for u in actor("users.list")} >= {"actor", "p0", "p1"}
    assert actor("users.groups") == []

    # models: from a module, a path and bytes
    net = small_model()
    created = actor("models.create", net, name="net", description="d", input_shape=[None, 3])
    assert isinstance(created, ModelCreated)
    file = tmp_path / "net.pt"
    file.write_bytes(torch_bytes(net))
    from_path = actor("models.create", file, name="from-path")
    from_bytes = actor("models.create", file.read_bytes(), name="from-bytes")
    assert actor("models.download_bytes", from_bytes.model_id) == file.read_bytes()
    assert same_parameters(actor("models.download", from_path.model_id), net)
    target = actor("models.download_to", created.model_id, tmp_path / "copy.pt")
    assert same_parameters(torch.load(target, weights_only=False), net)
    meta = actor("models.metadata", created.model_id)
    assert isinstance(meta, GlobalModelMetadata) and meta.round_ == 0
    assert {str(m.id) for m in actor("models.list") if isinstance(m, GlobalModel)} >= {str(created.model_id)}
    assert isinstance(actor("models.delete", from_bytes.model_id), Detail)
    with pytest.raises(NotFoundError):
        actor("models.metadata", from_bytes.model_id)

    # trainings
    made = actor("trainings.create", created.model_id, people[:1], target_num_updates=1,
                 options=TrainingConfig(uncertainty=UncertaintyConfig(n=5), extra={"note": "x"}))  # fmt: skip
    assert isinstance(made, TrainingCreated)
    tid = made.training_id
    assert isinstance(actor("trainings.add_participants", tid, people), Detail)
    assert isinstance(actor("trainings.remove_participants", tid, [people[1].id]), Detail)
    assert isinstance(actor("trainings.add_participants", tid, [people[1]]), Detail)
    training = actor("trainings.get", tid)
    assert isinstance(training, TrainingWithRounds) and training.state == TrainingState.I
    assert training.local_models_expected == 2
    assert [t.id for t in actor("trainings.list") if isinstance(t, Training)] == [tid]
    assert [type(m) for m in actor("trainings.models", tid)] == [GlobalModel]
    assert [type(m) for m in actor("trainings.latest_models", tid)] == [GlobalModel]
    assert [t.id for t in parts[0]("users.trainings")] == [tid]
    assert isinstance(actor("trainings.start", tid), Detail)

    # the participants' side of round 0, then the test round
    gid = training.model
    for person, api in zip(people, parts, strict=True):
        api("models.upload_local", gid, net, round=0, sample_size=10, metrics={"loss": 1.0}, owner=person.id)
    emulator.wait_for_round(str(tid), 1)
    for api in parts:
        assert isinstance(api("models.upload_metrics", gid, {"accuracy": 0.5}), ModelCreated)
    events: list[Any] = []
    done = actor("trainings.wait", tid, timeout=30, interval=0.01, on_event=events.append)
    assert done.state == TrainingState.C
    assert any(isinstance(e, StateChanged) and e.state == TrainingState.C for e in events)
    assert any(isinstance(e, RoundAdvanced) and e.round == 1 for e in events)
    assert any(isinstance(e, LocalModelsArrived) for e in events)
    reported = [m for e in events if isinstance(e, MetricsReported) for m in e.metrics]
    assert sorted((m.key, m.step) for m in reported if m.key == "accuracy") == [
        ("accuracy", 1),
        ("accuracy", 1),
    ]
    assert all(isinstance(m, Metric) for m in actor("models.metrics", gid))
    watched = actor("trainings.watch", tid, interval=0.01)  # a finished training: one poll, then the end
    assert isinstance(watched[0], StateChanged) and watched[0].state == TrainingState.C
    assert isinstance(actor("trainings.delete", tid), Detail)


def test_wait_times_out_with_where_the_training_is(emulator: FLEmulator, clients: Any) -> None:
    anonymous: Api = clients(base_url=emulator.url, token=NOBODY)
    actor_user = anonymous("users.create", "actor", "pw", actor=True)
    person = anonymous("users.create", "p", "pw", client=True)
    actor: Api = clients(base_url=emulator.url, token=actor_user.token)
    model = actor("models.create", small_model(), name="m")
    tid = actor("trainings.create", model.model_id, [person], target_num_updates=2).training_id
    actor("trainings.start", tid)
    with pytest.raises(TrainingWaitTimeout, match=r"state O, round 0 of 2, 0/1 local models arrived") as info:
        actor("trainings.wait", tid, until="C", timeout=0.2, interval=0.01)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value.training, TrainingWithRounds)
    assert actor("trainings.wait", tid, until=TrainingState.O, timeout=5).state == TrainingState.O


def test_local_model_rejected_with_the_servers_reason(emulator: FLEmulator, clients: Any) -> None:
    anonymous: Api = clients(base_url=emulator.url, token=NOBODY)
    actor_user = anonymous("users.create", "actor", "pw", actor=True)
    actor: Api = clients(base_url=emulator.url, token=actor_user.token)
    with pytest.raises(NotFoundError, match="not found"):
        actor("trainings.get", "600355d0-f7b4-421f-9123-7a133d558bd8")
