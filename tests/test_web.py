"""The portal over HTTP, on every backend (PORTAL_01-PORTAL_04): share links as pages,
changes through links with change rights, internal pages, and the safety rules."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import warnings
from datetime import date, timedelta
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("jinja2")

from starlette.applications import Starlette
from starlette.routing import Mount

import successkit as sk
from successkit import web
from successkit.web.safety import form_token

from .helpers import snapshot
from .test_sharing import ShareWorld

with warnings.catch_warnings():  # Starlette's note that its client will move to httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

EVIL = "<script>alert(1)</script>"
SECRET = b"form-secret-of-the-tests-32-bytes"


class Portal(ShareWorld):
    """The share world with a task the contact Pat owns, and the portal mounted under /portal."""

    def __init__(self, kit: sk.Kit, who: Any = None) -> None:
        super().__init__(kit)
        self.external()
        self.mine = kit.tasks.create(self.shown, "Sign the kickoff", owner=self.pat).record
        self.theirs = self.t_shown  # owned by nobody
        self.signed_in: Any = who
        self.portal = web.app(
            kit, user=lambda request: self.signed_in, pages={"dashboards": _dashboards}, secret=SECRET
        )
        host = Starlette(routes=[Mount("/portal", app=self.portal)])
        self.client = TestClient(host, follow_redirects=False)

    def grant(self, *, can_change: bool = True, expires_on: date | None = None) -> sk.ShareGrant:
        return self.kit.sharing.share_with_person(self.sp, self.pat, can_change=can_change, expires_on=expires_on)

    def open_link(self, token: str) -> Any:
        """Follow a share link: the token for a cookie, then the plan's page."""
        first = self.client.get(f"/portal/s/{token}")
        assert first.status_code == 303, first.text
        return self.client.get(first.headers["location"])


def _dashboards(kit: sk.Kit, user: sk.User, request: Any) -> tuple[str, str]:
    return "Dashboards", "<p id='slot'>reports go here</p>"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, html
    return found.group(1)


@pytest.fixture
def pw(kit: sk.Kit) -> Portal:
    return Portal(kit)


