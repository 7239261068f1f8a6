"""Where a measure's value comes from (SCORE_02): the source types, by name.

A measure's ``source`` names its type: ``manual``, ``field``, ``count``,
``plugin``, or a signal: ``usage``, ``survey``, ``activity_field``
(:mod:`successkit.health.signal_sources`).  Each type is a :class:`SourceType` in :data:`SOURCE_TYPES`, which
checks a source when a measure is saved and reads the values of many records at
once, in a bounded number of storage calls whatever their number.  The formula
never looks at the type: it gets readings.  A new kind of source is one more
entry in :data:`SOURCE_TYPES`, with nothing else to change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import QueryError
from successkit.query.bind import FieldRef, bind_group, resolve_field
from successkit.query.evaluate import value_of
from successkit.query.language import Query
from successkit.query.schema import FieldType
from successkit.records import Measure

from .conditions import bind_stored, stored_condition
from .mapping import check_map
from .readings import MAX_DAYS, TARGETS, ReadContext, Reading, SourceType, bad_source, check_keys
from .signal_sources import ActivityFieldSource, SurveySource, UsageSource

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["SOURCE_TYPES", "TARGETS", "ReadContext", "Reading", "SourceType", "check_source", "read_all"]

_NUMBERS = (FieldType.FLOAT, FieldType.INTEGER)


class ManualSource(SourceType):
    """Values entered by hand (``kit.scorecards.set_value``): all manual measures in one query."""

    name = "manual"
    mapped = False

    def check(self, kit: Kit, source: Mapping[str, Any], draft: Measure) -> dict[str, Any]:
        check_keys(source, {"type"})
        return {"type": "manual"}

    def read(self, ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
        out: dict[str, dict[str, Reading]] = {m.key: {} for m in measures}
        conditions: list[tuple[str, str, Any]] = [("record_kind", "=", ctx.target), ("measure", "in", list(out))]
        if not ctx.every:
            conditions.append(("record_id", "in", ctx.ids or [""]))
        for e in ctx.kit.store.query(ctx.kit.bind("measure_entry", Query(conditions))):
            out[e.measure][e.record_id] = Reading(e.grade if e.grade is not None else e.value, e.value, e.as_of)
        return out


def _number_field(kit: Kit, kind: str, name: Any) -> FieldRef | None:
    schema = kit.store.schema(kind)
    try:
        field = resolve_field(name, schema, kit.custom_field_types(kind))
    except QueryError:
        return None
    return field if field.type in _NUMBERS else None


class FieldSource(SourceType):
    """A number field of the scored record itself (``nps``, ``arr``, a custom field): no storage call."""

    name = "field"

    def check(self, kit: Kit, source: Mapping[str, Any], draft: Measure) -> dict[str, Any]:
        check_keys(source, {"type", "field", "map"})
        field = source.get("field")
        if not isinstance(field, str) or not any(_number_field(kit, k, field) for k in TARGETS):
            raise bad_source("unknown field: a field source names a number field of companies or relationships", field)
        out: dict[str, Any] = {"type": "field", "field": field}
        if source.get("map") is not None:
            out["map"] = check_map(source["map"])
        return out

    def check_target(self, kit: Kit, source: Mapping[str, Any], target: str) -> None:
        if _number_field(kit, target, source["field"]) is None:
            raise bad_source(f"unknown field: {target} records have no number field of this name", source["field"])

    def read(self, ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
        out: dict[str, dict[str, Reading]] = {}
        for m in measures:
            field = _number_field(ctx.kit, ctx.target, m.source["field"])
            got: dict[str, Reading] = {}
            if field is not None and not field.custom:  # a number column: its value is its storage form
                get = attrgetter(field.name)
                for r in ctx.records:
                    v = get(r)
                    if v is not None:
                        got[r.id] = Reading(v, v)
            elif field is not None:
                for r in ctx.records:
                    v = value_of(r, field)
                    if v is not None:
                        got[r.id] = Reading(v, v)
            out[m.key] = got
        return out


class CountSource(SourceType):
    """How many related records (CTAs, activities...) match, over a window: one
    ``group_counts`` per measure, grouped by the record's id field.  A
    company's count takes in its relationships' records too (they carry its
    ``company_id``); add ``("relationship_id", "is empty")`` to count its own only."""

    name = "count"

    def check(self, kit: Kit, source: Mapping[str, Any], draft: Measure) -> dict[str, Any]:
        check_keys(source, {"type", "kind", "where", "logic", "date_field", "days", "map"})
        kind = source.get("kind")
        if not isinstance(kind, str) or kind not in kit.store.schemas:
            raise bad_source("unknown record kind to count", kind)
        if "company_id" not in kit.store.schema(kind).by_name:
            raise bad_source("a count counts records of a company (CTAs, plans, goals, activities...)", kind)
        condition = stored_condition(
            kit, kind, source.get("where"), source.get("logic"), rule="SCORE_02", what=f"the {kind} condition"
        )
        date_field = source.get("date_field", "created_at")
        try:
            dfield = resolve_field(date_field, kit.store.schema(kind), kit.custom_field_types(kind))
        except QueryError as e:
            raise bad_source(f"the date field of the window: {e.message}", date_field) from None
        if dfield.type not in (FieldType.DATE, FieldType.DATETIME):
            raise bad_source("the date field of the window is a date or timestamp field", date_field)
        days = source.get("days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_DAYS):
            raise bad_source(f"'days' is a whole number of days from 1 to {MAX_DAYS} (or None: no window)", days)
        if source.get("map") is None:
            raise bad_source("a count needs a 'map' from counts to scores", None)
        return {
            "type": "count",
            "kind": kind,
            "where": condition.get("where", []),
            "logic": condition.get("logic"),
            "date_field": date_field,
            "days": days,
            "map": check_map(source["map"]),
        }

    def check_target(self, kit: Kit, source: Mapping[str, Any], target: str) -> None:
        if TARGETS[target] not in kit.store.schema(source["kind"]).by_name:
            raise bad_source(f"{source['kind']} records do not belong to a {target}", source["kind"])

    def read(self, ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
        kit, key = ctx.kit, TARGETS[ctx.target]
        out: dict[str, dict[str, Reading]] = {}
        for m in measures:
            s = m.source
            extra: list[tuple[Any, ...]] = []
            if s.get("days") is not None:
                extra.append((s["date_field"], f"within last {s['days']} days"))
            if not ctx.every:
                extra.append((key, "in", ctx.ids or [""]))
            bound = bind_stored(kit, s["kind"], s, ctx.now, extra)
            group = bind_group(key, kit.store.schema(s["kind"]), {})
            counts = dict(kit.store.group_counts(bound, group))
            made = {c: Reading(c, c) for c in {*counts.values(), 0}}  # few distinct counts: one reading each
            out[m.key] = {r.id: made[counts.get(r.id, 0)] for r in ctx.records}
        return out


class PluginSource(SourceType):
    """Values a plugin gives through ``successkit_measure_values``: one hook call per measure."""

    name = "plugin"

    def check(self, kit: Kit, source: Mapping[str, Any], draft: Measure) -> dict[str, Any]:
        check_keys(source, {"type", "name", "map"})
        name = source.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_source("a plugin source names the plugin measure ('name')", name)
        out: dict[str, Any] = {"type": "plugin", "name": name.strip()}
        if source.get("map") is not None:
            out["map"] = check_map(source["map"])
        checked = attrs.evolve(draft, source=out)
        if kit.plugins.hook.successkit_measure_values(kit=kit, measure=checked, records=[]) is None:
            raise bad_source("unknown measure source: no installed plugin answers for this plugin measure", name)
        return out

    def read(self, ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
        out: dict[str, dict[str, Reading]] = {}
        for m in measures:
            got = ctx.kit.plugins.hook.successkit_measure_values(kit=ctx.kit, measure=m, records=list(ctx.records))
            values = got if isinstance(got, Mapping) else {}
            out[m.key] = {
                r.id: Reading(values[r.id], values[r.id]) for r in ctx.records if values.get(r.id) is not None
            }
        return out


#: Every source type, by the name a measure's ``source["type"]`` gives.
SOURCE_TYPES: dict[str, SourceType] = {
    s.name: s
    for s in (
        ManualSource(), FieldSource(), CountSource(), PluginSource(), UsageSource(), SurveySource(),
        ActivityFieldSource(),
    )
}  # fmt: skip


def check_source(kit: Kit, source: Any, draft: Measure) -> dict[str, Any]:
    """The checked source of the measure ``draft`` about to be saved (SCORE_02)."""
    if not isinstance(source, Mapping):
        raise bad_source("a measure source is a mapping with 'type'", source)
    kind = source.get("type")
    if not isinstance(kind, str) or kind not in SOURCE_TYPES:
        raise bad_source(f"unknown measure source: 'type' is one of {', '.join(SOURCE_TYPES)}", kind)
    return SOURCE_TYPES[kind].check(kit, source, draft)


def read_all(ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
    """Readings of every measure, each source type reading its measures together."""
    by_type: dict[str, list[Measure]] = {}
    for m in measures:
        by_type.setdefault(m.source.get("type", ""), []).append(m)
    out: dict[str, dict[str, Reading]] = {}
    for kind, group in by_type.items():
        source = SOURCE_TYPES.get(kind)
        if source is not None:
            out.update(source.read(ctx, group))
    return out
