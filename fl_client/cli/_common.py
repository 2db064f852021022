"""What every command shares: exit codes, the error -> exit code table, and the server options.

Exit codes (documented in the README and in ``fl-client --help``):

====  =================  =====================================================================
code  name               when
====  =================  =====================================================================
0     EXIT_OK            done
1     EXIT_ERROR         configuration (missing credentials, bad profile, missing file) or
                         any other error
2     EXIT_USAGE         bad command line: unknown command or option, bad value
3     EXIT_AUTH          401/403: credentials wrong, or not allowed
4     EXIT_NOT_FOUND     the object does not exist (400 "... not found." or 404)
5     EXIT_REJECTED      the server refused the request (other 400, 405, 409, 429, ...), or
                         would: a model larger than it can store (refused unsent)
6     EXIT_SERVER        5xx, or an answer that breaks the contract
7     EXIT_NETWORK       no answer: refused, reset, DNS, TLS, timeout
8     EXIT_FAILED        ``trainings watch``: the training ended in state ERROR
9     EXIT_STALLED       ``trainings watch``: nothing changed within ``--stall-timeout``
====  =================  =====================================================================
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .._core.auth import resolve_authorization
from .._core.config import DEFAULT_BASE_URL
from ..exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    FLClientError,
    InternalServerError,
    ModelTooLargeError,
    NotFoundError,
    PermissionDeniedError,
)
from ._profiles import DEFAULT_PROFILE, ProfileStore

if TYPE_CHECKING:
    from ..client import FLClient

__all__ = [
    "ENV_PROFILE",
    "EXIT_AUTH",
    "EXIT_ERROR",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_SERVER",
    "EXIT_STALLED",
    "EXIT_USAGE",
    "Target",
    "api_options",
    "exit_code_for",
    "resolve_target",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_REJECTED = 5
EXIT_SERVER = 6
EXIT_NETWORK = 7
EXIT_FAILED = 8
EXIT_STALLED = 9
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)

ENV_PROFILE = "FL_CLIENT_PROFILE"
ENV_BASE_URL = "FL_DEMONSTRATOR_BASE_URL"

# Most specific first: the first class the error is an instance of decides.
_EXIT_CODES: tuple[tuple[type[FLClientError], int], ...] = (
    (ConfigurationError, EXIT_ERROR),
    (ModelTooLargeError, EXIT_REJECTED),  # refused before sending what the server would refuse
    (AuthenticationError, EXIT_AUTH),
    (PermissionDeniedError, EXIT_AUTH),
    (NotFoundError, EXIT_NOT_FOUND),
    (InternalServerError, EXIT_SERVER),
    (APIConnectionError, EXIT_NETWORK),
    (APIResponseValidationError, EXIT_SERVER),
    (APIStatusError, EXIT_REJECTED),
)


def exit_code_for(error: BaseException) -> int:
    """The exit code of an error (the table in this module's docstring)."""
    if isinstance(error, click.UsageError):
        return EXIT_USAGE
    for cls, code in _EXIT_CODES:
        if isinstance(error, cls):
            return code
    return EXIT_ERROR


@dataclass(frozen=True)
class Target:
    """The server and credentials a command talks to, after flags > environment > profile > defaults."""

    base_url: str
    authorization: str | None
    profile: str

    def require_authorization(self) -> str:
        if self.authorization is None:
            raise ConfigurationError(
                "no credentials: give --token or --username/--password, set FL_CLIENT_TOKEN "
                f"(or FL_CLIENT_USERNAME/FL_CLIENT_PASSWORD), or run `fl-client config set token "
                f"--profile {self.profile}`"
            )
        return self.authorization

    def client(self, **options: Any) -> FLClient:
        """An `FLClient` for this target (credentials required)."""
        from ..client import FLClient

        return FLClient(base_url=self.base_url, authorization=self.require_authorization(), **options)


def resolve_target(
    *,
    profile: str | None = None,
    base_url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """Flags (the arguments) > environment > the profile > defaults.

    Credentials from flags and environment combine field by field (``--username`` with
    ``FL_CLIENT_PASSWORD`` is the safe way: options show in the process list); the profile's
    credentials count only when neither gave any.
    """
    env = os.environ if environ is None else environ
    explicit = profile or env.get(ENV_PROFILE) or None
    store = ProfileStore.load()
    name = explicit or store.default_profile or DEFAULT_PROFILE
    if explicit and explicit not in store.profiles:
        raise ConfigurationError(
            f"no profile {explicit!r} in {str(store.path)!r}; create it with "
            f"`fl-client config set base_url URL --profile {explicit}`"
        )
    saved = store.get(name)
    url = base_url or env.get(ENV_BASE_URL) or saved.get("base_url") or DEFAULT_BASE_URL
    user = username or env.get("FL_CLIENT_USERNAME") or None
    secret = password or env.get("FL_CLIENT_PASSWORD") or None
    key = token or env.get("FL_CLIENT_TOKEN") or None
    ready = None
    if user is None and secret is None and key is None:
        ready = env.get("FL_CLIENT_AUTHORIZATION") or None
        if ready is None:
            user, secret, key = saved.get("username"), saved.get("password"), saved.get("token")
    if ready is not None:
        return Target(base_url=url.rstrip("/"), authorization=ready, profile=name)
    if user is None and secret is None and key is None:
        return Target(base_url=url.rstrip("/"), authorization=None, profile=name)
    if key is not None and (user is not None or secret is not None):
        raise ConfigurationError("give a token or a user name and password, not both")
    if key is None and (user is None or secret is None):
        raise ConfigurationError("a user name needs a password and a password a user name")
    authorization = resolve_authorization(username=user, password=secret, token=key)
    return Target(base_url=url.rstrip("/"), authorization=authorization, profile=name)


F = TypeVar("F", bound=Callable[..., Any])


def api_options(func: F) -> F:
    """Add ``--profile``, ``--base-url``, ``--username``, ``--password`` and ``--token`` to a command;
    it receives them resolved as ``target: Target``."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        profile: str | None,
        base_url: str | None,
        username: str | None,
        password: str | None,
        token: str | None,
        **kwargs: Any,
    ) -> Any:
        kwargs["target"] = resolve_target(
            profile=profile, base_url=base_url, username=username, password=password, token=token
        )
        return func(*args, **kwargs)

    options = [
        click.option(
            "--profile",
            metavar="NAME",
            help="the profile to use (env FL_CLIENT_PROFILE; default: the file's default_profile)",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            help=f"the server (env {ENV_BASE_URL}; then the profile; default {DEFAULT_BASE_URL})",
        ),
        click.option("--username", help="user name for Basic auth (env FL_CLIENT_USERNAME)"),
        click.option(
            "--password",
            help="password (env FL_CLIENT_PASSWORD; prefer the variable or a profile: options show in the process list)",
        ),
        click.option("--token", help="API token instead of user name and password (env FL_CLIENT_TOKEN)"),
    ]
    decorated: Any = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
