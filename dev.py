#!/usr/bin/env python3
"""Set up a development environment and run the project's jobs.

    python3 dev.py demo     build the demo workspace (SQLite) and print it
    python3 dev.py test     run the whole test suite
    python3 dev.py lint     ruff check, ruff format --check, and mypy over the package, tests and benchmarks
    python3 dev.py bench    run the benchmarks and print their ratios

The first call creates ``.venv`` and installs the package with its ``dev``
extra; later calls reinstall only when ``pyproject.toml`` changed.  Only the
standard library is used here, so a machine with nothing but Python can run it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

if sys.version_info < (3, 11):
    sys.exit(f"successkit needs Python 3.11 or newer; this is {sys.version.split()[0]}")

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".successkit-installed"
EXTRAS = {
    "demo": "dev",
    "test": "dev,pandas,postgres,plot,web",
    "lint": "dev,pandas,postgres,plot,bench,web",
    "bench": "dev,bench,postgres,web",
}


def ensure_env(extras: str) -> None:
    """Create the virtual environment and install the package if needed."""
    if not PY.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = set(extras.split(","))
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    have: set[str] = set()
    if STAMP.exists():
        stamp_key, _, stamp_extras = STAMP.read_text().partition(" ")
        if stamp_key == key:
            have = set(stamp_extras.split(","))
    if wanted <= have:
        return
    extras_all = ",".join(sorted(wanted | have))
    print(f"installing successkit[{extras_all}] into {VENV} ...", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", f".[{extras_all}]"], cwd=ROOT, check=True)
    STAMP.write_text(f"{key} {extras_all}")


def run(*cmd: str) -> int:
    return subprocess.call(list(cmd), cwd=ROOT)


def main(argv: list[str]) -> int:
    job = argv[0] if argv else "help"
    rest = argv[1:]
    if job not in EXTRAS:
        print(__doc__)
        return 0 if job in ("help", "-h", "--help") else 2
    ensure_env(EXTRAS[job])
    if job == "demo":
        return subprocess.call([str(BIN / "successkit"), "demo", *rest])
    if job == "test":
        return run(str(PY), "-m", "pytest", *rest)
    if job == "lint":
        # mypy checks what pyproject.toml's [tool.mypy] files lists: the package, the tests, the benchmarks
        tree = ("src", "tests", "benchmarks", "tools")
        return (
            run(str(PY), "-m", "ruff", "check", *tree)
            or run(str(PY), "-m", "ruff", "format", "--check", *tree)
            or run(str(PY), "-m", "mypy")
        )
    return run(str(PY), "benchmarks/run.py", *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
