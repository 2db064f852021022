"""Benchmark: model download+load and save+upload, fl_client against the reference client's approach.

``make bench`` runs this script. On 127.0.0.1 a small threaded server serves model files (with
``sendfile``) and accepts multipart uploads (drained through one reused buffer, checked for size
and framing), so it is not the bottleneck. Every measurement runs in a fresh process:

* reference: ``requests.get(...).content`` then ``torch.load(BytesIO(...))``; ``torch.save`` to a
  BytesIO then ``requests.post(files=...)`` (what the reference ``Communication`` does);
* fl_client: ``Communication.download_model()`` / ``upload_model()`` (streaming, temporary file,
  memory-mapped load).

The models are ``nn.Sequential`` stacks of ``nn.Linear(4096, 4096)`` (64 MiB of float32 each),
pickled with ``torch.save`` (the server's default format). Reported: the median wall time of
``BENCH_REPEAT`` runs (default 3), the throughput, and the memory the transfer adds, counted
honestly: a file in ``/dev/shm`` (tmpfs) is RAM, so a sampler thread reads, every few
milliseconds, the process's anonymous memory (``RssAnon`` in ``/proc/self/status``) and the
machine's tmpfs/shared memory (``Shmem`` in ``/proc/meminfo``), and the peak of their sum above
the baseline is the "peak" column. Pages of a tmpfs file mapped into the process count once
(as Shmem). For downloads the loaded model itself (1x its size) is the result, not overhead:
"extra" is the peak minus the model for downloads, the peak for uploads (whose baseline already
holds the model). Shmem is machine-wide: other processes writing to tmpfs meanwhile inflate it.

Sizes: a real FL Demonstrator server stores a model file of at most just under 256 MiB
(PostgreSQL's limit, see ``fl_client.defaults.SERVER_MAX_MODEL_BYTES``), and fl_client refuses
larger uploads by default (``max_model_bytes``). The default sizes, 256 and 1024 MiB of weights,
are both above it: they measure the CLIENT's transfer speed and memory against this local server,
which has no such limit (the fl_client runs set ``max_model_bytes=0``), not what a deployment
stores. ``BENCH_SIZES=192`` measures a size a real server stores. The run prints each model file's
size and whether a real server would store it.

Environment: ``BENCH_SIZES`` (MiB, default ``256,1024``), ``BENCH_REPEAT`` (default 3),
``BENCH_DIR`` (where model files go, default the temporary directory), ``BENCH_TOUCH=1`` (after a
download, write every parameter once, so lazily mapped pages are paid for inside the measurement).
Linux only (reads /proc).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
LAYER = 4096  # nn.Linear(4096, 4096, bias=False): 64 MiB of float32
LAYER_MIB = LAYER * LAYER * 4 // MIB
DRAIN_BUFFER = 4 * MIB
CLIENT_ID = "1da54bb8-9d1f-4a3c-8d7e-0f6e2f2b9a11"
TRAINING_ID = "600355d0-f7b4-421f-9123-7a133d558bd8"
AUTHORIZATION = "Token 68d2d144d087e03784e102f5f9c5e6efcb20f64e"
APPROACHES = ("reference", "fl_client")
DIRECTIONS = ("download", "upload")
CHILD_TIMEOUT = 300


# ---------------------------------------------------------------------------------------------
# The server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ModelServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _model_id(self) -> str:
        parts = self.path.strip("/").split("/")
        return parts[2] if len(parts) == 3 and parts[:2] == ["api", "models"] else ""

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == f"/api/trainings/{TRAINING_ID}/":
            # fl_client reads the training before each upload (target and stored-upload count)
            self._answer(200, {"id": TRAINING_ID, "state": "O", "target_num_updates": 1,
                               "last_update": "2026-11-27T21:46:14.261736+01:00", "uncertainty_method": "NONE",
                               "aggregation_method": "FedAvg", "options": {}, "locked": False,
                               "model": next(iter(self.server.files), TRAINING_ID),
                               "actor": CLIENT_ID, "participants": [CLIENT_ID],
                               "local_models_arrived": 0, "local_models_expected": 1})  # fmt: skip
            return
        file = self.server.files.get(self._model_id())
        if file is None:
            self._answer(400, {"detail": f"Model {self._model_id()} not found."})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(file.stat().st_size))
        self.send_header("Content-Disposition", f'filename="model-{self._model_id()}.pt"')
        self.end_headers()
        with file.open("rb") as source:
            self.connection.sendfile(source)  # the kernel copies page cache to the socket

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        boundary = self.headers.get("Content-Type", "").partition("boundary=")[2].strip('"').encode()
        if not length or not boundary:
            self._answer(400, {"detail": "multipart body with Content-Length expected"})
            return
        buffer = bytearray(DRAIN_BUFFER)
        view = memoryview(buffer)
        head = b""
        tail = b""
        left = length
        while left:
            got = self.rfile.readinto(view[: min(left, DRAIN_BUFFER)])
            if not got:
                break
            if not head:
                head = bytes(view[: min(got, 64 * 1024)])
            tail = (tail + bytes(view[max(0, got - 256) : got]))[-256:]
            left -= got
        complete = (
            left == 0
            and head.startswith(b"--" + boundary)
            and b'name="model_file"; filename=' in head
            and tail.endswith(b"--" + boundary + b"--\r\n")
        )
        self.server.uploads.append(length - left)
        self._answer(
            201 if complete else 400, {"detail": "Model Update Accepted" if complete else "bad body"}
        )


class _ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, Path]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = files
        self.uploads: list[int] = []


# ---------------------------------------------------------------------------------------------
# One measurement (child process)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _meminfo_kib(field: str) -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/meminfo")


class _MemorySampler:
    """Samples RssAnon (this process) + Shmem (tmpfs, machine-wide) and keeps the peak of the sum."""

    INTERVAL = 0.005

    def __init__(self) -> None:
        self.baseline = self._now()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _now() -> int:
        return (_status_kib("RssAnon") + _meminfo_kib("Shmem")) * 1024

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self.peak = max(self.peak, self._now())

    def start(self) -> _MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._now())

    @property
    def growth(self) -> int:
        return max(0, self.peak - self.baseline)


def _make_model(size_mib: int) -> Any:
    import torch

    with torch.device("meta"):
        model = torch.nn.Sequential(
            *[torch.nn.Linear(LAYER, LAYER, bias=False) for _ in range(size_mib // LAYER_MIB)]
        )
    model = model.to_empty(device="cpu")
    generator = torch.Generator().manual_seed(size_mib)
    for parameter in model.parameters():
        parameter.data.normal_(generator=generator)
    return model


def _touch(model: Any) -> None:
    for parameter in model.parameters():
        parameter.data.mul_(1.0)


def child(approach: str, direction: str, size_mib: int, url: str, model_id: str) -> dict[str, Any]:
    import io
    import warnings

    import requests
    import torch

    from fl_client import Communication

    model = _make_model(size_mib) if direction == "upload" else None
    comm = Communication(
        uuid.UUID(CLIENT_ID),
        uuid.UUID(TRAINING_ID),
        1,
        uuid.UUID(model_id),
        AUTHORIZATION,
        global_model_id=uuid.UUID(model_id),
        base_url=url,
        max_model_bytes=0,  # this local server stores any size; a real one stops just under 256 MiB
    )
    path = f"{url}/api/models/{model_id}/"
    headers = {"Authorization": AUTHORIZATION}
    touch = os.environ.get("BENCH_TOUCH") == "1"
    sampler = _MemorySampler().start()
    start = time.perf_counter()
    if approach == "reference" and direction == "download":
        response = requests.get(path, headers=headers, timeout=CHILD_TIMEOUT)
        assert response.status_code == 200, response.status_code
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = torch.load(io.BytesIO(response.content), weights_only=False)
    elif approach == "reference":
        buffer = io.BytesIO()
        torch.save(model, buffer)
        response = requests.post(
            path,
            data={
                "owner": CLIENT_ID,
                "round": 1,
                "sample_size": 100,
                "metric_names": ["loss"],
                "metric_values": [0.1],
            },
            files={"model_file": buffer.getvalue()},
            headers=headers,
            timeout=CHILD_TIMEOUT,
        )
        assert response.status_code == 201, response.text
    elif direction == "download":
        loaded = comm.download_model()
    else:
        assert comm.upload_model(model, {"loss": 0.1}, 100)
    if direction == "download" and touch:
        _touch(loaded)
    seconds = time.perf_counter() - start
    sampler.stop()
    if direction == "download":
        parameters = sum(p.numel() for p in loaded.parameters())
        assert parameters * 4 == size_mib * MIB, parameters
    comm.close()
    model_bytes = size_mib * MIB if direction == "download" else 0
    return {
        "seconds": seconds,
        "peak_bytes": sampler.growth,
        "extra_bytes": max(0, sampler.growth - model_bytes),
    }


# ---------------------------------------------------------------------------------------------
# The run (parent process)


def _python(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{args}: exit {result.returncode}\n{result.stderr[-3000:]}")
    return result.stdout


def _leftovers(directories: list[Path], before: set[str], patience: float = 10.0) -> list[str]:
    """fl_client's temporary files that appeared during the run and stay. Another fl_client on this
    machine (a test suite) may hold one for a moment: a file left by the runs here never goes, one
    of theirs soon does, so the check waits up to ``patience`` seconds for the set to empty."""
    deadline = time.monotonic() + patience
    while (found := sorted(_temporary_files(directories) - before)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def _temporary_files(directories: list[Path]) -> set[str]:
    """fl_client's temporary model files in ``directories`` (where it stages models)."""
    return {str(p) for d in directories if d.is_dir() for p in d.glob("fl-client-model-*")}


