"""The portal under attack, on every backend (PORTAL_02, PORTAL_04): what an outsider or
a link holder tries beyond the pages' own forms, and what each attempt gets."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any, cast

import pytest

pytest.importorskip("starlette")
pytest.importorskip("jinja2")

from starlette.applications import Starlette
from starlette.routing import Mount

import successkit as sk
from successkit import web
from successkit.web.safety import ACCESS_LOGGERS, SECURITY_HEADERS, RedactTokens

from .helpers import snapshot
from .test_web import Portal, csrf_of

with warnings.catch_warnings():  # Starlette's note that its client will move to httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def pw(kit: sk.Kit) -> Portal:
    return Portal(kit)


def _opened(pw: Portal) -> tuple[sk.ShareGrant, str]:
    """A link with change rights, opened: its grant and its pages' form token."""
    grant = pw.grant()
    return grant, csrf_of(pw.open_link(grant.token).text)


def _has_security_headers(response: Any) -> bool:
    return all(response.headers.get(k.decode()) == v.decode() for k, v in SECURITY_HEADERS)


# ---------------------------------------------------------------- error pages
def test_an_unexpected_error_shows_a_bare_page_with_the_security_headers__PORTAL_04(pw: Portal) -> None:
    """A crash (here in a host's page) answers 500 with no detail and every security header,
    although the server-error handler sits outside the headers middleware."""

    def broken(kit: sk.Kit, user: sk.User, request: Any) -> tuple[str, str]:
        raise RuntimeError("database password is hunter2")

    portal = web.app(pw.kit, user=lambda request: pw.alice.id, pages={"broken": broken})
    client = TestClient(Starlette(routes=[Mount("/portal", app=portal)]), raise_server_exceptions=False)
    r = client.get("/portal/broken")
    assert r.status_code == 500 and "Something went wrong" in r.text
    assert "hunter2" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    assert _has_security_headers(r)


