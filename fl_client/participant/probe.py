"""A dry run where a round's script runs: will it import, and can it load the models it will get?

`run_probe` starts ``<executor> _probe_child.py`` (see that module for what it does) in the
script's working directory, with the environment a script would inherit less every credential
(`probe_environment`: no password, token, Authorization value or shared secret: the dry run
downloads nothing, the model files are handed to it), in its own process group, and kills that
group when it is done or its time is up. Nothing of it outlives the call.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..env import ENV_AUTHORIZATION, ENV_USERNAME, RUN_VARIABLES, SECRET_VARIABLES
from .process import POSIX, SIGKILL, signal_group, wait_and_clear_group

__all__ = ["CHILD", "ModelProbe", "ProbeReport", "ScriptProbe", "is_python", "probe_environment", "run_probe"]

CHILD = Path(__file__).with_name("_probe_child.py")
"""The program the executor runs (standard library only until it imports torch and the script)."""

_OUTPUT_TAIL_BYTES = 4000
_PYTHON_NAME = re.compile(r"^python(\d+(\.\d+)*)?(\.exe)?$")
_NOT_INHERITED = (*SECRET_VARIABLES, ENV_AUTHORIZATION, ENV_USERNAME, *RUN_VARIABLES)


@dataclass(frozen=True)
class ScriptProbe:
    """What became of the script: ``mode`` ``import`` (it has a ``__main__`` guard and was
    imported), ``imports`` (it has none: compiled, its top-level imports imported), ``compile``
    or ``read`` (it failed there)."""

    ok: bool
    mode: str
    error: str | None = None
    imports: tuple[str, ...] = ()
    training_scripts: tuple[tuple[str, ...], ...] = ()  # the actions of each module-level TrainingScript
    traceback: str = ""


@dataclass(frozen=True)
class ModelProbe:
    """One model file loaded under the environment's safe loading policy."""

    label: str
    ok: bool
    loaded_type: str | None = None
    error_type: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ProbeReport:
    """The dry run's findings; ``problem`` says why it did not finish (then the rest is empty)."""

    executor: str
    problem: str | None = None
    python: str | None = None
    torch: str | None = None
    torch_error: str | None = None
    fl_client: str | None = None
    fl_client_error: str | None = None
    script: ScriptProbe | None = None
    models: tuple[ModelProbe, ...] = ()
    output: str = field(default="", repr=False)  # the tail of what the run printed

    @classmethod
    def from_json(cls, executor: str, data: Mapping[str, Any], output: str) -> ProbeReport:
        script = data.get("script")
        return cls(
            executor=executor,
            python=data.get("python"),
            torch=data.get("torch"),
            torch_error=data.get("torch_error"),
            fl_client=data.get("fl_client"),
            fl_client_error=data.get("fl_client_error"),
            script=None
            if script is None
            else ScriptProbe(
                ok=bool(script["ok"]),
                mode=str(script["mode"]),
                error=script.get("error"),
                imports=tuple(script.get("imports", ())),
                training_scripts=tuple(tuple(actions) for actions in script.get("training_scripts", ())),
                traceback=str(script.get("traceback", "")),
            ),
            models=tuple(ModelProbe(**model) for model in data.get("models", ())),
            output=output,
        )


def is_python(executor: str) -> bool:
    """Whether ``executor`` is a Python interpreter (by name, or this very one): only those can run
    the dry run. Nothing is started to find out."""
    if Path(executor).name and _PYTHON_NAME.match(Path(executor).name):
        return True
    try:
        return Path(executor).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


def probe_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the dry run: ``environ`` (default: this process's) without credentials
    and without the variables of a run."""
    env = dict(os.environ if environ is None else environ)
    for name in _NOT_INHERITED:
        env.pop(name, None)
    return env


def run_probe(
    *,
    executor: str,
    workdir: Path,
    timeout: float,
    script: Path | None = None,
    models: Sequence[tuple[str, Path]] = (),
    environ: Mapping[str, str] | None = None,
) -> ProbeReport:
    """Run the dry run and read its report; a run that cannot start, fails or overruns
    ``timeout`` seconds gives a report with ``problem`` set. Never raises for the child's sake."""
    with tempfile.TemporaryDirectory(prefix="fl-client-doctor-") as folder:
        result = Path(folder) / "probe.json"
        output_path = Path(folder) / "output.txt"
        argv = [executor, str(CHILD), str(result)]
        if script is not None:
            argv += ["--script", str(script.resolve())]
        for label, path in models:
            argv += ["--model", label, str(path)]
        with open(output_path, "wb") as output:
            problem = _run(argv, workdir, probe_environment(environ), output, timeout)
        text = _tail(output_path)
        if problem is None:
            try:
                return ProbeReport.from_json(executor, json.loads(result.read_text(encoding="utf-8")), text)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                problem = f"it wrote no readable report ({type(exc).__name__})"
        return ProbeReport(executor=executor, problem=problem, output=text)


def _run(argv: list[str], workdir: Path, env: dict[str, str], output: Any, timeout: float) -> str | None:
    try:
        proc = subprocess.Popen(
            argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=POSIX,
        )  # fmt: skip
    except OSError as exc:
        return f"cannot start {argv[0]!r}: {exc.strerror or exc}"
    overran = threading.Event()

    def stop() -> None:
        overran.set()
        signal_group(proc, SIGKILL)

    timer = threading.Timer(timeout, stop)
    timer.start()
    try:
        # whatever the dry run left in its group (a process the script's import started) goes too
        code, _ = wait_and_clear_group(proc)
    finally:
        timer.cancel()
    if overran.is_set():
        return f"it did not finish within {timeout:g} s"
    if code != 0:
        return f"it exited with code {code}"
    return None


def _tail(path: Path) -> str:
    with open(path, "rb") as file:
        file.seek(max(0, path.stat().st_size - _OUTPUT_TAIL_BYTES))
        return file.read().decode("utf-8", "replace")
