"""Screenshots of the portal's pages for the docs (docs/images/portal-*.png).

    PYTHONPATH=src python tools/portal_screenshots.py [OUT_DIR]

Builds the demo workspace (SQLite, in a scratch folder), shares its onboarding plan
with the customer's sponsor, serves the portal on 127.0.0.1 with uvicorn and takes
each page with headless Chromium (/usr/bin/chromium and chromedriver): the shared
plan, an expired link, a company 360, the internal plan page, the dashboards index
(as Alice, a CSM) and a portfolio as a team lead picks it.
"""

from __future__ import annotations

import io
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

import successkit as sk
from successkit.demo import main as build_demo
from successkit.web import app
from successkit.web.server import running

ROOT = Path(__file__).resolve().parent.parent


def _driver() -> Any:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,900"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def _shoot(driver: Any, url: str, path: Path, until: tuple[str, int] | None = None) -> None:
    """The whole page, as tall as it is (at least the window's height), or down to the
    end of the ``until`` = (CSS selector, index) element (a long page's first part)."""
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.get(url)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    bottom = int(size["height"]) + 8
    if until is not None:
        box = driver.find_elements(By.CSS_SELECTOR, until[0])[until[1]].rect
        bottom = min(bottom, int(box["y"] + box["height"]) + 24)
    height = max(640, min(bottom, 5000))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1200, "height": height, "deviceScaleFactor": 1, "mobile": False}
    )
    driver.save_screenshot(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def _prepare(kit: sk.Kit) -> tuple[sk.ShareGrant, sk.ShareGrant, sk.SuccessPlan, sk.User]:
    """The plan shared with Hiro (change rights, one task of his done), and a link that
    expires today."""
    plan = kit.plans.list([("name", "=", "Acme Japan onboarding")])[0]
    hiro = kit.people.list([("name", "=", "Hiro Tanaka")])[0]
    alice = kit.users.list([("name", "=", "Alice Kim")])[0]
    kit.sharing.set_plan_external(plan.id)
    tasks = kit.tasks.list([("plan_id", "=", plan.id)], sort=["start_date", "name"])
    for task in tasks[:3]:
        kit.tasks.update(task.id, owner=hiro)
    grant = kit.sharing.share_with_person(plan.id, hiro, can_change=True)
    kit.sharing.set_task_done(grant.token, tasks[0].id)
    kit.sharing.comment(grant.token, "Kickoff call booked for Monday.")
    short = kit.sharing.share_with_person(plan.id, hiro, expires_on=kit.today())
    return grant, short, kit.plans.get(plan.id), alice


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        kit = build_demo(db, io.StringIO())
        grant, short, plan, alice = _prepare(kit)
        later = sk.open(f"sqlite:///{db}", clock=datetime.now(timezone.utc) + timedelta(days=2))
        driver = _driver()
        try:
            with running(app(kit, user=lambda request: alice.id, title="Acme Cloud success")) as base:
                _shoot(driver, f"{base}/s/{grant.token}", out / "portal-shared-plan.png")
                _shoot(driver, f"{base}/companies/{plan.company_id}", out / "portal-company-360.png")
                _shoot(driver, f"{base}/plans/{plan.id}", out / "portal-internal-plan.png")
                _shoot(driver, f"{base}/dashboards", out / "portal-dashboards.png", until=("section.board", 1))
                _shoot(driver, f"{base}/dashboards/arr-at-risk", out / "portal-dashboard-arr-at-risk.png")
            lead = kit.users.ensure("Lee Park", email="lee@acmecloud.example", license="full")
            with running(app(kit, user=lambda request: lead.id, title="Acme Cloud success")) as base:
                _shoot(driver, f"{base}/dashboards/portfolio?csm={alice.id}", out / "portal-dashboard-portfolio.png")
            with running(app(later, title="Acme Cloud success")) as base:
                _shoot(driver, f"{base}/s/{short.token}", out / "portal-expired-link.png")
        finally:
            driver.quit()
            later.close()
            kit.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
