"""Result containers that read well in code, in a terminal and in a notebook."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeVar, overload

import attrs

from successkit.records import CustomField, Record
from successkit.records.dicts import converter, to_dict

from .frames import CustomType, RecordClass, html_table, record_classes, records_frame

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["RecordList"]

T = TypeVar("T")


class RecordList(list[T]):
    """A list of records with dict, pandas and notebook export (DATA_01).

    ``record_class`` names the kind the list holds (a tuple of classes for a
    list of several kinds), so that an empty list still has its columns;
    ``custom_fields`` maps custom field names to their declarations
    (``kit.custom_field_decls(kind)``) to type their columns.
    Any attrs row class works too (schedule rows, clone owner choices...).
    A slice of a record list is a record list with the same settings.
    """

    record_class: RecordClass | None
    custom_fields: Mapping[str, CustomType] | None

    def __init__(
        self,
        items: Iterable[T] = (),
        *,
        record_class: RecordClass | None = None,
        custom_fields: Mapping[str, CustomType] | None = None,
    ) -> None:
        super().__init__(items)
        self.record_class = record_class
        self.custom_fields = custom_fields

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> RecordList[T]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> T | RecordList[T]:
        if isinstance(index, slice):
            return RecordList(
                super().__getitem__(index), record_class=self.record_class, custom_fields=self.custom_fields
            )
        return super().__getitem__(index)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every record as a JSON-ready dict (rows of other attrs classes too)."""
        out: list[dict[str, Any]] = []
        for item in self:
            if isinstance(item, Record):
                out.append(to_dict(item))
            elif attrs.has(type(item)):
                out.append(converter.unstructure(item))
            else:
                out.append(dict(item))  # type: ignore[call-overload]
        return out

    def _custom(self, kit: Kit | None) -> Mapping[str, CustomType] | None:
        if kit is None:
            return self.custom_fields
        kinds = [*record_classes(self.record_class), *(type(r) for r in self)]
        merged: dict[str, CustomType] = {}
        for kind in dict.fromkeys(k.__kind__ for k in kinds if issubclass(k, Record)):
            for name, decl in kit.custom_field_decls(kind).items():
                if name in merged and _type_name(merged[name]) != decl.type:
                    merged[name] = "auto"  # two kinds declare it differently: infer
                else:
                    merged.setdefault(name, decl)
        return merged

    def to_pandas(self, *, kit: Kit | None = None) -> Any:
        """A pandas DataFrame of the records (needs the ``pandas`` extra).

        One row per record, one column per field (typed from the record
        class, see :mod:`successkit.views.frames`), custom fields as
        ``fields.<name>``.  With ``kit``, custom field columns are typed from
        their declarations and every declared field has a column; without,
        from the list's ``custom_fields`` or else inferred from the values.
        """
        return records_frame(self, record_class=self.record_class, custom_fields=self._custom(kit))

    def _repr_html_(self) -> str:
        return html_table(self, record_class=self.record_class, custom_fields=self.custom_fields)


def _type_name(value: CustomType) -> str:
    return value.type if isinstance(value, CustomField) else str(getattr(value, "value", value))
