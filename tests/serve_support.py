"""Real ``fl-client serve`` participants against an emulator, for end-to-end tests.

`Participant` starts, kills (SIGKILL) and restarts one receiver process on a fixed port, with
tests/fixtures/flow_script.py as its training script; `UploadCounter` counts every accepted
local-model upload per (participant, round) as the emulator saw it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from fl_client.testing import EmulatedUser, Exchange, FLEmulator
from fl_client.testing._forms import parse_body

FLOW_SCRIPT = Path(__file__).resolve().parent / "fixtures" / "flow_script.py"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Participant:
    """One participant: an emulator user and its ``fl-client serve`` process (restartable)."""

    def __init__(
        self, server: FLEmulator, name: str, workdir: Path, *extra: str, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.server = server
        self.user: EmulatedUser = server.create_user(name, message_endpoint=f"http://127.0.0.1:{self.port}/")
        self.workdir = workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.extra = list(extra)
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def flow_dir(self) -> Path:
        return self.workdir

    def argv(self) -> list[str]:
        return [
            sys.executable, "-m", "fl_client", "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--script", str(FLOW_SCRIPT), "--workdir", str(self.workdir), "--base-url", self.server.url,
            "--client-id", self.user.id, "--log-dir", str(self.workdir / "runs"), "--grace-period", "5",
            "--state-dir", str(self.workdir / "state"),
            *self.extra,
        ]  # fmt: skip

    def start(self, *, wait: bool = True) -> None:
        assert self.process is None or self.process.poll() is not None
        self.starts += 1
        env = {
            **os.environ,
            "FL_CLIENT_TOKEN": self.user.token,
            "FLOW_DIR": str(self.workdir),
            "FL_CLIENT_LOG_LEVEL": "DEBUG",
            **self.env,
        }
        with open(self.workdir / f"receiver-{self.starts}.log", "wb") as log:
            self.process = subprocess.Popen(self.argv(), env=env, stdout=log, stderr=log, cwd=self.workdir)
        if wait:
            self.wait_listening()

    def wait_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"receiver exited with {self.process.returncode}: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"receiver on port {self.port} did not listen: {self.log()}")

    def kill(self) -> None:
        """SIGKILL the receiver (not its scripts, which run in their own sessions)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        logs = sorted(self.workdir.glob("receiver-*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in logs)


class UploadCounter:
    """Counts accepted local-model uploads per (user id, round) for one global model."""

    def __init__(self, server: FLEmulator, model_id: str) -> None:
        self.path = f"/api/models/{model_id}/"
        self._tokens = {u.token: u.id for u in server.store.users.values()}
        self.counts: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        if exchange.method != "POST" or urlsplit(exchange.url).path != self.path or exchange.status != 201:
            return
        headers = {k.lower(): v for k, v in exchange.request_headers.items()}
        user = self._tokens.get(headers.get("authorization", "").removeprefix("Token "), "?")
        body = parse_body(headers["content-type"], exchange.request_body)
        with self._lock:
            self.counts[(user, int(body.values("round")[0]))] += 1

    def snapshot(self) -> Counter[tuple[str, int]]:
        with self._lock:
            return Counter(self.counts)
