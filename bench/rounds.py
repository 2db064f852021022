"""Benchmark: round turnaround of `fl-client serve`, cold runs against warm runs, side by side.

``make bench-rounds`` runs this script: one emulator (`fl_client.testing.FLEmulator`), K
participants each running a real ``fl-client serve`` with `round_script.py` (a `TrainingScript`
training a small MLP for a few steps), R rounds; first with every run a new Python (cold, the
default), then with ``--warm`` (each run forked from a warm parent). For every participant and
round it measures notification -> upload stored: from the moment the emulator delivered the
round's ``UPDATE_ROUND_START`` (polled every 2 ms) to the moment it answered the participant's
upload with 201. Printed: the median and the maximum per path, and the speed-up.

The warm parent's own start (imports, once per ``fl-client serve``) is waited for before the
training starts and reported separately: it is paid once, not per round.

Environment: ``BENCH_PARTICIPANTS`` (K, default 2), ``BENCH_ROUNDS`` (R, default 4).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import torch

from fl_client.testing import EmulatedUser, Exchange, FLEmulator, free_port, wait_for

SCRIPT = Path(__file__).resolve().parent / "round_script.py"
WAIT = 300.0
POLL = 0.002


@contextmanager
def _receiver(server: FLEmulator, user: EmulatedUser, port: int, workdir: Path, warm: bool) -> Iterator[Path]:
    workdir.mkdir(parents=True)
    argv = [
        sys.executable, "-m", "fl_client", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--script", str(SCRIPT), "--workdir", str(workdir), "--base-url", server.url,
        "--client-id", user.id, "--log-dir", str(workdir / "runs"), "--state-dir", str(workdir / "state"),
        *(["--warm"] if warm else []),
    ]  # fmt: skip
    env = {**os.environ, "FL_CLIENT_TOKEN": user.token}
    log_path = workdir / "receiver.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
    try:
        yield log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _initial_model() -> torch.nn.Module:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    return torch.jit.script(net)


def one_path(warm: bool, participants: int, rounds: int, root: Path) -> tuple[list[float], float]:
    """Turnaround seconds of every (participant, round), and how long the warm parents took to start."""
    uploads: dict[tuple[str, int], float] = {}
    notified: dict[tuple[str, int], float] = {}
    with FLEmulator() as server, ExitStack() as stack:
        actor = server.create_user("actor", actor=True)
        users, logs = [], []
        for k in range(participants):
            port = free_port()
            user = server.create_user(f"p{k}", message_endpoint=f"http://127.0.0.1:{port}/")
            users.append(user)
            logs.append(
                stack.enter_context(
                    _receiver(server, user, port, root / f"{'warm' if warm else 'cold'}-p{k}", warm)
                )
            )
        tokens = {f"Token {u.token}": u.id for u in users}
        started = time.monotonic()
        marker = "warm parent ready" if warm else "receiving notifications on"
        wait_for(lambda: all(marker in log.read_text() for log in logs), timeout=WAIT, what="receivers ready")
        startup = time.monotonic() - started
        model_id = server.upload_model(actor, _initial_model())

        def observe(exchange: Exchange) -> None:
            if (
                exchange.method == "POST"
                and urlsplit(exchange.url).path == f"/api/models/{model_id}/"
                and exchange.status == 201
            ):
                owner = tokens.get(
                    next((v for k, v in exchange.request_headers.items() if k.lower() == "authorization"), "")
                )
                round_number = len([key for key in uploads if key[0] == owner])
                uploads[owner or "?", round_number] = time.monotonic()

        server.add_observer(observe)
        stop = threading.Event()

        def watch() -> None:
            seen = 0
            while not stop.is_set():
                records = server.notifications
                now = time.monotonic()
                for record in records[seen:]:
                    if record.notification_type == "UPDATE_ROUND_START":
                        notified.setdefault((record.user_id, int(record.round or 0)), now)
                seen = len(records)
                time.sleep(POLL)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        training_id = server.create_training(actor, model_id, users, target_num_updates=rounds)
        server.start_training(actor, training_id)
        server.wait_for_state(training_id, "C", timeout=WAIT)
        stop.set()
        watcher.join()
    turnaround = [uploads[key] - notified[key] for key in notified if key in uploads]
    if len(turnaround) != participants * rounds:
        raise RuntimeError(f"measured {len(turnaround)} of {participants * rounds} rounds; logs in {root}")
    return turnaround, startup


def main() -> int:
    participants = int(os.environ.get("BENCH_PARTICIPANTS", "2"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "4"))
    print(
        f"fl-client serve round turnaround: {participants} participants, {rounds} rounds, {os.cpu_count()} CPUs"
    )
    results = {}
    with tempfile.TemporaryDirectory(prefix="fl-client-bench-rounds-") as tmp:
        for warm in (False, True):
            name = "warm" if warm else "cold"
            turnaround, startup = one_path(warm, participants, rounds, Path(tmp))
            results[name] = turnaround
            print(
                f"  {name}: {len(turnaround)} rounds measured (receivers ready in {startup:.1f} s)",
                flush=True,
            )
    print()
    print(
        f"{'path':<6} {'median s':>9} {'max s':>7}   notification -> upload stored, per participant and round"
    )
    for name, values in results.items():
        print(f"{name:<6} {statistics.median(values):>9.2f} {max(values):>7.2f}")
    speedup = statistics.median(results["cold"]) / statistics.median(results["warm"])
    print(f"\nwarm is {speedup:.1f}x faster (median); target >= 5x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
