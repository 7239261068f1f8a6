"""Every result type's notebook rendering on one page, to look at; and the docs' picture.

    PYTHONPATH=src python tools/notebook_page.py [OUT_DIR]   # then copy OUT_DIR/notebook-results.png
                                                          # to docs/images/

Builds the demo workspace in memory, adds usage, a survey, a rule, a clone and a
record whose name holds markup, then writes ``notebook-results.html`` with each
result's ``_repr_html_`` under the expression that made it, styled like a Jupyter
output cell (``notebook-results-all.html``), takes a screenshot of it with headless
Chromium, and does the same for the few results the docs picture.
"""

from __future__ import annotations

import html
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import successkit as sk
from successkit.demo import build

ROOT = Path(__file__).resolve().parent.parent

#: What JupyterLab's own style does to an output's tables (right-aligned cells, zebra rows).
JUPYTER_CSS = """
body { font-family: -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; font-size: 14px;
       margin: 16px 24px; color: #212121; max-width: 1150px; }
.cell { margin: 0 0 18px; }
.in { font-family: 'DejaVu Sans Mono', monospace; font-size: 13px; background: #f7f7f7;
      border: 1px solid #e0e0e0; padding: 4px 8px; }
.in::before { content: "In [ ]: "; color: #307fc1; }
.out { padding: 4px 8px 0; overflow-x: auto; }
.out table { border: none; border-collapse: collapse; border-spacing: 0; font-size: 12px; }
.out td, .out th { text-align: right; vertical-align: middle; padding: 0.5em; line-height: normal;
                   white-space: normal; max-width: none; border: none; }
.out th { font-weight: bold; }
.out tbody tr:nth-child(odd) { background: #f5f5f5; }
.out tbody tr:hover { background: rgba(66, 165, 245, 0.2); }
"""


def results(kit: sk.Kit) -> list[tuple[str, Any]]:
    """(expression, result) for every result type, on the demo workspace."""
    today = kit.today()
    acme = kit.companies.list([("name", "=", "Acme Holdings")])[0]
    japan = kit.companies.list([("name", "=", "Acme Japan")])[0]
    kit.companies.create("<script>alert('x')</script> & Co", stage="Onboarding", arr=12_500.5)
    kit.metrics.declare("logins", "Logins", unit="sessions")
    hiro = kit.people.of_company(japan)[0]
    maria = kit.people.of_company(acme)[0]
    rows = [
        {"metric": "logins", "company": c, "person": p, "period": today - timedelta(days=d), "value": v(d)}
        for c, p, v in ((japan, hiro, lambda d: 14 if d < 30 else 9), (acme, maria, lambda d: 30 if d < 30 else 41))
        for d in range(60)
    ]
    kit.usage.ingest(rows)
    pulse = kit.surveys.create("Pulse", [{"key": "nps", "type": "nps", "text": "Recommend us?"}])
    kit.surveys.respond(pulse, hiro, {"nps": 9}, company=japan)
    kit.surveys.respond(pulse, maria, {"nps": 6}, company=acme)
    kit.surveys.update_nps()
    kit.companies.update(acme.id, stage="Renewal")
    acme = kit.companies.get(acme.id)
    kit.bundles.deploy("health")
    kit.scorecards.recompute(today=today)
    rule = kit.rules.create(
        "Renewal 120 days out",
        where=[("renewal_date", "within next 120 days")],
        actions=[{"do": "create_cta", "name": "Renewal: {name}", "type": "renewal", "priority": "high",
                  "owner": "csm", "due_days": 30}],
    )  # fmt: skip
    plan = kit.plans.list([("company_id", "=", japan.id)])[0]
    return [
        ("kit.companies.list(sort=['name'])", kit.companies.list(sort=["name"])),
        ("kit.ctas.list(sort=['due_date'])", kit.rules.run(rule) and kit.ctas.list(sort=["due_date"])),
        ("kit.rules.run(rule, dry_run=True)", kit.rules.run(rule, dry_run=True)),
        ("kit.bundles.deploy('health', dry_run=True)", kit.bundles.deploy("health", dry_run=True)),
        (
            "kit.plans.clone(plan, to=acme, name='Copy', dry_run=True)",
            kit.plans.clone(plan, to=acme, name="Copy", dry_run=True),
        ),
        ("kit.goals.view(group_by='status')", kit.goals.view(group_by="status")),
        ("kit.plans.open(plan)", kit.plans.open(plan)),
        ("kit.c360.company(acme)", kit.c360.company(acme)),
        ("kit.usage.window('logins', days=30)", kit.usage.window("logins", days=30)),
        ("kit.surveys.scores(months=12)", kit.surveys.scores(months=12)),
        ("kit.history.series('stage')", kit.history.series("stage")),
        ("kit.companies.aggregate(by='stage', ...)",
         kit.companies.aggregate(by="stage", measures={"companies": "count", "arr": ("sum", "arr")})),
        ("kit.scorecards.explain(acme)", kit.scorecards.explain(acme)),
        ("kit.scorecards.history([acme])", kit.scorecards.history([acme])),
        ("kit.scorecards.preview('standard', measures=['nps'])",
         kit.scorecards.preview("standard", measures=["nps"])),
        ("kit.usage.ingest(rows)", kit.usage.ingest(rows[:5])),
        ("kit.timeline.company(acme)", kit.timeline.company(japan)),
        ("kit.companies.get(acme.id)", kit.companies.get(acme.id)),
    ]  # fmt: skip


def page(entries: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f'<div class="cell"><div class="in">{html.escape(code)}</div><div class="out">{r._repr_html_()}</div></div>'
        for code, r in entries
    )
    head = f"<meta charset='utf-8'><style>{JUPYTER_CSS}</style>"
    return f"<!doctype html><html><head>{head}</head><body>{cells}</body></html>"


#: The results the docs' picture shows (docs/images/notebook-results.png), and its height.
DOCS_PICTURE = ("kit.companies.list", "kit.rules.run", "kit.plans.clone", "kit.usage.window", "kit.companies.aggregate")
DOCS_HEIGHT = 1200


def shoot(target: Path, png: Path, height: int) -> None:
    subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={png}", f"--window-size=1200,{height}", target.as_uri()],
        check=True, capture_output=True,
    )  # fmt: skip


def main(out_dir: Path) -> list[Path]:
    """Every result on one page (and its screenshot), and the docs' picture of a few of them."""
    kit = sk.open()
    with kit.transaction():
        build(kit)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = results(kit)
    target, docs = out_dir / "notebook-results-all.html", out_dir / "notebook-results.html"
    target.write_text(page(entries), encoding="utf-8")
    chosen = [e for e in entries if e[0].split("(")[0] in DOCS_PICTURE]
    docs.write_text(page(chosen), encoding="utf-8")
    shoot(target, out_dir / "notebook-results-all.png", 6000)
    shoot(docs, out_dir / "notebook-results.png", DOCS_HEIGHT)
    return [out_dir / "notebook-results-all.png", out_dir / "notebook-results.png"]


if __name__ == "__main__":
    print(*main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "notebook"), sep="\n")
