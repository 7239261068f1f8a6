"""Manual values (SCORE_02), overrides and locks (SCORE_09).

A manual entry is the current value of one manual measure for one record
(author, comment, date); setting it again replaces it, and the history of
values lives in the snapshots (SCORE_07).  An override replaces a measure's
score, or the whole score, until its expiry date, after which the computed
value returns; it needs a reason.  A locked measure takes neither manual
entries nor overrides of its own (a whole-score override stays possible).
Both take effect in ``explain`` at once and in the stored score at the next
recompute.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from successkit.errors import RuleViolation, ValidationError
from successkit.query.language import Query
from successkit.records import Measure, MeasureEntry, Record, ScoreOverride, stable_id
from successkit.service import stamp

from .assign import load_cards, target_record
from .mapping import is_number, score_number
from .schemes import grade_value

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["clear_override", "delete_scores_of", "override", "set_value"]

R = TypeVar("R", bound=Record)

#: The longest comment or reason kept with a value (SEC_07).
MAX_NOTE = 1000


def _value(kit: Kit, record: Any, value: Any, rule: str) -> tuple[float, str | None]:
    """(score, letter) of a value given as a number of 0-100, or as a letter
    grade of the scheme of the record's scorecard (SCORE_01)."""
    if isinstance(value, str):
        card = load_cards(kit, record.__kind__, kit.now()).card_for(record)
        scheme = card.scheme if card is not None else {"type": "numeric", "ranges": []}
        return grade_value(scheme, value), value.strip()
    if not is_number(value):
        raise RuleViolation(rule, "a value is a number from 0 to 100, or a letter grade", value=value)
    return score_number(rule, "a value", value), None


def _note(rule: str, what: str, text: Any, *, required: bool) -> str | None:
    if text is None and not required:
        return None
    if not isinstance(text, str) or (required and not text.strip()) or len(text) > MAX_NOTE:
        need = "is required: non-blank text" if required else "is text"
        raise RuleViolation(rule, f"{what} {need} of at most {MAX_NOTE} characters", value=text)
    return text.strip() or None


def _day(rule: str, what: str, value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise RuleViolation(rule, f"{what} is a date", value=value)
    return value


def _measure(kit: Kit, measure: Any, *, manual: bool) -> Measure:
    found: Measure = kit.measures.get(measure)
    if found.locked:
        raise RuleViolation("SCORE_09", "the measure is locked against manual entry and overrides", value=found.key)
    if manual and found.source.get("type") != "manual":
        raise RuleViolation(
            "SCORE_02",
            f"the measure reads its {found.source.get('type')} source; only manual measures take entries",
            value=found.key,
        )
    return found


def _upsert(kit: Kit, record: R) -> R:
    """Insert ``record``, or replace the stored one of its (derived) id; returns what is stored."""
    found = kit.store.get_many(record.__kind__, [record.id])
    if not found:
        kit.store.insert(record)
        return record
    old = found[0]
    new = attrs.evolve(record, version=old.version + 1, created_at=old.created_at, created_by=old.created_by)
    kit.store.update(new, old.version)
    return new


def set_value(
    kit: Kit, record: Any, measure: Any, value: Any, *, comment: Any = None, as_of: Any = None
) -> MeasureEntry:
    """Enter the current value of a manual measure for a record (SCORE_02)."""
    day = kit.today() if as_of is None else _day("SCORE_03", "as_of", as_of)
    if day > kit.today():
        raise RuleViolation("SCORE_03", "as_of is today or earlier", value=day)
    note = _note("SCORE_02", "a comment", comment, required=False)
    with kit.transaction():
        target = target_record(kit, record)
        m = _measure(kit, measure, manual=True)
        score, letter = _value(kit, target, value, "SCORE_02")
        entry = MeasureEntry(
            id=stable_id("measure_entry", target.__kind__, target.id, m.key),
            **stamp(kit),
            record_kind=target.__kind__,
            record_id=target.id,
            measure=m.key,
            value=score,
            grade=letter,
            author_id=kit.actor_id,
            comment=note,
            as_of=day,
        )
        stored = _upsert(kit, entry)
    return stored


def override(
    kit: Kit, record: Any, value: Any, *, measure: Any = None, reason: Any = None, expires_on: Any = None
) -> ScoreOverride:
    """Override a measure's score, or the whole score, until ``expires_on`` (SCORE_09)."""
    text = _note("SCORE_09", "an override's reason", reason, required=True)
    if expires_on is None:
        raise RuleViolation("SCORE_09", "an override needs an expiry date (expires_on)", value=None)
    until = _day("SCORE_09", "expires_on", expires_on)
    if until < kit.today():
        raise RuleViolation("SCORE_09", "an override's expiry date is today or later", value=until)
    with kit.transaction():
        target = target_record(kit, record)
        key = None if measure is None else _measure(kit, measure, manual=False).key
        score, letter = _value(kit, target, value, "SCORE_09")
        entry = ScoreOverride(
            id=stable_id("score_override", target.__kind__, target.id, key or "*"),
            **stamp(kit),
            record_kind=target.__kind__,
            record_id=target.id,
            measure=key,
            value=score,
            grade=letter,
            author_id=kit.actor_id,
            reason=text or "",
            expires_on=until,
        )
        stored = _upsert(kit, entry)
    return stored


def clear_override(kit: Kit, record: Any, *, measure: Any = None) -> None:
    """Remove an override at once (the computed value returns); nothing to remove is no error."""
    with kit.transaction():
        target = target_record(kit, record)
        key = "*" if measure is None else kit.measures.get(measure).key
        if not isinstance(key, str):
            raise ValidationError("a measure is named by its key", value=measure)
        kit.store.delete_many("score_override", [stable_id("score_override", target.__kind__, target.id, key)])


def delete_scores_of(kit: Kit, kind: str, record_id: str) -> None:
    """Delete the manual entries, overrides and snapshots of a company or
    relationship that is being deleted: one read, a delete per kind that has any."""
    where = Query([("record_kind", "=", kind), ("record_id", "=", record_id)])
    kinds = ("measure_entry", "score_override", "score_snapshot")
    found = kit.store.query_many([kit.bind(k, where) for k in kinds])
    for k, records in zip(kinds, found, strict=True):
        kit.store.delete_many(k, [r.id for r in records])
