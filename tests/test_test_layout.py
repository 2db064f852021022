"""The test suite's own layout: every test module stands on its own.

What tests share lives in tests/support/ (a package) and conftest.py's fixtures; no module imports
a test module or conftest.py, so each can be read, run and changed alone. The examples and
benchmarks are run by tests (as users run them), never loaded as a library.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from support.paths import REPOSITORY

TESTS = REPOSITORY / "tests"
# the suite's Python modules; tests/fixtures/ holds scripts that tests run, not modules they import
MODULES = sorted([*TESTS.glob("*.py"), *(TESTS / "support").glob("*.py")])
# what loads a file as a module, or lets a plain import find one outside the suite
LOADERS = {"spec_from_file_location", "run_path", "run_module"}


@functools.cache
def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in MODULES}


def _imported_modules(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_shared_helpers_live_in_support() -> None:
    loose = [p.name for p in TESTS.glob("*.py") if not p.name.startswith("test_") and p.name != "conftest.py"]
    assert loose == [], "put shared helpers into tests/support/"
    assert (TESTS / "support" / "__init__.py").is_file()
    assert not [p.name for p in (TESTS / "support").glob("test_*.py")], "tests/support/ holds no tests"


def test_no_module_imports_a_test_module_or_conftest() -> None:
    wrong = [
        f"{path.relative_to(TESTS)} imports {name}"
        for path, tree in _trees().items()
        for name in _imported_modules(tree)
        if name.split(".")[0] == "conftest" or name.split(".")[-1].startswith("test_")
    ]
    assert wrong == [], "import shared pieces from tests/support/ instead"


def test_examples_and_benchmarks_are_run_not_imported() -> None:
    scripts = {p.stem for folder in ("examples", "bench") for p in (REPOSITORY / folder).glob("*.py")}
    assert scripts, "examples/ and bench/ have scripts"
    wrong = []
    for path, tree in _trees().items():
        wrong += [f"{path.name} imports {n}" for n in _imported_modules(tree) if n.split(".")[0] in scripts]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            if node.attr in LOADERS:
                wrong.append(f"{path.name}:{node.lineno} loads a file as a module ({node.attr})")
            elif node.attr in {"insert", "append"} and ast.unparse(node.value) == "sys.path":
                wrong.append(f"{path.name}:{node.lineno} changes sys.path")
    assert wrong == []
