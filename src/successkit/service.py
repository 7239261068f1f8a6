"""What every record service shares: stamping, fetching, updating, listing."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from successkit.query.aggregate import bind_measures
from successkit.query.bind import BoundGroup
from successkit.query.language import ByField, ByRange, ByRelated, CalendarQuarter, Condition, FiscalQuarter, Query
from successkit.records import Record
from successkit.records.checks import plain_text
from successkit.views.aggregate_table import AggregateRow, AggregateTable
from successkit.views.record_list import RecordList

from .errors import NotFound, QueryError, ValidationError, article, named

if TYPE_CHECKING:
    from .kit import Kit

__all__ = ["Service", "aggregate_kind", "as_query", "evolve", "group_name", "save", "stamp"]

R = TypeVar("R", bound=Record)
Where = Sequence[Condition | Sequence[Any]] | Query | None
GroupBy = str | ByField | CalendarQuarter | FiscalQuarter | ByRange | ByRelated


def stamp(kit: Kit) -> dict[str, Any]:
    """The creation fields of new records: one moment for all of them, and the acting user."""
    now = kit.now()
    return {"created_at": now, "updated_at": now, "created_by": kit.actor_id}


def evolve(kit: Kit, record: R, **changes: Any) -> R:
    """The next version of a record with ``changes`` (not stored)."""
    return attrs.evolve(record, **changes, version=record.version + 1, updated_at=kit.now())


def save(kit: Kit, record: R, changes: Mapping[str, Any]) -> R:
    """Store the next version of ``record`` with ``changes``, refusing it when
    another writer got there first (STORE_04); returns the stored version."""
    new = evolve(kit, record, **changes)
    kit.store.update(new, record.version)
    return new


class Service(Generic[R]):
    """Base of ``kit.companies``, ``kit.users``...: one record class, its rules."""

    record_class: type[R]

    #: Names of this kind are unique (playbooks, plan templates, rules, relationship
    #: types), so wherever a record or its id is taken, its name is taken too.
    named: bool = False
    #: The field that holds those unique names (``key`` for measures and scorecards).
    name_field: str = "name"

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    @property
    def kind(self) -> str:
        """The record kind this service stores (``company``, ``plan``...)."""
        return self.record_class.__kind__

    # ----------------------------------------------------------------- reading
    def get(self, ref: R | str) -> R:
        """The current stored record (a record argument is re-read by id); for a
        kind with unique names, a string that is no id is looked up as a name."""
        ref_id = self.id_of(ref)
        if self.named and not isinstance(ref, self.record_class):
            found = self.kit.store.get_many(self.kind, [ref_id]) or self.list([(self.name_field, "=", ref_id)], limit=1)
            if not found:
                raise NotFound(self.kind, ref_id, by=f"id or {self.name_field}")
            return found[0]
        record: R = self.kit.store.get(self.kind, ref_id)
        return record

    def get_many(self, refs: Sequence[R | str]) -> builtins.list[R]:
        """The stored records of these ids (records are re-read by id); unknown ids are left out."""
        return self.kit.store.get_many(self.kind, [self.id_of(r) for r in self._refs(refs)])

    def ref_id(self, ref: R | str) -> str:
        """The id a record, an id or (for a kind with unique names) a name stands for:
        no read for a record or for kinds without names, at most two for a name."""
        if self.named and not isinstance(ref, self.record_class):
            return self.get(ref).id
        return self.id_of(ref)

    def by_name(self, name: str) -> R:
        """The record with this name, for kinds whose names are unique (playbooks,
        rules, relationship types...)."""
        found = self.list([(self.name_field, "=", name)], limit=1)
        if not found:
            raise ValidationError(f"no {self.kind.replace('_', ' ')} with this {self.name_field}", value=name)
        return found[0]

    def _check_new_name(self, name: str) -> None:
        """Refuse a second record of this kind with ``name``."""
        if self.count([(self.name_field, "=", name)]):
            raise ValidationError(
                f"{article(self.kind.replace('_', ' '))} with this {self.name_field} exists "
                f"(ensure({self.name_field}=...) returns it instead of refusing)",
                value=name,
            )

    def id_of(self, ref: Any) -> str:
        """The id of a record of this kind, or the string given."""
        if isinstance(ref, self.record_class):
            return ref.id
        if isinstance(ref, str) and ref and plain_text(ref):
            return ref  # an id with NUL or a lone surrogate names nothing on any backend
        raise ValidationError(f"expected {article(self.kind.replace('_', ' '))} or its id", value=ref)

    def _refs(self, refs: Any) -> Iterable[Any]:
        """A list of records or ids; a bare string (one id), a mapping or a number is refused."""
        if isinstance(refs, (str, bytes, bytearray, Mapping, Record)) or not isinstance(refs, Iterable):
            raise ValidationError(f"expected a list of {self.kind} records or ids", value=refs)
        return refs

    def ids_of(self, refs: Any) -> tuple[str, ...]:
        """The ids of existing records of this kind, checked with one read;
        None means none, and a bare string (one id, not a list) is refused."""
        if refs is None:
            return ()
        ids = tuple(dict.fromkeys(self.id_of(r) for r in self._refs(refs)))
        found = {r.id for r in self.kit.store.get_many(self.kind, list(ids))}
        for i in ids:
            if i not in found:
                raise NotFound(self.kind, i)
        return ids

    def list(
        self,
        where: Where = None,
        *,
        logic: str | None = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> RecordList[R]:
        """Records matching numbered conditions and logic, sorted and paged."""
        return RecordList(
            self.iter(where, logic=logic, sort=sort, limit=limit, offset=offset), record_class=self.record_class
        )

    def iter(
        self,
        where: Where = None,
        *,
        logic: str | None = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[R]:
        """Like :meth:`list`, streamed: memory stays flat however many rows match."""
        bound = self.kit.bind(self.kind, as_query(where, logic, sort, limit, offset))
        return self.kit.store.query(bound)

    def count(self, where: Where = None, *, logic: str | None = None) -> int:
        """How many records match the conditions (one storage call)."""
        return self.kit.store.count(self.kit.bind(self.kind, as_query(where, logic)))

    def group(self, by: GroupBy, where: Where = None, *, logic: str | None = None) -> builtins.list[tuple[Any, int]]:
        """(group, count) pairs: by a field's value, a calendar or a fiscal quarter, or a
        number's :class:`~successkit.query.language.ByRange` value range."""
        bound = self.kit.bind(self.kind, as_query(where, logic))
        return self.kit.store.group_counts(bound, self.kit.bind_group(self.kind, by))

    def aggregate(
        self,
        where: Where = None,
        *,
        logic: str | None = None,
        by: GroupBy | Sequence[GroupBy] | None = None,
        measures: Mapping[str, str | tuple[str, str]] | None = None,
    ) -> AggregateTable:
        """Count, distinct count, sum, mean, min and max of the matching records, by
        none, one or two groupings (a field, a calendar or fiscal quarter, value ranges, a
        field of a related record: ``ByRelated("company_id", "csm_id")``), computed
        in the database in one storage call (REPORT_01).  ``measures`` maps output
        names to a function (``{"arr": "sum"}`` reads the field of that name) or a
        (function, field) pair; the default counts (``{"count": "count"}``)."""
        return aggregate_kind(self.kit, self.kind, where, logic=logic, by=by, measures=measures)

    # ----------------------------------------------------------------- writing
    def _stamp(self) -> dict[str, Any]:
        return stamp(self.kit)

    def _new(self, **values: Any) -> R:
        try:
            return self.record_class(**self._stamp(), **values)
        except TypeError as e:
            raise ValidationError(f"bad fields for {article(self.kind)}: {e}", value=sorted(values)) from None

    def _save(self, record: R, changes: Mapping[str, Any]) -> R:
        """Store ``record`` with ``changes``, refusing if it is stale (STORE_04)."""
        return save(self.kit, record, changes)

    def _ensured(self, found: R | None, key: str, given: Mapping[str, Any], create: Callable[[], R]) -> R:
        """Get-or-create by a natural key (``ensure``): ``found`` is the record holding
        the key, if any.  It is returned unchanged when every field given matches it,
        and refused, naming the first field that differs, when one does not: ensure
        never updates (``update`` does), so a rerun with other values is not lost
        silently.  Values a record does not hold as such (a template's items, a
        playbook's tasks) are not compared.  Without one, ``create`` makes it."""
        if found is None:
            return create()
        for name, value in given.items():
            field, stored = _stored(found, name)
            if field is None or _same(stored, value):
                continue
            raise ValidationError(
                f"{article(self.kind.replace('_', ' '))} with this {key} exists, {named(found)}, with {field} "
                f"{stored!r}, not {value!r}; ensure changes nothing: update it instead",
                value=getattr(found, key, key),
            )
        return found

    def _current(self, ref: R | str) -> R:
        """The caller's record if given (so a stale one conflicts), else the stored one."""
        return ref if isinstance(ref, self.record_class) else self.get(ref)


