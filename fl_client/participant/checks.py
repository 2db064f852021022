"""Checks of a participant's setup: small functions over plain facts, each returning a `CheckResult`.

``fl-client doctor`` gathers the facts (the server's answers through `fl_client.FLClient`, the dry
run of `fl_client.participant.probe`) and runs these functions on them. They make no request of
their own, so whatever else holds the same facts (a readiness probe of the receiver) can run them
too. A check that fails names what is wrong and carries the `ExitCode` the command exits with.
"""

from __future__ import annotations

import queue
import shutil
import socket
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._core.limits import check_model_size
from .._core.transfer import staging_directory
from ..defaults import CLOCK_SKEW_WARN_SECONDS, NEAR_MODEL_LIMIT_FRACTION, RAM_STAGING_DIR
from ..exceptions import ModelTooLargeError
from ..exit_codes import ExitCode
from .probe import ProbeReport

__all__ = [
    "CheckResult",
    "GlobalModel",
    "Status",
    "clock_check",
    "disk_check",
    "endpoint_check",
    "is_local_address",
    "models_check",
    "script_check",
    "size_check",
    "torch_check",
]

RESOLVE_TIMEOUT = 5.0
"""Seconds a host name may take to resolve (a slow resolver must not hang the check)."""
_WILDCARDS = {"", "0.0.0.0", "::"}


class Status(StrEnum):
    """A check's outcome: ``skip`` when what it needs is missing (another check says why)."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, outcome, a one-line summary, the facts it used, and for a failure
    the exit code that says which class of problem it is."""

    name: str
    status: Status
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)
    exit_code: ExitCode = ExitCode.OK

    @classmethod
    def ok(cls, name: str, summary: str, **details: Any) -> CheckResult:
        return cls(name, Status.OK, summary, details)

    @classmethod
    def warn(cls, name: str, summary: str, **details: Any) -> CheckResult:
        return cls(name, Status.WARN, summary, details)

    @classmethod
    def fail(cls, name: str, summary: str, code: ExitCode = ExitCode.ERROR, **details: Any) -> CheckResult:
        return cls(name, Status.FAIL, summary, details, code)

    @classmethod
    def skip(cls, name: str, summary: str) -> CheckResult:
        return cls(name, Status.SKIP, summary)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status),
            "summary": self.summary,
            "details": dict(self.details),
            "exit_code": int(self.exit_code),
        }


@dataclass(frozen=True)
class GlobalModel:
    """The current global model of an unfinished training, as downloaded (or why it was not)."""

    training_id: str
    model_id: str
    state: str
    path: Path | None = None
    size: int | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"the global model {self.model_id} of training {self.training_id}"


def _bytes(size: int) -> str:
    """A size for people: ``2.7 KiB``, ``255.9 MiB``, ``23.5 GiB``."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _exact(size: int) -> str:
    """A size near a limit, to the byte: ``268,369,920 bytes (255.9 MiB)``."""
    return f"{size:,} bytes ({_bytes(size)})" if size >= 1024 else f"{size} bytes"


# ------------------------------------------------------------------------------------ endpoint


def _resolve(host: str, timeout: float) -> list[str]:
    """The addresses of ``host``; `OSError` when it does not resolve within ``timeout`` seconds."""
    answer: queue.Queue[list[str] | OSError] = queue.Queue()

    def lookup() -> None:
        try:
            answer.put(sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)}))
        except OSError as exc:
            answer.put(exc)

    threading.Thread(target=lookup, daemon=True, name="fl-client-resolve").start()
    try:
        result = answer.get(timeout=timeout)
    except queue.Empty:
        raise OSError(f"no answer from the resolver within {timeout:g} s") from None
    if isinstance(result, OSError):
        raise result
    return result


def is_local_address(address: str) -> bool:
    """Whether ``address`` belongs to this machine: a socket can be bound to it."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def endpoint_check(endpoint: str, *, host: str, port: int, timeout: float = RESOLVE_TIMEOUT) -> CheckResult:
    """Does the user's ``message_endpoint`` lead to a receiver listening on ``host``:``port`` here?"""
    name = "endpoint"
    facts: dict[str, Any] = {"message_endpoint": endpoint, "receiver_host": host, "receiver_port": port}
    if not endpoint.strip():
        return CheckResult.fail(
            name,
            "the user has no message_endpoint: the server cannot notify it (a user gets one when "
            "created: fl-client users create NAME --client --message-endpoint http://HOST:PORT/)",
            **facts,
        )
    parts = urlsplit(endpoint.strip())
    try:
        target_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        target_port = None
    if parts.scheme not in {"http", "https"} or not parts.hostname or target_port is None:
        return CheckResult.fail(name, f"message_endpoint {endpoint!r} is not an http(s) URL", **facts)
    if port == 0:
        return CheckResult.warn(
            name,
            "the receiver's port is 0 (a free one at each start): no message_endpoint can match it",
            **facts,
        )
    try:
        addresses = _resolve(parts.hostname, timeout)
    except OSError as exc:
        return CheckResult.fail(
            name, f"message_endpoint {endpoint}: {parts.hostname} does not resolve ({exc})", **facts
        )
    local = [address for address in addresses if is_local_address(address)]
    if not local:
        return CheckResult.warn(
            name,
            f"message_endpoint {endpoint} points at {parts.hostname} ({', '.join(addresses)}), not at this "
            f"machine: right only behind NAT or a proxy that forwards to this receiver's port {port}",
            **facts,
        )
    if target_port != port:
        return CheckResult.fail(
            name,
            f"message_endpoint {endpoint} points at port {target_port} of this machine, but the receiver "
            f"listens on port {port}",
            **facts,
        )
    if host not in _WILDCARDS:
        try:
            bound = _resolve(host, timeout)
        except OSError as exc:
            return CheckResult.fail(name, f"the receiver's host {host} does not resolve ({exc})", **facts)
        if not set(bound) & set(local):
            return CheckResult.fail(
                name,
                f"message_endpoint {endpoint} points at {', '.join(local)}, but the receiver listens on "
                f"{host} ({', '.join(bound)}) only",
                **facts,
            )
    return CheckResult.ok(
        name, f"message_endpoint {endpoint} points at this receiver ({host or '*'}:{port})", **facts
    )


