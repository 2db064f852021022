"""What every command shares: exit codes and credential options."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from .._core.auth import resolve_authorization
from ..exceptions import ConfigurationError

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_credentials",
    "authorization_from",
]

EXIT_OK = 0
EXIT_ERROR = 1  # a configuration or runtime error, explained on stderr
EXIT_USAGE = 2  # bad command line (argparse's own code)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


def add_credentials(add: Callable[..., Any]) -> None:
    """--username/--password or --token, with their environment variables."""
    add("--username", help="user name for Basic auth (env FL_CLIENT_USERNAME)")
    add(
        "--password",
        help="password (env FL_CLIENT_PASSWORD; prefer the variable: options show in the process list)",
    )
    add("--token", help="API token instead of user name and password (env FL_CLIENT_TOKEN)")


def authorization_from(args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    username = args.username or env.get("FL_CLIENT_USERNAME") or None
    password = args.password or env.get("FL_CLIENT_PASSWORD") or None
    token = args.token or env.get("FL_CLIENT_TOKEN") or None
    if username is None and password is None and token is None:
        return None
    if token is not None and (username is not None or password is not None):
        raise ConfigurationError("give a token or a user name and password, not both")
    if token is None and (username is None or password is None):
        raise ConfigurationError("a user name needs a password and a password a user name")
    return resolve_authorization(username=username, password=password, token=token)
