"""`TrainingScript`: a training script in a few lines, around your own train and test functions.

::

    from fl_client import TrainingScript, TrainResult

    script = TrainingScript()

    @script.train
    def train(model, comm):
        ...                                    # train the downloaded global model
        return TrainResult(model, {"loss": loss}, sample_size=len(data))

    @script.test
    def test(model, comm):
        return {"accuracy": accuracy(model)}

    @script.swag                               # SWAG trainings only (uncertainty_method "SWAG")
    def swag(model, comm):
        first, second = moments(model)         # 1-D tensors, one entry per parameter
        return SwagResult(first, second, sample_size=len(data))

    if __name__ == "__main__":
        raise SystemExit(script.run())

`run()` reads the reference argv (``train|test|swag --training-id T --round R --model-id M``),
builds `Communication.from_env()` (the variables ``fl-client serve`` sets), downloads the
model, calls your function, and uploads its result (the local model with metrics and sample size
for ``train``, to the training's global model also in daisy-chain rounds, whose model to start
from is another participant's local model; the metrics for ``test``; the SWAG statistics for
``swag``). It returns a named exit code, so the receiver's log
says what went wrong.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from ..exceptions import APIError, ConfigurationError, FLClientError
from ..exit_codes import ExitCode
from .communication import Communication

__all__ = [
    "SwagResult",
    "TrainResult",
    "TrainingScript",
]

_logger = logging.getLogger("fl.client.script")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class TrainResult:
    """What a train function returns: the trained model, its metrics, and the training-set size."""

    model: Any
    metrics: Mapping[str, Any] = field(default_factory=dict)
    sample_size: int = 1


@dataclass(frozen=True)
class SwagResult:
    """What a swag function returns: the SWAG first and second moments and the sample size.

    Each moment is a 1-D tensor with one entry per model parameter, concatenated in
    ``parameters()`` order (API reference §7.3).
    """

    first_moment: Any
    second_moment: Any
    sample_size: int = 1


def _check_handler(kind: str, fn: Callable[..., Any]) -> None:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    takes_varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    if len(positional) != 2 and not takes_varargs:
        raise TypeError(
            f"a {kind} function takes (model, comm), not {inspect.signature(fn)}; write it as\n"
            f"    @script.{kind}\n    def {getattr(fn, '__name__', kind)}(model, comm): ..."
        )


class TrainingScript:
    """Registers train/test functions and runs the one the receiver asks for."""

    def __init__(
        self, *, communication: type[Communication] = Communication, **communication_kwargs: Any
    ) -> None:
        """``communication_kwargs`` go to `Communication.from_env` (e.g. ``trusted_classes=[...]``,
        ``map_location="cuda"``)."""
        self._communication = communication
        self._kwargs = communication_kwargs
        self._handlers: dict[str, Callable[..., Any]] = {}

    def train(self, fn: F) -> F:
        """Register ``fn(model, comm) -> TrainResult`` for the ``train`` action."""
        _check_handler("train", fn)
        self._handlers["train"] = fn
        return fn

    def test(self, fn: F) -> F:
        """Register ``fn(model, comm) -> metrics`` for the ``test`` action (metrics go to the global model)."""
        _check_handler("test", fn)
        self._handlers["test"] = fn
        return fn

    def swag(self, fn: F) -> F:
        """Register ``fn(model, comm) -> SwagResult`` for the ``swag`` action (SWAG trainings)."""
        _check_handler("swag", fn)
        self._handlers["swag"] = fn
        return fn

    @property
    def actions(self) -> frozenset[str]:
        """The actions a function is registered for (``fl-client doctor`` reports them)."""
        return frozenset(self._handlers)

    __test__ = False  # not a pytest test class, whatever its method names

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(description="FL Demonstrator training script")
        parser.add_argument("action", help="what the server asked for: train, test or swag")
        parser.add_argument("--training-id", required=True, type=UUID)
        parser.add_argument("--round", required=True, type=int)
        parser.add_argument("--model-id", required=True, type=UUID)
        return parser

    def run(self, argv: Sequence[str] | None = None) -> int:
        """Run the action named in ``argv`` (default ``sys.argv[1:]``); returns an exit code."""
        try:
            args = self.parser().parse_args(argv)
        except SystemExit as exc:
            return (
                ExitCode.USAGE if exc.code == ExitCode.USAGE else int(exc.code or 0)
            )  # argparse: 2 or 0 (--help)
        handler = self._handlers.get(args.action)
        if handler is None:
            print(f"no function registered for action {args.action!r}", file=sys.stderr)
            return ExitCode.NO_HANDLER
        try:
            comm = self._communication.from_env(
                training_id=args.training_id, round=args.round, model_id=args.model_id, **self._kwargs
            )
        except ConfigurationError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return ExitCode.ERROR
        with comm:
            return self._run(args.action, handler, comm)

    def _run(self, action: str, handler: Callable[..., Any], comm: Communication) -> int:
        try:
            model = comm.download_model()
        except FLClientError as exc:
            print(f"download failed: {exc}", file=sys.stderr)
            return ExitCode.TRANSFER_FAILED
        try:
            result = handler(model, comm)
        except Exception:
            _logger.exception("%s function failed", action)
            return ExitCode.HANDLER_FAILED
        try:
            if action == "train":
                if not isinstance(result, TrainResult):
                    print(
                        f"a train function returns TrainResult, not {type(result).__name__}", file=sys.stderr
                    )
                    return ExitCode.HANDLER_FAILED
                comm.upload_model(result.model, result.metrics, result.sample_size)
            elif action == "swag":
                if not isinstance(result, SwagResult):
                    print(f"a swag function returns SwagResult, not {type(result).__name__}", file=sys.stderr)
                    return ExitCode.HANDLER_FAILED
                comm.upload_swag(result.first_moment, result.second_moment, result.sample_size)
            else:
                comm.upload_metrics(dict(result or {}))
        except (APIError, FLClientError) as exc:
            print(f"upload failed: {exc}", file=sys.stderr)
            return ExitCode.TRANSFER_FAILED
        return ExitCode.OK
