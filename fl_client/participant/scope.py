"""How a notification handler finds the dispatcher that runs its script.

`Communication._start_script` (a class method the reference client's subclasses may override)
has no dispatcher argument: the receiver sets one for the duration of one notification's handler
call. A context variable (not a class attribute) keeps two receivers in one process (tests,
several ports) from sharing one dispatcher by accident.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from ..settings import Settings
from .runs import Submission

__all__ = ["DispatchScope", "Dispatcher", "ScriptCommand", "active_dispatch_scope", "dispatching_to"]


class ScriptCommand(Protocol):
    """What builds a run's argv: a `Communication` (sub)class, through its ``script_command``."""

    def script_command(
        self, action: str, training_id: UUID, round: int, model_id: UUID, *, settings: Settings | None = None
    ) -> list[str]: ...


class Dispatcher(Protocol):
    """What a scope needs of a dispatcher (`fl_client.participant.dispatch.ScriptDispatcher`)."""

    @property
    def settings(self) -> Settings: ...

    def submit(
        self, action: str, training_id: UUID, round: int, model_id: UUID, *, argv: Sequence[str] | None = None
    ) -> Submission: ...


@dataclass
class DispatchScope:
    """The dispatcher active for one notification, and what that notification submitted."""

    dispatcher: Dispatcher
    submissions: list[Submission] = field(default_factory=list)

    def submit(
        self,
        communication: ScriptCommand,
        action: str,
        training_id: UUID,
        round: int,
        model_id: UUID,
    ) -> Submission:
        argv = communication.script_command(
            action, training_id, round, model_id, settings=self.dispatcher.settings
        )
        submission = self.dispatcher.submit(action, training_id, round, model_id, argv=argv)
        self.submissions.append(submission)
        return submission


_scope: ContextVar[DispatchScope | None] = ContextVar("fl_client_dispatch_scope", default=None)


def active_dispatch_scope() -> DispatchScope | None:
    """The scope set by `dispatching_to` in this thread/context, if any."""
    return _scope.get()


@contextlib.contextmanager
def dispatching_to(dispatcher: Dispatcher) -> Iterator[DispatchScope]:
    """Route ``Communication._start_script`` calls made inside the block to ``dispatcher``."""
    token = _scope.set(DispatchScope(dispatcher))
    try:
        scope = _scope.get()
        assert scope is not None
        yield scope
    finally:
        _scope.reset(token)