# ------------------------------------------------------------------------------------ clock


def clock_check(date: str | None, *, sent: float, received: float) -> CheckResult:
    """Compare the server's ``Date`` header (of an answer to a request sent at ``sent`` and
    answered at ``received``, Unix seconds) with this machine's clock."""
    name = "clock"
    if not date:
        return CheckResult.skip(name, "the server's answer had no Date header")
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, IndexError):
        return CheckResult.warn(name, f"the server's Date header {date!r} cannot be read", date=date)
    # the header is truncated to the second: its time lies half a second before the true one, on average
    skew = server + 0.5 - (sent + received) / 2
    facts: dict[str, Any] = {"skew_seconds": round(skew, 1), "date": date}
    if abs(skew) > CLOCK_SKEW_WARN_SECONDS:
        direction = "ahead of" if skew > 0 else "behind"
        return CheckResult.warn(
            name,
            f"the server's clock is {abs(skew):.0f} s {direction} ours (its Date header): times in logs "
            "and metrics will not line up; synchronise the clocks (NTP)",
            **facts,
        )
    return CheckResult.ok(
        name, f"the server's clock agrees with ours within {max(1.0, abs(skew)):.0f} s", **facts
    )


# ------------------------------------------------------------------------------------ disk and size


def disk_check(largest: int, *, concurrent: int = 1) -> CheckResult:
    """Room where a script's model downloads are staged (`fl_client._core.transfer.staging_directory`:
    ``TMPDIR``, else RAM when it has room, else the temporary directory) for ``concurrent``
    downloads of the largest model (``largest`` bytes; 0: none known)."""
    name = "disk"
    staged = staging_directory(largest or None)
    where = Path(staged) if staged is not None else Path(tempfile.gettempdir())
    kind = " (RAM)" if str(where) == RAM_STAGING_DIR else ""
    try:
        free = shutil.disk_usage(where).free
    except OSError as exc:
        return CheckResult.fail(name, f"cannot read the free space of {where}: {exc.strerror or exc}")
    facts: dict[str, Any] = {
        "directory": str(where),
        "free": free,
        "largest_model": largest,
        "concurrent": concurrent,
    }
    if not largest:
        return CheckResult.ok(
            name, f"{_bytes(free)} free in {where}{kind}, where model downloads go", **facts
        )
    if free < largest:
        return CheckResult.fail(
            name,
            f"{where}{kind} has {_bytes(free)} free, less than the largest global model "
            f"({_bytes(largest)}): its download will fail; point TMPDIR at a larger disk",
            **facts,
        )
    if free < largest * concurrent:
        return CheckResult.warn(
            name,
            f"{where}{kind} has {_bytes(free)} free: room for {free // largest} of {concurrent} "
            f"concurrent downloads of the largest global model ({_bytes(largest)})",
            **facts,
        )
    return CheckResult.ok(
        name,
        f"{where}{kind} has {_bytes(free)} free: room for {concurrent} concurrent download"
        f"{'s' if concurrent != 1 else ''} of the largest global model ({_bytes(largest)})",
        **facts,
    )


def size_check(models: Sequence[GlobalModel], *, limit: int) -> CheckResult:
    """The largest global model against the model size ceiling (`fl_client.check_model_size`,
    the check every upload makes): a local model of the same size must be storable."""
    name = "size"
    sizes = [model for model in models if model.size is not None]
    facts: dict[str, Any] = {"limit": limit, "largest_model": max((m.size or 0 for m in sizes), default=0)}
    if limit == 0:
        return CheckResult.ok(
            name, "no model size limit (max_model_bytes 0): uploads are not checked", **facts
        )
    if not sizes:
        return CheckResult.ok(name, f"uploads up to {_exact(limit)}; no global model to compare", **facts)
    largest = max(sizes, key=lambda model: model.size or 0)
    size = largest.size or 0
    try:
        check_model_size(size, limit)
    except ModelTooLargeError:
        return CheckResult.fail(
            name,
            f"{largest.label} is {_exact(size)}, over the model size limit of {_exact(limit)}: a "
            "local model of its size would be refused before sending",
            ExitCode.REJECTED,
            **facts,
        )
    share = size / limit
    if share >= NEAR_MODEL_LIMIT_FRACTION:
        return CheckResult.warn(
            name,
            f"{largest.label} is {_exact(size)}, {share:.0%} of the model size limit ({_exact(limit)}): "
            "a slightly larger local model would be refused",
            **facts,
        )
    return CheckResult.ok(
        name,
        f"the largest global model is {_exact(size)}, {share:.0%} of the limit ({_exact(limit)})",
        **facts,
    )


