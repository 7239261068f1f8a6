"""The ``successkit`` command's jobs for hosts: deploying bundles and running rules
from a scheduler (VAULT_01, RULE_01, RULE_03)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

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


# ------------------------------------------------------------------------------ OPS_03
def _console(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    """The installed ``successkit`` command in a process of its own."""
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "successkit.cli", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, cwd=cwd, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["rules", "list", "--url", "mongodb://x"], 1, "unknown storage URL"),
        (["rules", "list", "--url", "sqlite:///{tmp}/none.db"], 1, "no store at"),
        (["rules", "list", "--url", "postgresql://postgres@127.0.0.1:1/test", "--connect-timeout", "1"], 1,
         "cannot connect to PostgreSQL"),
        (["rules", "run", "No such rule", "--url", "sqlite:///{tmp}/cs.db"], 2, "no rule with id or name"),
        (["rules", "lst"], 2, "invalid choice"),
        (["rules", "list", "--connect-timeout", "0", "--url", "sqlite:///{tmp}/cs.db"], 2, "--connect-timeout"),
    ],
)  # fmt: skip
def test_failures_are_one_line_and_an_exit_status__OPS_03(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    """A bad URL, an unreachable server, a missing store and a refusal: one line on
    standard error, no traceback, the documented exit status."""
    (tmp_path / "cs.db").touch()
    done = _console(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert done.returncode == code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "none.db").exists()


def test_the_url_comes_from_anywhere_on_the_line_or_the_environment__OPS_03(tmp_path: Path) -> None:
    """``--url`` before or after the command, or ``SUCCESSKIT_URL``; ``--json`` listings."""
    url = f"sqlite:///{tmp_path / 'cs.db'}"
    kit = sk.open(url)
    kit.rules.create("Renewals", where=[("renewal_date", "within next 90 days")],
                     actions=[{"do": "create_cta", "name": "Renew {name}", "type": "renewal"}])  # fmt: skip
    kit.close()
    for args, env in (
        (["--url", url, "rules", "list", "--json"], {}),
        (["rules", "--url", url, "list", "--json"], {}),
        (["--json", "rules", "list"], {"SUCCESSKIT_URL": url}),
    ):
        done = _console(*args, env=env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [{"name": "Renewals", "target": "company", "active": True, "bundle": None}]
    done = _console("rules", "run", "--json", "--dry-run", "--url", url)
    assert done.returncode == 0 and json.loads(done.stdout)[0]["rule"] == "Renewals"


def test_reading_commands_create_no_store__OPS_03(tmp_path: Path) -> None:
    """``rules list`` on nothing refuses without creating ``./successkit.db``; ``bundles list``
    shows what is on offer without creating a store either."""
    done = _console("rules", "list", cwd=tmp_path, env={"SUCCESSKIT_URL": ""})
    assert done.returncode == 1 and "no store at sqlite:///successkit.db" in done.stderr
    listed = _console("bundles", "list", "--json", cwd=tmp_path, env={"SUCCESSKIT_URL": ""})
    assert listed.returncode == 0 and "renewal" in {b["name"] for b in json.loads(listed.stdout)}
    assert list(tmp_path.iterdir()) == []


def test_a_missing_default_store_points_to_the_demo_and_empty_listings_say_so__OPS_03(tmp_path: Path) -> None:
    """Right after ``successkit demo`` the store is ``successkit-demo.db``: a read command on the
    default store says which ``--url`` to pass; without a demo file, how to name a store. A
    store with no rules or programs says so in text (JSON stays ``[]``)."""
    done = _console("rules", "list", cwd=tmp_path, env={"SUCCESSKIT_URL": ""})
    assert done.returncode == 1 and "pass --url or set SUCCESSKIT_URL" in done.stderr
    sk.open(f"sqlite:///{tmp_path / 'successkit-demo.db'}").close()
    done = _console("programs", "list", cwd=tmp_path, env={"SUCCESSKIT_URL": ""})
    assert done.returncode == 1 and "pass --url sqlite:///successkit-demo.db" in done.stderr, done.stderr
    migrate = _console("migrate", cwd=tmp_path, env={"SUCCESSKIT_URL": ""})
    assert migrate.returncode == 1 and "pass --url sqlite:///successkit-demo.db" in migrate.stderr
    url = f"sqlite:///{tmp_path / 'successkit-demo.db'}"
    assert _console("rules", "list", "--url", url).stdout == "no rules in this store\n"
    assert _console("programs", "list", "--url", url).stdout == "no programs in this store\n"
    assert json.loads(_console("programs", "list", "--json", "--url", url).stdout) == []


def test_a_closed_pipe_ends_the_command_quietly__OPS_03(tmp_path: Path) -> None:
    """``successkit demo | head -3``: the reader stops early; no BrokenPipeError is printed."""
    import subprocess
    import sys

    demo = subprocess.Popen(
        [sys.executable, "-m", "successkit.cli", "demo", "--db", str(tmp_path / "demo.db")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    assert demo.stdout is not None and demo.stderr is not None
    first = demo.stdout.readline()
    demo.stdout.close()  # what head does after its lines
    err = demo.stderr.read().decode()
    demo.wait(timeout=120)
    assert first.startswith(b"successkit demo")
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_bundles_diff_from_the_command_line__VAULT_05(tmp_path: Path) -> None:
    """``bundles diff`` lists the installed assets that differ from a bundle's, writes
    nothing, and needs a store (it creates none)."""
    url = f"sqlite:///{tmp_path / 'cs.db'}"
    assert cli("bundles", "diff", "csm-transition", "--url", url)[0] == 1 and not (tmp_path / "cs.db").exists()
    assert cli("bundles", "deploy", "csm-transition", "--url", url)[0] == 0
    code, text = cli("bundles", "diff", "csm-transition", "--url", url)
    assert code == 0 and text == ""
    kit = sk.open(url)
    kit.config.update_plan_type("csm_transition", name="Handover", objective_due_days=7)
    kit.close()
    code, text = cli("bundles", "diff", "csm-transition", "--url", url)
    assert code == 0 and text == "plan_types       'csm_transition': name, objective_due_days\n"
    code, text = cli("bundles", "diff", "csm-transition", "--url", url, "--json")
    assert json.loads(text) == [
        {"kind": "plan_types", "name": "csm_transition", "fields": ["name", "objective_due_days"]}
    ]
