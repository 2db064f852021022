"""Process helpers of the dispatcher: process groups, signals, log tails (POSIX first, Windows best effort).

Each run starts in its own session (``start_new_session``), so its process group holds the script
and everything it spawns: one ``killpg`` stops them all, and nothing survives as an orphan.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Protocol

__all__ = ["POSIX", "SIGKILL", "TAIL_BYTES", "RunProcess", "signal_group", "tail_lines"]

POSIX = os.name == "posix"
TAIL_BYTES = 64 * 1024
"""How much of a log's end `tail_lines` reads: logs of long trainings may be large."""

SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)


class RunProcess(Protocol):
    """A run's process as the dispatcher sees it: a ``subprocess.Popen``, or a warm run
    (`fl_client.participant.warm.WarmProcess`), each the leader of its own process group."""

    @property
    def pid(self) -> int: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def poll(self) -> int | None: ...

    def kill(self) -> None: ...

    def terminate(self) -> None: ...


def signal_group(proc: RunProcess, signum: int) -> bool:
    """Signal the run's whole process group; True if anything was there to receive it."""
    try:
        if POSIX:
            os.killpg(proc.pid, signum)
        elif proc.poll() is None:
            proc.kill() if signum == SIGKILL else proc.terminate()
        else:
            return False
    except (ProcessLookupError, PermissionError):
        return False
    return True


def tail_lines(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a log file (read from its end; logs may be large)."""
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - TAIL_BYTES))
            data = file.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-lines:]
