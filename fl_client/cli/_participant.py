"""What ``fl-client serve`` and ``fl-client doctor`` share about the participant's setup: the options
naming the receiver's address and the training script, and the `Settings` they resolve to.

Both commands read the same options and variables in the same order (option > environment >
default), so ``doctor`` checks exactly the receiver and script ``serve`` would run.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

import click

from ..defaults import DEFAULT_SERVER_HOST, DEFAULT_SERVER_PORT
from ..env import (
    ENV_SCRIPT_EXECUTOR,
    ENV_SCRIPT_PATH,
    ENV_SERVER_HOST,
    ENV_SERVER_PORT,
    ENV_WORKING_DIRECTORY,
)
from ..exceptions import ConfigurationError
from ..settings import Settings

__all__ = ["participant_options", "participant_settings", "validate_participant_settings"]

F = TypeVar("F", bound=Callable[..., Any])


def participant_options(func: F) -> F:
    """Add ``--host``, ``--port``, ``--script``, ``--executor`` and ``--workdir`` (as keyword
    arguments of the same names; None where not given)."""
    options = [
        click.option(
            "--host", help=f"address to listen on (env {ENV_SERVER_HOST}; default {DEFAULT_SERVER_HOST})"
        ),
        click.option(
            "--port",
            type=int,
            help=f"port, 0 for any free one (env {ENV_SERVER_PORT}; default {DEFAULT_SERVER_PORT})",
        ),
        click.option("--script", help=f"the training script (env {ENV_SCRIPT_PATH}); required"),
        click.option(
            "--executor",
            help=f"program that runs the script (env {ENV_SCRIPT_EXECUTOR}; default: this Python)",
        ),
        click.option(
            "--workdir",
            help=f"the script's working directory (env {ENV_WORKING_DIRECTORY}; default: current)",
        ),
    ]
    decorated: Any = func
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def participant_settings(
    *,
    host: str | None,
    port: int | None,
    script: str | None,
    executor: str | None,
    workdir: str | None,
    base_url: str,
    environ: Mapping[str, str],
) -> Settings:
    """`Settings.from_env` with the options above applied (options win) and the server's URL."""
    settings = Settings.from_env(environ)
    return replace(
        settings,
        server_host=host or settings.server_host,
        server_port=settings.server_port if port is None else port,
        script_path=script or settings.script_path,
        script_executor=executor or settings.script_executor or sys.executable,
        working_directory=workdir or settings.working_directory,
        base_url=base_url,
    )


def validate_participant_settings(settings: Settings) -> None:
    """Raise `ConfigurationError` naming the first thing that keeps ``serve`` from starting: no
    working directory, no script or a missing one, an executor not found, a port out of range."""
    workdir = settings.resolved_working_directory()
    if not workdir.is_dir():
        raise ConfigurationError(f"working directory {str(workdir)!r} does not exist")
    if not settings.script_path:
        raise ConfigurationError(f"no training script: give --script or set {ENV_SCRIPT_PATH}")
    if not (workdir / settings.script_path).is_file():
        raise ConfigurationError(f"training script {settings.script_path!r} not found (in {str(workdir)!r})")
    executor = settings.script_executor or sys.executable
    if shutil.which(executor, path=os.environ.get("PATH")) is None and not (workdir / executor).is_file():
        raise ConfigurationError(f"executor {executor!r} not found")
    if not 0 <= settings.server_port <= 65535:
        raise ConfigurationError(f"--port must be 0..65535, not {settings.server_port}")
