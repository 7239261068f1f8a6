"""Records of customer signals: product-usage metrics and the facts measured of them."""

from __future__ import annotations

from datetime import date

import attrs

from .base import Record, ref


@attrs.frozen(kw_only=True)
class Metric(Record):
    """A product-usage metric facts are measured of (USAGE_01): ``key`` names it in
    every fact and window (``logins``, ``reports_run``), ``unit`` says what a value counts."""

    __kind__ = "metric"
    __unique__ = (("key",),)

    key: str
    label: str
    unit: str | None = None
    description: str | None = None


@attrs.frozen(kw_only=True)
class UsageFact(Record):
    """One measured value of a metric for a company or relationship (and optionally one
    of its people) over the ``days`` days from ``period`` (USAGE_01).

    The id is derived from (metric, record, person, period), so ingesting the same
    fact again replaces it instead of adding a second one.  ``company_id`` is the
    company's own id or the relationship's company, so a company's usage, its
    relationships' included, is one indexed read."""

    __kind__ = "usage_fact"
    __indexes__ = (("metric", "period"), ("record_id", "metric", "period"), ("company_id", "metric", "period"))

    metric: str
    record_kind: str
    record_id: str = ref(("company", "relationship"), default=attrs.NOTHING, kind_field="record_kind")
    company_id: str = ref("company", default=attrs.NOTHING)
    person_id: str | None = ref("person", on_erase="delete")
    period: date
    days: int = 1
    value: float


@attrs.frozen(kw_only=True)
class AttributeChange(Record):
    """One change of a tracked attribute of a company or relationship (HIST_01):
    who (``created_by``) and when (``created_at``) changed ``attribute`` from
    ``old_value`` to ``new_value`` (both JSON text; ``number`` is the new value when it
    is a number, so the database can chart and aggregate it).  Append-only."""

    __kind__ = "attribute_change"
    __indexes__ = (("record_id", "attribute", "created_at"), ("attribute", "created_at"), ("company_id", "created_at"))

    record_kind: str
    record_id: str = ref(("company", "relationship"), default=attrs.NOTHING, kind_field="record_kind")
    company_id: str = ref("company", default=attrs.NOTHING)
    attribute: str
    #: The record's version after the change: it orders changes made at one moment.
    record_version: int = 1
    old_value: str | None = None
    new_value: str | None = None
    number: float | None = None
