"""Every environment variable fl_client reads or sets, and reading credentials from the environment.

The ``FL_DEMONSTRATOR_*`` names are the reference client's (kept, typo included, so that an existing
deployment keeps its configuration); the ``FL_CLIENT_*`` names are fl_client's own. No other
module spells one of these names: they import the constant (a test checks it), so renaming a
variable, or documenting it, is one edit here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .exceptions import ConfigurationError

__all__ = [
    "ENV_ACTION",
    "ENV_ALLOWED_SOURCES",
    "ENV_AUTHORIZATION",
    "ENV_BASE_URL",
    "ENV_BODY_TIMEOUT",
    "ENV_CATCH_UP_INTERVAL",
    "ENV_CLIENT_ID",
    "ENV_COMMUNICATION_MODULE",
    "ENV_CONFIG_DIR",
    "ENV_GLOBAL_MODEL_ID",
    "ENV_GRACE_PERIOD",
    "ENV_KILL_TIMEOUT",
    "ENV_LOG_DIR",
    "ENV_LOG_KEEP",
    "ENV_LOG_LEVEL",
    "ENV_MAX_BODY_BYTES",
    "ENV_MAX_CONCURRENT",
    "ENV_MAX_MODEL_BYTES",
    "ENV_MODEL_ID",
    "ENV_PASSWORD",
    "ENV_PREFIX",
    "ENV_PROFILE",
    "ENV_ROUND",
    "ENV_RUN_ATTEMPTS",
    "ENV_RUN_RETRY_DELAY",
    "ENV_SCRIPT_EXECUTOR",
    "ENV_SCRIPT_PATH",
    "ENV_SERVER_HOST",
    "ENV_SERVER_PORT",
    "ENV_SHARED_SECRET",
    "ENV_SHARED_SECRET_HEADER",
    "ENV_STATE_DIR",
    "ENV_TOKEN",
    "ENV_TRAINING_ID",
    "ENV_TRUSTED_CLASSES",
    "ENV_TRUST_REMOTE_CODE",
    "ENV_USERNAME",
    "ENV_WARM",
    "ENV_WORKING_DIRECTORY",
    "ENV_WORKING_DIRECTORY_SPELLED_RIGHT",
    "RUN_VARIABLES",
    "SECRET_VARIABLES",
    "credentials_from_env",
]

# --------------------------------------------------------------------- the reference client's names

ENV_BASE_URL = "FL_DEMONSTRATOR_BASE_URL"
"""The server's base URL (every part; scripts get it from ``fl-client serve``)."""
ENV_SCRIPT_EXECUTOR = "FL_DEMONSTRATOR_TRAINING_SCRIPT_EXECUTOR"
"""The program that runs the training script (``fl-client serve --executor``)."""
ENV_SCRIPT_PATH = "FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH"
"""The training script (``fl-client serve --script``)."""
ENV_WORKING_DIRECTORY = "FL_DEMONSTRATOR_TRAINING_WORKING_DIRETORY"
"""The script's working directory, spelled as the reference client spells it (``--workdir``)."""
ENV_WORKING_DIRECTORY_SPELLED_RIGHT = "FL_DEMONSTRATOR_TRAINING_WORKING_DIRECTORY"
"""The same, spelled right; read when the reference spelling is not set."""

# --------------------------------------------------------------------- credentials

ENV_USERNAME = "FL_CLIENT_USERNAME"
"""User name for HTTP Basic (with `ENV_PASSWORD`)."""
ENV_PASSWORD = "FL_CLIENT_PASSWORD"  # noqa: S105 - a variable name, not a secret
"""Password for HTTP Basic (with `ENV_USERNAME`); never handed to a script."""
ENV_TOKEN = "FL_CLIENT_TOKEN"  # noqa: S105 - a variable name, not a secret
"""The server's 40-character API token; never handed to a script."""
ENV_AUTHORIZATION = "FL_CLIENT_AUTHORIZATION"
"""A ready ``Authorization`` value; ``fl-client serve`` sets it for each script run."""

# --------------------------------------------------------------------- the command line

ENV_PROFILE = "FL_CLIENT_PROFILE"
"""The ``fl-client config`` profile to use (``--profile``)."""
ENV_CONFIG_DIR = "FL_CLIENT_CONFIG_DIR"
"""The folder of the profiles file, instead of the user's config directory."""
ENV_LOG_LEVEL = "FL_CLIENT_LOG_LEVEL"
"""``fl-client --log-level``."""

# --------------------------------------------------------------------- fl-client serve

