"""Companies and their hierarchy (HIER_01, HIER_02); relationship types and
relationships (REL_01-REL_03).

The hierarchy is stored as ``parent_id`` alone.  Because a chain is at most
five levels deep, ancestors cost at most four reads and a subtree at most four
queries (one per level), whatever the number of companies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.automation.events import report
from successkit.errors import NotFound, RuleViolation, ValidationError, named
from successkit.health.values import delete_scores_of
from successkit.query.language import Query
from successkit.records import Company, Relationship, RelationshipType
from successkit.records.checks import as_list, check_attributes, check_options, field_changes, require_text
from successkit.service import Service, evolve
from successkit.signals.history import record_changes, saved_with_history
from successkit.views.record_list import RecordList

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["MAX_LEVELS", "CompanyService", "RelationshipService", "RelationshipTypeService", "TreeNode"]

#: A root and four levels of descendants (HIER_01).
MAX_LEVELS = 5

_COMPANY_ATTRS = {
    "stage": str, "status": str, "csm_id": str, "renewal_date": date, "industry": str,
    "arr": float, "health_score": float, "nps": float, "external_id": str,
}  # fmt: skip


@attrs.frozen
class TreeNode:
    """A company with its children, for printing or walking a hierarchy."""

    company: Company
    children: tuple[TreeNode, ...] = ()

    def lines(self, indent: str = "") -> list[str]:
        """The subtree as indented text lines, one company a line."""
        out = [f"{indent}{self.company.name}"]
        for child in self.children:
            out.extend(child.lines(indent + "  "))
        return out


class CompanyService(Service[Company]):
    """``kit.companies``: customer accounts and their parent/child hierarchy."""

    record_class = Company

    def create(
        self,
        name: str,
        *,
        parent: Company | str | None = None,
        fields: Mapping[str, Any] | None = None,
        **attributes: Any,
    ) -> Company:
        """A new company, optionally under ``parent`` (HIER_01 applies)."""
        values = check_attributes(self.kind, attributes, _COMPANY_ATTRS)
        self._check_csm(values.get("csm_id"))
        parent_id = None
        with self.kit.transaction():
            if parent is not None:
                parent_id = self.id_of(parent)
                if len(self.ancestors(parent_id)) + 2 > MAX_LEVELS:
                    raise RuleViolation(
                        "HIER_01",
                        f"a hierarchy is at most {MAX_LEVELS} levels deep; the parent, "
                        f"{named(self.get(parent_id))}, is already on the last level",
                        value=parent_id,
                    )
            company = self._new(
                name=require_text(self.kind, "name", name),
                parent_id=parent_id,
                fields=self.kit.custom_fields.check(self.kind, fields),
                **values,
            )
            if company.external_id is not None:
                self._check_external_id_free(company.external_id)
            self.kit.store.insert(company)
            self.kit.notifications.csm_assigned([(None, company)])  # NOTIF_05
            report(self.kit, created=[company])  # AUTO_01
        return company

    def ensure(
        self,
        name: str,
        *,
        external_id: str,
        parent: Company | str | None = None,
        fields: Mapping[str, Any] | None = None,
        **attributes: Any,
    ) -> Company:
        """The company with this ``external_id`` (the host's own key), created as
        :meth:`create` would when there is none.  An existing one is returned
        unchanged if the name and the values given match it, and refused, naming
        the field, if one differs: ensure never updates."""
        key = require_text(self.kind, "external_id", external_id)
        check_options("company ensure", self.create, attributes, given=("name", "parent", "fields", "external_id"))
        with self.kit.transaction():
            found = self.list([("external_id", "=", key)], limit=1)
            return self._ensured(
                found[0] if found else None,
                "external_id",
                {"name": name, "parent": parent, "fields": fields, **attributes},
                lambda: self.create(name, parent=parent, fields=fields, external_id=key, **attributes),
            )

    def _check_external_id_free(self, external_id: str) -> None:
        """Refuse an external id another company holds, naming it (the store's unique index backs this)."""
        taken = self.list([("external_id", "=", external_id)], limit=1)
        if taken:
            raise ValidationError(
                f"the external id {external_id!r} belongs to {named(taken[0])} already "
                "(kit.companies.ensure(name, external_id=...) returns it)",
                value=external_id,
            )

    def create_many(self, rows: Iterable[Mapping[str, Any]]) -> list[Company]:
        """Create many companies in one transaction and one bulk insert.

        Each row holds ``name``, optionally ``parent`` (an existing company or
        id), ``fields`` and attributes.  The parents' depth is checked with at
        most four batched reads, whatever the number of rows (HIER_01).
        """
        kind = self.kind
        check_fields = self.kit.custom_fields.check
        stamp = self._stamp()  # one timestamp object for all: the codec dumps it once
        records: list[Company] = []
        add = records.append
        parents: set[str] = set()
        for row in as_list(self.kind, "rows", rows):
            if not isinstance(row, Mapping):
                raise ValidationError("each row of create_many is a mapping of company fields", value=row)
            values = dict(row)
            name = require_text(kind, "name", values.pop("name", None))
            parent = values.pop("parent", None)
            fields = check_fields(kind, values.pop("fields", None))
            kwargs = check_attributes(kind, values, _COMPANY_ATTRS)  # the record's keyword arguments
            parent_id = None if parent is None else self.id_of(parent)
            if parent_id is not None:
                parents.add(parent_id)
            kwargs.update(stamp, name=name, parent_id=parent_id, fields=fields)
            add(Company(**kwargs))
        with self.kit.transaction():
            self._check_parent_levels(parents)
            csms = {r.csm_id for r in records if r.csm_id is not None}
            found = {u.id for u in self.kit.users.get_many(sorted(csms))}
            if csms - found:
                raise ValidationError("csm_id names no user", value=sorted(csms - found)[0])
            self.kit.store.insert_many(records)
            self.kit.notifications.csm_assigned([(None, r) for r in records if r.csm_id is not None])  # NOTIF_05
            report(self.kit, created=records)  # AUTO_01
        return records

    def _check_parent_levels(self, parent_ids: set[str]) -> None:
        """Every parent exists and has room for a child level (batched reads)."""
        chains = [(pid, pid) for pid in parent_ids]  # (current head, parent it started from)
        depth = dict.fromkeys(parent_ids, 1)
        first = True
        while chains:
            heads = sorted({head for head, _ in chains})
            found = {c.id: c for c in self.get_many(heads)}
            if first and len(found) < len(heads):
                raise ValidationError("parent names no company", value=sorted(set(heads) - set(found))[0])
            first = False
            nxt = []
            for head, start in chains:
                c = found.get(head)
                if c is not None and c.parent_id is not None:
                    depth[start] += 1
                    nxt.append((c.parent_id, start))
            chains = nxt
        for pid, d in depth.items():
            if d + 1 > MAX_LEVELS:
                raise RuleViolation(
                    "HIER_01",
                    f"a hierarchy is at most {MAX_LEVELS} levels deep; the parent is already on the last level",
                    value=pid,
                )

    def _save(self, record: Company, changes: Mapping[str, Any]) -> Company:
        """Store the change and, in the same transaction, the history of its tracked attributes (HIST_01)."""
        return saved_with_history(self.kit, record, changes)

    def update(self, company: Company | str, *, fields: Mapping[str, Any] | None = None, **attributes: Any) -> Company:
        """Change attributes (not the parent: use :meth:`set_parent`)."""
        changes: dict[str, Any] = check_attributes(self.kind, attributes, {**_COMPANY_ATTRS, "name": str})
        if "name" in changes:
            changes["name"] = require_text(self.kind, "name", changes["name"])
        self._check_csm(changes.get("csm_id"))
        with self.kit.transaction():
            current = self._current(company)
            if fields is not None:
                changes["fields"] = self.kit.custom_fields.check(self.kind, {**current.fields, **field_changes(fields)})
            new = self._save(current, changes)
            self.kit.notifications.csm_assigned([(current, new)])  # NOTIF_05
        return new

    def update_many(self, changes: Iterable[tuple[Company | str, Mapping[str, Any]]]) -> list[Company]:
        """Change many companies in one transaction: each (company or id, changes) pair as
        :meth:`update` takes them (``fields`` merged into the current ones).  A company given
        as a record must be current (STORE_04); one read for the ids, one for the CSMs, one
        bulk update and one bulk insert of the history (HIST_01), however many."""
        pairs = as_list(self.kind, "changes", changes)
        allowed = {**_COMPANY_ATTRS, "name": str}
        checked: list[tuple[Company | str, dict[str, Any], Any]] = []
        for pair in pairs:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[1], Mapping)):
                raise ValidationError("update_many takes (company, changes) pairs", rule="SEC_05", value=pair)
            values = dict(pair[1])
            fields = values.pop("fields", None)
            change = check_attributes(self.kind, values, allowed)
            if "name" in change:
                change["name"] = require_text(self.kind, "name", change["name"])
            checked.append((pair[0], change, None if fields is None else field_changes(fields)))
        with self.kit.transaction():
            csms = sorted({c["csm_id"] for _, c, _ in checked if c.get("csm_id") is not None})
            found = {u.id for u in self.kit.users.get_many(csms)}
            if set(csms) - found:
                raise ValidationError("csm_id names no user", value=sorted(set(csms) - found)[0])
            ids = [self.id_of(ref) for ref, _, _ in checked]
            stored = {c.id: c for c in self.kit.store.get_many(self.kind, ids)}
            updates, befores = [], []
            for (ref, change, fields), cid in zip(checked, ids, strict=True):
                current = ref if isinstance(ref, Company) else stored.get(cid)
                if current is None:
                    raise NotFound(self.kind, cid)
                if fields is not None:
                    change["fields"] = self.kit.custom_fields.check(self.kind, {**current.fields, **fields})
                updates.append((evolve(self.kit, current, **change), current.version))
                befores.append(current)
            self.kit.store.update_many(updates)
            record_changes(self.kit, [(b, u) for b, (u, _) in zip(befores, updates, strict=True)])
            self.kit.notifications.csm_assigned([(b, u) for b, (u, _) in zip(befores, updates, strict=True)])
        return [u for u, _ in updates]

    def set_parent(self, company: Company | str, parent: Company | str | None) -> Company:
        """Move a company (and its subtree) under ``parent``, or make it a root.

        Refused (HIER_01) when the move would make a cycle or a chain deeper
        than five levels; nothing is changed then.
        """
        with self.kit.transaction():
            current = self._current(company)
            parent_id = None if parent is None else self.id_of(parent)
            if parent_id is not None:
                chain = self.ancestors(parent_id)  # also proves the parent exists
                if parent_id == current.id or any(a.id == current.id for a in chain):
                    raise RuleViolation(
                        "HIER_01",
                        f"the link would make a cycle: the new parent, {named(self.get(parent_id))}, is "
                        f"{named(current)} itself or one of its descendants",
                        value=parent_id,
                    )
                height = self._height(current)
                if len(chain) + 1 + height > MAX_LEVELS:
                    raise RuleViolation(
                        "HIER_01",
                        f"moving {named(current)} under {named(self.get(parent_id))} would make the hierarchy "
                        f"{len(chain) + 1 + height} levels deep; at most {MAX_LEVELS} are allowed",
                        value=parent_id,
                    )
            return self._save(current, {"parent_id": parent_id})

    def ancestors(self, company: Company | str) -> list[Company]:
        """The chain of parents, root first (at most four reads, HIER_02)."""
        current = self.get(company)
        chain: list[Company] = []
        while current.parent_id is not None and len(chain) < MAX_LEVELS:
            current = self.get(current.parent_id)
            chain.append(current)
        chain.reverse()
        return chain

    def children(self, company: Company | str) -> list[Company]:
        """Direct children, by name (one query, HIER_02)."""
        return self.list([("parent_id", "=", self.id_of(company))], sort=["name"])

    def subtree(self, company: Company | str) -> RecordList[Company]:
        """Every descendant, level by level and by name within a level
        (one query per level: at most four, HIER_02)."""
        out: RecordList[Company] = RecordList(record_class=Company)
        level = [self.id_of(company)]
        for _ in range(MAX_LEVELS - 1):
            found = self.list([("parent_id", "in", level)], sort=["name"])
            if not found:
                break
            out.extend(found)
            level = [c.id for c in found]
        return out

    def tree(self, company: Company | str) -> TreeNode:
        """The company and its subtree as nested nodes (same queries as :meth:`subtree`)."""
        root = self.get(company)
        by_parent: dict[str | None, list[Company]] = {}
        for c in self.subtree(root):
            by_parent.setdefault(c.parent_id, []).append(c)

        def build(c: Company) -> TreeNode:
            return TreeNode(c, tuple(build(k) for k in by_parent.get(c.id, [])))

        return build(root)

    def roots(self) -> list[Company]:
        """Companies without a parent, by name."""
        return self.list([("parent_id", "is empty")], sort=["name"])

    def delete(self, company: Company | str) -> None:
        """Delete a company that holds nothing: no children, relationships, people,
        plans, CTAs, goals or timeline activities (they would be left pointing nowhere).
        Its scores go with it: manual entries, overrides and snapshots (SCORE_07)."""
        with self.kit.transaction():
            current = self.get(company)
            _refuse_if_used(
                self.kit,
                f"company {current.name!r}",
                current.id,
                [
                    ("child companies", "company", "parent_id"),
                    ("relationships", "relationship", "company_id"),
                    ("people", "person", "company_id"),
                    *_work_of("company_id"),
                ],
            )
            delete_scores_of(self.kit, self.kind, current.id)
            self.kit.store.delete(self.kind, current.id)

    def _height(self, company: Company) -> int:
        """Levels in the company's subtree, itself included."""
        by_id = {c.id: c for c in self.subtree(company)}
        depth = {company.id: 1}
        for c in by_id.values():  # level order: parents come before children
            depth[c.id] = depth[c.parent_id or ""] + 1
        return max(depth.values())

    def _check_csm(self, csm_id: str | None) -> None:
        if csm_id is not None:
            self.kit.users.get(csm_id)


