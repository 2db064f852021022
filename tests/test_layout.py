"""The package layout shows the architecture: parts that import one way, and no import circles.

Every import counts, also one inside a function or under ``TYPE_CHECKING``: a circle that only a
lazy import hides is still a circle in the design.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import fl_client

PACKAGE = Path(fl_client.__file__).parent

# part -> parts it must never import (a part is the first name below fl_client)
FORBIDDEN = {
    "_core": {"participant", "cli", "testing", "client", "resources", "contract"},
    "participant": {"cli", "testing", "client", "resources", "contract"},
    "resources": {"participant", "cli", "testing", "client", "contract"},
    "client": {"participant", "cli", "testing", "contract"},
    "testing": {"participant", "cli", "client", "resources", "contract"},
    # the maintainers' drift check reads documents; it needs no HTTP core, no participant, no CLI
    "contract": {"_core", "participant", "cli", "testing", "client", "resources"},
}

# The shared top-level modules every part imports, lowest first. A shared module imports only
# shared modules of a lower level, and never a part (nor the package, which imports every part).
SHARED_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"defaults", "exit_codes"}),
    frozenset({"exceptions"}),
    frozenset({"env"}),
    frozenset({"settings", "progress", "serialization"}),
)
LEVEL = {name: level for level, names in enumerate(SHARED_LEVELS) for name in names}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The fl_client modules ``path`` imports, as dotted names."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("fl_client"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and node.module.startswith("fl_client"):
                target = node.module
            else:
                continue
            found.add(target)
            # `from . import x` / `from .pkg import mod` may name modules
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_parts_import_only_downwards() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if _part(target) in FORBIDDEN.get(_part(module), set())
    ]
    assert wrong == []


def test_shared_modules_import_only_lower_levels() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module.count(".") == 1 and _part(module) in LEVEL
        for target in targets
        if target.count(".") != 1 or LEVEL.get(_part(target), len(SHARED_LEVELS)) >= LEVEL[_part(module)]
    ]
    assert wrong == []


def test_every_top_level_module_has_a_level() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert modules == set(LEVEL)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes in ``tree`` (documentation may name variables)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_environment_variable_names_are_spelled_only_in_env() -> None:
    """Every other module imports the name from fl_client.env (help texts build on the constants)."""
    name = re.compile(r"\b(?:FL_CLIENT|FL_DEMONSTRATOR)_")
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "env.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        skip = _docstrings(tree)
        wrong += [
            f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and name.search(node.value)
        ]
    assert wrong == []


def test_no_import_circles_between_modules() -> None:
    graph = _graph()
    # a package's __init__ re-exporting its modules is not a circle of the design
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert circles == []


def test_the_parts_exist() -> None:
    for part in ("_core", "participant", "cli", "testing", "contract"):
        assert (PACKAGE / part / "__init__.py").is_file(), part
