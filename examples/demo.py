"""`make demo`: a whole federated training on this machine.

An emulated FL Demonstrator server (`fl_client.testing.FLEmulator`), an actor (examples/actor.py,
driving the emulator through the public `FLClient` only), three participants,
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
from fl_demonstrator_api.models import User

from fl_client import FLClient
from fl_client.testing import FLEmulator, free_port

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


def load_actor() -> Any:
    spec = importlib.util.spec_from_file_location("actor", HERE / "actor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["actor"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


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


def script_environment(server: FLEmulator, user: User, shard: int) -> dict[str, str]:
    return {
        **os.environ,
        "FL_EXAMPLE_SHARD": str(shard),
        "FL_EXAMPLE_SHARDS": str(PARTICIPANTS),
        "FL_CLIENT_TOKEN": str(user.token),
        "FL_CLIENT_CLIENT_ID": str(user.id),
        "FL_DEMONSTRATOR_BASE_URL": server.url,
    }


@contextmanager
def real_receiver(server: FLEmulator, user: User, shard: int, port: int) -> Iterator[None]:
    """``fl-client serve`` for one participant, as its operator would start it."""
    workdir = OUTPUT / user.username
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable, "-m", "fl_client", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--script", str(SCRIPT), "--workdir", str(workdir), "--base-url", server.url,
        "--client-id", str(user.id), "--log-dir", str(workdir / "runs"), "--state-dir", str(workdir / "state"),
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


def fl_client_commands(rounds: int, participants: int) -> str:
    """The actor side of this demo as `fl-client` commands (what examples/actor.py does in Python)."""
    ids = " ".join(f'-p "$P{i}"' for i in range(participants))
    lines = [
        "# the actor side of this demo with fl-client commands only (server at $URL):",
        "fl-client config set base_url $URL",
        "PW=...                         # the new users' password (asked for, hidden, when --password is left out)",
        'fl-client users create actor --actor --password "$PW" --json   # note its token',
        *(
            f'P{i}=$(fl-client users create participant-{i} --client --password "$PW" '
            f"--message-endpoint http://HOST:{8101 + i}/)"
            for i in range(participants)
        ),
        "fl-client config set token          # the actor's token (asked for, hidden)",
        "MODEL=$(fl-client models upload model.pt --name digits-mlp --input-shape None,64)",
        f"TRAINING=$(fl-client trainings create $MODEL {ids} --rounds {rounds} -m accuracy)",
        "fl-client trainings start $TRAINING",
        "fl-client trainings watch $TRAINING     # live; exits 0 when completed",
        "fl-client metrics plot $TRAINING --per aggregate   # add -o metrics.png for a PNG",
        "fl-client models download $(fl-client trainings show $TRAINING --json | jq -r .model) -o federated.pt",
        "fl-client infer $MODEL -i samples.json   # the trained model on the server: [[64 floats], ...]",
    ]
    return "\n".join(lines)


def main() -> int:
    started = time.monotonic()
    example = load_example()
    actor_side = load_actor()
    os.environ["FL_EXAMPLE_SHARDS"] = str(PARTICIPANTS)
    held_out = []
    for shard in range(PARTICIPANTS):
        os.environ["FL_EXAMPLE_SHARD"] = str(shard)
        held_out.append(example.load_shard()[2:])
    x_test = torch.cat([x for x, _ in held_out])
    y_test = torch.cat([y for _, y in held_out])

    def accuracy(model: Any) -> float:
        return float(example.evaluate(model, x_test, y_test)[0])

    with FLEmulator() as server, ExitStack() as stack:
        print(f"emulated FL Demonstrator at {server.url}")
        ports = [free_port() for _ in range(PARTICIPANTS)]
        # the actor side goes through the public client only (examples/actor.py)
        with FLClient(base_url=server.url, username="nobody", password="-") as anonymous:
            actor, participants = actor_side.create_users(
                anonymous, "", [f"http://127.0.0.1:{port}/" for port in ports]
            )
        for shard, (user, port) in enumerate(zip(participants, ports, strict=True)):
            stack.enter_context(real_receiver(server, user, shard, port))
        print(f"{PARTICIPANTS} `fl-client serve` receivers listening; logs in {OUTPUT}")
        model = actor_side.initial_model()
        history = [accuracy(model)]
        print(f"initial model accuracy {history[0]:.3f} (chance {CHANCE:.2f})")
        with FLClient(base_url=server.url, username=actor.username, password=actor_side.PASSWORD) as client:
            done, progress = actor_side.run_training(
                client, participants, model=model, rounds=ROUNDS, timeout=WAIT
            )
            print(progress.table())
            history.append(accuracy(client.models.download(done.model)))
            # the same test data through the server's own inference (POST /api/inference/)
            served = client.inference.predict(done.model, x_test.tolist()).inference
            served_accuracy = float((torch.tensor(served) == y_test).float().mean())
            print(
                f"server-side inference on the {len(served)} held-out samples: accuracy {served_accuracy:.3f}"
            )
        finished = server.wait_for_notifications(
            PARTICIPANTS + 1, where=lambda r: r.notification_type == "TRAINING_FINISHED", timeout=WAIT
        )
        names = {str(user.id) for user in participants}
        to_participants = [r for r in server.notifications if r.user_id in names]
        delivered, total = sum(r.delivered for r in to_participants), len(to_participants)
    learned = done.state.value == "C" and history[-1] >= SUCCESS_ACCURACY
    print(
        f"summary: {PARTICIPANTS} participants, {ROUNDS} FedAvg rounds, training state {done.state.value}, "
        f"{len(finished)} TRAINING_FINISHED, {delivered}/{total} notifications to participants delivered; aggregated accuracy "
        f"{' -> '.join(f'{a:.3f}' for a in history)} (chance {CHANCE:.2f}); {time.monotonic() - started:.1f} s"
    )
    print("the federated model learned" if learned else f"FAILED: accuracy below {SUCCESS_ACCURACY}")
    print(fl_client_commands(ROUNDS, PARTICIPANTS))
    return 0 if learned else 1


if __name__ == "__main__":
    sys.exit(main())
