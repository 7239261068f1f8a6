"""Records of health scorecards: measures, scorecards, manual entries,
overrides and score snapshots (SCORE_01-SCORE_09).

The definitions (a measure's ``source``, a scorecard's ``scheme``,
``condition`` and ``definition``) are stored as checked, JSON-ready mappings;
``successkit.health`` checks them when they are saved and reads them.  Entries,
overrides and snapshots have ids derived from what they are about
(:func:`stable_id`), so one record and measure has one current entry, and a
rerun in the same period replaces the period's snapshot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from .base import Record, ref

__all__ = ["Measure", "MeasureEntry", "ScoreOverride", "ScoreSnapshot", "Scorecard", "stable_id"]


def stable_id(*parts: str) -> str:
    """A record id derived from ``parts`` (32 hex characters, like a random id):
    the same parts always give the same id, and different parts different ids."""
    text = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=16).hexdigest()


@attrs.frozen(kw_only=True)
class Measure(Record):
    """One measure of customer health (SCORE_02): where its raw value comes from
    (``source``, with the mapping to 0-100), how long a manual value stays
    current (``staleness_days``, SCORE_03) and whether manual entry is refused
    (``locked``, SCORE_09)."""

    __kind__ = "measure"
    __indexes__ = (("key",),)
    __unique__ = (("key",),)

    key: str
    label: str
    description: str | None = None
    source: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    staleness_days: int | None = None
    locked: bool = False


@attrs.frozen(kw_only=True)
class Scorecard(Record):
    """A health scorecard (SCORE_01, SCORE_04) for companies or relationships.

    ``definition`` holds the weighted ``measures`` and the ``groups`` (read
    them through the properties of the same names); ``condition`` the
    query-language conditions a record must match (``where``, ``logic``);
    ``scheme`` the numeric ranges or letter grades the score maps to.
    """

    __kind__ = "scorecard"
    __indexes__ = (("key",), ("target", "position"))
    __unique__ = (("key",),)

    key: str
    name: str
    description: str | None = None
    target: str = "company"
    default: bool = False
    position: int = 0
    condition: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    scheme: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    definition: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    na_policy: str = "exclude"
    na_value: float | None = None
    period: str = "day"
    trend_tolerance: float = 0.0
    rollup: str | None = None

    @property
    def measures(self) -> tuple[dict[str, Any], ...]:
        """The scorecard's measures in order: ``{"measure": key, "weight": w, "group": key or None}``."""
        return tuple(dict(m) for m in self.definition.get("measures", ()))

    @property
    def groups(self) -> tuple[dict[str, Any], ...]:
        """The measure groups: ``{"key", "label", "weight", "combine"}``."""
        return tuple(dict(g) for g in self.definition.get("groups", ()))


@attrs.frozen(kw_only=True)
class MeasureEntry(Record):
    """The current manual value of one measure for one company or relationship
    (SCORE_02): ``value`` is 0-100; ``grade`` the letter it was given as, on a
    letter-grade scorecard.  ``as_of`` dates it for staleness (SCORE_03)."""

    __kind__ = "measure_entry"
    __indexes__ = (("record_kind", "record_id"), ("measure",))

    record_kind: str
    record_id: str = ref(("company", "relationship"), default=attrs.NOTHING, kind_field="record_kind")
    measure: str
    value: float
    grade: str | None = None
    author_id: str | None = ref("user")
    comment: str | None = None
    as_of: date


@attrs.frozen(kw_only=True)
class ScoreOverride(Record):
    """A manual override of one measure, or of the whole score when ``measure``
    is None (SCORE_09): who set it, why, and until when it holds."""

    __kind__ = "score_override"
    __indexes__ = (("record_kind", "record_id"),)

    record_kind: str
    record_id: str = ref(("company", "relationship"), default=attrs.NOTHING, kind_field="record_kind")
    measure: str | None = None
    value: float
    grade: str | None = None
    author_id: str | None = ref("user")
    reason: str
    expires_on: date


@attrs.frozen(kw_only=True)
class ScoreSnapshot(Record):
    """A record's score in one period (SCORE_07): ``period`` is the period's
    first day; ``measures`` maps each measure key to ``{"raw", "score", "na"}``."""

    __kind__ = "score_snapshot"
    __indexes__ = (("record_id", "period"), ("scorecard", "period"))

    record_kind: str
    record_id: str = ref(("company", "relationship"), default=attrs.NOTHING, kind_field="record_kind")
    scorecard: str
    period: date
    score: float | None = None
    grade: str | None = None
    measures: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
