"""Named profiles (server and credentials) in the user's config directory, written with mode 0600.

The file is ``<config dir>/fl-client/config.toml`` (platformdirs: ``$XDG_CONFIG_HOME/fl-client``
on Linux, ``~/Library/Application Support/fl-client`` on macOS, ``%APPDATA%\\fl-client`` on
Windows); ``FL_CLIENT_CONFIG_DIR`` overrides the directory::

    default_profile = "default"

    [profiles.default]
    base_url = "http://fl.example:8000"
    token = "68d2..."

Writes go through a temporary file in the same directory, created 0600, then renamed: a crash
leaves the old file, and the secret is never readable by others, not even for a moment.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from ..env import ENV_CONFIG_DIR
from ..exceptions import ConfigurationError

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILE_KEYS",
    "SECRET_KEYS",
    "ProfileStore",
    "config_path",
    "mask",
]

DEFAULT_PROFILE = "default"
PROFILE_KEYS = ("base_url", "username", "password", "token")
SECRET_KEYS = frozenset({"password", "token"})
_FILE_MODE = 0o600
_DIR_MODE = 0o700


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the profiles live (the file need not exist)."""
    env = os.environ if environ is None else environ
    directory = env.get(ENV_CONFIG_DIR) or platformdirs.user_config_dir("fl-client", appauthor=False)
    return Path(directory) / "config.toml"


def mask(key: str, value: str) -> str:
    """What `config show` prints for a value: secrets as ``***``."""
    return "***" if key in SECRET_KEYS and value else value


def _check_name(name: str) -> str:
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ConfigurationError(f"a profile name is letters, digits, '-', '_' or '.', not {name!r}")
    return name


@dataclass
class ProfileStore:
    """The profiles file: load, change, save atomically with mode 0600."""

    path: Path
    default_profile: str = DEFAULT_PROFILE
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> ProfileStore:
        path = config_path() if path is None else path
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"cannot read the profiles file {str(path)!r}: {exc}") from exc
        raw_profiles = data.get("profiles", {})
        if not isinstance(raw_profiles, dict):
            raise ConfigurationError(f"{str(path)!r}: [profiles] must be a table")
        profiles: dict[str, dict[str, str]] = {}
        for name, values in raw_profiles.items():
            if not isinstance(values, dict):
                raise ConfigurationError(f"{str(path)!r}: [profiles.{name}] must be a table")
            unknown = set(values) - set(PROFILE_KEYS)
            if unknown:
                raise ConfigurationError(
                    f"{str(path)!r}: unknown key(s) {', '.join(sorted(unknown))} in [profiles.{name}]; "
                    f"known: {', '.join(PROFILE_KEYS)}"
                )
            profiles[name] = {key: str(value) for key, value in values.items()}
        default = data.get("default_profile", DEFAULT_PROFILE)
        return cls(path, default_profile=str(default), profiles=profiles)

    def get(self, name: str) -> dict[str, str]:
        return dict(self.profiles.get(name, {}))

    def set(self, name: str, key: str, value: str) -> None:
        _check_key(key)
        self.profiles.setdefault(_check_name(name), {})[key] = value

    def unset(self, name: str, key: str) -> bool:
        _check_key(key)
        found = self.profiles.get(name, {}).pop(key, None) is not None
        if name in self.profiles and not self.profiles[name]:
            del self.profiles[name]
        return found

    def render(self) -> str:
        lines = [
            "# fl-client profiles, written by `fl-client config set`. Holds secrets: keep it mode 0600.",
            f"default_profile = {_toml_string(self.default_profile)}",
        ]
        for name in sorted(self.profiles):
            lines += ["", f"[profiles.{_toml_string(name)}]"]
            lines += [f"{key} = {_toml_string(value)}" for key, value in sorted(self.profiles[name].items())]
        return "\n".join(lines) + "\n"

    def save(self) -> None:
        """Write the file atomically, mode 0600 (its directory 0700 when created)."""
        self.path.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _FILE_MODE)
        try:
            os.fchmod(fd, _FILE_MODE)  # the umask may have cleared bits; never widen, always exactly 0600
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(self.render())
            os.replace(partial, self.path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise


def _toml_string(value: str) -> str:
    # a JSON string is a TOML basic string, except that TOML wants DEL escaped too
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _check_key(key: str) -> None:
    if key not in PROFILE_KEYS:
        raise ConfigurationError(f"unknown setting {key!r}; known: {', '.join(PROFILE_KEYS)}")
