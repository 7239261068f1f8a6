"""Signals as measure sources (SCORE_02): product usage, survey scores and the
latest value of an activity field, each read for every record at once through
the signal calls (``kit.usage.window``, ``kit.surveys.scores``,
``kit.timeline.latest_values``): a fixed number of storage calls per measure
whatever the number of records.

- ``{"type": "usage", "metric": m, "days": 30, "function": "sum", "value": "current", "map": ...}``:
  the metric aggregated over the last ``days`` days up to the day scored
  (``function``: sum, mean, max, active_persons); ``value: "change"`` reads the
  change in % against the ``days`` before instead.  No usage in the window is
  0 for sum and active_persons, no value (NA) for mean and max; a change
  without an earlier window to compare with is NA.
- ``{"type": "survey", "score": "nps", "months": 12, "map": ...}``: the
  record's NPS (-100..100) or CSAT (0-100 %) over the last ``months`` months;
  NA without answers.
- ``{"type": "activity_field", "field": "sentiment", "types": [...], "values": {...}}``:
  the latest published value of an activity field, of the given activity types
  (all without ``types``); ``values`` scores each text value (``{"red": 0,
  "yellow": 50, "green": 100}``), or a ``map`` scores a number field.  Dated
  by the activity, so a measure's staleness applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from successkit.errors import QueryError
from successkit.query.bind import resolve_field
from successkit.query.schema import FieldType
from successkit.records import Measure
from successkit.signals.usage import FUNCTIONS

from .mapping import check_map, score_number
from .readings import ReadContext, Reading, SourceType, bad_source, check_keys

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ActivityFieldSource", "SurveySource", "UsageSource"]

#: The longest usage window (as ``kit.usage.window`` takes), and survey window in months.
MAX_USAGE_DAYS = 3660
MAX_MONTHS = 120
#: At most this many scored values of an activity field.
MAX_VALUES = 100


def _whole(what: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_source(f"'{what}' is a whole number from {low} to {high}", value)
    return value


def _one_of(what: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise bad_source(f"'{what}' is one of {', '.join(allowed)}", value)
    return value


def _with_map(out: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    if source.get("map") is not None:
        out["map"] = check_map(source["map"])
    return out


def _records(ctx: ReadContext) -> list[str] | None:
    return None if ctx.every else ctx.ids


class UsageSource(SourceType):
    """A usage metric over a window: one ``kit.usage.window`` per measure."""

    name = "usage"

    def check(self, kit: Kit, source: Mapping[str, Any], draft: Measure) -> dict[str, Any]:
        check_keys(source, {"type", "metric", "days", "function", "value", "map"})
        metric = source.get("metric")
        if not isinstance(metric, str) or metric not in kit.metrics.declared_keys():
            raise bad_source("unknown metric: a usage source names a metric declared with kit.metrics.declare", metric)
        out = {
            "type": "usage", "metric": metric,
            "days": _whole("days", source.get("days", 30), 1, MAX_USAGE_DAYS),
            "function": _one_of("function", source.get("function", "sum"), list(FUNCTIONS)),
            "value": _one_of("value", source.get("value", "current"), ["current", "change"]),
        }  # fmt: skip
        return _with_map(out, source)

    def read(self, ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
        out: dict[str, dict[str, Reading]] = {}
        for m in measures:
            s = m.source
            window = ctx.kit.usage.window(
                s["metric"], days=s["days"], function=s["function"], record_kind=ctx.target,
                records=_records(ctx), until=ctx.now.date(),
            )  # fmt: skip
            rows = {r.record_id: r for r in window}
            got: dict[str, Reading] = {}
            for r in ctx.records:
                row = rows.get(r.id)
                if s["value"] == "change":
                    value = None if row is None else row.change
                elif row is not None and row.current is not None:
                    value = row.current
                else:
                    value = 0.0 if s["function"] in ("sum", "active_persons") else None
                if value is not None:
                    got[r.id] = Reading(value, value)
            out[m.key] = got
        return out


class SurveySource(SourceType):
    """A record's NPS or CSAT over a window: one ``kit.surveys.scores`` per measure."""

    name = "survey"

    def check(self, kit: Kit, source: Mapping[str, Any], draft: Measure) -> dict[str, Any]:
        check_keys(source, {"type", "score", "months", "map"})
        out = {
            "type": "survey",
            "score": _one_of("score", source.get("score"), ["nps", "csat"]),
            "months": _whole("months", source.get("months", 12), 1, MAX_MONTHS),
        }
        return _with_map(out, source)

    def read(self, ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
        out: dict[str, dict[str, Reading]] = {}
        for m in measures:
            s = m.source
            scores = ctx.kit.surveys.scores(
                record_kind=ctx.target, records=_records(ctx), months=s["months"], until=ctx.now.date()
            )
            values = {r.record_id: getattr(r, s["score"]) for r in scores}
            out[m.key] = {
                r.id: Reading(values[r.id], values[r.id]) for r in ctx.records if values.get(r.id) is not None
            }
        return out


def _activity_field(kit: Kit, field: Any) -> FieldType:
    if not isinstance(field, str) or not field.strip():
        raise bad_source("an activity_field source names a field of activities ('field')", field)
    try:
        found = resolve_field(field, kit.store.schema("activity"), kit.custom_field_types("activity"))
    except QueryError:
        raise bad_source("unknown field: activities have no field of this name", field) from None
    if not found.custom:
        raise bad_source("an activity_field source names a custom field of activities", field)
    return found.type


def _values(values: Any) -> dict[str, float]:
    if not isinstance(values, Mapping) or not values or len(values) > MAX_VALUES:
        raise bad_source(f"'values' maps each field value to a score of 0-100 (1 to {MAX_VALUES})", values)
    out = {}
    for k, v in values.items():
        if not isinstance(k, str) or not k:
            raise bad_source("'values' are keyed by the field's values (text)", k)
        out[k] = score_number("SCORE_02", f"the score of {k!r}", v)
    return out


class ActivityFieldSource(SourceType):
    """The latest value of an activity field: one ``kit.timeline.latest_values`` per measure."""

    name = "activity_field"

    def check(self, kit: Kit, source: Mapping[str, Any], draft: Measure) -> dict[str, Any]:
        check_keys(source, {"type", "field", "types", "values", "map"})
        kind = _activity_field(kit, source.get("field"))
        out: dict[str, Any] = {"type": "activity_field", "field": source["field"].strip(), "types": None}
        types = source.get("types")
        if types is not None:
            if isinstance(types, (str, bytes, Mapping)) or not isinstance(types, Sequence) or not types:
                raise bad_source("'types' is a non-empty list of activity types (or None: every type)", types)
            for t in types:
                if not isinstance(t, str) or t not in kit.timeline.types:
                    raise bad_source("unknown activity type", t)
            out["types"] = list(dict.fromkeys(types))
        if source.get("values") is not None and source.get("map") is not None:
            raise bad_source("an activity_field source takes 'values' or 'map', not both", sorted(source))
        if source.get("values") is not None:
            out["values"] = _values(source["values"])
        elif kind not in (FieldType.FLOAT, FieldType.INTEGER):
            raise bad_source("a text activity field needs 'values': a score for each of its values", source["field"])
        return _with_map(out, source)

    def read(self, ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
        out: dict[str, dict[str, Reading]] = {}
        for m in measures:
            s = m.source
            latest = ctx.kit.timeline.latest_values(
                s["field"], record_kind=ctx.target, types=s["types"], records=_records(ctx)
            )
            scores = s.get("values")
            got: dict[str, Reading] = {}
            for rid, v in latest.items():
                value = v.value if scores is None else scores.get(v.value, v.value)
                got[rid] = Reading(v.value, value, v.activity.occurred_at.date())
            out[m.key] = got
        return out
