"""`make demo`: a whole federated training on this machine.

An emulated FL Demonstrator server (`fl_client.testing.FLEmulator`), an actor, three participants,
each running ``fl-client serve`` with `train_digits.py` on its own shard of the digits data;
FedAvg over ``ROUNDS`` rounds. Prints one line per round and a summary; exits 0 when the
aggregated model learned (accuracy well above the 10 % of guessing).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import torch

from fl_client.serialization import unpack_model
from fl_client.testing import EmulatedUser, FLEmulator

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "train_digits.py"
OUTPUT = HERE.parent / "demo-output"  # receivers' logs and runs' logs (git-ignored)
PARTICIPANTS = 3
ROUNDS = 3
CHANCE = 0.1  # ten digit classes
SUCCESS_ACCURACY = 0.8
WAIT = 90.0  # seconds any one step may take before the demo gives up
RECEIVER_STOP_TIMEOUT = 15.0


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("train_digits", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def initial_model() -> torch.nn.Module:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    return torch.jit.script(net)  # TorchScript: loads anywhere without trusting classes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes] | None, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"receiver on port {port} exited with {process.returncode}; see {OUTPUT}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"receiver on port {port} did not start listening")


def script_environment(server: FLEmulator, user: EmulatedUser, shard: int) -> dict[str, str]:
    return {
        **os.environ,
        "FL_EXAMPLE_SHARD": str(shard),
        "FL_EXAMPLE_SHARDS": str(PARTICIPANTS),
        "FL_CLIENT_TOKEN": user.token,
        "FL_CLIENT_CLIENT_ID": user.id,
        "FL_DEMONSTRATOR_BASE_URL": server.url,
    }


@contextmanager
def real_receiver(server: FLEmulator, user: EmulatedUser, shard: int, port: int) -> Iterator[None]:
    """``fl-client serve`` for one participant, as its operator would start it."""
    workdir = OUTPUT / user.username
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable, "-m", "fl_client", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--script", str(SCRIPT), "--workdir", str(workdir), "--base-url", server.url,
        "--client-id", user.id, "--log-dir", str(workdir / "runs"), "--state-dir", str(workdir / "state"),
    ]  # fmt: skip
    with open(workdir / "receiver.log", "wb") as log:
        process = subprocess.Popen(argv, env=script_environment(server, user, shard), stdout=log, stderr=log)
    try:
        wait_listening(port, process, time.monotonic() + WAIT)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(RECEIVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def reported(server: FLEmulator, model_id: str, step: int, names: dict[str, str]) -> dict[str, float]:
    with server.store.lock:
        return {
            names[m.reporter]: float(m.value_float)
            for m in server.store.metrics_of(model_id)
            if m.step == step and m.key == "accuracy" and m.value_float is not None and m.reporter in names
        }


def main() -> int:
    started = time.monotonic()
    example = load_example()
    os.environ["FL_EXAMPLE_SHARDS"] = str(PARTICIPANTS)
    held_out = []
    for shard in range(PARTICIPANTS):
        os.environ["FL_EXAMPLE_SHARD"] = str(shard)
        held_out.append(example.load_shard()[2:])
    x_test = torch.cat([x for x, _ in held_out])
    y_test = torch.cat([y for _, y in held_out])

    def accuracy(data: bytes) -> float:
        return float(example.evaluate(unpack_model(data), x_test, y_test)[0])

    with FLEmulator() as server, ExitStack() as stack:
        print(f"emulated FL Demonstrator at {server.url}")
        actor = server.create_user("actor", actor=True)
        participants: list[EmulatedUser] = []
        for shard in range(PARTICIPANTS):
            port = free_port()
            user = server.create_user(
                f"participant{shard + 1}", client=True, message_endpoint=f"http://127.0.0.1:{port}/"
            )
            participants.append(user)
            stack.enter_context(real_receiver(server, user, shard, port))
        names = {user.id: user.username for user in participants}
        print(f"{PARTICIPANTS} `fl-client serve` receivers listening; logs in {OUTPUT}")
        model_id = server.upload_model(actor, initial_model(), name="digits-mlp", description="64-32-10 MLP")
        history = [accuracy(server.model_bytes(model_id))]
        print(f"round 0: initial model accuracy {history[0]:.3f} (chance {CHANCE:.2f})")
        training_id = server.create_training(actor, model_id, participants, target_num_updates=ROUNDS)
        server.start_training(actor, training_id)
        for round_number in range(1, ROUNDS + 1):
            print(f"round {round_number}/{ROUNDS}: participants train on their shards ...", flush=True)
            server.wait_for_round(training_id, round_number, timeout=WAIT)
            history.append(accuracy(server.model_bytes(model_id)))  # stable until the next test round ends
            print(f"round {round_number}/{ROUNDS}: aggregated (FedAvg); participants test it ...", flush=True)
            server.wait_until(
                lambda r=round_number: len(reported(server, model_id, r, names)) == PARTICIPANTS,
                timeout=WAIT,
                what=f"test metrics of round {round_number}",
            )
            metrics = reported(server, model_id, round_number, names)
            shown = ", ".join(f"{name} {value:.3f}" for name, value in sorted(metrics.items()))
            print(
                f"round {round_number}/{ROUNDS} [{time.monotonic() - started:5.1f} s]: participants' test accuracy: "
                f"{shown} | aggregated model accuracy {history[-1]:.3f}",
                flush=True,
            )
        server.wait_for_state(training_id, "C", timeout=WAIT)
        finished = server.wait_for_notifications(
            PARTICIPANTS + 1, where=lambda r: r.notification_type == "TRAINING_FINISHED", timeout=WAIT
        )
        to_participants = [r for r in server.notifications if r.user_id in names]
        delivered, total = sum(r.delivered for r in to_participants), len(to_participants)
    learned = history[-1] >= SUCCESS_ACCURACY
    print(
        f"summary: {PARTICIPANTS} participants, {ROUNDS} FedAvg rounds, training state C, "
        f"{len(finished)} TRAINING_FINISHED, {delivered}/{total} notifications to participants delivered; aggregated accuracy "
        f"{' -> '.join(f'{a:.3f}' for a in history)} (chance {CHANCE:.2f}); {time.monotonic() - started:.1f} s"
    )
    print("the federated model learned" if learned else f"FAILED: accuracy below {SUCCESS_ACCURACY}")
    return 0 if learned else 1


if __name__ == "__main__":
    sys.exit(main())
