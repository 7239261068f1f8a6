"""The HTML every result shows in a notebook (DATA_01): tables, titles and key figures.

Every ``_repr_html_`` of the library builds its markup from these few parts, so a
rule run, a clone, a 360 view and a record list look alike, and every value from
the data passes through :func:`html.escape` here and nowhere else.  A result is
one ``<div class="successkit">`` that starts with a small ``<style>`` scoped to
it (the way pandas styles its own tables): compact cells, a rule under the
header, light zebra rows that read on light and dark themes, text left-aligned
and numbers right-aligned (Jupyter right-aligns every cell otherwise).  Empty
values show as a grey dash; long texts are cut with the whole text in a
tooltip, and so are record ids.

How values read: whole numbers with thousands separators (``1,200,000``),
other numbers with at most two decimals, dates as ``YYYY-MM-DD``, timestamps to
the minute in UTC, ``yes``/``no`` for flags, lists joined by commas.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

import attrs

__all__ = [
    "EMPTY",
    "MAX_TEXT",
    "STYLE",
    "Shown",
    "block",
    "dot",
    "figures",
    "is_number",
    "items",
    "percent",
    "plural",
    "subtitle",
    "table",
    "text",
    "title",
]

#: A longer text is cut to this many characters in a cell, the whole in its tooltip.
MAX_TEXT = 80
#: A text longer than this may wrap in its cell; shorter ones (names, dates, keys) stay on one line.
_WRAP = 40
#: How an empty value shows.
EMPTY = "—"
_ID = re.compile(r"^[0-9a-f]{32}$")
_ID_SHOWN = 8
_DASH = f'<span class="e">{EMPTY}</span>'
#: The style every result starts with, scoped to its ``div``.
STYLE = (
    "<style>"
    ".successkit table{border-collapse:collapse;margin:0.3em 0 0.8em;font-size:13px}"
    ".successkit th,.successkit td{text-align:left;padding:0.25em 0.7em;vertical-align:top;white-space:nowrap}"
    ".successkit td.t{white-space:normal;min-width:16em}"
    ".successkit thead th{border-bottom:1px solid #999}"
    ".successkit tbody tr:nth-child(odd){background:rgba(127,127,127,0.08)}"
    ".successkit .n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
    ".successkit caption{text-align:left;color:#777;caption-side:bottom;font-size:12px}"
    ".successkit .e,.successkit .note{color:#888}"
    ".successkit h4{margin:0.4em 0 0.2em}.successkit h5{margin:0.8em 0 0.2em}"
    ".successkit p,.successkit ul{margin:0.2em 0}"
    "</style>"
)


@attrs.frozen
class Shown:
    """A value already worded for display (``"40%"``); ``number`` right-aligns it like a number."""

    text: str
    number: bool = False


def percent(value: float | None, *, signed: bool = False) -> Shown | None:
    """A percentage as ``40%`` (``+12%`` when ``signed``), right-aligned; None stays empty."""
    if value is None:
        return None
    return Shown(f"{value:+.0f}%" if signed else f"{value:.0f}%", number=True)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 change``, ``3 changes``: a count with its noun (``many``: the plural, when not ``word`` + s)."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def is_number(value: Any) -> bool:
    """Whether a value is a number (not a flag), or worded as one."""
    if isinstance(value, Shown):
        return value.number
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def text(value: Any) -> str:
    """A value as a person reads it (not escaped; see the module docstring); None is empty."""
    if value is None:
        return ""
    if isinstance(value, Shown):
        return value.text
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        at = value.astimezone(timezone.utc) if value.tzinfo else value
        return at.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, frozenset, set)):
        return ", ".join(text(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {text(v)}" for k, v in value.items())
    kind = getattr(value, "__kind__", None)
    if isinstance(kind, str) and hasattr(value, "id"):
        return f"{kind} {getattr(value, 'name', None) or value.id}"
    return str(value)


def _cell(value: Any) -> str:
    """A value as escaped content: empty as a grey dash, long texts and ids cut with a tooltip."""
    shown = text(value)
    if shown == "":
        return _DASH
    if _ID.match(shown):
        return f'<span title="{shown}">{shown[:_ID_SHOWN]}…</span>'
    if len(shown) > MAX_TEXT:
        cut = shown[: MAX_TEXT - 1].rstrip()
        return f'<span title="{html.escape(shown)}">{html.escape(cut)}…</span>'
    return html.escape(shown)


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    caption: str | None = None,
    numeric: Sequence[bool] | None = None,
) -> str:
    """A ``<table>`` of ``rows`` under ``header``; a column whose values are all numbers
    (or ``numeric``) is right-aligned, the others left-aligned."""
    data = [list(r) for r in rows]
    if numeric is None:
        numeric = [
            any(v is not None for v in col) and all(v is None or is_number(v) for v in col)
            for col in ([row[i] for row in data] for i in range(len(header)))
        ]
    align = [' class="n"' if n else "" for n in numeric]
    head = "".join(f"<th{a}>{html.escape(h)}</th>" for h, a in zip(header, align, strict=True))
    body = "".join(
        "<tr>" + "".join(f"<td{_wrap(v) or a}>{_cell(v)}</td>" for v, a in zip(row, align, strict=True)) + "</tr>"
        for row in data
    )
    cap = "" if caption is None else f"<caption>{html.escape(caption)}</caption>"
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _wrap(value: Any) -> str:
    """The class of a cell whose text is long enough to wrap."""
    return ' class="t"' if isinstance(value, str) and len(value) > _WRAP else ""


def title(heading: str, note: str | None = None, *, colour: str | None = None) -> str:
    """A result's heading, with a grey note under it (``as of 2026-11-24``, ``dry run``)
    and a dot of ``colour`` before it (a score's grade colour)."""
    sub = "" if not note else f'<div class="note">{html.escape(note)}</div>'
    return f"<h4>{dot(colour)}{html.escape(heading)}</h4>{sub}"


def dot(colour: str | None) -> str:
    """A dot of a colour (a grade's), before a heading or a figure; nothing without one."""
    return "" if not colour else f'<span style="color:{html.escape(colour)}">●</span> '


def figures(pairs: Iterable[tuple[str, Any]]) -> str:
    """Key figures on one line: ``matched 3 · created 2 · skipped 1``, each figure in bold."""
    parts = [f"{html.escape(label)} <b>{_cell(v)}</b>" for label, v in pairs]
    return f"<p>{' · '.join(parts)}</p>"


def subtitle(heading: str, *, colour: str | None = None) -> str:
    """The heading of a part of a result (a section of a 360 view, the owners of a clone)."""
    return f"<h5>{dot(colour)}{html.escape(heading)}</h5>"


def items(lines: Sequence[str], *, heading: str | None = None) -> str:
    """A list of text lines under an optional heading; an empty list says ``(none)``."""
    head = "" if heading is None else subtitle(heading)
    body = "".join(f"<li>{html.escape(line)}</li>" for line in lines) or '<li class="e">(none)</li>'
    return f"{head}<ul>{body}</ul>"


def block(*parts: str) -> str:
    """The parts of one result, together in one ``<div>`` with its style."""
    return f'<div class="successkit">{STYLE}{"".join(parts)}</div>'
