"""Product usage (USAGE_01-03): metrics, facts ingested in bulk, window aggregates
with their change, power users and lost power users.

Usage arrives from a product's warehouse by the million.  ``ingest`` checks a
whole batch first (an unknown metric or record, a negative value, a period that
is not a date: the load is refused naming its first bad rows, nothing written),
then writes it in one transaction of at most three bulk calls: the stored facts
of the batch's ids are read, the new facts inserted and the changed ones updated
(a new version).  A fact's id is derived from its metric, record, person and
period, so loading the same facts again changes nothing: not a row is written.
Windows are aggregated by the database (:meth:`Store.aggregate`), two calls for
any number of records.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from successkit.automation.events import listening, report
from successkit.clock import days_before
from successkit.errors import ValidationError
from successkit.records import Metric, UsageFact, trusted_maker
from successkit.records.checks import as_list, require_text
from successkit.service import Service, evolve
from successkit.views.frames import to_frame

if TYPE_CHECKING:
    pass

__all__ = [
    "FUNCTIONS",
    "IngestResult",
    "MetricService",
    "UsageService",
    "UsageWindow",
    "WindowRow",
    "fact_id",
    "percent_change",
    "window_bounds",
]

#: Window aggregates: the function each applies to a window's facts.
FUNCTIONS = {"sum": "sum", "mean": "mean", "max": "max", "active_persons": "count_distinct"}
#: The first bad rows a refused load names.
SHOWN_ERRORS = 5
_RECORD_KINDS = ("company", "relationship")
_ROW_KEYS = frozenset({"metric", "company", "relationship", "person", "period", "days", "value"})


def percent_change(current: float | None, previous: float | None) -> float | None:
    """``current`` against ``previous`` in % (USAGE_02); None when the earlier window had nothing."""
    if not previous or current is None:
        return None
    return 100.0 * (current - previous) / abs(previous)


def window_bounds(end: date, days: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """The ``days`` days ending on ``end`` (included), and the ``days`` before them."""
    start = days_before(end, days - 1)
    return (start, end), (days_before(start, days), days_before(start, 1))


def fact_id(metric: str, record_kind: str, record_id: str, person_id: str | None, period: date) -> str:
    """The id of the fact of a metric, record, person and period (USAGE_01: the same fact replaces)."""
    key = "\x00".join((metric, record_kind, record_id, person_id or "", period.isoformat()))
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


@attrs.frozen
class IngestResult:
    """What a load did: ``inserted`` new facts, ``replaced`` stored facts whose value
    (or days, or company) changed, and left ``unchanged`` the stored facts it held again."""

    inserted: int
    replaced: int
    unchanged: int = 0

    @property
    def written(self) -> int:
        """How many facts were written: inserted or replaced."""
        return self.inserted + self.replaced

    def _repr_html_(self) -> str:
        """The counts of a load, in notebooks (DATA_01)."""
        from successkit.views import notebook as nb

        counts = [("inserted", self.inserted), ("replaced", self.replaced), ("unchanged", self.unchanged)]
        return nb.block(nb.title("Usage loaded", nb.plural(self.written, "fact") + " written"), nb.figures(counts))


@attrs.frozen
class WindowRow:
    """One record's aggregate over the window and the window before it, and the change in %
    (None when the earlier window had nothing to compare with)."""

    record_id: str
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """The change against the previous window, in % (USAGE_02)."""
        return percent_change(self.current, self.previous)


@attrs.frozen
class UsageWindow:
    """A metric's window aggregate for many records (USAGE_02): ``start``..``end`` and the
    same number of days before it; rows by record id."""

    metric: str
    function: str
    start: date
    end: date
    rows: tuple[WindowRow, ...]

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def of(self, record: Any) -> WindowRow | None:
        """The row of a record (or its id); None when it had no usage in either window."""
        rid = record if isinstance(record, str) else getattr(record, "id", None)
        return next((r for r in self.rows if r.record_id == rid), None)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [
            {"record_id": r.record_id, "current": r.current, "previous": r.previous, "change": r.change} for r in self
        ]

    def to_pandas(self) -> Any:
        """A DataFrame: record_id, current, previous, change (needs pandas)."""
        types = {"record_id": "text", "current": "float", "previous": "float", "change": "float"}
        return to_frame(self.to_dicts(), types)

    def _repr_html_(self) -> str:
        """The window's figures per record, the change signed, in notebooks (DATA_01)."""
        from successkit.views import notebook as nb

        days = (self.end - self.start).days + 1
        note = f"{self.start} to {self.end} against the {days} days before; {nb.plural(len(self.rows), 'record')}"
        rows = [[r.record_id, r.current, r.previous, nb.percent(r.change, signed=True)] for r in self.rows]
        return nb.block(
            nb.title(f"Usage: {self.metric} ({self.function})", note),
            nb.table(["record", "this window", "the window before", "change"], rows, numeric=[False, True, True, True]),
        )