# ------------------------------------------------------------------------------------ the dry run


def _problem(report: ProbeReport) -> str:
    last = [line for line in report.output.splitlines() if line.strip()][-1:]
    return f"the dry run in {report.executor} failed: {report.problem}" + (
        f" ({last[0].strip()})" if last else ""
    )


def script_check(report: ProbeReport | None, *, script: str) -> CheckResult:
    """Would the script import (the dry run's ``script`` part)? ``report`` None: the executor is
    not a Python interpreter, so only its existence was checked."""
    name = "script"
    if report is None:
        return CheckResult.warn(
            name,
            f"{script} exists; its executor is not a Python interpreter, so its imports were not checked",
        )
    if report.problem is not None:
        return CheckResult.fail(name, _problem(report), executor=report.executor)
    found = report.script
    if found is None:
        return CheckResult.fail(name, f"the dry run in {report.executor} did not look at {script}")
    facts: dict[str, Any] = {"script": script, "executor": report.executor, "mode": found.mode}
    if not found.ok:
        what = {
            "compile": f"{script} does not compile",
            "import": f"importing {script} failed",
            "imports": f"{script} (no __main__ guard, so not imported) cannot import what it imports",
        }.get(found.mode, f"cannot read {script}")
        return CheckResult.fail(name, f"{what}: {found.error}", **facts, traceback=found.traceback)
    if found.mode == "imports":
        return CheckResult.ok(
            name,
            f"{script} compiles and its {len(found.imports)} top-level imports import "
            "(no __main__ guard: the script itself was not run)",
            **facts,
            imports=list(found.imports),
        )
    trainable = [actions for actions in found.training_scripts if "train" in actions]
    if found.training_scripts and not trainable:
        return CheckResult.fail(
            name,
            f"{script}'s TrainingScript has no train function: every training round would exit "
            f"{int(ExitCode.NO_HANDLER)} ({ExitCode.NO_HANDLER.name})",
            **facts,
        )
    actions = ", ".join(found.training_scripts[0]) if found.training_scripts else ""
    kind = f" (TrainingScript: {actions})" if actions else ""
    return CheckResult.ok(name, f"{script} imports{kind}; its __main__ block was not run", **facts)


def torch_check(report: ProbeReport) -> CheckResult:
    """torch and fl_client in the executor's Python (what every round imports)."""
    name = "torch"
    if report.problem is not None:
        return CheckResult.fail(name, _problem(report), executor=report.executor)
    facts: dict[str, Any] = {
        "torch": report.torch,
        "fl_client": report.fl_client,
        "python": report.python,
        "executor": report.executor,
    }
    if report.torch is None:
        return CheckResult.fail(name, f"{report.executor} cannot import torch: {report.torch_error}", **facts)
    if report.fl_client is None:
        return CheckResult.fail(
            name, f"{report.executor} cannot import fl_client: {report.fl_client_error}", **facts
        )
    return CheckResult.ok(
        name,
        f"torch {report.torch}, fl_client {report.fl_client}, Python {report.python} ({report.executor})",
        **facts,
    )


def models_check(models: Sequence[GlobalModel], report: ProbeReport | None) -> CheckResult:
    """Does each global model load under the safe loading policy, where the rounds run?"""
    name = "models"
    if not models:
        return CheckResult.ok(
            name, "no unfinished training (state I, O or S) whose global model to load", models=[]
        )
    loaded = {probe.label: probe for probe in (report.models if report is not None else ())}
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for model in models:
        probe = loaded.get(model.model_id)
        error = model.error or (probe.error if probe is not None and not probe.ok else None)
        if error is None and probe is None:
            error = "not loaded (the dry run did not finish)"
        rows.append({"training_id": model.training_id, "model_id": model.model_id, "state": model.state,
                     "bytes": model.size, "loaded": error is None, "error": error,
                     "type": probe.loaded_type if probe is not None else None})  # fmt: skip
        if error is not None:
            problems.append(f"{model.label}: {error}")
    if problems:
        return CheckResult.fail(
            name,
            f"{len(problems)} of {len(models)} global models cannot be loaded here; {problems[0]}",
            models=rows,
        )
    return CheckResult.ok(
        name,
        f"{len(models)} global model{'s load' if len(models) != 1 else ' loads'} with the safe loading policy",
        models=rows,
    )
