"""``kit.statuses``: the status registry with the statuses an administrator or a
bundle stored (VAULT_05) beside those plugins register.

Plugins register statuses per process; stored statuses (:class:`StatusDefinition`
records) travel with the store, so a bundle can carry them.  The merged registry is
read once, as the kit opens (with the rest of the configuration), kept with the
configuration cache, and built again after a status is added or the configuration
is refreshed.  A stored status behaves like every status of its category (PLAN_04,
CTA_01): behaviour follows the category, never the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from successkit.errors import RuleViolation, ValidationError
from successkit.query.language import Query
from successkit.query.schema import schema_of
from successkit.records import StatusDefinition
from successkit.records.checks import require_text
from successkit.service import stamp

from .statuses import CATEGORIES, KINDS, Status, StatusRegistry

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["STATUS_RULES", "STORED", "StatusService"]

#: The rule each kind's status categories come from.
STATUS_RULES = {"plan": "PLAN_04", "objective": "CTA_01", "cta": "CTA_01", "task": "CTA_01", "goal": "GOAL_06"}
#: A stored status key: lower-case words, as status settings and rules write them.
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Where the merged registry is kept in the configuration cache, and where a kit that
#: opens puts the stored statuses it read with the rest of the configuration.
_CACHE = "statuses"
STORED = "status_definition"
_COPY: Callable[[StatusDefinition], StatusDefinition] = schema_of(StatusDefinition).copy


class StatusService:
    """Every status the kit knows, built-in, from plugins and stored; ``add`` stores one."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    # ------------------------------------------------------------------ the registry
    def _registry(self) -> StatusRegistry:
        cache = self.kit.shared_cache
        found: StatusRegistry | None = cache.get(_CACHE)
        if found is None:  # the rows a kit read as it opened, else read again (one read)
            rows = cache.pop(STORED, None)
            found = self.kit.registered_statuses.with_stored(self._stored() if rows is None else rows)
            cache[_CACHE] = found
        return found

    def _stored(self) -> list[StatusDefinition]:
        return list(self.kit.store.query(self.kit.bind(StatusDefinition.__kind__, Query(sort=["id"]))))

    def get(self, kind: str, key: str) -> Status:
        """The status ``key`` of ``kind``; unknown statuses are an error listing the known ones."""
        return self._registry().get(kind, key)

    def of(self, kind: str) -> list[Status]:
        """The statuses of a kind: registered ones first, then stored ones in their order."""
        return self._registry().of(_kind(kind))

    def in_category(self, kind: str, *categories: str) -> list[str]:
        """Keys of the statuses of ``kind`` in any of ``categories``."""
        return self._registry().in_category(_kind(kind), *categories)

    def default(self, kind: str) -> Status:
        """The first status of the kind's first category (draft / open)."""
        return self._registry().default(_kind(kind))

    def __iter__(self) -> Iterator[Status]:
        return iter(self._registry())

    # ------------------------------------------------------------------ stored statuses
    def stored(self, kind: str | None = None, *, include_inactive: bool = False) -> list[StatusDefinition]:
        """The stored statuses (of ``kind``), by kind and order: the caller's own copies."""
        if kind is not None:
            _kind(kind)
        rows = sorted(self._stored(), key=lambda s: (s.record_kind, s.order, s.key))
        return [_COPY(s) for s in rows if (kind is None or s.record_kind == kind) and (include_inactive or s.active)]

    def check(self, kind: Any, key: Any, name: Any, category: Any, order: Any = None) -> dict[str, Any]:
        """The fields of a new stored status, checked as :meth:`add` checks them,
        writing nothing (a bundle checks its statuses before it deploys anything).

        The kind is one of plan, objective, cta, task, goal; the category one of
        the kind's (PLAN_04, CTA_01); a key a registered status of another
        category holds is refused: the same key would behave two ways."""
        kind = _kind(kind)
        rule = STATUS_RULES[kind]
        if not isinstance(category, str) or category not in CATEGORIES[kind]:
            raise RuleViolation(
                rule, f"a {kind} status category is one of {', '.join(CATEGORIES[kind])}", value=category
            )
        if not isinstance(key, str) or not _KEY.match(key.strip()):
            raise ValidationError(
                "a status key is 1 to 40 lower-case letters, digits or underscores, starting with a letter",
                rule="SEC_05",
                value=key,
            )
        key = key.strip()
        registered = {s.key: s for s in self.kit.registered_statuses.of(kind)}
        if key in registered and registered[key].category != category:
            raise RuleViolation(
                rule,
                f"{kind} status {key!r} is registered with category {registered[key].category!r}; "
                f"a status key has one category",
                value=key,
            )
        if order is not None and (isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 10_000):
            raise ValidationError("a status order is a whole number from 0 to 10000", rule="SEC_05", value=order)
        return {"record_kind": kind, "key": key, "name": require_text("status", "name", name), "category": category}

    def add(self, kind: str, key: str, name: str, *, category: str, order: int | None = None) -> StatusDefinition:
        """Store a status of ``kind`` (VAULT_05): ``key`` is what records hold,
        ``name`` what people read, ``category`` what it does (a ``closed_success``
        CTA status closes the CTA, sets ``closed_at``...).  ``order`` places it among
        the stored statuses of its kind (default: last).  A key the kind knows
        already, registered or stored, is refused."""
        values = self.check(kind, key, name, category, order)
        kind, key = values["record_kind"], values["key"]
        with self.kit.transaction():
            stored = [s for s in self._stored() if s.record_kind == kind]
            registered = {s.key for s in self.kit.registered_statuses.of(kind)}
            if key in registered or any(s.key == key for s in stored):
                raise ValidationError(f"{kind} status {key!r} exists", rule="SEC_05", value=key)
            record = StatusDefinition(**stamp(self.kit), **values, order=len(stored) if order is None else order)
            self.kit.store.insert(record)
            self._drop()  # the next read merges the new status
        self.kit.after_commit(self._drop)  # and one another thread built meanwhile
        return _COPY(record)

    def _drop(self) -> None:
        self.kit.shared_cache.pop(_CACHE, None)
        self.kit.shared_cache.pop(STORED, None)


def _kind(kind: Any) -> str:
    if not isinstance(kind, str) or kind not in CATEGORIES:
        raise ValidationError(f"a status kind is one of {', '.join(KINDS)}", rule="SEC_05", value=kind)
    return kind
