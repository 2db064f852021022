"""The real ``fl-client`` executable against the emulator, where a terminal and a pipe differ:
``trainings watch`` on a training that ends in error (exit 8), and the progress bars of model
uploads and downloads (drawn on a terminal, absent in a pipe)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from pathlib import Path

import pytest
import torch
from support.cli import EVENT_LINE, FL_CLIENT, cli_env, ok, run_cli, run_in_pty
from support.emulator import comm, model_file
from support.models import small_model

from fl_client import ExitCode
from fl_client.testing import FLEmulator, wait_for

pytestmark = pytest.mark.slow

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ANSI_OR_BAR = ("\x1b", "\r", "━")


def test_watch_exits_8_with_one_line_when_the_training_ends_in_error(
    emulator: FLEmulator, tmp_path: Path
) -> None:
    actor, alice = emulator.create_user("actor"), emulator.create_user("alice")
    env = cli_env(tmp_path / "config", FL_DEMONSTRATOR_BASE_URL=emulator.url, FL_CLIENT_TOKEN=actor.token)
    model_id = emulator.upload_model(actor, model_file())
    created = json.loads(ok("trainings", "create", model_id, "-p", alice.id, "-n", "1", "--uncertainty", "swag",
                            "--json", env=env))  # fmt: skip
    assert set(created) == {"detail", "training_id"}  # the server's answer, like `models upload --json`
    tid = created["training_id"]
    started = run_cli("trainings", "start", tid, "--json", env=env)
    training = json.loads(started.out)  # stdout is the started training alone; the detail is on stderr
    assert started.code == 0 and started.err.strip() and started.err.strip() not in started.out
    assert (training["id"], training["state"], training["uncertainty_method"]) == (tid, "O", "SWAG")
    assert training["participants"] == [alice.id] and training["target_num_updates"] == 1

    # in a pipe, watching while the training goes wrong: bad SWAG moments (not 1-D) set state E
    watch = subprocess.Popen([FL_CLIENT, "trainings", "watch", tid, "--interval", "0.05", "--stall-timeout", "60"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in watch.stdout or ()))
    reader.start()
    try:
        wait_for(lambda: bool(lines), timeout=30)
        comm(emulator, alice, tid, 0, model_id).upload_model(torch.jit.script(small_model()), {}, 1)
        emulator.wait_for_state(tid, "S")
        # S lasts only until the SWAG upload: let the watch report it before moving on
        wait_for(lambda: any(line.endswith("ongoing -> swag rounds") for line in lines), timeout=30)
        comm(emulator, alice, tid, 1, model_id).upload_swag(torch.zeros(2, 2), torch.zeros(2, 2), 1)
        emulator.wait_for_state(tid, "E")
        watch.wait(timeout=60)
        reader.join(10)
        err = watch.stderr.read() if watch.stderr else ""
    finally:
        watch.kill()
        watch.wait()
        for stream in (watch.stdout, watch.stderr):
            if stream:
                stream.close()
    out = "\n".join(lines)
    assert watch.returncode == ExitCode.TRAINING_FAILED, err
    assert err == f"training {tid} ended in state error\n"  # one line, and nothing else
    assert lines and all(EVENT_LINE.match(line) for line in lines), out
    assert not any(mark in out for mark in ANSI_OR_BAR)
    assert lines[0].endswith("state - -> ongoing"), out
    assert any(line.endswith("ongoing -> swag rounds") for line in lines), out
    assert any(line.endswith("swag rounds -> error") for line in lines), out
    # the SWAG moments are binary metrics: their size is shown, not their base64 text
    moments = [line for line in lines if "SWAG First Moment Local" in line]
    assert moments and re.search(r"SWAG First Moment Local=<binary, \d+ bytes> \(round 1, ", moments[0])
    assert all(len(line) < 400 for line in lines), out

    # the metrics table does the same; --json keeps the base64 text for scripts
    table = ok("models", "metrics", model_id, env=env)
    assert "<binary, " in table and "UEsDB" not in table  # "PK\x03\x04", a torch.save zip, in base64
    raw = json.loads(ok("models", "metrics", model_id, "--json", env=env))
    assert any(str(m.get("value_binary") or "").startswith("UEsDB") for m in raw)

    # --json: one object per event, the last one the state change to E; the same one-line message
    replay = run_cli("trainings", "watch", tid, "--json", "--interval", "0.05", env=env)
    events = [json.loads(line) for line in replay.out.splitlines()]
    assert replay.code == ExitCode.TRAINING_FAILED and replay.err == err
    # a watch ends with the change to the final state (here seen on its first poll)
    assert events[-1] == {**events[-1], "event": "StateChanged", "previous": None, "state": "E"}

    # on a terminal: the panel shows the error state, then the same message, and exit 8
    code, output = run_in_pty(["trainings", "watch", tid, "--interval", "0.05"], {**env, "COLUMNS": "160"})
    text = output.decode("utf-8", "replace")
    assert code == ExitCode.TRAINING_FAILED, text
    assert "state error" in text and "round 1/1" in text
    plain = ANSI.sub("", text)  # the panel's last frame stays; the cursor is shown again before the message
    message = [line for line in plain.splitlines() if "ended in state error" in line]
    assert message == [f"training {tid} ended in state error"], text


def _upload_args(file: Path) -> list[str]:
    return ["models", "upload", str(file), "--name", "big"]


def test_uploads_and_downloads_draw_a_progress_bar_on_a_terminal_only(
    emulator: FLEmulator, tmp_path: Path
) -> None:
    actor = emulator.create_user("actor")
    env = cli_env(tmp_path / "config", FL_DEMONSTRATOR_BASE_URL=emulator.url, FL_CLIENT_TOKEN=actor.token)
    # a TorchScript model of 3 MiB, so that the transfer spans many chunks
    file = tmp_path / "big.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(1024, 768, bias=False)), str(file))
    size = file.stat().st_size
    assert size > 3 * 2**20

    # on a terminal: a bar labelled "upload", complete, with the size in binary units
    code, output = run_in_pty(_upload_args(file), env)
    text = output.decode("utf-8", "replace")
    assert code == 0, text
    assert "upload" in text and "━" in text and "3.0/3.0 MiB" in text, text
    model_id = next(line.strip() for line in ANSI.sub("", text).splitlines() if UUID.fullmatch(line.strip()))

    copy = tmp_path / "copy.pt"
    for args in (["download", model_id, "-o", str(copy)], ["models", "download", model_id, "-o", str(copy)]):
        copy.unlink(missing_ok=True)
        code, output = run_in_pty(args, env)
        text = output.decode("utf-8", "replace")
        assert code == 0, text
        assert "download" in text and "━" in text and "3.0/3.0 MiB" in text, text
        assert copy.read_bytes() == file.read_bytes()

    # in a pipe: the id on stdout, one plain line on stderr, no bar at all
    piped = run_cli(*_upload_args(file), env=env)
    assert piped.code == 0 and UUID.fullmatch(piped.out.strip())
    assert not any(mark in piped.out + piped.err for mark in ANSI_OR_BAR) and "MiB" not in piped.err
    copy.unlink()
    fetched = run_cli("download", piped.out.strip(), "-o", str(copy), env=env)
    assert fetched.code == 0 and fetched.err == f"{copy}: {size} bytes\n"
    assert not any(mark in fetched.out + fetched.err for mark in ANSI_OR_BAR)
    assert copy.read_bytes() == file.read_bytes()
