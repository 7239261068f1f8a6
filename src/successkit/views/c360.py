"""Customer 360 views (C360_01/02): everything about a company or relationship in one call.

A view is assembled from the services' own bulk reads, never one read per
item, so its cost does not grow with what the customer holds (C360_02):

- the record, then its CSM and every user the view names in one ``get_many``;
- hierarchy: one read per ancestor (at most four, HIER_01) and one query for
  the children;
- relationships, their types, people: one call each;
- open CTAs (snoozed ones included, split out in Python): one query;
- plans, then their objective counts, counted by the database: five calls;
- goals, then their progress, computed by the store: two calls (GOAL_06);
- the recent timeline: one keyset page, one query (TL_03).

- the scorecard section of a scored record (SCORE_12): three calls, none unscored;
- usage, surveys and sponsor tracking (C360_03): the metrics, then two usage
  windows when there are any; one survey aggregate; one query for the sponsors'
  last contacts when there are sponsors.

A company view therefore costs at most 22 storage calls, a relationship view
at most 17 (each two more with usage metrics, three more once scored), whether
the company holds two plans or two thousand (plus, on a kit's first view, one
read of the custom-field declarations per kind queried).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.accounts.companies import MAX_LEVELS
from successkit.engagement.timeline import MAX_PAGE, TimelineItem, TimelinePage
from successkit.errors import ValidationError
from successkit.goals.progress import GoalProgress
from successkit.plans.plans import PlanCounts
from successkit.records import Company, Cta, Goal, Person, Record, Relationship, RelationshipType, SuccessPlan, User
from successkit.records.checks import flag
from successkit.records.dicts import to_dict

from .c360_score import ScoreSection, score_section
from .c360_signals import Signals, signals_of

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["Company360", "Customer360Service", "GoalSummary", "PlanSummary", "Relationship360"]

#: The standard attributes a 360 view shows, in display order.
_COMPANY_ATTRS = ("stage", "status", "industry", "renewal_date", "arr", "health_score", "nps")
_REL_ATTRS = ("stage", "status", "renewal_date", "arr", "health_score", "nps")
_LABELS = {"arr": "ARR", "nps": "NPS", "health_score": "Health score", "renewal_date": "Renewal date"}


@attrs.frozen
class PlanSummary:
    """A plan in a 360 view: its status category (draft, active, closed) and
    its objective counts (PLAN_07), so closed plans read as well as open ones."""

    plan: SuccessPlan
    category: str
    counts: PlanCounts

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the plan and its objective counts."""
        return {"plan": to_dict(self.plan), "category": self.category, "counts": attrs.asdict(self.counts)}


