"""Settings from the environment, under the reference client's variable names."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._core.config import DEFAULT_BASE_URL, DEFAULT_SERVER_HOST, DEFAULT_SERVER_PORT
from .exceptions import ConfigurationError

__all__ = ["Settings"]


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip())


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Client settings. `Settings.from_env()` reads them from environment variables.

    =========================================== ====================================
    variable                                    field
    =========================================== ====================================
    ``FL_DEMONSTRATOR_BASE_URL``                ``base_url`` (http://localhost:8000)
    ``FL_DEMONSTRATOR_TRAINING_SCRIPT_EXECUTOR`` ``script_executor`` (the running python)
    ``FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH``    ``script_path``
    ``FL_DEMONSTRATOR_TRAINING_WORKING_DIRETORY`` ``working_directory`` (also accepted
                                                spelled ``..._WORKING_DIRECTORY``)
    ``FL_CLIENT_SERVER_HOST``                   ``server_host`` (0.0.0.0)
    ``FL_CLIENT_SERVER_PORT``                   ``server_port`` (8101)
    ``FL_CLIENT_COMMUNICATION_MODULE``          ``communication_module`` (dotted path of a
                                                `Communication` subclass)
    ``FL_CLIENT_TRUSTED_CLASSES``               ``trusted_classes``: comma-separated dotted
                                                class names allowed when unpacking models
    ``FL_CLIENT_TRUST_REMOTE_CODE``             ``trust_remote_code``: ``1`` allows unrestricted
                                                unpickling of downloaded models (unsafe)
    =========================================== ====================================
    """

    base_url: str = DEFAULT_BASE_URL
    script_executor: str | None = None
    script_path: str | None = None
    working_directory: str | None = None
    server_host: str = DEFAULT_SERVER_HOST
    server_port: int = DEFAULT_SERVER_PORT
    communication_module: str | None = None
    trusted_classes: tuple[str, ...] = field(default_factory=tuple)
    trust_remote_code: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        port_text = env.get("FL_CLIENT_SERVER_PORT", str(DEFAULT_SERVER_PORT))
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigurationError(f"FL_CLIENT_SERVER_PORT must be an integer, not {port_text!r}") from None
        if not 0 <= port <= 65535:
            raise ConfigurationError(f"FL_CLIENT_SERVER_PORT must be 0..65535, not {port}")
        workdir = env.get("FL_DEMONSTRATOR_TRAINING_WORKING_DIRETORY") or env.get(
            "FL_DEMONSTRATOR_TRAINING_WORKING_DIRECTORY"
        )
        return cls(
            base_url=(env.get("FL_DEMONSTRATOR_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            script_executor=env.get("FL_DEMONSTRATOR_TRAINING_SCRIPT_EXECUTOR") or None,
            script_path=env.get("FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH") or None,
            working_directory=workdir or None,
            server_host=env.get("FL_CLIENT_SERVER_HOST") or DEFAULT_SERVER_HOST,
            server_port=port,
            communication_module=env.get("FL_CLIENT_COMMUNICATION_MODULE") or None,
            trusted_classes=_split(env.get("FL_CLIENT_TRUSTED_CLASSES")),
            trust_remote_code=env.get("FL_CLIENT_TRUST_REMOTE_CODE", "").lower() in {"1", "true", "yes"},
        )

    def resolved_working_directory(self) -> Path:
        return Path(self.working_directory) if self.working_directory else Path.cwd()
