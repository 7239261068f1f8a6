"""Custom fields an administrator declares per record kind.

Declared fields are type-checked on write and take part in queries, sorting
and grouping like built-in fields.  Values live in each record's ``fields``
mapping as JSON-ready values: dates as ISO text, multi-select as lists.
Undeclared keys are stored as given (JSON-ready) but cannot be queried.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from successkit.errors import ValidationError, article
from successkit.query.schema import FieldType
from successkit.records import CustomField
from successkit.records.checks import LONG_TEXT_MAX, as_list, json_data, plain_text
from successkit.service import Service

__all__ = ["FIELD_TYPES", "CustomFieldService"]

#: Declarable types and the storage type each maps to.
FIELD_TYPES: dict[str, FieldType] = {
    "text": FieldType.TEXT,
    "number": FieldType.FLOAT,
    "date": FieldType.DATE,
    "boolean": FieldType.BOOLEAN,
    "dropdown": FieldType.TEXT,
    "multiselect": FieldType.LIST,
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class CustomFieldService(Service[CustomField]):
    """``kit.custom_fields``: declare, list and check custom fields."""

    record_class = CustomField

    def declare(
        self,
        record_kind: str,
        name: str,
        type: str,
        *,
        label: str | None = None,
        options: tuple[str, ...] | list[str] = (),
        scope: Any = None,
        indexed: bool = False,
    ) -> CustomField:
        """Declare a custom field ``name`` of ``type`` on ``record_kind``.

        ``indexed=True`` gives the field indexes on the SQL backends (one per sort
        direction), so that lists sorted by it, or filtered by its value, read only
        what they return; a multi-select cannot be indexed (it cannot be sorted)."""
        schema = self.kit.store.schema(record_kind)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValidationError("a custom field name is lower-case letters, digits and _", value=name)
        if name in schema.by_name:
            raise ValidationError(f"{record_kind} already has a built-in field of this name", value=name)
        if type not in FIELD_TYPES:
            raise ValidationError(f"custom field type is one of {', '.join(FIELD_TYPES)}", value=type)
        _check_indexed(type, indexed)
        opts = tuple(as_list("custom field", "options", options))
        if type in ("dropdown", "multiselect") and not opts:
            raise ValidationError(f"{article(type)} field needs options", value=name)
        if not all(isinstance(o, str) and plain_text(o) for o in opts):
            raise ValidationError("options are text (no NUL characters)", value=opts)
        scope_id = None if scope is None else self._scope(record_kind, scope)
        locks = [f"custom_field:{record_kind}:{name}", *([_index_lock(record_kind)] if indexed else [])]
        with self.kit.store.exclusive(*locks), self.kit.transaction():
            # SEC_04: processes declaring the same field take turns; the unique key is the last guard
            declared = self.declared(record_kind)
            if name in declared:
                raise ValidationError(f"{record_kind} already has a custom field of this name", value=name)
            field = self._new(
                record_kind=record_kind,
                name=name,
                type=type,
                label=label,
                options=opts,
                scope=scope_id,
                indexed=indexed,
            )
            self.kit.store.insert(field)
            if indexed:
                self._index(record_kind, [*declared.values(), field])
        self.kit.custom_field_decls(record_kind, refresh=True)
        return field

    def _scope(self, record_kind: str, scope: Any) -> str:
        """What narrows a field: an activity type for activities (ACT_01), else a relationship type."""
        if record_kind == "activity":
            if scope not in self.kit.activity_types:
                known = ", ".join(self.kit.activity_types.keys())
                raise ValidationError(
                    f"an activity field's scope is an activity type: {known}", rule="ACT_01", value=scope
                )
            return str(scope)
        return self.kit.relationship_types.get(scope).id

    def set_indexed(self, record_kind: str, name: str, indexed: bool) -> CustomField:
        """Give a declared field its indexes (``True``) or drop them (``False``)."""
        self.kit.store.schema(record_kind)
        with (
            self.kit.store.exclusive(f"custom_field:{record_kind}:{name}", _index_lock(record_kind)),
            self.kit.transaction(),
        ):
            declared = self.declared(record_kind)
            field = declared.get(name) if isinstance(name, str) else None
            if field is None:
                raise ValidationError(f"{record_kind} has no custom field of this name", value=name)
            _check_indexed(field.type, indexed)
            if field.indexed != indexed:
                field = self._save(field, {"indexed": indexed})
                declared[name] = field
                self._index(record_kind, list(declared.values()))
        self.kit.custom_field_decls(record_kind, refresh=True)
        return field

    def index_all(self, declarations: list[CustomField] | None = None) -> None:
        """Bring every kind's custom-field indexes to the declarations (on open:
        a field declared indexed by another process, a declaration deleted).
        ``declarations``: every declaration as just read (a kit opening reads them
        with the rest of its configuration); without it they are read here.
        Only when something is to change are the kinds' index locks taken and the
        declarations read again under them."""
        if declarations is None:
            declarations = self.list([("indexed", "=", True)])
        elif not isinstance(declarations, (list, tuple)) or not all(isinstance(d, CustomField) for d in declarations):
            raise ValidationError("declarations are a list of CustomField", rule="SEC_05", value=declarations)
        store = self.kit.store
        if not store.custom_index_changes(self._indexed(list(declarations))):
            return
        with store.exclusive(*(_index_lock(kind) for kind in store.schemas)):
            store.index_custom_fields(self._indexed(self.list([("indexed", "=", True)])))

    def _indexed(self, declarations: list[CustomField]) -> dict[str, dict[str, FieldType]]:
        """Every kind (but declarations) with the storage types of its indexed custom fields."""
        fields: dict[str, dict[str, FieldType]] = {kind: {} for kind in self.kit.store.schemas if kind != self.kind}
        by_kind: dict[str, list[CustomField]] = {}
        for field in declarations:
            if field.indexed:
                by_kind.setdefault(field.record_kind, []).append(field)
        fields.update({kind: _index_types(decls) for kind, decls in by_kind.items() if kind in fields})
        return fields

    def _index(self, record_kind: str, declared: list[CustomField]) -> None:
        # an acting user's store passes this through: the declaration was checked as it was written
        self.kit.store.index_custom_fields({record_kind: _index_types(declared)})

    def declared(self, record_kind: str) -> dict[str, CustomField]:
        """Declarations of a record kind, by name."""
        return {f.name: f for f in self.list([("record_kind", "=", record_kind)], sort=["name"])}

    def check(self, record_kind: str, values: Mapping[str, Any] | None, *, scope: str | None = None) -> dict[str, Any]:
        """Validate a ``fields`` mapping: declared fields by type, the rest JSON-ready."""
        if not values:
            return {}
        if not isinstance(values, Mapping):
            raise ValidationError("fields must be a mapping", value=values)
        declared = self.kit.declared_fields(record_kind)
        if any(k not in declared for k in values):
            declared = self.kit.declared_fields(record_kind, refresh=True)
        out: dict[str, Any] = {}
        for key, value in values.items():
            if not isinstance(key, str):
                raise ValidationError("custom field names are text", value=key)
            decl = declared.get(key)
            if decl is not None and decl.scope is not None and decl.scope != scope:
                owner = "activity type" if record_kind == "activity" else "relationship type"
                raise ValidationError(f"custom field {key!r} belongs to another {owner}", value=key)
            out[key] = _check_size(key, _check_value(decl, key, value))
        return out


def _index_lock(record_kind: str) -> str:
    """The lock of a kind's custom-field indexes: changes to them take turns, each reading the
    declarations the one before committed, so none drops an index another just made (SEC_04)."""
    return f"custom_field_indexes:{record_kind}"


def _index_types(declared: list[CustomField]) -> dict[str, FieldType]:
    return {d.name: FIELD_TYPES[d.type] for d in declared if d.indexed}


def _check_indexed(type: str, indexed: Any) -> None:
    if indexed is not True and indexed is not False:
        raise ValidationError("custom field indexed must be True or False", rule="SEC_05", value=indexed)
    if indexed and not FIELD_TYPES[type].sortable:
        raise ValidationError(
            f"{article(type)} field cannot be indexed: it cannot be sorted", rule="STORE_01", value=type
        )


def _check_size(key: str, value: Any) -> Any:
    """A custom value holds at most :data:`LONG_TEXT_MAX` characters: text by its length,
    other JSON data by the length of its encoding (SEC_07)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    size = len(value) if isinstance(value, str) else len(json.dumps(value, ensure_ascii=False))
    if size > LONG_TEXT_MAX:
        raise ValidationError(
            f"custom field {key!r} holds {size} characters; at most {LONG_TEXT_MAX}", rule="SEC_07", value=size
        )
    return value


