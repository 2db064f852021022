"""Run the installed ``fl-client`` executable in a subprocess, with a private config dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FL_CLIENT = str(Path(sys.executable).parent / "fl-client")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli_env(config_dir: Path, **extra: str) -> dict[str, str]:
    """The environment without any FL_* variable of the caller, profiles in ``config_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FL_CLIENT_", "FL_DEMONSTRATOR_"))}
    env.update(FL_CLIENT_CONFIG_DIR=str(config_dir), COLUMNS="200", **extra)
    return env


def run_cli(*args: str, env: dict[str, str], input: str | None = None, timeout: float = 60) -> Result:
    done = subprocess.run(
        [FL_CLIENT, *args], env=env, input=input, capture_output=True, text=True, timeout=timeout
    )
    return Result(done.returncode, done.stdout, done.stderr)
