"""The result of an aggregate (REPORT_01): rows of group keys and measures that
read well in code, in a terminal and in a notebook, and export to pandas."""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

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

    def __str__(self) -> str:
        header = [*self.groups, *self.measures]
        cells = [[_text(v) for v in (*r.keys, *(r.values[m] for m in self.measures))] for r in self.rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in (*self.groups, *self.measures))
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(_text(v))}</td>" for v in (*r.keys, *(r.values[m] for m in self.measures)))
            + "</tr>"
            for r in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
