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
  last contacts when there are sponsors;
- the layout (C360_03): the target's layouts and the acting user, one call.

A company view therefore costs at most 23 storage calls, a relationship view
at most 18 (each two more with usage metrics, three more once scored), whether
the company holds two plans or two thousand (plus, on a kit's first view, one
read of the custom-field declarations per kind queried).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.accounts.companies import MAX_LEVELS
from successkit.engagement.timeline import MAX_PAGE, TimelineItem, TimelinePage
from successkit.errors import RuleViolation, ValidationError
from successkit.records import (
    Company,
    Cta,
    Goal,
    Person,
    Relationship,
    RelationshipType,
    SuccessPlan,
    User,
    ViewLayout,
)
from successkit.records.checks import flag
from successkit.records.dicts import to_dict

from . import c360_html
from .c360_layouts import SECTIONS, LayoutChoice, choose
from .c360_score import ScoreSection, score_section
from .c360_signals import Signals, signals_of
from .c360_text import GoalSummary, PlanSummary, activity_line, jsonable, label, person_line, record_dicts, value_text

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["Company360", "Customer360Service", "GoalSummary", "PlanSummary", "Relationship360"]

#: The standard attributes a 360 view shows, in display order.
_COMPANY_ATTRS = ("stage", "status", "industry", "renewal_date", "arr", "health_score", "nps")
_REL_ATTRS = ("stage", "status", "renewal_date", "arr", "health_score", "nps")
#: The keys of ``to_dict`` each section holds (C360_03); the rest is always there.
_DICT_KEYS = {
    "summary": ("summary",), "attributes": ("csm", "attributes"), "scorecard": ("score",),
    "hierarchy": ("hierarchy",), "relationships": ("relationships", "relationship_types"),
    "ctas": ("open_ctas", "snoozed_ctas"), "plans": ("plans",), "goals": ("goals",),
    "people": ("people", "sponsor_ids"), "timeline": ("timeline", "timeline_next"),
}  # fmt: skip
_SIGNALS = ("usage", "surveys", "sponsors")
Part = list[tuple[str, list[str]]]


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
    #: The layout the view shows (C360_03); None: every section in the standard order.
    layout: LayoutChoice | None = None

    @property
    def section_names(self) -> tuple[str, ...]:
        """The names of the sections the view shows, in order (its layout's, C360_03)."""
        return self.layout.sections if self.layout is not None else SECTIONS[self._record().__kind__]

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

    def _head_parts(self) -> dict[str, Part]:
        return {}

    def _head_dict(self) -> dict[str, Any]:
        return {}

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
        health = value_text("health_score", s["health"])
        grade = f" {s['grade']}" if s["grade"] else ""
        trend = f" ({s['trend']})" if s["trend"] else ""
        renewal = "-" if s["renewal_date"] is None else f"{s['renewal_date']} (in {s['renewal_in_days']} days)"
        return (
            f"Health {health}{grade}{trend} | ARR {value_text('arr', s['arr'])} | NPS {value_text('nps', s['nps'])} | "
            f"{s['open_ctas']} open CTAs | renewal {renewal}"
        )

    def _parts(self) -> dict[str, Part]:
        """Every section by its layout name, each as (heading, lines) pairs."""
        attrs_lines = [f"CSM: {self.csm.name if self.csm else '-'}"]
        attrs_lines += [f"{label(k)}: {value_text(k, v)}" for k, v in self.attributes.items()]
        parts: dict[str, Part] = {
            "summary": [("Summary", [self._summary_line()])],
            "attributes": [("Attributes", attrs_lines)],
        }
        parts["scorecard"] = (
            [] if self.score is None else [(f"Scorecard ({self.score.grade or 'NA'})", self.score.lines())]
        )
        parts.update(self._head_parts())
        parts["ctas"] = [(f"Open CTAs ({len(self.open_ctas)})", [self._cta_line(c) for c in self.open_ctas])]
        if self.snoozed_ctas:
            parts["ctas"].append(
                (
                    f"Snoozed CTAs ({len(self.snoozed_ctas)})",
                    [f"{self._cta_line(c)} | snoozed until {c.snoozed_until}" for c in self.snoozed_ctas],
                )
            )
        parts["plans"] = [(f"Success plans ({len(self.plans)})", [self._plan_line(p) for p in self.plans])]
        parts["goals"] = [(f"Goals ({len(self.goals)})", [self._goal_line(g) for g in self.goals])]
        n_sponsors = len(self.sponsors)
        parts["people"] = [
            (
                f"People ({len(self.people)}, {n_sponsors} sponsor{'' if n_sponsors == 1 else 's'})",
                [person_line(p) for p in self.people],
            )
        ]
        parts.update({k: [v] for k, v in self.signals.parts().items()})
        more = ", more on the next page" if self.timeline_next else ""
        parts["timeline"] = [
            (f"Recent timeline ({len(self.timeline)}{more})", [activity_line(i) for i in self.timeline])
        ]
        return parts

    def sections(self) -> list[tuple[str, list[str]]]:
        """The view as (heading, lines) pairs, the layout's sections in its order (C360_03):
        what ``describe`` and the notebook display show."""
        parts = self._parts()
        return [section for name in self.section_names for section in parts[name]]

    def describe(self) -> str:
        """The view as plain text for a terminal."""
        lines = [self._title(), f"(as of {self.as_of.isoformat()})"]
        for heading, rows in self.sections():
            lines += ["", heading, *(f"  - {r}" for r in rows or ["(none)"])]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()

    def _repr_html_(self) -> str:
        """The layout's sections in notebooks: figures, tables and lines (DATA_01)."""
        return c360_html.render(self, self._title(), self._parts(), self._where)

    def _common_dict(self) -> dict[str, Any]:
        """The layout's sections as JSON-ready data (C360_03), with the date, the users and the layout."""
        shown = self.section_names
        data = {**self._head_dict(), **self._section_dict()}
        keep = {k for name in shown for k in _DICT_KEYS.get(name, ())}
        out = {k: v for k, v in data.items() if k in keep}
        if any(name in shown for name in _SIGNALS):
            out["signals"] = self.signals.to_dict([n for n in _SIGNALS if n in shown])
        layout = self.layout.layout if self.layout is not None else None
        out["layout"] = {
            "key": None if layout is None else layout.key,
            "sections": list(shown),
            "reason": "the built-in layout" if self.layout is None else self.layout.reason,
        }
        out.update(as_of=self.as_of.isoformat(), users={k: to_dict(u) for k, u in self.users.items()})
        return out

    def _section_dict(self) -> dict[str, Any]:
        return {
            "csm": None if self.csm is None else to_dict(self.csm),
            "attributes": {k: jsonable(v) for k, v in self.attributes.items()},
            "open_ctas": record_dicts(self.open_ctas),
            "snoozed_ctas": record_dicts(self.snoozed_ctas),
            "plans": [p.to_dict() for p in self.plans],
            "goals": [g.to_dict() for g in self.goals],
            "people": record_dicts(self.people),
            "sponsor_ids": [p.id for p in self.sponsors],
            "timeline": [{"activity": to_dict(i.activity), "label": i.label} for i in self.timeline],
            "timeline_next": self.timeline_next,
            "score": None if self.score is None else self.score.to_dict(),
            "summary": {k: jsonable(v) for k, v in self.summary.items()},
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

    def _head_parts(self) -> dict[str, Part]:
        path = " > ".join([*(a.name for a in self.ancestors), self.company.name])
        kids = ", ".join(c.name for c in self.children) or "(none)"
        rels = [
            f"{r.name} ({self.type_name(r)}) | stage {r.stage or '-'} | ARR {value_text('arr', r.arr)} | "
            f"health {value_text('health_score', r.health_score)} | NPS {value_text('nps', r.nps)} | "
            f"CSM {self._user(r.csm_id)}"
            for r in self.relationships
        ]
        return {
            "hierarchy": [("Hierarchy", [f"Path: {path}", f"Children: {kids}"])],
            "relationships": [(f"Relationships ({len(self.relationships)})", rels)],
        }

    def _head_dict(self) -> dict[str, Any]:
        return {
            "hierarchy": {"ancestors": record_dicts(self.ancestors), "children": record_dicts(self.children)},
            "relationships": record_dicts(self.relationships),
            "relationship_types": {k: to_dict(t) for k, t in self.relationship_types.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the view: the company and its layout's sections (C360_03)."""
        return {"kind": "company_360", "company": to_dict(self.company), **self._common_dict()}


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

    def _head_parts(self) -> dict[str, Part]:
        line = (
            f"{self.company.name} | CSM {self._user(self.company.csm_id)} | ARR {value_text('arr', self.company.arr)}"
        )
        return {"company": [("Company", [line])]}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the view: the relationship, its type and company, and its
        layout's sections (C360_03)."""
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
        layout: ViewLayout | str | None = None,
    ) -> Company360:
        """A company's 360 view (C360_01) in at most 23 storage calls (see the module
        docstring) once the kit has read its custom-field declarations (C360_02).

        ``timeline_limit`` is how many of the newest activities to show
        (1-500); ``relationships=False`` keeps CTAs, plans, goals and the
        timeline to the company's own; ``drafts=False`` leaves draft
        activities out of the timeline.  Relationships' goals show only with
        ``relationship_goals=True`` or, left out, when an administrator turned
        them on (``kit.goals.show_relationship_goals(True)``, GOAL_14).  The sections
        shown, and their order, are the layout that applies to the company and the
        acting user (``kit.layouts``, C360_03), or ``layout`` (a company layout or its key).
        """
        kit = self.kit
        _check_options(timeline_limit, relationships, drafts)
        rel_goals = kit.goals.with_relationship_goals(relationship_goals) and relationships
        current = kit.companies.get(company)
        shown = self._layout(current, layout)
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
            layout=shown,
        )

    def relationship(
        self,
        relationship: Relationship | str,
        *,
        timeline_limit: int = 20,
        drafts: bool = True,
        layout: ViewLayout | str | None = None,
    ) -> Relationship360:
        """A relationship's 360 view (R360, C360_01) in at most 18 storage calls (see the module
        docstring; C360_02), showing the sections of the layout that applies to the relationship,
        its type and the acting user, or of ``layout`` (C360_03)."""
        kit = self.kit
        _check_options(timeline_limit, True, drafts)
        rel = kit.relationships.get(relationship)
        shown = self._layout(rel, layout)
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
            layout=shown,
        )

    # ------------------------------------------------------------------ helpers
    def _layout(self, record: Company | Relationship, layout: ViewLayout | str | None) -> LayoutChoice:
        """The layout asked for (it must be of the record's kind), else the one that applies (C360_03)."""
        if layout is None:
            return choose(self.kit, record, self.kit.actor_id)
        found = self.kit.layouts.get(layout)
        if found.target != record.__kind__:
            raise RuleViolation("C360_03", f"layout {found.key!r} is a {found.target} layout", value=found.key)
        return LayoutChoice(found, found.sections, f"layout {found.key!r} as asked")

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
