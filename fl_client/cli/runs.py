"""``fl-client runs`` (the run journal) and ``serve``'s recovery options: journal, retries, catch-up.

Kept apart from `serve` so that both move to another CLI framework as one piece:
`add_recovery_options` adds the options, `build_recovery` turns them into a
`fl_client.participant.recovery.Recovery`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from .._core.config import (
    DEFAULT_CATCH_UP_INTERVAL,
    DEFAULT_RUN_ATTEMPTS,
    DEFAULT_RUN_RETRY_DELAY,
    DEFAULT_STATE_DIR,
)
from ..exceptions import ConfigurationError
from ..participant.dispatch import ScriptDispatcher
from ..participant.handlers import NotificationHandlers
from ..participant.recovery import Recovery
from ..settings import Settings
from ._common import EXIT_OK

__all__ = ["ENV_STATE_DIR", "add_recovery_options", "add_runs", "build_recovery", "run_runs"]

ENV_STATE_DIR = "FL_CLIENT_STATE_DIR"
_COLUMNS = ("training_id", "round", "action", "state", "attempts", "exit_code", "updated", "log_file")


def _state_dir_help() -> str:
    return f"where the run journal (runs.sqlite3) lives (env {ENV_STATE_DIR}; default ./{DEFAULT_STATE_DIR})"


def add_recovery_options(add: Callable[..., Any]) -> None:
    """``serve``'s options for the journal, run retries and catch-up."""
    add("--state-dir", help=_state_dir_help())
    add(
        "--run-attempts",
        type=int,
        default=DEFAULT_RUN_ATTEMPTS,
        help="attempts of a run that exits non-zero before its upload is stored (default %(default)s)",
    )
    add(
        "--retry-delay",
        type=float,
        default=DEFAULT_RUN_RETRY_DELAY,
        help="seconds before the first retry of a failed run, doubling after (default %(default)s)",
    )
    add(
        "--catch-up-interval",
        type=float,
        default=DEFAULT_CATCH_UP_INTERVAL,
        help="seconds between asking the server what this participant owes (at start too); 0 turns it off (default %(default)s)",
    )


def build_recovery(
    args: argparse.Namespace,
    env: Mapping[str, str],
    *,
    dispatcher: ScriptDispatcher,
    communication: type[NotificationHandlers],
    settings: Settings,
    authorization: str | None,
    client_id: UUID | None,
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

        logging.getLogger("fl_client.cli").warning(
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


def add_runs(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    runs = commands.add_parser(
        "runs",
        help="list the script runs of `fl-client serve` (its run journal)",
        description="List the run journal of `fl-client serve`: one line per training, round and action.",
    )
    runs.add_argument("--state-dir", help=_state_dir_help())
    runs.add_argument("--training", type=UUID, help="only this training's runs")
    runs.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    runs.set_defaults(handler=run_runs)


def run_runs(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    from ..participant.journal import RunJournal

    env = os.environ if environ is None else environ
    with RunJournal(args.state_dir or env.get(ENV_STATE_DIR) or DEFAULT_STATE_DIR, read_only=True) as journal:
        records = journal.records(training_id=args.training)
    if args.json:
        print(json.dumps([r.to_json() for r in records], indent=2))
        return EXIT_OK
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
    header = [c.upper().replace("_", " ") for c in _COLUMNS]
    widths = [max(len(x) for x in column) for column in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not rows:
        print("(no runs)", file=sys.stderr)
    return EXIT_OK
