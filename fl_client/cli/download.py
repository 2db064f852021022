"""``fl-client download``: one model file to disk, verified and atomic."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from uuid import UUID

from ..exceptions import ConfigurationError
from ..settings import Settings
from ._common import EXIT_ERROR, EXIT_OK, add_credentials, authorization_from

__all__ = ["add_download", "run_download"]


def add_download(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    download = commands.add_parser(
        "download",
        help="save a model's file from the server (with a progress bar on a terminal)",
        description=(
            "Stream GET /api/models/MODEL_ID/ into a file, checked against its Content-Length, "
            "retrying transient failures. Nothing is unpickled."
        ),
    )
    add = download.add_argument
    add("model_id", type=UUID, metavar="MODEL_ID", help="the model's UUID")
    add(
        "-o",
        "--output",
        required=True,
        help="the file to write (replaced only when the download is complete)",
    )
    add("--base-url", help="the server (env FL_DEMONSTRATOR_BASE_URL; default http://localhost:8000)")
    add_credentials(add)
    download.set_defaults(handler=run_download)


def run_download(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    """``fl-client download``: one model file to disk, atomically."""
    from .._core import transfer as _transfer
    from .._core.http import create_client
    from .._core.retry import RetryPolicy, run_with_retries
    from ..exceptions import FLClientError
    from ..progress import StderrProgress

    env = os.environ if environ is None else environ
    authorization = authorization_from(args, env)
    if authorization is None:
        raise ConfigurationError("give --username/--password or --token (or FL_CLIENT_USERNAME/...)")
    base_url = (args.base_url or Settings.from_env(env).base_url).rstrip("/")
    output = Path(args.output)
    partial = output.with_name(output.name + ".part")
    path = f"/api/models/{args.model_id}/"
    with create_client(base_url=base_url, authorization=authorization) as client:
        try:
            run_with_retries(
                lambda: _transfer.download_to_file(
                    client.get_httpx_client(), path, partial, progress=StderrProgress("download")
                ),
                operation="model download",
                policy=RetryPolicy(),
                idempotent=True,
            )
        except FLClientError as exc:
            partial.unlink(missing_ok=True)
            print(f"fl-client download: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except BaseException:  # Ctrl-C, a signal, a bug: no partial file stays behind
            partial.unlink(missing_ok=True)
            raise
    partial.replace(output)
    print(f"{output}: {output.stat().st_size} bytes", file=sys.stderr)
    return EXIT_OK
