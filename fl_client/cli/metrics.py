"""``fl-client metrics``: a training's (or a model's) metrics as a table, a terminal chart or a PNG.

Series: one per metric and participant (``--per participant``, default), or one per metric,
the mean over participants (``--per aggregate``); x is the round (the metric's ``step``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import click

from ..exceptions import ConfigurationError, NotFoundError
from ..exit_codes import ExitCode
from ._common import Target, api_options
from ._output import info, json_option, out_console, print_json, print_table
from .models import metric_rows

if TYPE_CHECKING:
    from fl_demonstrator_api.models import Metric

    from ..client import FLClient

__all__ = ["metrics_group", "series"]

Series = dict[tuple[str, str], list[tuple[int, float]]]
_BLOCKS = "▁▂▃▄▅▆▇█"


def _metrics_of(api: FLClient, object_id: UUID) -> list[Metric]:
    """A training id (its global model's metrics) or a model id."""
    try:
        model = api.trainings.get(object_id).model
    except NotFoundError:
        model = object_id
    return api.models.metrics(model)


def series(metrics: list[Metric], per: str) -> Series:
    """{(metric, participant or "mean"): [(round, value), ...]} for numeric metrics."""
    points: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for m in metrics:
        if not isinstance(m.value_float, float | int) or isinstance(m.value_float, bool):
            continue
        who = "mean" if per == "aggregate" else str(m.reporter or "server")
        points[(m.key, who)][m.step].append(float(m.value_float))
    return {
        k: [(step, statistics.fmean(v)) for step, v in sorted(steps.items())]
        for k, steps in sorted(points.items())
    }


def sparkline(values: list[float]) -> str:
    low, high = min(values), max(values)
    span = high - low or 1.0
    return "".join(_BLOCKS[round((v - low) / span * (len(_BLOCKS) - 1))] for v in values)


_per_option = click.option(
    "--per",
    type=click.Choice(["participant", "aggregate"]),
    default="participant",
    show_default=True,
    help="one line per participant, or the mean over participants",
)


@click.group("metrics", short_help="metrics of a training: table, terminal chart, PNG plot")
def metrics_group() -> None:
    """Metrics the participants reported, per round. ID is a training id or a model id."""


@metrics_group.command("show")
@click.argument("object_id", type=click.UUID, metavar="ID")
@api_options
@json_option
def show_command(target: Target, as_json: bool, object_id: UUID) -> int:
    """The metrics as a table (metric, round, reporter, value)."""
    with target.client() as api:
        metrics = _metrics_of(api, object_id)
    if as_json:
        print_json(metrics)
    else:
        print_table(["metric", "round", "reporter", "value"], metric_rows(metrics))
    return ExitCode.OK


@metrics_group.command("plot")
@click.argument("object_id", type=click.UUID, metavar="ID")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write a PNG (needs matplotlib: pip install 'fl-client[plot]'); without it, a chart in the terminal")  # fmt: skip
@click.option(
    "--width", type=click.FloatRange(min=1), default=8.0, show_default=True, help="PNG width, inches"
)
@click.option(
    "--height", type=click.FloatRange(min=1), default=5.0, show_default=True, help="PNG height, inches"
)
@click.option("--dpi", type=click.IntRange(min=10, max=1200), default=100, show_default=True)
@_per_option
@api_options
@json_option
def plot_command(
    target: Target,
    as_json: bool,
    object_id: UUID,
    output: Path | None,
    width: float,
    height: float,
    dpi: int,
    per: str,
) -> int:
    """One line per metric over the rounds, per participant or aggregated. --json prints the series:
    [{"metric", "series", "points": [[round, value], ...]}]."""
    with target.client() as api:
        found = series(_metrics_of(api, object_id), per)
    if as_json:
        print_json(
            [
                {"metric": k, "series": who, "points": [list(p) for p in pts]}
                for (k, who), pts in found.items()
            ]
        )
    elif output is None:
        _terminal_chart(found)
    if output is not None:
        if not found:
            raise ConfigurationError(f"no numeric metrics for {object_id} yet: nothing to plot")
        _png(found, output, width=width, height=height, dpi=dpi)
        info(f"{output}: {output.stat().st_size} bytes, {round(width * dpi)}x{round(height * dpi)} pixels")
    return ExitCode.OK


def _terminal_chart(found: Series) -> None:
    console = out_console()
    if not found:
        console.print("no numeric metrics yet")
        return
    for (key, who), points in found.items():
        values = [v for _, v in points]
        console.print(
            f"{key:<12} {who:<38} {sparkline(values)}  round {points[0][0]}..{points[-1][0]}: "
            f"{values[0]:.4g} -> {values[-1]:.4g} (min {min(values):.4g}, max {max(values):.4g})",
            markup=False,
            highlight=False,
        )


def _png(found: Series, output: Path, *, width: float, height: float, dpi: int) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)  # no display; this process draws files only
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigurationError("writing a PNG needs matplotlib: pip install 'fl-client[plot]'") from None
    keys = sorted({key for key, _ in found})
    figure, axes = plt.subplots(len(keys), 1, figsize=(width, height), dpi=dpi, squeeze=False)
    try:
        for ax, key in zip(axes[:, 0], keys, strict=True):
            for (k, who), points in found.items():
                if k == key:
                    ax.plot([s for s, _ in points], [v for _, v in points], marker="o", label=who[:8])
            ax.set_title(key)
            ax.set_xlabel("round")
            ax.legend(fontsize="small")
        figure.tight_layout()
        partial = output.with_name(output.name + ".part")
        try:
            figure.savefig(partial, format="png", dpi=dpi)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    finally:
        plt.close(figure)
