"""``kit.layouts``: 360 layouts (C360_03), which sections a company or relationship
360 shows and in which order, per user group, condition or relationship type.

A layout applies to a view when every criterion it has holds: the acting user is
in one of its ``user_groups``; the relationship's type is one of its
``relationship_types``; the company or relationship matches its ``condition``
(the query language, checked and stored like a scorecard's, evaluated in Python
with the reference semantics on the record already read).  Of the layouts that
apply, the first by precedence wins:

1. layouts naming user groups (what a person's team needs comes first);
2. then layouts naming relationship types (relationship layouts only);
3. then layouts with only a condition;
4. then the target's default layout, else the built-in one (every section in the
   standard order).

Within one step the lower ``position`` wins, then the key.  A layout that is not
the default and has no criterion applies to nothing (a draft).  Choosing costs one
storage call: the target's layouts and the acting user, read together; a layout's
condition is bound only once its user groups and types hold.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from successkit.accounts.people import MAX_GROUPS, check_groups
from successkit.errors import NotFound, QueryError, RuleViolation, ValidationError, article
from successkit.health.checks import check_key
from successkit.health.conditions import bind_stored, stored_condition
from successkit.query.bind import Node, bind
from successkit.query.evaluate import matches
from successkit.query.language import Query
from successkit.records import Company, Relationship, User, ViewLayout
from successkit.records.checks import check_names
from successkit.service import Service

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["COMPANY_SECTIONS", "RELATIONSHIP_SECTIONS", "SECTIONS", "LayoutChoice", "LayoutService", "choose"]

#: The sections of a company 360, in the standard order (the built-in layout).
COMPANY_SECTIONS = (
    "summary", "attributes", "scorecard", "hierarchy", "relationships", "ctas", "plans", "goals", "people",
    "usage", "surveys", "sponsors", "timeline",
)  # fmt: skip
#: The sections of a relationship 360, in the standard order.
RELATIONSHIP_SECTIONS = (
    "summary", "attributes", "scorecard", "company", "ctas", "plans", "goals", "people",
    "usage", "surveys", "sponsors", "timeline",
)  # fmt: skip
#: The sections of each target kind.
SECTIONS: Mapping[str, tuple[str, ...]] = {"company": COMPANY_SECTIONS, "relationship": RELATIONSHIP_SECTIONS}
_EDITABLE = ("name", "target", "sections", "user_groups", "relationship_types", "where", "logic", "default", "position")
_MAX_POSITION = 1_000_000


@attrs.frozen
class LayoutChoice:
    """The layout a view shows (None: the built-in one), its sections in order, and why."""

    layout: ViewLayout | None
    sections: tuple[str, ...]
    reason: str


def _rule(message: str, value: Any) -> RuleViolation:
    return RuleViolation("C360_03", message, value=value)


def _target(value: Any) -> str:
    if not isinstance(value, str) or value not in SECTIONS:
        raise _rule(f"a 360 layout is for one of {', '.join(SECTIONS)}", value)
    return value


def _sections(target: str, value: Any) -> tuple[str, ...]:
    """The section names: a non-empty list of known names, each once."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence) or not value:
        raise _rule("a 360 layout's sections are a non-empty list of section names", value)
    known = SECTIONS[target]
    seen: list[str] = []
    for name in value:
        if not isinstance(name, str) or name not in known:
            raise _rule(f"{article(target)} 360 has no section {name!r}; known: {', '.join(known)}", name)
        if name in seen:
            raise _rule(f"section {name!r} is listed twice", name)
        seen.append(name)
    return tuple(seen)


