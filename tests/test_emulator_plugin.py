"""The ``fl_server`` fixture, as a user's own test suite gets it through the pytest11 entry point."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from fl_client.testing import FLEmulator


def test_fl_server_fixture_is_a_running_emulator(fl_server: FLEmulator) -> None:
    assert fl_server.running
    user = fl_server.create_user("someone")
    response = httpx.get(
        f"{fl_server.url}/api/users/myself/", headers={"Authorization": user.authorization}, trust_env=False
    )
    assert response.json()["username"] == "someone"


def test_emulator_stops_and_frees_its_port() -> None:
    server = FLEmulator().start()
    url = server.url
    server.stop()
    server.stop()  # twice is fine
    assert not server.running
    try:
        httpx.get(f"{url}/api/users/", trust_env=False, timeout=2)
    except httpx.ConnectError:
        return
    raise AssertionError("the emulator still answers after stop()")


@pytest.mark.slow
def test_import_does_not_import_torch() -> None:
    code = "import sys, fl_client.testing, fl_client.testing.pytest_plugin; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"


@pytest.mark.slow
def test_a_users_suite_gets_fl_server_from_the_entry_point(tmp_path: Path) -> None:
    (tmp_path / "test_user_suite.py").write_text(
        textwrap.dedent(
            """
            def test_uses_fixture(fl_server):
                alice = fl_server.create_user("alice")
                assert fl_server.url.startswith("http://127.0.0.1:")
                assert len(alice.token) == 40
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
