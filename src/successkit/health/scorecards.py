"""``kit.scorecards``: health scorecards and the scores they give (SCORE_01-SCORE_07,
SCORE_09, SCORE_11).

A scorecard scores companies or relationships (``target``) with weighted
measures, optionally in groups, and maps the score to a scheme of numeric
ranges or letter grades.  Several may exist per target: a record gets the first
(by ``position``) whose condition it matches, else the default.  The formulas
are in :mod:`successkit.health.formula` and ``docs/scorecards.md``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from successkit.errors import RuleViolation
from successkit.query.language import Query
from successkit.records import Company, Measure, MeasureEntry, Relationship, Scorecard, ScoreOverride
from successkit.records.checks import check_names
from successkit.service import Service

from . import values
from .assign import load_cards, overrides_of, scoring_moment, target_record
from .checks import check_definition, check_key, check_settings, check_target
from .conditions import stored_condition
from .explain import ScoreExplanation
from .history import ScoreHistory, history_of
from .preview import ScorePreview, preview, replay
from .recompute import ScoreRun, recompute
from .schemes import check_scheme
from .scoring import explain_one

__all__ = ["ScorecardService"]

Target = Company | Relationship | str
_SETTINGS = ("na_policy", "na_value", "period", "trend_tolerance", "rollup", "position", "default")
_EDITABLE = ("name", "description", "target", "where", "logic", "scheme", "measures", "groups", *_SETTINGS)


def _text(rule: str, what: str, value: Any, *, limit: int, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise RuleViolation(
            rule, f"{what} is {'non-blank ' if required else ''}text of at most {limit} characters", value=value
        )
    return value.strip() or None


def _fields(current: Scorecard, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Every editable field of ``current`` with ``changes`` applied, as ``create`` takes them."""
    return {
        "name": current.name, "description": current.description, "target": current.target,
        "where": current.condition.get("where"), "logic": current.condition.get("logic"),
        "scheme": current.scheme, "measures": current.measures, "groups": current.groups,
        **{k: getattr(current, k) for k in _SETTINGS}, **changes,
    }  # fmt: skip


