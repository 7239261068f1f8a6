"""The status registry: every status of every kind, mapped to a category.

Behaviour follows the category, never the status key, so a plugin status such
as a plan's "On hold" (category ``active``) or a CTA's "Won" (category
``closed_success``) behaves exactly like the built-in statuses of its category
(PLAN_04, CTA_01).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import attrs

from successkit.errors import ValidationError, article

__all__ = ["CATEGORIES", "KINDS", "Status", "StatusRegistrar", "StatusRegistry"]

#: The categories each status kind may use.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "plan": ("draft", "active", "closed"),
    "objective": ("open", "closed_success", "closed_lost"),
    "cta": ("open", "closed_success", "closed_lost"),
    "task": ("open", "closed_success", "closed_lost"),
    "goal": ("open", "closed_success", "closed_lost"),
}
KINDS = tuple(CATEGORIES)
_CLOSED = frozenset({"closed", "closed_success", "closed_lost"})


@attrs.frozen
class Status:
    """One status of one kind."""

    kind: str
    key: str
    label: str
    category: str

    @property
    def is_closed(self) -> bool:
        """Whether the category is a closed one (closed, closed_success, closed_lost)."""
        return self.category in _CLOSED


class StatusRegistrar(Protocol):
    """What the ``successkit_register_statuses`` hook is handed."""

    def __call__(self, kind: str, key: str, label: str, category: str) -> None: ...


class StatusRegistry:
    """All statuses known to a kit, in registration order per kind."""

    def __init__(self) -> None:
        self._by_kind: dict[str, dict[str, Status]] = {k: {} for k in KINDS}

    def register(self, kind: str, key: str, label: str, category: str) -> None:
        """Add a status; an unknown kind or category, or a taken key, is an error."""
        if kind not in CATEGORIES:
            raise ValidationError(f"unknown status kind; known: {', '.join(KINDS)}", value=kind)
        if category not in CATEGORIES[kind]:
            raise ValidationError(
                f"{article(kind)} status category is one of {', '.join(CATEGORIES[kind])}", value=category
            )
        if not key or not isinstance(key, str):
            raise ValidationError("a status key is a non-empty string", value=key)
        if key in self._by_kind[kind]:
            raise ValidationError(f"{kind} status {key!r} is registered twice", value=key)
        self._by_kind[kind][key] = Status(kind, key, label, category)

    def get(self, kind: str, key: str) -> Status:
        """The status ``key`` of ``kind``; unknown statuses are an error listing the known ones."""
        try:
            return self._by_kind[kind][key]
        except (KeyError, TypeError):  # TypeError: an unhashable kind or key names no status
            known = ", ".join(self._by_kind.get(kind, {})) if isinstance(kind, str) else ""
            raise ValidationError(f"unknown {kind} status; known: {known}", value=key) from None

    def of(self, kind: str) -> list[Status]:
        """The statuses of a kind, in registration order."""
        return list(self._by_kind[kind].values())

    def in_category(self, kind: str, *categories: str) -> list[str]:
        """Keys of the statuses of ``kind`` in any of ``categories``."""
        return [s.key for s in self._by_kind[kind].values() if s.category in categories]

    def default(self, kind: str) -> Status:
        """The first status registered in the kind's first category (draft / open)."""
        first = CATEGORIES[kind][0]
        for s in self._by_kind[kind].values():
            if s.category == first:
                return s
        raise ValidationError(f"no {first} status is registered for {kind}", value=kind)

    def with_stored(self, stored: Iterable[Any]) -> StatusRegistry:
        """These statuses and, after them, the stored ones (records with ``record_kind``,
        ``key``, ``name``, ``category``, ``order`` and ``active``: VAULT_05), in
        ``order`` per kind.  A registered status of the same key wins, as a plugin's
        activity type does; a stored one whose kind or category the registry does
        not know, or an inactive one, is left out."""
        out = StatusRegistry()
        for status in self:
            out.register(status.kind, status.key, status.label, status.category)
        for s in sorted(stored, key=lambda s: (s.record_kind, s.order, s.key)):
            kind = s.record_kind
            if kind in CATEGORIES and s.active and s.category in CATEGORIES[kind] and s.key not in out.keys(kind):
                out.register(kind, s.key, s.name, s.category)
        return out

    def keys(self, kind: str) -> list[str]:
        """The status keys of a kind, in registration order."""
        return list(self._by_kind[kind])

    def __iter__(self) -> Iterator[Status]:
        for statuses in self._by_kind.values():
            yield from statuses.values()
