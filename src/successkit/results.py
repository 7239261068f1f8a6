"""Result containers that read well in code, in a terminal and in a notebook."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any, TypeVar

from .convert import to_dict

__all__ = ["RecordList"]

T = TypeVar("T")


class RecordList(list[T]):
    """A list of records with dict and pandas export."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        super().__init__(items)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every record as a JSON-ready dict."""
        return [to_dict(r) for r in self]  # type: ignore[arg-type]

    def to_pandas(self) -> Any:
        """A pandas DataFrame of the records (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'successkit[pandas]'") from e
        rows = []
        for d in self.to_dicts():
            custom = d.pop("fields", {})
            d.pop("kind", None)
            rows.append({**d, **{f"fields.{k}": v for k, v in custom.items()}})
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        dicts = self.to_dicts()
        if not dicts:
            return "<p>(no records)</p>"
        cols = [c for c in dicts[0] if c not in ("fields", "kind")]
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(d.get(c, '')))}</td>" for c in cols) + "</tr>"
            for d in dicts
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
