"""The real ``fl-client`` executable, in subprocesses, against the emulator: every resource command,
their --json shapes and exit codes, ``trainings watch`` in a pipe and in a pseudo-terminal, and
``metrics plot`` writing a PNG. The participants' side runs in this process through `FLClient`."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest
from support.cli import EVENT_LINE, FL_CLIENT, cli_env, ok, png_size, run_cli, run_in_pty
from support.contract_server import ContractServer
from support.models import small_model, torch_bytes

from fl_client import ExitCode, FLClient
from fl_client.testing import FLEmulator, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "config")


def setup_actor(
    emulator: FLEmulator, env: dict[str, str]
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """An actor whose token is stored in the default profile, and two participants."""
    actor = json.loads(ok("users", "create", "actor", "--password", "pw", "--actor", "--json",
                          "--base-url", emulator.url, env=env))  # fmt: skip
    people = [
        json.loads(
            ok(
                "users",
                "create",
                f"p{i}",
                "--password",
                "pw",
                "--client",
                "--json",
                "--base-url",
                emulator.url,
                env=env,
            )
        )
        for i in range(2)
    ]
    ok("config", "set", "base_url", emulator.url, env=env)
    ok("config", "set", "token", env=env, input=f"{actor['token']}\n")
    return actor, people


def test_a_whole_training_with_fl_client_commands(
    emulator: FLEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    actor, people = setup_actor(emulator, env)
    # users
    me = json.loads(ok("users", "me", "--json", env=env))
    assert me["username"] == "actor" and me["id"] == actor["id"] and "token" not in me
    assert json.loads(ok("users", "show", str(people[0]["id"]), "--json", env=env))["username"] == "p0"
    assert {u["username"] for u in json.loads(ok("users", "ls", "--json", env=env))} >= {"actor", "p0", "p1"}
    table = ok("users", "ls", env=env)
    assert "p1" in table and str(actor["token"]) not in table

    # models
    net = small_model()
    file = tmp_path / "net.pt"
    file.write_bytes(torch_bytes(net))
    model_id = ok("models", "upload", str(file), "--name", "net", "--input-shape", "None,3", env=env).strip()
    spare = json.loads(ok("models", "upload", str(file), "--name", "spare", "--json", env=env))
    assert set(spare) == {"detail", "model_id"}
    listed = json.loads(ok("models", "ls", "--json", env=env))
    assert {m["id"] for m in listed} >= {model_id, spare["model_id"]}
    shown = json.loads(ok("models", "show", model_id, "--json", env=env))
    assert shown["id"] == model_id and shown["round"] == 0 and shown["name"] == "net"
    assert "net" in ok("models", "show", model_id, env=env)
    ok("models", "download", model_id, "-o", str(tmp_path / "copy.pt"), env=env)
    assert (tmp_path / "copy.pt").read_bytes() == file.read_bytes()
    ok("models", "rm", spare["model_id"], env=env)
    gone = run_cli("models", "show", spare["model_id"], env=env)
    assert gone.code == ExitCode.NOT_FOUND and "not found" in gone.err and gone.err.count("\n") == 1

    # trainings
    p0, p1 = str(people[0]["id"]), str(people[1]["id"])
    tid = ok("trainings", "create", model_id, "-p", p0, "-n", "1", "-m", "accuracy", env=env).strip()
    ok("trainings", "add", tid, p1, env=env)
    ok("trainings", "remove", tid, p1, env=env)
    ok("trainings", "add", tid, p1, env=env)
    training = json.loads(ok("trainings", "show", tid, "--json", env=env))
    assert training["state"] == "I" and training["local_models_expected"] == 2
    assert sorted(training["participants"]) == sorted([p0, p1])
    assert [t["id"] for t in json.loads(ok("trainings", "ls", "--json", env=env))] == [tid]
    assert "initial" in ok("trainings", "show", tid, env=env)
    ok("trainings", "start", tid, env=env)
    again = run_cli("trainings", "start", tid, env=env)
    assert again.code == ExitCode.REJECTED and again.err.startswith("fl-client: error: ")

    # watch in a pipe while the participants train (here, through the Python client)
    watch = subprocess.Popen([FL_CLIENT, "trainings", "watch", tid, "--interval", "0.05", "--stall-timeout", "60"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in watch.stdout or ()))
    reader.start()
    try:
        wait_for(lambda: bool(lines), timeout=30)  # the watch has seen the training before anything happens
        for i, person in enumerate(people):
            with FLClient(base_url=emulator.url, username=f"p{i}", password="pw") as participant:
                participant.models.upload_local(
                    model_id, net, round=0, sample_size=10, owner=str(person["id"])
                )
        emulator.wait_for_round(tid, 1)
        for i in range(2):
            with FLClient(base_url=emulator.url, username=f"p{i}", password="pw") as participant:
                participant.models.upload_metrics(model_id, {"accuracy": 0.5 + i / 4})
        watch.wait(timeout=60)
        reader.join(10)
        err = watch.stderr.read() if watch.stderr else ""
    finally:
        watch.kill()
        watch.wait()
        for stream in (watch.stdout, watch.stderr):
            if stream:
                stream.close()
    assert watch.returncode == 0, err
    out = "\n".join(lines)
    assert lines and all(EVENT_LINE.match(line) for line in lines), out
    assert "\x1b" not in out and "\r" not in out  # a pipe gets plain lines, no redraw
    assert lines[0].endswith("state - -> ongoing"), out
    assert any("round 1/1" in line for line in lines)
    assert any("local models" in line for line in lines)
    assert any("accuracy=0.5" in line for line in lines)
    # completion and the last metrics may come in the same poll: the state line is then not the last
    assert any(line.endswith("ongoing -> completed") for line in lines) and "completed" in err

    # metrics
    metrics = json.loads(ok("metrics", "show", tid, "--json", env=env))
    assert sorted(m["value_float"] for m in metrics if m["key"] == "accuracy") == [0.5, 0.75]
    assert {"key", "step", "reporter", "value_float", "model"} <= set(metrics[0])
    assert json.loads(ok("models", "metrics", model_id, "--json", env=env)) == metrics
    aggregated = json.loads(ok("metrics", "plot", tid, "--per", "aggregate", "--json", env=env))
    assert aggregated == [{"metric": "accuracy", "series": "mean", "points": [[1, 0.625]]}]
    chart = ok("metrics", "plot", tid, env=env)
    assert chart.count("accuracy") == 2 and any(block in chart for block in "▁▂▃▄▅▆▇█")
    png = tmp_path / "metrics.png"
    ok("metrics", "plot", tid, "-o", str(png), "--width", "4", "--height", "3", "--dpi", "50", env=env)
    assert png_size(png) == (200, 150) and png.stat().st_size > 1000
    assert not list(tmp_path.glob("*.part"))

    # a finished training, watched again: one poll, exit 0 at once; --json gives JSON lines
    replay = run_cli("trainings", "watch", tid, "--json", "--interval", "0.05", env=env)
    events = [json.loads(line) for line in replay.out.splitlines()]
    assert replay.code == 0 and events[-1]["event"] == "StateChanged" and events[-1]["state"] == "C"
    assert {e["event"] for e in events} >= {"StateChanged", "RoundAdvanced", "MetricsReported"}

    ok("trainings", "rm", tid, env=env)
    assert run_cli("trainings", "show", tid, env=env).code == ExitCode.NOT_FOUND


def test_watch_redraws_in_a_terminal_and_exits_9_when_stalled(
    emulator: FLEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    _, people = setup_actor(emulator, env)
    file = tmp_path / "net.pt"
    file.write_bytes(torch_bytes(small_model()))
    model_id = ok("models", "upload", str(file), "--name", "net", env=env).strip()
    tid = ok("trainings", "create", model_id, "-p", str(people[0]["id"]), "-n", "2", env=env).strip()
    ok("trainings", "start", tid, env=env)
    code, output = run_in_pty(["trainings", "watch", tid, "--interval", "0.05", "--stall-timeout", "0.6"],
                              {**env, "COLUMNS": "160"})  # fmt: skip
    text = output.decode("utf-8", "replace")
    assert code == ExitCode.TRAINING_STALLED, text
    assert "\x1b[" in text  # cursor movement: the panel is redrawn in place
    assert text.count("state ongoing") >= 2  # drawn more than once
    assert "round 0/2" in text and "local models 0/1" in text and "elapsed" in text
    assert "stalled: nothing changed for 0.6 s" in text


def test_exit_codes_per_error_class(
    emulator: FLEmulator, env: dict[str, str], unused_port: int, tmp_path: Path
) -> None:
    wrong = run_cli("users", "me", "--base-url", emulator.url, "--token", "0" * 40, env=env)
    assert wrong.code == ExitCode.AUTH and "Invalid token." in wrong.err
    missing = run_cli("users", "me", "--base-url", emulator.url, env=env)
    assert missing.code == 1 and "no credentials" in missing.err
    down = run_cli(
        "users", "me", "--base-url", f"http://127.0.0.1:{unused_port}", "--token", "0" * 40, env=env
    )
    assert down.code == ExitCode.NETWORK and "Traceback" not in down.err
    assert down.err.splitlines()[-1].startswith("fl-client: error: ") and "could not connect" in down.err
    setup_actor(emulator, env)
    file = tmp_path / "net.pt"
    file.write_bytes(torch_bytes(small_model()))
    lone_model = ok("models", "upload", str(file), "--name", "net", env=env).strip()  # in no training
    server = run_cli("infer", lone_model, "--input", "-", env=env, input="[[1.0, 2.0, 3.0, 4.0]]")
    assert server.code == ExitCode.SERVER and "Internal Server Error occurred during inference" in server.err
    assert run_cli("trainings", "create", "nope", "-n", "1", env=env).code == ExitCode.USAGE
    assert run_cli("models", "upload", "/no/such/file", "--name", "x", env=env).code == ExitCode.USAGE


def test_infer_runs_the_model_on_the_emulator(
    emulator: FLEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    import torch

    _, people = setup_actor(emulator, env)
    net = small_model()
    file = tmp_path / "net.pt"
    file.write_bytes(torch_bytes(net))
    model_id = ok("models", "upload", str(file), "--name", "net", env=env).strip()
    ok("trainings", "create", model_id, "-p", str(people[0]["id"]), "-n", "1", env=env)  # inference needs one
    rows = [[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, -1.0, 2.0]]
    expected = net(torch.tensor(rows)).argmax(dim=1).tolist()
    answer = json.loads(ok("infer", model_id, "--input", "-", "--json", env=env, input=json.dumps(rows)))
    assert answer == {"inference": expected, "uncertainty": {}}
    tensor_file = tmp_path / "rows.pt"
    tensor_file.write_bytes(torch_bytes(torch.tensor(rows)))  # sent as a file, as is
    table = ok("infer", model_id, "-i", str(tensor_file), env=env)
    assert "inference" in table and all(str(value) in table for value in expected)


def test_infer_prints_the_result(api: ContractServer, env: dict[str, str], tmp_path: Path) -> None:
    from support.values import MODEL_ID, TOKEN

    api.expect("POST", "/api/inference/", status=200,
               json_body={"inference": [[0.25, 0.75]], "uncertainty": {}}, times=2)  # fmt: skip
    data = tmp_path / "x.json"
    data.write_text("[[1.0, 2.0, 3.0]]")
    base = ["--base-url", api.url, "--token", TOKEN]
    assert json.loads(ok("infer", MODEL_ID, "-i", str(data), "--json", *base, env=env)) == {
        "inference": [[0.25, 0.75]],
        "uncertainty": {},
    }
    assert "0.75" in ok("infer", MODEL_ID, "-i", str(data), *base, env=env)
    body = json.loads(api.requests[0].get_data())
    assert body["model_input"] == [[1.0, 2.0, 3.0]] and body["model_id"] == MODEL_ID
