"""Supervised script runs: one subprocess per (training, round, action), logged, limited, reaped.

The receiver must answer the server within milliseconds, so it only *submits* runs here; worker
threads start them. Each run:

* gets the argv ``<executor> <script> <action> --training-id T --round R --model-id M`` from
  ``Communication.script_command`` (override it to change how scripts start), runs in the
  working directory without a shell, in its own process group (so that everything it spawns can
  be stopped together), with stdin closed;
* writes stdout and stderr to its own log file, and has its exit code and duration logged (and
  the tail of its log when it fails);
* receives its context in environment variables, so that a script builds its `Communication`
  with ``Communication.from_env()`` instead of hard-coding a password:

  ============================== =================================================================
  ``FL_CLIENT_ACTION``           ``train``, ``test`` or ``swag``
  ``FL_CLIENT_TRAINING_ID``      the training's UUID
  ``FL_CLIENT_ROUND``            the round number
  ``FL_CLIENT_MODEL_ID``         the model to start from (the notification's ``global_model_uuid``;
                                 a LOCAL model in daisy-chain rounds)
  ``FL_CLIENT_GLOBAL_MODEL_ID``  the training's global model (upload target), when known from
                                 ``TRAINING_START``, a test/SWAG round or round 0; unset otherwise
  ``FL_DEMONSTRATOR_BASE_URL``   the server
  ``FL_CLIENT_AUTHORIZATION``    ``Token <the user's token>`` once the receiver has looked it up,
                                 else the ``Authorization`` value it was configured with
  ``FL_CLIENT_CLIENT_ID``        this participant's user UUID, when configured or looked up
  ============================== =================================================================

  and never the receiver's own secrets (``FL_CLIENT_PASSWORD``, ``FL_CLIENT_TOKEN``,
  ``FL_CLIENT_SHARED_SECRET``);

The same (training, round, action) submitted twice starts one run: the server may deliver a
notification twice, and the second delivery must not train (and upload) the round again -- unless
the first run ended without success (failed, cancelled, interrupted, deferred): then it runs again,
after `RunHooks.before_start` (the journal and server checks of `fl_client.participant.recovery`)
has had its say.
Runs beyond ``max_concurrent`` queue. `ScriptDispatcher.shutdown` stops accepting, cancels queued
runs, gives running ones a grace period, then sends SIGTERM and finally SIGKILL to their process
groups and reaps them: nothing outlives the dispatcher.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol
from uuid import UUID

from .._core.auth import redact
from ..defaults import (
    DEFAULT_KILL_TIMEOUT,
    DEFAULT_LOG_DIR,
    DEFAULT_LOG_KEEP,
    DEFAULT_LOG_TAIL_LINES,
    DEFAULT_MAX_CONCURRENT_RUNS,
    DEFAULT_MAX_TRAININGS,
    DEFAULT_SHUTDOWN_GRACE,
)
from ..env import (
    ENV_ACTION,
    ENV_AUTHORIZATION,
    ENV_BASE_URL,
    ENV_CLIENT_ID,
    ENV_GLOBAL_MODEL_ID,
    ENV_MODEL_ID,
    ENV_ROUND,
    ENV_TRAINING_ID,
    RUN_VARIABLES,
    SECRET_VARIABLES,
)
from ..exceptions import ConfigurationError, DispatcherStoppedError
from ..settings import Settings
from .handlers import NotificationHandlers
from .process import POSIX, SIGKILL, RunProcess, signal_group, tail_lines, wait_and_clear_group
from .runs import RunHooks, RunKey, RunState, ScriptRun, Submission

__all__ = ["ScriptDispatcher"]

logger = logging.getLogger("fl.client.dispatch")


class RunLauncher(Protocol):
    """Starts a run without a new interpreter (see `ScriptDispatcher`'s ``launcher``)."""

    def start(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log_path: Path
    ) -> RunProcess | None: ...

    def close(self) -> None: ...


class ScriptDispatcher:
    """Starts and supervises training-script runs (see the module docstring)."""

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        communication: type[NotificationHandlers] | None = None,
        authorization: str | None = None,
        client_id: UUID | None = None,
        log_dir: str | Path | None = None,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT_RUNS,
        grace_period: float = DEFAULT_SHUTDOWN_GRACE,
        kill_timeout: float = DEFAULT_KILL_TIMEOUT,
        environment: Mapping[str, str] | None = None,
        log_keep: int = DEFAULT_LOG_KEEP,
        max_trainings: int = DEFAULT_MAX_TRAININGS,
        hooks: RunHooks | None = None,
        launcher: RunLauncher | None = None,
    ) -> None:
        """
        Args:
            settings: script, executor, working directory and base URL; default from the environment.
            communication: the class whose ``script_command`` builds argv when ``submit`` gets none.
            authorization: ``Authorization`` value handed to scripts (``FL_CLIENT_AUTHORIZATION``).
            client_id: this participant's user UUID, handed to scripts (``FL_CLIENT_CLIENT_ID``).
            log_dir: where run logs go; default ``fl-client-runs`` in the current directory.
            max_concurrent: runs at once; more queue.
            grace_period: seconds running scripts get on shutdown before SIGTERM.
            kill_timeout: seconds between SIGTERM and SIGKILL.
            environment: base environment of the scripts; default this process's.
            log_keep: run logs kept in ``log_dir``; older ones are removed as runs start (0: all).
            max_trainings: trainings whose runs are remembered for de-duplication; the finished
                runs of the least recently notified training beyond it are forgotten.
            hooks: told about every run, and asked before a repeated one starts (journal, retries).
            launcher: starts runs another way (warm runs: `fl_client.participant.warm`) or
                returns None for the usual new process; closed on shutdown.
        """
        if max_concurrent < 1:
            raise ConfigurationError(f"max_concurrent must be at least 1, not {max_concurrent}")
        if log_keep < 0 or max_trainings < 1:
            raise ConfigurationError("log_keep must be 0 or more and max_trainings at least 1")
        self.log_keep = log_keep
        self.max_trainings = max_trainings
        self.settings = settings or Settings.from_env()
        self._communication = communication
        self._authorization = authorization
        self.client_id = client_id
        self.log_dir = Path(log_dir if log_dir is not None else DEFAULT_LOG_DIR).resolve()
        self.max_concurrent = max_concurrent
        self.grace_period = grace_period
        self.kill_timeout = kill_timeout
        self._environment = environment
        self.hooks = hooks
        self._launcher = launcher
        self._lock = threading.Lock()
        self._runs: dict[RunKey, ScriptRun] = {}
        self._global_models: dict[UUID, UUID] = {}
        self._processes: dict[RunKey, RunProcess] = {}
        self._stopping = False
        self._killing = False
        self._executor = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="fl-client-run")

    def __repr__(self) -> str:
        return (
            f"ScriptDispatcher(script={self.settings.script_path!r}, max_concurrent={self.max_concurrent}, "
            f"authorization={redact(self._authorization)!r})"
        )

    def __enter__(self) -> ScriptDispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -----------------------------------------------------------------------------------------
    def note_global_model(self, training_id: UUID, model_id: UUID) -> None:
        """Remember a training's global model (handed to later runs as ``FL_CLIENT_GLOBAL_MODEL_ID``)."""
        with self._lock:
            self._global_models[training_id] = model_id

    def set_identity(self, *, client_id: UUID | None = None, authorization: str | None = None) -> None:
        """Hand later runs this client id and/or ``Authorization`` value (the receiver learns them
        from the server once it answers: see `fl_client.participant.identity`)."""
        with self._lock:
            if client_id is not None:
                self.client_id = client_id
            if authorization is not None:
                self._authorization = authorization

    def global_model_id(self, training_id: UUID) -> UUID | None:
        with self._lock:
            return self._global_models.get(training_id)

    def runs(self) -> list[ScriptRun]:
        """Every run submitted so far, in submission order."""
        with self._lock:
            return list(self._runs.values())

    def submit(
        self,
        action: str,
        training_id: UUID,
        round: int,
        model_id: UUID,
        *,
        argv: Sequence[str] | None = None,
    ) -> Submission:
        """Queue a run, unless the same (training, round, action) was submitted before.

        Never blocks on the script.

        Raises:
            ConfigurationError: no script is configured.
            DispatcherStoppedError: `shutdown` has begun.
        """
        key = RunKey(training_id, round, action)
        if argv is None:
            argv = self._command_class().script_command(
                action, training_id, round, model_id, settings=self.settings
            )
        with self._lock:
            known = self._runs.get(key) or self._remembered(key)
            if known is not None and not known.state.rerunnable:
                logger.info("duplicate %s: run already %s", key, known.state.value)
                return Submission(known, duplicate=True)
            if self._stopping:
                raise DispatcherStoppedError(f"not starting {key}: the dispatcher is shutting down")
            stamp = time.strftime("%Y%m%dT%H%M%S")
            log_path = self.log_dir / f"{training_id}-round{round}-{action}-{stamp}.log"
            run = ScriptRun(key, model_id, tuple(argv), log_path)
            if known is not None:
                counts = known.state in (RunState.FAILED, RunState.INTERRUPTED)
                run.attempt, run.resumed = known.attempt + counts, True
                interrupted = known.state is RunState.INTERRUPTED
                run.previous_pid = known.pid if interrupted else known.previous_pid
            self._runs[key] = run
            self._forget_old_trainings(training_id)
        logger.debug("queued %s (attempt %d)", key, run.attempt)
        self._hook("run_queued", run)
        self._executor.submit(self._run, run)
        return Submission(run, duplicate=False)

    def adopt(self, run: ScriptRun) -> None:
        """Know a run from an earlier life of the receiver (the journal), without starting it."""
        run.done.set()
        with self._lock:
            self._runs.setdefault(run.key, run)

    def run_for(self, key: RunKey) -> ScriptRun | None:
        """The latest run of ``key``, if any."""
        with self._lock:
            return self._runs.get(key)

    def _remembered(self, key: RunKey) -> ScriptRun | None:
        """A run of ``key`` this dispatcher has forgotten (an old training, see `max_trainings`)
        that the hooks still know (the journal), so a late re-delivery does not run it twice."""
        lookup = getattr(self.hooks, "remembered_run", None)
        if lookup is None:
            return None
        try:
            run: ScriptRun | None = lookup(key)
        except Exception:  # a journal failure must not lose the notification
            logger.exception("run hook remembered_run failed for %s", key)
            return None
        return run

    def _hook(self, name: str, run: ScriptRun) -> RunState | None:
        if self.hooks is None:
            return None
        try:
            result: RunState | None = getattr(self.hooks, name)(run)
            return result
        except Exception:  # a journal or check failure must not lose the run
            logger.exception("run hook %s failed for %s", name, run.key)
            return None

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted run has ended; False if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for run in self.runs():
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not run.done.wait(remaining):
                return False
        return True

    def shutdown(self, grace_period: float | None = None) -> None:
        """Stop accepting, cancel queued runs, wait ``grace_period`` for running ones, then kill them."""
        grace = self.grace_period if grace_period is None else grace_period
        with self._lock:
            already = self._stopping
            self._stopping = True
        if not already:
            logger.info("dispatcher stopping: %d run(s) active", self._active_count())
        # queued runs reach a worker and see _stopping: they end as CANCELLED without starting
        if not self.wait_idle(grace):
            self.kill_all()
        self._executor.shutdown(wait=True)
        if self._launcher is not None:
            self._launcher.close()

    def kill_all(self) -> None:
        """Terminate every running script now: SIGTERM to its process group, SIGKILL after
        ``kill_timeout``; then reap. Used after the grace period, or on a second signal."""
        with self._lock:
            self._killing = True
            running = [(self._runs[key], proc) for key, proc in self._processes.items()]
        for run, proc in running:
            logger.warning("terminating %s (pid %s)", run.key, proc.pid)
            signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + self.kill_timeout
        for run, proc in running:
            if not run.done.wait(max(0.0, deadline - time.monotonic())):
                logger.warning(
                    "killing %s (pid %s): no exit %.1f s after SIGTERM", run.key, proc.pid, self.kill_timeout
                )
            signal_group(proc, SIGKILL)
        for run, _ in running:
            run.done.wait(self.kill_timeout)

    # -----------------------------------------------------------------------------------------
    def _command_class(self) -> type[NotificationHandlers]:
        return self._communication or NotificationHandlers

    def _forget_old_trainings(self, current: UUID) -> None:
        """Keep at most ``max_trainings`` trainings' runs (caller holds the lock): the map of runs
        would otherwise grow with every round for as long as the receiver runs."""
        order: dict[UUID, None] = {}
        for key in self._runs:  # insertion order: the most recently submitted come last
            order.pop(key.training_id, None)
            order[key.training_id] = None
        order.pop(current, None)
        excess = len(order) + 1 - self.max_trainings
        for training in list(order)[: max(0, excess)]:
            runs = [k for k, r in self._runs.items() if k.training_id == training]
            if any(self._runs[k].state in (RunState.QUEUED, RunState.RUNNING) for k in runs):
                continue
            for key in runs:
                del self._runs[key]
            self._global_models.pop(training, None)
            logger.debug("forgot the runs of training %s", training)

    def _prune_logs(self) -> None:
        """Before a run opens its log: remove the oldest so that ``log_keep`` remain with it."""
        if not self.log_keep:
            return
        try:
            logs = sorted(self.log_dir.glob("*-round*-*.log"), key=lambda path: path.stat().st_mtime)
        except OSError:
            return
        for old in logs[: max(0, len(logs) - (self.log_keep - 1))]:  # the new run adds one
            try:
                old.unlink()
            except OSError as exc:
                logger.warning("cannot remove old run log %s: %s", old, exc)

    def _active_count(self) -> int:
        with self._lock:
            return sum(run.state in (RunState.QUEUED, RunState.RUNNING) for run in self._runs.values())

    def _run_environment(self, run: ScriptRun) -> dict[str, str]:
        env = dict(os.environ if self._environment is None else self._environment)
        for name in (*RUN_VARIABLES, *SECRET_VARIABLES):  # never inherited from the receiver
            env.pop(name, None)
        env[ENV_ACTION] = run.key.action
        env[ENV_TRAINING_ID] = str(run.key.training_id)
        env[ENV_ROUND] = str(run.key.round)
        env[ENV_MODEL_ID] = str(run.model_id)
        env[ENV_BASE_URL] = self.settings.base_url
        global_model = self.global_model_id(run.key.training_id)
        if global_model is not None:
            env[ENV_GLOBAL_MODEL_ID] = str(global_model)
        if self._authorization is not None:
            env[ENV_AUTHORIZATION] = self._authorization
        if self.client_id is not None:
            env[ENV_CLIENT_ID] = str(self.client_id)
        return env

    def _run(self, run: ScriptRun) -> None:
        """Worker thread: start the script, wait for it, record and log the outcome."""
        try:
            self._execute(run)
        except Exception as exc:  # a worker must never die silently: record what happened
            logger.exception("run %s failed in the dispatcher", run.key)
            run.state, run.error = RunState.FAILED, f"{type(exc).__name__}: {exc}"
        finally:
            with self._lock:
                self._processes.pop(run.key, None)
            self._hook("run_ended", run)
            run.done.set()

    def _execute(self, run: ScriptRun) -> None:
        with self._lock:
            if self._stopping:
                run.state = RunState.CANCELLED
                logger.info("cancelled %s: shutting down before it started", run.key)
                return
        verdict = self._hook("before_start", run) if run.resumed else None
        with self._lock:
            if verdict is None and self._stopping:
                verdict = RunState.CANCELLED
            if verdict is not None:
                run.state = verdict
                logger.info("not starting %s: %s", run.key, verdict.value)
                return
            run.state = RunState.RUNNING
        env = self._run_environment(run)
        workdir = self.settings.resolved_working_directory()
        run.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._prune_logs()
        start = time.monotonic()
        with open(run.log_path, "ab") as log:
            try:
                launched = self._launcher and self._launcher.start(
                    run.argv, cwd=workdir, env=env, log_path=run.log_path
                )
                proc: RunProcess = launched or subprocess.Popen(
                    run.argv,
                    cwd=workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=POSIX,
                )
            except OSError as exc:
                run.state, run.error = RunState.FAILED, f"cannot start {run.argv[0]!r}: {exc.strerror or exc}"
                log.write(f"fl-client: {run.error}\n".encode())
                logger.error("run %s could not start: %s (log %s)", run.key, run.error, run.log_path)
                return
            run.pid = proc.pid
            self._hook("run_started", run)
            with self._lock:
                self._processes[run.key] = proc
                kill_now = self._killing
            if kill_now:
                signal_group(proc, SIGKILL)
            logger.info(
                "run started: %s model=%s pid=%d log=%s", run.key, run.model_id, proc.pid, run.log_path
            )
            returncode, left_behind = wait_and_clear_group(proc)
        run.duration = time.monotonic() - start
        run.returncode = returncode
        if left_behind:
            logger.warning("run %s left processes behind in its group; killed them", run.key)
        if returncode == 0:
            run.state = RunState.SUCCEEDED
            logger.info("run finished: %s exit=0 duration=%.2fs log=%s", run.key, run.duration, run.log_path)
            return
        run.state = RunState.FAILED
        tail = tail_lines(run.log_path, DEFAULT_LOG_TAIL_LINES)
        logger.error(
            "run failed: %s exit=%d duration=%.2fs log=%s\n%s",
            run.key,
            returncode,
            run.duration,
            run.log_path,
            "\n".join(f"    | {line}" for line in tail) or "    | (empty log)",
        )
