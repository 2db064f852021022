"""What the dispatcher knows about script runs: their key, state and outcome."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from uuid import UUID

__all__ = ["RunKey", "RunState", "ScriptRun", "Submission"]


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
    done: threading.Event = field(default_factory=threading.Event, repr=False)


@dataclass(frozen=True)
class Submission:
    """The outcome of one `ScriptDispatcher.submit`: the run, and whether it was already known."""

    run: ScriptRun
    duplicate: bool

    def describe(self) -> str:
        verb = "already submitted" if self.duplicate else "queued"
        return f"{self.run.key.action} run for round {self.run.key.round} {verb}"
