"""The signal sections of the 360 views (C360_03): product usage over the last 30 days
against the 30 before, survey scores over 12 months, and sponsor tracking (each
sponsor's role and last contact).  Bounded storage calls: one for the metrics and two
windows when there are any, one survey aggregate, one query for the sponsors' last
contacts when there are sponsors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs
from dateutil.relativedelta import relativedelta

from successkit.records import Relationship
from successkit.signals.surveys import RecordScores
from successkit.signals.usage import percent_change, window_bounds

if TYPE_CHECKING:
    from successkit.kit import Kit
    from successkit.records import Company, Person

__all__ = ["SIGNAL_DAYS", "Signals", "signals_of"]

#: The usage window of the 360 (days), and the survey window (months).
SIGNAL_DAYS = 30
SURVEY_MONTHS = 12
#: Roles that make a person a sponsor to track, beside the ``sponsor`` flag.
SPONSOR_ROLES = ("executive_sponsor", "champion")


@attrs.frozen
class UsageLine:
    """A metric's total over the last 30 days, the 30 before, and the change in %."""

    metric: str
    label: str
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        return percent_change(self.current, self.previous)


@attrs.frozen
class SponsorLine:
    """A sponsor, their role and the last time they took part in an activity (None: never)."""

    person_id: str
    name: str
    role: str | None
    last_contact: datetime | None


@attrs.frozen
class Signals:
    """What the signals say of a company or relationship (C360_03)."""

    usage: tuple[UsageLine, ...] = ()
    nps: float | None = None
    nps_answers: int = 0
    csat: float | None = None
    csat_answers: int = 0
    sponsors: tuple[SponsorLine, ...] = ()

    def parts(self) -> dict[str, tuple[str, list[str]]]:
        """The three sections by their layout names (C360_03): ``usage``, ``surveys``, ``sponsors``."""
        usage = [
            f"{u.label}: {_num(u.current)} in the last {SIGNAL_DAYS} days"
            + ("" if u.change is None else f" ({u.change:+.0f}% against the {SIGNAL_DAYS} before)")
            for u in self.usage
        ]
        surveys = []
        if self.nps_answers:
            surveys.append(f"NPS {self.nps:+.0f} from {_answers(self.nps_answers)}")
        if self.csat_answers:
            surveys.append(f"CSAT {self.csat:.0f}% satisfied from {_answers(self.csat_answers)}")
        sponsors = [
            f"{s.name} ({(s.role or 'sponsor').replace('_', ' ')}): last contact "
            + (s.last_contact.date().isoformat() if s.last_contact else "never")
            for s in self.sponsors
        ]
        return {
            "usage": (f"Usage ({len(self.usage)} metric{'' if len(self.usage) == 1 else 's'})", usage),
            "surveys": (f"Surveys (last {SURVEY_MONTHS} months)", surveys),
            "sponsors": (f"Sponsor tracking ({len(self.sponsors)})", sponsors),
        }

    def sections(self) -> list[tuple[str, list[str]]]:
        """The three sections as (heading, lines) pairs, in the standard order."""
        return list(self.parts().values())

    def to_dict(self, parts: Sequence[str] = ("usage", "surveys", "sponsors")) -> dict[str, Any]:
        """A JSON-ready dict of the sections named in ``parts``."""
        out: dict[str, Any] = {}
        if "usage" in parts:
            out["usage"] = [{**attrs.asdict(u), "change": u.change} for u in self.usage]
        if "surveys" in parts:
            out.update(nps=self.nps, nps_answers=self.nps_answers, csat=self.csat, csat_answers=self.csat_answers)
        if "sponsors" in parts:
            out["sponsors"] = [
                {**attrs.asdict(s), "last_contact": None if s.last_contact is None else s.last_contact.isoformat()}
                for s in self.sponsors
            ]
        return out


def signals_of(kit: Kit, record: Company | Relationship, people: Sequence[Person], today: date) -> Signals:
    """The signals of a company (its relationships' included) or of a relationship."""
    company = record.__kind__ == "company"
    key = "company_id" if company else "record_id"
    company_id = record.company_id if isinstance(record, Relationship) else record.id
    usage = _usage(kit, key, record.id, today)
    scope: list[Any] = [(key, "=", record.id)]
    start = today - relativedelta(months=SURVEY_MONTHS) + relativedelta(days=1)
    answers = kit.survey_responses.aggregate(
        [*scope, ("answered_on", "between", [start, today])], by=["nps_category", "csat"], measures={"n": "count"}
    )
    scores = RecordScores.counted(
        record.id, ((r.keys[0], r["n"]) for r in answers), ((r.keys[1], r["n"]) for r in answers)
    )
    return Signals(
        usage=usage,
        nps=scores.nps,
        nps_answers=scores.nps_answers,
        csat=scores.csat,
        csat_answers=scores.csat_answers,
        sponsors=_sponsors(kit, company_id, [p for p in people if p.sponsor or p.role in SPONSOR_ROLES]),
    )


def _usage(kit: Kit, key: str, record_id: str, today: date) -> tuple[UsageLine, ...]:
    metrics = kit.metrics.list(sort=["key"])
    if not metrics:
        return ()
    windows = []
    for lo, hi in window_bounds(today, SIGNAL_DAYS):
        table = kit.usage.aggregate(
            [(key, "=", record_id), ("period", "between", [lo, hi])], by="metric", measures={"v": ("sum", "value")}
        )
        windows.append({r.keys[0]: r["v"] for r in table})
    return tuple(UsageLine(m.key, m.label, windows[0].get(m.key), windows[1].get(m.key)) for m in metrics)


def _sponsors(kit: Kit, company_id: str, sponsors: list[Person]) -> tuple[SponsorLine, ...]:
    """Each sponsor's last contact among the company's activities, newest first: the
    company's timeline index serves it, however many activities other companies have."""
    if not sponsors:
        return ()
    ids = [p.id for p in sponsors]
    where = [("company_id", "=", company_id), ("participant_person_ids", "in", ids), ("draft", "=", False)]
    recent = kit.timeline.list(where, sort=["-occurred_at", "id"], limit=500)
    last: dict[str, datetime] = {}
    for a in recent:
        for pid in a.participant_person_ids:
            last.setdefault(pid, a.occurred_at)
    return tuple(SponsorLine(p.id, p.name, p.role, last.get(p.id)) for p in sponsors)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _answers(n: int) -> str:
    """``1 answer``, ``2 answers``: the survey line reads as a sentence."""
    return f"{n} answer" if n == 1 else f"{n} answers"
