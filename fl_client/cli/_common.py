"""What every command shares: the error -> exit code table, and the server options.

Exit codes are `fl_client.exit_codes.ExitCode` (documented in the README and in ``fl-client --help``);
`exit_code_for` maps an error to one.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .._core.auth import resolve_authorization
from ..defaults import DEFAULT_BASE_URL
from ..env import ENV_BASE_URL, ENV_PASSWORD, ENV_PROFILE, ENV_TOKEN, ENV_USERNAME, credentials_from_env
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
from ..exit_codes import ExitCode
from ._profiles import DEFAULT_PROFILE, ProfileStore

if TYPE_CHECKING:
    from ..client import FLClient

__all__ = [
    "Target",
    "api_options",
    "exit_code_for",
    "resolve_target",
    "unresolved_api_options",
]

# Most specific first: the first class the error is an instance of decides.
_EXIT_CODES: tuple[tuple[type[FLClientError], ExitCode], ...] = (
    (ConfigurationError, ExitCode.ERROR),
    (ModelTooLargeError, ExitCode.REJECTED),  # refused before sending what the server would refuse
    (AuthenticationError, ExitCode.AUTH),
    (PermissionDeniedError, ExitCode.AUTH),
    (NotFoundError, ExitCode.NOT_FOUND),
    (InternalServerError, ExitCode.SERVER),
    (APIConnectionError, ExitCode.NETWORK),
    (APIResponseValidationError, ExitCode.SERVER),
    (APIStatusError, ExitCode.REJECTED),
)


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code of an error: usage errors, then the table above, else `ExitCode.ERROR`."""
    if isinstance(error, click.UsageError):
        return ExitCode.USAGE
    for cls, code in _EXIT_CODES:
        if isinstance(error, cls):
            return code
    return ExitCode.ERROR


@dataclass(frozen=True)
class Target:
    """The server and credentials a command talks to, after flags > environment > profile > defaults."""

    base_url: str
    authorization: str | None
    profile: str

    def require_authorization(self) -> str:
        if self.authorization is None:
            raise ConfigurationError(
                f"no credentials: give --token or --username/--password, set {ENV_TOKEN} "
                f"(or {ENV_USERNAME}/{ENV_PASSWORD}), or run `fl-client config set token "
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
    ``FL_CLIENT_PASSWORD`` is the safe way: options show in the process list;
    `fl_client.env.credentials_from_env`); the profile's credentials count only when neither gave any.
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
    url = (base_url or env.get(ENV_BASE_URL) or saved.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
    credentials = credentials_from_env(env, username=username, password=password, token=token)
    if not credentials:  # neither flags nor environment gave any: the profile's
        credentials = credentials_from_env(
            {}, username=saved.get("username"), password=saved.get("password"), token=saved.get("token")
        )
    if not credentials:
        return Target(base_url=url, authorization=None, profile=name)
    return Target(base_url=url, authorization=resolve_authorization(**credentials), profile=name)


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

    return unresolved_api_options(wrapper)  # type: ignore[return-value]


def unresolved_api_options(func: F) -> F:
    """The options of `api_options`, passed as they were given (``profile``, ``base_url``,
    ``username``, ``password``, ``token``; None where not given): for a command that resolves
    them itself with `resolve_target` (``doctor`` reports a bad configuration as a check)."""
    options = [
        click.option(
            "--profile",
            metavar="NAME",
            help=f"the profile to use (env {ENV_PROFILE}; default: the file's default_profile)",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            help=f"the server (env {ENV_BASE_URL}; then the profile; default {DEFAULT_BASE_URL})",
        ),
        click.option("--username", help=f"user name for Basic auth (env {ENV_USERNAME})"),
        click.option(
            "--password",
            help=f"password (env {ENV_PASSWORD}; prefer the variable or a profile: options show in the process list)",
        ),
        click.option("--token", help=f"API token instead of user name and password (env {ENV_TOKEN})"),
    ]
    decorated: Any = func
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
