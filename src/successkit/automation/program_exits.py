"""Exit conditions of programs (MAIL_03), checked in bulk.

For the due enrolments of an advance, each kind of condition is one query over
all their companies since the earliest of them entered: published activities of
the programs' types, CTAs closed, survey responses.  Each enrolment then counts
only what happened since it entered (and, for a person, what concerns that
person: an activity they took part in, a response they gave).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timezone
from typing import TYPE_CHECKING, Any

from successkit.query.language import Query
from successkit.records import Program
from successkit.records.programs import ProgramEnrolment

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["exited"]


def exited(kit: Kit, programs: Mapping[str, Program], due: Sequence[ProgramEnrolment]) -> dict[str, str]:
    """Why each enrolment of ``due`` whose exit condition happened leaves: ``{enrolment id: reason}``.
    At most one query per kind of condition, however many enrolments."""
    out: dict[str, str] = {}
    for kind, check in (("activity", _activity), ("cta_closed", _cta_closed), ("survey_answered", _survey)):
        chosen = [e for e in due if e.id not in out and kind in programs[e.program_id].definition.get("exit", {})]
        if chosen:
            out.update(check(kit, programs, chosen))
    return out


def _companies(chosen: Sequence[ProgramEnrolment]) -> list[str]:
    return sorted({e.company_id for e in chosen})


def _activity(kit: Kit, programs: Mapping[str, Program], chosen: Sequence[ProgramEnrolment]) -> dict[str, str]:
    types = sorted({t for e in chosen for t in programs[e.program_id].definition["exit"]["activity"]})
    where: list[Any] = [
        ("company_id", "in", _companies(chosen)),
        ("type", "in", types),
        ("draft", "=", False),
        ("occurred_at", ">=", min(e.enrolled_at for e in chosen)),
    ]
    found: dict[str, list[Any]] = {}
    for a in kit.store.query(kit.bind("activity", Query(conditions=where))):
        found.setdefault(a.company_id, []).append(a)
    out: dict[str, str] = {}
    for e in chosen:
        wanted = programs[e.program_id].definition["exit"]["activity"]
        for a in found.get(e.company_id, ()):
            if (
                a.type in wanted
                and a.occurred_at >= e.enrolled_at
                and (e.target_kind == "company" or e.target_id in a.participant_person_ids)
            ):
                out[e.id] = f"a {a.type} activity was logged: {a.subject!r}"
                break
    return out


def _cta_closed(kit: Kit, programs: Mapping[str, Program], chosen: Sequence[ProgramEnrolment]) -> dict[str, str]:
    closed = kit.statuses.in_category("cta", "closed_success", "closed_lost")
    where: list[Any] = [
        ("company_id", "in", _companies(chosen)),
        ("status", "in", closed),
        ("closed_at", ">=", min(e.enrolled_at for e in chosen)),
    ]
    found: dict[str, list[Any]] = {}
    for c in kit.store.query(kit.bind("cta", Query(conditions=where))):
        found.setdefault(c.company_id, []).append(c)
    out: dict[str, str] = {}
    for e in chosen:
        spec = programs[e.program_id].definition["exit"]["cta_closed"]
        for c in found.get(e.company_id, ()):
            if (
                c.closed_at is not None
                and c.closed_at >= e.enrolled_at
                and c.type in spec.get("types", [c.type])
                and c.status in spec.get("statuses", [c.status])
                and (e.target_kind == "company" or e.target_id in c.associated_person_ids)
            ):
                out[e.id] = f"CTA {c.name!r} was closed"
                break
    return out


def _survey(kit: Kit, programs: Mapping[str, Program], chosen: Sequence[ProgramEnrolment]) -> dict[str, str]:
    first = min(e.enrolled_at for e in chosen).astimezone(timezone.utc).date()
    where: list[Any] = [("company_id", "in", _companies(chosen)), ("answered_on", ">=", first)]
    found: dict[str, list[Any]] = {}
    for r in kit.store.query(kit.bind("survey_response", Query(conditions=where))):
        found.setdefault(r.company_id, []).append(r)
    out: dict[str, str] = {}
    for e in chosen:
        day = e.enrolled_at.astimezone(timezone.utc).date()
        for r in found.get(e.company_id, ()):
            if r.answered_on >= day and (e.target_kind == "company" or r.person_id == e.target_id):
                out[e.id] = f"a survey was answered on {r.answered_on}"
                break
    return out