class RelationshipTypeService(Service[RelationshipType]):
    """``kit.relationship_types``: defined before relationships (REL_01)."""

    record_class = RelationshipType
    named = True

    def create(self, name: str, *, description: str | None = None) -> RelationshipType:
        """A relationship type; names are unique."""
        name = require_text(self.kind, "name", name)
        with self.kit.transaction():
            self._check_new_name(name)
            rt = self._new(name=name, description=description)
            self.kit.store.insert(rt)
        return rt

    def ensure(self, name: str, *, description: str | None = None) -> RelationshipType:
        """The relationship type of this name, created when there is none; an
        existing one with another ``description`` (when given) is refused."""
        name = require_text(self.kind, "name", name)
        with self.kit.transaction():
            found = self.list([("name", "=", name)], limit=1)
            return self._ensured(
                found[0] if found else None,
                "name",
                {"description": description},
                lambda: self.create(name, description=description),
            )


_REL_ATTRS = {
    "stage": str, "status": str, "csm_id": str, "renewal_date": date,
    "arr": float, "health_score": float, "nps": float,
}  # fmt: skip


class RelationshipService(Service[Relationship]):
    """``kit.relationships``: one company, one type, attributes of its own (REL_01-REL_03)."""

    record_class = Relationship

    def create(
        self,
        company: Company | str,
        type: RelationshipType | str,
        name: str,
        *,
        fields: Mapping[str, Any] | None = None,
        **attributes: Any,
    ) -> Relationship:
        """A relationship of ``company`` of an existing ``type`` (REL_01).

        It never touches the company hierarchy (REL_03).
        """
        values = check_attributes(self.kind, attributes, _REL_ATTRS)
        with self.kit.transaction():
            owner = self.kit.companies.get(company)
            rtype = self.kit.relationship_types.get(type)
            if values.get("csm_id") is not None:
                self.kit.users.get(values["csm_id"])
            rel = self._new(
                name=require_text(self.kind, "name", name),
                company_id=owner.id,
                type_id=rtype.id,
                fields=self.kit.custom_fields.check(self.kind, fields, scope=rtype.id),
                **values,
            )
            self.kit.store.insert(rel)
            report(self.kit, created=[rel])  # AUTO_01
        return rel

    def _save(self, record: Relationship, changes: Mapping[str, Any]) -> Relationship:
        """Store the change and, in the same transaction, the history of its tracked attributes (HIST_01)."""
        return saved_with_history(self.kit, record, changes)

    def update(
        self, relationship: Relationship | str, *, fields: Mapping[str, Any] | None = None, **attributes: Any
    ) -> Relationship:
        """Change a relationship's fields (REL_02: its company and type stay)."""
        changes: dict[str, Any] = check_attributes(self.kind, attributes, {**_REL_ATTRS, "name": str})
        if "name" in changes:
            changes["name"] = require_text(self.kind, "name", changes["name"])
        current = self._current(relationship)
        if fields is not None:
            changes["fields"] = self.kit.custom_fields.check(
                self.kind, {**current.fields, **field_changes(fields)}, scope=current.type_id
            )
        return self._save(current, changes)

    def of_company(self, company: Company | str) -> list[Relationship]:
        """A company's relationships, by name."""
        return self.list([("company_id", "=", self.kit.companies.id_of(company))], sort=["name"])

    def delete(self, relationship: Relationship | str) -> None:
        """Delete a relationship that holds no plans, objectives, CTAs, goals or timeline
        activities, with its scores (manual entries, overrides, snapshots)."""
        with self.kit.transaction():
            current = self.get(relationship)
            _refuse_if_used(self.kit, f"relationship {current.name!r}", current.id, _work_of("relationship_id"))
            delete_scores_of(self.kit, self.kind, current.id)
            self.kit.store.delete(self.kind, current.id)


def _work_of(key: str) -> list[tuple[str, str, str]]:
    """The work records that point at a company or relationship through ``key``."""
    return [
        ("success plans", "plan", key),
        ("objectives", "objective", key),
        ("CTAs", "cta", key),
        ("goals", "goal", key),
        ("timeline activities", "activity", key),
    ]


def _refuse_if_used(kit: Kit, what: str, id: str, uses: list[tuple[str, str, str]]) -> None:
    """Refuse to delete ``what`` while records of ``uses`` (label, kind, field) point at it."""
    for label, kind, field in uses:
        n = kit.store.count(kit.bind(kind, Query(conditions=[(field, "=", id)])))
        if n:
            raise ValidationError(f"{what} still has {n} {label}; move or delete them first", value=id)
