"""The live view of `fl-client trainings watch`: a redrawn panel on a terminal, one line per event
in a pipe (or one JSON object per event with ``--json``).

It polls the public client (`Trainings.get`, `Models.metadata`, `Models.metrics`) and compares
polls with `fl_client.resources.events.Observer`, the same comparison `Trainings.watch` uses;
it polls itself so that it can redraw the elapsed time and notice a stall between events.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from fl_demonstrator_api.models import GlobalModelMetadata, Metric, TrainingState, TrainingWithRounds
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..exit_codes import ExitCode
from ..resources.events import (
    LocalModelsArrived,
    Observer,
    RoundAdvanced,
    StateChanged,
    TrainingEvent,
)
from ._output import err_console, metric_value_text, out_console, to_jsonable

if TYPE_CHECKING:
    from ..client import FLClient

__all__ = ["STATE_NAMES", "WatchResult", "watch_training"]

STATE_NAMES = {"I": "initial", "O": "ongoing", "C": "completed", "E": "error", "S": "swag rounds"}


@dataclass
class _View:
    """What the panel shows: the latest poll and the metrics so far."""

    training: TrainingWithRounds | None = None
    round: int | None = None
    started: float = field(default_factory=time.monotonic)
    metrics: list[Metric] = field(default_factory=list)

    def header(self) -> str:
        t = self.training
        if t is None:
            return "waiting for the first answer"
        state = STATE_NAMES.get(t.state.value, t.state.value)
        rnd = "-" if self.round is None else str(self.round)
        return (
            f"training {t.id}  state {state}  round {rnd}/{t.target_num_updates}  "
            f"local models {t.local_models_arrived}/{t.local_models_expected}  "
            f"elapsed {time.monotonic() - self.started:.0f}s"
        )

    def render(self) -> Group:
        table = Table(title="metrics (mean over participants)", show_edge=False, header_style="bold")
        rounds = per_round_means(self.metrics)
        keys = sorted({key for values in rounds.values() for key in values})
        table.add_column("round")
        for key in keys:
            table.add_column(key)
        for step in sorted(rounds):
            table.add_row(str(step), *(_fmt(rounds[step].get(key)) for key in keys))
        return Group(Text(self.header(), style="bold"), table)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def per_round_means(metrics: list[Metric]) -> dict[int, dict[str, float]]:
    """{round: {metric: mean over reporters}} for numeric metrics."""
    values: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for metric in metrics:
        if isinstance(metric.value_float, float | int) and not isinstance(metric.value_float, bool):
            values[metric.step][metric.key].append(float(metric.value_float))
    return {step: {k: statistics.fmean(v) for k, v in keys.items()} for step, keys in values.items()}


def event_line(event: TrainingEvent, elapsed: float) -> str:
    """One line per event, for a pipe or a log."""
    prefix = f"[{elapsed:7.1f}s]"
    if isinstance(event, StateChanged):
        before = (
            "-" if event.previous is None else STATE_NAMES.get(event.previous.value, event.previous.value)
        )
        return f"{prefix} state {before} -> {STATE_NAMES.get(event.state.value, event.state.value)}"
    if isinstance(event, RoundAdvanced):
        return f"{prefix} round {event.round}/{event.training.target_num_updates}"
    if isinstance(event, LocalModelsArrived):
        where = (
            "" if event.round is None else f" (round {event.round}{', inferred' if event.inferred else ''})"
        )
        return f"{prefix} local models {event.arrived}/{event.expected}{where}"
    parts = [f"{m.key}={metric_value_text(m.value_float, m.value_binary)} (round {m.step}, {m.reporter or 'server'})"
             for m in event.metrics]  # fmt: skip
    return f"{prefix} metrics " + "; ".join(parts)


def event_json(event: TrainingEvent, elapsed: float) -> str:
    """One JSON object per event: {"event", "elapsed", "training", ...the event's own fields}."""
    data: dict[str, Any] = {"event": type(event).__name__, "elapsed": round(elapsed, 3)}
    data["training"] = to_jsonable(event.training)
    if isinstance(event, StateChanged):
        data.update(previous=event.previous and event.previous.value, state=event.state.value)
    elif isinstance(event, RoundAdvanced):
        data.update(previous=event.previous, round=event.round)
    elif isinstance(event, LocalModelsArrived):
        data.update(
            arrived=event.arrived, expected=event.expected, round=event.round, inferred=event.inferred
        )
    else:
        data["metrics"] = to_jsonable(event.metrics)
    return json.dumps(data, sort_keys=True)


@dataclass(frozen=True)
class WatchResult:
    code: int
    message: str


def watch_training(
    client: FLClient,
    training_id: str,
    *,
    interval: float,
    stall_timeout: float,
    as_json: bool,
    live: bool | None = None,
    stream: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WatchResult:
    """Follow a training until it completes (0), fails (8) or nothing changes for ``stall_timeout`` s (9)."""
    out = stream or sys.stdout
    live = out.isatty() and not as_json if live is None else live
    view, observer = _View(), Observer()
    last_change = time.monotonic()

    def poll() -> list[TrainingEvent]:
        training = client.trainings.get(training_id)
        meta = client.models.metadata(training.model)
        round_ = meta.round_ if isinstance(meta, GlobalModelMetadata) else None
        metrics = client.models.metrics(training.model)
        view.training, view.round, view.metrics = training, round_, metrics
        return observer.observe(training, round_, metrics)

    def outcome() -> WatchResult | None:
        training = view.training
        assert training is not None
        if training.state == TrainingState.C:
            return WatchResult(ExitCode.OK, f"training {training_id} completed")
        if training.state == TrainingState.E:
            return WatchResult(ExitCode.TRAINING_FAILED, f"training {training_id} ended in state error")
        if time.monotonic() - last_change > stall_timeout:
            return WatchResult(
                ExitCode.TRAINING_STALLED,
                f"training {training_id} stalled: nothing changed for {stall_timeout:g} s ({view.header()})",
            )
        return None

    if live:
        console = out_console()
        with Live(view.render(), console=console, auto_refresh=False, transient=False) as panel:
            while True:
                if poll():
                    last_change = time.monotonic()
                panel.update(view.render(), refresh=True)
                result = outcome()
                if result is not None:
                    return result
                sleep(interval)
    while True:
        events = poll()
        if events:
            last_change = time.monotonic()
        elapsed = time.monotonic() - view.started
        for event in events:
            out.write((event_json(event, elapsed) if as_json else event_line(event, elapsed)) + "\n")
        out.flush()
        result = outcome()
        if result is not None:
            return result
        sleep(interval)


def report(result: WatchResult) -> int:
    err_console().print(result.message, markup=False)
    return result.code
