"""``fl-client config``: named profiles (server and credentials) in the user's config directory."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..defaults import DEFAULT_BASE_URL
from ..env import ENV_BASE_URL, ENV_PASSWORD, ENV_PROFILE, ENV_TOKEN, ENV_USERNAME
from ..exceptions import ConfigurationError
from ..exit_codes import ExitCode
from ._output import info, json_option, print_json, print_table
from ._profiles import DEFAULT_PROFILE, PROFILE_KEYS, SECRET_KEYS, ProfileStore, config_path, mask

__all__ = ["config_group"]

_ENV_NAMES = {
    "base_url": ENV_BASE_URL,
    "username": ENV_USERNAME,
    "password": ENV_PASSWORD,
    "token": ENV_TOKEN,
}

_profile_option = click.option(
    "--profile",
    metavar="NAME",
    help=f"the profile (env {ENV_PROFILE}; default: the file's default_profile)",
)


def _selected(store: ProfileStore, profile: str | None) -> str:
    return profile or os.environ.get(ENV_PROFILE) or store.default_profile or DEFAULT_PROFILE


@click.group("config", short_help="named profiles: server and credentials (file mode 0600)")
def config_group() -> None:
    """Profiles in the user's config directory (FL_CLIENT_CONFIG_DIR overrides it).

    Precedence for every command: flags > environment > profile > defaults.
    """


@config_group.command("set")
@click.argument("key", type=click.Choice(PROFILE_KEYS))
@click.argument("value", required=False)
@_profile_option
def set_command(key: str, value: str | None, profile: str | None) -> int:
    """Set KEY to VALUE in a profile. Without VALUE, it is asked for (hidden for password and
    token: a value on the command line shows in the process list and the shell history)."""
    store = ProfileStore.load()
    name = _selected(store, profile)
    if value is None:
        if not sys.stdin.isatty():
            value = sys.stdin.readline().rstrip("\r\n")
        else:
            value = click.prompt(key, hide_input=key in SECRET_KEYS)
    if not value:
        raise ConfigurationError(f"an empty {key} is not a value; use `fl-client config unset {key}`")
    if key == "token":
        from .._core.auth import token_authorization

        token_authorization(value)  # refuse a malformed token now, not at the first request
    store.set(name, key, value)
    if len(store.profiles) == 1:  # the first profile is the default one
        store.default_profile = name
    store.save()
    info(f"{key} set in profile {name!r} ({store.path})")
    return ExitCode.OK


@config_group.command("unset")
@click.argument("key", type=click.Choice(PROFILE_KEYS))
@_profile_option
def unset_command(key: str, profile: str | None) -> int:
    """Remove KEY from a profile."""
    store = ProfileStore.load()
    name = _selected(store, profile)
    if store.unset(name, key):
        store.save()
        info(f"{key} removed from profile {name!r}")
    else:
        info(f"{key} was not set in profile {name!r}")
    return ExitCode.OK


@config_group.command("use")
@click.argument("name")
def use_command(name: str) -> int:
    """Make NAME the default profile."""
    store = ProfileStore.load()
    if name not in store.profiles:
        raise ConfigurationError(
            f"no profile {name!r}; profiles: {', '.join(sorted(store.profiles)) or 'none'}"
        )
    store.default_profile = name
    store.save()
    info(f"default profile: {name}")
    return ExitCode.OK


@config_group.command("show")
@_profile_option
@json_option
def show_command(profile: str | None, as_json: bool) -> int:
    """The settings in effect, each with its source (flag, env, profile, default); secrets masked.

    JSON: {"profile": NAME, "path": FILE, "settings": {KEY: {"value": ..., "source": ...}}}.
    """
    store = ProfileStore.load()
    name = _selected(store, profile)
    saved = store.get(name)
    settings: dict[str, dict[str, str | None]] = {}
    for key in PROFILE_KEYS:
        env_value = os.environ.get(_ENV_NAMES[key]) or None
        if env_value is not None:
            value, source = env_value, f"env {_ENV_NAMES[key]}"
        elif key in saved:
            value, source = saved[key], f"profile {name}"
        elif key == "base_url":
            value, source = DEFAULT_BASE_URL, "default"
        else:
            value, source = None, "unset"
        settings[key] = {"value": None if value is None else mask(key, value), "source": source}
    if as_json:
        print_json({"profile": name, "path": str(store.path), "settings": settings})
        return ExitCode.OK
    info(f"profile {name} ({store.path})")
    print_table(
        ["setting", "value", "source"],
        [(key, entry["value"] or "-", entry["source"]) for key, entry in settings.items()],
    )
    return ExitCode.OK


@config_group.command("ls")
@json_option
def ls_command(as_json: bool) -> int:
    """The profiles, the default marked. JSON: [{"name", "default", "base_url", "keys"}]."""
    store = ProfileStore.load()
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "default": name == store.default_profile,
            "base_url": values.get("base_url"),
            "keys": sorted(values),
        }
        for name, values in sorted(store.profiles.items())
    ]
    if as_json:
        print_json(rows)
        return ExitCode.OK
    print_table(
        ["", "profile", "base_url", "keys"],
        [("*" if r["default"] else "", r["name"], r["base_url"] or "-", ", ".join(r["keys"])) for r in rows],
    )
    return ExitCode.OK


@config_group.command("path")
def path_command() -> int:
    """Print the profiles file's path."""
    click.echo(str(config_path()))
    return ExitCode.OK
