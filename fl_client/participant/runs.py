"""What the dispatcher knows about script runs: their key, state and outcome."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol
from uuid import UUID

__all__ = ["RunHooks", "RunKey", "RunState", "ScriptRun", "Submission"]


@dataclass(frozen=True, order=True)
class RunKey:
    """What makes a run unique: a duplicate notification has the same key."""

    training_id: UUID
    round: int
    action: str

    def __str__(self) -> str:
        return f"{self.action} training={self.training_id} round={self.round}"


class RunState(StrEnum):
    """Where a run is; QUEUED and RUNNING are active, the others final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    """The receiver stopped (crashed) while the run was running; its script may still be."""
    SKIPPED = "skipped"
    """Not started again: the server already has what the run uploads, or no longer wants it."""
    DEFERRED = "deferred"
    """Not started again: the server cannot tell yet whether it has the upload; asked again later."""

    @property
    def active(self) -> bool:
        return self in (RunState.QUEUED, RunState.RUNNING)

    @property
    def rerunnable(self) -> bool:
        """A run that ended this way may run again (a re-delivered notification, a retry, catch-up)."""
        return self in (RunState.FAILED, RunState.CANCELLED, RunState.INTERRUPTED, RunState.DEFERRED)


@dataclass(eq=False)
class ScriptRun:
    """One run of the training script, from submission to exit."""

    key: RunKey
    model_id: UUID
    argv: tuple[str, ...]
    log_path: Path
    state: RunState = RunState.QUEUED
    pid: int | None = None
    returncode: int | None = None
    duration: float | None = None
    error: str | None = None
    attempt: int = 1
    """1 for the first run of its key; a run after a FAILED or INTERRUPTED one counts on."""
    resumed: bool = False
    """It follows an earlier run of the same key: the server is asked before it starts."""
    previous_pid: int | None = None
    """The pid of the INTERRUPTED run it follows (whose script may still be running)."""
    done: threading.Event = field(default_factory=threading.Event, repr=False)


class RunHooks(Protocol):
    """What the dispatcher tells (and asks) about each run: the run journal, retries, catch-up.

    Called from the dispatcher's threads; an exception is logged and does not stop the run.
    """

    def run_queued(self, run: ScriptRun) -> None: ...

    def before_start(self, run: ScriptRun) -> RunState | None:
        """None to start the run; else the final state it ends in without starting."""
        ...

    def run_started(self, run: ScriptRun) -> None: ...

    def run_ended(self, run: ScriptRun) -> None: ...

    def remembered_run(self, key: RunKey) -> ScriptRun | None:
        """Optional: the last run of ``key`` the dispatcher has forgotten (its runs map is bounded),
        e.g. from the journal; None when unknown."""
        ...


@dataclass(frozen=True)
class Submission:
    """The outcome of one `ScriptDispatcher.submit`: the run, and whether it was already known."""

    run: ScriptRun
    duplicate: bool

    def describe(self) -> str:
        verb = "already submitted" if self.duplicate else "queued"
        return f"{self.run.key.action} run for round {self.run.key.round} {verb}"
