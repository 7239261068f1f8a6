"""The README's first command: the demo builds its workspace, deploys the shipped bundles,
runs their rules, prints a 360 view, writes a Gantt chart - and reruns cleanly."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from successkit.cli import main as cli
from successkit.demo import main


def test_demo_shows_bundles_rules_360_and_gantt__VAULT_04_VAULT_06_C360_01_GANTT_03(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    outputs = []
    for _ in range(2):  # the second run rebuilds the same file from scratch
        out = io.StringIO()
        main(db, out).close()
        outputs.append(out.getvalue())
    text = outputs[1]
    assert len(outputs[0].splitlines()) == len(outputs[1].splitlines())  # nothing doubled on the rerun
    assert "Bundle 'renewal' 1.1: 7 created, 2 already there" in text
    assert "Rule 'Renewal: 120 days out': 5 targets matched (dry run, nothing written)" in text
    assert "Renewal: 120 days out          first run create cta: 5 created; second run create cta: 5 unchanged" in text
    assert "Bundle 'nps-program' 1.0: 12 created" in text and "Bundle 'welcome' 1.1: 4 created" in text  # VAULT_06
    assert "Bundle 'sentiment-tracking' 1.0: 3 created" in text
    assert "Bundle 'stale-measure-reset' 1.0: 1 created" in text
    assert "Sponsor check-in               first run create cta: 5 created; second run create cta: 5 unchanged" in text
    assert "Customer 360 of Acme Japan" in text and "Open CTAs (4)" in text and "Hiro Tanaka (sponsor)" in text
    assert "NPS promoter: Acme Japan [advocacy" in text  # the sponsor's 9 fired the NPS program's play (VAULT_06)
    chart = tmp_path / "demo-gantt.svg"
    assert f"written to {chart}" in text
    root = ET.parse(chart).getroot()
    bars = [e for e in root.iter() if "bar" in (e.get("class") or "").split()]
    assert len(bars) == 9  # four objectives and five tasks of 'Acme Japan onboarding'


def test_cli_demo_command_runs(tmp_path: Path, capsys: object) -> None:
    assert cli(["demo", "--db", str(tmp_path / "cli.db")]) == 0
    assert (tmp_path / "cli-gantt.svg").exists()


def test_demo_chart_takes_width_and_label_width__GANTT_03(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["demo", "--db", str(tmp_path / "w.db"), "--chart-width", "1500", "--label-width", "360"]) == 0
    root = ET.parse(tmp_path / "w-gantt.svg").getroot()
    assert root.get("width") == "1500"
    bars = [e for e in root.iter() if "bar" in (e.get("class") or "").split()]
    assert min(float(e.get("x", 0)) for e in bars if e.get("x")) >= 360
    assert cli(["demo", "--db", str(tmp_path / "n.db"), "--label-width", "20"]) == 2  # refused, nothing built
    assert "names column" in capsys.readouterr().err and not (tmp_path / "n.db").exists()
