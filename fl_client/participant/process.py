"""Process helpers of the dispatcher: process groups, signals, log tails (POSIX first, Windows best effort).

Each run starts in its own session (``start_new_session``), so its process group holds the script
and everything it spawns: one ``killpg`` stops them all, and nothing survives as an orphan.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Protocol

__all__ = [
    "POSIX",
    "SIGKILL",
    "TAIL_BYTES",
    "RunProcess",
    "signal_group",
    "tail_lines",
    "wait_and_clear_group",
]

POSIX = os.name == "posix"
TAIL_BYTES = 64 * 1024
"""How much of a log's end `tail_lines` reads: logs of long trainings may be large."""

SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)


class RunProcess(Protocol):
    """A run's process as the dispatcher sees it: a ``subprocess.Popen``, or a warm run
    (`fl_client.participant.warm.WarmProcess`), each the leader of its own process group."""

    returncode: int | None

    @property
    def pid(self) -> int: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def poll(self) -> int | None: ...

    def kill(self) -> None: ...

    def terminate(self) -> None: ...


# Signalling a group and reaping its leader never overlap: once the leader is reaped its pid (the
# group's id) may belong to an unrelated process, which a late killpg would hit.
_REAP_LOCK = threading.Lock()


def signal_group(proc: RunProcess, signum: int) -> bool:
    """Signal the run's whole process group; True if anything was there to receive it.

    Nothing is sent once the leader has been reaped (see `wait_and_clear_group`).
    """
    with _REAP_LOCK:
        if proc.returncode is not None:
            return False
        return _signal(proc, signum)


def wait_and_clear_group(proc: RunProcess) -> tuple[int, bool]:
    """Wait for the run's leader to exit, SIGKILL whatever it left in its group, then reap it.

    The group is signalled while the exited leader is still unreaped (a zombie keeps its pid, and
    so the group id, from being reused). Returns the exit code and whether anything was left.
    """
    if POSIX and hasattr(os, "waitid"):
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped
        except ChildProcessError:  # reaped already, or not our child (a warm run): nothing safe to signal
            return proc.wait(), False
        with _REAP_LOCK:
            left = _others_in_group(proc.pid)
            _signal(proc, SIGKILL)  # the zombie leader keeps the group alive: this always lands
            return proc.wait(), left
    return proc.wait(), False


def _others_in_group(pgid: int) -> bool:
    """Whether a process other than the group's leader is in process group ``pgid`` (Linux /proc;
    False where it cannot be told)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return False
    for entry in entries:
        if not entry.isdigit() or int(entry) == pgid:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid).encode():
            return True
    return False


def _signal(proc: RunProcess, signum: int) -> bool:
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