# ------------------------------------------------------------------- PORTAL_01
def test_shared_plan_page_shows_what_the_share_allows_under_the_mount_path__PORTAL_01(pw: Portal) -> None:
    grant = pw.grant()
    first = pw.client.get(f"/portal/s/{grant.token}")
    assert first.status_code == 303
    assert first.headers["location"] == f"/portal/shared/{grant.share.id}"  # root_path respected
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/portal" in cookie and "samesite=lax" in cookie.lower()
    page = pw.client.get(first.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert "Onboarding" in html and "Go live" in html and "Configure SSO" in html and "Sign the kickoff" in html
    for hidden in ("Internal pricing", "Discount approval", "Team staffing", "Hire"):  # SHARE_03, SHARE_05
        assert hidden not in html
    assert "<svg" in html and 'class="successkit-gantt"' in html  # inline Gantt chart
    bars = set(re.findall(r'data-id="([0-9a-f]+)"', html))
    assert bars == {pw.shown.id, pw.t_shown.id, pw.mine.id}  # the chart shows what the link shows, no more
    assert 'href="/portal/static/portal.css"' in html
    assert "0 of 2 tasks done" in html


def test_links_follow_a_nested_mount_path__PORTAL_01(pw: Portal) -> None:
    host = Starlette(routes=[Mount("/cs", routes=[Mount("/portal", app=pw.portal)])])
    client = TestClient(host, follow_redirects=False)
    grant = pw.grant()
    first = client.get(f"/cs/portal/s/{grant.token}")
    assert first.headers["location"] == f"/cs/portal/shared/{grant.share.id}"
    assert "Path=/cs/portal" in first.headers["set-cookie"]
    html = client.get(first.headers["location"]).text
    assert f'action="/cs/portal/shared/{grant.share.id}/tasks/{pw.mine.id}"' in html
    assert 'href="/cs/portal/static/portal.css"' in html


def test_internal_user_link_shows_objectives_not_marked_external__PORTAL_01(pw: Portal) -> None:
    grant = pw.kit.sharing.share_with_user(pw.sp, pw.bob)
    html = pw.open_link(grant.token).text
    assert "Team staffing" in html and "Internal pricing" not in html
    assert "Mark done" not in html and "Leave a comment" not in html  # no change rights


@pytest.mark.parametrize("state", ["expired", "revoked", "disabled", "unknown"])
def test_dead_links_show_a_clear_page_with_the_right_status__PORTAL_01(
    pw: Portal, clock: sk.FixedClock, state: str
) -> None:
    kit = pw.kit
    grant = pw.grant(expires_on=kit.today() + timedelta(days=3))
    token = grant.token
    if state == "expired":
        clock.advance(days=4)
    elif state == "revoked":
        kit.sharing.revoke(grant.share)
    elif state == "disabled":
        kit.config.update_plan_type("onboarding", sharing_enabled=False)
    else:
        token = "A" * 43
    page = pw.client.get(f"/portal/s/{token}")
    want = {"expired": (410, "expired"), "revoked": (410, "withdrawn"), "disabled": (403, "no longer shared")}
    status, words = want.get(state, (404, "does not open a plan"))
    assert page.status_code == status and words in page.text
    assert "Onboarding" not in page.text and "set-cookie" not in page.headers


def test_a_link_revoked_after_opening_shows_the_revoked_page__PORTAL_01(pw: Portal) -> None:
    grant = pw.grant()
    assert pw.open_link(grant.token).status_code == 200
    pw.kit.sharing.revoke(grant.share)
    again = pw.client.get(f"/portal/shared/{grant.share.id}")
    assert again.status_code == 410 and "withdrawn" in again.text and "Go live" not in again.text


def test_the_plan_page_needs_the_links_cookie__PORTAL_01(pw: Portal) -> None:
    grant = pw.grant()
    page = pw.client.get(f"/portal/shared/{grant.share.id}")
    assert page.status_code == 403 and "Open this page from your link" in page.text
    assert "Go live" not in page.text


def test_app_refuses_an_as_user_kit_and_bad_options__PORTAL_01(pw: Portal) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        web.app(pw.kit.as_user(pw.alice))
    assert e.value.rule == "PORTAL_01"
    with pytest.raises(sk.ValidationError):
        web.app(pw.kit, secret=b"short")
    with pytest.raises(sk.ValidationError):
        web.app(pw.kit, pages={"shared": _dashboards})


def test_core_imports_no_web_framework__PORTAL_01() -> None:
    """``import successkit`` (and opening a kit) loads neither Starlette nor Jinja2."""
    code = (
        "import sys, successkit; successkit.open('memory://');"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('starlette', 'jinja2', 'uvicorn', 'successkit.web')"
        " or m.startswith('successkit.web')]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------- PORTAL_02
def test_holder_marks_own_task_done_and_reopens_it__PORTAL_02(pw: Portal) -> None:
    grant = pw.grant()
    page = pw.open_link(grant.token)
    action = f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}"
    assert f'action="{action}"' in page.text
    assert f'/tasks/{pw.theirs.id}"' not in page.text  # a task of someone else has no button
    done = pw.client.post(action, data={"csrf": csrf_of(page.text), "done": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"/portal/shared/{grant.share.id}"
    assert pw.kit.tasks.get(pw.mine.id).status == "complete"
    again = pw.client.get(done.headers["location"]).text
    assert "1 of 2 tasks done" in again and "Reopen" in again
    pw.client.post(action, data={"csrf": csrf_of(again), "done": "0"})
    assert pw.kit.tasks.get(pw.mine.id).status == "open"


def test_an_internal_users_link_changes_their_own_tasks_and_comments_as_them__PORTAL_02(pw: Portal) -> None:
    bobs = pw.kit.tasks.create(pw.inside, "Staff the team", owner=pw.bob).record  # Team staffing: internal only
    grant = pw.kit.sharing.share_with_user(pw.sp, pw.bob, can_change=True)
    page = pw.open_link(grant.token)
    assert page.text.count("Mark done") == 1  # Bob's task only: the others are nobody's or Pat's
    csrf = csrf_of(page.text)
    r = pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{bobs.id}", data={"csrf": csrf})
    assert r.status_code == 303 and pw.kit.tasks.get(bobs.id).status == "complete"
    r = pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}", data={"csrf": csrf})
    assert r.status_code == 403 and pw.kit.tasks.get(pw.mine.id).status == "open"  # Pat's task
    r = pw.client.post(f"/portal/shared/{grant.share.id}/comments", data={"csrf": csrf, "text": "Staffed"})
    assert r.status_code == 303
    (note,) = [a for a in pw.kit.timeline.plan(pw.sp.id).activities if a.notes == "Staffed"]
    assert note.author_id == pw.bob.id and note.participant_person_ids == ()


def test_holder_cannot_change_a_task_they_do_not_own_or_cannot_see__PORTAL_02(pw: Portal) -> None:
    grant = pw.grant()
    csrf = csrf_of(pw.open_link(grant.token).text)
    hidden = pw.kit.tasks.create(pw.inside, "Hidden task", owner=pw.pat).record  # not external: not shown
    other = pw.plan("Elsewhere")
    far = pw.kit.tasks.create(pw.kit.objectives.create(other, "Far").record, "Far task", owner=pw.pat).record
    before = snapshot(pw.kit)
    for task_id in (pw.theirs.id, hidden.id, far.id, "no-such-task", "../../companies"):
        r = pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{task_id}", data={"csrf": csrf, "done": "1"})
        assert r.status_code in (403, 404, 405), task_id  # 405: a path that leads to no form at all
    assert snapshot(pw.kit) == before


def test_a_link_without_change_rights_changes_nothing__PORTAL_02(pw: Portal) -> None:
    grant = pw.grant(can_change=False)
    page = pw.open_link(grant.token)
    assert "Mark done" not in page.text
    assert re.search(r'name="csrf"', page.text) is None
    before = snapshot(pw.kit)
    token_csrf = form_token(SECRET, "share", grant.token)  # a right form token: the link itself says no
    r = pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}", data={"csrf": token_csrf})
    assert r.status_code == 403
    r = pw.client.post(f"/portal/shared/{grant.share.id}/comments", data={"csrf": token_csrf, "text": "hi"})
    assert r.status_code == 403
    assert snapshot(pw.kit) == before


def test_holder_comments_on_the_plan_and_an_objective__PORTAL_02(pw: Portal) -> None:
    grant = pw.grant()
    page = pw.open_link(grant.token)
    url = f"/portal/shared/{grant.share.id}/comments"
    r = pw.client.post(url, data={"csrf": csrf_of(page.text), "text": "Kickoff went well", "objective": pw.shown.id})
    assert r.status_code == 303 and r.headers["location"].endswith("?commented=1")
    assert "your comment was sent" in pw.client.get(r.headers["location"]).text
    r = pw.client.post(url, data={"csrf": csrf_of(page.text), "text": "And the plan", "objective": ""})
    assert r.status_code == 303
    notes = [*pw.kit.timeline.plan(pw.sp.id).activities, *pw.kit.timeline.objective(pw.shown.id).activities]
    mine = {a.notes: a for a in notes if a.notes in ("Kickoff went well", "And the plan")}
    assert mine["Kickoff went well"].level == "objective" and mine["And the plan"].level == "plan"
    assert all(a.participant_person_ids == (pw.pat.id,) and a.author_id is None for a in mine.values())


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001])
def test_bad_comments_are_refused_and_nothing_is_written__PORTAL_02(pw: Portal, text: str) -> None:
    grant = pw.grant()
    csrf = csrf_of(pw.open_link(grant.token).text)
    before = snapshot(pw.kit)
    r = pw.client.post(f"/portal/shared/{grant.share.id}/comments", data={"csrf": csrf, "text": text})
    assert r.status_code == 400 and "That change was not made" in r.text
    assert snapshot(pw.kit) == before


