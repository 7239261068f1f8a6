"""Weekly digests (REPORT_05) for a CSM, a manager and an executive, on ``kit.digests``.

Each digest covers the week before the current one (Monday to Sunday by the
kit's clock) and is composed from aggregates and short, limited lists, so it
makes the same few storage calls whatever the size of the book:

- a CSM's: last week's activities (by type, and the latest few), upcoming tasks
  and CTAs (due in the next seven days), new risks (risk CTAs opened last week);
- a manager's: per-CSM figures (customers, ARR, open and overdue CTAs, renewals
  this quarter, new risks), new risks, renewals;
- an executive's: NPS and score trends, new customers, ARR at risk, renewals per CSM.

:meth:`DigestService.send` hands a digest to the notification hook as one
:class:`~successkit.engagement.notifications.Notification` (event
``weekly_digest``), so the SMTP and webhook notifiers carry it like any other.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from successkit.engagement.notifications import Notification
from successkit.errors import ValidationError
from successkit.records import User
from successkit.views.aggregate_table import AggregateTable

from .charts import Svg, bar_chart, short_number
from .dashboards import NO_GRADE, quarter_bounds
from .pages import Figure, Panel, fragment, page, table

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["AUDIENCES", "DIGEST_EVENT", "Digest", "DigestSection", "DigestService"]

#: The event name digests are delivered under.
DIGEST_EVENT = "weekly_digest"
AUDIENCES = ("csm", "manager", "executive")
_OPEN = ("closed_at", "is empty", None)
_LIST = 10  # the longest list a digest shows; the count says how many there are


@attrs.frozen
class DigestSection:
    """A part of a digest: a ``title``, plain-text ``lines``, and a table and chart when it has them."""

    title: str
    lines: tuple[str, ...] = ()
    table: AggregateTable | None = None
    chart: Svg | None = None


@attrs.frozen
class Digest:
    """One weekly digest for one recipient."""

    audience: str
    recipient: User
    title: str
    week: tuple[date, date]
    figures: tuple[Figure, ...]
    sections: tuple[DigestSection, ...]

    def text(self) -> str:
        """The digest as plain text, as an email carries it."""
        out = [f"{f.label}: {short_number(f.value)}" for f in self.figures]
        for s in self.sections:
            out += ["", s.title, "-" * len(s.title), *s.lines]
            if s.table is not None:
                out += str(s.table).splitlines() if len(s.table) else ["(nothing)"]
        return "\n".join(out)

    def html_fragment(self) -> str:
        """The digest as an HTML fragment (no ``<html>`` wrapper)."""
        panels = [Panel(s.title, s.table, s.chart, lines=s.lines) for s in self.sections]
        subtitle = f"week of {self.week[0]:%d %b} to {self.week[1]:%d %b %Y}"
        return fragment(self.title, subtitle, self.figures, panels, f"digest-{self.audience}")

    def to_html(self) -> str:
        return page(self.title, self.html_fragment())

    def _repr_html_(self) -> str:
        return self.html_fragment()

    def notification(self, at: datetime | None = None) -> Notification:
        """The digest as the notification the hook delivers."""
        items = tuple(
            Notification(DIGEST_EVENT, self.recipient, f"{f.label}: {short_number(f.value)}", delivery="weekly")
            for f in self.figures
        )
        return Notification(
            DIGEST_EVENT, self.recipient, self.title, self.text(), delivery="weekly", at=at, items=items
        )


def _last_week(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week before ``today``'s."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


class DigestService:
    """``kit.digests``: compose weekly digests and deliver them (REPORT_05)."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def _since(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.kit.now().tzinfo)

    def _week(self) -> tuple[date, date, list[Any]]:
        start, end = _last_week(self.kit.today())
        return (
            start,
            end,
            [("created_at", ">=", self._since(start)), ("created_at", "<", self._since(end + timedelta(1)))],
        )

    # ---------------------------------------------------------------- CSM
    def csm(self, csm: User | str) -> Digest:
        """A CSM's digest: last week's activities, the next seven days' tasks and CTAs,
        and the risk CTAs opened last week on work they own.  Seven storage calls."""
        user = self.kit.users.get(csm)
        start, end, created = self._week()
        today = self.kit.today()
        done = [
            ("author_id", "=", user.id),
            ("occurred_at", ">=", self._since(start)),
            ("occurred_at", "<", self._since(end + timedelta(1))),
        ]
        by_type = self.kit.timeline.aggregate(done, by="type", measures={"activities": "count"})
        latest = self.kit.timeline.list(done, sort="-occurred_at", limit=_LIST)
        soon = [("owner_id", "=", user.id), _OPEN, ("due_date", "between", [today, today + timedelta(days=7)])]
        tasks = self.kit.tasks.list(soon, sort=["due_date", "name"], limit=_LIST)
        ctas = self.kit.ctas.list(soon, sort=["due_date", "name"], limit=_LIST)
        n_tasks, n_ctas = self.kit.tasks.count(soon), self.kit.ctas.count(soon)
        risks = self.kit.ctas.list(
            [("owner_id", "=", user.id), ("type", "=", "risk"), *created], sort="-created_at", limit=_LIST
        )
        activities = sum(r["activities"] for r in by_type)
        sections = (
            DigestSection(
                "Last week's activities",
                tuple(f"{a.occurred_at:%a %d %b}: {a.type}: {a.subject}" for a in latest),
                by_type,
            ),
            DigestSection(
                "Upcoming tasks and CTAs",
                tuple(
                    f"{due:%a %d %b}: {what} {name}"
                    for due, what, name in sorted(
                        [(t.due_date, "task", t.name) for t in tasks] + [(c.due_date, "CTA", c.name) for c in ctas]
                    )
                )
                or ("Nothing due in the next 7 days.",),
            ),
            DigestSection(
                "New risks", tuple(f"{c.name} (due {c.due_date or '—'})" for c in risks) or ("No new risk CTA.",)
            ),
        )
        figures = (
            Figure("activities last week", activities),
            Figure("tasks due in 7 days", n_tasks),
            Figure("CTAs due in 7 days", n_ctas),
            Figure("new risks", len(risks), alert=bool(risks)),
        )
        return Digest("csm", user, f"Your week, {user.name}", (start, end), figures, sections)

    # ---------------------------------------------------------------- manager
    def manager(self, manager: User | str, csms: Sequence[User | str] | None = None) -> Digest:
        """A manager's digest: per CSM (``csms``, or every CSM with customers) their
        customers, ARR, open and overdue CTAs, renewals this quarter and new risks;
        the new risks and renewals in total.  Six storage calls."""
        user = self.kit.users.get(manager)
        start, end, created = self._week()
        today = self.kit.today()
        first, last = quarter_bounds(today)
        if csms is not None and (isinstance(csms, (str, bytes)) or not isinstance(csms, Sequence)):
            raise ValidationError("csms is a list of users", rule="REPORT_05", value=csms)
        ids = None if csms is None else [self.kit.users.id_of(c) for c in csms]
        mine: list[Any] = [] if ids is None else [("csm_id", "in", ids)]
        owned: list[Any] = [] if ids is None else [("owner_id", "in", ids)]
        book = self.kit.companies.aggregate(mine, by="csm_id", measures={"customers": "count", "arr": "sum"})
        renewing = self.kit.companies.aggregate(
            [*mine, ("renewal_date", "between", [first, last])],
            by="csm_id",
            measures={"renewals": "count", "arr": "sum"},
        )
        open_ctas = self.kit.ctas.aggregate([*owned, _OPEN], by="owner_id", measures={"n": "count"})
        overdue = self.kit.ctas.aggregate(
            [*owned, _OPEN, ("due_date", "<", today)], by="owner_id", measures={"n": "count"}
        )
        risks = self.kit.ctas.aggregate(
            [*owned, ("type", "=", "risk"), *created], by="owner_id", measures={"n": "count"}
        )
        who = sorted({r.keys[0] for t in (book, renewing, open_ctas, overdue, risks) for r in t} - {None})
        if ids is not None:
            who = [i for i in ids if i is not None]
        names = {u.id: u.name for u in self.kit.store.get_many("user", who)} if who else {}

        def of(t: AggregateTable, key: str, measure: str) -> Any:
            return next((r[measure] for r in t if r.keys[0] == key), None) or 0

        rows = [
            (
                (names.get(i, i),),
                {
                    "customers": of(book, i, "customers"),
                    "arr": of(book, i, "arr"),
                    "open_ctas": of(open_ctas, i, "n"),
                    "overdue_ctas": of(overdue, i, "n"),
                    "renewals": of(renewing, i, "renewals"),
                    "renewal_arr": of(renewing, i, "arr"),
                    "new_risks": of(risks, i, "n"),
                },
            )
            for i in who
        ]
        rows.sort(key=lambda r: str(r[0][0]))
        per_csm = table(
            ["CSM"], ["customers", "arr", "open_ctas", "overdue_ctas", "renewals", "renewal_arr", "new_risks"], rows
        )
        new_risks = sum(r[1]["new_risks"] for r in rows)
        renewals = sum(r[1]["renewals"] for r in rows)
        chart = bar_chart(
            [r[0][0] for r in rows],
            {"renewing ARR": [r[1]["renewal_arr"] for r in rows]},
            value_label="ARR renewing this quarter",
            category_label="CSM",
        )
        sections = (
            DigestSection("Per CSM", (), per_csm),
            DigestSection(
                "Renewals this quarter",
                (f"{first:%d %b} to {last:%d %b %Y}: {renewals} renewals",),
                chart=chart,
                table=table(
                    ["CSM"],
                    ["renewals", "renewal_arr"],
                    [(r[0], {k: r[1][k] for k in ("renewals", "renewal_arr")}) for r in rows],
                ),
            ),
        )
        figures = (
            Figure("CSMs", len(rows)),
            Figure("new risks last week", new_risks, alert=new_risks > 0),
            Figure("renewals this quarter", renewals),
            Figure("overdue CTAs", sum(r[1]["overdue_ctas"] for r in rows)),
        )
        return Digest("manager", user, f"Your team's week, {user.name}", (start, end), figures, sections)

    # ---------------------------------------------------------------- executive
    def executive(self, executive: User | str, *, weeks: int = 6) -> Digest:
        """An executive's digest: NPS and score trends over ``weeks`` weeks, new
        customers last week, ARR at risk by grade and renewals per CSM by fiscal
        quarter (the standard dashboards').  Eight storage calls."""
        user = self.kit.users.get(executive)
        start, end, created = self._week()
        trends = self.kit.dashboards.trends(weeks=weeks)
        risk = self.kit.dashboards.arr_at_risk()
        renewals = self.kit.dashboards.renewals(quarters=2)
        new = self.kit.companies.aggregate(created, measures={"customers": "count", "arr": "sum"}).rows[0]
        trend_table = trends.panels[0].table
        sections = (
            DigestSection("NPS and score trends", (), trend_table, trends.panels[0].chart),
            DigestSection(
                "ARR at risk",
                (),
                table(
                    ["grade"],
                    ["arr"],
                    [((g if g != NO_GRADE else None,), {"arr": v}) for g, v in risk.by_grade.items()],
                ),
            ),
            DigestSection("Renewals per CSM", (), renewals.panels[1].table, renewals.panels[0].chart),
        )
        figures = (
            Figure("new customers last week", new["customers"]),
            Figure("their ARR", new["arr"] or 0),
            Figure("NPS, latest week", trends.nps[-1]),
            Figure("mean score, latest week", trends.score[-1]),
            Figure("ARR at risk", risk.at_risk_arr, alert=risk.at_risk_arr > 0),
        )
        return Digest("executive", user, f"The week in customer success, {user.name}", (start, end), figures, sections)

    # ---------------------------------------------------------------- delivery
    def send(self, digests: Digest | Sequence[Digest]) -> builtins.list[Notification]:
        """Deliver digests through the notification hook (every notifier: SMTP,
        webhooks...); a recipient who is inactive or unlicensed gets none."""
        given: Any = digests  # checked here: callers may hand anything
        items = [given] if isinstance(given, Digest) else given
        if (
            isinstance(items, (str, bytes))
            or not isinstance(items, Sequence)
            or not all(isinstance(d, Digest) for d in items)
        ):
            raise ValidationError("send takes digests", rule="REPORT_05", value=digests)
        sent = []
        for d in items:
            if not d.recipient.active or not d.recipient.licensed:
                continue
            note = d.notification(self.kit.now())
            self.kit.notifications.deliver(note)
            sent.append(note)
        return sent

    def send_weekly(
        self,
        *,
        csms: Sequence[User | str] = (),
        managers: Sequence[User | str] = (),
        executives: Sequence[User | str] = (),
    ) -> builtins.list[Digest]:
        """Compose and deliver the week's digests to each CSM, manager and executive named."""
        for what, users in (("csms", csms), ("managers", managers), ("executives", executives)):
            if isinstance(users, (str, bytes)) or not isinstance(users, Sequence):
                raise ValidationError(f"{what} is a list of users", rule="REPORT_05", value=users)
        digests = [self.csm(u) for u in csms] + [self.manager(u) for u in managers]
        digests += [self.executive(u) for u in executives]
        self.send(digests)
        return digests