def test_storage_errors_are_not_shown_to_the_link_holder__PORTAL_04(pw: Portal, monkeypatch: Any) -> None:
    """A change that fails in the store says "try again", not the database's words."""
    grant, csrf = _opened(pw)

    def failing(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise sk.StorageError("PostgreSQL error 23505: duplicate key, Key (id)=(internal-secret-id)")

    monkeypatch.setattr(type(pw.kit.sharing), "set_task_done", failing)
    monkeypatch.setattr(type(pw.kit.sharing), "comment", failing)
    for path, data in ((f"tasks/{pw.mine.id}", {"csrf": csrf}), ("comments", {"csrf": csrf, "text": "hi"})):
        r = pw.client.post(f"/portal/shared/{grant.share.id}/{path}", data=data)
        assert r.status_code == 503 and "Try again" in r.text, path
        assert "PostgreSQL" not in r.text and "internal-secret-id" not in r.text


def test_a_rule_the_change_breaks_is_still_explained__PORTAL_02(pw: Portal) -> None:
    """A refusal about what was sent keeps its words: the holder can act on them."""
    grant, csrf = _opened(pw)
    r = pw.client.post(f"/portal/shared/{grant.share.id}/comments", data={"csrf": csrf, "text": "x" * 5001})
    assert r.status_code == 400 and "5000 characters" in r.text


# --------------------------------------------------------------- form bodies
def test_a_form_body_sent_in_chunks_is_bounded_too__PORTAL_04(pw: Portal) -> None:
    """No Content-Length to check up front: the body is refused (413) once it passes 64 KiB,
    before it is parsed, and nothing is written."""
    grant, csrf = _opened(pw)
    before = snapshot(pw.kit)

    def chunks() -> Iterator[bytes]:
        yield f"csrf={csrf}&text=hi".encode()
        for i in range(6):  # six fields, each under the parser's per-field limit
            yield f"&pad{i}=".encode() + b"x" * 60_000

    r = pw.client.post(
        f"/portal/shared/{grant.share.id}/comments",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413 and "too large" in r.text
    assert snapshot(pw.kit) == before


def test_a_small_chunked_form_still_works__PORTAL_02(pw: Portal) -> None:
    grant, csrf = _opened(pw)

    def chunks() -> Iterator[bytes]:
        yield f"csrf={csrf}".encode()
        yield b"&text=Chunked+hello"

    r = pw.client.post(
        f"/portal/shared/{grant.share.id}/comments",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 303
    assert any(a.notes == "Chunked hello" for a in pw.kit.timeline.plan(pw.sp.id).activities)


@pytest.mark.parametrize("text", ["\u200b\u200b", "\u200e\ufeff\u2060", " \u00a0\u3000\t\n", "\u202e"])
def test_a_comment_of_invisible_characters_only_is_refused__PORTAL_02(pw: Portal, text: str) -> None:
    """Zero-width spaces, direction marks and the like are as empty as spaces: refused, nothing kept."""
    grant, csrf = _opened(pw)
    before = snapshot(pw.kit)
    r = pw.client.post(f"/portal/shared/{grant.share.id}/comments", data={"csrf": csrf, "text": text})
    assert r.status_code == 400 and "That change was not made" in r.text
    with pytest.raises(sk.RuleViolation) as e:
        pw.kit.sharing.comment(grant.token, text)
    assert e.value.rule == "PORTAL_02"
    assert snapshot(pw.kit) == before
    assert pw.kit.sharing.comment(grant.token, "\u200bok").notes == "\u200bok"  # something to read: kept


# ---------------------------------------------------------------------- CSRF
@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},  # a sandboxed frame or a privacy redirect: another site
        {"origin": "http://testserver.evil.example"},
        {"origin": "http://testserver:8080"},  # another port is another origin
        {"origin": "https://evil.example", "x-forwarded-host": "proxy.internal, evil.example"},
        {"sec-fetch-site": "same-site"},  # a sibling subdomain is another party
        {"sec-fetch-site": "cross-site", "origin": "http://testserver"},
    ],
)
def test_a_browser_post_from_another_origin_is_refused_even_with_the_token__PORTAL_04(
    pw: Portal, headers: dict[str, str]
) -> None:
    """Without ``Sec-Fetch-Site`` (an older browser) the ``Origin`` must be the portal's host."""
    grant, csrf = _opened(pw)
    before = snapshot(pw.kit)
    r = pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}", data={"csrf": csrf}, headers=headers)
    assert r.status_code == 403 and "not sent from the plan" in r.text
    assert snapshot(pw.kit) == before


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"origin": "http://testserver"},
        {"sec-fetch-site": "same-origin", "origin": "http://testserver"},
        {"origin": "https://portal.example", "host": "portal.example:443"},  # Host with the default port
        {"origin": "https://portal.example", "x-forwarded-host": "portal.example, proxy.internal"},
    ],
)
def test_a_post_from_the_portals_own_page_goes_through__PORTAL_04(pw: Portal, headers: dict[str, str]) -> None:
    grant, csrf = _opened(pw)
    r = pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}", data={"csrf": csrf}, headers=headers)
    assert r.status_code == 303 and pw.kit.tasks.get(pw.mine.id).status == "complete"


