"""``fl-client runs`` (the run journal) and ``serve``'s recovery options: journal, retries, catch-up.

`recovery_options` adds the options to ``serve``, `build_recovery` turns them into a
`fl_client.participant.recovery.Recovery`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar
from uuid import UUID

import click

from ..defaults import (
    DEFAULT_CATCH_UP_INTERVAL,
    DEFAULT_RUN_ATTEMPTS,
    DEFAULT_RUN_RETRY_DELAY,
    DEFAULT_STATE_DIR,
)
from ..env import ENV_CATCH_UP_INTERVAL, ENV_RUN_ATTEMPTS, ENV_RUN_RETRY_DELAY, ENV_STATE_DIR
from ..exceptions import ConfigurationError
from ..exit_codes import ExitCode
from ..participant.dispatch import ScriptDispatcher
from ..participant.handlers import NotificationHandlers
from ..participant.recovery import Recovery
from ..settings import Settings
from ._output import info, json_option, print_json, print_table

__all__ = ["build_recovery", "recovery_options", "run_runs", "runs_command"]

F = TypeVar("F", bound=Callable[..., Any])


class RecoveryOptions(Protocol):
    """What `build_recovery` reads of ``serve``'s options."""

    @property
    def state_dir(self) -> str | None: ...
    @property
    def run_attempts(self) -> int: ...
    @property
    def retry_delay(self) -> float: ...
    @property
    def catch_up_interval(self) -> float: ...


_COLUMNS = ("training_id", "round", "action", "state", "attempts", "exit_code", "updated", "log_file")


def _state_dir_help() -> str:
    return f"where the run journal (runs.sqlite3) lives (env {ENV_STATE_DIR}; default ./{DEFAULT_STATE_DIR})"


def recovery_options(func: F) -> F:
    """``serve``'s options for the journal, run retries and catch-up."""
    options = [
        click.option("--state-dir", help=_state_dir_help()),
        click.option(
            "--run-attempts",
            envvar=ENV_RUN_ATTEMPTS,
            show_envvar=True,
            type=int,
            default=DEFAULT_RUN_ATTEMPTS,
            show_default=True,
            help="attempts of a run that exits non-zero before its upload is stored",
        ),
        click.option(
            "--retry-delay",
            envvar=ENV_RUN_RETRY_DELAY,
            show_envvar=True,
            type=float,
            default=DEFAULT_RUN_RETRY_DELAY,
            show_default=True,
            help="seconds before the first retry of a failed run, doubling after",
        ),
        click.option(
            "--catch-up-interval",
            envvar=ENV_CATCH_UP_INTERVAL,
            show_envvar=True,
            type=float,
            default=DEFAULT_CATCH_UP_INTERVAL,
            show_default=True,
            help="seconds between asking the server what this participant owes (at start too); 0 turns it off",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_recovery(
    args: RecoveryOptions,
    env: Mapping[str, str],
    *,
    dispatcher: ScriptDispatcher,
    communication: type[NotificationHandlers],
    settings: Settings,
    authorization: str | None,
    client_id: UUID | Callable[[], UUID | None] | None,
) -> Recovery:
    """The journal in ``--state-dir``, retries, and catch-up (when the credentials and the client id
    are known: the server's state is read as this user)."""
    from .._core.http import create_client
    from ..participant.catchup import ServerState
    from ..participant.journal import RunJournal

    if args.run_attempts < 1:
        raise ConfigurationError(f"--run-attempts must be at least 1, not {args.run_attempts}")
    if args.catch_up_interval < 0 or args.retry_delay < 0:
        raise ConfigurationError("--catch-up-interval and --retry-delay must not be negative")
    journal = RunJournal(args.state_dir or env.get(ENV_STATE_DIR) or DEFAULT_STATE_DIR)
    server = None
    if authorization is not None and client_id is not None:
        api = create_client(base_url=settings.base_url, authorization=authorization)
        server = ServerState(api, client_id)
    else:
        import logging

        logging.getLogger("fl.client.cli").warning(
            "no credentials or client id: no catch-up, and repeated runs start without asking the server"
        )
    return Recovery(
        dispatcher=dispatcher,
        communication=communication,
        journal=journal,
        server=server,
        max_attempts=args.run_attempts,
        retry_delay=args.retry_delay,
        catch_up_interval=args.catch_up_interval or None,
    )


# ---------------------------------------------------------------------------------------------
# runs


@click.command("runs", short_help="list the script runs of `fl-client serve` (its run journal)")
@click.option("--state-dir", help=_state_dir_help())
@click.option("--training", type=click.UUID, help="only this training's runs")
@json_option
def runs_command(state_dir: str | None, training: UUID | None, as_json: bool) -> int:
    """List the run journal of `fl-client serve`: one line per training, round and action."""
    return run_runs(state_dir=state_dir, training=training, as_json=as_json)


def run_runs(
    *,
    state_dir: str | None = None,
    training: UUID | None = None,
    as_json: bool = False,
    environ: Mapping[str, str] | None = None,
) -> int:
    from ..participant.journal import RunJournal

    env = os.environ if environ is None else environ
    with RunJournal(state_dir or env.get(ENV_STATE_DIR) or DEFAULT_STATE_DIR, read_only=True) as journal:
        records = journal.records(training_id=training)
    if as_json:
        print_json([r.to_json() for r in records])
        return ExitCode.OK
    rows = [
        [
            str(r.training_id),
            str(r.round),
            r.action,
            r.state.value,
            str(r.attempts),
            "" if r.exit_code is None else str(r.exit_code),
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.updated)),
            r.log_file or "",
        ]
        for r in records
    ]
    if not rows:
        info("(no runs)")
        return ExitCode.OK
    print_table([c.upper().replace("_", " ") for c in _COLUMNS], rows)
    return ExitCode.OK