class MetricService(Service[Metric]):
    """``kit.metrics``: the usage metrics an administrator declares (USAGE_01)."""

    record_class = Metric

    def declare(self, key: str, label: str | None = None, *, unit: str | None = None) -> Metric:
        """Declare a metric facts can be ingested for; ``key`` is unique."""
        key = require_text("metric", "key", key)
        if self.list([("key", "=", key)], limit=1):
            raise ValidationError(f"metric {key!r} exists", rule="USAGE_01", value=key)
        metric = self._new(key=key, label=label if label is not None else key, unit=unit)
        self.kit.store.insert(metric)
        return metric

    def declared_keys(self) -> set[str]:
        """The keys of every declared metric."""
        return {m.key for m in self.list()}


class UsageService(Service[UsageFact]):
    """``kit.usage``: ingest usage facts and read their windows (USAGE_01-03)."""

    record_class = UsageFact

    # ---------------------------------------------------------------- ingesting
    def ingest(self, rows: Iterable[Mapping[str, Any]]) -> IngestResult:
        """Write usage facts in bulk, replacing the stored facts of the same metric,
        record, person and period (USAGE_01).  Each row holds ``metric``, ``company``
        or ``relationship`` (a record or id), optionally ``person``, ``period`` (a
        date or ISO text), ``days`` (default 1) and ``value`` (a number >= 0)."""
        facts = self._check_rows(as_list("usage", "rows", rows))
        if not facts:
            return IngestResult(0, 0)
        unique = list({f.id: f for f in facts}.values())  # within a batch too, the last row wins
        with self.kit.transaction():
            stored = {f.id: f for f in self.kit.store.get_many(self.kind, [f.id for f in unique])}
            new, changed = [], []
            for f in unique:
                old = stored.get(f.id)
                if old is None:
                    new.append(f)
                elif (old.value, old.days, old.company_id) != (f.value, f.days, f.company_id):
                    changes = {"value": f.value, "days": f.days, "company_id": f.company_id}
                    changed.append((evolve(self.kit, old, **changes), old.version))
            self.kit.store.insert_many(new)
            self.kit.store.update_many(changed)
            if listening(self.kit).rules:
                report(self.kit, created=[*new, *(f for f, _ in changed)])  # AUTO_01: usage changed
        return IngestResult(inserted=len(new), replaced=len(changed), unchanged=len(unique) - len(new) - len(changed))

    def load_csv(self, source: str | Path | IO[str]) -> IngestResult:
        """:meth:`ingest` the rows of a CSV file (a path or an open text file) whose header
        names the row keys: ``metric``, ``company`` or ``relationship`` (ids), ``person``,
        ``period`` (YYYY-MM-DD), ``days``, ``value``; empty cells are missing values.
        A refused load names its bad rows by number, the header being line 1 (row 1 is line 2)."""
        if isinstance(source, (str, Path)):
            try:
                f = open(source, newline="", encoding="utf-8")  # noqa: SIM115 - closed below
            except (OSError, ValueError) as e:
                raise ValidationError(f"cannot open the CSV file: {e}", rule="SEC_05", value=str(source)) from None
            with f:
                return self.ingest(_read_csv(f, str(source)))
        if not callable(getattr(source, "read", None)):
            raise ValidationError("load_csv takes a path or an open text file", rule="SEC_05", value=source)
        return self.ingest(_read_csv(source, "the CSV file"))

    def load_frame(self, frame: Any) -> IngestResult:
        """:meth:`ingest` the rows of a pandas DataFrame with the columns :meth:`load_csv` reads."""
        to_dict = getattr(frame, "to_dict", None)
        if to_dict is None:
            raise ValidationError("load_frame takes a pandas DataFrame", rule="SEC_05", value=type(frame).__name__)
        rows = [{k: _cell(v) for k, v in row.items()} for row in to_dict("records")]
        return self.ingest([{k: v for k, v in row.items() if v is not None} for row in rows])

    def _check_rows(self, rows: list[Any]) -> list[UsageFact]:
        """Every row made a fact, or the load refused naming its first bad rows (SEC_05)."""
        metrics = self.kit.metrics.declared_keys()
        stamp = self._stamp()
        errors: list[tuple[int, str]] = []
        drafts: list[tuple[int, dict[str, Any]]] = []
        for n, row in enumerate(rows, start=1):
            try:
                drafts.append((n, _draft(row, metrics)))
            except ValidationError as e:
                errors.append((n, e.message))
        known = self._records(d for _, d in drafts)
        make = trusted_maker(UsageFact)  # each value checked by _draft, or a stored record's id
        facts = []
        for n, d in drafts:
            problem = _unknown(d, known)
            if problem:
                errors.append((n, problem))
                continue
            company_id = known[(d["record_kind"], d["record_id"])]
            facts.append(make(**stamp, **d, company_id=company_id, id=_id_of(d)))
        if errors:
            errors.sort()
            more = len(errors) - SHOWN_ERRORS
            shown = "; ".join(f"row {n}: {m}" for n, m in errors[:SHOWN_ERRORS]) + (
                f"; and {more} more" if more > 0 else ""
            )
            bad = [n for n, _ in errors[:SHOWN_ERRORS]]
            raise ValidationError(f"the load was refused, nothing written: {shown}", rule="USAGE_01", value=bad)
        return facts

    def _records(self, drafts: Iterable[dict[str, Any]]) -> dict[tuple[str, str], str]:
        """(kind, id) of each record and person named -> the company it belongs to (one read a kind)."""
        wanted: dict[str, set[str]] = {"company": set(), "relationship": set(), "person": set()}
        for d in drafts:
            wanted[d["record_kind"]].add(d["record_id"])
            if d["person_id"] is not None:
                wanted["person"].add(d["person_id"])
        known: dict[tuple[str, str], str] = {}
        for kind, ids in wanted.items():
            for r in self.kit.store.get_many(kind, sorted(ids)) if ids else ():
                company = r.id if kind == "company" else r.company_id
                if company is not None:
                    known[(kind, r.id)] = company
        return known

    # ----------------------------------------------------------------- windows
    def window(
        self,
        metric: str,
        *,
        days: int = 30,
        function: str = "sum",
        record_kind: str = "company",
        records: Sequence[Any] | None = None,
        until: date | None = None,
    ) -> UsageWindow:
        """A metric aggregated per record over the last ``days`` days up to ``until``
        (today by default) and over the ``days`` before them, with the change in %
        (USAGE_02), for every record with usage or for ``records``: two storage calls.
        ``function`` is ``sum``, ``mean``, ``max`` or ``active_persons`` (distinct people).
        A company's window counts its relationships' facts too; a relationship's its own."""
        metric = self._metric(metric)
        days = _days(days)
        if function not in FUNCTIONS:
            raise ValidationError(
                f"a window function is one of {', '.join(FUNCTIONS)}", rule="USAGE_02", value=function
            )
        if record_kind not in _RECORD_KINDS:
            raise ValidationError("windows are of companies or relationships", rule="USAGE_02", value=record_kind)
        (start, end), earlier = window_bounds(until if until is not None else self.kit.today(), days)
        key = "company_id" if record_kind == "company" else "record_id"
        scope: list[Any] = [("metric", "=", metric)]
        if record_kind == "relationship":
            scope.append(("record_kind", "=", "relationship"))
        if records is not None:
            scope.append((key, "in", [_id(r) for r in as_list("usage window", "records", records)]))
        current = self._per_record(scope, key, function, start, end)
        previous = self._per_record(scope, key, function, *earlier)
        ids = sorted(set(current) | set(previous))
        rows = tuple(WindowRow(i, current.get(i), previous.get(i)) for i in ids)
        return UsageWindow(metric=metric, function=function, start=start, end=end, rows=rows)

    def _per_record(self, scope: list[Any], key: str, function: str, start: date, end: date) -> dict[str, float]:
        where = [*scope, ("period", "between", [start, end])]
        field = "person_id" if function == "active_persons" else "value"
        table = self.aggregate(where, by=key, measures={"v": (FUNCTIONS[function], field)})
        return {r.keys[0]: r["v"] for r in table if r.keys[0] is not None and r["v"] is not None}

    # -------------------------------------------------------------- power users
    def power_users(
        self, company: Any, metric: str, *, days: int = 30, top: int = 5, until: date | None = None
    ) -> list[tuple[str, float]]:
        """The ``top`` people of a company by a metric's sum over the window (USAGE_03):
        (person id, total) pairs, largest first, ties by id; one storage call."""
        return self._ranked(company, metric, days, top, until)[0]

    def lost_power_users(
        self, company: Any, metric: str, *, days: int = 30, top: int = 5, until: date | None = None
    ) -> list[str]:
        """People who were among the ``top`` in the window before the last ``days`` days and
        have no usage of the metric in it (USAGE_03): the sponsor-at-risk signal."""
        current, previous = self._ranked(company, metric, days, top, until, previous=True)
        active = {p for p, _ in current}
        return [p for p, _ in previous if p not in active]

    def _ranked(
        self, company: Any, metric: str, days: int, top: int, until: date | None, previous: bool = False
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        metric = self._metric(metric)
        days = _days(days)
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ValidationError("top is a whole number >= 1", rule="USAGE_03", value=top)
        company_id = self.kit.companies.get(_id(company)).id
        window, earlier = window_bounds(until if until is not None else self.kit.today(), days)
        scope = [("metric", "=", metric), ("company_id", "=", company_id), ("person_id", "is not empty", None)]

        def ranked(lo: date, hi: date, limit: int | None) -> list[tuple[str, float]]:
            where = [*scope, ("period", "between", [lo, hi])]
            table = self.aggregate(where, by="person_id", measures={"v": ("sum", "value")})
            pairs = sorted(((r.keys[0], r["v"]) for r in table if r["v"]), key=lambda p: (-p[1], p[0]))
            return pairs if limit is None else pairs[:limit]

        now = ranked(*window, None if previous else top)
        if not previous:
            return now, []
        return now, ranked(*earlier, top)

    def _metric(self, metric: Any) -> str:
        if not isinstance(metric, str) or metric not in self.kit.metrics.declared_keys():
            raise ValidationError("unknown metric (declare it with kit.metrics.declare)", rule="USAGE_01", value=metric)
        return metric


def _read_csv(f: IO[str], name: str) -> list[dict[str, Any]]:
    try:
        return _csv_rows(f)
    except (OSError, UnicodeDecodeError, csv.Error, TypeError) as e:
        raise ValidationError(f"cannot read {name} as CSV text: {e}", rule="SEC_05", value=name) from None


def _csv_rows(lines: Iterable[str]) -> list[dict[str, Any]]:
    """A CSV file's rows with their numbers made numbers and empty cells left out."""
    rows = []
    for raw in csv.DictReader(lines):
        row: dict[str, Any] = {k: v for k, v in raw.items() if k is not None and v not in (None, "")}
        for key, parse in (("value", float), ("days", int)):
            if key in row:
                with suppress(ValueError):  # else refused by the row check, with its row number
                    row[key] = parse(row[key])
        rows.append(row)
    return rows


def _cell(value: Any) -> Any:
    """A DataFrame cell as ingest takes it: missing values (NaN, NaT) as None, numpy scalars as Python ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    item = getattr(value, "item", None)
    value = item() if callable(item) and not isinstance(value, (str, bytes)) else value
    to_date = getattr(value, "date", None)
    return to_date() if callable(to_date) and hasattr(value, "hour") else value


def _id(record: Any) -> Any:
    """A record's id, or what was given (an id, or something the query refuses)."""
    return getattr(record, "id", record)


def _days(days: Any) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise ValidationError("a window is 1 to 3660 days", rule="USAGE_02", value=days)
    return days


def _draft(row: Any, metrics: set[str]) -> dict[str, Any]:
    """A row's fact fields, checked on their own (the records are checked together).
    Written for speed: a load is a million of these."""
    if not isinstance(row, Mapping):
        raise ValidationError("a usage row is a mapping", value=row)
    if not _ROW_KEYS.issuperset(row):
        extra = sorted(str(k) for k in set(row) - _ROW_KEYS)[0]
        raise ValidationError(f"unknown column {extra!r}", value=extra)
    metric = row.get("metric")
    if metric not in metrics or type(metric) is not str:
        raise ValidationError(f"metric: unknown metric {metric!r}", value=metric)
    company, relationship = row.get("company"), row.get("relationship")
    if (company is None) == (relationship is None):
        given = [k for k in _RECORD_KINDS if row.get(k) is not None]
        raise ValidationError("company or relationship: exactly one of them", value=given)
    kind, record = ("company", company) if relationship is None else ("relationship", relationship)
    record_id = record if isinstance(record, str) else getattr(record, "id", None)
    if not isinstance(record_id, str):
        raise ValidationError(f"{kind}: a record or its id", value=record)
    person = row.get("person")
    person_id = person if person is None or isinstance(person, str) else getattr(person, "id", None)
    period = row.get("period")
    if type(period) is not date:
        period = _period(period)
    days = row.get("days", 1)
    if type(days) is not int or not 1 <= days <= 366:
        raise ValidationError("days: a whole number of days, 1 to 366", value=days)
    value = row.get("value")
    if type(value) is not float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("value: a finite number >= 0", value=value)
        try:
            value = float(value)
        except OverflowError:  # an int too large for a float
            value = math.inf
    if not 0 <= value < math.inf:  # NaN fails both comparisons
        raise ValidationError("value: a finite number >= 0", value=row.get("value"))
    return {"metric": metric, "record_kind": kind, "record_id": record_id, "person_id": person_id,
            "period": period, "days": days, "value": value}  # fmt: skip


def _period(value: Any) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValidationError("period: a date (YYYY-MM-DD)", value=value) from None
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise ValidationError("period: a date", value=value)
    return value


def _unknown(d: dict[str, Any], known: dict[tuple[str, str], str]) -> str | None:
    """Why a fact's record or person cannot take it, or None."""
    company = known.get((d["record_kind"], d["record_id"]))
    if company is None:
        return f"{d['record_kind']}: no {d['record_kind']} {d['record_id']!r}"
    if d["person_id"] is not None and known.get(("person", d["person_id"])) != company:
        return f"person: {d['person_id']!r} is no person of the record's company"
    return None


def _id_of(d: dict[str, Any]) -> str:
    return fact_id(d["metric"], d["record_kind"], d["record_id"], d["person_id"], d["period"])
