"""The dry run behind ``fl-client doctor``, run by the participant's executor as a program::

    <executor> _probe_child.py RESULT.json [--script PATH] [--model LABEL PATH]...

It runs where a round's script runs (the executor's Python, the script's working directory, the
receiver's environment without credentials; see `fl_client.participant.probe`) and writes what it
found to RESULT.json: the Python and torch versions; whether each model file loads under the safe
loading policy of the environment (``fl_client.settings.Settings``: trusted classes,
trust_remote_code); and whether the script would import, without running a training:

* a script with an ``if __name__ == "__main__":`` guard is imported under another module name, so
  the guarded block (argument parsing, the training) does not run; its module-level
  `TrainingScript` objects and their actions are reported;
* a script without one (a reference-style script that parses its arguments at the top) is never
  imported, since that would train: it is compiled, and every import at its top level (outside
  functions, and outside ``try`` blocks that catch ImportError) is imported.

Standard library only at the top: it starts in any Python, and reports a missing torch or
fl_client instead of failing to start. The script's own output stays on stdout and stderr.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import platform
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

MODULE_NAME = "__fl_client_doctor__"
"""The name the script is imported under: not ``__main__``, so its guarded block does not run."""

_MAX_TEXT = 500
_OPTIONAL = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _describe(exc: BaseException) -> str:
    """``Type: first line of the message``, short."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text[:_MAX_TEXT]


def _torch() -> dict[str, Any]:
    try:
        import torch
    except Exception as exc:
        return {"torch": None, "torch_error": _describe(exc)}
    return {"torch": str(torch.__version__)}


def _fl_client() -> dict[str, Any]:
    try:
        import fl_client
    except Exception as exc:
        return {"fl_client": None, "fl_client_error": _describe(exc)}
    return {"fl_client": str(fl_client.__version__)}


def _load(label: str, path: str) -> dict[str, Any]:
    """Load one model file as a round's `Communication` would, with the environment's policy."""
    try:
        from fl_client.serialization import load_model
        from fl_client.settings import Settings

        settings = Settings.from_env()
        model = load_model(
            path, trusted_classes=settings.trusted_classes, trust_remote_code=settings.trust_remote_code
        )
    except Exception as exc:
        return {"label": label, "ok": False, "error_type": type(exc).__name__, "error": str(exc)[:_MAX_TEXT]}
    cls = type(model)
    return {"label": label, "ok": True, "loaded_type": f"{cls.__module__}.{cls.__qualname__}"}


def _has_main_guard(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.If)
        and "__name__" in ast.unparse(node.test)
        and "__main__" in ast.unparse(node.test)
        for node in tree.body
    )


def _catches_import_errors(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(n, ast.Name) and n.id in _OPTIONAL for n in names):
            return True
    return False


def _top_level_imports(body: Sequence[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports that run when the module runs: not in functions, not optional, not for typing."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.Try):
            if not _catches_import_errors(node):
                yield from _top_level_imports([*node.body, *node.orelse, *node.finalbody])
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                yield from _top_level_imports([*node.body, *node.orelse])
        elif isinstance(node, ast.With | ast.For | ast.While | ast.ClassDef):
            yield from _top_level_imports(node.body)


def _resolve(node: ast.Import | ast.ImportFrom) -> tuple[list[str], str | None]:
    """(the modules ``node`` names, the first failure or None), importing them."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException as exc:
                return names, f"import {name}: {_describe(exc)}"
        return names, None
    if node.level:
        dots = "." * node.level
        return [f"{dots}{node.module or ''}"], (
            f"from {dots}{node.module or ''} import ...: a relative import fails in a script run as a program"
        )
    module_name = node.module or ""
    if module_name == "__future__":
        return [], None
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:
        return [module_name], f"from {module_name} import ...: {_describe(exc)}"
    for alias in node.names:
        if alias.name == "*" or hasattr(module, alias.name):
            continue
        try:
            importlib.import_module(f"{module_name}.{alias.name}")
        except BaseException:
            return [module_name], f"cannot import name {alias.name!r} from {module_name!r}"
    return [module_name], None


def _check_imports(tree: ast.Module) -> dict[str, Any]:
    imported: list[str] = []
    for node in _top_level_imports(tree.body):
        names, error = _resolve(node)
        imported += names
        if error is not None:
            return {"ok": False, "mode": "imports", "imports": imported, "error": error}
    return {"ok": True, "mode": "imports", "imports": imported, "error": None}


def _import_script(path: str) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        return {"ok": False, "mode": "import", "error": f"cannot import {path}"}
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    sys.argv = [path]
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: a script may exit at import
        tail = "".join(traceback.format_exception(exc)[-6:])
        return {"ok": False, "mode": "import", "error": _describe(exc), "traceback": tail[-2000:]}
    scripts = [
        sorted(getattr(value, "actions", ()))
        for value in vars(module).values()
        if type(value).__name__ == "TrainingScript" and type(value).__module__.startswith("fl_client")
    ]
    return {"ok": True, "mode": "import", "training_scripts": scripts, "error": None}


def _script(path: str) -> dict[str, Any]:
    try:
        source = Path(path).read_bytes()
    except OSError as exc:
        return {"ok": False, "mode": "read", "error": f"cannot read {path}: {exc.strerror}"}
    try:
        compile(source, path, "exec", dont_inherit=True)
        tree = ast.parse(source, path)
    except SyntaxError as exc:
        return {
            "ok": False,
            "mode": "compile",
            "error": f"{type(exc).__name__}: {exc.msg} (line {exc.lineno})",
        }
    except ValueError as exc:  # null bytes
        return {"ok": False, "mode": "compile", "error": _describe(exc)}
    return _import_script(path) if _has_main_guard(tree) else _check_imports(tree)


def _arguments(argv: Sequence[str]) -> tuple[str, str | None, list[tuple[str, str]]]:
    result, rest = argv[0], list(argv[1:])
    script: str | None = None
    models: list[tuple[str, str]] = []
    while rest:
        flag = rest.pop(0)
        if flag == "--script":
            script = rest.pop(0)
        elif flag == "--model":
            models.append((rest.pop(0), rest.pop(0)))
        else:
            raise SystemExit(f"unknown argument {flag!r}")
    return result, script, models


def main(argv: Sequence[str] | None = None) -> int:
    result, script, models = _arguments(sys.argv[1:] if argv is None else argv)
    # `python _probe_child.py` put this file's folder first on sys.path; a round's `python
    # script.py` puts the script's folder there, which the script's imports rely on
    sys.path[0] = str(Path(script).resolve().parent) if script else os.getcwd()
    report: dict[str, Any] = {"python": platform.python_version(), "executable": sys.executable}
    report.update(_torch())
    report.update(_fl_client())
    report["models"] = [_load(label, path) for label, path in models]
    report["script"] = _script(script) if script else None
    partial = result + ".part"
    with open(partial, "w", encoding="utf-8") as file:
        json.dump(report, file)
    os.replace(partial, result)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # threads, atexit handlers or child processes the script's import started do not keep it alive
    os._exit(code)
