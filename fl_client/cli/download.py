"""``fl-client download``: one model file to disk, verified and atomic."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import click

from ..exit_codes import ExitCode
from ._common import Target, api_options
from ._output import info
from ._progress import transfer_progress

__all__ = ["download_command", "download_model_file"]


@click.command("download", short_help="save a model's file from the server (a progress bar on a terminal)")
@click.argument("model_id", type=click.UUID, metavar="MODEL_ID")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the file to write (replaced only when the download is complete)",
)
@api_options
def download_command(target: Target, model_id: UUID, output: Path) -> int:
    """Stream GET /api/models/MODEL_ID/ into a file, checked against its Content-Length,
    retrying transient failures. Nothing is unpickled."""
    download_model_file(target, model_id, output)
    return ExitCode.OK


def download_model_file(target: Target, model_id: UUID, output: Path) -> Path:
    """Download into ``output`` atomically (a partial file never replaces it); report on stderr."""
    with transfer_progress("download") as progress, target.client(progress=progress) as client:
        client.models.download_to(model_id, output)
    info(f"{output}: {output.stat().st_size} bytes")
    return output
