"""Settings from the environment, under the reference client's variable names."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .defaults import (
    DEFAULT_BASE_URL,
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_KILL_TIMEOUT,
    DEFAULT_LOG_DIR,
    DEFAULT_LOG_KEEP,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONCURRENT_RUNS,
    DEFAULT_MAX_MODEL_BYTES,
    DEFAULT_SERVER_HOST,
    DEFAULT_SERVER_PORT,
    DEFAULT_SHARED_SECRET_HEADER,
    DEFAULT_SHUTDOWN_GRACE,
)
from .env import (
    ENV_BASE_URL,
    ENV_BODY_TIMEOUT,
    ENV_COMMUNICATION_MODULE,
    ENV_GRACE_PERIOD,
    ENV_KILL_TIMEOUT,
    ENV_LOG_DIR,
    ENV_LOG_KEEP,
    ENV_MAX_BODY_BYTES,
    ENV_MAX_CONCURRENT,
    ENV_MAX_MODEL_BYTES,
    ENV_SCRIPT_EXECUTOR,
    ENV_SCRIPT_PATH,
    ENV_SERVER_HOST,
    ENV_SERVER_PORT,
    ENV_SHARED_SECRET_HEADER,
    ENV_TRUST_REMOTE_CODE,
    ENV_TRUSTED_CLASSES,
    ENV_WORKING_DIRECTORY,
    ENV_WORKING_DIRECTORY_SPELLED_RIGHT,
)
from .exceptions import ConfigurationError

__all__ = ["Settings"]


def _number(
    env: Mapping[str, str], name: str, kind: type[int] | type[float], default: float, low: float
) -> float:
    """``env[name]`` as a number of at least ``low``, else ``default``; a typed error names the variable."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {text!r}") from None
    if value < low:
        raise ConfigurationError(f"{name} must be at least {low}, not {value}")
    return value


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
    ``FL_CLIENT_MAX_MODEL_BYTES``               ``max_model_bytes``: larger model uploads are
                                                refused before sending (268369920, what the
                                                server stores less a margin; 0: no limit)
    ``FL_CLIENT_LOG_DIR``                       ``log_dir`` (fl-client-runs)
    ``FL_CLIENT_LOG_KEEP``                      ``log_keep`` (1000; 0 keeps all)
    ``FL_CLIENT_MAX_CONCURRENT``                ``max_concurrent`` (4)
    ``FL_CLIENT_GRACE_PERIOD``                  ``grace_period`` (30 s)
    ``FL_CLIENT_KILL_TIMEOUT``                  ``kill_timeout`` (5 s)
    ``FL_CLIENT_BODY_TIMEOUT``                  ``body_timeout`` (10 s)
    ``FL_CLIENT_MAX_BODY_BYTES``                ``max_body_bytes`` (1 MiB)
    ``FL_CLIENT_SHARED_SECRET_HEADER``          ``shared_secret_header`` (X-FL-Client-Secret)
    =========================================== ====================================

    The last group configures ``fl-client serve``; its options win over them. Keeping the
    fallback here, not in the command line code, leaves it the same whatever parses the options.
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
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES
    log_dir: str = DEFAULT_LOG_DIR
    log_keep: int = DEFAULT_LOG_KEEP
    max_concurrent: int = DEFAULT_MAX_CONCURRENT_RUNS
    grace_period: float = DEFAULT_SHUTDOWN_GRACE
    kill_timeout: float = DEFAULT_KILL_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    shared_secret_header: str = DEFAULT_SHARED_SECRET_HEADER

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        port_text = env.get(ENV_SERVER_PORT, str(DEFAULT_SERVER_PORT))
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigurationError(f"{ENV_SERVER_PORT} must be an integer, not {port_text!r}") from None
        if not 0 <= port <= 65535:
            raise ConfigurationError(f"{ENV_SERVER_PORT} must be 0..65535, not {port}")
        workdir = env.get(ENV_WORKING_DIRECTORY) or env.get(ENV_WORKING_DIRECTORY_SPELLED_RIGHT)
        return cls(
            base_url=(env.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/"),
            script_executor=env.get(ENV_SCRIPT_EXECUTOR) or None,
            script_path=env.get(ENV_SCRIPT_PATH) or None,
            working_directory=workdir or None,
            server_host=env.get(ENV_SERVER_HOST) or DEFAULT_SERVER_HOST,
            server_port=port,
            communication_module=env.get(ENV_COMMUNICATION_MODULE) or None,
            trusted_classes=_split(env.get(ENV_TRUSTED_CLASSES)),
            trust_remote_code=env.get(ENV_TRUST_REMOTE_CODE, "").lower() in {"1", "true", "yes"},
            max_model_bytes=int(_number(env, ENV_MAX_MODEL_BYTES, int, DEFAULT_MAX_MODEL_BYTES, 0)),
            log_dir=env.get(ENV_LOG_DIR) or DEFAULT_LOG_DIR,
            log_keep=int(_number(env, ENV_LOG_KEEP, int, DEFAULT_LOG_KEEP, 0)),
            max_concurrent=int(_number(env, ENV_MAX_CONCURRENT, int, DEFAULT_MAX_CONCURRENT_RUNS, 1)),
            grace_period=_number(env, ENV_GRACE_PERIOD, float, DEFAULT_SHUTDOWN_GRACE, 0),
            kill_timeout=_number(env, ENV_KILL_TIMEOUT, float, DEFAULT_KILL_TIMEOUT, 0),
            body_timeout=_number(env, ENV_BODY_TIMEOUT, float, DEFAULT_BODY_TIMEOUT, 0.001),
            max_body_bytes=int(_number(env, ENV_MAX_BODY_BYTES, int, DEFAULT_MAX_BODY_BYTES, 1)),
            shared_secret_header=env.get(ENV_SHARED_SECRET_HEADER) or DEFAULT_SHARED_SECRET_HEADER,
        )

    def resolved_working_directory(self) -> Path:
        return Path(self.working_directory) if self.working_directory else Path.cwd()
