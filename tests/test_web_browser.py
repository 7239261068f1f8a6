"""The shared plan in a real browser (PORTAL_01, PORTAL_02, PORTAL_04): headless Chromium,
driven by Selenium through the system's chromedriver, against the portal served by uvicorn
on 127.0.0.1.  Skipped where Chromium is missing, except on CI (``CI=true``), which
installs it (``.ci/run``) and must run this test."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

import successkit as sk

from .test_sharing import ShareWorld

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    for module in ("selenium", "uvicorn", "starlette", "jinja2"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install 'successkit[web,dev]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the browser test, but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_contact_ticks_their_task_in_chromium__PORTAL_02(browser: Any) -> None:
    """Open the link, see the plan and its chart, press "Mark done", see it done; the
    token is in no later address and in no line of uvicorn's access log (PORTAL_04)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from successkit.web import app
    from successkit.web.server import running

    kit = sk.open("memory://")
    world = ShareWorld(kit)
    world.external()
    mine = kit.tasks.create(world.shown, "Sign the kickoff", owner=world.pat).record
    grant = kit.sharing.share_with_person(world.sp, world.pat, can_change=True)
    access_log = _Lines()
    try:
        with running(app(kit)) as base:
            logging.getLogger("uvicorn.access").addHandler(access_log)  # after uvicorn set its logging up
            browser.get(f"{base}/s/{grant.token}")
            assert browser.title.startswith("Onboarding")
            assert grant.token not in browser.current_url
            assert browser.find_elements(By.CSS_SELECTOR, "svg.successkit-gantt rect.bar")
            row = browser.find_element(By.CSS_SELECTOR, f'tr[data-task="{mine.id}"]')
            assert "done" not in (row.get_attribute("class") or "")
            row.find_element(By.TAG_NAME, "button").click()
            # the click returns before the post, its redirect and the new page are done
            WebDriverWait(browser, 15).until(expected_conditions.staleness_of(row))
            selector = f'tr[data-task="{mine.id}"]'
            WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda b: "done" in (b.find_element(By.CSS_SELECTOR, selector).get_attribute("class") or "").split()
            )
            row = browser.find_element(By.CSS_SELECTOR, selector)
            assert "done" in (row.get_attribute("class") or "").split()
            assert row.find_element(By.CSS_SELECTOR, "td.status").text == "Complete"
            assert "1 of 2 tasks done" in browser.find_element(By.CSS_SELECTOR, ".progress").text
    finally:
        logging.getLogger("uvicorn.access").removeHandler(access_log)
    assert kit.tasks.get(mine.id).status == "complete"
    assert any("/s/[token]" in line for line in access_log.lines), access_log.lines
    assert all(grant.token not in line for line in access_log.lines)


def test_the_dashboards_are_styled_under_the_csp_in_chromium__PORTAL_03(browser: Any) -> None:
    """The dashboards' look comes from the portal's stylesheet (the CSP blocks inline
    styles): the cards have their border, the charts are drawn, and the index leaves a
    chart's table to the dashboard's own page."""
    from selenium.webdriver.common.by import By

    from successkit.reports.sample import sample_book
    from successkit.web import app
    from successkit.web.server import running

    kit = sk.open("memory://")
    alice = sample_book(kit, 12)[0]
    with running(app(kit, user=lambda request: alice.id)) as base:
        browser.get(f"{base}/dashboards")
        assert browser.title.startswith("Dashboards")
        card = browser.find_element(By.CSS_SELECTOR, ".successkit-dashboard .card")
        assert card.value_of_css_property("border-top-style") == "solid"
        assert card.find_element(By.CSS_SELECTOR, ".value").value_of_css_property("font-weight") == "600"
        chart = browser.find_element(By.CSS_SELECTOR, "svg.successkit-chart")
        assert chart.size["width"] > 300 and browser.find_elements(By.CSS_SELECTOR, "svg.successkit-chart rect.bar")
        table = browser.find_element(By.CSS_SELECTOR, "section.panel > svg + .successkit")
        assert table.value_of_css_property("display") == "none"
        browser.get(f"{base}/dashboards/arr-at-risk")
        table = browser.find_element(By.CSS_SELECTOR, "section.panel > svg + .successkit")
        assert table.is_displayed() and "Alice Kim" in browser.find_element(By.TAG_NAME, "main").text
    kit.close()
