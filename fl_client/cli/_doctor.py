"""The facts ``fl-client doctor``'s checks look at (`Doctor`), each gathered once and only when a
check needs it, and the options they come from; the checks are in `fl_client.cli.doctor`.

A check that needs a fact another check failed to gather raises `Skipped`, whose message names
that check. Every request has a timeout and is not retried.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from fl_demonstrator_api.models import TrainingState, User

from ..defaults import DEFAULT_CONNECT_TIMEOUT, DEFAULT_DOCTOR_TIMEOUT, DEFAULT_PROBE_TIMEOUT
from ..exceptions import ConfigurationError, FLClientError
from ..participant.checks import GlobalModel
from ..participant.probe import ProbeReport, is_python, run_probe
from ..settings import Settings
from ._common import Target
from ._participant import validate_participant_settings

if TYPE_CHECKING:
    from ..client import FLClient

__all__ = ["Doctor", "DoctorOptions", "SchemaAnswer", "Skipped", "one_line"]

_UNFINISHED = {TrainingState.I, TrainingState.O, TrainingState.S}


@dataclass(frozen=True, kw_only=True)
class DoctorOptions:
    """``fl-client doctor``'s options (None: from the environment, the profile, the defaults)."""

    profile: str | None = None
    base_url: str | None = None
    username: str | None = None
    password: str | None = None
    token: str | None = None
    host: str | None = None
    port: int | None = None
    script: str | None = None
    executor: str | None = None
    workdir: str | None = None
    role: str = "auto"
    timeout: float = DEFAULT_DOCTOR_TIMEOUT
    probe_timeout: float = DEFAULT_PROBE_TIMEOUT
    skip: tuple[str, ...] = ()
    as_json: bool = False


class Skipped(Exception):
    """A fact the check needs is missing; the message says which check tells why."""


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


class Doctor:
    """The facts the checks look at, each gathered once, in the order the checks need them."""

    def __init__(self, options: DoctorOptions, environ: Mapping[str, str] | None = None) -> None:
        self.options = options
        self.env = os.environ if environ is None else environ
        self.role = options.role
        self.target: Target | None = None
        self.settings: Settings | None = None
        self.reachable = False  # the server answered GET /api/schema/ with any HTTP status
        self.schema: SchemaAnswer | None = None
        self.user: User | None = None
        self.probe_failure_reported = False
        self._why: dict[str, str] = {}
        self._client: FLClient | None = None
        self._models: list[GlobalModel] | FLClientError | None = None
        self._probe: ProbeReport | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    # ------------------------------------------------------------------ facts
    def need(self, fact: str) -> Any:
        """The fact, or `Skipped` saying which check failed to gather it."""
        value = getattr(self, fact)
        if value is None or value is False:
            raise Skipped(self._why.get(fact, f"needs {fact}"))
        return value

    def missing(self, fact: str, why: str) -> None:
        """Say why ``fact`` is missing, for the checks that need it (the latest reason wins)."""
        self._why[fact] = why

    @property
    def http_timeout(self) -> httpx.Timeout:
        timeout = self.options.timeout
        return httpx.Timeout(timeout, connect=min(timeout, DEFAULT_CONNECT_TIMEOUT))

    def client(self) -> FLClient:
        if self._client is None:
            target: Target = self.need("target")
            self._client = target.client(timeout=self.http_timeout, max_retries=0, settings=self.settings)
        return self._client

    @property
    def participant(self) -> bool:
        """The role: ``auto`` is a participant when a script is configured or the user is a client."""
        if self.role == "auto":
            scripted = self.settings is not None and bool(self.settings.script_path)
            return scripted or (self.user is not None and self.user.client)
        return self.role == "participant"

    def global_models(self) -> list[GlobalModel]:
        """The global model of each unfinished training of the user, downloaded once (each to a
        file in a private temporary folder, removed by `close`)."""
        if self._models is None:
            try:
                self._models = self._download_global_models()
            except FLClientError as exc:
                self._models = exc
        if isinstance(self._models, FLClientError):
            raise self._models
        return self._models

    def _download_global_models(self) -> list[GlobalModel]:
        self.need("user")
        client = self.client()
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="fl-client-doctor-")
        found: dict[str, GlobalModel] = {}
        for training in client.users.trainings():
            model_id = str(training.model)
            if training.state not in _UNFINISHED or model_id in found:
                continue
            facts: dict[str, Any] = {
                "training_id": str(training.id),
                "model_id": model_id,
                "state": str(training.state),
            }
            path = Path(self._folder.name) / f"{model_id}.pt"
            try:
                client.models.download_to(model_id, path)
            except FLClientError as exc:
                found[model_id] = GlobalModel(**facts, error=f"download failed: {one_line(exc)}")
            except OSError as exc:
                found[model_id] = GlobalModel(**facts, error=f"cannot write {path}: {exc.strerror or exc}")
            else:
                found[model_id] = GlobalModel(**facts, path=path, size=path.stat().st_size)
        return list(found.values())

    def probe(self) -> ProbeReport:
        """The one dry run: the script (a participant's, if it is set up and Python) and the models."""
        if self._probe is None:
            try:
                models = self.global_models() if self.user is not None else []
            except FLClientError:
                models = []
            executor, script, workdir = sys.executable, None, Path.cwd()
            settings = self.settings
            if self.participant and settings is not None and settings.script_path:
                try:
                    validate_participant_settings(settings)
                except ConfigurationError:
                    pass
                else:
                    if is_python(settings.script_executor or sys.executable):
                        executor = settings.script_executor or sys.executable
                        workdir = settings.resolved_working_directory()
                        script = workdir / settings.script_path
            self._probe = run_probe(
                executor=executor, workdir=workdir, timeout=self.options.probe_timeout, script=script,
                models=[(m.model_id, m.path) for m in models if m.path is not None], environ=self.env,
            )  # fmt: skip
        return self._probe

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._folder is not None:
            self._folder.cleanup()


@dataclass(frozen=True)
class SchemaAnswer:
    """The server's answer to ``GET /api/schema/`` and when it came."""

    url: str
    document: Mapping[str, Any]
    date: str | None
    sent: float
    received: float
