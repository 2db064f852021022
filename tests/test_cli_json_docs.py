"""The ``--json`` shapes of ``fl-client runs`` and ``fl-client contract diff``, from the real
executable, are the ones the README and the operators' guide document; the README's command
reference lists both commands and ``serve``'s recovery options."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.cli import cli_env, run_cli
from support.contract_schemas import synthetic_release, write_synthetic

from fl_client.defaults import (
    DEFAULT_CATCH_UP_INTERVAL,
    DEFAULT_LOG_KEEP,
    DEFAULT_RUN_ATTEMPTS,
    DEFAULT_RUN_RETRY_DELAY,
    DEFAULT_STATE_DIR,
)
from fl_client.participant.journal import RunJournal
from fl_client.participant.runs import RunKey, RunState, ScriptRun

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
OPERATORS = (ROOT / "docs" / "guides" / "operators.md").read_text()


def between(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


README_JSON = between(README, "**`--json`**", "**Errors**")
GUIDE_JSON = between(OPERATORS, "## `--json`", "## Exit codes")


def keys(value: Any) -> set[str]:
    """Every object key at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def documented(section: str, key: str) -> bool:
    return f'"{key}"' in section


def test_runs_json_is_the_documented_shape(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run = ScriptRun(RunKey(uuid.uuid4(), 2, "train"), uuid.uuid4(), ("x",), tmp_path / "train-2.log")
    run.state, run.returncode, run.attempt = RunState.FAILED, 1, 3
    with RunJournal(state) as journal:
        journal.record(run)
    result = run_cli("runs", "--json", "--state-dir", str(state), env=cli_env(tmp_path / "config"))
    assert result.code == 0, result.err
    (row,) = result.json()
    assert (row["round"], row["action"], row["state"], row["attempts"], row["exit_code"]) == (
        2,
        "train",
        "failed",
        3,
        1,
    )
    # the README lists exactly these fields; the guide shows each of them
    listed = re.search(
        r"`runs --json` a list, one object\s+per \(training, round, action\): `(\{[^`]*\})`", README_JSON
    )
    assert listed, "README's --json paragraph does not describe `runs --json`"
    assert set(re.findall(r'"(\w+)"', listed.group(1))) == set(row)
    assert all(documented(GUIDE_JSON, key) for key in row), set(row) - {
        k for k in row if documented(GUIDE_JSON, k)
    }
    assert all(f"`{s.value}`" in README_JSON and f"`{s.value}`" in GUIDE_JSON for s in RunState)


def test_contract_diff_json_is_the_documented_shape(tmp_path: Path) -> None:
    same_schema, baseline = write_synthetic(tmp_path)
    schema = synthetic_release()
    schema["components"]["schemas"]["Group"]["properties"]["name"] = {"type": "integer"}
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(schema))
    env = cli_env(tmp_path / "config")
    result = run_cli(
        "contract", "diff", "--schema", str(changed), "--baseline", str(baseline), "--json", env=env
    )
    assert result.code == 1, result.err  # something new
    report = result.json()
    assert report["new"] and report["changed_operations"] and report["known"]
    found = keys(report)
    for section in (README_JSON, GUIDE_JSON):
        assert all(documented(section, key) for key in found), found - {
            k for k in found if documented(section, k)
        }
    same = run_cli(
        "contract", "diff", "--schema", str(same_schema), "--baseline", str(baseline), "--json", env=env
    )
    assert same.code == 0 and same.json()["ok"] is True and keys(same.json()) <= found


def test_the_command_reference_lists_runs_contract_diff_and_serves_options(tmp_path: Path) -> None:
    reference = between(README, "| command | what it does |", "**Server and credentials**")
    for command in ("`runs ", "`contract diff ", "`serve "):
        assert any(line.startswith(f"| {command}") for line in reference.splitlines()), command
    serve_row = next(line for line in reference.splitlines() if line.startswith("| `serve "))
    serve_table = between(README, "| option | environment | default |", "Every log line")
    rows = {
        "--state-dir": ("FL_CLIENT_STATE_DIR", f"./{DEFAULT_STATE_DIR}"),
        "--run-attempts": ("FL_CLIENT_RUN_ATTEMPTS", f"{DEFAULT_RUN_ATTEMPTS}"),
        "--retry-delay": ("FL_CLIENT_RETRY_DELAY", f"{DEFAULT_RUN_RETRY_DELAY:g} s"),
        "--catch-up-interval": ("FL_CLIENT_CATCH_UP_INTERVAL", f"{DEFAULT_CATCH_UP_INTERVAL:g} s"),
        "--warm": ("FL_CLIENT_WARM=1", "cold"),
        "--log-keep": ("FL_CLIENT_LOG_KEEP", f"{DEFAULT_LOG_KEEP}"),
    }
    serve_help = run_cli("serve", "--help", env=cli_env(tmp_path / "config"))
    assert serve_help.code == 0, serve_help.err
    for option, (variable, default) in rows.items():
        assert option in serve_help.out and variable.split("=")[0] in serve_help.out, option
        line = next((row for row in serve_table.splitlines() if f"`{option}`" in row.split("|")[1]), None)
        assert line is not None, option
        assert variable in line and default in line.split("|")[3], line
        assert f"[{option}" in serve_row, option