# ------------------------------------------------------------------- cookies
def test_the_link_cookie_is_secure_over_https_and_behind_a_tls_proxy__PORTAL_04(pw: Portal) -> None:
    """Secure when the request came over HTTPS, also as a proxy reports it (uvicorn's
    proxy headers); never a cookie a plain-HTTP page could read back over HTTPS."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    host = Starlette(routes=[Mount("/portal", app=pw.portal)])
    over_https = TestClient(host, base_url="https://portal.example", follow_redirects=False)
    cookie = over_https.get(f"/portal/s/{pw.grant().token}").headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/portal" in cookie
    proxied = TestClient(cast(Any, ProxyHeadersMiddleware(cast(Any, host), trusted_hosts="*")), follow_redirects=False)
    r = proxied.get(f"/portal/s/{pw.grant().token}", headers={"x-forwarded-proto": "https"})
    assert "Secure" in r.headers["set-cookie"]
    assert "Secure" not in pw.client.get(f"/portal/s/{pw.grant().token}").headers["set-cookie"]  # plain HTTP


# ---------------------------------------------------------------------- logs
def test_every_known_servers_access_log_is_redacted__PORTAL_04(pw: Portal) -> None:
    """uvicorn, gunicorn and hypercorn: a request line with a link is logged as ``/s/[token]``,
    also when the server passes its fields as a mapping of its own type."""
    token = pw.grant().token

    class Atoms(dict[str, Any]):  # like hypercorn's: a dict subclass with lookups of its own
        def __getitem__(self, key: str) -> Any:
            return super().__getitem__(key.lower())

    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        assert any(isinstance(f, RedactTokens) for f in logger.filters), name
        record = logger.makeRecord(name, logging.INFO, __file__, 1, "%(r)s %(s)s", (), None)
        record.args = Atoms(r=f"GET /portal/s/{token} HTTP/1.1", s=303)
        assert logging.Filterer.filter(logger, record)
        assert isinstance(record.args, Atoms) and record.args["R"] == "GET /portal/s/[token] HTTP/1.1"
        assert token not in record.getMessage()


# ------------------------------------------------------------------- headers
def test_every_response_says_not_to_index_or_embed_it__PORTAL_04(pw: Portal) -> None:
    """A link forwarded to a crawler or another site: no indexing, no cross-origin embedding,
    on pages, dead links, 404, 405 and the stylesheet alike."""
    grant = pw.grant()
    responses = [
        pw.client.get(f"/portal/s/{grant.token}"),
        pw.client.get(f"/portal/shared/{grant.share.id}"),
        pw.client.get("/portal/s/nope"),
        pw.client.get("/portal/static/portal.css"),
        pw.client.put(f"/portal/shared/{grant.share.id}/comments"),
        pw.client.get("/portal/no/such/page"),
    ]
    for r in responses:
        assert r.headers["x-robots-tag"] == "noindex, nofollow"
        assert r.headers["cross-origin-resource-policy"] == "same-origin"
        assert _has_security_headers(r)


# ------------------------------------------------------------ method tricks
def test_other_methods_change_nothing__PORTAL_04(pw: Portal) -> None:
    """HEAD of a link does what GET does (a cookie, no page body); PUT, PATCH, DELETE and
    OPTIONS on the forms, and a POST to a page, are 405 and write nothing."""
    grant, csrf = _opened(pw)
    before = snapshot(pw.kit)
    head = pw.client.head(f"/portal/s/{grant.token}")
    assert head.status_code == 303 and head.content == b""
    for method in ("PUT", "PATCH", "DELETE", "OPTIONS"):
        for path in (f"tasks/{pw.mine.id}", "comments"):
            r = pw.client.request(method, f"/portal/shared/{grant.share.id}/{path}", data={"csrf": csrf})
            assert r.status_code == 405, (method, path)
    assert pw.client.post(f"/portal/shared/{grant.share.id}", data={"csrf": csrf}).status_code == 405
    assert pw.client.post(f"/portal/s/{grant.token}", data={"csrf": csrf}).status_code == 405
    assert snapshot(pw.kit) == before


# ---------------------------------------------------------------- mount paths
@pytest.mark.parametrize("prefix", ["/x;%20Domain=evil.example", "/a%0d%0aSet-Cookie:%20x=1", "/%5Cevil.example"])
def test_a_mount_path_the_visitor_typed_cannot_add_cookie_attributes__PORTAL_04(pw: Portal, prefix: str) -> None:
    """Under ``Mount("/{tenant}", ...)`` the mount path is what the visitor typed: the
    cookie's path and the redirect carry it quoted, never as more attributes or headers."""
    client = TestClient(Starlette(routes=[Mount("/{tenant}", app=pw.portal)]), follow_redirects=False)
    grant = pw.grant()
    r = client.get(f"{prefix}/s/{grant.token}")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "\n" not in cookie and "\r" not in cookie
    assert [p.split("=")[0].strip().lower() for p in cookie.split(";")][1:] == ["httponly", "path", "samesite"]
    location = r.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")) and "\\" not in location
    assert location.endswith(f"/shared/{grant.share.id}")
    assert client.get(location).status_code == 200  # the quoted path still leads to the plan, cookie and all