def test_comment_on_an_objective_the_link_hides_is_refused__PORTAL_02(pw: Portal) -> None:
    grant = pw.grant()
    csrf = csrf_of(pw.open_link(grant.token).text)
    before = snapshot(pw.kit)
    for objective in (pw.inside.id, pw.hidden.id, "nope"):
        r = pw.client.post(
            f"/portal/shared/{grant.share.id}/comments", data={"csrf": csrf, "text": "hi", "objective": objective}
        )
        assert r.status_code == 403
    assert snapshot(pw.kit) == before


def test_changes_go_through_the_one_access_function__PORTAL_02(pw: Portal, monkeypatch: Any) -> None:
    """SHARE_04: the portal's reads and changes ask ``kit.access``; when it says no, nothing happens."""
    grant = pw.grant()
    csrf = csrf_of(pw.open_link(grant.token).text)
    asked: list[str] = []
    real = type(pw.kit.access).can

    def can(self: Any, principal: Any, action: str, obj: Any) -> bool:
        asked.append(action)
        return False

    monkeypatch.setattr(type(pw.kit.access), "can", can)
    before = snapshot(pw.kit)
    r = pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}", data={"csrf": csrf, "done": "1"})
    assert r.status_code == 403 and asked == ["change"]
    assert snapshot(pw.kit) == before
    monkeypatch.setattr(type(pw.kit.access), "can", real)