def _position(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_POSITION:
        raise _rule(f"a layout's position is a whole number from 0 to {_MAX_POSITION}", value)
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise _rule("a layout name is non-blank text of at most 200 characters", value)
    return value.strip()


class LayoutService(Service[ViewLayout]):
    """``kit.layouts``: 360 layouts by key, and the layout a view shows (C360_03)."""

    record_class = ViewLayout
    named = True
    name_field = "key"

    def create(
        self,
        key: str,
        sections: Sequence[str],
        *,
        name: str | None = None,
        target: str = "company",
        user_groups: Sequence[str] = (),
        relationship_types: Sequence[Any] = (),
        where: Sequence[Any] | None = None,
        logic: str | None = None,
        default: bool = False,
        position: int = 0,
    ) -> ViewLayout:
        """A new 360 layout (C360_03): ``sections`` in display order; it applies to the
        acting user's ``user_groups``, to ``relationship_types`` (ids or names; a
        relationship layout only) and to records matching ``where``/``logic``, every
        criterion given at once.  ``default=True`` makes it the target's layout when no
        other applies (at most one per target; it takes no criterion).  Everything is
        checked before anything is written."""
        fields = {
            "name": name, "target": target, "sections": sections, "user_groups": user_groups,
            "relationship_types": relationship_types, "where": where, "logic": logic, "default": default,
            "position": position,
        }  # fmt: skip
        key = check_key("C360_03", "a layout key", key)
        _sections(_target(target), sections)  # what needs no read is refused before the transaction
        check_groups(user_groups, what="a layout's user groups")
        with self.kit.store.exclusive("layouts:definitions"), self.kit.transaction():
            checked = self._checked(key, fields)
            if self.count([("key", "=", key)]):
                raise _rule("a 360 layout with this key exists", key)
            layout = self._new(key=key, **checked)
            self._check_default(layout)
            self.kit.store.insert(layout)
        return layout

    def update(self, layout: ViewLayout | str, **changes: Any) -> ViewLayout:
        """Change any part of a layout but its key; the whole is checked again."""
        check_names("360 layouts have no editable field", changes, _EDITABLE)
        with self.kit.store.exclusive("layouts:definitions"), self.kit.transaction():
            current = self._current(layout)
            fields = {
                "name": current.name, "target": current.target, "sections": current.sections,
                "user_groups": current.user_groups, "relationship_types": current.relationship_types,
                "where": current.condition.get("where"), "logic": current.condition.get("logic"),
                "default": current.default, "position": current.position, **changes,
            }  # fmt: skip
            new = self._save(current, self._checked(current.key, fields))
            self._check_default(new)
        return new

    def delete(self, layout: ViewLayout | str) -> None:
        """Delete a layout; the views it chose show the next that applies."""
        with self.kit.store.exclusive("layouts:definitions"), self.kit.transaction():
            self.kit.store.delete(self.kind, self.get(layout).id)

    def _checked(self, key: str, f: Mapping[str, Any]) -> dict[str, Any]:
        target = _target(f["target"])
        default = f["default"]
        if not isinstance(default, bool):
            raise _rule("default is True or False", default)
        groups = check_groups(f["user_groups"], what="a layout's user groups")
        types = self._types(target, f["relationship_types"])
        condition = stored_condition(self.kit, target, f["where"], f["logic"], rule="C360_03", what="the condition")
        if default and (groups or types or condition):
            raise _rule(
                "the default layout shows where no other applies: it takes no user group, type or condition", key
            )
        return {
            "name": _name(key if f["name"] is None else f["name"]),
            "target": target,
            "sections": _sections(target, f["sections"]),
            "user_groups": groups,
            "relationship_types": types,
            "condition": condition,
            "default": default,
            "position": _position(f["position"]),
        }

    def _types(self, target: str, value: Any) -> tuple[str, ...]:
        """Relationship type ids, from ids, names or records; each must exist."""
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise _rule("relationship_types is a list of relationship types, their ids or names", value)
        if value and target != "relationship":
            raise _rule("only a relationship layout applies per relationship type", list(value))
        if len(value) > MAX_GROUPS:
            raise _rule(f"at most {MAX_GROUPS} relationship types", len(value))
        ids: list[str] = []
        for ref in value:
            try:
                found = self.kit.relationship_types.get(ref).id
            except (NotFound, ValidationError):
                raise _rule("no such relationship type", ref) from None
            if found in ids:
                raise _rule("a relationship type is named twice", ref)
            ids.append(found)
        return tuple(ids)

    def _check_default(self, layout: ViewLayout) -> None:
        if not layout.default:
            return
        where = [("target", "=", layout.target), ("default", "=", True), ("id", "!=", layout.id)]
        others = self.list(where, limit=1)
        if others:
            raise _rule(
                f"layout {others[0].key!r} is already the default {layout.target} layout; at most one is", layout.key
            )

    # ------------------------------------------------------------- choosing
    def layout_for(self, record: Company | Relationship | str, *, user: User | str | None = None) -> LayoutChoice:
        """The layout the 360 of ``record`` (a company or relationship, or its id) shows to
        ``user`` (by default the acting user), with its sections and why (C360_03)."""
        if isinstance(record, (Company, Relationship)):
            found: Company | Relationship = record
        else:
            ref = self.kit.companies.id_of(record)
            hits: builtins.list[Any] = self.kit.store.get_many("company", [ref])
            found = hits[0] if hits else self.kit.relationships.get(ref)
        user_id = self.kit.actor_id if user is None else self.kit.users.get(user).id
        return choose(self.kit, found, user_id)


def choose(kit: Kit, record: Company | Relationship, user_id: str | None) -> LayoutChoice:
    """The layout the 360 of ``record`` shows to ``user_id``, in one storage call."""
    target = record.__kind__
    now = kit.now()
    store = kit.store
    queries = [bind(Query([("target", "=", target)], sort=["position", "key"]), store.schema("view_layout"), {}, now)]
    if user_id is not None:
        queries.append(bind(Query([("id", "=", user_id)]), store.schema("user"), {}, now))
    found = store.query_many(queries)
    layouts: builtins.list[ViewLayout] = found[0]
    groups = set(found[1][0].groups) if len(found) > 1 and found[1] else set()
    type_id = record.type_id if isinstance(record, Relationship) else None
    ranked = sorted(
        ((step, lay) for lay in layouts if (step := _step(lay)) is not None),
        key=lambda c: (c[0], c[1].position, c[1].key),
    )
    for _, lay in ranked:  # the cheap criteria first: a condition is bound only when they hold
        if lay.user_groups and not groups.intersection(lay.user_groups):
            continue
        if lay.relationship_types and type_id not in lay.relationship_types:
            continue
        if lay.condition.get("where") and not matches(_where(kit, lay, now), record):
            continue
        return LayoutChoice(lay, lay.sections, _reason(lay))
    default = next((lay for lay in layouts if lay.default), None)
    if default is not None:
        return LayoutChoice(default, default.sections, "the default layout")
    return LayoutChoice(None, SECTIONS[target], "the built-in layout")


def _step(layout: ViewLayout) -> int | None:
    """A layout's precedence step (user groups 0, relationship types 1, a condition 2);
    None for the default and for a draft with no criterion."""
    if layout.default:
        return None
    if layout.user_groups:
        return 0
    if layout.relationship_types:
        return 1
    return 2 if layout.condition.get("where") else None


def _where(kit: Kit, layout: ViewLayout, now: datetime) -> Node | None:
    """A layout's stored condition, bound against its target kind."""
    try:
        return bind_stored(kit, layout.target, layout.condition, now).where
    except QueryError as e:
        raise _rule(f"the condition of layout {layout.key!r} no longer binds: {e.message}", e.value) from None


def _reason(layout: ViewLayout) -> str:
    parts = []
    if layout.user_groups:
        parts.append(f"user group {' or '.join(layout.user_groups)}")
    if layout.relationship_types:
        parts.append("relationship type")
    if layout.condition.get("where"):
        parts.append("condition")
    return f"layout {layout.key!r} by {', '.join(parts)}"