def _check_value(decl: CustomField | None, key: str, value: Any) -> Any:
    if value is None:
        return None
    if decl is None:
        if not json_data(value):
            raise ValidationError(
                f"custom field {key!r} must be JSON data: mappings with text keys, lists, text, "
                "finite numbers, True/False or None",
                value=value,
            )
        return value
    t = decl.type
    if t in ("text", "dropdown"):
        if not isinstance(value, str):
            raise ValidationError(f"custom field {key!r} takes text", value=value)
        if not plain_text(value):
            raise ValidationError(
                f"custom field {key!r}: text may not hold NUL characters or lone surrogates", value=value
            )
        if t == "dropdown" and value not in decl.options:
            raise ValidationError(f"{key!r} is one of {', '.join(decl.options)}", value=value)
        return value
    if t == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            raise ValidationError(f"custom field {key!r} takes finite numbers", value=value)
        return value
    if t == "boolean":
        if not isinstance(value, bool):
            raise ValidationError(f"custom field {key!r} takes True or False", value=value)
        return value
    if t == "date":
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"custom field {key!r} takes dates", value=value) from None
        if not isinstance(value, date):
            raise ValidationError(f"custom field {key!r} takes dates", value=value)
        return value.isoformat()[:10]
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else None
    if items is None or not all(isinstance(v, str) and v in decl.options for v in items):
        raise ValidationError(f"{key!r} takes a list of {', '.join(decl.options)}", value=value)
    return sorted(set(items), key=list(decl.options).index)
