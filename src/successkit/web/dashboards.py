"""The dashboards of REPORT_04 as internal pages of the portal (PORTAL_03).

``/dashboards`` is an index: the signed-in user's own portfolio first when they
are the CSM of a company, then the team-wide dashboards.  ``/dashboards/{kind}``
is one dashboard (``portfolio``, ``arr-at-risk``, ``renewals``, ``trends``,
``cta-effectiveness``, ``success-plans``).

Who sees whose portfolio: every user who may see the internal pages sees their
own; a ``full`` or ``viewer_analytics`` user (a team lead, an analyst) may open
any user's with ``?csm=<user id>``; a ``viewer`` asking for another's is refused
(403), whether or not the id names a user.

The fragments' ``<style>`` blocks are taken out (the portal's CSP allows its own
stylesheet only) and their rules served in ``portal.css`` instead: :data:`STYLESHEET`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from markupsafe import Markup

from successkit.errors import NotFound, ValidationError
from successkit.records import User
from successkit.reports.boards import Dashboard
from successkit.reports.pages import STYLE as BOARD_STYLE
from successkit.views.notebook import STYLE as TABLE_STYLE

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["BOARDS", "PORTFOLIO_OF_ANY", "STYLESHEET", "BoardPage", "Refused", "board_page", "index_page", "query_of"]

#: Each dashboard's page name and its label, in the order the index shows them.
BOARDS: Mapping[str, str] = {
    "portfolio": "Portfolio",
    "arr-at-risk": "ARR at risk",
    "renewals": "Renewals",
    "trends": "Trends",
    "cta-effectiveness": "CTA effectiveness",
    "success-plans": "Success plans",
}
#: The licenses that open any user's portfolio; the others open their own only.
PORTFOLIO_OF_ANY = ("full", "viewer_analytics")
#: The dashboards' rules, for the portal's stylesheet (their ``<style>`` blocks are taken out).
STYLESHEET = BOARD_STYLE + TABLE_STYLE.removeprefix("<style>").removesuffix("</style>") + "\n"
#: The query parameters of the dashboards that take one: (name, lowest, highest).
_PARAMS: Mapping[str, tuple[str, int, int]] = {
    "renewals": ("quarters", 1, 12),
    "trends": ("weeks", 1, 104),
    "cta-effectiveness": ("days", 1, 3660),
}


class Refused(Exception):
    """A dashboard page the user may not (or cannot) open: its status and words."""

    def __init__(self, status: int, heading: str, text: str) -> None:
        super().__init__(heading)
        self.status, self.heading, self.text = status, heading, text


@attrs.frozen
class BoardPage:
    """What a dashboards page shows: its heading, the dashboards (each with the page that
    shows it alone, on the index), the portfolios one may pick and a note."""

    heading: str
    current: str
    boards: tuple[tuple[str | None, Markup], ...]
    csms: tuple[tuple[str, str], ...] = ()
    note: str | None = None
    #: The user whose portfolio the page shows.
    csm: str | None = None


def fragment(board: Dashboard) -> Markup:
    """A dashboard's HTML without its ``<style>`` blocks (the CSP would block them; the
    portal's stylesheet holds their rules).  The dashboard escapes every name itself."""
    text = board.html_fragment().replace(f"<style>{BOARD_STYLE}</style>", "").replace(TABLE_STYLE, "")
    return Markup(text)  # built by the dashboards, which escape what they show


def is_csm(kit: Kit, user: User) -> bool:
    """Whether ``user`` is the CSM of a company (one count)."""
    return kit.companies.count([("csm_id", "=", user.id)]) > 0


def csm_choices(kit: Kit) -> tuple[tuple[str, str], ...]:
    """The CSMs of companies, by name: (user id, name); two storage calls."""
    per = kit.companies.aggregate([("csm_id", "is not empty", None)], by="csm_id", measures={"n": "count"})
    ids = sorted({r.keys[0] for r in per if isinstance(r.keys[0], str)})
    users = kit.store.get_many("user", ids) if ids else []
    return tuple(sorted(((u.id, u.name) for u in users), key=lambda c: (c[1].casefold(), c[0])))


def _portfolio_user(kit: Kit, me: User, asked: str | None) -> User | None:
    """The user whose portfolio ``me`` opens: theirs by default, another's if their license allows."""
    if asked is None or asked == me.id:
        return me if is_csm(kit, me) or asked == me.id else None
    if me.license not in PORTFOLIO_OF_ANY:
        raise Refused(403, "Not for this account", "Your account shows your own portfolio only.")
    try:
        found: User | None = kit.users.get(asked)
    except (NotFound, ValidationError):
        found = None
    if found is None:
        raise Refused(404, "No such user", "There is no portfolio of that user.")
    return found


def _number(query: Mapping[str, str], kind: str) -> dict[str, int]:
    """The dashboard's one numeric option from the query string, checked."""
    if kind not in _PARAMS or _PARAMS[kind][0] not in query:
        return {}
    name, low, high = _PARAMS[kind]
    text = query[name]
    if not text.isdigit() or not low <= int(text) <= high:
        raise Refused(400, "That dashboard cannot be shown", f"{name} is a whole number from {low} to {high}.")
    return {name: int(text)}


def _team(kit: Kit, kind: str, options: Mapping[str, int]) -> Dashboard:
    calls: dict[str, Callable[..., Dashboard]] = {
        "arr-at-risk": kit.dashboards.arr_at_risk,
        "renewals": kit.dashboards.renewals,
        "trends": kit.dashboards.trends,
        "cta-effectiveness": kit.dashboards.cta_effectiveness,
        "success-plans": kit.dashboards.success_plans,
    }
    return calls[kind](**options)


def board_page(kit: Kit, me: User, kind: str, query: Mapping[str, str]) -> BoardPage:
    """The page of one dashboard; :class:`Refused` for a bad option or another's portfolio."""
    if kind not in BOARDS:
        raise Refused(404, "No such dashboard", "The dashboards are listed on the dashboards page.")
    if kind != "portfolio":
        return BoardPage(BOARDS[kind], kind, ((None, fragment(_team(kit, kind, _number(query, kind)))),))
    whose = _portfolio_user(kit, me, query.get("csm"))
    choices = csm_choices(kit) if me.license in PORTFOLIO_OF_ANY else ()
    if whose is None:
        note = "You are the CSM of no company." + (" Pick a portfolio:" if choices else "")
        return BoardPage("Portfolio", kind, (), choices, note)
    board = fragment(kit.dashboards.portfolio(whose))
    return BoardPage("Portfolio", kind, ((None, board),), choices, csm=whose.id)


def index_page(kit: Kit, me: User) -> BoardPage:
    """Every dashboard: the user's own portfolio first when they are a CSM, then the team's."""
    boards: list[tuple[str | None, Markup]] = []
    if is_csm(kit, me):
        boards.append(("portfolio", fragment(kit.dashboards.portfolio(me))))
    boards += [(kind, fragment(_team(kit, kind, {}))) for kind in BOARDS if kind != "portfolio"]
    return BoardPage("Dashboards", "", tuple(boards))


def query_of(params: Any) -> dict[str, str]:
    """The query string's first value of each name."""
    return {k: params[k] for k in params}
