"""The ``successkit`` command's jobs for hosts: deploying bundles and running rules
from a scheduler (VAULT_01, RULE_01, RULE_03)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

import successkit as sk
from successkit.cli import main


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out), out.getvalue()


def test_bundles_and_rules_from_the_command_line__VAULT_01_RULE_01(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cs.db'}"
    code, text = cli("bundles", "list", "--url", url)
    assert code == 0 and {"onboarding", "renewal", "ebr"} <= {line.split()[0] for line in text.splitlines()}
    code, text = cli("bundles", "deploy", "renewal", "--url", url, "--dry-run")
    assert code == 0 and "dry run" in text
    kit = sk.open(url)
    assert kit.rules.count() == 0  # the dry run wrote nothing
    cleo = kit.users.create("Cleo")
    kit.companies.create("Initech", csm_id=cleo.id, renewal_date=kit.today() + timedelta(days=60))
    kit.close()
    code, text = cli("bundles", "deploy", "renewal", "--url", url, "--skip", "rules:Renewal: no conversation yet")
    assert code == 0 and "6 created, 2 already there, 1 skipped" in text
    code, text = cli("rules", "list", "--url", url)
    assert code == 0 and "Renewal: 120 days out" in text and "renewal" in text
    code, text = cli("rules", "run", "Renewal: 120 days out", "--url", url, "--dry-run")
    assert code == 0 and "would create: create cta for company 'Initech'" in text
    code, text = cli("rules", "run", "--url", url)
    assert code == 0 and "created: create cta for company 'Initech'" in text
    code, text = cli("rules", "run", "--url", url)
    assert "unchanged" in text  # RULE_02
    kit = sk.open(url)
    assert kit.ctas.count() == 1
    kit.close()


def test_refusals_exit_with_status_2_and_name_the_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cs.db'}"
    assert cli("rules", "run", "No such rule", "--url", url)[0] == 2
    assert "no rule with id or name 'No such rule'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1, "name": "bad", "playbooks": [{"name": "No steps"}]}')
    assert cli("bundles", "deploy", str(bad), "--url", url)[0] == 2
    assert "VAULT_01" in capsys.readouterr().err


def test_scores_recompute_from_the_command_line__SCORE_11(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cs.db'}"
    kit = sk.open(url)
    kit.measures.create("nps", source={"type": "field", "field": "nps", "map": {"linear": [-100, 100]}})
    kit.scorecards.create("standard", name="Standard health", default=True, measures=["nps"])
    acme = kit.companies.create("Acme", nps=50)
    kit.close()
    code, text = cli("scores", "recompute", "--url", url)
    assert code == 0 and "1 scored" in text and "1 changed" in text
    kit = sk.open(url)
    assert kit.companies.get(acme.id).health_score == 75.0
    kit.close()