def test_the_access_decision_grants_change_only_to_the_holders_own_tasks__PORTAL_02(pw: Portal) -> None:
    grant = pw.grant()
    principal = pw.kit.sharing.access(grant.token)
    assert pw.kit.access.can(principal, "change", pw.mine)
    assert not pw.kit.access.can(principal, "change", pw.theirs)
    assert not pw.kit.access.can(principal, "change", pw.sp) and not pw.kit.access.can(principal, "change", pw.shown)
    viewing = pw.kit.sharing.access(pw.grant(can_change=False).token)
    assert not pw.kit.access.can(viewing, "change", pw.mine)


# ------------------------------------------------------------------- PORTAL_03
def test_internal_pages_need_a_user_the_host_signed_in__PORTAL_03(pw: Portal) -> None:
    for path in ("/portal/", f"/portal/companies/{pw.acme.id}", f"/portal/plans/{pw.sp.id}", "/portal/dashboards"):
        pw.signed_in = None
        assert pw.client.get(path).status_code == 401
        pw.signed_in = pw.ian.id  # internal collaborator: no plans
        assert pw.client.get(path).status_code == 403
        pw.signed_in = pw.gone  # inactive
        assert pw.client.get(path).status_code == 403
        pw.signed_in = "no-such-user"
        assert pw.client.get(path).status_code == 403
        pw.signed_in = pw.bob  # viewer
        assert pw.client.get(path).status_code == 200, path


def test_company_360_page_shows_scorecard_signals_and_plan_links__PORTAL_03(pw: Portal) -> None:
    pw.signed_in = pw.alice.id
    r = pw.client.get(f"/portal/companies/{pw.acme.id}")
    assert r.status_code == 200
    view = pw.kit.c360.company(pw.acme.id)
    for heading, _ in view.sections():
        assert heading in r.text.replace("&#39;", "'").replace("&amp;", "&")
    assert any(name in view.section_names for name in ("scorecard", "usage", "surveys", "sponsors"))
    assert f'href="/portal/plans/{pw.sp.id}"' in r.text
    assert pw.client.get("/portal/companies/nope").status_code == 404


def test_internal_plan_page_shows_every_objective_and_the_gantt__PORTAL_03(pw: Portal) -> None:
    pw.signed_in = pw.bob.id
    r = pw.client.get(f"/portal/plans/{pw.sp.id}")
    assert r.status_code == 200
    for name in ("Go live", "Internal pricing", "Team staffing", "Hire", "Discount approval"):
        assert name in r.text
    assert "<svg" in r.text and f'href="/portal/companies/{pw.acme.id}"' in r.text
    assert pw.client.get("/portal/plans/nope").status_code == 404