@attrs.frozen
class GoalSummary:
    """A goal in a 360 view with its progress, computed when the view was read (GOAL_06)."""

    goal: Goal
    progress: GoalProgress

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the goal and its progress."""
        p = self.progress
        return {
            "goal": to_dict(self.goal),
            "progress": {"linked": p.linked, "closed": p.closed, "achieved": p.achieved, "percent": p.percent},
        }


@attrs.frozen(kw_only=True)
class _View:
    """What the company and relationship views share: the work, the people, the timeline.

    ``open_ctas`` are the open CTAs a cockpit shows; ``snoozed_ctas`` the open
    ones hidden until a later day (OBJ_08), listed apart so nothing open is
    lost from sight.  ``timeline`` is the newest page of the timeline and
    ``timeline_next`` the cursor of the page after it (None when there is none).
    ``users`` holds every user the view names (CSMs, owners, authors) by id.
    """

    as_of: date
    csm: User | None
    open_ctas: tuple[Cta, ...]
    snoozed_ctas: tuple[Cta, ...]
    plans: tuple[PlanSummary, ...]
    goals: tuple[GoalSummary, ...]
    people: tuple[Person, ...]
    timeline: tuple[TimelineItem, ...]
    timeline_next: str | None
    users: Mapping[str, User] = attrs.field(factory=dict, eq=False)
    #: The scorecard section (SCORE_12); None for a record never scored.
    score: ScoreSection | None = None
    #: Usage, surveys and sponsor tracking (C360_03).
    signals: Signals = attrs.field(factory=Signals)

    @property
    def sponsors(self) -> tuple[Person, ...]:
        """The people flagged as sponsors."""
        return tuple(p for p in self.people if p.sponsor)

    # --------------------------------------------------------------- rendering
    def _record(self) -> Company | Relationship:
        raise NotImplementedError

    def _title(self) -> str:
        raise NotImplementedError

    def _attr_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _where(self, item: Cta | SuccessPlan | Goal) -> str:
        """Where an item lives, when the view spans more than one place."""
        return ""

    def _head_sections(self) -> list[tuple[str, list[str]]]:
        return []

    @property
    def arr(self) -> float | None:
        """Annual recurring revenue of the company or relationship."""
        return self._record().arr

    @property
    def health_score(self) -> float | None:
        """The health score of the company or relationship."""
        return self._record().health_score

    @property
    def nps(self) -> float | None:
        """The net promoter score of the company or relationship."""
        return self._record().nps

    @property
    def attributes(self) -> dict[str, Any]:
        """The standard attributes, then custom fields as ``fields.<name>``."""
        record = self._record()
        out = {name: getattr(record, name) for name in self._attr_names()}
        out.update({f"fields.{k}": v for k, v in record.fields.items()})
        return out

    def _user(self, user_id: str | None) -> str:
        if user_id is None:
            return "-"
        user = self.users.get(user_id)
        return user.name if user is not None else user_id

    @property
    def summary(self) -> dict[str, Any]:
        """What the summary ribbon shows first (C360_03): health with its grade, colour and
        trend, ARR, NPS, open CTAs, and the renewal date with the days left."""
        record = self._record()
        renewal = record.renewal_date
        return {
            "health": record.health_score,
            "grade": self.score.grade if self.score else getattr(record, "score_grade", None),
            "colour": self.score.colour if self.score else None,
            "trend": getattr(record, "score_trend", None),
            "arr": record.arr,
            "nps": record.nps,
            "open_ctas": len(self.open_ctas),
            "renewal_date": renewal,
            "renewal_in_days": None if renewal is None else (renewal - self.as_of).days,
        }

    def _summary_line(self) -> str:
        s = self.summary
        health = _text("health_score", s["health"])
        grade = f" {s['grade']}" if s["grade"] else ""
        trend = f" ({s['trend']})" if s["trend"] else ""
        renewal = "-" if s["renewal_date"] is None else f"{s['renewal_date']} (in {s['renewal_in_days']} days)"
        return (
            f"Health {health}{grade}{trend} | ARR {_text('arr', s['arr'])} | NPS {_text('nps', s['nps'])} | "
            f"{s['open_ctas']} open CTAs | renewal {renewal}"
        )

    def sections(self) -> list[tuple[str, list[str]]]:
        """The view as (heading, lines) pairs: what ``describe`` and the notebook display show."""
        attrs_lines = [f"CSM: {self.csm.name if self.csm else '-'}"]
        attrs_lines += [f"{_label(k)}: {_text(k, v)}" for k, v in self.attributes.items()]
        out = [("Summary", [self._summary_line()]), ("Attributes", attrs_lines)]
        if self.score is not None:
            out.append((f"Scorecard ({self.score.grade or 'NA'})", self.score.lines()))
        out += self._head_sections()
        out.append((f"Open CTAs ({len(self.open_ctas)})", [self._cta_line(c) for c in self.open_ctas]))
        if self.snoozed_ctas:
            out.append(
                (
                    f"Snoozed CTAs ({len(self.snoozed_ctas)})",
                    [f"{self._cta_line(c)} | snoozed until {c.snoozed_until}" for c in self.snoozed_ctas],
                )
            )
        out.append((f"Success plans ({len(self.plans)})", [self._plan_line(p) for p in self.plans]))
        out.append((f"Goals ({len(self.goals)})", [self._goal_line(g) for g in self.goals]))
        n_sponsors = len(self.sponsors)
        out.append(
            (
                f"People ({len(self.people)}, {n_sponsors} sponsor{'' if n_sponsors == 1 else 's'})",
                [_person_line(p) for p in self.people],
            )
        )
        out += self.signals.sections()
        more = ", more on the next page" if self.timeline_next else ""
        out.append((f"Recent timeline ({len(self.timeline)}{more})", [_activity_line(i) for i in self.timeline]))
        return out

    def describe(self) -> str:
        """The view as plain text for a terminal."""
        lines = [self._title(), f"(as of {self.as_of.isoformat()})"]
        for heading, rows in self.sections():
            lines += ["", heading, *(f"  - {r}" for r in rows or ["(none)"])]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()

    def _repr_html_(self) -> str:
        parts = [f"<h3>{html.escape(self._title())}</h3><p><small>as of {self.as_of.isoformat()}</small></p>"]
        for heading, rows in self.sections():
            items = "".join(f"<li>{html.escape(r)}</li>" for r in rows) or "<li><em>(none)</em></li>"
            parts.append(f"<h4>{html.escape(heading)}</h4><ul>{items}</ul>")
        return "".join(parts)

    def _common_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "csm": None if self.csm is None else to_dict(self.csm),
            "attributes": {k: _jsonable(v) for k, v in self.attributes.items()},
            "open_ctas": _dicts(self.open_ctas),
            "snoozed_ctas": _dicts(self.snoozed_ctas),
            "plans": [p.to_dict() for p in self.plans],
            "goals": [g.to_dict() for g in self.goals],
            "people": _dicts(self.people),
            "sponsor_ids": [p.id for p in self.sponsors],
            "timeline": [{"activity": to_dict(i.activity), "label": i.label} for i in self.timeline],
            "timeline_next": self.timeline_next,
            "users": {k: to_dict(u) for k, u in self.users.items()},
            "score": None if self.score is None else self.score.to_dict(),
            "summary": {k: _jsonable(v) for k, v in self.summary.items()},
            "signals": self.signals.to_dict(),
        }

    def _cta_line(self, c: Cta) -> str:
        return (
            f"{c.name}{self._where(c)} [{c.type}, {c.priority}, {c.status}] due {c.due_date or '-'}"
            f" | owner {self._user(c.owner_id)}"
        )

    def _plan_line(self, s: PlanSummary) -> str:
        c = s.counts
        state = s.plan.status if s.plan.status == s.category else f"{s.plan.status}, {s.category}"
        return (
            f"{s.plan.name}{self._where(s.plan)} [{state}] owner "
            f"{self._user(s.plan.owner_id)} | objectives: {c.total} ({c.open} open, {c.overdue} overdue, "
            f"{c.closed_success} closed success, {c.closed_lost} closed lost)"
        )

    def _goal_line(self, s: GoalSummary) -> str:
        p = s.progress
        done = "no linked work" if p.percent is None else f"{p.percent:.0f}% ({p.achieved} of {p.linked} achieved)"
        return f"{s.goal.name}{self._where(s.goal)} [{s.goal.status}] due {s.goal.due_date or '-'} | {done}"


@attrs.frozen(kw_only=True)
class Company360(_View):
    """A company's 360 view (C360_01).

    ``ancestors`` run from the root to the parent; ``children`` are the direct
    children by name.  CTAs, plans, goals and the timeline include the
    company's relationships unless the view was asked with ``relationships=False``.
    """

    company: Company
    ancestors: tuple[Company, ...]
    children: tuple[Company, ...]
    relationships: tuple[Relationship, ...]
    relationship_types: Mapping[str, RelationshipType] = attrs.field(factory=dict, eq=False)

    def _record(self) -> Company:
        return self.company

    def _title(self) -> str:
        return f"{self.company.name}: company 360"

    def _attr_names(self) -> tuple[str, ...]:
        return _COMPANY_ATTRS

    def _where(self, item: Cta | SuccessPlan | Goal) -> str:
        if item.relationship_id is None:
            return ""
        names = {r.id: r.name for r in self.relationships}
        return f" ({names.get(item.relationship_id, item.relationship_id)})"

    def type_name(self, relationship: Relationship) -> str:
        """The name of a relationship's type."""
        t = self.relationship_types.get(relationship.type_id)
        return t.name if t is not None else relationship.type_id

    def _head_sections(self) -> list[tuple[str, list[str]]]:
        path = " > ".join([*(a.name for a in self.ancestors), self.company.name])
        kids = ", ".join(c.name for c in self.children) or "(none)"
        rels = [
            f"{r.name} ({self.type_name(r)}) | stage {r.stage or '-'} | ARR {_text('arr', r.arr)} | "
            f"health {_text('health_score', r.health_score)} | NPS {_text('nps', r.nps)} | "
            f"CSM {self._user(r.csm_id)}"
            for r in self.relationships
        ]
        return [
            ("Hierarchy", [f"Path: {path}", f"Children: {kids}"]),
            (f"Relationships ({len(self.relationships)})", rels),
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole view."""
        return {
            "kind": "company_360",
            "company": to_dict(self.company),
            "hierarchy": {"ancestors": _dicts(self.ancestors), "children": _dicts(self.children)},
            "relationships": _dicts(self.relationships),
            "relationship_types": {k: to_dict(t) for k, t in self.relationship_types.items()},
            **self._common_dict(),
        }


@attrs.frozen(kw_only=True)
class Relationship360(_View):
    """A relationship's 360 view (R360, C360_01): its own attributes and work,
    its company and type; people belong to companies, so ``people`` are the
    company's.  ``csm`` is the relationship's own CSM."""

    relationship: Relationship
    type: RelationshipType
    company: Company

    def _record(self) -> Relationship:
        return self.relationship

    def _title(self) -> str:
        return f"{self.relationship.name}: relationship 360 ({self.type.name} of {self.company.name})"

    def _attr_names(self) -> tuple[str, ...]:
        return _REL_ATTRS

    def _head_sections(self) -> list[tuple[str, list[str]]]:
        return [
            (
                "Company",
                [f"{self.company.name} | CSM {self._user(self.company.csm_id)} | ARR {_text('arr', self.company.arr)}"],
            )
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole view."""
        return {
            "kind": "relationship_360",
            "relationship": to_dict(self.relationship),
            "type": to_dict(self.type),
            "company": to_dict(self.company),
            **self._common_dict(),
        }


@attrs.frozen(kw_only=True)
class _Work:
    """The work sections of a view, as read by :meth:`Customer360Service._work`."""

    open_ctas: tuple[Cta, ...]
    snoozed_ctas: tuple[Cta, ...]
    plans: tuple[PlanSummary, ...]
    goals: tuple[GoalSummary, ...]


class Customer360Service:
    """``kit.c360``: the company and relationship 360 views."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def company(
        self,
        company: Company | str,
        *,
        timeline_limit: int = 20,
        relationships: bool = True,
        drafts: bool = True,
        relationship_goals: bool | None = None,
    ) -> Company360:
        """A company's 360 view (C360_01) in at most 22 storage calls (see the module
        docstring) once the kit has read its custom-field declarations (C360_02).

        ``timeline_limit`` is how many of the newest activities to show
        (1-500); ``relationships=False`` keeps CTAs, plans, goals and the
        timeline to the company's own; ``drafts=False`` leaves draft
        activities out of the timeline.  Relationships' goals show only with
        ``relationship_goals=True`` or, left out, when an administrator turned
        them on (``kit.goals.show_relationship_goals(True)``, GOAL_14).
        """
        kit = self.kit
        _check_options(timeline_limit, relationships, drafts)
        rel_goals = kit.goals.with_relationship_goals(relationship_goals) and relationships
        current = kit.companies.get(company)
        ancestors = self._ancestors(current)
        children = kit.companies.children(current.id)
        rels = kit.relationships.of_company(current.id)
        types = kit.relationship_types.get_many(sorted({r.type_id for r in rels}))
        scope: list[tuple[Any, ...]] = [("company_id", "=", current.id)]
        if not relationships:
            scope.append(("relationship_id", "is empty"))
        work = self._work(scope, scope if rel_goals else [*scope, ("relationship_id", "is empty")])
        page = kit.timeline.company(
            current.id, limit=timeline_limit, drafts=drafts, include_relationships=relationships
        )
        people = kit.people.of_company(current.id)
        users = self._users([current.csm_id, *(r.csm_id for r in rels)], work, page.items)
        return Company360(
            **self._shared(work, people, page, users, current.csm_id, current),
            company=current,
            ancestors=tuple(ancestors),
            children=tuple(children),
            relationships=tuple(rels),
            relationship_types={t.id: t for t in types},
        )

    def relationship(
        self, relationship: Relationship | str, *, timeline_limit: int = 20, drafts: bool = True
    ) -> Relationship360:
        """A relationship's 360 view (R360, C360_01) in at most 17 storage calls (see the module docstring; C360_02)."""
        kit = self.kit
        _check_options(timeline_limit, True, drafts)
        rel = kit.relationships.get(relationship)
        owner = kit.companies.get(rel.company_id)
        rtype = kit.relationship_types.get(rel.type_id)
        scope = [("relationship_id", "=", rel.id)]
        work = self._work(scope, scope)
        page = kit.timeline.relationship(rel.id, limit=timeline_limit, drafts=drafts)
        people = kit.people.of_company(owner.id)
        users = self._users([rel.csm_id, owner.csm_id], work, page.items)
        return Relationship360(
            **self._shared(work, people, page, users, rel.csm_id, rel),
            relationship=rel,
            type=rtype,
            company=owner,
        )

    # ------------------------------------------------------------------ helpers
    def _ancestors(self, company: Company) -> list[Company]:
        """Root first, one read per level (the company itself is already read)."""
        chain: list[Company] = []
        current = company
        while current.parent_id is not None and len(chain) < MAX_LEVELS - 1:
            current = self.kit.companies.get(current.parent_id)
            chain.append(current)
        chain.reverse()
        return chain

    def _work(self, scope: Sequence[tuple[Any, ...]], goal_scope: Sequence[tuple[Any, ...]]) -> _Work:
        """Open and snoozed CTAs, plans with counts of one scope, goals of ``goal_scope`` with
        their progress (five calls at most)."""
        kit = self.kit
        today = kit.today()
        open_keys = kit.statuses.in_category("cta", "open")
        ctas = kit.ctas.list([*scope, ("status", "in", open_keys)], sort=["due_date", "name"])
        snoozed = {c.id for c in ctas if c.snoozed_until is not None and c.snoozed_until > today}
        plans = kit.plans.list(list(scope), sort=["name"])
        counts = kit.plans.counts_many(plans)
        goals = kit.goals.list(list(goal_scope), sort=["-created_at"])
        progress = kit.goals.progress_many(goals)
        return _Work(
            open_ctas=tuple(c for c in ctas if c.id not in snoozed),
            snoozed_ctas=tuple(c for c in ctas if c.id in snoozed),
            plans=tuple(PlanSummary(p, self._category(p.status), counts[p.id]) for p in plans),
            goals=tuple(GoalSummary(g, progress[g.id]) for g in goals),
        )

    def _category(self, status: str) -> str:
        try:
            return self.kit.statuses.get("plan", status).category
        except ValidationError:  # a status whose plugin is gone
            return "unknown"

    def _shared(
        self,
        work: _Work,
        people: list[Person],
        page: TimelinePage,
        users: dict[str, User],
        csm_id: str | None,
        record: Company | Relationship,
    ) -> dict[str, Any]:
        """The sections both views have (:class:`_View`)."""
        return {
            "score": score_section(self.kit, record),
            "signals": signals_of(self.kit, record, people, self.kit.today()),
            "as_of": self.kit.today(),
            "csm": users.get(csm_id or ""),
            "open_ctas": work.open_ctas,
            "snoozed_ctas": work.snoozed_ctas,
            "plans": work.plans,
            "goals": work.goals,
            "people": _live(people),
            "timeline": page.items,
            "timeline_next": page.next,
            "users": users,
        }

    def _users(self, ids: Iterable[str | None], work: _Work, timeline: Sequence[TimelineItem]) -> dict[str, User]:
        """Every user the view names, in one read."""
        wanted = set(ids)
        wanted.update(c.owner_id for c in (*work.open_ctas, *work.snoozed_ctas) if c.owner_kind == "user")
        wanted.update(s.plan.owner_id for s in work.plans)
        wanted.update(i.activity.author_id for i in timeline)
        return {u.id: u for u in self.kit.users.get_many(sorted(w for w in wanted if w is not None))}