def as_query(
    where: Where, logic: str | None = None, sort: Any = None, limit: int | None = None, offset: int = 0
) -> Query:
    """The :class:`Query` of a service call's ``where``, ``logic``, ``sort`` and paging."""
    if isinstance(where, Query):
        return where
    return Query(conditions=where or (), logic=logic, sort=sort, limit=limit, offset=offset)


def aggregate_kind(
    kit: Kit,
    kind: str,
    where: Where = None,
    *,
    logic: str | None = None,
    by: GroupBy | Sequence[GroupBy] | None = None,
    measures: Mapping[str, str | tuple[str, str]] | None = None,
) -> AggregateTable:
    """:meth:`Service.aggregate` for any record kind, those without a service of their
    own too (score snapshots, survey responses): one storage call (REPORT_01)."""
    groups = _groupings(by)
    bound_groups = [kit.bind_group(kind, g) for g in groups]
    bound = kit.bind(kind, as_query(where, logic))
    schema = kit.store.schema(kind)
    try:
        bound_measures = bind_measures(measures, schema, kit.custom_field_types(kind))
    except QueryError:
        bound_measures = bind_measures(measures, schema, kit.custom_field_types(kind, refresh=True))
    rows = kit.store.aggregate(bound, bound_groups, bound_measures)
    names = tuple(m.name for m in bound_measures)
    return AggregateTable(
        groups=tuple(group_name(g) for g in bound_groups),
        measures=names,
        rows=tuple(AggregateRow(keys, dict(zip(names, values, strict=True))) for keys, values in rows),
    )


