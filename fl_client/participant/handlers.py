"""What the notification receiver calls for each notification: the class-method half of `Communication`.

The reference client's `Communication` carries these handlers; `fl_client.Communication` inherits
them from here, so a subclass overrides them as before.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any
from uuid import UUID

from ..env import ENV_SCRIPT_PATH
from ..settings import Settings
from .scope import active_dispatch_scope

__all__ = ["NotificationHandlers"]

_BACKGROUND: list[subprocess.Popen[bytes]] = []
"""Scripts started by `NotificationHandlers._start_script` without a dispatcher, until reaped."""


class NotificationHandlers:
    """The notification handlers of `Communication` (override them in a subclass of it)."""

    _logger = logging.getLogger("fl.client")

    @classmethod
    def script_command(
        cls,
        action: str,
        training_id: UUID,
        round: int,
        model_id: UUID,
        *,
        settings: Settings | None = None,
    ) -> list[str]:
        """The argv that runs the training script: ``<executor> <script> <action> --training-id T
        --round R --model-id M``. Override to change how scripts start."""
        settings = settings or Settings.from_env()
        if not settings.script_path:
            from ..exceptions import ConfigurationError

            raise ConfigurationError(f"no training script configured: set {ENV_SCRIPT_PATH} or --script")
        executor = settings.script_executor or sys.executable
        return [
            executor,
            settings.script_path,
            action,
            "--training-id",
            str(training_id),
            "--round",
            str(round),
            "--model-id",
            str(model_id),
        ]

    @classmethod
    def _start_script(
        cls,
        action: str,
        training_id: UUID,
        round: int,
        model_id: UUID,
    ) -> None:
        """Start the training script for ``action`` in the configured working directory (no shell).

        Under ``fl-client serve`` the run goes to the receiver's `ScriptDispatcher` (one log file,
        de-duplication, a concurrency limit, supervised shutdown); called elsewhere it is the
        reference client's plain, unsupervised ``Popen``.
        """
        scope = active_dispatch_scope()
        if scope is not None:
            scope.submit(cls, action, training_id, round, model_id)
            return
        settings = Settings.from_env()
        argv = cls.script_command(action, training_id, round, model_id, settings=settings)
        cls._logger.debug("start script: %s", argv)
        # keep a handle so finished scripts are reaped (no zombies) and none is garbage-collected running
        _BACKGROUND[:] = [process for process in _BACKGROUND if process.poll() is None]
        _BACKGROUND.append(subprocess.Popen(argv, cwd=settings.resolved_working_directory()))

    @classmethod
    def start_training(cls, training_id: UUID, round: int, model_id: UUID) -> None:
        """Start the training script to train round ``round`` (``train`` action)."""
        cls._logger.info("training start")
        cls._start_script("train", training_id, round, model_id)

    @classmethod
    def start_testing(cls, training_id: UUID, round: int, model_id: UUID) -> None:
        """Start the training script to test the global model (``test`` action)."""
        cls._logger.info("testing start")
        cls._start_script("test", training_id, round, model_id)

    @classmethod
    def start_swag(cls, training_id: UUID, round: int, model_id: UUID) -> None:
        """Start the training script to compute SWAG statistics (``swag`` action)."""
        cls._logger.info("swag start")
        cls._start_script("swag", training_id, round, model_id)

    @classmethod
    def init_training(cls, training_id: UUID, model_id: UUID) -> None:
        """A training this client participates in has started."""
        cls._logger.info("training init")
        print("Training is initialized.")

    @classmethod
    def end_training(cls, training_id: UUID, model_id: UUID) -> None:
        """The training finished; clean up."""
        cls._logger.info("training end")
        print("Training is finished.")

    @classmethod
    def client_removed(cls, training_id: UUID, model_id: UUID) -> None:
        """This client was removed from the training (defined by the server, never sent today)."""
        cls._logger.info("client removed from training %s", training_id)

    @classmethod
    def unknown_message(cls, message_type: str, training_id: UUID, data: Any) -> int:
        """Handle a notification of an unknown type; returns the HTTP status to answer (400)."""
        cls._logger.warning("unknown server message of type %r", message_type)
        return 400
