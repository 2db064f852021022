"""``fl-client models``: upload, ls, show, download, rm, metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import click

from ..defaults import DEFAULT_MAX_MODEL_BYTES
from ..env import ENV_MAX_MODEL_BYTES
from ..exit_codes import ExitCode
from ._common import Target, api_options
from ._output import info, json_option, metric_value_text, print_json, print_table
from ._progress import transfer_progress
from .download import download_model_file

__all__ = ["metric_rows", "models_group"]


def _shape(text: str | None) -> list[int | None] | None:
    """``None,1,28,28`` -> ``[None, 1, 28, 28]`` (None or ``-1`` for a free dimension)."""
    if text is None:
        return None
    shape: list[int | None] = []
    for raw in text.split(","):
        part = raw.strip()
        if part.lower() in {"none", "-1", "?"}:
            shape.append(None)
        elif part.isdigit():
            shape.append(int(part))
        else:
            raise click.BadParameter(
                f"{part!r} is not a dimension; write e.g. None,1,28,28", param_hint="--input-shape"
            )
    return shape


def _kind(model: Any) -> str:
    return type(model).__name__.removesuffix("Model").removesuffix("ModelMetadata").lower() or "model"


def metric_rows(metrics: list[Any]) -> list[list[object]]:
    """Table rows for metrics: key, round (step), reporter, value."""
    rows: list[list[object]] = []
    for m in sorted(metrics, key=lambda m: (m.key, m.step, str(m.reporter))):
        rows.append([m.key, m.step, m.reporter or "-", metric_value_text(m.value_float, m.value_binary)])
    return rows


@click.group("models", short_help="models: upload, list, show, download, delete, metrics")
def models_group() -> None:
    """Global models an actor uploads, local models participants send, and their metrics."""


@models_group.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="the model's name")
@click.option("--description", default="", help="free text")
@click.option(
    "--input-shape",
    metavar="DIMS",
    help="e.g. None,1,28,28 (None: any size); lets the server compute statistics",
)
@click.option(
    "--type",
    "model_type",
    type=click.Choice(["GLOBAL", "SWAG"], case_sensitive=False),
    default="GLOBAL",
    show_default=True,
)
@click.option(
    "--preprocessing",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a TorchScript preprocessing module to store with it",
)
@click.option(
    "--max-model-bytes",
    type=click.IntRange(min=0),
    metavar="BYTES",
    help=f"refuse a larger file before sending it (env {ENV_MAX_MODEL_BYTES}; default "
    f"{DEFAULT_MAX_MODEL_BYTES}, what the server stores less a margin; 0: no limit)",
)
@api_options
@json_option
def upload_command(
    target: Target,
    as_json: bool,
    file: Path,
    name: str,
    description: str,
    input_shape: str | None,
    model_type: str,
    preprocessing: Path | None,
    max_model_bytes: int | None,
) -> int:
    """Upload a model file (TorchScript or torch.save) as a new global model; prints its id.
    The file streams from disk (a progress bar on a terminal). A file larger than the server
    can store (just under 256 MiB) is refused before a byte is sent (exit 5)."""
    with (
        transfer_progress("upload") as progress,
        target.client(progress=progress, max_model_bytes=max_model_bytes) as api,
    ):
        created = api.models.create(
            file,
            name=name,
            description=description,
            input_shape=_shape(input_shape),
            model_type=model_type.upper(),
            preprocessing=preprocessing,
        )
    if as_json:
        print_json(created)
    else:
        click.echo(str(created.model_id))
        info(f"model {name!r} uploaded ({file.stat().st_size} bytes)")
    return ExitCode.OK


@models_group.command("ls")
@api_options
@json_option
def ls_command(target: Target, as_json: bool) -> int:
    """The models you may see."""
    with target.client() as api:
        models = api.models.list()
    if as_json:
        print_json(models)
        return ExitCode.OK
    print_table(
        ["id", "kind", "name", "round", "owner"],
        [[m.id, _kind(m), getattr(m, "name", ""), m.round_, m.owner] for m in models],
    )
    return ExitCode.OK


@models_group.command("show")
@click.argument("model_id", type=click.UUID)
@api_options
@json_option
def show_command(target: Target, as_json: bool, model_id: UUID) -> int:
    """A model's metadata (name, round, input shape, statistics)."""
    with target.client() as api:
        meta = api.models.metadata(model_id)
    if as_json:
        print_json(meta)
        return ExitCode.OK
    fields = meta.to_dict()
    stats = fields.pop("stats", None)
    rows = [[key, value] for key, value in fields.items()]
    if isinstance(stats, dict):
        rows += [[f"stats.{key}", value] for key, value in stats.items() if key != "summary"]
    print_table(["field", "value"], rows)
    return ExitCode.OK


@models_group.command("download")
@click.argument("model_id", type=click.UUID)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the file to write (replaced only when the download is complete)")  # fmt: skip
@api_options
def download_command(target: Target, model_id: UUID, output: Path) -> int:
    """Save a model's file, verified and atomic (the same as `fl-client download`)."""
    download_model_file(target, model_id, output)
    return ExitCode.OK


@models_group.command("rm")
@click.argument("model_ids", type=click.UUID, nargs=-1, required=True, metavar="MODEL_ID...")
@api_options
def rm_command(target: Target, model_ids: tuple[UUID, ...]) -> int:
    """Delete models (yours, not used by a training)."""
    with target.client() as api:
        for model_id in model_ids:
            api.models.delete(model_id)
            info(f"model {model_id} deleted")
    return ExitCode.OK


@models_group.command("metrics")
@click.argument("model_id", type=click.UUID)
@api_options
@json_option
def metrics_command(target: Target, as_json: bool, model_id: UUID) -> int:
    """The metrics reported for a model (key, round, reporter, value)."""
    with target.client() as api:
        metrics = api.models.metrics(model_id)
    if as_json:
        print_json(metrics)
    else:
        print_table(["metric", "round", "reporter", "value"], metric_rows(metrics))
    return ExitCode.OK