def test_a_trailing_slash_is_no_redirect_to_an_address_built_from_the_host_header__PORTAL_04(pw: Portal) -> None:
    """``/s/<token>/`` and ``/shared/<id>/`` are not found, not sent on to ``http://<Host>/...``
    (the Host header's name, the scheme as the server sees it, the token in the address)."""
    grant = pw.grant()
    for path in (f"/portal/s/{grant.token}/", f"/portal/shared/{grant.share.id}/", "/portal/static/portal.css/"):
        r = pw.client.get(path, headers={"host": "evil.example"})
        assert r.status_code == 404 and "location" not in r.headers, path
        assert _has_security_headers(r)


def test_the_token_is_in_no_page_and_no_header_but_the_first_cookie__PORTAL_04(pw: Portal) -> None:
    """Page bodies, redirects, dead-link pages and error pages never carry the token."""
    grant, csrf = _opened(pw)
    base = f"/portal/shared/{grant.share.id}"
    seen = [
        pw.client.get(base),
        pw.client.post(f"{base}/tasks/{pw.mine.id}", data={"csrf": csrf}),
        pw.client.post(f"{base}/comments", data={"csrf": csrf, "text": "hi"}),
        pw.client.post(f"{base}/comments", data={"csrf": csrf, "text": ""}),
        pw.client.post(f"{base}/tasks/{pw.theirs.id}", data={"csrf": csrf}),
        pw.client.post(f"{base}/comments", data={"csrf": "0" * 64, "text": "hi"}),
    ]
    pw.kit.sharing.revoke(grant.share)
    seen += [pw.client.get(base), pw.client.get(f"/portal/s/{grant.token}")]
    for r in seen:
        assert grant.token not in r.text and csrf not in r.headers.get("location", "")
        assert all(grant.token not in v for v in r.headers.values())


@pytest.mark.parametrize(
    "path",
    [
        "/portal/S/{t}",  # a mail client or a person changed the case
        "/portal/s/%E2%80%8B{t}",  # a zero-width space copied with the link
        "/portal/s/%3C{t}%3E",  # <link> pasted with its brackets
        "/portal/s/%20{t}",
        "/portal/s/{t}%00",
        "/portal//s/{t};x",
    ],
)
def test_a_mangled_link_is_redacted_in_the_access_log_too__PORTAL_04(pw: Portal, path: str) -> None:
    """What uvicorn logs for a link that reached the server mangled (404) holds no token either."""
    token = pw.grant().token
    logged = path.format(t=token)
    access = logging.getLogger("uvicorn.access")
    record = access.makeRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", logged, "1.1", 404), None)  # fmt: skip
    assert logging.Filterer.filter(access, record)
    message = record.getMessage()
    assert token not in message and "/s/[token]" in message.replace("/S/", "/s/")
    assert "GET" in message and "404" in message


# ------------------------------------------------------------ resource abuse
def test_a_link_makes_a_bounded_number_of_changes_an_hour__PORTAL_04(pw: Portal, monkeypatch: Any) -> None:
    """A link with change rights cannot flood the plan's timeline: past the hour's budget its
    posts are refused (429) and write nothing; another link keeps its own budget."""
    import importlib

    monkeypatch.setattr(importlib.import_module("successkit.web.app"), "MAX_CHANGES_PER_HOUR", 3)
    portal = web.app(pw.kit, secret=b"form-secret-of-the-tests-32-bytes")
    pw.client = TestClient(Starlette(routes=[Mount("/portal", app=portal)]), follow_redirects=False)
    grant, csrf = _opened(pw)
    url = f"/portal/shared/{grant.share.id}/comments"
    for n in range(3):
        assert pw.client.post(url, data={"csrf": csrf, "text": f"note {n}"}).status_code == 303
    before = snapshot(pw.kit)
    r = pw.client.post(url, data={"csrf": csrf, "text": "one too many"})
    assert r.status_code == 429 and "Too many changes" in r.text and _has_security_headers(r)
    r = pw.client.post(f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}", data={"csrf": csrf})
    assert r.status_code == 429
    assert snapshot(pw.kit) == before
    other, other_csrf = _opened(pw)
    r = pw.client.post(f"/portal/shared/{other.share.id}/comments", data={"csrf": other_csrf, "text": "mine"})
    assert r.status_code == 303


