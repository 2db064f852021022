"""Run the installed ``fl-client`` executable in a subprocess, with a private config dir."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FL_CLIENT = str(Path(sys.executable).parent / "fl-client")
# one line of `fl-client trainings watch` output: elapsed seconds, then what changed
EVENT_LINE = re.compile(r"^\[\s*\d+\.\d+s\] (state|round|local models|metrics) ")


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


def ok(*args: str, env: dict[str, str], input: str | None = None) -> str:
    """``fl-client args``' standard output; fails the test unless it exits 0."""
    result = run_cli(*args, env=env, input=input)
    assert result.code == 0, f"fl-client {' '.join(args)} -> {result.code}\n{result.err}"
    return result.out


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails when the file is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def run_in_pty(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, bytes]:
    """Run ``fl-client args`` with stdout and stderr on a pseudo-terminal; (exit code, output)."""
    import pty
    import select
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen([FL_CLIENT, *args], env={**env, "TERM": "xterm"}, stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, close_fds=True)  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal (EIO on Linux)
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, b"".join(chunks)