def _storable(size: int) -> str:
    from fl_client import DEFAULT_MAX_MODEL_BYTES

    if size <= DEFAULT_MAX_MODEL_BYTES:
        return f"{size:,} bytes, a size a real server stores"
    return (
        f"{size:,} bytes, over fl_client's default limit ({DEFAULT_MAX_MODEL_BYTES:,}, what a real "
        "server stores less a margin): a client-side speed figure"
    )


def _make_file(size_mib: int, directory: Path) -> Path:
    file = directory / f"model-{size_mib}.pt"
    _python("--make", str(size_mib), str(file))
    # flush it to disk now: writeback of a fresh 1 GB file would otherwise compete with the runs
    with file.open("rb") as written:
        os.fsync(written.fileno())
    return file


def _table(results: dict[tuple[int, str, str], list[dict[str, Any]]], sizes: list[int]) -> str:
    lines = [
        f"{'size':>8} {'direction':<9} {'approach':<10} {'median s':>9} {'MB/s':>8} "
        f"{'peak MiB':>9} {'extra MiB':>10} {'x size':>7} | {'fl/ref speed':>12} {'fl/ref memory':>13}"
    ]
    for size in sizes:
        for direction in DIRECTIONS:
            row: dict[str, tuple[float, float, float, float]] = {}
            for approach in APPROACHES:
                runs = results[size, direction, approach]
                seconds = statistics.median(run["seconds"] for run in runs)
                peak = statistics.median(run["peak_bytes"] for run in runs) / MIB
                extra = statistics.median(run["extra_bytes"] for run in runs) / MIB
                row[approach] = (seconds, size * MIB / seconds / 1e6, peak, extra)
            for approach in APPROACHES:
                seconds, rate, peak, extra = row[approach]
                ratio = ""
                if approach == "fl_client":
                    ref = row["reference"]
                    memory = f"{extra / ref[3]:.2f}" if ref[3] else "-"
                    ratio = f"{rate / ref[1]:>11.2f}x {memory:>13}"
                lines.append(
                    f"{size:>6}MB {direction:<9} {approach:<10} {seconds:>9.2f} {rate:>8.0f} "
                    f"{peak:>9.0f} {extra:>10.0f} {extra / size:>7.2f} | {ratio}"
                )
    return "\n".join(lines)


