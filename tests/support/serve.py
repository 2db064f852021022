"""Real ``fl-client serve`` participants against an emulator, for end-to-end tests.

`Participant` starts, kills (SIGKILL) and restarts one receiver process on a fixed port, with
tests/fixtures/flow_script.py (or another script) as its training script; `UploadCounter` counts
every accepted local-model upload per (participant, round) as the emulator saw it, and
`UploadRecorder` keeps each one.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fl_client.testing import EmulatedUser, Exchange, FLEmulator, free_port
from fl_client.testing._forms import parse_body
from support.paths import FIXTURES

FLOW_SCRIPT = FIXTURES / "flow_script.py"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


class Participant:
    """One participant: an emulator user and its ``fl-client serve`` process (restartable)."""

    def __init__(
        self,
        server: FLEmulator,
        name: str,
        workdir: Path,
        *extra: str,
        env: dict[str, str] | None = None,
        script: Path = FLOW_SCRIPT,
    ) -> None:
        self.port = free_port()
        self.script = script
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
            "--script", str(self.script), "--workdir", str(self.workdir), "--base-url", self.server.url,
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


@contextmanager
def serving(participants: list[Participant]) -> Iterator[list[Participant]]:
    """Starts each participant's receiver (waiting until it listens); stops them all on the way out."""
    try:
        for participant in participants:
            participant.start()
        yield participants
    finally:
        for participant in participants:
            participant.stop()


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


class UploadRecorder:
    """Keeps every accepted local upload (round, sample size, file) as the emulator received it."""

    def __init__(self, model_id: str) -> None:
        self.path = f"/api/models/{model_id}/"
        self.uploads: list[tuple[int, int, bytes]] = []
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        if exchange.method != "POST" or urlsplit(exchange.url).path != self.path or exchange.status != 201:
            return
        content_type = next(v for k, v in exchange.request_headers.items() if k.lower() == "content-type")
        body = parse_body(content_type, exchange.request_body)
        data = body.first_file("model_file")
        assert data is not None
        with self._lock:
            self.uploads.append((int(body.values("round")[0]), int(body.values("sample_size")[0]), data))

    def of_round(self, round_number: int) -> list[tuple[int, bytes]]:
        with self._lock:
            return [(size, data) for r, size, data in self.uploads if r == round_number]
