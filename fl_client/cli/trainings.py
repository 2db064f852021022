"""``fl-client trainings``: create, start, ls, show, watch, rm, add, remove."""

from __future__ import annotations

from uuid import UUID

import click

from ..defaults import DEFAULT_STALL_TIMEOUT, DEFAULT_WATCH_POLL
from ..exit_codes import ExitCode
from ._common import Target, api_options
from ._output import info, json_option, print_json, print_table
from ._watch import STATE_NAMES, report, watch_training

__all__ = ["trainings_group"]


def _state(value: str) -> str:
    return f"{value} ({STATE_NAMES.get(value, '?')})"


@click.group("trainings", short_help="trainings: create, start, list, show, watch, delete, participants")
def trainings_group() -> None:
    """Federated trainings of a global model by participants (the actor's side)."""


@trainings_group.command("create")
@click.argument("model_id", type=click.UUID)
@click.option("-p", "--participant", "participants", type=click.UUID, multiple=True, metavar="USER_ID",
              help="a participant's user id; repeat for each")  # fmt: skip
@click.option(
    "-n", "--rounds", type=click.IntRange(min=1), required=True, help="target number of updates (rounds)"
)
@click.option(
    "--aggregation",
    type=click.Choice(["FedAvg", "FedDC", "FedProx"], case_sensitive=False),
    default="FedAvg",
    show_default=True,
)
@click.option(
    "--uncertainty",
    type=click.Choice(["NONE", "ENSEMBLE", "MC_DROPOUT", "SWAG"], case_sensitive=False),
    default="NONE",
    show_default=True,
)
@click.option("-m", "--metric", "metric_names", multiple=True, default=("accuracy",), show_default=True,
              help="a metric the participants report; repeat for each")  # fmt: skip
@api_options
@json_option
def create_command(
    target: Target,
    as_json: bool,
    model_id: UUID,
    participants: tuple[UUID, ...],
    rounds: int,
    aggregation: str,
    uncertainty: str,
    metric_names: tuple[str, ...],
) -> int:
    """Create a training of MODEL_ID; prints its id."""
    aggregation = {"fedavg": "FedAvg", "feddc": "FedDC", "fedprox": "FedProx"}[aggregation.lower()]
    with target.client() as api:
        created = api.trainings.create(
            model_id,
            participants,
            target_num_updates=rounds,
            aggregation_method=aggregation,
            uncertainty_method=uncertainty.upper(),
            metric_names=metric_names,
        )
    if as_json:
        print_json(created)
    else:
        click.echo(str(created.training_id))
        info(
            f"training created with {len(participants)} participant(s); start it with `fl-client trainings start`"
        )
    return ExitCode.OK


@trainings_group.command("start")
@click.argument("training_id", type=click.UUID)
@api_options
@json_option
def start_command(target: Target, as_json: bool, training_id: UUID) -> int:
    """Start a training: the server notifies every participant. With --json, prints the started
    training (as `trainings show --json` does)."""
    with target.client() as api:
        detail = api.trainings.start(training_id)
        started = api.trainings.get(training_id) if as_json else None
    info(detail.detail)
    if started is not None:
        print_json(started)
    return ExitCode.OK


@trainings_group.command("ls")
@api_options
@json_option
def ls_command(target: Target, as_json: bool) -> int:
    """The trainings you may see."""
    with target.client() as api:
        trainings = api.trainings.list()
    if as_json:
        print_json(trainings)
        return ExitCode.OK
    print_table(
        ["id", "state", "rounds", "aggregation", "participants", "model"],
        [[t.id, _state(t.state.value), t.target_num_updates, t.aggregation_method.value, len(t.participants), t.model]
         for t in trainings],
    )  # fmt: skip
    return ExitCode.OK


@trainings_group.command("show")
@click.argument("training_id", type=click.UUID)
@api_options
@json_option
def show_command(target: Target, as_json: bool, training_id: UUID) -> int:
    """One training: state, rounds, local models arrived, participants."""
    with target.client() as api:
        training = api.trainings.get(training_id)
    if as_json:
        print_json(training)
        return ExitCode.OK
    rows: list[list[object]] = [
        ["id", training.id],
        ["state", _state(training.state.value)],
        ["rounds", training.target_num_updates],
        ["local models", f"{training.local_models_arrived}/{training.local_models_expected}"],
        ["aggregation", training.aggregation_method.value],
        ["model", training.model],
        ["actor", training.actor],
        ["participants", "\n".join(str(p) for p in training.participants) or "-"],
    ]
    print_table(["field", "value"], rows)
    return ExitCode.OK


@trainings_group.command("watch")
@click.argument("training_id", type=click.UUID)
@click.option("--interval", type=click.FloatRange(min=0.01), default=DEFAULT_WATCH_POLL, show_default=True,
              help="seconds between polls")  # fmt: skip
@click.option(
    "--stall-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_STALL_TIMEOUT,
    show_default=True,
    help="exit 9 when nothing changes for this many seconds",
)
@api_options
@json_option
def watch_command(
    target: Target, as_json: bool, training_id: UUID, interval: float, stall_timeout: float
) -> int:
    """Follow a training live: state, round r/N, local models arrived x/n, metrics per round,
    elapsed time. Redraws on a terminal; prints one line per event otherwise (one JSON object
    per line with --json). Exits 0 when it completes, 8 when it fails, 9 when it stalls."""
    with target.client() as api:
        result = watch_training(
            api, str(training_id), interval=interval, stall_timeout=stall_timeout, as_json=as_json
        )
    return report(result)


@trainings_group.command("rm")
@click.argument("training_ids", type=click.UUID, nargs=-1, required=True, metavar="TRAINING_ID...")
@api_options
def rm_command(target: Target, training_ids: tuple[UUID, ...]) -> int:
    """Delete trainings."""
    with target.client() as api:
        for training_id in training_ids:
            api.trainings.delete(training_id)
            info(f"training {training_id} deleted")
    return ExitCode.OK


@trainings_group.command("add")
@click.argument("training_id", type=click.UUID)
@click.argument("user_ids", type=click.UUID, nargs=-1, required=True, metavar="USER_ID...")
@api_options
def add_command(target: Target, training_id: UUID, user_ids: tuple[UUID, ...]) -> int:
    """Add participants to a training."""
    with target.client() as api:
        info(api.trainings.add_participants(training_id, user_ids).detail)
    return ExitCode.OK


@trainings_group.command("remove")
@click.argument("training_id", type=click.UUID)
@click.argument("user_ids", type=click.UUID, nargs=-1, required=True, metavar="USER_ID...")
@api_options
def remove_command(target: Target, training_id: UUID, user_ids: tuple[UUID, ...]) -> int:
    """Remove participants from a training."""
    with target.client() as api:
        info(api.trainings.remove_participants(training_id, user_ids).detail)
    return ExitCode.OK