def _groupings(by: Any) -> list[Any]:
    """``by`` as a list of groupings: none, one, or a list or tuple of them."""
    if by is None:
        return []
    if isinstance(by, (str, ByField, CalendarQuarter, FiscalQuarter, ByRange, ByRelated)):
        return [by]
    if isinstance(by, (list, tuple)):
        return list(by)
    raise QueryError("by is a field name, a grouping, or a list of at most two", value=by)


def group_name(group: BoundGroup) -> str:
    """A grouping's column name: the field, or ``quarter(field)`` / ``fiscal_quarter(field)``."""
    if group.via is not None:
        return f"{group.via.name}.{group.field.name}"
    if group.mode == "value":
        return group.field.name
    return f"{_GROUP_NAMES[group.mode]}({group.field.name})"


_GROUP_NAMES = {"quarter": "quarter", "fiscal": "fiscal_quarter", "range": "range"}


def _stored(record: Any, name: str) -> tuple[str | None, Any]:
    """The field ``name`` of an ensure call stands for, and its stored value:
    ``parent`` (a record or id) is compared with ``parent_id``."""
    if name in ("id", "version", "created_at", "updated_at", "created_by"):
        return None, None
    for field in (name, f"{name}_id"):
        if field in attrs.fields_dict(type(record)):
            return field, getattr(record, field)
    return None, None


def _same(stored: Any, given: Any) -> bool:
    """Whether an ensure call's value matches the stored one (records by id,
    lists as tuples, custom fields key by key: only the keys given)."""
    if isinstance(given, Record):
        given = given.id
    if given is None:
        return True  # not given: an ensure leaves what is there
    if isinstance(stored, Mapping) and isinstance(given, Mapping):
        return all(_same(stored.get(k), v) if v is not None else k not in stored for k, v in given.items())
    if isinstance(given, (list, tuple)) and isinstance(stored, (list, tuple)):
        return tuple(given) == tuple(stored)
    return bool(stored == given)
