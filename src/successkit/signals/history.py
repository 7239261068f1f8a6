"""Attribute history (HIST_01): chosen attributes of companies and relationships keep
an append-only history, written in the same transaction as the change, that reads as
a time series.

Tracked by default: stage, status, CSM, ARR, health score and NPS; an administrator
chooses others per kind, declared custom fields included (``kit.history.track``).
Every writer of companies and relationships hands its (before, after) pairs to
:func:`record_changes` inside its transaction: the services' updates, NPS kept in
step, scores recomputed.  The history holds changes, not creations: a record's value
before its first change is that change's old value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timezone
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from successkit.automation.events import listening, report
from successkit.errors import ValidationError
from successkit.records import AttributeChange, Record, trusted_maker
from successkit.records.base import ordered_ids
from successkit.records.checks import as_list
from successkit.service import Service, save, stamp
from successkit.views.frames import to_frame

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["DEFAULT_TRACKED", "AttributeSeries", "HistoryService", "Point", "record_changes", "saved_with_history"]

R = TypeVar("R", bound=Record)

#: What companies and relationships track unless an administrator chose otherwise.
DEFAULT_TRACKED = ("stage", "status", "csm_id", "arr", "health_score", "nps")
_KINDS = ("company", "relationship")
_NOT_TRACKABLE = frozenset({"id", "version", "created_at", "updated_at", "created_by", "fields"})


@attrs.frozen
class Point:
    """A value a record's attribute took, when and by whom (HIST_01)."""

    record_id: str
    at: datetime
    value: Any
    old: Any
    by: str | None


@attrs.frozen
class AttributeSeries:
    """An attribute's changes over time for one or many records, oldest first."""

    attribute: str
    points: tuple[Point, ...]

    def __iter__(self) -> Any:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def to_pandas(self) -> Any:
        """A DataFrame: record_id, at, value, old, by (needs pandas)."""
        rows = [attrs.asdict(p) for p in self.points]
        types = {"record_id": "text", "at": "datetime", "value": "auto", "old": "auto", "by": "text"}
        return to_frame(rows, types)

    def _repr_html_(self) -> str:
        """Each change, oldest first: when, whose, from what to what, by whom (DATA_01)."""
        from successkit.views import notebook as nb

        rows = [[p.at, p.record_id, p.old, p.value, p.by] for p in self.points]
        return nb.block(
            nb.title(f"History of {self.attribute}", nb.plural(len(self.points), "change")),
            nb.table(["at", "record", "from", "to", "by"], rows),
        )


class HistoryService(Service[AttributeChange]):
    """``kit.history``: which attributes are tracked, and their time series (HIST_01)."""

    record_class = AttributeChange

    def tracked(self, kind: str) -> tuple[str, ...]:
        """The attributes of ``company`` or ``relationship`` that keep a history."""
        _kind(kind)
        value = self.kit.config.setting(f"history.{kind}")
        return DEFAULT_TRACKED if value is None else tuple(a for a in value.split(",") if a)

    def track(self, kind: str, attributes: Sequence[str]) -> tuple[str, ...]:
        """Choose the attributes of a kind that keep a history from now on: built-in fields
        (not ids and stamps) and declared custom fields (``fields.tier`` or ``tier``)."""
        _kind(kind)
        schema = self.kit.store.schema(kind)
        declared = self.kit.declared_fields(kind)
        chosen: list[str] = []
        for name in as_list("history", "attributes", attributes):
            key = name.removeprefix("fields.") if isinstance(name, str) else name
            if isinstance(key, str) and key in declared:
                chosen.append(f"fields.{key}")
            elif isinstance(name, str) and name in schema.by_name and name not in _NOT_TRACKABLE:
                chosen.append(name)
            else:
                raise ValidationError(f"{kind} has no trackable attribute of this name", rule="HIST_01", value=name)
        value = ",".join(dict.fromkeys(chosen))
        self.kit.config.set_setting(f"history.{kind}", value)
        return tuple(dict.fromkeys(chosen))

    def series(
        self,
        attribute: str,
        *,
        records: Sequence[Any] | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
    ) -> AttributeSeries:
        """An attribute's changes, oldest first, for ``records`` (all by default), between
        ``since`` and ``until`` (days are whole): one query."""
        if not isinstance(attribute, str):
            raise ValidationError("an attribute is named by text", rule="HIST_01", value=attribute)
        where: list[Any] = [("attribute", "=", attribute)]
        if records is not None:
            where.append(("record_id", "in", [getattr(r, "id", r) for r in as_list("history", "records", records)]))
        if since is not None:
            where.append(("created_at", ">=", _moment(since, start=True)))
        if until is not None:
            where.append(("created_at", "<=", _moment(until, start=False)))
        changes = self.list(where, sort=["created_at", "record_version", "id"])
        points = tuple(
            Point(c.record_id, c.created_at, _load(c.new_value), _load(c.old_value), c.created_by) for c in changes
        )
        return AttributeSeries(attribute=attribute, points=points)


