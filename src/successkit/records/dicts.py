"""Records to JSON-ready dicts and back (DATA_01), with the library's own converter.

Dates and timestamps become ISO strings, tuples become lists, and every dict
carries a ``kind`` key so :func:`from_dict` knows which record class to build.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import cattrs

from successkit.errors import ValidationError
from successkit.records import RECORD_CLASSES, Record

__all__ = ["converter", "from_dict", "make_converter", "register_record_class", "to_dict"]


def make_converter() -> cattrs.Converter:
    """A converter configured for successkit records (never the global one)."""
    c = cattrs.Converter()
    c.register_unstructure_hook(datetime, lambda v: v.isoformat())
    c.register_structure_hook(datetime, lambda v, _: v if isinstance(v, datetime) else datetime.fromisoformat(v))
    c.register_unstructure_hook(date, lambda v: v.isoformat())
    c.register_structure_hook(date, lambda v, _: v if isinstance(v, date) else date.fromisoformat(v))
    c.register_structure_hook(Any, lambda v, _: v)
    return c


converter = make_converter()
_CLASSES: dict[str, type[Record]] = {cls.__kind__: cls for cls in RECORD_CLASSES}


def register_record_class(cls: type[Record]) -> None:
    """Make :func:`from_dict` know a record class added later."""
    _CLASSES[cls.__kind__] = cls


def to_dict(record: Record) -> dict[str, Any]:
    """A JSON-ready dict of the record, with its ``kind``."""
    if not isinstance(record, Record):
        raise ValidationError("to_dict takes a successkit record", value=record)
    data: dict[str, Any] = converter.unstructure(record)
    data["fields"] = dict(record.fields)
    data["kind"] = record.__kind__
    return data


def from_dict(data: dict[str, Any], cls: type[Record] | None = None) -> Any:
    """Rebuild a record from :func:`to_dict`'s output."""
    if not isinstance(data, Mapping):
        raise ValidationError("from_dict takes a mapping made by to_dict", value=data)
    data = dict(data)
    kind = data.pop("kind", None)
    if cls is None:
        if kind not in _CLASSES:
            raise ValidationError(f"unknown record kind; known: {', '.join(sorted(_CLASSES))}", value=kind)
        cls = _CLASSES[kind]
    try:
        return converter.structure(data, cls)
    except cattrs.BaseValidationError as e:
        raise ValidationError(f"not a valid {cls.__kind__}: {cattrs.transform_error(e)}", value=data) from e
