"""``fl-client doctor`` against the emulator: a participant with a training under way, its scripts,
and the command run in-process or as the real executable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from fl_client.cli import main
from fl_client.testing import EmulatedUser, FLEmulator, free_port
from support.models import CustomNet, small_model

__all__ = [
    "GOOD_SCRIPT",
    "REFERENCE_SCRIPT",
    "Setup",
    "check",
    "custom_global_model",
    "doctor_setup",
    "run_doctor_json",
    "statuses",
]

# A TrainingScript with the usual guard: the dry run imports it (its guarded block must not run).
GOOD_SCRIPT = """\
from fl_client import TrainingScript, TrainResult

script = TrainingScript()


@script.train
def train(model, comm):
    return TrainResult(model, sample_size=1)


@script.test
def test(model, comm):
    return {"accuracy": 1.0}


if __name__ == "__main__":
    raise SystemExit(script.run())
"""

# A reference-style script: argparse at the top, no guard. Importing it would train (and fail
# on the missing arguments), so the dry run compiles it and imports only what it imports.
REFERENCE_SCRIPT = """\
import argparse
import sys

import torch

from fl_client import Communication

parser = argparse.ArgumentParser()
parser.add_argument("action")
args = parser.parse_args()
sys.exit(3)  # never reached by the dry run
"""


@dataclass
class Setup:
    server: FLEmulator
    alice: EmulatedUser
    port: int
    workdir: Path
    training_id: str

    def args(self, *extra: str, script: str = "train.py", port: int | None = None) -> list[str]:
        return ["doctor", "--base-url", self.server.url, "--workdir", str(self.workdir), "--script", script,
                "--port", str(self.port if port is None else port), *extra]  # fmt: skip

    def write(self, name: str, text: str) -> str:
        (self.workdir / name).write_text(text)
        return name


@contextmanager
def doctor_setup(tmp_path: Path, *, global_model: Any = None) -> Iterator[Setup]:
    """An emulator with an actor and a participant ``alice`` (a client whose message_endpoint is
    ``http://127.0.0.1:<port>/``) in a started training; ``train.py`` is a good script."""
    with FLEmulator(trusted_classes=[CustomNet], notification_retries=0) as server:
        port = free_port()
        actor = server.create_user("actor", actor=True)
        alice = server.create_user("alice", client=True, message_endpoint=f"http://127.0.0.1:{port}/")
        model_id = server.upload_model(actor, small_model() if global_model is None else global_model)
        training_id = server.create_training(actor, model_id, [alice])
        server.start_training(actor, training_id)
        workdir = tmp_path / "work"
        workdir.mkdir()
        setup = Setup(server, alice, port, workdir, training_id)
        setup.write("train.py", GOOD_SCRIPT)
        yield setup


def custom_global_model() -> torch.nn.Module:
    """A pickled module of a class of our own (the emulator trusts it; a participant does not)."""
    return CustomNet()


def run_doctor_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    """``fl-client doctor --json`` in this process: (exit code, the report)."""
    code = main([*args, "--json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, json.loads(captured.out)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in report["checks"]}


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["checks"] if c["name"] == name)
    return found
