"""The dashboards of REPORT_04 as internal pages of the portal, on every backend (PORTAL_03):
the index and one page per dashboard with their figures, the license rule of the other
internal pages, whose portfolio a user may open, escaped names, pages the CSP does not
break, and storage calls that do not grow with the book."""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("jinja2")

from starlette.applications import Starlette
from starlette.routing import Mount

import successkit as sk
from successkit import web
from successkit.reports.charts import short_number
from successkit.reports.sample import sample_book

with warnings.catch_warnings():  # Starlette's note that its client will move to httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

EVIL = "<script>alert(1)</script>"
KINDS = ("portfolio", "arr-at-risk", "renewals", "trends", "cta-effectiveness", "success-plans")


class Boards:
    """A sample book of five CSMs (full licenses), a viewer CSM, an analyst, a lead
    who is nobody's CSM, and the portal mounted under /portal without a host page."""

    def __init__(self, kit: sk.Kit, companies: int = 10) -> None:
        self.kit = kit
        self.csms = sample_book(kit, companies)
        self.alice, self.bruno = self.csms[0], self.csms[1]
        self.dana = kit.users.update(self.csms[3].id, license="viewer")  # a CSM with a viewer license
        self.vera = kit.users.create("Vera", license="viewer_analytics")
        self.lead = kit.users.create("Lee Lead", license="full")
        self.ian = kit.users.create("Ian", license="internal_collaborator")
        self.signed_in: Any = self.alice.id
        self.mount()

    def mount(self, **options: Any) -> Boards:
        """The portal, with these options of ``web.app``, under /portal."""
        portal = web.app(self.kit, user=lambda request: self.signed_in, **options)
        self.client = TestClient(Starlette(routes=[Mount("/portal", app=portal)]), follow_redirects=False)
        return self

    def get(self, path: str, *who: Any) -> Any:
        """GET a portal path, signed in as ``who`` when given (None: nobody)."""
        if who:
            self.signed_in = who[0]
        return self.client.get(f"/portal{path}")


@pytest.fixture
def b(kit: sk.Kit) -> Boards:
    return Boards(kit)


def card(page: str, label: str) -> str:
    """The value of the headline figure ``label`` on a page."""
    found = re.search(
        rf'<div class="value">([^<]*)</div><div class="label">{re.escape(html.escape(label))}</div>', page
    )
    assert found, f"no figure {label!r}"
    return html.unescape(found.group(1))


def h1(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page)
    assert found
    return html.unescape(found.group(1))


# ------------------------------------------------------------------- the pages
def test_index_shows_a_csms_own_portfolio_first_then_the_teams__PORTAL_03(b: Boards) -> None:
    r = b.get("/dashboards", b.alice.id)
    assert r.status_code == 200 and h1(r.text) == "Dashboards" and "<title>Dashboards · " in r.text
    titles = re.findall(r'<div class="successkit-dashboard ([a-z-]+)">', r.text)
    assert titles == list(KINDS)
    mine = b.kit.dashboards.portfolio(b.alice)
    assert "Portfolio of Alice Kim" in r.text and card(r.text, "customers") == short_number(mine.customers)
    for kind in KINDS:  # each dashboard links to its own page
        assert f'href="/portal/dashboards/{kind}"' in r.text
    lead = b.get("/dashboards", b.lead.id)  # nobody's CSM: the team's dashboards only
    assert re.findall(r'<div class="successkit-dashboard ([a-z-]+)">', lead.text) == list(KINDS[1:])
    assert 'href="/portal/dashboards"' in b.get("/").text  # in the portal's navigation