def test_a_change_budget_refills_as_its_window_passes__PORTAL_04() -> None:
    from successkit.web.safety import ChangeBudget

    now = [0.0]
    budget = ChangeBudget(2, 60.0, clock=lambda: now[0])
    assert budget.take("a") and budget.take("a") and not budget.take("a") and budget.take("b")
    now[0] = 59.9
    assert not budget.take("a")
    now[0] = 60.1
    assert budget.take("a") and budget.take("a") and not budget.take("a")


@pytest.mark.parametrize("done", ["1", "0"])
def test_a_task_the_team_cancelled_is_not_the_holders_to_tick_or_reopen__PORTAL_02(pw: Portal, done: str) -> None:
    """Marking one's own task done (or open again) does not undo the team's decision to close it
    as not done: no button, and a post is refused (400) with the task as it was."""
    grant = pw.grant()
    pw.kit.tasks.set_status(pw.mine.id, "cancelled")
    page = pw.open_link(grant.token).text
    assert f"/tasks/{pw.mine.id}" not in page and "Sign the kickoff" in page
    before = snapshot(pw.kit)
    r = pw.client.post(
        f"/portal/shared/{grant.share.id}/tasks/{pw.mine.id}", data={"csrf": csrf_of(page), "done": done}
    )
    assert r.status_code == 400 and "closed by the team" in r.text
    with pytest.raises(sk.RuleViolation) as e:
        pw.kit.sharing.set_task_done(grant.token, pw.mine.id, done == "1")
    assert e.value.rule == "PORTAL_02"
    assert snapshot(pw.kit) == before and pw.kit.tasks.get(pw.mine.id).status == "cancelled"


# ------------------------------------------------------------- what a link sees
def test_hidden_work_changes_nothing_on_the_shared_page__SHARE_03(pw: Portal) -> None:
    """Objectives a link may not see — sharing disabled (SHARE_03), not external (SHARE_05) —
    their tasks, a dependency on one of them and their being done leave the page as it was,
    byte for byte: no count, position, date range or chart row gives them away."""
    from datetime import date

    grant = pw.grant()
    before = pw.open_link(grant.token).text
    kit = pw.kit
    early = kit.objectives.create(pw.sp, "Secret early", sharing_enabled=False, start_date=date(2026, 11, 1)).record
    kit.tasks.create(early, "Secret task", owner=pw.pat, due_date=date(2027, 2, 1))
    inside = kit.objectives.create(pw.sp, "Secret inside").record
    kit.sharing.set_objective_external(inside.id, False)
    blocker = kit.tasks.create(inside, "Secret blocker", owner=pw.pat).record
    kit.tasks.add_dependency(pw.mine.id, blocker.id)
    kit.tasks.set_status(blocker.id, "complete")
    after = pw.client.get(f"/portal/shared/{grant.share.id}").text
    assert after == before
    assert "Secret" not in after


def test_odd_bodies_and_long_addresses_get_a_page_not_a_crash__PORTAL_04(pw: Portal) -> None:
    """A file in the form, too many fields, bytes that are no UTF-8, very long ids and tokens:
    each answered with a page of the portal (never 500), nothing written but a readable comment."""
    grant, csrf = _opened(pw)
    base = f"/portal/shared/{grant.share.id}"
    before = snapshot(pw.kit)
    r = pw.client.post(f"{base}/comments", data={"csrf": csrf, "text": "hi"}, files={"f": ("a.txt", b"x")})
    assert r.status_code == 400
    many = {"csrf": csrf, "text": "hi", **{f"f{i}": "1" for i in range(8)}}
    assert pw.client.post(f"{base}/comments", data=many).status_code == 400
    assert pw.client.post(f"{base}/tasks/{'a' * 5000}", data={"csrf": csrf}).status_code == 403
    r = pw.client.post(f"{base}/comments", data={"csrf": csrf, "text": "hi", "objective": "b" * 5000})
    assert r.status_code == 403
    assert pw.client.get(f"/portal/s/{'A' * 10_000}").status_code == 404
    assert pw.client.get(f"/portal/shared/{'c' * 5000}").status_code == 403
    assert snapshot(pw.kit) == before
    raw = f"csrf={csrf}&text=caf%C3%A9+%FF%FE".encode()
    r = pw.client.post(f"{base}/comments", content=raw, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 303
    assert any(a.notes == "café \ufffd\ufffd" for a in pw.kit.timeline.plan(pw.sp.id).activities)
