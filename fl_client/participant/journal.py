"""The run journal: every script run of ``fl-client serve``, in a local SQLite file.

One row per (training, round, action) -- the latest run of that key -- with its state, the number
of attempts, the exit code, the log file and the script's pid. The dispatcher's hooks write it as
runs move (`fl_client.participant.recovery.RunSupervisor`); a restarted receiver reads it back
(`RunJournal.interrupted_runs`, `RunJournal.records`) so that it neither runs finished work again
nor forgets queued work, and ``fl-client runs`` lists it.

SQLite (standard library) because the file must survive a SIGKILL at any moment: every change is
one committed transaction in WAL mode, so a crash loses at most the change being written.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from ..exceptions import ConfigurationError
from .runs import RunKey, RunState, ScriptRun

__all__ = ["JOURNAL_FILE_NAME", "JournalRecord", "RunJournal"]

JOURNAL_FILE_NAME = "runs.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    training_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    action TEXT NOT NULL,
    model_id TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    exit_code INTEGER,
    log_file TEXT,
    pid INTEGER,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (training_id, round, action)
)
"""
_SELECT = "SELECT training_id, round, action, model_id, state, attempts, exit_code, log_file, pid, error, created, updated FROM runs"
_ORDER = " ORDER BY created, training_id, round, action"
_INSERT = (
    "INSERT INTO runs (training_id, round, action, model_id, state, attempts, exit_code, log_file, pid, error, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (training_id, round, action) DO UPDATE SET model_id=excluded.model_id, "
    "state=excluded.state, attempts=excluded.attempts, exit_code=excluded.exit_code, "
    "log_file=excluded.log_file, pid=excluded.pid, error=excluded.error, updated=excluded.updated"
)


@dataclass(frozen=True)
class JournalRecord:
    """One row of the journal: the latest run of one (training, round, action)."""

    training_id: UUID
    round: int
    action: str
    model_id: UUID
    state: RunState
    attempts: int
    exit_code: int | None
    log_file: str | None
    pid: int | None
    error: str | None
    created: float
    updated: float

    @property
    def key(self) -> RunKey:
        return RunKey(self.training_id, self.round, self.action)

    def to_json(self) -> dict[str, object]:
        return {
            "training_id": str(self.training_id),
            "round": self.round,
            "action": self.action,
            "model_id": str(self.model_id),
            "state": self.state.value,
            "attempts": self.attempts,
            "exit_code": self.exit_code,
            "log_file": self.log_file,
            "pid": self.pid,
            "error": self.error,
            "created": self.created,
            "updated": self.updated,
        }

    def as_run(self) -> ScriptRun:
        """The record as a finished `ScriptRun`, for the dispatcher to know (`ScriptDispatcher.adopt`)."""
        run = ScriptRun(self.key, self.model_id, (), Path(self.log_file or ""))
        run.state, run.attempt, run.pid = self.state, self.attempts, self.pid
        run.returncode, run.error = self.exit_code, self.error
        return run


class RunJournal:
    """The SQLite journal in ``state_dir`` (created if missing). Thread-safe; also a context manager."""

    def __init__(self, state_dir: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(state_dir).resolve() / JOURNAL_FILE_NAME
        self._lock = threading.Lock()
        try:
            if read_only:
                if not self.path.is_file():
                    raise ConfigurationError(f"no run journal at {str(self.path)!r}")
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(_SCHEMA)
                self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(f"cannot open the run journal {str(self.path)!r}: {exc}") from None

    def __repr__(self) -> str:
        return f"RunJournal({str(self.path)!r})"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> RunJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:  # one committed transaction per change
            yield self._db

    # -----------------------------------------------------------------------------------------
    def record(self, run: ScriptRun) -> None:
        """Write the run's current state (insert or replace the row of its key)."""
        now = time.time()
        key = run.key
        with self._write() as db:
            db.execute(
                _INSERT,
                (
                    str(key.training_id), key.round, key.action, str(run.model_id), run.state.value,
                    run.attempt, run.returncode, str(run.log_path) if str(run.log_path) not in ("", ".") else None,
                    run.pid, run.error, now, now,
                ),
            )  # fmt: skip

    def records(self, *, training_id: UUID | None = None) -> list[JournalRecord]:
        """Every row, oldest first (optionally of one training)."""
        query, params = _SELECT + _ORDER, ()  # type: tuple[str, tuple[str, ...]]
        if training_id is not None:
            query, params = _SELECT + " WHERE training_id = ?" + _ORDER, (str(training_id),)
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [_record(row) for row in rows]

    def get(self, key: RunKey) -> JournalRecord | None:
        with self._lock:
            row = self._db.execute(
                _SELECT + " WHERE training_id = ? AND round = ? AND action = ?",
                (str(key.training_id), key.round, key.action),
            ).fetchone()
        return _record(row) if row else None

    def mark_interrupted(self) -> list[JournalRecord]:
        """At start: runs still RUNNING belonged to a receiver that died; mark them INTERRUPTED."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET state = ?, updated = ? WHERE state = ?",
                (RunState.INTERRUPTED.value, time.time(), RunState.RUNNING.value),
            )
        return [r for r in self.records() if r.state is RunState.INTERRUPTED]


def _record(row: tuple[object, ...]) -> JournalRecord:
    (training, round_, action, model, state, attempts, exit_code, log_file, pid, error, created, updated) = (
        row
    )
    try:
        run_state = RunState(str(state))
    except ValueError:
        run_state = RunState.INTERRUPTED  # written by a newer version: treat as "ask the server"
    return JournalRecord(
        UUID(str(training)),
        int(str(round_)),
        str(action),
        UUID(str(model)),
        run_state,
        int(str(attempts)),
        None if exit_code is None else int(str(exit_code)),
        None if log_file is None else str(log_file),
        None if pid is None else int(str(pid)),
        None if error is None else str(error),
        float(str(created)),
        float(str(updated)),
    )
