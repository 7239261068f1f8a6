"""Configuration an administrator sets up: plan types, CTA types, priorities,
reasons, objective categories and settings.

Defaults come from plugins (``successkit_register_defaults``) and are seeded
into a store the first time a kit opens it, with stable ids, so every process
sees the same records.  Lookups are cached per kit; :meth:`ConfigService.refresh`
drops the cache when another process changed the configuration.  The cache is
never handed out: every record a caller gets is its own copy (SEC_06).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import ConflictError, NotFound, RuleViolation, ValidationError
from successkit.plugins.builtin_config import (
    CLOSED_STATUS,
    FLAG,
    NOTIFICATION_CHOICES,
    NOTIFICATION_DEFAULT_PREFIX,
    SETTING_KINDS,
)
from successkit.query.language import Query
from successkit.query.schema import schema_of
from successkit.records import CONFIG_CATEGORIES, ConfigItem, PlanType, Record, Setting
from successkit.records.checks import check_names, flag, require_text, text_list

from .statuses import CATEGORIES

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["SEED_KINDS", "ConfigService"]

#: The kinds plugins seed defaults of (and the configuration a kit caches).
SEED_KINDS: dict[str, type[Record]] = {"plan_type": PlanType, "config_item": ConfigItem, "setting": Setting}


#: What a plan type's administrator may set (the key is its identity and stays).
_PLAN_TYPE_FIELDS = (
    "name",
    "statuses",
    "sharing_enabled",
    "objective_type",
    "objective_priority",
    "objective_category",
    "objective_status",
    "objective_due_days",
    "active",
)
#: Copy a cached record for a caller (SEC_06).
_PLAN_TYPE_COPY: Callable[[PlanType], PlanType] = schema_of(PlanType).copy
_ITEM_COPY: Callable[[ConfigItem], ConfigItem] = schema_of(ConfigItem).copy
#: The longest default objective duration: about a century.
_MAX_DAYS = 36_500


def _text(kind: str, field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{kind} {field} must be text", rule="SEC_05", value=value)
    return value


def _status_kind(kind: Any) -> str:
    """A kind that has statuses (plan, objective, task, cta, goal)."""
    if not isinstance(kind, str) or kind not in CATEGORIES:
        raise ValidationError(f"a status kind is one of {', '.join(CATEGORIES)}", rule="SEC_05", value=kind)
    return kind


def _category(category: Any) -> str:
    """A configuration category (cta_type, priority, reason, objective_category)."""
    if not isinstance(category, str) or category not in CONFIG_CATEGORIES:
        raise ValidationError(
            f"a configuration category is one of {', '.join(CONFIG_CATEGORIES)}", rule="SEC_05", value=category
        )
    return category


def _default_pairs(defaults: Any) -> list[tuple[str, dict[str, Any]]]:
    """Defaults as plugins register them: a list of (kind, field values) pairs, each with its key."""
    if defaults is None:
        return []
    if isinstance(defaults, (str, bytes, Mapping)) or not isinstance(defaults, (list, tuple)):
        raise ValidationError("defaults are a list of (kind, values) pairs", rule="SEC_05", value=defaults)
    out = []
    for pair in defaults:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[1], Mapping)):
            raise ValidationError("a default is a (kind, values) pair", rule="SEC_05", value=pair)
        kind, values = pair
        if kind not in SEED_KINDS:
            raise ValidationError(f"a default is one of {', '.join(SEED_KINDS)}", value=kind)
        for needed in ("category", "key") if kind == "config_item" else ("key",):
            if not isinstance(values.get(needed), str):
                raise ValidationError(f"a default {kind} needs a text {needed}", rule="SEC_05", value=values)
        if kind == "config_item":
            _category(values["category"])
        out.append((kind, dict(values)))
    return out


def _natural_key(kind: str, values: Mapping[str, Any]) -> str:
    return f"{values['category']}:{values['key']}" if kind == "config_item" else str(values["key"])


class ConfigService:
    """``kit.config``: lookups and settings, with defaults from plugins."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    @property
    def _cache(self) -> dict[str, Any]:
        return self.kit.shared_cache

    def refresh(self) -> None:
        """Forget cached configuration (after another process changed it)."""
        self._cache.clear()

    # ------------------------------------------------------------------ seeding
    def seed(self, defaults: list[tuple[str, dict[str, Any]]], *, stored: Mapping[str, list[Any]] | None = None) -> int:
        """Insert the defaults the store does not hold yet; returns how many.
        ``stored`` is every record of the :data:`SEED_KINDS` as just read (a kit
        reads them with the rest of what it needs on opening, in one call);
        without it they are read here.  What was read fills the cache."""
        defaults = _default_pairs(defaults)
        stored = _stored_configuration(stored) if stored is not None else {k: self._all(k) for k in SEED_KINDS}
        now = self.kit.now()
        records = []
        existing = {kind: {_natural_key(kind, attrs.asdict(r)) for r in stored[kind]} for kind in SEED_KINDS}
        for kind, values in defaults:
            cls = SEED_KINDS[kind]
            natural = _natural_key(kind, values)
            if kind == "setting":  # checked even when stored already: a bad default is a clear error
                self._setting_value(natural, values.get("value"))
            if natural in existing[kind]:
                continue
            existing[kind].add(natural)
            try:
                records.append(cls(id=f"default:{kind}:{natural}", created_at=now, updated_at=now, **values))
            except TypeError as e:
                raise ValidationError(f"bad fields for a default {kind}: {e}", rule="SEC_05", value=values) from None
        self.refresh()
        if records:
            with suppress(ConflictError):  # another process seeded at the same moment
                self.kit.store.insert_many(records)
            return len(records)
        for kind, rows in stored.items():
            self._fill(kind, rows)
        return 0

    def _all(self, kind: str) -> list[Any]:
        return list(self.kit.store.query(self.kit.bind(kind, Query(sort=["id"]))))

    def _fill(self, kind: str, rows: list[Any]) -> Any:
        """Cache every stored record of a configuration kind, in the shape its lookups read."""
        cached: Any
        if kind == "plan_type":
            cached = sorted(rows, key=lambda t: t.name)
        elif kind == "config_item":
            cached = sorted(rows, key=lambda i: (i.order, i.key))
        else:
            cached = {s.key: s for s in rows}
        self._cache[kind] = cached
        return cached

    # --------------------------------------------------------------- plan types
    def _plan_types(self) -> list[PlanType]:
        """The cached plan types, by name: shared, never handed out (SEC_06)."""
        cached = self._cache.get("plan_type")
        if cached is None:
            cached = self._fill("plan_type", self._all("plan_type"))
        return list(cached)

    def plan_types(self, *, include_inactive: bool = False) -> list[PlanType]:
        """Plan types by name (the caller's own copies)."""
        include_inactive = flag("plan types", "include_inactive", include_inactive)
        copy = _PLAN_TYPE_COPY
        return [copy(t) for t in self._plan_types() if include_inactive or t.active]

    def plan_type(self, key: Any) -> PlanType:
        """The active plan type with this key (a PlanType record is accepted too)."""
        if isinstance(key, PlanType):
            key = key.key
        for t in self._plan_types():
            if t.key == key and t.active:
                return _PLAN_TYPE_COPY(t)
        known = ", ".join(t.key for t in self._plan_types() if t.active)
        raise ValidationError(f"unknown plan type; known: {known}", value=key)

    def define_plan_type(self, key: str, name: str, **values: Any) -> PlanType:
        """Add a plan type (administrators)."""
        key = require_text("plan type", "key", key)
        with self.kit.transaction():
            if any(t.key == key for t in self._plan_types()):
                raise ValidationError("a plan type with this key exists", value=key)
            now = self.kit.now()
            record = PlanType(
                key=key,
                created_at=now,
                updated_at=now,
                created_by=self.kit.actor_id,
                **self._plan_type_values({"name": name, **values}),
            )
            self.kit.store.insert(record)
        self.refresh()
        return record

    def update_plan_type(self, key: str, **changes: Any) -> PlanType:
        """Change a plan type (for example enable sharing, SHARE_01); checked exactly
        like a new one, so a change can never leave a plan type that breaks its plans."""
        with self.kit.transaction():
            current = next((t for t in self._plan_types() if t.key == key), None)
            if current is None:
                raise NotFound("plan_type", key)
            new = attrs.evolve(
                current, **self._plan_type_values(changes), version=current.version + 1, updated_at=self.kit.now()
            )
            self.kit.store.update(new, current.version)
        self.refresh()
        return new

    def check_plan_type(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A plan type's fields checked as ``define_plan_type`` checks them, writing
        nothing (a bundle checks its plan types before it deploys anything)."""
        if not isinstance(values, Mapping):
            raise ValidationError("a plan type's fields are a mapping", rule="SEC_05", value=values)
        return self._plan_type_values(values)

    def _plan_type_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The checked editable fields of a plan type (SEC_05): one check for define and update."""
        check_names("plan types have no editable field", values, _PLAN_TYPE_FIELDS)
        out = dict(values)
        if "name" in out:
            out["name"] = require_text("plan type", "name", out["name"])
        if "statuses" in out:
            out["statuses"] = text_list("plan type", "statuses", out["statuses"])
            for status in out["statuses"]:
                self.kit.statuses.get("plan", status)
        for field, category in (
            ("objective_type", "cta_type"),
            ("objective_priority", "priority"),
            ("objective_category", "objective_category"),
        ):
            if out.get(field) is not None:
                self.check(category, _text("plan type", field, out[field]), what=field.replace("_", " "))
        if out.get("objective_status") is not None:
            self.kit.statuses.get("objective", _text("plan type", "objective_status", out["objective_status"]))
        days = out.get("objective_due_days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= _MAX_DAYS):
            raise ValidationError(
                f"plan type objective_due_days must be a whole number from 0 to {_MAX_DAYS}", rule="SEC_05", value=days
            )
        for switch in ("sharing_enabled", "active"):
            if switch in out:
                flag("plan type", switch, out[switch])
        return out

    # --------------------------------------------------------------- lookups
    def items(self, category: str, *, include_inactive: bool = False) -> list[ConfigItem]:
        """The choices of a category (cta_type, priority, reason, objective_category), in order
        (the caller's own copies)."""
        include_inactive = flag("configuration items", "include_inactive", include_inactive)
        copy = _ITEM_COPY
        return [copy(i) for i in self._items(category, include_inactive=include_inactive)]

    def _items(self, category: str, *, include_inactive: bool = False) -> list[ConfigItem]:
        """The cached choices of a category: shared, never handed out (SEC_06)."""
        _category(category)
        cached = self._cache.get("config_item")
        if cached is None:
            cached = self._fill("config_item", self._all("config_item"))
        return [i for i in cached if i.category == category and (include_inactive or i.active)]

    def add_item(self, category: str, key: str, name: str, *, order: int | None = None) -> ConfigItem:
        """Add a CTA type, priority, reason or objective category."""
        items = self._items(category, include_inactive=True)
        key = require_text(category, "key", key)
        if any(i.key == key for i in items):
            raise ValidationError(f"{category} {key!r} exists", value=key)
        now = self.kit.now()
        item = ConfigItem(
            category=category,
            key=key,
            name=require_text(category, "name", name),
            order=len(items) if order is None else order,
            created_at=now,
            updated_at=now,
            created_by=self.kit.actor_id,
        )
        self.kit.store.insert(item)
        self.refresh()
        return item

    def check(self, category: str, key: str | None, *, what: str | None = None) -> str | None:
        """``key`` if it is an active choice of ``category`` (None passes through)."""
        if key is None:
            return None
        keys = [i.key for i in self._items(category)]
        if key not in keys:
            raise ValidationError(f"unknown {what or category.replace('_', ' ')}; known: {', '.join(keys)}", value=key)
        return key

    # --------------------------------------------------------------- settings
    def setting(self, key: str) -> str | None:
        """A setting's value, or None when it is not set."""
        key = require_text("setting", "key", key)
        cached = self._cache.get("setting")
        if cached is None:
            cached = self._fill("setting", self._all("setting"))
        found = cached.get(key)
        return None if found is None else found.value

    def settings(self, prefix: str = "") -> dict[str, str | None]:
        """Every stored setting whose key starts with ``prefix``, with its value."""
        prefix = _text("setting", "prefix", prefix)
        cached = self._cache.get("setting")
        if cached is None:
            cached = self._fill("setting", self._all("setting"))
        return {k: s.value for k, s in sorted(cached.items()) if k.startswith(prefix)}

    def set_setting(self, key: str, value: str | None) -> None:
        """Set a setting; a known setting's value is checked against its kind (SEC_05):
        switches are ``"true"`` or ``"false"``, status settings name a status."""
        key = require_text("setting", "key", key)
        value = self._setting_value(key, value)
        self.setting(key)  # fill the cache
        current = self._cache["setting"].get(key)
        now = self.kit.now()
        if current is None:
            self.kit.store.insert(
                Setting(key=key, value=value, created_at=now, updated_at=now, created_by=self.kit.actor_id)
            )
        else:
            self.kit.store.update(
                attrs.evolve(current, value=value, version=current.version + 1, updated_at=now), current.version
            )
        self.refresh()

    def _setting_value(self, key: str, value: Any) -> Any:
        """``value`` checked against what setting ``key`` holds (SETTING_KINDS)."""
        if value is not None:
            _text("setting", "value", value)
        kind = SETTING_KINDS.get(key)
        if key.startswith(NOTIFICATION_DEFAULT_PREFIX) and value not in (None, *NOTIFICATION_CHOICES):
            choices = ", ".join(NOTIFICATION_CHOICES)
            raise ValidationError(f"setting {key!r} is one of {choices}", rule="NOTIF_05", value=value)
        if kind is None and key.endswith((".default_status", ".close_status")):
            raise ValidationError("a status setting names a status kind and a status", rule="SEC_05", value=key)
        if kind == FLAG:
            if value not in (None, "true", "false"):
                raise ValidationError(f"setting {key!r} is 'true' or 'false'", rule="SEC_05", value=value)
        elif kind is not None:
            if value is None:
                raise ValidationError(f"setting {key!r} names a status", rule="SEC_05", value=key)
            try:
                status = self.kit.statuses.get(key.split(".", 1)[0], value)
            except ValidationError as e:
                raise ValidationError(f"setting {key!r}: {e.message}", rule="SEC_05", value=value) from None
            wanted_closed = kind == CLOSED_STATUS
            if status.is_closed != wanted_closed:
                rule = "CLONE_08" if not wanted_closed else "PLAN_05"
                raise RuleViolation(
                    rule, f"{key} must be a {'closed' if wanted_closed else 'open'} status", value=value
                )
        return value

    def default_status(self, kind: str) -> str:
        """The configured default open status of a kind (objective, task, cta)."""
        key = self.setting(f"{_status_kind(kind)}.default_status")
        return key if key is not None else self.kit.statuses.default(kind).key

    def close_status(self, kind: str) -> str:
        """The status open items of a kind get when their plan closes (PLAN_05)."""
        key = self.setting(f"{_status_kind(kind)}.close_status")
        if key is not None:
            return key
        closed = self.kit.statuses.in_category(kind, "closed_lost", "closed_success", "closed")
        if not closed:
            raise ValidationError(f"no closed status is registered for {kind}", value=kind)
        return closed[0]


def _stored_configuration(stored: Any) -> dict[str, list[Any]]:
    """``seed``'s ``stored``: for every seeded kind, a list of its records (SEC_05)."""
    if not isinstance(stored, Mapping) or set(stored) != set(SEED_KINDS):
        kinds = ", ".join(SEED_KINDS)
        raise ValidationError(f"stored maps each of {kinds} to its records", rule="SEC_05", value=stored)
    out: dict[str, list[Any]] = {}
    for kind, cls in SEED_KINDS.items():
        rows = stored[kind]
        if not isinstance(rows, (list, tuple)) or not all(isinstance(r, cls) for r in rows):
            raise ValidationError(f"stored {kind} records are a list of {cls.__name__}", rule="SEC_05", value=rows)
        out[kind] = list(rows)
    return out