def main() -> int:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "256,1024").split(",") if s.strip()]
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    if any(size % LAYER_MIB for size in sizes):
        raise SystemExit(f"BENCH_SIZES must be multiples of {LAYER_MIB} MiB")
    workdir = Path(tempfile.mkdtemp(prefix="fl-client-bench-", dir=os.environ.get("BENCH_DIR")))
    print(f"fl_client transfer benchmark: sizes {sizes} MiB, {repeat} repetitions, files in {workdir}")
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, {socket.gethostname()}")
    try:
        ids = {size: str(uuid.uuid4()) for size in sizes}
        files = {}
        for size in sizes:
            started = time.perf_counter()
            files[ids[size]] = _make_file(size, workdir)
            print(
                f"  model file {size} MiB written in {time.perf_counter() - started:.1f} s: "
                f"{_storable(files[ids[size]].stat().st_size)}",
                flush=True,
            )
        server = _ModelServer(files)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        staging = [Path(tempfile.gettempdir()), Path("/dev/shm")]
        before = _temporary_files(staging)
        results: dict[tuple[int, str, str], list[dict[str, Any]]] = {}
        for size in sizes:
            for rep in range(repeat):
                for direction in DIRECTIONS:
                    for approach in APPROACHES:  # interleaved: a noisy neighbour hits both
                        out = _python("--child", approach, direction, str(size), url, ids[size])
                        run = json.loads(out.strip().splitlines()[-1])
                        results.setdefault((size, direction, approach), []).append(run)
                        print(
                            f"  {size:>5} MiB {direction:<8} {approach:<9} #{rep + 1}: "
                            f"{run['seconds']:6.2f} s, peak +{run['peak_bytes'] / MIB:6.0f} MiB, "
                            f"extra {run['extra_bytes'] / MIB:6.0f} MiB",
                            flush=True,
                        )
        server.shutdown()
        leftovers = _leftovers(staging, before)
        print()
        print(_table(results, sizes))
        print()
        print(
            "MB/s = 10^6 bytes of model per second; peak = RssAnon + Shmem (tmpfs) above the baseline, "
            "sampled every 5 ms; extra = peak less the loaded model for downloads; x size = extra / model."
        )
        print(
            "A real FL Demonstrator server stores model files up to just under 256 MiB (PostgreSQL); "
            "larger sizes above measure the client against this local server only."
        )
        if leftovers:
            print(f"WARNING: temporary files left behind: {leftovers}")
            return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])))
    elif sys.argv[1:2] == ["--make"]:
        import torch

        torch.save(_make_model(int(sys.argv[2])), sys.argv[3])
    else:
        sys.exit(main())
