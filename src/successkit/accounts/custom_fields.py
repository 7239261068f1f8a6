"""Custom fields an administrator declares per record kind.

Declared fields are type-checked on write and take part in queries, sorting
and grouping like built-in fields.  Values live in each record's ``fields``
mapping as JSON-ready values: dates as ISO text, multi-select as lists.
Undeclared keys are stored as given (JSON-ready) but cannot be queried.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from successkit.errors import ValidationError
from successkit.query.schema import FieldType
from successkit.records import CustomField
from successkit.records.checks import as_list, json_data, plain_text
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

    def declare(self, record_kind: str, name: str, type: str, *, label: str | None = None,
                options: tuple[str, ...] | list[str] = (), scope: Any = None) -> CustomField:
        """Declare a custom field ``name`` of ``type`` on ``record_kind``."""
        schema = self.kit.store.schema(record_kind)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValidationError("a custom field name is lower-case letters, digits and _", value=name)
        if name in schema.by_name:
            raise ValidationError(f"{record_kind} already has a built-in field of this name", value=name)
        if type not in FIELD_TYPES:
            raise ValidationError(f"custom field type is one of {', '.join(FIELD_TYPES)}", value=type)
        opts = tuple(as_list("custom field", "options", options))
        if type in ("dropdown", "multiselect") and not opts:
            raise ValidationError(f"a {type} field needs options", value=name)
        if not all(isinstance(o, str) and plain_text(o) for o in opts):
            raise ValidationError("options are text (no NUL characters)", value=opts)
        scope_id = None if scope is None else self.kit.relationship_types.get(scope).id
        with self.kit.store.exclusive(f"custom_field:{record_kind}:{name}"), self.kit.transaction():
            # SEC_04: processes declaring the same field take turns; the unique key is the last guard
            if name in self.declared(record_kind):
                raise ValidationError(f"{record_kind} already has a custom field of this name", value=name)
            field = self._new(record_kind=record_kind, name=name, type=type, label=label, options=opts,
                              scope=scope_id)
            self.kit.store.insert(field)
        self.kit.custom_field_decls(record_kind, refresh=True)
        return field

    def declared(self, record_kind: str) -> dict[str, CustomField]:
        """Declarations of a record kind, by name."""
        return {f.name: f for f in self.list([("record_kind", "=", record_kind)], sort=["name"])}

    def check(self, record_kind: str, values: Mapping[str, Any] | None, *,
              scope: str | None = None) -> dict[str, Any]:
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
                raise ValidationError(f"custom field {key!r} belongs to another relationship type", value=key)
            out[key] = _check_value(decl, key, value)
        return out


def _check_value(decl: CustomField | None, key: str, value: Any) -> Any:
    if value is None:
        return None
    if decl is None:
        if not json_data(value):
            raise ValidationError(
                f"custom field {key!r} must be JSON data: mappings with text keys, lists, text, "
                "finite numbers, True/False or None", value=value)
        return value
    t = decl.type
    if t in ("text", "dropdown"):
        if not isinstance(value, str):
            raise ValidationError(f"custom field {key!r} takes text", value=value)
        if not plain_text(value):
            raise ValidationError(f"custom field {key!r}: text may not hold NUL characters or "
                                  "lone surrogates", value=value)
        if t == "dropdown" and value not in decl.options:
            raise ValidationError(f"{key!r} is one of {', '.join(decl.options)}", value=value)
        return value
    if t == "number":
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or (isinstance(value, float) and not math.isfinite(value))):
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
