"""The documentation's code runs: every ```python block of the guides, in order."""

from __future__ import annotations

import re
from pathlib import Path

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
]


def blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("name", RUNNABLE)
def test_guide_code_runs(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Docs that cannot rot: each block runs, and its asserts hold."""
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
    """The README's example runs as written (in a scratch folder)."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for i, block in enumerate(blocks(DOCS.parent / "README.md")):
        exec(compile(block, f"README.md[block {i + 1}]", "exec"), namespace)
    assert (tmp_path / "cs.db").exists()
