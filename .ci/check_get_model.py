#!/usr/bin/env python3
"""Fail on `apps.get_model(...)` / `get_model(...)` outside migrations and tests.

An app reads another app's tables through that app's selectors or through a registry the higher app
fills from AppConfig.ready() (docs/architecture.md); a model looked up by name hides the dependency
from import-linter. Migrations need get_model (historical models), so they are skipped, and so are
tests. Prints file:line for each use and exits 1 when there is any. Standard library only.

    python .ci/check_get_model.py [ROOT]
"""

import ast
import os
import sys
from pathlib import Path

SKIP_DIRS = {"migrations", "tests", "node_modules", "var", "staticfiles", "__pycache__", "build", "dist"}


def python_files(root: Path):
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(".py") and not name.startswith("test_") and name != "conftest.py":
                yield Path(folder) / name


def is_get_model(node: ast.AST) -> bool:
    """`<anything>.get_model`, a bare `get_model(...)` call, or `from ... import get_model`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "get_model"
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "get_model"
    if isinstance(node, ast.ImportFrom):
        return any(alias.name == "get_model" for alias in node.names)
    return False


def get_model_uses(tree: ast.AST):
    return sorted({node.lineno for node in ast.walk(tree) if is_get_model(node)})


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent)
    found = []
    for path in python_files(root):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as exc:
            found.append(f"{path.relative_to(root)}:{exc.lineno}: cannot parse ({exc.msg})")
            continue
        for line in get_model_uses(tree):
            found.append(f"{path.relative_to(root)}:{line}: get_model outside migrations")
    for entry in found:
        print(entry)
    if found:
        print(
            f"{len(found)} get_model use(s) outside migrations: import the model from the lower app, "
            "or let the higher app fill a registry from AppConfig.ready() (docs/architecture.md).",
            file=sys.stderr,
        )
        return 1
    print("get_model check: no get_model outside migrations and tests.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
