"""``fl-client infer``: run a model on the server on some input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import click

from ..exceptions import ConfigurationError
from ..exit_codes import ExitCode
from ._common import Target, api_options
from ._output import json_option, print_json, print_table

__all__ = ["infer_command"]


def _read_input(source: str) -> Any:
    """JSON (nested lists) from a .json file or ``-`` (stdin); any other file is sent as bytes
    (a torch-saved tensor or an image)."""
    if source == "-":
        text = sys.stdin.read()
    elif source.endswith(".json"):
        text = Path(source).read_text(encoding="utf-8")
    else:
        return Path(source).read_bytes()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(f"--input {source}: not JSON ({exc})") from exc


@click.command("infer", short_help="run a model on the server on some input")
@click.argument("model_id", type=click.UUID)
@click.option("-i", "--input", "source", required=True, metavar="FILE|-",
              help="a .json file of nested lists, '-' for JSON on stdin, or a file sent as is (a torch-saved tensor, an image)")  # fmt: skip
@api_options
@json_option
def infer_command(target: Target, as_json: bool, model_id: UUID, source: str) -> int:
    """Predict with MODEL_ID. --json prints {"inference": [...], "uncertainty": {...}}."""
    if source != "-" and not Path(source).is_file():
        raise click.BadParameter(f"{source!r} is not a file", param_hint="--input")
    model_input = _read_input(source)
    with target.client() as api:
        result = api.inference.predict(model_id, model_input)
    if as_json:
        print_json(result)
        return ExitCode.OK
    rows = [[i, json.dumps(value)] for i, value in enumerate(result.inference)]
    print_table(["row", "inference"], rows)
    uncertainty = result.uncertainty.to_dict()
    if uncertainty:
        print_table(["uncertainty", "value"], [[k, json.dumps(v)] for k, v in uncertainty.items()])
    return ExitCode.OK
