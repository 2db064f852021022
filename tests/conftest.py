"""Shared fixtures: the contract, and a pytest-httpserver that checks traffic against it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from contract import Contract, ContractViolation
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

# the emulator's fixtures (emulator, contract_checker, sink) live in their own module
pytest_plugins = ["emulator_support", "resource_support"]

# Tests write only to temporary folders. Ignored files do not show in `git status`, so the session
# compares the repository's files before and after, and fails when a test left something behind.
REPOSITORY = Path(__file__).resolve().parent.parent
_TOOL_DIRS = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
_files_before: set[str] = set()


def _repository_files() -> set[str]:
    found: set[str] = set()
    for folder, dirs, files in os.walk(REPOSITORY):
        dirs[:] = [d for d in dirs if d not in _TOOL_DIRS and not d.endswith(".egg-info")]
        found.update(os.path.relpath(os.path.join(folder, name), REPOSITORY) for name in files)
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    _files_before.update(_repository_files())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    left = sorted(_repository_files() - _files_before)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"tests left files in the repository (write to tmp_path instead): {', '.join(left[:10])}"
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


BASIC = "Basic YWxpY2U6czNjcjN0LXBhc3N3b3Jk"  # alice:s3cr3t-password
SECRET = "s3cr3t-password"
TOKEN = "68d2d144d087e03784e102f5f9c5e6efcb20f64e"
CLIENT_ID = "1da54bb8-9d1f-4a3c-8d7e-0f6e2f2b9a11"
TRAINING_ID = "600355d0-f7b4-421f-9123-7a133d558bd8"
MODEL_ID = "35331953-e6bf-4a47-bba6-a821465254db"
OTHER_MODEL_ID = "fe57e5c4-2c1e-4a5e-9a57-1b0a3c8d9e10"


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract()


@dataclass
class ContractServer:
    """A pytest-httpserver whose every request and canned answer is checked against the contract.

    ``expect(...)`` registers one answer; requests that match no expectation fail the test, and so
    does any request or answer the OpenAPI document does not allow.
    """

    server: HTTPServer
    contract: Contract
    violations: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def expect(
        self,
        method: str,
        path: str,
        *,
        status: int,
        json_body: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
    ) -> None:
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"

        def handler(request: Request) -> Response:
            self.requests.append(request)
            self._check_request(request)
            response = Response(body or b"", status=status, content_type=content_type, headers=headers)
            self._check_response(request, response)
            return response

        if times is None:
            self.server.expect_request(path, method=method).respond_with_handler(handler)
        else:
            for _ in range(times):
                self.server.expect_ordered_request(path, method=method).respond_with_handler(handler)

    def _check_request(self, request: Request) -> None:
        try:
            self.contract.validate_request(
                request.method,
                request.url,
                headers=dict(request.headers),
                body=request.get_data(),
                query=request.args.to_dict(),
            )
        except ContractViolation as exc:
            self.violations.append(f"request: {exc}")

    def _check_response(self, request: Request, response: Response) -> None:
        try:
            self.contract.validate_response(
                request.method,
                request.url,
                request_headers=dict(request.headers),
                status=response.status_code,
                content_type=response.content_type,
                body=response.get_data(),
                headers=dict(response.headers),
            )
        except ContractViolation as exc:
            self.violations.append(f"canned response: {exc}")


@pytest.fixture
def api(httpserver: HTTPServer, contract: Contract) -> Iterator[ContractServer]:
    server = ContractServer(httpserver, contract)
    yield server
    assert not server.violations, "\n".join(server.violations)
    httpserver.check_assertions()


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _private_cli_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`fl-client` profiles live in a temporary folder: no test reads or writes the user's own."""
    monkeypatch.setenv("FL_CLIENT_CONFIG_DIR", str(tmp_path_factory.mktemp("fl-client-config")))
    monkeypatch.delenv("FL_CLIENT_PROFILE", raising=False)