def test_each_dashboard_page_shows_its_key_figures__PORTAL_03(b: Boards) -> None:
    kit, d = b.kit, b.kit.dashboards
    b.signed_in = b.alice.id
    mine = d.portfolio(b.alice)
    page = b.get("/dashboards/portfolio").text
    assert "<title>Portfolio · " in page and "Portfolio of Alice Kim" in page
    assert (
        card(page, "customers")
        == short_number(mine.customers)
        == str(kit.companies.count([("csm_id", "=", b.alice.id)]))
    )
    assert card(page, "ARR") == short_number(mine.arr) and card(page, "open CTAs") == short_number(
        sum(mine.open_ctas.values())
    )
    risk = d.arr_at_risk()
    page = b.get("/dashboards/arr-at-risk").text
    assert card(page, "total ARR") == short_number(risk.total_arr) and risk.total_arr == sum(
        c.arr or 0 for c in kit.companies.list()
    )
    assert card(page, "ARR at risk (Red, Yellow)") == short_number(risk.at_risk_arr)
    renewals = d.renewals()
    page = b.get("/dashboards/renewals").text
    first = renewals.quarters[0]
    assert card(page, f"{first} renewals · ARR {renewals.arr[first]:,.0f}") == str(renewals.count[first])
    page = b.get("/dashboards/trends?weeks=3").text
    assert card(page, "survey responses, 3 weeks") == short_number(sum(d.trends(weeks=3).responses))
    page = b.get("/dashboards/cta-effectiveness").text
    assert card(page, "CTAs opened") == str(kit.ctas.count())
    page = b.get("/dashboards/success-plans").text
    assert card(page, "plans") == str(kit.plans.count()) and card(page, "tasks") == str(kit.tasks.count())
    for kind in KINDS:  # the page of each is marked in the dashboards' tabs
        assert f'<a href="/portal/dashboards/{kind}" aria-current="page">' in b.get(f"/dashboards/{kind}").text


def test_pages_hold_no_inline_style_or_script_the_csp_would_block__PORTAL_03(b: Boards) -> None:
    """The CSP allows the portal's stylesheet only: the fragments' <style> blocks are taken
    out and their rules are in portal.css, so the charts and cards keep their look."""
    b.signed_in = b.alice.id
    for path in ("/dashboards", *(f"/dashboards/{k}" for k in KINDS)):
        r = b.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "style-src 'self'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
        assert "<style" not in r.text and " style=" not in r.text and "<script" not in r.text, path
        assert "<svg" in r.text, path  # the charts, inline
    css = b.client.get("/portal/static/portal.css").text
    assert (
        ".successkit-dashboard .card{" in css
        and ".successkit tbody tr" in css
        and ".board .successkit-dashboard" in css
    )


# ------------------------------------------------------------- who sees what
def test_dashboards_follow_the_license_rule_of_the_other_internal_pages__PORTAL_03(b: Boards) -> None:
    gone = b.kit.users.create("Gone", active=False)
    for path in ("/dashboards", *(f"/dashboards/{k}" for k in KINDS)):
        assert b.get(path, None).status_code == 401, path
        for who in (b.ian.id, gone.id, "no-such-user"):
            r = b.get(path, who)
            assert r.status_code == 403 and "successkit-dashboard" not in r.text, (path, who)
        assert b.get(path, b.vera.id).status_code == 200, path
        assert b.get(path, b.dana.id).status_code == 200, path


def test_whose_portfolio_a_user_opens__PORTAL_03(b: Boards) -> None:
    """Own by default; any with a full or viewer_analytics license; a viewer only their own."""
    own = b.get("/dashboards/portfolio", b.dana.id)
    assert own.status_code == 200 and "Portfolio of Dana Wu" in own.text and "?csm=" not in own.text
    for asked in (b.alice.id, b.lead.id, "0" * 32, "../x"):  # a viewer: 403, existing user or not
        r = b.get(f"/dashboards/portfolio?csm={asked}", b.dana.id)
        assert r.status_code == 403 and "Portfolio of" not in r.text, asked
    assert b.get(f"/dashboards/portfolio?csm={b.dana.id}", b.dana.id).status_code == 200
    for who in (b.alice.id, b.vera.id, b.lead.id):  # full and viewer_analytics: anyone's
        r = b.get(f"/dashboards/portfolio?csm={b.bruno.id}", who)
        assert r.status_code == 200 and "Portfolio of Bruno Diaz" in r.text
        assert card(r.text, "customers") == str(b.kit.companies.count([("csm_id", "=", b.bruno.id)]))
        assert f'href="/portal/dashboards/portfolio?csm={b.alice.id}"' in r.text  # the pick of portfolios
        assert f'?csm={b.bruno.id}" aria-current="page">' in r.text  # the one shown is marked
    picker = b.get("/dashboards/portfolio", b.lead.id)  # nobody's CSM: the pick, no portfolio
    assert picker.status_code == 200 and "Portfolio of" not in picker.text and "CSM of no company" in picker.text
    assert all(f"?csm={c.id}" in picker.text for c in b.csms)
    for bad in ("0" * 32, "x" * 300, "%00"):
        assert b.get(f"/dashboards/portfolio?csm={bad}", b.lead.id).status_code == 404


