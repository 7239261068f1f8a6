"""The result of an aggregate (REPORT_01): rows of group keys and measures that
read well in code, in a terminal and in a notebook, and export to pandas."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from . import notebook
from .frames import to_frame

__all__ = ["AggregateRow", "AggregateTable"]


@attrs.frozen
class AggregateRow:
    """One group: its key for each grouping (``keys``) and its measures by name (``values``)."""

    keys: tuple[Any, ...]
    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        """A measure by name (``row["arr"]``)."""
        return self.values[name]


@attrs.frozen
class AggregateTable:
    """Rows of an aggregate, groups in key order (empty keys last).

    ``groups`` names the groupings (a field, or ``quarter(field)``), ``measures``
    the measures; ``table.value(*keys, "arr")`` reads one cell."""

    groups: tuple[str, ...]
    measures: tuple[str, ...]
    rows: tuple[AggregateRow, ...]

    def __iter__(self) -> Iterator[AggregateRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def value(self, *keys_and_measure: Any) -> Any:
        """The measure (last argument) of the group with these keys; None when there is no such group."""
        *keys, measure = keys_and_measure
        if measure not in self.measures:
            raise KeyError(measure)
        for row in self.rows:
            if list(row.keys) == keys:
                return row.values[measure]
        return None

    def to_dicts(self) -> list[dict[str, Any]]:
        """Each row as a dict: the groupings' keys, then the measures."""
        return [{**dict(zip(self.groups, r.keys, strict=True)), **r.values} for r in self.rows]

    def to_pandas(self) -> Any:
        """A DataFrame, one column per grouping and per measure (needs pandas)."""
        return to_frame(self.to_dicts(), dict.fromkeys((*self.groups, *self.measures), "auto"))

    def _cells(self) -> tuple[list[str], list[list[str]], list[bool]]:
        """The header, each row's cells as text, and which columns hold numbers (right-aligned)."""
        header = [*self.groups, *self.measures]
        values = [[*r.keys, *(r.values[m] for m in self.measures)] for r in self.rows]
        numeric = [any(_is_number(row[i]) for row in values) for i in range(len(header))]
        return header, [[_text(v) for v in row] for row in values], numeric

    def __str__(self) -> str:
        header, rows, numeric = self._cells()
        widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]
        pad = [str.rjust if n else str.ljust for n in numeric]
        lines = [
            "  ".join(p(text, w) for text, w, p in zip(row, widths, pad, strict=True)).rstrip()
            for row in [header, *rows]
        ]
        return "\n".join(lines)

    def to_html(self) -> str:
        """The table as an HTML ``<table>`` (what notebooks show)."""
        return self._repr_html_()

    def _repr_html_(self) -> str:
        """The rows as a table in notebooks, numbers right-aligned (DATA_01)."""
        header = [*self.groups, *self.measures]
        values = [[*r.keys, *(r.values[m] for m in self.measures)] for r in self.rows]
        numeric = [any(_is_number(row[i]) for row in values) for i in range(len(header))]
        n = len(values)
        caption = f"{n} group{'' if n == 1 else 's'}"
        return notebook.block(notebook.table(header, values, caption=caption, numeric=numeric))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
