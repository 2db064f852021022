"""What keeps runs from being lost or doubled: journal, retries, checks before a repeated run.

`RunSupervisor` is the dispatcher's `RunHooks`:

* every change of a run is written to the `RunJournal`;
* a run that exits non-zero runs again after a backoff (``retry_delay`` doubling up to
  ``max_retry_delay``) until ``max_attempts`` attempts are spent;
* a run that repeats an earlier one (a retry, a re-delivered notification after a failure, a run
  restored after a crash, a catch-up) first asks the server (`ServerState.owed`): stored or no
  longer wanted -> SKIPPED; cannot tell -> DEFERRED (catch-up asks again); owed -> it starts. A run
  whose predecessor was INTERRUPTED waits while that predecessor's script is still alive: it may
  be about to upload;
* `restore` reads the journal at start: finished runs are known again (not re-run), queued,
  interrupted and retryable ones are submitted again (and checked as above).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..defaults import (
    DEFAULT_CATCH_UP_INTERVAL,
    DEFAULT_RUN_ATTEMPTS,
    DEFAULT_RUN_RETRY_DELAY,
    DEFAULT_RUN_RETRY_MAX_DELAY,
)
from ..exceptions import ConfigurationError, DispatcherStoppedError
from .catchup import CatchUp, ServerState, Verdict
from .handlers import NotificationHandlers
from .journal import RunJournal
from .runs import RunKey, RunState, ScriptRun

if TYPE_CHECKING:
    from .dispatch import ScriptDispatcher

__all__ = ["Recovery", "RunSupervisor", "process_alive"]

logger = logging.getLogger("fl.client.recovery")


def process_alive(pid: int) -> bool:
    """True if ``pid`` is a live (not zombie) process leading its own process group, as runs do."""
    try:
        os.kill(pid, 0)
        if os.getpgid(pid) != pid:
            return False  # the pid was reused by an unrelated process
    except (ProcessLookupError, PermissionError, OSError):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): trust kill(0)
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


class RunSupervisor:
    """Journal, retries and checks of repeated runs, for one `ScriptDispatcher` (see the module doc)."""

    def __init__(
        self,
        *,
        journal: RunJournal | None = None,
        server: ServerState | None = None,
        max_attempts: int = DEFAULT_RUN_ATTEMPTS,
        retry_delay: float = DEFAULT_RUN_RETRY_DELAY,
        max_retry_delay: float = DEFAULT_RUN_RETRY_MAX_DELAY,
    ) -> None:
        if max_attempts < 1:
            raise ConfigurationError(f"run attempts must be at least 1, not {max_attempts}")
        if retry_delay < 0 or max_retry_delay < 0:
            raise ConfigurationError("retry delays must not be negative")
        self.journal = journal
        self.server = server
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.dispatcher: ScriptDispatcher | None = None
        self._timers: dict[RunKey, threading.Timer] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def attach(self, dispatcher: ScriptDispatcher) -> None:
        """Become ``dispatcher``'s hooks."""
        self.dispatcher = dispatcher
        dispatcher.hooks = self

    def may_rerun(self, key: RunKey) -> bool:
        """False once a key's failed runs have used up their attempts."""
        run = self.dispatcher.run_for(key) if self.dispatcher is not None else None
        return run is None or run.state is not RunState.FAILED or run.attempt < self.max_attempts

    def restore(self) -> list[RunKey]:
        """Read the journal back into the dispatcher; returns the keys submitted again."""
        if self.journal is None or self.dispatcher is None:
            return []
        self.journal.mark_interrupted()
        again: list[RunKey] = []
        for record in self.journal.records():
            run = record.as_run()
            if run.state in (RunState.QUEUED, RunState.RUNNING):
                run.state = RunState.CANCELLED  # never started (or lost): runs again, same attempt
            self.dispatcher.adopt(run)
            if run.state.rerunnable and self.may_rerun(run.key):
                again.append(run.key)
        for key in again:
            known = self.journal.get(key)
            if known is not None:
                logger.info("resuming %s (journal: %s)", key, known.state.value)
                self._resubmit(key, known.model_id)
        return again

    def stop(self) -> None:
        """Cancel pending retries (the journal keeps them for the next start)."""
        with self._lock:
            self._stopped = True
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()

    # ------------------------------------------------------------------------- RunHooks
    def run_queued(self, run: ScriptRun) -> None:
        self._record(run)

    def run_started(self, run: ScriptRun) -> None:
        self._record(run)

    def run_ended(self, run: ScriptRun) -> None:
        self._record(run)
        if run.state is RunState.FAILED:
            if run.attempt < self.max_attempts:
                self._schedule_retry(run)
            else:
                logger.error(
                    "run %s failed %d time(s): not retried again (a re-delivered notification runs it; "
                    "see `fl-client runs` and its log %s)",
                    run.key,
                    run.attempt,
                    run.log_path,
                )

    def remembered_run(self, key: RunKey) -> ScriptRun | None:
        if self.journal is None:
            return None
        record = self.journal.get(key)
        return None if record is None else record.as_run()

    def before_start(self, run: ScriptRun) -> RunState | None:
        if run.previous_pid is not None and process_alive(run.previous_pid):
            logger.warning(
                "%s: the script of the interrupted run (pid %d) is still running: waiting for it",
                run.key,
                run.previous_pid,
            )
            return RunState.DEFERRED
        if self.server is None:
            return None
        verdict = self.server.owed(run.key)
        if verdict is Verdict.OWED:
            logger.info(
                "%s: the server does not have its upload: running it (attempt %d)", run.key, run.attempt
            )
            return None
        if verdict is Verdict.DONE:
            logger.info("%s: the server has its upload or no longer wants it: not running it", run.key)
            return RunState.SKIPPED
        logger.warning("%s: cannot tell whether the server has its upload: asking again later", run.key)
        return RunState.DEFERRED

    # -------------------------------------------------------------------------
    def _record(self, run: ScriptRun) -> None:
        if self.journal is not None:
            self.journal.record(run)

    def _schedule_retry(self, run: ScriptRun) -> None:
        delay = min(self.max_retry_delay, self.retry_delay * 2 ** (run.attempt - 1))
        logger.warning(
            "run %s failed (attempt %d of %d): retrying in %.1f s",
            run.key,
            run.attempt,
            self.max_attempts,
            delay,
        )
        timer = threading.Timer(delay, self._retry, args=(run.key, run))
        timer.daemon = True
        with self._lock:
            if self._stopped:
                return
            self._timers[run.key] = timer
        timer.start()

    def _retry(self, key: RunKey, run: ScriptRun) -> None:
        with self._lock:
            self._timers.pop(key, None)
        self._resubmit(key, run.model_id)

    def _resubmit(self, key: RunKey, model_id: object) -> None:
        if self.dispatcher is None:
            return
        from uuid import UUID

        try:
            self.dispatcher.submit(key.action, key.training_id, key.round, UUID(str(model_id)))
        except (DispatcherStoppedError, ConfigurationError) as exc:
            logger.info("not resubmitting %s: %s", key, exc)


