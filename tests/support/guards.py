"""The suite's own checks, as a pytest plugin (conftest.py loads it).

* Tests write only to temporary folders. Ignored files do not show in `git status`, so the session
  compares the repository's files before and after, and fails when a test left something behind.
* A test that starts a process carries the ``slow`` marker, so that ``make test-fast``
  (``-m "not slow"``) starts none. An audit hook sees every process this interpreter starts
  (``subprocess``, ``os.fork``, ``os.posix_spawn``, ``os.exec*``, ``os.system``); the session fails
  when one was started during a test without the marker (its setup, call or teardown).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from support.paths import REPOSITORY

__all__: list[str] = []

_TOOL_DIRS = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
_files_before: set[str] = set()

_PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system"}
)
_fast_test_running: list[str] = []  # the node id of the test now running, when it is not marked slow
_processes_in_fast_tests: dict[str, str] = {}  # node id -> the first process-starting event
_problems: list[str] = []


def _repository_files() -> set[str]:
    found: set[str] = set()
    for folder, dirs, files in os.walk(REPOSITORY):
        dirs[:] = [d for d in dirs if d not in _TOOL_DIRS and not d.endswith(".egg-info")]
        found.update(os.path.relpath(os.path.join(folder, name), REPOSITORY) for name in files)
    return found


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # called for every audited operation of the process (imports, opens, ...): keep it cheap
    if event in _PROCESS_EVENTS and _fast_test_running:
        _processes_in_fast_tests.setdefault(_fast_test_running[0], event)


def pytest_configure(config: pytest.Config) -> None:
    sys.addaudithook(_audit)  # cannot be removed again; it only records while a fast test runs


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    if item.get_closest_marker("slow") is None:
        _fast_test_running.append(item.nodeid)
    try:
        yield
    finally:
        _fast_test_running.clear()


def pytest_sessionstart(session: pytest.Session) -> None:
    _files_before.update(_repository_files())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    left = sorted(_repository_files() - _files_before)
    if left:
        _problems.append(
            f"tests left files in the repository (write to tmp_path instead): {', '.join(left[:10])}"
        )
    if _processes_in_fast_tests:
        started = [f"{node} ({event})" for node, event in sorted(_processes_in_fast_tests.items())]
        _problems.append(f"tests started processes without the slow marker: {', '.join(started[:10])}")
    if _problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _problems:
        terminalreporter.section("suite checks", red=True)
        for message in _problems:
            terminalreporter.write_line(message, red=True)
