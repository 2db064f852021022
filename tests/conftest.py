"""Fixtures every test can use: the contract, a contract-checking HTTP server, a private CLI config.

The helpers behind them live in tests/support/ (see its package docstring); test modules import
from there, never from each other.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from support.contract import Contract
from support.contract_server import ContractServer

from fl_client.testing import free_port

# the emulator's fixtures (emulator, contract_checker, sink), the resource clients' fixtures (mode,
# clients), and the suite's own checks (files left in the repository, processes in fast tests)
pytest_plugins = ["support.emulator", "support.resources", "support.guards"]


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract()


@pytest.fixture
def api(httpserver: HTTPServer, contract: Contract) -> Iterator[ContractServer]:
    server = ContractServer(httpserver, contract)
    yield server
    assert not server.violations, "\n".join(server.violations)
    httpserver.check_assertions()


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    return free_port()


@pytest.fixture(autouse=True)
def _private_cli_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`fl-client` profiles live in a temporary folder: no test reads or writes the user's own."""
    monkeypatch.setenv("FL_CLIENT_CONFIG_DIR", str(tmp_path_factory.mktemp("fl-client-config")))
    monkeypatch.delenv("FL_CLIENT_PROFILE", raising=False)
