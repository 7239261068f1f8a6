"""The 360 views in a notebook (C360_01, DATA_01): the layout's sections in order, the
summary as key figures, the attributes, work, people and usage as tables (owners by
name, from the users the view already holds), the other sections as lists of lines."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from successkit.records import Cta

from . import notebook as nb
from .c360_signals import SIGNAL_DAYS
from .c360_text import label, value_text

__all__ = ["Part", "render"]

#: A section as (heading, lines) pairs: what the text rendering shows.
Part = list[tuple[str, list[str]]]
Where = Callable[[Any], str]


def render(view: Any, heading: str, parts: Mapping[str, Part], where: Where) -> str:
    """The view's HTML: ``parts`` are its sections as text (the fallback for sections
    without a table) and ``where`` says where an item lives when the view spans several."""
    out = [nb.title(heading, f"as of {view.as_of.isoformat()}")]
    for name in view.section_names:
        rich = _RICH.get(name)
        if rich is not None:
            out.append(rich(view, where))
            continue
        for title, lines in parts.get(name, ()):
            out.append(nb.items(lines, heading=title))
    return nb.block(*out)


def _who(view: Any, user_id: str | None) -> str | None:
    if user_id is None:
        return None
    user = view.users.get(user_id)
    return user.name if user is not None else user_id


def _section(title: str, header: Sequence[str], rows: list[list[Any]], **kw: Any) -> str:
    if not rows:
        return nb.items([], heading=title)
    return nb.subtitle(title) + nb.table(header, rows, **kw)


def _summary(view: Any, where: Where) -> str:
    s = view.summary
    trend = f"({s['trend']})" if s["trend"] else ""
    health = " ".join(x for x in (value_text("health_score", s["health"]), s["grade"] or "", trend) if x)
    renewal = None if s["renewal_date"] is None else f"{s['renewal_date'].isoformat()} (in {s['renewal_in_days']} days)"
    return nb.subtitle("Summary", colour=s["colour"]) + nb.figures(
        [
            ("Health", health),
            ("ARR", value_text("arr", s["arr"])),
            ("NPS", value_text("nps", s["nps"])),
            ("open CTAs", s["open_ctas"]),
            ("renewal", renewal),
        ]
    )


def _attributes(view: Any, where: Where) -> str:
    rows: list[list[Any]] = [["CSM", view.csm.name if view.csm else None]]
    rows += [[label(k), None if v is None else value_text(k, v)] for k, v in view.attributes.items()]
    return _section("Attributes", ["attribute", "value"], rows, numeric=[False, False])


def _cta_row(view: Any, c: Cta, where: Where) -> list[Any]:
    return [c.name + where(c), c.type, c.priority, c.status, c.due_date, _who(view, c.owner_id)]


def _ctas(view: Any, where: Where) -> str:
    header = ["name", "type", "priority", "status", "due", "owner"]
    out = _section(f"Open CTAs ({len(view.open_ctas)})", header, [_cta_row(view, c, where) for c in view.open_ctas])
    if view.snoozed_ctas:
        rows = [[*_cta_row(view, c, where), c.snoozed_until] for c in view.snoozed_ctas]
        out += _section(f"Snoozed CTAs ({len(rows)})", [*header, "snoozed until"], rows)
    return out


def _plans(view: Any, where: Where) -> str:
    rows = []
    for s in view.plans:
        c, p = s.counts, s.plan
        state = p.status if p.status == s.category else f"{p.status} ({s.category})"
        rows.append([p.name + where(p), state, _who(view, p.owner_id), p.due_date, c.total, c.open, c.overdue,
                     c.closed_success, c.closed_lost])  # fmt: skip
    header = ["name", "status", "owner", "due", "objectives", "open", "overdue", "success", "lost"]
    return _section(f"Success plans ({len(rows)})", header, rows)


def _goals(view: Any, where: Where) -> str:
    rows = [
        [g.goal.name + where(g.goal), g.goal.status, g.goal.due_date, nb.percent(g.progress.percent),
         f"{g.progress.achieved} of {g.progress.linked}" if g.progress.linked else None]
        for g in view.goals
    ]  # fmt: skip
    return _section(f"Goals ({len(rows)})", ["name", "status", "due", "progress", "achieved"], rows)


def _people(view: Any, where: Where) -> str:
    rows = [[p.name, p.title, p.role, "sponsor" if p.sponsor else None, p.email] for p in view.people]
    n = len(view.sponsors)
    title = f"People ({len(rows)}, {n} sponsor{'' if n == 1 else 's'})"
    return _section(title, ["name", "title", "role", "sponsor", "email"], rows)


def _usage(view: Any, where: Where) -> str:
    rows = [[u.label, u.current, u.previous, nb.percent(u.change, signed=True)] for u in view.signals.usage]
    header = ["metric", f"last {SIGNAL_DAYS} days", f"{SIGNAL_DAYS} days before", "change"]
    title = f"Usage ({len(rows)} metric{'' if len(rows) == 1 else 's'})"
    return _section(title, header, rows, numeric=[False, True, True, True])


def _relationships(view: Any, where: Where) -> str:
    rows = [
        [r.name, view.type_name(r), r.stage, r.status, r.renewal_date, r.arr, r.health_score, r.nps,
         _who(view, r.csm_id)]
        for r in view.relationships
    ]  # fmt: skip
    header = ["name", "type", "stage", "status", "renewal", "ARR", "health", "NPS", "CSM"]
    return _section(f"Relationships ({len(rows)})", header, rows)


def _scorecard(view: Any, where: Where) -> str:
    s = view.score
    if s is None:
        return ""
    figures = nb.figures([("score", s.score), ("grade", s.grade), ("trend", s.trend), ("previous", s.previous)])
    rows = [[m.label, m.score, m.raw if not m.na else None, m.na] for m in s.measures]
    recent = ", ".join(f"{p.period.isoformat()} {nb.text(p.score) or 'NA'}" for p in s.recent)
    return (
        nb.subtitle(f"Scorecard: {s.name}", colour=s.colour)
        + figures
        + nb.table(["measure", "score", "from", "NA because"], rows, numeric=[False, True, True, False])
        + (f"<p>Recent: {html.escape(recent)}</p>" if recent else "")
    )


_RICH: dict[str, Callable[[Any, Where], str]] = {
    "summary": _summary,
    "attributes": _attributes,
    "ctas": _ctas,
    "plans": _plans,
    "goals": _goals,
    "people": _people,
    "usage": _usage,
    "relationships": _relationships,
    "scorecard": _scorecard,
}
