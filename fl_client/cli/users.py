"""``fl-client users``: create, show, me, ls."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click
from fl_demonstrator_api.models import User, UserCreate

from ..env import ENV_BASE_URL, ENV_PROFILE
from ..exceptions import APIResponseValidationError
from ..exit_codes import ExitCode
from ._common import Target, api_options, resolve_target
from ._output import info, json_option, print_json, print_table

__all__ = ["users_group"]

_USER_COLUMNS = ("id", "username", "actor", "client", "message_endpoint")


def _create_anonymous(base_url: str, **fields: Any) -> User:
    """``POST /api/users/`` without an Authorization header: the one call the server allows
    anonymously (a made-up token would be answered 401 before the view runs)."""
    from fl_demonstrator_api.api.users import create_user
    from fl_demonstrator_api.client import Client

    from .._core.http import DEFAULT_TIMEOUT, call

    with Client(base_url=base_url, timeout=DEFAULT_TIMEOUT) as client:
        response = call(
            lambda: create_user.sync_detailed(client=client, body=UserCreate(**fields)),
            operation="create user",
            method="POST",
            path="/api/users/",
            expected={201},
        )
    if not isinstance(response.parsed, User):
        raise APIResponseValidationError("create user: the answer is not a user", response=None)
    return response.parsed


def _row(user: object) -> list[object]:
    return [getattr(user, name, "") for name in _USER_COLUMNS]


@click.group("users", short_help="users: create one, show one, who am I, list")
def users_group() -> None:
    """Users of the platform. An actor creates trainings; a client (participant) trains."""


@users_group.command("create")
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="the new user's password (asked for, hidden, when not given)",
)
@click.option("--actor", is_flag=True, help="may create and start trainings")
@click.option("--client", "is_client", is_flag=True, help="takes part in trainings (a participant)")
@click.option("--message-endpoint", default="", metavar="URL", help="where the server notifies a client")
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--email", default="")
@click.option("--profile", metavar="NAME", help=f"the profile whose server to use (env {ENV_PROFILE})")
@click.option("--base-url", metavar="URL", help=f"the server (env {ENV_BASE_URL}; then the profile)")
@json_option
def create_command(
    profile: str | None,
    base_url: str | None,
    as_json: bool,
    username: str,
    password: str,
    actor: bool,
    is_client: bool,
    message_endpoint: str,
    first_name: str,
    last_name: str,
    email: str,
) -> int:
    """Create a user; the only call that needs no credentials, and none are sent. Prints the new
    user's id; its API token is in the --json output only (store it with `fl-client config set token`)."""
    fields: dict[str, Any] = {
        "actor": actor,
        "client": is_client,
        "message_endpoint": message_endpoint,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
    }
    url = resolve_target(profile=profile, base_url=base_url).base_url
    user = _create_anonymous(url, username=username, password=password, **fields)
    if as_json:
        print_json(user)
    else:
        click.echo(str(user.id))
        info(f"user {user.username!r} created (its token: `--json` prints it once)")
    return ExitCode.OK


@users_group.command("me")
@api_options
@json_option
def me_command(target: Target, as_json: bool) -> int:
    """The user the credentials belong to."""
    with target.client() as api:
        user = api.users.me()
    if as_json:
        print_json(user)
    else:
        print_table(_USER_COLUMNS, [_row(user)])
    return ExitCode.OK


@users_group.command("show")
@click.argument("user_id", type=click.UUID)
@api_options
@json_option
def show_command(target: Target, as_json: bool, user_id: UUID) -> int:
    """One user (the token appears only for yourself, and only with --json)."""
    with target.client() as api:
        user = api.users.get(user_id)
    if as_json:
        print_json(user)
    else:
        print_table(_USER_COLUMNS, [_row(user)])
    return ExitCode.OK


@users_group.command("ls")
@api_options
@json_option
def ls_command(target: Target, as_json: bool) -> int:
    """All users."""
    with target.client() as api:
        users = api.users.list()
    if as_json:
        print_json(users)
    else:
        print_table(_USER_COLUMNS, [_row(user) for user in users])
    return ExitCode.OK
