"""The actor's side of a federated training, through the public client only.

Against any FL Demonstrator (``--base-url``): create an actor and participant users (or reuse
them), upload the initial global model, create a training with the participants, start it, show
its progress live and print each round's test metrics as a table::

    python examples/actor.py --base-url http://localhost:8000 \\
        --endpoint http://10.0.0.11:8101/ --endpoint http://10.0.0.12:8101/ --endpoint http://10.0.0.13:8101/

Each ``--endpoint`` is a participant's ``fl-client serve``; they must be listening before the
training starts. ``make demo`` runs this workflow against the emulator (examples/demo.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from fl_demonstrator_api.models import Metric, TrainingState, TrainingWithRounds, User

from fl_client import (
    FLClient,
    FLClientError,
    LocalModelsArrived,
    MetricsReported,
    RoundAdvanced,
    StateChanged,
    TrainingEvent,
)

DEFAULT_ROUNDS = 3
DEFAULT_TIMEOUT = 600.0
PASSWORD = "change-me"


def initial_model() -> torch.jit.ScriptModule:
    """A 64-32-10 MLP for 8x8 digits, as TorchScript (loads anywhere without trusting classes)."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    scripted: torch.jit.ScriptModule = torch.jit.script(net)
    return scripted


def create_users(client: FLClient, prefix: str, endpoints: Sequence[str]) -> tuple[User, list[User]]:
    """An actor and one participant per receiver endpoint (``POST /api/users/`` needs no login)."""
    actor = client.users.create(f"{prefix}actor", PASSWORD, actor=True)
    participants = [
        client.users.create(f"{prefix}participant{i + 1}", PASSWORD, client=True, message_endpoint=endpoint)
        for i, endpoint in enumerate(endpoints)
    ]
    return actor, participants


@dataclass
class Progress:
    """Turns training events into lines for a person, and collects test metrics per round."""

    names: dict[str, str]
    out: Callable[[str], None] = print
    metrics: dict[int, dict[str, float]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def __call__(self, event: TrainingEvent) -> None:
        stamp = f"[{time.monotonic() - self.started:6.1f} s]"
        if isinstance(event, StateChanged):
            self.out(
                f"{stamp} state {event.previous.value if event.previous else '-'} -> {event.state.value}"
            )
        elif isinstance(event, RoundAdvanced) and event.previous is not None:
            self.out(f"{stamp} round {event.round}/{event.training.target_num_updates} aggregated")
        elif isinstance(event, LocalModelsArrived) and event.arrived:
            self.out(f"{stamp} round {event.round}: local models {event.arrived}/{event.expected}")
        elif isinstance(event, MetricsReported):
            for metric in event.metrics:
                self._record(metric)

    def _record(self, metric: Metric) -> None:
        name = self.names.get(str(metric.reporter))
        if name is None or not isinstance(metric.value_float, float):
            return
        self.metrics.setdefault(metric.step, {})[f"{name} {metric.key}"] = metric.value_float

    def table(self) -> str:
        """Rounds as rows, participant metrics as columns."""
        columns = sorted({column for row in self.metrics.values() for column in row})
        lines = ["round | " + " | ".join(columns)]
        for step in sorted(self.metrics):
            row = self.metrics[step]
            lines.append(f"{step:5d} | " + " | ".join(f"{row[c]:.3f}" if c in row else "-" for c in columns))
        return "\n".join(lines)


def run_training(
    client: FLClient,
    participants: Sequence[User],
    *,
    model: object,
    rounds: int = DEFAULT_ROUNDS,
    timeout: float = DEFAULT_TIMEOUT,
    out: Callable[[str], None] = print,
) -> tuple[TrainingWithRounds, Progress]:
    """Upload ``model``, create a FedAvg training of ``rounds`` rounds, start it, wait for the end."""
    created = client.models.create(
        model, name="digits-mlp", description="64-32-10 MLP", input_shape=[None, 64]
    )
    out(f"model {created.model_id} uploaded")
    training = client.trainings.create(created.model_id, participants, target_num_updates=rounds)
    out(f"training {training.training_id} created with {len(participants)} participants")
    client.trainings.start(training.training_id)
    progress = Progress({str(p.id): p.username for p in participants}, out)
    done = client.trainings.wait(training.training_id, timeout=timeout, on_event=progress, interval=0.1)
    return done, progress


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True, help="the FL Demonstrator, e.g. http://localhost:8000")
    parser.add_argument("--endpoint", action="append", required=True, help="a participant's receiver URL")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--prefix", default=f"demo{int(time.time())}-", help="prefix of the user names")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    args = parser.parse_args(argv)
    try:
        with FLClient(base_url=args.base_url, username="nobody", password="-") as anonymous:
            actor, participants = create_users(anonymous, args.prefix, args.endpoint)
        with FLClient(base_url=args.base_url, username=actor.username, password=PASSWORD) as client:
            done, progress = run_training(
                client, participants, model=initial_model(), rounds=args.rounds, timeout=args.timeout
            )
    except FLClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(progress.table())
    print(f"training {done.id} ended in state {done.state.value}")
    return 0 if done.state == TrainingState.C else 1


if __name__ == "__main__":
    sys.exit(main())