def record_changes(kit: Kit, pairs: Iterable[tuple[Any, Any]]) -> int:
    """Append the history of the tracked attributes that differ between each (before,
    after) pair of companies or relationships (HIST_01), in the caller's transaction:
    one bulk insert however many records.  Returns how many changes were written.
    The pairs feed the event rules too (AUTO_01), when any listens."""
    if listening(kit).rules:
        pairs = pairs if isinstance(pairs, Sequence) else list(pairs)
        report(kit, changed=pairs)
    now = stamp(kit)
    rows: list[tuple[Any, ...]] = []  # (record id, kind, company id, attribute, version, old, new, number)
    readers: dict[str, Callable[[Any], tuple[Any, ...]]] = {}
    tracked: dict[str, tuple[str, ...]] = {}
    for before, after in pairs:
        kind = after.__kind__
        if kind not in _KINDS:
            continue
        read = readers.get(kind)
        if read is None:
            names = tracked[kind] = kit.history.tracked(kind)
            read = readers[kind] = _reader(names)
        olds, news = read(before), read(after)
        if olds == news and all(type(o) is type(n) for o, n in zip(olds, news, strict=True)):
            continue
        company_id = after.id if kind == "company" else after.company_id
        for name, old, new in zip(tracked[kind], olds, news, strict=True):
            if old == new and type(old) is type(new):
                continue
            number = float(new) if isinstance(new, (int, float)) and not isinstance(new, bool) else None
            rows.append((after.id, kind, company_id, name, after.version, _dump(old), _dump(new), number))
    if rows:
        # Sorted by record, with ids in time order: each of the history's indexes
        # (by id, by record, by company) takes the rows in its own order, so the
        # inserts walk its B-tree once instead of landing at random pages.
        rows.sort(key=itemgetter(0))
        at, by = now["created_at"], now["created_by"]
        make = trusted_maker(AttributeChange)  # every value is a stored record's or made here
        kit.store.insert_many([
            make(id=i, created_at=at, updated_at=at, created_by=by, record_kind=kind, record_id=rid,
                 company_id=cid, attribute=name, record_version=version, old_value=old, new_value=new, number=number)
            for i, (rid, kind, cid, name, version, old, new, number) in zip(
                ordered_ids(at, len(rows)), rows, strict=True)
        ])  # fmt: skip
    return len(rows)


def _reader(names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of the tracked attributes of a record, as a tuple (compared first,
    so an update that changes none of them costs one comparison)."""
    if not names:
        return lambda record: ()
    if any(n.startswith("fields.") for n in names):
        return lambda record: tuple(_value(record, name) for name in names)
    get = attrgetter(*names)  # every tracked attribute is a field of the record class
    return (lambda record: (get(record),)) if len(names) == 1 else get


def saved_with_history(kit: Kit, record: R, changes: Mapping[str, Any]) -> R:
    """:func:`successkit.service.save` of a company or relationship with its history, in one transaction."""
    with kit.transaction():
        new = save(kit, record, changes)
        record_changes(kit, [(record, new)])
    return new


def _kind(kind: Any) -> str:
    if kind not in _KINDS:
        raise ValidationError("history is kept for companies and relationships", rule="HIST_01", value=kind)
    return str(kind)


def _value(record: Any, name: str) -> Any:
    if name.startswith("fields."):
        return record.fields.get(name[len("fields.") :])
    return getattr(record, name, None)


#: One encoder for every value (``json.dumps`` with options makes a new one per call).
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return _ENCODE(value.isoformat())
    return _ENCODE(value)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _moment(value: Any, *, start: bool) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError("a moment is timezone-aware", rule="SEC_05", value=value)
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.min if start else time.max, tzinfo=timezone.utc)
    raise ValidationError("since and until are dates or moments", rule="SEC_05", value=value)
