"""Notebook renderings (DATA_01) of results whose own modules are full: a bundle deployment."""

from __future__ import annotations

from typing import Any

from . import notebook as nb

__all__ = ["deployment_html"]


def deployment_html(deployment: Any) -> str:
    """A deployment (``kit.bundles.deploy``): the counts, then each asset and what happened to
    it, with the fields that differ from the installed asset when the deployment lists any."""
    d = deployment
    words = {"created": "created", "exists": "already there", "skipped": "skipped"}
    differ = {(x.kind, x.name): ", ".join(x.fields) for x in getattr(d, "diffs", ())}
    header = ["asset", "kind", "result", *(["differs from the bundle in"] if differ else [])]
    rows = [
        [s.name, s.kind[:-1].replace("_", " "), words.get(s.result, s.result), differ.get((s.kind, s.name))]
        for s in d.steps
    ]
    return nb.block(
        nb.title(f"Bundle: {d.bundle} {d.version}", "dry run, nothing written" if d.dry_run else None),
        nb.figures([(words[r], d.count(r)) for r in words if d.count(r)] or [("assets", 0)]),
        nb.table(header, [r[: len(header)] for r in rows]) if rows else nb.items([]),
    )
