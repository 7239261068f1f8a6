"""The package tree matches the map in docs/design.md ("Where things are"), both ways,
and no module reaches into another's private names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "src" / "successkit"
DESIGN = ROOT / "docs" / "design.md"

#: A map row: ``| `path` | what it holds |``.
_ROW = re.compile(r"^\| `([^`]+)` \| .+ \|$")


def _map() -> list[str]:
    text = DESIGN.read_text(encoding="utf-8")
    _, found, table = text.partition("## Where things are")
    assert found, "docs/design.md has no 'Where things are' section"
    return [m.group(1) for line in table.splitlines() if (m := _ROW.match(line))]


def _modules() -> set[str]:
    """Every module, as the map names it: ``pkg/`` for a package's ``__init__.py``."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if "__pycache__" in rel.parts:
            continue
        if rel.name == "__init__.py" and rel.parent != Path():
            names.add(rel.parent.as_posix() + "/")
        else:
            names.add(rel.as_posix())
    return names


def test_map_rows_are_unique() -> None:
    rows = _map()
    assert len(rows) == len(set(rows)), sorted(r for r in rows if rows.count(r) > 1)


def test_every_module_is_in_the_map() -> None:
    missing = _modules() - {r for r in _map() if r.endswith((".py", "/"))}
    assert not missing, f"modules docs/design.md does not list: {sorted(missing)}"


def test_the_map_lists_only_modules_that_exist() -> None:
    modules = _modules()
    stale = [r for r in _map() if r.endswith((".py", "/")) and r not in modules]
    stale += [r for r in _map() if not r.endswith((".py", "/")) and not list(PACKAGE.glob(r))]
    assert not stale, f"docs/design.md lists what does not exist: {stale}"


def test_every_package_is_a_package() -> None:
    for row in _map():
        if row.endswith("/"):
            assert (PACKAGE / row / "__init__.py").is_file(), row


def _private_reaches() -> list[str]:
    """``x._name`` where ``x`` is not ``self``/``cls``, and ``from m import _name``: a module
    using what another keeps private (another service's methods, a kit's insides)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                base = ast.unparse(node.value)
                if base not in ("self", "cls") and not base.startswith("super("):
                    found.append(f"{rel}:{node.lineno}: {base}.{node.attr}")
            elif isinstance(node, ast.ImportFrom):
                found += [
                    f"{rel}:{node.lineno}: from {node.module} import {a.name}" for a in node.names if _private(a.name)
                ]
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_calls_across_modules() -> None:
    """What two services share is a domain rule with a public home in the package that owns it."""
    reaches = _private_reaches()
    assert not reaches, "private names used from outside their owner:\n" + "\n".join(reaches)


#: The longest a function may be, from its first statement to its last, and a module.
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600


def test_functions_and_modules_are_short_enough_to_read() -> None:
    """No function body over 80 lines (its signature, however it wraps, not counted), no module
    over 600: a piece that grows past them is split where its steps are."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            long.append(f"{rel}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = node.body[0]
                start = first.end_lineno + 1 if ast.get_docstring(node) and first.end_lineno else first.lineno
                if (node.end_lineno or 0) - start + 1 > MAX_FUNCTION_LINES:
                    long.append(f"{rel}:{node.lineno}: {node.name}, {(node.end_lineno or 0) - start + 1} lines")
    assert not long, "split these:\n" + "\n".join(long)


def test_import_loads_only_the_core() -> None:
    """``import successkit`` loads the kit, the records, the query language and the errors;
    services, views and automation load on first use, and so do the standard library's
    email and package-metadata machinery; the plugin machinery (pluggy) loads when a kit
    opens and ``random`` on a first retry (import time is benchmark figure (l))."""
    import subprocess
    import sys

    code = "import sys, successkit; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(PACKAGE.parent)},
        ).stdout.split()
    )
    heavy = {
        "successkit.plans.plans",
        "successkit.automation.rules",
        "successkit.automation.bundles",
        "successkit.views.c360",
        "successkit.views.gantt",
        "successkit.goals.goals",
        "successkit.engagement.sharing",
        "importlib.metadata",
        "email.message",
        "sqlite3",
        "pluggy",
        "successkit.plugins",
        "random",
    }
    assert not heavy & loaded, sorted(heavy & loaded)
    assert {"successkit.kit", "successkit.records", "successkit.errors"} <= loaded
