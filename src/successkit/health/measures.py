"""``kit.measures``: the measures scorecards weigh (SCORE_02, SCORE_03, SCORE_09).

A measure has a unique ``key`` (it is how scorecards, entries and snapshots
name it), a ``label``, a ``source`` (see :mod:`successkit.health.sources`), a
``staleness_days`` after which a manual value is NA, and ``locked``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from successkit.errors import RuleViolation
from successkit.query.language import Query
from successkit.records import Measure
from successkit.records.checks import check_names, flag
from successkit.service import Service

from .checks import check_key
from .sources import SOURCE_TYPES, check_source

__all__ = ["MeasureService"]

_EDITABLE = ("label", "description", "source", "staleness_days", "locked")
#: The longest staleness period (a century).
MAX_STALENESS = 36_500


def _label(value: Any, key: str) -> str:
    label = key if value is None else value
    if not isinstance(label, str) or not label.strip() or len(label) > 200:
        raise RuleViolation("SCORE_01", "a measure label is non-blank text of at most 200 characters", value=value)
    return label.strip()


def _staleness(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_STALENESS):
        raise RuleViolation(
            "SCORE_03", f"staleness_days is None or a whole number from 0 to {MAX_STALENESS}", value=value
        )
    return value


def _description(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 10_000):
        raise RuleViolation("SCORE_01", "a description is text", value=value)
    return (value.strip() or None) if isinstance(value, str) else None


class MeasureService(Service[Measure]):
    """``kit.measures``: measures by key (a key is taken wherever a measure is)."""

    record_class = Measure
    named = True
    name_field = "key"

    def create(
        self,
        key: str,
        *,
        label: str | None = None,
        source: Mapping[str, Any] | None = None,
        description: str | None = None,
        staleness_days: int | None = None,
        locked: bool = False,
    ) -> Measure:
        """A new measure; ``source`` defaults to ``{"type": "manual"}`` (SCORE_02)."""
        key = check_key("SCORE_01", "a measure key", key)
        draft = self._new(
            key=key,
            label=_label(label, key),
            description=_description(description),
            staleness_days=_staleness(staleness_days),
            locked=flag("measure", "locked", locked),
        )
        with self.kit.store.exclusive("scorecards:definitions"), self.kit.transaction():
            self._check_new_name(key)
            checked = check_source(self.kit, {"type": "manual"} if source is None else source, draft)
            measure = attrs.evolve(draft, source=checked)
            self.kit.store.insert(measure)
        return measure

    def update(self, measure: Measure | str, **changes: Any) -> Measure:
        """Change a measure's label, description, source, staleness or lock; a new
        source is checked against the targets of the scorecards that use it."""
        check_names("measures have no editable field", changes, _EDITABLE)
        with self.kit.store.exclusive("scorecards:definitions"), self.kit.transaction():
            current = self._current(measure)
            values: dict[str, Any] = {}
            if "label" in changes:
                values["label"] = _label(changes["label"], current.key)
            if "description" in changes:
                values["description"] = _description(changes["description"])
            if "staleness_days" in changes:
                values["staleness_days"] = _staleness(changes["staleness_days"])
            if "locked" in changes:
                values["locked"] = flag("measure", "locked", changes["locked"])
            if "source" in changes:
                source = check_source(self.kit, changes["source"], current)
                for card in self._users(current.key):
                    SOURCE_TYPES[source["type"]].check_target(self.kit, source, card.target)
                values["source"] = source
            return self._save(current, values)

    def _users(self, key: str) -> list[Any]:
        return [c for c in self.kit.scorecards.list() if any(m["measure"] == key for m in c.measures)]

    def delete(self, measure: Measure | str) -> None:
        """Delete a measure no scorecard uses, with its manual entries and overrides (SCORE_01)."""
        with self.kit.store.exclusive("scorecards:definitions"), self.kit.transaction():
            current = self.get(measure)
            users = self._users(current.key)
            if users:
                raise RuleViolation(
                    "SCORE_01",
                    f"the measure is used by scorecard {users[0].key!r}; take it off first",
                    value=current.key,
                )
            for kind in ("measure_entry", "score_override"):
                found = list(self.kit.store.query(self.kit.bind(kind, Query([("measure", "=", current.key)]))))
                self.kit.store.delete_many(kind, [r.id for r in found])
            self.kit.store.delete(self.kind, current.id)