class Recovery:
    """Journal + supervisor + catch-up of one receiver, started and stopped together.

    ``fl-client serve`` calls `restore` before the receiver listens (so that finished runs are
    known before a notification repeats them), `start` after, `stop` before the dispatcher shuts
    down and `close` after it (its last run changes still reach the journal).
    """

    def __init__(
        self,
        *,
        dispatcher: ScriptDispatcher,
        communication: type[NotificationHandlers],
        journal: RunJournal | None,
        server: ServerState | None,
        max_attempts: int = DEFAULT_RUN_ATTEMPTS,
        retry_delay: float = DEFAULT_RUN_RETRY_DELAY,
        max_retry_delay: float = DEFAULT_RUN_RETRY_MAX_DELAY,
        catch_up_interval: float | None = DEFAULT_CATCH_UP_INTERVAL,
    ) -> None:
        """``catch_up_interval`` None (or no ``server``) turns catch-up off."""
        self.journal = journal
        self.server = server
        self.supervisor = RunSupervisor(
            journal=journal,
            server=server,
            max_attempts=max_attempts,
            retry_delay=retry_delay,
            max_retry_delay=max_retry_delay,
        )
        self.supervisor.attach(dispatcher)
        self.catch_up: CatchUp | None = None
        if server is not None and catch_up_interval is not None:
            self.catch_up = CatchUp(
                server=server,
                dispatcher=dispatcher,
                communication=communication,
                run_for=dispatcher.run_for,
                note_global_model=dispatcher.note_global_model,
                may_rerun=self.supervisor.may_rerun,
                interval=catch_up_interval,
            )

    def restore(self) -> list[RunKey]:
        return self.supervisor.restore()

    def start(self) -> None:
        if self.catch_up is not None:
            self.catch_up.start()

    def stop(self) -> None:
        if self.catch_up is not None:
            self.catch_up.stop()
        self.supervisor.stop()

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
        if self.server is not None:
            self.server.api.get_httpx_client().close()
