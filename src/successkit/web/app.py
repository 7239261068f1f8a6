"""The portal: a Starlette application a host mounts under any path (PORTAL_01-04).

Routes (relative to where the host mounts the app; every link the pages make
starts with the request's ``root_path``, so ``/portal`` or ``/cs/portal`` both work):

=============================  ====================================================
``GET  /s/{token}``             a share link: checks the token, trades it for a
                                cookie and redirects to the plan's page, so the
                                token is in no later address, history or log
``GET  /shared/{share_id}``     the shared plan (PORTAL_01)
``POST /shared/{id}/tasks/{t}`` mark one's own task done or open (PORTAL_02)
``POST /shared/{id}/comments``  comment on the plan or an objective (PORTAL_02)
``GET  /``                      internal: the companies (PORTAL_03)
``GET  /companies/{id}``        internal: a company's 360 view with scorecard and signals
``GET  /plans/{id}``            internal: a plan with its Gantt chart
``GET  /dashboards``             internal: the dashboards of REPORT_04, the user's portfolio first
``GET  /dashboards/{kind}``      internal: one dashboard (``?csm=`` picks a portfolio)
``GET  /{page}``                internal: a page the host plugs in (``pages=``)
=============================  ====================================================

Every read and change through a link goes through :mod:`successkit.engagement.sharing`
and so through the one access decision (SHARE_04); the portal decides nothing itself.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from successkit.engagement.access import VIEW_LICENSES
from successkit.errors import AccessDenied, NotFound, RuleViolation, SuccessKitError, ValidationError
from successkit.records import User

from .dashboards import BOARDS, STYLESHEET, BoardPage, Refused, board_page, index_page, query_of
from .pages import plan_page, shared_plan_page
from .safety import SECURITY_HEADERS, ChangeBudget, SecurityHeaders, form_token, redact_access_log, same_site

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["PortalPage", "UserOf", "app"]

log = logging.getLogger(__name__)

#: How the host tells the portal who is signed in: the user, their id, or None for nobody.
UserOf = Callable[[Request], "User | str | None"]
#: A page the host plugs in: (kit, signed-in user, request) to (title, HTML body).  The
#: body is put in the page as it is: build it with an escaping template (PORTAL_04).
PortalPage = Callable[["Kit", User, Request], tuple[str, str]]

_HERE = Path(__file__).parent
_ID = "{id:str}"
_PAGE_NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")
_RESERVED = {"s", "shared", "companies", "plans", "static"}
#: The largest form body the portal reads (a comment is at most 5,000 characters).
MAX_FORM_BYTES = 64 * 1024
#: How many changes (ticks and comments) one link makes in an hour, per process (PORTAL_04).
MAX_CHANGES_PER_HOUR = 120
#: The HTTP status of each state a link's page reports (PORTAL_01).
LINK_STATUS = {"unknown": 404, "expired": 410, "revoked": 410, "disabled": 403, "no-cookie": 403}
_STATE_TEXT = {
    "unknown": ("This link does not open a plan", "Check that you copied the whole link from your email."),
    "expired": ("This link has expired", "Ask your contact for a new link."),
    "revoked": ("This link has been withdrawn", "Ask your contact for a new link if you still need it."),
    "disabled": ("This plan is no longer shared", "Sharing has been turned off. Ask your contact."),
    "no-cookie": ("Open this page from your link", "Use the link in your email again: it opens the plan."),
}


def app(
    kit: Kit,
    *,
    user: UserOf | None = None,
    pages: Mapping[str, PortalPage] | None = None,
    secret: bytes | None = None,
    title: str = "Success plans",
    dashboards: bool = True,
) -> Starlette:
    """The portal for ``kit`` (the host's kit, not one opened ``as_user``) as an ASGI app.

    ``user`` is the host's answer to "who is signed in" for the internal pages
    (PORTAL_03): the portal does no login of its own, and without it the internal
    pages answer 401.  ``pages`` adds internal pages by name (``{"reports": fn}`` serves
    ``/reports``); ``{"dashboards": fn}`` puts the host's page in place of the built-in
    dashboards index (each dashboard's own page stays).  ``dashboards=False`` leaves the
    built-in dashboards out.  ``secret`` signs the form tokens: give the same bytes to
    every worker process (a random one is made per process otherwise).
    """
    if kit.actor_id is not None:
        raise RuleViolation("PORTAL_01", "the portal takes the host's kit, not one opened as_user", value=kit.actor_id)
    if secret is not None and (not isinstance(secret, bytes) or len(secret) < 16):
        raise ValidationError("the portal's secret is at least 16 bytes", rule="PORTAL_04", value=secret)
    extra = dict(pages or {})
    for name in extra:
        if not isinstance(name, str) or not _PAGE_NAME.fullmatch(name) or name in _RESERVED:
            raise ValidationError("a page name is lower-case letters, digits and -, not a portal route", value=name)
    portal = _Portal(kit, user, extra, secret or secrets.token_bytes(32), title, bool(dashboards))
    redact_access_log()
    return portal.asgi


class _Portal:
    """The routes' state: the kit, the templates, the form secret, the host's hooks."""

    def __init__(
        self, kit: Kit, user: UserOf | None, pages: dict[str, PortalPage], secret: bytes, title: str, boards: bool
    ) -> None:
        self.kit, self.user_of, self.pages, self.secret, self.title = kit, user, pages, secret, title
        self.boards = boards
        self.budget = ChangeBudget(MAX_CHANGES_PER_HOUR, 3600.0)
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
        )
        self.templates = Jinja2Templates(env=env)
        # the dashboards' rules first: the portal's own, after them, fit them to its layout
        self.css = STYLESHEET + (_HERE / "static" / "portal.css").read_text(encoding="utf-8")
        own_index = boards and "dashboards" not in pages
        board_routes = [
            *([Route("/dashboards", self.dashboards, name="dashboards")] if own_index else []),
            *([Route("/dashboards/{kind:str}", self.dashboard, name="dashboard")] if boards else []),
        ]
        routes = [
            Route("/s/{token:str}", self.share_link, name="share_link"),
            Route(f"/shared/{_ID}", self.shared_plan, name="shared_plan"),
            Route(f"/shared/{_ID}/tasks/{{task:str}}", self.task_done, methods=["POST"], name="task_done"),
            Route(f"/shared/{_ID}/comments", self.comment, methods=["POST"], name="comment"),
            Route("/static/portal.css", self.stylesheet, name="css"),
            Route("/", self.home, name="home"),
            Route(f"/companies/{_ID}", self.company, name="company"),
            Route(f"/plans/{_ID}", self.plan, name="plan"),
            *board_routes,
            *(Route(f"/{name}", self.extra_page(name), name=f"page:{name}") for name in pages),
        ]
        self.asgi = Starlette(
            routes=routes, middleware=[Middleware(SecurityHeaders)], exception_handlers={Exception: _crashed}
        )
        # no redirect to the path without its trailing slash: Starlette writes it as an absolute
        # URL from the Host header and the scheme it sees (http behind a TLS proxy), token and all
        self.asgi.router.redirect_slashes = False

    # ----------------------------------------------------------------- helpers
    def link(self, request: Request, name: str, **params: str) -> str:
        """The path of a route, under wherever the host mounted the portal."""
        return _root(request) + str(self.asgi.router.url_path_for(name, **params))

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        def url(name: str, **params: str) -> str:
            return self.link(request, name, **params)

        context.update(request=request, url=url, portal_title=self.title, nav=context.get("nav", ()))
        return self.templates.TemplateResponse(request, template, context, status_code=status)

    def error(self, request: Request, status: int, heading: str, text: str, **context: Any) -> Response:
        return self.render(request, "error.html", status, heading=heading, text=text, **context)

    def link_page(self, request: Request, state: str, share_id: str | None = None) -> Response:
        heading, text = _STATE_TEXT[state]
        response = self.render(request, "link_state.html", LINK_STATUS[state], heading=heading, text=text, state=state)
        if share_id is not None:
            response.delete_cookie(_cookie(share_id), path=self.cookie_path(request))
        return response

    @staticmethod
    def cookie_path(request: Request) -> str:
        return _root(request) or "/"

    # ------------------------------------------------------------ share links
    async def share_link(self, request: Request) -> Response:
        """The token of a link, traded for a cookie (PORTAL_04: no token in a later
        address, nor in the Referer of what the page links to)."""
        token = request.path_params["token"]
        try:
            share = self.kit.sharing.access(token).share
        except AccessDenied:
            return self.link_page(request, self.kit.sharing.link_state(token))
        response = RedirectResponse(self.link(request, "shared_plan", id=share.id), status_code=303)
        response.set_cookie(
            _cookie(share.id),
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path=self.cookie_path(request),
        )
        return response

    def token_of(self, request: Request) -> str | None:
        share_id = request.path_params["id"]
        return request.cookies.get(_cookie(share_id)) if _HEX.fullmatch(share_id) else None

    async def shared_plan(self, request: Request) -> Response:
        """The plan a link opens, exactly as :meth:`SharingService.open` gives it (PORTAL_01)."""
        share_id, token = request.path_params["id"], self.token_of(request)
        if token is None:
            return self.link_page(request, "no-cookie")
        try:
            shared = self.kit.sharing.open(token)
        except AccessDenied:
            return self.link_page(request, self.kit.sharing.link_state(token), share_id)
        if shared.share is None or shared.share.id != share_id:
            return self.link_page(request, "unknown", share_id)
        return self.render(
            request,
            "shared_plan.html",
            page=shared_plan_page(self.kit, shared),
            shared=shared,
            share_id=share_id,
            csrf=form_token(self.secret, "share", token),
            commented=request.query_params.get("commented") == "1",
        )

    async def checked_form(self, request: Request) -> tuple[str, Any] | Response:
        """The link's token and the posted form, or the page refusing it (PORTAL_04)."""
        token = self.token_of(request)
        if token is None:
            return self.link_page(request, "no-cookie")
        length = request.headers.get("content-length", "0")
        body = await _bounded_body(request) if length.isdigit() and int(length) <= MAX_FORM_BYTES else None
        if body is None:  # the header says too much, or a body sent in chunks turns out to be
            return self.error(request, 413, "This form is too large", "A comment is at most 5,000 characters.")
        try:
            form = await _replayed(request, body).form(max_files=0, max_fields=8, max_part_size=MAX_FORM_BYTES)
        except Exception:  # a body that is no form at all
            return self.error(request, 400, "This form could not be read", "Go back and try again.")
        sent = form.get("csrf")
        wanted = form_token(self.secret, "share", token)
        if not same_site(request.headers) or not isinstance(sent, str) or not secrets.compare_digest(sent, wanted):
            return self.error(request, 403, "This form was not sent from the plan's page", "Reload the page and retry.")
        if not self.budget.take(token):
            return self.error(request, 429, "Too many changes through this link", "Wait a while, then try again.")
        return token, form

    async def task_done(self, request: Request) -> Response:
        """Mark one's own task done, or open again (PORTAL_02)."""
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        token, form = checked
        done = form.get("done", "1") != "0"
        return self.change(
            request, token, lambda: self.kit.sharing.set_task_done(token, request.path_params["task"], done)
        )

    async def comment(self, request: Request) -> Response:
        """Comment on the shared plan or one of its objectives (PORTAL_02)."""
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        token, form = checked
        text, objective = form.get("text"), form.get("objective") or None
        if not isinstance(text, str) or not (objective is None or isinstance(objective, str)):
            return self.error(request, 400, "This form could not be read", "Go back and try again.")
        return self.change(
            request, token, lambda: self.kit.sharing.comment(token, text, objective=objective), "?commented=1"
        )

    def change(self, request: Request, token: str, do: Callable[[], Any], query: str = "") -> Response:
        """Make a change through the link, then show the plan again (post, redirect, get)."""
        share_id = request.path_params["id"]
        try:
            do()
        except AccessDenied as e:
            if self.kit.sharing.link_state(token) != "open":
                return self.link_page(request, self.kit.sharing.link_state(token), share_id)
            return self.error(request, 403, "This link cannot make that change", e.message)
        except ValidationError as e:  # a rule about what was sent, in words about what the link shows
            return self.error(request, 400, "That change was not made", e.message)
        except SuccessKitError as e:  # storage, a conflict: nothing the holder should read (PORTAL_04)
            log.warning("a change through share %s was not made: %s", share_id, type(e).__name__)
            return self.error(request, 503, "That change was not made", "Something went wrong. Try again in a minute.")
        return RedirectResponse(self.link(request, "shared_plan", id=share_id) + query, status_code=303)

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css")

    # ----------------------------------------------------------- internal pages
    def signed_in(self, request: Request) -> User | Response:
        """The user the host signed in, if they may see internal pages (PORTAL_03)."""
        who = self.user_of(request) if self.user_of is not None else None
        if who is None:
            return self.error(request, 401, "Sign in first", "These pages are for the team: sign in to the host app.")
        try:  # the stored user: a license changed since the host's session began counts now
            found: User | None = self.kit.users.get(who.id if isinstance(who, User) else who)
        except (NotFound, ValidationError):
            found = None
        if found is None or not found.active or not found.licensed or found.license not in VIEW_LICENSES:
            return self.error(request, 403, "Not for this account", "Your account may not see success plans.")
        return found

    def nav(self, request: Request) -> list[tuple[str, str]]:
        own = (
            [("Dashboards", self.link(request, "dashboards"))] if self.boards and "dashboards" not in self.pages else []
        )
        return [("Companies", self.link(request, "home")), *own] + [
            (name.replace("-", " ").capitalize(), self.link(request, f"page:{name}")) for name in self.pages
        ]

    async def home(self, request: Request) -> Response:
        me = self.signed_in(request)
        if isinstance(me, Response):
            return me
        companies = self.kit.companies.list(sort=["name"], limit=200)
        return self.render(request, "home.html", companies=companies, me=me, nav=self.nav(request))

    async def company(self, request: Request) -> Response:
        """A company's 360 view, its layout's sections with the scorecard and signals (PORTAL_03)."""
        me = self.signed_in(request)
        if isinstance(me, Response):
            return me
        try:
            view = self.kit.as_user(me.id).c360.company(request.path_params["id"])
        except (NotFound, ValidationError):
            return self.error(request, 404, "No such company", "The company is not there (any more).")
        plans = [s.plan for s in view.plans if self.kit.access.can(me, "view", s.plan)]
        return self.render(request, "company.html", view=view, plans=plans, me=me, nav=self.nav(request))

    async def plan(self, request: Request) -> Response:
        """A plan with its Gantt chart, if the license matrix lets the user see it (PORTAL_03)."""
        me = self.signed_in(request)
        if isinstance(me, Response):
            return me
        try:
            current = self.kit.plans.get(request.path_params["id"])
        except (NotFound, ValidationError):
            return self.error(request, 404, "No such plan", "The plan is not there (any more).")
        if not self.kit.access.can(me, "view", current):
            return self.error(request, 403, "Not for this account", "Your account may not see this plan.")
        page = plan_page(self.kit, current)
        return self.render(request, "plan.html", page=page, me=me, nav=self.nav(request))

    async def dashboards(self, request: Request) -> Response:
        """Every dashboard, the user's own portfolio first when they are a CSM (PORTAL_03)."""
        me = self.signed_in(request)
        if isinstance(me, Response):
            return me
        return self.board_response(request, me, lambda: index_page(self.kit, me))

    async def dashboard(self, request: Request) -> Response:
        """One dashboard; a portfolio is the user's own unless their license opens any (PORTAL_03)."""
        me = self.signed_in(request)
        if isinstance(me, Response):
            return me
        kind, query = request.path_params["kind"], query_of(request.query_params)
        return self.board_response(request, me, lambda: board_page(self.kit, me, kind, query))

    def board_response(self, request: Request, me: User, build: Callable[[], BoardPage]) -> Response:
        try:
            page = build()
        except Refused as e:
            return self.error(request, e.status, e.heading, e.text, me=me, nav=self.nav(request))
        except ValidationError as e:  # an option the dashboard refuses
            return self.error(request, 400, "That dashboard cannot be shown", e.message, me=me, nav=self.nav(request))
        index = self.link(request, "page:dashboards" if "dashboards" in self.pages else "dashboards")
        tabs = [("All", index, page.current == "")] + [
            (label, self.link(request, "dashboard", kind=kind), page.current == kind) for kind, label in BOARDS.items()
        ]
        boards = [(self.link(request, "dashboard", kind=k) if k else None, html) for k, html in page.boards]
        portfolio = self.link(request, "dashboard", kind="portfolio")
        csms = [(name, f"{portfolio}?{urlencode({'csm': uid})}", uid == page.csm) for uid, name in page.csms]
        return self.render(
            request, "dashboards.html", page=page, tabs=tabs, boards=boards, csms=csms, me=me, nav=self.nav(request)
        )

    def extra_page(self, name: str) -> Callable[[Request], Any]:
        """The endpoint of a page the host plugged in (``pages=``): the dashboards, say."""

        async def endpoint(request: Request) -> Response:
            me = self.signed_in(request)
            if isinstance(me, Response):
                return me
            heading, body = self.pages[name](self.kit, me, request)
            return self.render(request, "page.html", heading=heading, body=Markup(body), me=me, nav=self.nav(request))

        return endpoint


_HEX = re.compile(r"[0-9a-f]{1,64}")


def _root(request: Request) -> str:
    """Where the portal is mounted, as a URL path.  A mount with a parameter
    (``Mount("/{tenant}", ...)``) puts what the visitor typed there, decoded: quoted
    again, a backslash, ``;`` or a line break cannot turn a redirect into another
    site's address or the cookie's path into more attributes (PORTAL_04)."""
    return quote(str(request.scope.get("root_path", "")).rstrip("/"), safe="/!$&'()*+,=:@~")


async def _bounded_body(request: Request) -> bytes | None:
    """The request's body, or None once it grows past :data:`MAX_FORM_BYTES` (a body
    sent in chunks has no length to check up front)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return bytes(body)


def _replayed(request: Request, body: bytes) -> Request:
    """The request again, its body the bytes already read, for the form parser."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


_CRASHED = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Something went wrong</title></head>'
    "<body><h1>Something went wrong</h1><p>Try again in a minute.</p></body></html>"
)


def _crashed(request: Request, exc: Exception) -> Response:
    """The page of an error nobody expected: no detail, and the security headers, which
    the middleware (inside the server-error handler) cannot add here (PORTAL_04)."""
    response = HTMLResponse(_CRASHED, status_code=500)
    for name, value in SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


def _cookie(share_id: str) -> str:
    return f"sk_share_{share_id}"
