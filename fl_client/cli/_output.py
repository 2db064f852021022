"""Output for people (rich tables on stdout, messages on stderr) and for scripts (``--json``).

``--json`` prints the server's own JSON representation of what was read: one object for
``show``-like commands, a list of objects for ``ls``-like commands (field names as in the API
reference), with UUIDs and times as strings. Tables are for people and may change; the JSON
shape is the stable interface.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

__all__ = [
    "err_console",
    "info",
    "json_option",
    "metric_value_text",
    "out_console",
    "print_json",
    "print_table",
    "to_jsonable",
]

F = TypeVar("F", bound=Callable[..., Any])

# A pipe has no width; a table cut at 80 columns would wrap every UUID.
_PIPE_WIDTH = 200


def _console(stream: Any) -> Console:
    terminal = stream.isatty()
    width = None if terminal else int(os.environ.get("COLUMNS") or _PIPE_WIDTH)
    return Console(file=stream, width=width, soft_wrap=not terminal, highlight=False)


def out_console() -> Console:
    return _console(sys.stdout)


def err_console() -> Console:
    return _console(sys.stderr)


def info(message: str) -> None:
    """A line for the person at the terminal, on stderr (stdout stays for data)."""
    err_console().print(message, markup=False)


def json_option(func: F) -> F:
    """Add ``--json`` (print the stable JSON shape instead of a table) as ``as_json: bool``."""
    return click.option(
        "--json", "as_json", is_flag=True, help="print JSON (the API's field names) instead of a table"
    )(func)


def to_jsonable(value: Any) -> Any:
    """Generated models (``to_dict``), lists, dicts, UUIDs, enums and times as plain JSON values."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, (UUID, datetime, date)):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    return value


def metric_value_text(value_float: object, value_binary: object) -> str:
    """A metric's value for people: the number, or ``<binary, N bytes>`` for a binary value (SWAG
    moments are whole tensors; their base64 text would fill the screen). ``--json`` keeps it all."""
    if isinstance(value_float, float | int) and not isinstance(value_float, bool):
        return f"{value_float:.6g}"
    if isinstance(value_binary, str):
        padding = len(value_binary) - len(value_binary.rstrip("="))
        return f"<binary, {len(value_binary) * 3 // 4 - padding} bytes>"
    return "-"


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()


def print_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None) -> None:
    table = Table(title=title, show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    out_console().print(table)
