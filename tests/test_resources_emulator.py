"""Every resource method the emulator implements, sync and async, against `fl_client.testing`'s
emulator (whose every answer is checked against the contract): a whole training driven through
the public client only."""

from __future__ import annotations

import time
from collections.abc import Callable
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
from support.models import same_parameters, small_model, torch_bytes
from support.resources import NOBODY, Api

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
    # the wait began in the test round, after round 0 ended: no arrivals to report (no local model
    # comes in the test round; rounds that ended before the first poll are not reported)
    assert not any(isinstance(e, LocalModelsArrived) for e in events)
    reported = [m for e in events if isinstance(e, MetricsReported) for m in e.metrics]
    assert sorted((m.key, m.step) for m in reported if m.key == "accuracy") == [
        ("accuracy", 1),
        ("accuracy", 1),
    ]
    assert all(isinstance(m, Metric) for m in actor("models.metrics", gid))
    watched = actor("trainings.watch", tid, interval=0.01)  # a finished training: one poll, then the end
    assert isinstance(watched[-1], StateChanged) and watched[-1].state == TrainingState.C
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


def test_watch_reports_every_rounds_arrivals_even_when_polls_miss_them(
    emulator: FLEmulator, clients: Any
) -> None:
    """The emulator finishes each round between two polls (the test holds the watch while the
    participants upload and the aggregation runs): no poll ever sees 2/2, yet each round yields
    its arrivals, complete and inferred, before its RoundAdvanced."""
    anonymous: Api = clients(base_url=emulator.url, token=NOBODY)
    actor_user = anonymous("users.create", "actor", "pw", actor=True)
    people = [anonymous("users.create", f"p{i}", "pw", client=True) for i in range(2)]
    actor: Api = clients(base_url=emulator.url, token=actor_user.token)
    parts = [clients(base_url=emulator.url, username=p.username, password="pw") for p in people]
    net = small_model()
    model = actor("models.create", net, name="m")
    tid = actor("trainings.create", model.model_id, people, target_num_updates=2).training_id
    actor("trainings.start", tid)
    gid = actor("trainings.get", tid).model
    watch = actor.client.trainings.watch(tid, interval=0.001, max_interval=0.001)
    seen: list[Any] = []

    def until(last: Callable[[Any], bool]) -> None:
        """Consume events up to the one ``last`` accepts: the last event of one poll."""
        deadline = time.monotonic() + 30
        while not (seen and last(seen[-1])):
            assert time.monotonic() < deadline, f"no such event; saw {seen}"
            seen.append(actor.step(watch))

    def arrivals_of(round_: int) -> Callable[[Any], bool]:
        return lambda event: isinstance(event, LocalModelsArrived) and event.round == round_

    until(arrivals_of(0))
    for round_ in (0, 1):
        for person, api in zip(people, parts, strict=True):
            api("models.upload_local", gid, net, round=round_, sample_size=10, metrics={}, owner=person.id)
        emulator.wait_for_round(str(tid), round_ + 1)  # the round ended while the watch was not polling
        # the next poll sees the new round: its arrivals end that poll, or in the test round the round
        until(arrivals_of(1) if round_ == 0 else lambda event: isinstance(event, RoundAdvanced))
    for api in parts:
        api("models.upload_metrics", gid, {"accuracy": 0.5})
    emulator.wait_for_state(str(tid), "C")
    while True:
        try:
            seen.append(actor.step(watch))
        except StopIteration:
            break

    def brief(event: Any) -> tuple[Any, ...]:
        if isinstance(event, LocalModelsArrived):
            return ("arrived", event.round, event.arrived, event.expected, event.inferred)
        if isinstance(event, RoundAdvanced):
            return ("round", event.previous, event.round)
        if isinstance(event, StateChanged):
            return ("state", event.previous, event.state.value)
        return ("metrics", len(event.metrics))

    assert [brief(e) for e in seen] == [
        ("state", None, "O"),
        ("round", None, 0),
        ("arrived", 0, 0, 2, False),
        ("arrived", 0, 2, 2, True),
        ("round", 0, 1),
        ("arrived", 1, 0, 2, False),
        ("arrived", 1, 2, 2, True),
        ("round", 1, 2),
        ("metrics", 2),
        ("state", TrainingState.O, "C"),
    ]


def test_observer_infers_the_arrivals_of_every_round_that_ended_unseen() -> None:
    from support.values import TRAINING

    from fl_client.resources.events import Observer

    def poll(round_: int, arrived: int, state: str = "O") -> list[tuple[Any, ...]]:
        training = TrainingWithRounds.from_dict({**TRAINING, "state": state, "target_num_updates": 4,
                                                 "local_models_arrived": arrived, "local_models_expected": 3})  # fmt: skip
        return [
            (
                type(e).__name__,
                getattr(e, "round", None),
                getattr(e, "arrived", None),
                getattr(e, "inferred", None),
            )
            for e in observer.observe(training, round_, [])
        ]

    observer = Observer()
    assert poll(0, 1) == [("StateChanged", None, None, None), ("RoundAdvanced", 0, None, None),
                          ("LocalModelsArrived", 0, 1, False)]  # fmt: skip
    assert poll(0, 3) == [("LocalModelsArrived", 0, 3, False)]
    assert poll(3, 0) == [  # round 0 was seen complete; rounds 1 and 2 ended between two polls
        ("LocalModelsArrived", 1, 3, True), ("LocalModelsArrived", 2, 3, True),
        ("RoundAdvanced", 3, None, None), ("LocalModelsArrived", 3, 0, False),
    ]  # fmt: skip
    assert poll(3, 0) == []
    assert poll(4, 0, "C") == [("LocalModelsArrived", 3, 3, True), ("RoundAdvanced", 4, None, None),
                               ("StateChanged", None, None, None)]  # fmt: skip
