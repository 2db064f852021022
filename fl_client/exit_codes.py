"""`ExitCode`: the exit codes of ``fl-client`` and of a `TrainingScript`, one numbering for both.

The receiver's log and ``fl-client runs`` show a script's exit code next to those of the command
line, so one number means one thing everywhere. The README and the operators' guide show the
members as a table (code, name, ``description``); a test compares those tables with this enum.
"""

from __future__ import annotations

from enum import IntEnum, unique

__all__ = ["SCRIPT_CODES", "ExitCode"]


@unique
class ExitCode(IntEnum):
    """What a process of fl_client exits with; ``description`` is the meaning the docs show.

    ``fl-client`` commands exit with the codes up to `TRAINING_STALLED` and `INTERRUPTED`; a
    `TrainingScript` with `OK`, `USAGE`, `ERROR` (a variable missing or invalid) and the codes in
    `SCRIPT_CODES`. Each number means one thing (``@unique``).
    """

    description: str

    def __new__(cls, value: int, description: str) -> ExitCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    OK = 0, "done"
    ERROR = (
        1,
        "configuration (no credentials, unknown profile, a variable missing or invalid, missing file) "
        "or another error; `contract diff`: something new in the server's schema (as diff(1))",
    )
    USAGE = (
        2,
        "usage: unknown command or option, bad value; `contract diff`: a document that cannot be read",
    )
    AUTH = 3, "authentication or permission (401, 403)"
    NOT_FOUND = 4, 'not found (400 "... not found." or 404)'
    REJECTED = (
        5,
        "the server refused the request (other 4xx), or would: a model larger than it can store, "
        "refused before sending",
    )
    SERVER = 6, "server error (5xx, an answer that breaks the contract)"
    NETWORK = 7, "network: no answer, timeout"
    TRAINING_FAILED = 8, "`trainings watch`: the training ended in state error"
    TRAINING_STALLED = 9, "`trainings watch`: nothing changed within `--stall-timeout`"
    TRANSFER_FAILED = 11, "a training script's download or upload failed"
    HANDLER_FAILED = 12, "a training script's function raised or returned the wrong type"
    NO_HANDLER = 13, "a training script has no function for the action"
    INTERRUPTED = 130, "interrupted (Ctrl-C; 128 + SIGINT, as shells report it)"


SCRIPT_CODES = frozenset({ExitCode.TRANSFER_FAILED, ExitCode.HANDLER_FAILED, ExitCode.NO_HANDLER})
"""The codes only a `TrainingScript` exits with; ``fl-client`` commands exit with the others."""