ENV_SERVER_HOST = "FL_CLIENT_SERVER_HOST"
"""The address the notification receiver listens on (``--host``)."""
ENV_SERVER_PORT = "FL_CLIENT_SERVER_PORT"
"""The receiver's port (``--port``)."""
ENV_COMMUNICATION_MODULE = "FL_CLIENT_COMMUNICATION_MODULE"
"""The dotted path of a `Communication` subclass (``--communication``)."""
ENV_CLIENT_ID = "FL_CLIENT_CLIENT_ID"
"""The participant's user id (``--client-id``); ``fl-client serve`` sets it for each script run."""
ENV_MAX_CONCURRENT = "FL_CLIENT_MAX_CONCURRENT"
"""Script runs at once (``--max-concurrent``)."""
ENV_MAX_BODY_BYTES = "FL_CLIENT_MAX_BODY_BYTES"
"""The largest notification body accepted (``--max-body-bytes``)."""
ENV_MAX_MODEL_BYTES = "FL_CLIENT_MAX_MODEL_BYTES"
"""Model uploads larger than this many bytes are refused before sending (0: no limit)."""
ENV_BODY_TIMEOUT = "FL_CLIENT_BODY_TIMEOUT"
"""Seconds a notification's head, then its body, may take to arrive (``--body-timeout``)."""
ENV_LOG_DIR = "FL_CLIENT_LOG_DIR"
"""The folder of the run logs (``--log-dir``)."""
ENV_LOG_KEEP = "FL_CLIENT_LOG_KEEP"
"""Run logs kept (``--log-keep``)."""
ENV_GRACE_PERIOD = "FL_CLIENT_GRACE_PERIOD"
"""Seconds running scripts get on shutdown (``--grace-period``)."""
ENV_KILL_TIMEOUT = "FL_CLIENT_KILL_TIMEOUT"
"""Seconds between SIGTERM and SIGKILL (``--kill-timeout``)."""
ENV_ALLOWED_SOURCES = "FL_CLIENT_ALLOWED_SOURCES"
"""Comma-separated addresses or networks notifications may come from (``--allow-from``)."""
ENV_SHARED_SECRET = "FL_CLIENT_SHARED_SECRET"  # noqa: S105 - a variable name, not a secret
"""The secret a proxy adds to each notification; only from the environment (an option shows in ``ps``)."""
ENV_SHARED_SECRET_HEADER = "FL_CLIENT_SHARED_SECRET_HEADER"  # noqa: S105 - a variable name
"""The header carrying the shared secret (``--shared-secret-header``)."""
ENV_WARM = "FL_CLIENT_WARM"
"""``1`` forks runs from a warm parent (``--warm``)."""
ENV_STATE_DIR = "FL_CLIENT_STATE_DIR"
"""The folder of the run journal (``--state-dir``)."""
ENV_RUN_ATTEMPTS = "FL_CLIENT_RUN_ATTEMPTS"
"""Attempts of a run that exits non-zero (``--run-attempts``)."""
ENV_RUN_RETRY_DELAY = "FL_CLIENT_RETRY_DELAY"
"""Seconds before the first retry of a failed run (``--retry-delay``)."""
ENV_CATCH_UP_INTERVAL = "FL_CLIENT_CATCH_UP_INTERVAL"
"""Seconds between asking the server what this participant owes (``--catch-up-interval``)."""

# --------------------------------------------------------------------- unpacking models

ENV_TRUSTED_CLASSES = "FL_CLIENT_TRUSTED_CLASSES"
"""Comma-separated dotted class names allowed when unpickling downloaded models."""
ENV_TRUST_REMOTE_CODE = "FL_CLIENT_TRUST_REMOTE_CODE"
"""``1`` unpickles downloaded models without restriction (unsafe)."""

# --------------------------------------------------------------------- one script run

ENV_ACTION = "FL_CLIENT_ACTION"
"""Set for a script run: ``train``, ``test`` or ``swag``."""
ENV_TRAINING_ID = "FL_CLIENT_TRAINING_ID"
"""Set for a script run: the training."""
ENV_ROUND = "FL_CLIENT_ROUND"
"""Set for a script run: the round."""
ENV_MODEL_ID = "FL_CLIENT_MODEL_ID"
"""Set for a script run: the model to start from."""
ENV_GLOBAL_MODEL_ID = "FL_CLIENT_GLOBAL_MODEL_ID"
"""Set for a script run: the training's global model, when known."""

ENV_PREFIX = "FL_CLIENT_"
"""What fl_client's own names start with."""

RUN_VARIABLES = (ENV_ACTION, ENV_TRAINING_ID, ENV_ROUND, ENV_MODEL_ID, ENV_GLOBAL_MODEL_ID)
"""The variables that describe one script run (set per run, never inherited)."""

SECRET_VARIABLES = (ENV_PASSWORD, ENV_TOKEN, ENV_SHARED_SECRET)
"""Secrets a script never gets: it gets `ENV_AUTHORIZATION` (a token once looked up) instead."""


def credentials_from_env(
    environ: Mapping[str, str] | None = None,
    *,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
) -> dict[str, str]:
    """The credentials given as arguments, completed from the environment.

    Returns the keyword arguments of `fl_client._core.auth.resolve_authorization`: ``{"token": ...}``,
    ``{"username": ..., "password": ...}`` or ``{"authorization": ...}``; ``{}`` when neither the
    arguments nor the environment hold any. Arguments win field by field, so ``username`` with
    `ENV_PASSWORD` is the safe way to keep a password off a command line. A ready
    `ENV_AUTHORIZATION` counts when no argument is given and wins over the environment's other
    credentials: it is what a script started by ``fl-client serve`` gets (which may also inherit
    `ENV_USERNAME`). Empty variables count as unset. ``environ={}`` checks the arguments alone (a
    profile's credentials).

    Raises:
        ConfigurationError: a token together with a user name or password, or one of user name
            and password without the other.
    """
    env = os.environ if environ is None else environ
    if not (username or password or token) and env.get(ENV_AUTHORIZATION):
        return {"authorization": env[ENV_AUTHORIZATION]}
    user = username or env.get(ENV_USERNAME) or None
    secret = password or env.get(ENV_PASSWORD) or None
    key = token or env.get(ENV_TOKEN) or None
    if key is not None:
        if user is not None or secret is not None:
            raise ConfigurationError("give a token or a user name and password, not both")
        return {"token": key}
    if user is None and secret is None:
        return {}
    if user is None or secret is None:
        raise ConfigurationError("a user name needs a password and a password a user name")
    return {"username": user, "password": secret}
