"""deploy/: the systemd unit verifies with systemd-analyze, keeps the credentials in its
environment file, and says what the operators' guide says; the example environment file names
only variables fl_client reads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import REPOSITORY

from fl_client import env
from fl_client.defaults import DEFAULT_KILL_TIMEOUT, DEFAULT_SHUTDOWN_GRACE

UNIT = REPOSITORY / "deploy" / "fl-client.service"
ENV_FILE = REPOSITORY / "deploy" / "fl-client.env.example"
INSTALLED = "/opt/fl-client/venv/bin/fl-client"


def directives(text: str) -> dict[str, list[str]]:
    """KEY -> its values, in order (a unit may repeat a key)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian/Ubuntu: apt-get install systemd)",
)
def test_the_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this installation's fl-client
    executable = Path(sys.executable).parent / "fl-client"
    text = UNIT.read_text()
    assert INSTALLED in text
    unit = tmp_path / "fl-client.service"
    unit.write_text(text.replace(INSTALLED, str(executable)))
    result = verify(unit)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")
    # the same check sees a mistake (systemd only warns about it, and starts the unit anyway)
    unit.write_text(unit.read_text().replace("KillMode=mixed", "KillMood=mixed"))
    assert "KillMood" in verify(unit).stderr


def test_the_unit_restarts_keeps_state_and_takes_credentials_from_a_file() -> None:
    unit = directives(UNIT.read_text())
    (start,) = unit["ExecStart"]
    assert start.startswith(f"{INSTALLED} serve ")
    assert "--state-dir %S/fl-client" in start and unit["StateDirectory"] == ["fl-client"]
    assert "--log-dir %L/fl-client" in start and unit["LogsDirectory"] == ["fl-client"]
    assert not re.search(
        r"--(password|token|username)|FL_CLIENT_(PASSWORD|TOKEN)", UNIT.read_text().split("[Service]")[1]
    )
    assert unit["EnvironmentFile"] == ["/etc/fl-client/fl-client.env"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] == ["fl-client"]
    # serve's own shutdown (grace period, then kill timeout) fits before systemd kills the rest
    assert unit["KillMode"] == ["mixed"]
    assert float(unit["TimeoutStopSec"][0]) > DEFAULT_SHUTDOWN_GRACE + DEFAULT_KILL_TIMEOUT
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes"}.items():
        assert unit[key] == [value], key
    # what would keep a training script from its GPU or its JIT compiler stays off
    assert not {"PrivateDevices", "ProtectClock", "MemoryDenyWriteExecute", "DevicePolicy"} & unit.keys()


def test_the_example_environment_file_names_only_variables_fl_client_reads() -> None:
    names = {getattr(env, name) for name in env.__all__ if name.startswith("ENV_") and name != "ENV_PREFIX"}
    written = re.findall(r"^#?([A-Z][A-Z0-9_]+)=", ENV_FILE.read_text(), flags=re.MULTILINE)
    assert written and set(written) <= names, set(written) - names
    assert {env.ENV_BASE_URL, env.ENV_USERNAME, env.ENV_PASSWORD, env.ENV_TOKEN, env.ENV_SCRIPT_PATH} <= set(
        written
    )