def test_bad_options_and_unknown_dashboards_get_a_page_not_a_crash__PORTAL_03(b: Boards) -> None:
    b.signed_in = b.alice.id
    for path in ("/dashboards/trends?weeks=0", "/dashboards/trends?weeks=x", "/dashboards/trends?weeks=105",
                 "/dashboards/cta-effectiveness?days=-1", "/dashboards/renewals?quarters=13"):  # fmt: skip
        r = b.get(path)
        assert r.status_code == 400 and "cannot be shown" in r.text and "from 1 to" in r.text, path
    assert b.get("/dashboards/trends?weeks=104").status_code == 200
    for path in ("/dashboards/nope", "/dashboards/portfolio/x", "/dashboards/"):
        assert b.get(path).status_code == 404, path


def test_names_on_dashboard_pages_are_escaped__PORTAL_03(b: Boards) -> None:
    kit = b.kit
    kit.users.update(b.bruno.id, name=f"Bruno {EVIL}")
    top = kit.companies.list([("csm_id", "=", b.alice.id)], sort=["-arr"], limit=1)[0]
    kit.companies.update(top.id, name=f"Acme {EVIL}")
    b.signed_in = b.alice.id
    pages = [b.get(p).text for p in ("/dashboards", *(f"/dashboards/{k}" for k in KINDS))]
    pages.append(b.get(f"/dashboards/portfolio?csm={b.bruno.id}").text)
    for page in pages:
        assert "<script" not in page
    assert "Acme &lt;script&gt;" in pages[1] and "Bruno &lt;script&gt;" in pages[-1]


# ------------------------------------------------------------- host's pages
def test_a_hosts_dashboards_page_replaces_the_index_only__PORTAL_03(b: Boards) -> None:
    def own(kit: sk.Kit, user: sk.User, request: Any) -> tuple[str, str]:
        return "Our dashboards", "<p id='slot'>ours</p>"

    b.mount(pages={"dashboards": own})
    r = b.get("/dashboards")
    assert r.status_code == 200 and "<p id='slot'>ours</p>" in r.text and "successkit-dashboard" not in r.text
    assert b.get("/").text.count('href="/portal/dashboards"') == 1  # one entry in the navigation
    page = b.get("/dashboards/renewals")
    assert page.status_code == 200 and '<a href="/portal/dashboards">All</a>' in page.text
    off = b.mount(dashboards=False)
    assert off.get("/dashboards").status_code == 404 and off.get("/dashboards/trends").status_code == 404
    assert 'href="/portal/dashboards"' not in off.get("/").text


# ------------------------------------------------------------------ numbers
def test_dashboard_pages_make_the_same_storage_calls_at_10_and_100_companies__PORTAL_03(kit: sk.Kit) -> None:
    b = Boards(kit, companies=10)
    paths = ("/dashboards", *(f"/dashboards/{k}" for k in KINDS), f"/dashboards/portfolio?csm={b.bruno.id}")

    def calls() -> dict[str, dict[str, int]]:
        seen = {}
        for path in paths:
            b.get(path, b.lead.id if "csm=" in path else b.alice.id)  # the kit's caches warm up
            kit.store.stats.reset()
            assert b.get(path).status_code == 200
            seen[path] = {k: v for k, v in kit.store.stats.calls.items() if v}
        return seen

    small = calls()
    sample_book(kit, 90, csms=b.csms, first=10)
    assert kit.companies.count() == 100
    assert calls() == small
    assert sum(small["/dashboards"].values()) <= 30


def test_an_empty_workspace_shows_every_dashboard__PORTAL_03(kit: sk.Kit) -> None:
    """No renewals, plans or CTAs yet: each dashboard shows its empty tables, no chart (REPORT_04)."""
    lead = kit.users.create("Lee Lead", license="full")
    portal = web.app(kit, user=lambda request: lead.id)
    client = TestClient(Starlette(routes=[Mount("/portal", app=portal)]))
    for path in ("/dashboards", *(f"/dashboards/{k}" for k in KINDS)):
        r = client.get(f"/portal{path}")
        assert r.status_code == 200, path
    r = client.get("/portal/dashboards")
    assert r.text.count("Nothing yet.") >= 5 and card(r.text, "plans") == "0"