def _check_options(limit: Any, relationships: Any, drafts: Any) -> None:
    """Refuse bad options before reading anything."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"timeline_limit is a whole number from 1 to {MAX_PAGE}", value=limit)
    flag("customer 360", "relationships", relationships)
    flag("customer 360", "drafts", drafts)


def _live(people: Iterable[Person]) -> tuple[Person, ...]:
    """People still on record: an erased person has nothing left to show."""
    return tuple(p for p in people if not p.erased)


def _dicts(records: Iterable[Record]) -> list[dict[str, Any]]:
    return [to_dict(r) for r in records]


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _label(name: str) -> str:
    if name.startswith("fields."):
        return name[len("fields.") :]
    return _LABELS.get(name, name.replace("_", " ").capitalize())


def _text(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name == "arr" and isinstance(value, (int, float)):
        return f"${value:,.0f}"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _person_line(p: Person) -> str:
    parts = [p.name + (" (sponsor)" if p.sponsor else ""), p.title or "", p.email or ""]
    return " | ".join(x for x in parts if x)


def _activity_line(item: TimelineItem) -> str:
    a = item.activity
    label = f" [{item.label}]" if item.label else ""
    draft = " (draft)" if a.draft else ""
    return f"{a.occurred_at:%Y-%m-%d %H:%M} {a.type.replace('_', ' ').capitalize()}{label}: {a.subject}{draft}"
