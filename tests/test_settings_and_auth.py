"""Settings from the environment, and the credential helpers."""

from __future__ import annotations

import pytest
from support.values import BASIC, SECRET, TOKEN

from fl_client import ConfigurationError, Settings, basic_authorization, token_authorization
from fl_client._core.auth import AuthorizationHeader, redact, resolve_authorization


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.base_url == "http://localhost:8000"
    assert (settings.server_host, settings.server_port) == ("0.0.0.0", 8101)
    assert settings.script_path is None and settings.trusted_classes == ()
    assert settings.trust_remote_code is False


def test_reference_variable_names() -> None:
    settings = Settings.from_env(
        {
            "FL_DEMONSTRATOR_BASE_URL": "https://fl.example.com/",
            "FL_DEMONSTRATOR_TRAINING_SCRIPT_EXECUTOR": "python3",
            "FL_DEMONSTRATOR_TRAINING_SCRIPT_PATH": "train.py",
            "FL_DEMONSTRATOR_TRAINING_WORKING_DIRETORY": "/srv/work",
            "FL_CLIENT_SERVER_HOST": "127.0.0.1",
            "FL_CLIENT_SERVER_PORT": "9000",
            "FL_CLIENT_TRUSTED_CLASSES": "a.B, c.D",
            "FL_CLIENT_TRUST_REMOTE_CODE": "1",
        }
    )
    assert settings.base_url == "https://fl.example.com"
    assert settings.script_executor == "python3" and settings.script_path == "train.py"
    assert settings.working_directory == "/srv/work"
    assert (settings.server_host, settings.server_port) == ("127.0.0.1", 9000)
    assert settings.trusted_classes == ("a.B", "c.D") and settings.trust_remote_code is True


def test_correctly_spelled_working_directory_is_accepted() -> None:
    assert Settings.from_env({"FL_DEMONSTRATOR_TRAINING_WORKING_DIRECTORY": "/w"}).working_directory == "/w"


@pytest.mark.parametrize("port", ["http", "-1", "70000"])
def test_bad_port_is_a_configuration_error(port: str) -> None:
    with pytest.raises(ConfigurationError, match="FL_CLIENT_SERVER_PORT"):
        Settings.from_env({"FL_CLIENT_SERVER_PORT": port})


def test_authorization_values() -> None:
    assert basic_authorization("alice", SECRET) == BASIC
    assert token_authorization(TOKEN) == f"Token {TOKEN}"
    assert token_authorization(f"Token {TOKEN}") == f"Token {TOKEN}"
    with pytest.raises(ConfigurationError, match="40"):
        token_authorization("Bearer abc")


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"authorization": BASIC, "token": TOKEN}, {"username": "alice"}, {"authorization": " "}],
)
def test_exactly_one_credential(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        resolve_authorization(**kwargs)


def test_redaction() -> None:
    assert redact(BASIC) == "Basic ***"
    assert redact(f"Token {TOKEN}") == "Token ***"
    assert redact(None) == "<none>"
    assert SECRET not in repr(AuthorizationHeader(BASIC))