class ScorecardService(Service[Scorecard]):
    """``kit.scorecards``: scorecards by key, and scoring with them."""

    record_class = Scorecard
    named = True
    name_field = "key"

    # ------------------------------------------------------------- definitions
    def create(
        self,
        key: str,
        *,
        measures: Sequence[Mapping[str, Any] | str],
        name: str | None = None,
        description: str | None = None,
        target: str = "company",
        default: bool = False,
        position: int = 0,
        where: Sequence[Any] | None = None,
        logic: str | None = None,
        scheme: Mapping[str, Any] | None = None,
        groups: Sequence[Mapping[str, Any]] = (),
        na_policy: str = "exclude",
        na_value: float | None = None,
        period: str = "day",
        trend_tolerance: float = 0.0,
        rollup: str | None = None,
    ) -> Scorecard:
        """A new scorecard (SCORE_01); every check of its measures, weights,
        groups, scheme, condition and settings comes before anything is written."""
        fields = {
            "name": name, "description": description, "target": target, "where": where, "logic": logic,
            "scheme": scheme, "measures": measures, "groups": groups, "na_policy": na_policy, "na_value": na_value,
            "period": period, "trend_tolerance": trend_tolerance, "rollup": rollup, "position": position,
            "default": default,
        }  # fmt: skip
        key = check_key("SCORE_01", "a scorecard key", key)
        with self.kit.store.exclusive("scorecards:definitions"), self.kit.transaction():
            self._check_new_name(key)
            card = self._new(key=key, **self._checked(key, fields))
            self._check_default(card)
            self.kit.store.insert(card)
        return card

    def update(self, scorecard: Scorecard | str, **changes: Any) -> Scorecard:
        """Change any part of a scorecard but its key; the whole is checked again.
        Scores change at the next recompute."""
        check_names("scorecards have no editable field", changes, _EDITABLE)
        with self.kit.store.exclusive("scorecards:definitions"), self.kit.transaction():
            current = self._current(scorecard)
            new = self._save(current, self._checked(current.key, _fields(current, changes)))
            self._check_default(new)
        return new

    def _proposed(self, scorecard: Scorecard | str, changes: Mapping[str, Any]) -> Scorecard:
        """The scorecard as ``update`` would save it, checked alike, unsaved (SCORE_10)."""
        check_names("scorecards have no editable field", changes, _EDITABLE)
        current = self._current(scorecard)
        new = attrs.evolve(current, **self._checked(current.key, _fields(current, changes)))
        self._check_default(new)
        return new

    def _checked(self, key: str, f: Mapping[str, Any]) -> dict[str, Any]:
        target = check_target(f["target"])
        settings = check_settings({k: f[k] for k in _SETTINGS})
        if settings["default"] and f["where"]:
            raise RuleViolation(
                "SCORE_01",
                "the default scorecard scores every record no other matches: it takes no condition",
                value=key,
            )
        condition = stored_condition(self.kit, target, f["where"], f["logic"], rule="SCORE_01", what="the condition")
        definition, _ = check_definition(self.kit, target, f["measures"], f["groups"])
        name = key if f["name"] is None else f["name"]
        return {
            "name": _text("SCORE_01", "a scorecard name", name, limit=200, required=True),
            "description": _text("SCORE_01", "a description", f["description"], limit=10_000, required=False),
            "target": target, "condition": condition, "scheme": check_scheme(f["scheme"]),
            "definition": definition, **settings,
        }  # fmt: skip

    def _check_default(self, card: Scorecard) -> None:
        if not card.default:
            return
        others = self.list([("target", "=", card.target), ("default", "=", True), ("id", "!=", card.id)], limit=1)
        if others:
            raise RuleViolation(
                "SCORE_01",
                f"scorecard {others[0].key!r} is already the default for {card.target} records; at most one is",
                value=card.key,
            )

    def delete(self, scorecard: Scorecard | str) -> None:
        """Delete a scorecard; the records it scored lose their score at the next
        recompute, their snapshots stay (SCORE_07)."""
        with self.kit.store.exclusive("scorecards:definitions"), self.kit.transaction():
            self.kit.store.delete(self.kind, self.get(scorecard).id)

    # ------------------------------------------------------------- scoring
    def scorecard_for(self, record: Target) -> Scorecard | None:
        """The scorecard that scores ``record``: the first conditioned one it
        matches, by position, else its kind's default, else None (SCORE_01)."""
        found = target_record(self.kit, record)
        return load_cards(self.kit, found.__kind__, self.kit.now()).card_for(found)

    def explain(self, record: Target, *, today: date | None = None) -> ScoreExplanation:
        """The record's score computed now, with every measure's raw value, mapped
        score, NA and why, effective weight and contribution (SCORE_05); a rolled-up
        parent company's parts too (SCORE_08)."""
        day, now = scoring_moment(self.kit, today)
        return explain_one(self.kit, target_record(self.kit, record), day, now)

    def recompute(self, target: str = "company", *, today: date | None = None) -> ScoreRun:
        """Score every company (or relationship) in one transaction with a bounded
        number of storage calls, write a snapshot per record for the period and
        keep ``health_score``, grade, previous score and trend in step (SCORE_06,
        SCORE_07, SCORE_11); see :mod:`successkit.health.recompute`."""
        return recompute(self.kit, target, today=today)

    def preview(self, scorecard: Scorecard | str, *, today: date | None = None, **changes: Any) -> ScorePreview:
        """What saving ``changes`` (the arguments of :meth:`update`) to ``scorecard``
        would do, without writing anything (SCORE_10): every record it applies to
        before or after, scored both ways, with the grade changes counted
        (``transitions``: (old, new) -> how many).  A scorecard given as a record
        (an unsaved copy, ``attrs.evolve``-d) is previewed as it stands."""
        return preview(self.kit, self._proposed(scorecard, changes), today=today)

    def replay(
        self, scorecard: Scorecard | str, *, since: date | None = None, until: date | None = None, **changes: Any
    ) -> ScorePreview:
        """The same preview over the stored history (SCORE_10): the changed scorecard
        applied to the measure scores of each snapshot the scorecard wrote between
        ``since`` and ``until``; old is the snapshot's grade. Nothing is written."""
        return replay(self.kit, self._proposed(scorecard, changes), since=since, until=until)

    def history(
        self,
        records: Target | Sequence[Target],
        *,
        since: date | None = None,
        until: date | None = None,
    ) -> ScoreHistory:
        """The snapshots of one record or several between ``since`` and ``until``
        (included) as a time series; ``.to_pandas()`` gives a DataFrame (SCORE_07)."""
        return history_of(self.kit, records, since=since, until=until)

    # ------------------------------------------------------------- values
    def set_value(
        self,
        record: Target,
        measure: Measure | str,
        value: float | str,
        *,
        comment: str | None = None,
        as_of: date | None = None,
    ) -> MeasureEntry:
        """Enter a manual measure's current value for a record: a number of 0-100,
        or a letter of the record's grade scheme; refused on a locked measure
        (SCORE_02, SCORE_09); see :mod:`successkit.health.values`."""
        return values.set_value(self.kit, record, measure, value, comment=comment, as_of=as_of)

    def entries(self, record: Target) -> builtins.list[MeasureEntry]:
        """The record's current manual entries, by measure."""
        found = target_record(self.kit, record)
        where = [("record_kind", "=", found.__kind__), ("record_id", "=", found.id)]
        return builtins.list(self.kit.store.query(self.kit.bind("measure_entry", Query(where, sort=["measure"]))))

    def override(
        self,
        record: Target,
        value: float | str,
        *,
        measure: Measure | str | None = None,
        reason: str | None = None,
        expires_on: date | None = None,
    ) -> ScoreOverride:
        """Override a measure's score (or, without ``measure``, the whole score)
        until ``expires_on``; a reason and an expiry date not in the past are
        required (SCORE_09)."""
        return values.override(self.kit, record, value, measure=measure, reason=reason, expires_on=expires_on)

    def clear_override(self, record: Target, *, measure: Measure | str | None = None) -> None:
        """End an override now: the computed value returns (SCORE_09)."""
        values.clear_override(self.kit, record, measure=measure)

    def overrides(self, record: Target) -> builtins.list[ScoreOverride]:
        """The record's overrides, expired ones included (they no longer count)."""
        found = target_record(self.kit, record)
        return builtins.list(overrides_of(self.kit, found.__kind__, [found.id]).get(found.id, {}).values())
