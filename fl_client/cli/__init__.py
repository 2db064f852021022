"""The ``fl-client`` command (also ``python -m fl_client``), built with click; rich draws its output.

One module per command group, each defining one click command or group that `cli` adds:
``serve``, ``download``, ``users``, ``models``, ``trainings``, ``metrics``, ``infer``,
``config``, ``runs``, ``contract``, ``doctor``. A command returns its exit code; errors propagate to
`main`, which prints them as one line on stderr and maps their class to an exit code
(`fl_client.cli._common.exit_code_for`, the table in that module and in the README).

Server and credentials: flags, else the environment (``FL_DEMONSTRATOR_BASE_URL``,
``FL_CLIENT_USERNAME`` / ``FL_CLIENT_PASSWORD`` / ``FL_CLIENT_TOKEN``), else a named profile
(``fl-client config``), else the defaults. Credentials are never printed.
"""

from __future__ import annotations

import logging
import os
import sys
import textwrap
from collections.abc import Sequence

import click

from ..env import ENV_LOG_LEVEL
from ..exceptions import FLClientError
from ..exit_codes import SCRIPT_CODES, ExitCode
from . import config, contract, doctor, download, infer, metrics, models, runs, serve, trainings, users
from ._common import exit_code_for
from .serve import load_communication, run_serve

__all__ = [
    "cli",
    "exit_code_for",
    "load_communication",
    "main",
    "run_serve",
]

_EPILOG = "\b\n" + textwrap.fill(
    "Exit codes: "
    + ", ".join(
        f"{code.value} {code.name.lower().replace('_', ' ')}" for code in ExitCode if code not in SCRIPT_CODES
    )
    + " (fl_client.ExitCode; the README says when).",
    width=95,
)


@click.group(
    "fl-client",
    epilog=_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
@click.option(
    "--log-level",
    default=lambda: os.environ.get(ENV_LOG_LEVEL) or None,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help=f"how much to log on stderr (env {ENV_LOG_LEVEL}; default INFO for serve, WARNING otherwise)",
)
@click.pass_context
def cli(ctx: click.Context, log_level: str | None) -> None:
    """Client of the FL Demonstrator federated-learning platform."""
    level = (log_level or ("INFO" if ctx.invoked_subcommand == "serve" else "WARNING")).upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_not_the_raised_error)
    logging.basicConfig(level=level, handlers=[handler])


def _not_the_raised_error(record: logging.LogRecord) -> bool:
    """The HTTP core logs each failed call at ERROR and raises it; `main` prints the raised error
    as the one line the user sees, so that log record would only repeat it."""
    return not (record.name == "fl.client.http" and record.levelno == logging.ERROR)


for _command in (
    serve.serve_command,
    download.download_command,
    users.users_group,
    models.models_group,
    trainings.trainings_group,
    metrics.metrics_group,
    infer.infer_command,
    config.config_group,
    runs.runs_command,
    contract.contract_group,
    doctor.doctor_command,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``fl-client`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        click.echo(cli.get_help(click.Context(cli, info_name="fl-client")))
        return ExitCode.USAGE
    try:
        result = cli.main(args=args, prog_name="fl-client", standalone_mode=False)
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.Abort:
        click.echo("fl-client: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as error:
        error.show()
        return ExitCode.USAGE if isinstance(error, click.UsageError) else ExitCode.ERROR
    except FLClientError as error:
        message = " ".join(str(error).split())  # one line, whatever the server sent
        click.echo(f"fl-client: error: {message}", err=True)
        return exit_code_for(error)
    return result if isinstance(result, int) else ExitCode.OK
