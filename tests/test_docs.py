"""The documentation's code runs: every ```python block of the guides, in order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).parent.parent / "docs"
RUNNABLE = [
    "getting-started.md",
    "queries.md",
    "plans.md",
    "email.md",
    "cloning.md",
    "timeline.md",
    "notifications.md",
    "sharing.md",
    "goals.md",
    "scorecards.md",
    "c360.md",
    "gantt.md",
    "notebooks.md",
    "rules.md",
    "programs.md",
    "bundles.md",
    "guide.md",
    "signals.md",
    "web.md",
    "reports.md",
    "embedding.md",
]
# Pages whose examples use an optional extra: without it installed (``python3 dev.py demo`` installs
# only ``dev``) they are skipped, naming the module, instead of failing on the import.
EXTRAS = {
    "notebooks.md": ("pandas",),
    "reports.md": ("pandas",),
    "web.md": ("starlette", "jinja2"),
    "README.md": ("starlette", "jinja2"),
}


def needs_extras(name: str) -> None:
    for module in EXTRAS.get(name, ()):
        pytest.importorskip(module, reason=f"{name} needs {module} (an optional extra)")


def blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("name", RUNNABLE)
def test_guide_code_runs(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Docs that cannot rot: each block runs, and its asserts hold."""
    needs_extras(name)
    monkeypatch.chdir(tmp_path)
    code = blocks(DOCS / name)
    assert code, f"{name} has no python blocks"
    namespace: dict[str, object] = {}
    for i, block in enumerate(code):
        try:
            exec(compile(block, f"{name}[block {i + 1}]", "exec"), namespace)
        except Exception as e:  # pragma: no cover - the message is the point
            pytest.fail(f"{name} block {i + 1} failed: {e!r}\n{block}")


def test_readme_code_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's example runs as written (in a scratch folder), and runs again on
    the store the first run left: ``ensure`` finds what the first run made, so the
    second creates no second user, company or type (USER_03)."""
    needs_extras("README.md")
    monkeypatch.chdir(tmp_path)
    counts = []
    for run in (1, 2):
        namespace: dict[str, Any] = {}
        for i, block in enumerate(blocks(DOCS.parent / "README.md")):
            exec(compile(block, f"README.md[block {i + 1}, run {run}]", "exec"), namespace)
        kit = namespace["kit"]
        counts.append([kit.users.count(), kit.companies.count(), kit.relationships.count(), kit.plans.count()])
        kit.close()
    assert (tmp_path / "cs.db").exists()
    assert counts[0] == counts[1] == [1, 2, 1, 1]


@pytest.mark.parametrize("name", ["getting-started.md", "guide.md"])
def test_guides_on_a_file_run_twice_in_a_row(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guides that keep their store in a file run a second time in the same folder."""
    monkeypatch.chdir(tmp_path)
    for run in (1, 2):
        namespace: dict[str, Any] = {}
        for i, block in enumerate(blocks(DOCS / name)):
            try:
                exec(compile(block, f"{name}[block {i + 1}, run {run}]", "exec"), namespace)
            except Exception as e:  # pragma: no cover - the message is the point
                pytest.fail(f"{name} block {i + 1} failed on run {run}: {e!r}\n{block}")
        namespace["kit"].close()
