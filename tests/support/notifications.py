"""Shared pieces of the receiver, dispatcher and CLI tests: bodies, a recording dispatcher, raw HTTP."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from fl_client import NotificationReceiver, ScriptDispatcher, Settings
from fl_client._core.auth import basic_authorization
from fl_client.participant.runs import RunKey, RunState, ScriptRun
from support.paths import FIXTURES
from support.values import CLIENT_ID, MODEL_ID, OTHER_MODEL_ID, SECRET, TRAINING_ID

GLOBAL_MODEL_ID = MODEL_ID
LOCAL_MODEL_ID = OTHER_MODEL_ID
RECORD_SCRIPT = FIXTURES / "record_script.py"
# the receiver's own user and its Basic credentials, as `fl-client serve` gets them
CLIENT = UUID(CLIENT_ID)
AUTH = basic_authorization("alice", SECRET)

ROUND_TYPES = ("UPDATE_ROUND_START", "MODEL_TEST_ROUND", "SWAG_ROUND_START")
MODEL_TYPES = ("TRAINING_START", "TRAINING_FINISHED", "CLIENT_REMOVED")
# the answers the issue asks for, per type
EXPECTED_STATUS = {
    "TRAINING_START": 200,
    "UPDATE_ROUND_START": 202,
    "MODEL_TEST_ROUND": 202,
    "SWAG_ROUND_START": 202,
    "TRAINING_FINISHED": 200,
    "CLIENT_REMOVED": 200,
}
ACTIONS = {"UPDATE_ROUND_START": "train", "MODEL_TEST_ROUND": "test", "SWAG_ROUND_START": "swag"}


def notification(
    kind: str, *, round: int = 0, training: str = TRAINING_ID, model: str = GLOBAL_MODEL_ID
) -> dict[str, Any]:
    """A body exactly as the server sends it (API reference section 9.2)."""
    body: dict[str, Any] = {"global_model_uuid": model}
    if kind in ROUND_TYPES:
        body = {"round": round, "global_model_uuid": model}
    return {"notification_type": kind, "body": body, "training_uuid": training}


def encode(value: Any) -> bytes:
    return json.dumps(value).encode()


class RecordingDispatcher(ScriptDispatcher):
    """A real dispatcher (de-duplication, queue, limit) whose runs start no process.

    ``gate``, when given, holds every run until set, so tests can observe queueing.
    """

    def __init__(self, *, gate: threading.Event | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("settings", Settings(script_path="train.py"))
        # never the default ./fl-client-runs: tests write only to temporary folders
        kwargs.setdefault("log_dir", Path(tempfile.gettempdir()) / "fl-client-test-runs")
        super().__init__(**kwargs)
        self.gate = gate
        self.executed: list[RunKey] = []
        self.running_now = 0
        self.most_at_once = 0
        self._count_lock = threading.Lock()

    def _execute(self, run: ScriptRun) -> None:
        with self._count_lock:
            self.running_now += 1
            self.most_at_once = max(self.most_at_once, self.running_now)
            run.state = RunState.RUNNING
        try:
            if self.gate is not None:
                assert self.gate.wait(10), "gate never opened"
            with self._count_lock:
                self.executed.append(run.key)
            run.state, run.returncode, run.duration = RunState.SUCCEEDED, 0, 0.0
        finally:
            with self._count_lock:
                self.running_now -= 1


def script_settings(workdir: Path, **kwargs: Any) -> Settings:
    """Settings that run the record script with this Python."""
    return Settings(
        script_path=str(RECORD_SCRIPT),
        script_executor=sys.executable,
        working_directory=str(workdir),
        base_url="http://fl-server.test:8000",
        **kwargs,
    )


def make_dispatcher(tmp_path: Path, **kwargs: object) -> ScriptDispatcher:
    """A real dispatcher that runs the record script in ``tmp_path``/work, logs in ``tmp_path``/logs."""
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    options: dict[str, object] = {
        "settings": script_settings(workdir),
        "log_dir": tmp_path / "logs",
        "authorization": AUTH,
        "client_id": CLIENT,
    }
    options.update(kwargs)
    return ScriptDispatcher(**options)  # type: ignore[arg-type]


def run_key(kind: str, round: int, training: str = TRAINING_ID) -> RunKey:
    return RunKey(UUID(training), round, ACTIONS[kind])


@contextlib.contextmanager
def running(receiver: NotificationReceiver, grace_period: float = 5.0) -> Iterator[NotificationReceiver]:
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop(grace_period=grace_period)


def raw_exchange(port: int, data: bytes, *, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read one answer until the server closes: (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP answer (headers + Content-Length body) from a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body
