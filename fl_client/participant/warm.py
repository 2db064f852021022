"""Warm runs: each round in a fresh process forked from a parent that already imported torch and the script.

Why: a run of a training script is mostly start-up. A new Python imports torch (2-4 s on a small
machine), the first ``torch.optim`` step imports ``torch._dynamo`` (~1.3 s), and only then does
the round's work (often a fraction of a second) begin. ``fl-client serve --warm`` (or
``FL_CLIENT_WARM=1``) starts, next to the receiver, one *warm parent*: a process that imports
torch, fl_client and the user's script module once, warms those lazy imports, and then only
forks. Each run is a fresh child of it, so runs stay what they were:

* one process per run, in its own process group (the dispatcher's ``killpg`` stops it and all it
  spawned), stdin from ``/dev/null``, stdout and stderr to the run's own log file;
* the run's environment (``FL_CLIENT_*``, credentials) and working directory are set in the child
  only; the warm parent gets the receiver's base environment without them, so no secret sits in a
  long-lived process;
* the exit code is the one ``TrainingScript.run`` returns (named codes), reported by the warm
  parent, which reaps its children; a child killed by a signal exits ``-signal`` as with
  ``subprocess``. The child ends with ``os._exit`` right after its flush: it does not linger.

Which scripts: those written as `TrainingScript` with the usual ``if __name__ == "__main__":``
guard (checked in the source before anything is imported), with exactly one module-level
``TrainingScript`` instance; the child calls its ``run(args)``. The module is imported under the
name ``__fl_client_warm__``, not ``__main__``, so its guarded block does not run in the parent.
Plain scripts, a ``script_command`` override that changes argv, and every case below keep the
cold path: ``<executor> <script> ...`` as a new process, exactly as without ``--warm``.

When forking is not safe, the warm parent says so and exits, and every run takes the cold path
(one warning in the receiver's log):

* **CUDA initialised in the parent** (the script module touches the GPU at import, e.g. moves a
  model to ``cuda``): a forked child cannot use CUDA. Keep GPU work inside the train/test
  functions; they run in the child, which initialises CUDA itself.
* **Threads in the parent** (the module starts a thread or a pool at import): fork copies only the
  forking thread, and a lock another thread held stays locked forever in the child.

Other differences from the cold path: state the module builds at import (data loaded, a model
built) is shared by every run as copy-on-write memory, which is the point, but also means a run
sees the module as it was after import, never changes made by an earlier run; a changed script
file is picked up when ``fl-client serve`` restarts. NumPy's global random state is reseeded in
each child (Python's ``random`` reseeds itself after fork); torch's default generator starts each
run in the state the import left it, like a fresh process does.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..env import ENV_PREFIX
from .process import POSIX, tail_lines

__all__ = ["WarmLauncher", "WarmProcess", "is_warm_capable"]

READY_TIMEOUT = 300.0
"""Seconds a run waits for the warm parent to finish its imports before it goes cold."""
WARM_MODULE_NAME = "__fl_client_warm__"
PARENT_LOG = "warm-parent.log"

logger = logging.getLogger("fl.client.warm")


def is_warm_capable(script: Path) -> str | None:
    """None when ``script`` looks like a `TrainingScript` with a ``__main__`` guard, else why not.

    Decided from the source alone: a plain script is never imported (its top level may train).
    """
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"), str(script))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as exc:
        return f"cannot read {script}: {exc}"
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
              for alias in node.names}  # fmt: skip
    attrs = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    if "TrainingScript" not in names | attrs:
        return "it does not use fl_client.TrainingScript"
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and "__name__" in ast.unparse(node.test)
            and "__main__" in ast.unparse(node.test)
        ):
            return None
    return 'it has no `if __name__ == "__main__":` guard (importing it would run it)'


class WarmProcess:
    """One run forked by the warm parent: the parts of ``subprocess.Popen`` the dispatcher uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._done = threading.Event()

    def __repr__(self) -> str:
        return f"WarmProcess(pid={self.pid}, returncode={self.returncode})"

    def _exited(self, code: int) -> None:
        self.returncode = code
        self._done.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired([str(self.pid)], timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def _signal(self, signum: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signum)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(getattr(signal, "SIGKILL", signal.SIGTERM))


class WarmLauncher:
    """Starts the warm parent at once, then forks runs from it (see the module docstring).

    `start` returns a `WarmProcess`, or None when the run should take the cold path (the script
    is not warm-capable, the argv is not the plain one, the parent refused or died).
    """

    def __init__(
        self,
        *,
        executor: str,
        script: str,
        working_directory: Path,
        log_dir: Path,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.executor = executor
        self.script = script
        self.working_directory = Path(working_directory).resolve()
        self.log_dir = log_dir
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._ready = threading.Event()
        self._refusal: str | None = None
        self._replies: dict[int, list[WarmProcess | None]] = {}
        self._reply_event = threading.Condition(self._lock)
        self._processes: dict[int, WarmProcess] = {}
        self._next_id = 0
        self._parent: subprocess.Popen[bytes] | None = None
        self.parent_log = log_dir / PARENT_LOG
        self._sock: socket.socket | None = None
        self._warned = False
        reason = None if POSIX and hasattr(os, "fork") else "fork is not available on this platform"
        reason = reason or is_warm_capable(self.working_directory / script)
        if reason is not None:
            self._refuse(f"warm runs off, {script} runs cold: {reason}")
            return
        self._spawn(environment)

    # -----------------------------------------------------------------------------------------
    def _spawn(self, environment: Mapping[str, str] | None) -> None:
        base = dict(os.environ if environment is None else environment)
        # fl_client's own variables describe one run or are secrets: never in the long-lived parent
        env = {k: v for k, v in base.items() if not k.startswith(ENV_PREFIX)}
        ours, theirs = socket.socketpair()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            with open(self.parent_log, "ab") as log:
                self._parent = subprocess.Popen(
                    [self.executor, "-m", __name__, str(theirs.fileno()), self.script],
                    cwd=self.working_directory,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(theirs.fileno(),),
                    start_new_session=True,
                )
        except OSError as exc:
            ours.close()
            self._refuse(f"warm runs off: cannot start the warm parent: {exc}")
            return
        finally:
            theirs.close()
        self._sock = ours
        logger.info(
            "warm parent pid %d: importing %s (log %s)", self._parent.pid, self.script, self.parent_log
        )
        threading.Thread(target=self._read, name="fl-client-warm-reader", daemon=True).start()

    def _refuse(self, reason: str) -> None:
        with self._lock:
            self._refusal = self._refusal or reason
        logger.warning("%s", reason)
        self._ready.set()

    def _read(self) -> None:
        assert self._sock is not None
        buffer = b""
        try:
            while True:
                data = self._sock.recv(65536)
                if not data:
                    break
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self._handle(json.loads(line))
        except (OSError, ValueError) as exc:
            logger.error("warm parent connection broke: %s", exc)
        self._parent_gone()

    def _handle(self, message: dict[str, Any]) -> None:
        if "ready" in message:
            if message["ready"]:
                logger.info("warm parent ready in %.1f s", message.get("seconds", 0.0))
                self._ready.set()
            else:
                self._refuse(f"warm runs off, {self.script} runs cold: {message.get('reason')}")
        elif "exit" in message:
            with self._lock:
                process = self._processes.pop(int(message["exit"]), None)
            if process is not None:
                process._exited(int(message["code"]))
        elif "id" in message:
            # registered here, in message order: the parent reports a pid before its exit
            process = WarmProcess(int(message["pid"])) if "pid" in message else None
            with self._lock:
                if process is not None:
                    self._processes[process.pid] = process
                self._replies[int(message["id"])] = [process]
                self._reply_event.notify_all()

    def _parent_gone(self) -> None:
        tail = "\n".join(f"    | {line}" for line in tail_lines(self.parent_log, 10))
        with self._lock:
            orphans = list(self._processes.values())
            self._processes.clear()
            self._reply_event.notify_all()
        if self._refusal is None:
            self._refuse(f"warm runs off: the warm parent ended; later runs are cold\n{tail}")
        for process in orphans:  # their exit codes are lost with the parent: stop them, count as killed
            process.kill()
            process._exited(-int(getattr(signal, "SIGKILL", signal.SIGTERM)))

    # -----------------------------------------------------------------------------------------
    def start(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log_path: Path
    ) -> WarmProcess | None:
        """Fork one run, or None for the cold path."""
        if (
            len(argv) < 2
            or argv[0] != self.executor
            or argv[1] != self.script
            or Path(cwd).resolve() != self.working_directory
        ):
            return None
        if not self._ready.wait(READY_TIMEOUT):
            self._warn_once(f"warm parent not ready after {READY_TIMEOUT:.0f} s: this run is cold")
            return None
        with self._lock:
            if self._refusal is not None or self._sock is None:
                return None
            self._next_id += 1
            request_id = self._next_id
            sock = self._sock
        request = {"id": request_id, "args": list(argv[2:]), "env": dict(env), "log": str(log_path)}
        try:
            with self._send_lock:
                sock.sendall(json.dumps(request).encode() + b"\n")
        except OSError as exc:
            self._warn_once(f"warm parent unreachable ({exc}): this run is cold")
            return None
        with self._lock:
            while request_id not in self._replies and self._refusal is None:
                self._reply_event.wait(1.0)
            process: WarmProcess | None = self._replies.pop(request_id, [None])[0]
        if process is None:
            self._warn_once("the warm parent could not fork: this run is cold")
        return process

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            logger.warning("%s", message)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the warm parent (it ends its remaining children) and reap it."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._parent is not None:
            try:
                self._parent.wait(timeout)
            except subprocess.TimeoutExpired:
                self._parent.kill()
                self._parent.wait()


# ---------------------------------------------------------------------------------------------
# The warm parent (``python -m fl_client.participant.warm FD SCRIPT``)


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _preload(script: str) -> Any:
    """Import torch, fl_client and the script module, and warm the imports a first round pays for."""
    import importlib.util

    import torch

    from ..serialization import torch_nn_classes
    from .script import TrainingScript

    # the first optimizer step imports torch._dynamo (~1.3 s): pay it here, on a throwaway tensor
    parameter = torch.nn.Parameter(torch.zeros(1))
    parameter.grad = torch.zeros(1)
    torch.optim.SGD([parameter], lr=0.0).step()
    torch_nn_classes()
    path = Path(script).resolve()
    sys.path.insert(0, str(path.parent))  # as `python script.py` does
    spec = importlib.util.spec_from_file_location(WARM_MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[WARM_MODULE_NAME] = module
    spec.loader.exec_module(module)
    found = [value for value in vars(module).values() if isinstance(value, TrainingScript)]
    if len(found) != 1:
        raise LookupError(f"{script} defines {len(found)} module-level TrainingScript instances, not one")
    return found[0]


def _unsafe_to_fork() -> str | None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        return "CUDA was initialised while importing the script (a forked child cannot use it)"
    others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    if others:
        return f"importing the script started threads ({', '.join(others)}); forking would copy their locks"
    return None


def _child(script: Any, script_path: str, request: dict[str, Any], close: Sequence[int]) -> None:
    """In the forked child: become the run, then exit with its code. Never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        for fd in close:
            os.close(fd)
        os.setpgid(0, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [str(Path(script_path).resolve()), *request["args"]]
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        code = script.run(request["args"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # exiting anyway; nothing left to report to
                stream.flush()
        os._exit(code & 0xFF if code >= 0 else 1)


def _reap(sock: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        _send(sock, {"exit": pid, "code": code})


def serve_forks(sock: socket.socket, script_path: str) -> int:
    """The warm parent's loop: fork a child per request, report pids and exit codes."""
    started = time.monotonic()
    try:
        script = _preload(script_path)
    except BaseException as exc:  # the script's import failed: say why, the runs go cold
        import traceback

        traceback.print_exc()
        _send(sock, {"ready": False, "reason": f"importing it failed: {type(exc).__name__}: {exc}"})
        return 1
    reason = _unsafe_to_fork()
    if reason is not None:
        _send(sock, {"ready": False, "reason": reason})
        return 1
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd hears of exits
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    children: set[int] = set()
    _send(sock, {"ready": True, "seconds": time.monotonic() - started})
    buffer = b""
    try:
        while True:
            readable, _, _ = select.select([sock.fileno(), wake_read], [], [], 1.0)
            if wake_read in readable:
                os.read(wake_read, 4096)
            _reap(sock, children)
            if sock.fileno() not in readable:
                continue
            data = sock.recv(65536)
            if not data:
                break  # the receiver is gone: end what is still running
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                pid = _fork_run(script, script_path, request, (sock.fileno(), wake_read, wake_write))
                if pid is None:
                    _send(sock, {"id": request["id"], "error": "fork failed"})
                    continue
                children.add(pid)
                _send(sock, {"id": request["id"], "pid": pid})
                _reap(sock, children)
    finally:
        for pid in children:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGTERM)
    return 0


def _fork_run(script: Any, script_path: str, request: dict[str, Any], close: Sequence[int]) -> int | None:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        _child(script, script_path, request, close)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # also done in the child: whichever runs first
    return pid


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print(
            "usage: python -m fl_client.participant.warm FD SCRIPT (started by fl-client serve --warm)",
            file=sys.stderr,
        )
        return 2
    sock = socket.socket(fileno=int(args[0]))
    try:
        return serve_forks(sock, args[1])
    except (BrokenPipeError, ConnectionResetError):
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