def test_dashboards_slot_serves_the_hosts_page__PORTAL_03(pw: Portal) -> None:
    pw.signed_in = pw.alice
    r = pw.client.get("/portal/dashboards")
    assert r.status_code == 200 and "<p id='slot'>reports go here</p>" in r.text
    assert 'href="/portal/dashboards"' in pw.client.get("/portal/").text


# ------------------------------------------------------------------- PORTAL_04
def test_names_are_escaped_everywhere__PORTAL_04(pw: Portal) -> None:
    kit = pw.kit
    kit.companies.update(pw.acme.id, name=f"Acme {EVIL}")
    kit.plans.update(pw.sp.id, name=f"Plan {EVIL}")
    kit.objectives.update(pw.shown.id, name=f"Goal {EVIL}")
    kit.tasks.update(pw.mine.id, name=f"Task {EVIL}")
    grant = pw.grant()
    pages = [pw.open_link(grant.token).text]
    pw.signed_in = pw.alice.id
    pages += [
        pw.client.get(p).text for p in ("/portal/", f"/portal/companies/{pw.acme.id}", f"/portal/plans/{pw.sp.id}")
    ]
    for html in pages:
        assert "<script>" not in html and "&lt;script&gt;" in html


def test_forms_without_or_with_a_wrong_token_are_refused__PORTAL_04(pw: Portal) -> None:
    grant = pw.grant()
    csrf = csrf_of(pw.open_link(grant.token).text)
    other = pw.kit.sharing.share_with_person(pw.sp, pw.sam, can_change=True)
    other_csrf = csrf_of(pw.open_link(other.token).text)
    url = f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}"
    before = snapshot(pw.kit)
    for data in ({"done": "1"}, {"csrf": "0" * 64, "done": "1"}, {"csrf": other_csrf, "done": "1"}, {"csrf": ""}):
        r = pw.client.post(url, data=data)
        assert r.status_code == 403 and "not sent from the plan" in r.text
    r = pw.client.post(url, data={"csrf": csrf}, headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    r = pw.client.post(url, content=b"\xff\x00garbage", headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code in (400, 403)
    r = pw.client.post(url, data={"csrf": csrf, "text": "x" * 70_000})
    assert r.status_code == 413
    assert snapshot(pw.kit) == before


def test_no_other_plan_is_reachable_by_changing_an_id__PORTAL_04(pw: Portal) -> None:
    mine = pw.grant()
    pw.open_link(mine.token)
    second = pw.plan("Second")
    pw.kit.sharing.set_plan_external(second)
    pw.kit.objectives.create(second, "Secret objective")
    theirs = pw.kit.sharing.share_with_person(second, pw.sam)
    r = pw.client.get(f"/portal/shared/{theirs.share.id}")  # our cookie is for our share only
    assert r.status_code == 403 and "Secret objective" not in r.text
    pw.client.cookies.set(f"sk_share_{theirs.share.id}", mine.token)  # our token under their id
    r = pw.client.get(f"/portal/shared/{theirs.share.id}")
    assert r.status_code == 404 and "Secret objective" not in r.text
    for bad in ("../plans", "ZZ", "x" * 100):
        assert pw.client.get(f"/portal/shared/{bad}").status_code in (403, 404)


def test_tokens_never_reach_the_logs__PORTAL_04(pw: Portal, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    grant = pw.grant()
    page = pw.open_link(grant.token)
    pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}", data={"csrf": csrf_of(page.text)})
    pw.kit.sharing.revoke(grant.share)
    pw.client.get(f"/portal/s/{grant.token}")
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]  # the client's own
    assert server_side  # the refusal is logged, by share id
    assert all(grant.token not in r.getMessage() for r in server_side)
    access = logging.getLogger("uvicorn.access")
    record = access.makeRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", f"/portal/s/{grant.token}", "1.1", 303), None)  # fmt: skip
    assert logging.Filterer.filter(access, record)  # the logger's own filters, as it applies them
    assert grant.token not in record.getMessage() and "/portal/s/[token]" in record.getMessage()


def test_every_response_carries_the_security_headers__PORTAL_04(pw: Portal) -> None:
    grant = pw.grant()
    pw.signed_in = pw.alice.id
    responses = [pw.client.get(f"/portal/s/{grant.token}"), pw.client.get(f"/portal/shared/{grant.share.id}")]
    responses += [pw.client.get(p) for p in ("/portal/", f"/portal/plans/{pw.sp.id}", "/portal/s/nope", "/portal/x")]
    for r in responses:
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp and "default-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"


# ------------------------------------------------------------- numbers (PORTAL_01)
def _big_plan(pw: Portal, objectives: int, tasks: int) -> sk.ShareGrant:
    kit = pw.kit
    plan = pw.plan(f"Big {objectives}x{tasks}")
    with kit.transaction():
        for i in range(objectives):
            o = kit.objectives.create(plan, f"Objective {i}").record
            for j in range(tasks):
                kit.tasks.create(o, f"Task {i}.{j}", owner=pw.pat if j % 2 else None)
    kit.sharing.set_plan_external(plan)
    return kit.sharing.share_with_person(plan, pw.pat, can_change=True)


def test_shared_plan_page_makes_the_same_storage_calls_for_5x2_and_50x10__PORTAL_01(pw: Portal) -> None:
    seen = []
    for objectives, tasks in ((5, 2), (50, 10)):
        grant = _big_plan(pw, objectives, tasks)
        first = pw.client.get(f"/portal/s/{grant.token}")
        pw.kit.store.stats.reset()
        page = pw.client.get(first.headers["location"])
        assert page.status_code == 200 and f"Task {objectives - 1}.{tasks - 1}" in page.text
        seen.append(dict(pw.kit.store.stats.calls))
    assert seen[0] == seen[1] and sum(seen[0].values()) <= 12


# ------------------------------------------------------------- successkit serve
def test_serve_runs_the_portal_with_uvicorn__PORTAL_01(tmp_path: Any) -> None:
    """``successkit serve URL --port N`` answers on 127.0.0.1 and logs a link as ``/s/[token]``."""
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "T" * 43
    cmd = [sys.executable, "-m", "successkit.cli", "serve", f"sqlite:///{tmp_path}/s.db", "--port", str(port)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, answer = time.monotonic() + 20, None
        while answer is None and time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/s/{token}", timeout=2)
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 404
        assert "does not open a plan" in answer.text
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 401  # no --user: nobody
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "/s/[token]" in output and token not in output


def test_serve_refuses_a_bad_port__PORTAL_01(tmp_path: Any) -> None:
    from successkit import cli

    assert cli.main(["serve", f"sqlite:///{tmp_path}/s.db", "--port", "70000"]) == cli.EXIT_REFUSED


def test_serve_takes_a_user_by_email_and_says_what_the_internal_pages_need__PORTAL_01(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--user`` takes an email as well as an id (the internal pages then open as that user);
    an unknown email is refused with status 2; without ``--user`` the start line says the
    internal pages need it."""
    from starlette.testclient import TestClient

    from successkit import cli
    from successkit.web import server

    url = f"sqlite:///{tmp_path}/s.db"
    kit = sk.open(url)
    kit.users.create("Alice Kim", email="alice@example.com", license="full")
    kit.close()
    statuses: list[int] = []

    def fake_run(app: Any, **_: Any) -> None:  # the kit is open while the server runs
        with TestClient(app) as client:
            statuses.append(client.get("/").status_code)

    monkeypatch.setattr(server, "run", fake_run)
    assert cli.main(["serve", url, "--user", "ALICE@example.com"]) == cli.EXIT_OK
    assert "need --user" not in capsys.readouterr().out
    assert cli.main(["serve", url]) == cli.EXIT_OK
    assert "the internal pages need --user ID_OR_EMAIL" in capsys.readouterr().out
    assert statuses == [200, 401]  # signed in as Alice; nobody
    assert cli.main(["serve", url, "--user", "nobody@example.com"]) == cli.EXIT_REFUSED
    assert "no user has the email 'nobody@example.com'" in capsys.readouterr().err
