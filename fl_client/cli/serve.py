"""``fl-client serve``: the participant's notification receiver and script dispatcher."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from uuid import UUID

import click

from .._core.auth import redact
from ..defaults import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_CATCH_UP_INTERVAL,
    DEFAULT_KILL_TIMEOUT,
    DEFAULT_LOG_DIR,
    DEFAULT_LOG_KEEP,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONCURRENT_RUNS,
    DEFAULT_RUN_ATTEMPTS,
    DEFAULT_RUN_RETRY_DELAY,
    DEFAULT_SHARED_SECRET_HEADER,
    DEFAULT_SHUTDOWN_GRACE,
)
from ..env import (
    ENV_ACTION,
    ENV_ALLOWED_SOURCES,
    ENV_AUTHORIZATION,
    ENV_BASE_URL,
    ENV_BODY_TIMEOUT,
    ENV_CLIENT_ID,
    ENV_COMMUNICATION_MODULE,
    ENV_GLOBAL_MODEL_ID,
    ENV_GRACE_PERIOD,
    ENV_KILL_TIMEOUT,
    ENV_LOG_DIR,
    ENV_LOG_KEEP,
    ENV_MAX_BODY_BYTES,
    ENV_MAX_CONCURRENT,
    ENV_MODEL_ID,
    ENV_ROUND,
    ENV_SHARED_SECRET,
    ENV_SHARED_SECRET_HEADER,
    ENV_TRAINING_ID,
    ENV_WARM,
    SECRET_VARIABLES,
)
from ..exceptions import ConfigurationError
from ..exit_codes import ExitCode
from ..participant.communication import Communication

if TYPE_CHECKING:
    from ..participant.dispatch import ScriptDispatcher
    from ..participant.identity import IdentityWatcher
from ..settings import Settings
from ._common import Target, api_options
from ._participant import participant_options, participant_settings, validate_participant_settings
from .runs import build_recovery, recovery_options

__all__ = ["ServeOptions", "load_communication", "run_serve", "serve_command", "watch_identity"]

logger = logging.getLogger("fl.client.cli")

_SERVE_EPILOG = f"""\b
environment variables the script receives (besides this process's own):
  {ENV_ACTION:<27} train, test or swag
  {ENV_TRAINING_ID:<27} the training
  {ENV_ROUND:<27} the round
  {ENV_MODEL_ID:<27} the model to start from (a local model in daisy-chain rounds)
  {ENV_GLOBAL_MODEL_ID:<27} the training's global model, when known
  {ENV_BASE_URL:<27} the server
  {ENV_AUTHORIZATION:<27} "Token <your token>" once looked up from the credentials given
  {"":<27} here (until then, and if none is shown, their own value)
  {ENV_CLIENT_ID:<27} looked up from the credentials, else --client-id
A script builds its Communication from them with Communication.from_env(). It never gets
{", ".join(SECRET_VARIABLES[:-1])} or {SECRET_VARIABLES[-1]}. The lookup is retried in the
background until the server answers.

\b
--warm ({ENV_WARM}=1): runs of a TrainingScript script are forked from a warm parent that
imported torch and the script once (its log: <log-dir>/warm-parent.log); see the README.

\b
SIGINT/SIGTERM: stop accepting, give running scripts --grace-period seconds, then terminate
them. A second signal terminates them at once.

Every run is recorded in --state-dir (`fl-client runs` lists it): after a restart finished runs
are not repeated and queued or interrupted ones resume. A run that exits non-zero runs again
(--run-attempts) unless the server already has its upload; every --catch-up-interval seconds
(and at start) the server is asked what this participant owes, and lost notifications' runs start.
"""


@dataclass(frozen=True, kw_only=True)
class ServeOptions:
    """`fl-client serve`'s options; None falls back to the environment, then the defaults."""

    host: str | None = None
    port: int | None = None
    script: str | None = None
    executor: str | None = None
    workdir: str | None = None
    communication: str | None = None
    client_id: UUID | None = None
    max_concurrent: int | None = None
    max_body_bytes: int | None = None
    body_timeout: float | None = None
    log_dir: str | None = None
    log_keep: int | None = None
    grace_period: float | None = None
    kill_timeout: float | None = None
    allow_from: tuple[str, ...] = ()
    shared_secret_header: str | None = None
    state_dir: str | None = None
    run_attempts: int = DEFAULT_RUN_ATTEMPTS
    retry_delay: float = DEFAULT_RUN_RETRY_DELAY
    catch_up_interval: float = DEFAULT_CATCH_UP_INTERVAL
    warm: bool | None = None


@click.command(
    "serve",
    short_help="receive the server's notifications and run the training script for each round",
    epilog=_SERVE_EPILOG,
)
@participant_options
@click.option(
    "--communication",
    metavar="DOTTED.PATH",
    help=f"your Communication subclass, e.g. mypkg.MyCommunication (env {ENV_COMMUNICATION_MODULE})",
)
@click.option(
    "--client-id",
    type=click.UUID,
    help=f"your user's UUID, handed to scripts as {ENV_CLIENT_ID} (env {ENV_CLIENT_ID}; default: looked up from the credentials)",
)
@api_options
@click.option(
    "--max-concurrent",
    type=int,
    help=f"script runs at once; more queue (env {ENV_MAX_CONCURRENT}; default {DEFAULT_MAX_CONCURRENT_RUNS})",
)
@click.option(
    "--max-body-bytes",
    type=int,
    help=f"larger notification bodies are answered 413 (env {ENV_MAX_BODY_BYTES}; default {DEFAULT_MAX_BODY_BYTES})",
)
@click.option(
    "--body-timeout",
    type=float,
    help=f"seconds a request's head, then its body, may take to arrive; 408 after (env {ENV_BODY_TIMEOUT}; default {DEFAULT_BODY_TIMEOUT})",
)
@click.option(
    "--log-dir",
    help=f"one log file per run goes here (env {ENV_LOG_DIR}; default ./{DEFAULT_LOG_DIR})",
)
@click.option(
    "--log-keep",
    type=int,
    help=f"run logs kept, older ones are removed; 0 keeps all (env {ENV_LOG_KEEP}; default {DEFAULT_LOG_KEEP})",
)
@click.option(
    "--grace-period",
    type=float,
    help=f"seconds running scripts get on shutdown before SIGTERM (env {ENV_GRACE_PERIOD}; default {DEFAULT_SHUTDOWN_GRACE})",
)
@click.option(
    "--kill-timeout",
    type=float,
    help=f"seconds between SIGTERM and SIGKILL for scripts still running (env {ENV_KILL_TIMEOUT}; default {DEFAULT_KILL_TIMEOUT})",
)
@click.option(
    "--allow-from",
    multiple=True,
    metavar="ADDRESS/NETWORK",
    help=f"accept notifications only from these sources; repeatable (env {ENV_ALLOWED_SOURCES}, comma-separated; default: any)",
)
@click.option(
    "--shared-secret-header",
    help=f"header carrying the shared secret, whose value comes from {ENV_SHARED_SECRET} only: an option would show in `ps` (env {ENV_SHARED_SECRET_HEADER}; default {DEFAULT_SHARED_SECRET_HEADER})",
)
@recovery_options
@click.option(
    "--warm/--cold",
    default=None,
    help="fork each run from a warm parent that imported torch and the script once, instead of "
    f"starting a new Python per run; TrainingScript scripts only, others run cold (env {ENV_WARM}=1)",
)
def serve_command(target: Target, **options: Any) -> int:
    """Listen for the FL Demonstrator's notifications (the user's message_endpoint) and run
    '<executor> <script> train|test|swag --training-id T --round R --model-id M' for each
    round, supervised: one log file per run, a concurrency limit, one run per round."""
    return run_serve(ServeOptions(**options), target)


def run_serve(args: ServeOptions, target: Target, environ: Mapping[str, str] | None = None) -> int:
    """``fl-client serve``: build the receiver from options and environment, serve until a signal."""
    from ..participant.dispatch import ScriptDispatcher
    from ..participant.receiver import NotificationReceiver

    env = os.environ if environ is None else environ
    settings = _serve_settings(args, target, env)
    communication = (
        load_communication(settings.communication_module) if settings.communication_module else Communication
    )
    authorization = target.authorization
    client_id = args.client_id or _env_uuid(env, ENV_CLIENT_ID)
    allowed = list(args.allow_from) or [s for s in env.get(ENV_ALLOWED_SOURCES, "").split(",") if s.strip()]
    launcher = _warm_launcher(args, env, settings)
    dispatcher = ScriptDispatcher(
        settings=settings,
        launcher=launcher,
        communication=communication,
        authorization=authorization,
        client_id=client_id,
        log_dir=settings.log_dir,
        max_concurrent=settings.max_concurrent,
        grace_period=settings.grace_period,
        kill_timeout=settings.kill_timeout,
        log_keep=settings.log_keep,
    )
    receiver = NotificationReceiver(
        communication=communication,
        dispatcher=dispatcher,
        host=settings.server_host,
        port=settings.server_port,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
        allowed_sources=allowed,
        shared_secret=env.get(ENV_SHARED_SECRET) or None,
        shared_secret_header=settings.shared_secret_header,
    )
    recovery = build_recovery(
        args,
        env,
        dispatcher=dispatcher,
        communication=communication,
        settings=settings,
        authorization=authorization,
        # learnt from the server by the identity watcher (the configured id until then)
        client_id=lambda: dispatcher.client_id,
    )
    logger.info(
        "script: %s %s (workdir %s); runs log to %s; at most %d at once; credentials for scripts: %s",
        settings.script_executor,
        settings.script_path,
        settings.resolved_working_directory(),
        dispatcher.log_dir,
        settings.max_concurrent,
        redact(authorization) if authorization else f"none (scripts get no {ENV_AUTHORIZATION})",
    )
    watcher = watch_identity(dispatcher, settings.base_url, authorization) if authorization else None
    stop = threading.Event()
    signals = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            logger.info("%s received: stopping", signal.Signals(signum).name)
            stop.set()
        else:
            logger.warning("%s received again: terminating running scripts now", signal.Signals(signum).name)
            threading.Thread(target=dispatcher.kill_all, daemon=True).start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        recovery.restore()
        receiver.start()
        recovery.start()
        print(f"fl-client serve: receiving notifications on {receiver.url}", file=sys.stderr, flush=True)
        while not stop.wait(1.0):  # a timeout keeps the main thread responsive to signals
            pass
    finally:
        recovery.stop()
        if watcher is not None:
            watcher.stop()
        receiver.stop()
        recovery.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logger.info("stopped")
    return ExitCode.OK


def _warm_launcher(args: ServeOptions, env: Mapping[str, str], settings: Settings) -> Any:
    """A `WarmLauncher` when --warm or FL_CLIENT_WARM=1 asks for warm runs, else None."""
    from ..participant.warm import WarmLauncher

    warm = args.warm if args.warm is not None else env.get(ENV_WARM, "").lower() in {"1", "true", "yes", "on"}
    if not warm:
        return None
    return WarmLauncher(
        executor=settings.script_executor or sys.executable,
        script=settings.script_path or "",
        working_directory=settings.resolved_working_directory(),
        log_dir=Path(settings.log_dir).resolve(),
        environment=None if env is os.environ else env,
    )


def _serve_settings(args: ServeOptions, target: Target, env: Mapping[str, str]) -> Settings:
    settings = participant_settings(
        host=args.host, port=args.port, script=args.script, executor=args.executor, workdir=args.workdir,
        base_url=target.base_url, environ=env,
    )  # fmt: skip
    settings = replace(
        settings,
        communication_module=args.communication or settings.communication_module,
        log_dir=settings.log_dir if args.log_dir is None else args.log_dir,
        log_keep=settings.log_keep if args.log_keep is None else args.log_keep,
        max_concurrent=settings.max_concurrent if args.max_concurrent is None else args.max_concurrent,
        grace_period=settings.grace_period if args.grace_period is None else args.grace_period,
        kill_timeout=settings.kill_timeout if args.kill_timeout is None else args.kill_timeout,
        body_timeout=settings.body_timeout if args.body_timeout is None else args.body_timeout,
        max_body_bytes=settings.max_body_bytes if args.max_body_bytes is None else args.max_body_bytes,
        shared_secret_header=settings.shared_secret_header
        if args.shared_secret_header is None
        else args.shared_secret_header,
    )
    validate_participant_settings(settings)
    return settings


def watch_identity(dispatcher: ScriptDispatcher, base_url: str, authorization: str) -> IdentityWatcher:
    """Look up who the credentials belong to, in the background and until the server answers; then
    hand later runs the user id (unless one was configured: a different one is warned about) and
    the user's token instead of the password."""
    from ..participant.identity import IdentityWatcher

    configured = dispatcher.client_id

    def found(user_id: UUID, token: str | None) -> None:
        if configured is not None and configured != user_id:
            logger.warning(
                "the configured client id %s is not the credentials' user %s; scripts get %s",
                configured,
                user_id,
                user_id,
            )
        dispatcher.set_identity(client_id=user_id, authorization=token)

    watcher = IdentityWatcher(base_url=base_url, authorization=authorization, on_found=found)
    watcher.start()
    return watcher


def _env_uuid(env: Mapping[str, str], name: str) -> UUID | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise ConfigurationError(f"{name} is not a UUID") from None


def load_communication(path: str) -> type[Communication]:
    """Import a `Communication` subclass from ``pkg.module.Class`` (or ``pkg.module:Class``).

    The current directory is importable, as with ``python -m``. Raises `ConfigurationError`
    saying what is wrong: a module that does not import, a missing name, not a subclass.
    """
    module_name, _, name = path.replace(":", ".").rpartition(".")
    if not module_name or not name:
        raise ConfigurationError(
            f"--communication needs a dotted path like mypkg.MyCommunication, not {path!r}"
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigurationError(f"cannot import {module_name!r} for --communication: {exc}") from exc
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Communication)):
        raise ConfigurationError(
            f"{path!r} is not a Communication subclass; write `class {name}(fl_client.Communication): ...`"
        )
    return cls
