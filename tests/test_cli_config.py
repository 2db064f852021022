"""``fl-client config``, profiles and precedence, and the error -> exit code table."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from support.cli import cli_env, run_cli

from fl_client import ExitCode, exceptions
from fl_client.cli import exit_code_for

TOKEN = "68d2b5cbb1c9c2a5f7a9e0f6a3d1c4b5e6f7a8b9"
OTHER_TOKEN = "0" * 40


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "config")


@pytest.mark.slow
def test_config_file_is_written_0600_and_secrets_are_masked(env: dict[str, str], tmp_path: Path) -> None:
    assert run_cli("config", "set", "base_url", "http://fl.example:8000", env=env).code == 0
    # a secret without a value on the command line is read from stdin (a hidden prompt on a terminal)
    assert run_cli("config", "set", "token", env=env, input=TOKEN + "\n").code == 0
    path = tmp_path / "config" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run_cli("config", "path", env=env).out.strip() == str(path)
    shown = run_cli("config", "show", env=env)
    assert shown.code == 0 and TOKEN not in shown.out + shown.err and "***" in shown.out
    data = run_cli("config", "show", "--json", env=env).json()
    assert data["profile"] == "default" and data["path"] == str(path)
    assert data["settings"]["token"] == {"value": "***", "source": "profile default"}
    assert data["settings"]["base_url"] == {"value": "http://fl.example:8000", "source": "profile default"}
    assert data["settings"]["password"] == {"value": None, "source": "unset"}


@pytest.mark.slow
def test_named_profiles_and_precedence(env: dict[str, str]) -> None:
    run_cli("config", "set", "base_url", "http://a:1", env=env)
    assert run_cli("config", "set", "base_url", "http://prod:8000", "--profile", "prod", env=env).code == 0
    listed = run_cli("config", "ls", "--json", env=env).json()
    assert [(p["name"], p["default"]) for p in listed] == [("default", True), ("prod", False)]
    prod = run_cli("config", "show", "--profile", "prod", "--json", env=env).json()
    assert prod["settings"]["base_url"]["value"] == "http://prod:8000"
    assert run_cli("config", "use", "prod", env=env).code == 0
    assert run_cli("config", "show", "--json", env=env).json()["profile"] == "prod"
    # environment beats the profile
    with_env = run_cli(
        "config", "show", "--json", env={**env, "FL_DEMONSTRATOR_BASE_URL": "http://env:2"}
    ).json()
    assert with_env["settings"]["base_url"] == {
        "value": "http://env:2",
        "source": "env FL_DEMONSTRATOR_BASE_URL",
    }
    # FL_CLIENT_PROFILE selects a profile like --profile
    assert (
        run_cli("config", "show", "--json", env={**env, "FL_CLIENT_PROFILE": "default"}).json()["profile"]
        == "default"
    )


def test_resolve_target_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fl_client._core.auth import basic_authorization, token_authorization
    from fl_client.cli._common import resolve_target
    from fl_client.cli._profiles import ProfileStore, config_path

    store = ProfileStore(config_path())
    store.set("default", "base_url", "http://profile:1")
    store.set("default", "token", TOKEN)
    store.save()
    assert resolve_target(environ={}).authorization == token_authorization(TOKEN)
    assert resolve_target(environ={}).base_url == "http://profile:1"
    env = {"FL_DEMONSTRATOR_BASE_URL": "http://env:2/", "FL_CLIENT_TOKEN": OTHER_TOKEN}
    assert resolve_target(environ=env) == resolve_target(environ=env)
    assert resolve_target(environ=env).base_url == "http://env:2"
    assert resolve_target(environ=env).authorization == token_authorization(OTHER_TOKEN)
    flags = resolve_target(
        base_url="http://flag:3",
        username="u",
        environ={**env, "FL_CLIENT_TOKEN": "", "FL_CLIENT_PASSWORD": "p"},
    )
    assert flags.base_url == "http://flag:3" and flags.authorization == basic_authorization("u", "p")
    # the environment fl-client serve gives a script: the same reading as FLClient.from_env
    script_env = {"FL_CLIENT_AUTHORIZATION": f"Token {OTHER_TOKEN}", "FL_CLIENT_USERNAME": "alice"}
    assert resolve_target(environ=script_env).authorization == f"Token {OTHER_TOKEN}"
    with pytest.raises(exceptions.ConfigurationError, match="no profile 'nope'"):
        resolve_target(profile="nope", environ={})


@pytest.mark.slow
def test_bad_profile_and_bad_values_are_clear_errors(env: dict[str, str], tmp_path: Path) -> None:
    bad = run_cli("config", "set", "token", "not-a-token", env=env)
    assert bad.code == ExitCode.ERROR and "40 lower-case hex" in bad.err and "Traceback" not in bad.err
    assert not (tmp_path / "config" / "config.toml").exists()
    assert run_cli("config", "set", "colour", "red", env=env).code == ExitCode.USAGE
    missing = run_cli("download", "35331953-e6bf-4a47-bba6-a821465254db", "-o", str(tmp_path / "m"),
                      "--profile", "nope", env=env)  # fmt: skip
    assert missing.code == ExitCode.ERROR and "no profile 'nope'" in missing.err
    (tmp_path / "config" / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text("[profiles.x]\ncolour = 'red'\n")
    broken = run_cli("config", "show", env=env)
    assert broken.code == ExitCode.ERROR and "unknown key(s) colour" in broken.err


@pytest.mark.slow
def test_usage_errors_exit_2(env: dict[str, str]) -> None:
    assert run_cli("nope", env=env).code == ExitCode.USAGE
    assert run_cli("download", "not-a-uuid", "-o", "x", env=env).code == ExitCode.USAGE
    assert run_cli(env=env).code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (exceptions.ConfigurationError("x"), ExitCode.ERROR),
        (exceptions.ModelSerializationError("x"), ExitCode.ERROR),
        (exceptions.AuthenticationError("x"), ExitCode.AUTH),
        (exceptions.PermissionDeniedError("x"), ExitCode.AUTH),
        (exceptions.NotFoundError("x"), ExitCode.NOT_FOUND),
        (exceptions.BadRequestError("x"), ExitCode.REJECTED),
        (exceptions.RateLimitError("x"), ExitCode.REJECTED),
        (exceptions.UnexpectedStatusError("x"), ExitCode.REJECTED),
        (exceptions.InternalServerError("x"), ExitCode.SERVER),
        (exceptions.APIResponseValidationError("x"), ExitCode.SERVER),
        (exceptions.APIConnectionError("x"), ExitCode.NETWORK),
        (exceptions.APITimeoutError("x"), ExitCode.NETWORK),
        (
            exceptions.operation_error(exceptions.ModelDownloadException, exceptions.NotFoundError("x")),
            ExitCode.NOT_FOUND,
        ),
    ],
)
def test_every_error_class_has_its_exit_code(error: exceptions.FLClientError, code: int) -> None:
    assert exit_code_for(error) == code
