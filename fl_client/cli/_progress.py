"""Progress bars for model transfers: rich on a terminal (stderr), nothing in a pipe or a log."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ..progress import ProgressCallback
from ._output import err_console

__all__ = ["transfer_progress"]


@contextmanager
def transfer_progress(label: str) -> Iterator[ProgressCallback | None]:
    """A `ProgressCallback` drawing a bar on stderr while the block runs; None when not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console(), transient=False) as bar:
        task: TaskID = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
